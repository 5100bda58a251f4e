using System.CommandLine;
using Dyno.Reports;

namespace Dyno.Cli.Infrastructure;

/// <summary>
/// Refuses, before a command runs, an output file that is also one of its inputs or another of its
/// outputs (<c>--out</c> equal to the model would replace the model with the report). Paths are compared
/// after following symbolic links; devices such as <c>/dev/null</c> may be named more than once.
/// </summary>
internal static class OutputGuard
{
    /// <summary>The file-valued options through which commands write.</summary>
    public static readonly IReadOnlySet<string> OutputOptions = new HashSet<string>(StringComparer.Ordinal)
    {
        "--out", "--html", "--md", "--pareto-chart", "--reliability-svg", "--roofline-chart", "--save-model", "--shard", "--state",
    };

    /// <summary>Throws <see cref="UsageException"/> when two file values of the parsed command name the same file and one of them is an output.</summary>
    public static void Check(ParseResult parse)
    {
        var files = new List<(string Name, string Path, bool Output)>();
        void Add(string name, FileSystemInfo? f, bool output)
        {
            if (f is null) return;
            var full = Path.GetFullPath(f.FullName);
            if (AtomicFile.IsSpecial(full)) return;
            files.Add((name, AtomicFile.ResolveTarget(full), output));
        }
        var cmd = parse.CommandResult.Command;
        T? Value<T>(Func<T?> get)
        {
            try { return get(); }
            catch (InvalidOperationException) { return default; } // a required value not given (--help): nothing to compare
        }
        foreach (var o in cmd.Options)
        {
            var output = OutputOptions.Contains(o.Name);
            if (o is Option<FileInfo> fo) Add(o.Name, Value(() => parse.GetValue(fo)), output);
            else if (o is Option<FileInfo[]> fa) foreach (var f in Value(() => parse.GetValue(fa)) ?? []) Add(o.Name, f, output);
        }
        foreach (var a in cmd.Arguments)
        {
            if (a is Argument<FileInfo> fa) Add(a.Name, Value(() => parse.GetValue(fa)), false);
            else if (a is Argument<FileInfo[]> faa) foreach (var f in Value(() => parse.GetValue(faa)) ?? []) Add(a.Name, f, false);
        }
        for (var i = 0; i < files.Count; i++)
        for (var j = i + 1; j < files.Count; j++)
        {
            var (a, b) = (files[i], files[j]);
            if (!(a.Output || b.Output) || !string.Equals(a.Path, b.Path, StringComparison.Ordinal)) continue;
            var (o, other) = a.Output ? (a, b) : (b, a);
            throw new UsageException($"{o.Name} {o.Path}: is also {(other.Output ? "the output" : "the input")} {other.Name}; " +
                                     (other.Output ? "two outputs would overwrite each other" : "writing it would destroy the input") + "; choose another file");
        }
    }
}
