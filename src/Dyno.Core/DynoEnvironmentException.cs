namespace Dyno;

/// <summary>
/// This machine lacks something a Dyno library needs that is neither the caller's input nor a bug: a system library
/// (OpenCV's native library links GTK 3, for example), or a folder it must write. The message is one line that names
/// what is missing and how to install it; the <c>dyno</c> command prints it as <c>dyno: error: …</c> with exit code 69
/// (sysexits' EX_UNAVAILABLE), not as an internal error.
/// </summary>
public sealed class DynoEnvironmentException : Exception
{
    /// <summary>An environment error with its one-line message.</summary>
    public DynoEnvironmentException(string message) : base(message) { }

    /// <summary>An environment error caused by another exception (kept as <see cref="Exception.InnerException"/>).</summary>
    public DynoEnvironmentException(string message, Exception inner) : base(message, inner) { }
}
