using System.Text.Json;

namespace Dyno.Cli.Infrastructure;

/// <summary>A mistake in how dyno was called (bad option value, missing argument): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Runs a command body and turns user mistakes into one-line errors with exit code 2.</summary>
internal static class CommandRunner
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    /// <summary>A bug in dyno (or a library used wrongly by it): sysexits' EX_SOFTWARE.</summary>
    public const int InternalError = 70;

    /// <summary>This machine lacks something dyno needs (a system library such as GTK 3 for OpenCV): sysexits' EX_UNAVAILABLE.</summary>
    public const int EnvironmentError = 69;

    /// <summary>
    /// Runs <paramref name="body"/>. Bad usage and bad input (unreadable, malformed or inconsistent
    /// files) print <c>dyno: error: ...</c> on stderr and return 2; anything else is a bug in dyno and
    /// is reported as such with its stack trace and exit code 70, except what this machine lacks
    /// (<see cref="DynoEnvironmentException"/>: a system library), one line with exit code 69. A library's
    /// <see cref="ArgumentException"/> is such a bug (dyno passed it a value it should have checked);
    /// only <see cref="DynoInputException"/> says the user's input is at fault. The API parameters a library
    /// message names are printed as the flags that carry them (<see cref="CliFlags"/>).
    /// </summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine("dyno: error: " + OneLine(CliFlags.Phrase(e)));
            return BadInput;
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions is [var first, ..] && IsUserError(first))
        {
            // parallel readers: the first worker's message is the user's problem
            Console.Error.WriteLine("dyno: error: " + OneLine(CliFlags.Phrase(first)));
            return BadInput;
        }
        catch (Exception e) when (EnvironmentProblem(e) is { } env)
        {
            // not the user's file and not a bug: what to install, in one line
            Console.Error.WriteLine("dyno: error: " + OneLine(env.Message));
            return EnvironmentError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("dyno: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("dyno: internal error (a bug in dyno, please report it): " + e);
            return InternalError;
        }
    }

    /// <summary>Exceptions that describe a problem with the user's input rather than with dyno.</summary>
    public static bool IsUserError(Exception e) => e is UsageException or DynoInputException or InvalidDataException or FormatException
        or FileNotFoundException or DirectoryNotFoundException or JsonException
        or UnauthorizedAccessException or PathTooLongException
        || (e is IOException && e.GetType() == typeof(IOException));

    /// <summary>The <see cref="DynoEnvironmentException"/> that <paramref name="e"/> is or wraps (a worker's <see cref="AggregateException"/>, a type initializer), if any.</summary>
    public static DynoEnvironmentException? EnvironmentProblem(Exception e) => e switch
    {
        DynoEnvironmentException env => env,
        AggregateException a => a.Flatten().InnerExceptions.Select(EnvironmentProblem).FirstOrDefault(x => x is not null),
        TypeInitializationException { InnerException: { } inner } => EnvironmentProblem(inner),
        _ => null,
    };

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
