namespace Dyno;

/// <summary>
/// A problem with what the caller gave a Dyno library: a setting outside its range, a file or data
/// record that cannot be used, a combination that has no meaning. It says what is wrong in one line and
/// names the API parameter (<see cref="ArgumentException.ParamName"/>) when there is one; the
/// <c>dyno</c> command reports it as <c>dyno: error: …</c> with exit code 2, naming its own option where
/// it knows which one carried the value. Every other exception from a Dyno library is a bug (in Dyno or
/// in the calling code) and the command reports it as an internal error with exit code 70.
/// </summary>
/// <remarks>
/// A library message names an API parameter the way a C# caller writes it (<c>BenchOptions.Batches</c>,
/// <c>BadRecordPolicy.Skip</c>, a method's parameter such as <c>gtPath</c>), never a command-line flag, and
/// lists each name it uses in <see cref="Parameters"/> (or, on another exception type such as
/// <see cref="InvalidDataException"/>, through <see cref="Naming"/>). A front end that has its own names
/// for these parameters (the <c>dyno</c> command's flags) replaces exactly those names when it prints the
/// message: <see cref="ParametersOf"/> says which they are.
/// </remarks>
public sealed class DynoInputException : ArgumentException
{
    /// <summary>The <see cref="Exception.Data"/> key under which <see cref="Naming"/> keeps the parameter names of any exception.</summary>
    public const string ParametersKey = "Dyno.Parameters";

    /// <summary>An input error with its one-line message and, optionally, the API parameter it concerns (named as in the message).</summary>
    public DynoInputException(string message, string? parameter = null) : base(message, parameter) =>
        Parameters = parameter is null ? [] : [parameter];

    /// <summary>An input error whose message names several API parameters (the first is <see cref="ArgumentException.ParamName"/>).</summary>
    public DynoInputException(string message, string parameter, params string[] others) : base(message, parameter) =>
        Parameters = [parameter, .. others];

    /// <summary>An input error caused by another exception (kept as <see cref="Exception.InnerException"/>).</summary>
    public DynoInputException(string message, Exception inner) : base(message, inner) => Parameters = [];

    /// <summary>The API parameters the message names, each spelled exactly as in the message; empty when it names none.</summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>The message alone: unlike <see cref="ArgumentException"/>, the parameter is not appended (users read this line).</summary>
    public override string Message => base.Message.Replace($" (Parameter '{ParamName}')", "", StringComparison.Ordinal);

    /// <summary>
    /// Records on <paramref name="exception"/> (any type, e.g. an <see cref="InvalidDataException"/> about a file
    /// whose message suggests a setting) the API parameters its message names, spelled exactly as in the message.
    /// </summary>
    /// <returns><paramref name="exception"/>, to be thrown.</returns>
    public static TException Naming<TException>(TException exception, params string[] parameters) where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(exception);
        exception.Data[ParametersKey] = ParametersOf(exception).Concat(parameters).Distinct(StringComparer.Ordinal).ToArray();
        return exception;
    }

    /// <summary>The API parameters that <paramref name="exception"/>'s message names (<see cref="Parameters"/> and those recorded by <see cref="Naming"/>).</summary>
    public static IReadOnlyList<string> ParametersOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var own = exception is DynoInputException d ? d.Parameters : [];
        return exception.Data[ParametersKey] is string[] named ? [.. own, .. named.Except(own, StringComparer.Ordinal)] : own;
    }
}
