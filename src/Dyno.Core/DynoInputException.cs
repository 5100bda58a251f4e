namespace Dyno;

/// <summary>
/// A problem with what the caller gave a Dyno library: a setting outside its range, a file or data
/// record that cannot be used, a combination that has no meaning. It says what is wrong in one line and
/// names the API parameter (<see cref="ArgumentException.ParamName"/>) when there is one; the
/// <c>dyno</c> command reports it as <c>dyno: error: …</c> with exit code 2, naming its own option where
/// it knows which one carried the value. Every other exception from a Dyno library is a bug (in Dyno or
/// in the calling code) and the command reports it as an internal error with exit code 70.
/// </summary>
public sealed class DynoInputException : ArgumentException
{
    /// <summary>An input error with its one-line message and, optionally, the API parameter it concerns.</summary>
    public DynoInputException(string message, string? parameter = null) : base(message, parameter) { }

    /// <summary>An input error caused by another exception (kept as <see cref="Exception.InnerException"/>).</summary>
    public DynoInputException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The message alone: unlike <see cref="ArgumentException"/>, the parameter is not appended (users read this line).</summary>
    public override string Message => base.Message.Replace($" (Parameter '{ParamName}')", "", StringComparison.Ordinal);
}
