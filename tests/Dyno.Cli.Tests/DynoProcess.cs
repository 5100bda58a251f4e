using System.Diagnostics;

namespace Dyno.Cli.Tests;

/// <summary>Runs the built <c>dyno</c> as a separate process, as a user would.</summary>
internal static class DynoProcess
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => RunWithEnvironment(null, args);

    /// <summary>As <see cref="Run"/>, with extra environment variables (e.g. XDG_CACHE_HOME for a calibration cache of the test's own).</summary>
    public static (int Code, string Stdout, string Stderr) RunWithEnvironment(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dyno.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
