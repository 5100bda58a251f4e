using Dyno.Cli.Infrastructure;

namespace Dyno.Cli.Tests;

/// <summary>User mistakes are exit 2 with one line; a library's plain ArgumentException is a bug: exit 70 with its stack trace.</summary>
public sealed class ExitCodeTests
{
    private static (int Code, string Stderr) Run(Func<int> body)
    {
        var saved = Console.Error;
        using var err = new StringWriter();
        Console.SetError(err);
        try { return (CommandRunner.Run(body), err.ToString()); }
        finally { Console.SetError(saved); }
    }

    [Fact]
    public void Input_errors_are_exit_2_and_one_line()
    {
        var (code, stderr) = Run(() => throw new DynoInputException("segmentation needs 1..65535 classes, got 0", "numClasses"));
        Assert.Equal(2, code);
        Assert.Equal("dyno: error: segmentation needs 1..65535 classes, got 0" + Environment.NewLine, stderr);
        (code, stderr) = Run(() => throw new InvalidDataException("a.json: [3]: bad box"));
        Assert.Equal(2, code);
        Assert.Single(stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_plain_argument_exception_is_an_internal_error_with_its_stack_trace()
    {
        var (code, stderr) = Run(() => throw new ArgumentOutOfRangeException("offset"));
        Assert.Equal(CommandRunner.InternalError, code);
        Assert.Equal(70, code);
        Assert.StartsWith("dyno: internal error (a bug in dyno, please report it): System.ArgumentOutOfRangeException", stderr, StringComparison.Ordinal);
        Assert.Contains(" at ", stderr, StringComparison.Ordinal);
        (code, _) = Run(() => throw new ArgumentException("metrics over different ground truths cannot be merged", "other"));
        Assert.Equal(70, code);
    }

    [Fact]
    public void A_missing_system_library_is_exit_69_and_one_line()
    {
        const string message = "decoding images (validation, calibration images) needs OpenCV's native library, which could not be loaded: libgtk-3.so.0 is missing (Debian/Ubuntu: apt-get install libgtk-3-0; RHEL/AlmaLinux: dnf install gtk3)";
        var (code, stderr) = Run(() => throw new DynoEnvironmentException(message));
        Assert.Equal(CommandRunner.EnvironmentError, code);
        Assert.Equal(69, code);
        Assert.Equal("dyno: error: " + message + Environment.NewLine, stderr);
        // as val's parallel workers and a type initializer would wrap it
        (code, stderr) = Run(() => throw new AggregateException(new DynoEnvironmentException(message)));
        Assert.Equal((69, "dyno: error: " + message + Environment.NewLine), (code, stderr));
        (code, stderr) = Run(() => throw new TypeInitializationException("Dyno.X", new DynoEnvironmentException(message)));
        Assert.Equal((69, "dyno: error: " + message + Environment.NewLine), (code, stderr));
    }
}
