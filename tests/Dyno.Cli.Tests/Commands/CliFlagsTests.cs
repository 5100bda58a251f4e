using System.Text.RegularExpressions;
using Dyno.Cli.Infrastructure;

namespace Dyno.Cli.Tests.Commands;

/// <summary>
/// Issue 12: the libraries name their API parameters, never dyno's flags; the command prints each error with the
/// flag that carries the parameter (<see cref="CliFlags"/>), so the user's line is as informative as before.
/// </summary>
public class CliFlagsTests
{
    private static string Root()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Dyno.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no Dyno.sln above the test folder");
        return root;
    }

    private static IEnumerable<string> LibrarySources() =>
        new[] { "Dyno.Core", "Dyno.Metrics", "Dyno.Models", "Dyno.Results", "Dyno.Runtime" }
            .SelectMany(p => Directory.EnumerateFiles(Path.Combine(Root(), "src", p), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static readonly string[] NotYetConverted = [];

    [Fact]
    public void No_library_string_names_a_flag()
    {
        var flag = new Regex("\"[^\"\\n]*--[a-z][a-z-]*");
        var hits = LibrarySources().Where(f => !NotYetConverted.Contains(Path.GetFileName(f)))
            .SelectMany(f => File.ReadLines(f).Select((l, i) => (f, i, l)))
            .Where(x => !x.l.TrimStart().StartsWith("//", StringComparison.Ordinal) && flag.IsMatch(x.l))
            .Select(x => $"{Path.GetRelativePath(Root(), x.f)}:{x.i + 1}").ToList();
        Assert.True(hits.Count == 0, "library messages naming CLI flags: " + string.Join(", ", hits));
    }

    [Fact]
    public void Every_mapped_parameter_is_named_by_a_library()
    {
        var text = string.Concat(LibrarySources().Select(File.ReadAllText));
        Assert.All(CliFlags.Map.Keys, k => Assert.Contains(k, text, StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_name_the_flags_of_the_parameters_they_declare()
    {
        Assert.Equal("--scenario server needs --qps N (a positive query rate)",
            CliFlags.Phrase(new DynoInputException("Scenario.Server needs BenchOptions.Qps (a positive query rate)", "Scenario.Server", "BenchOptions.Qps")));
        Assert.Equal("--dim b=2 conflicts with --batch 4 for input 'x'",
            CliFlags.Phrase(new DynoInputException("Dims b=2 conflicts with BenchOptions.Batches 4 for input 'x'", "Dims", "BenchOptions.Batches")));
        // any exception type can carry them; a longer name is not read as its prefix, nor a word inside another
        Assert.Equal("s.shard: not a dyno COCO shard (written by 'dyno eval det --shard')",
            CliFlags.Phrase(DynoInputException.Naming(new InvalidDataException("s.shard: not a dyno COCO shard (written by CocoEvalShard.Save)"), "CocoEvalShard.Save")));
        Assert.Equal("/data/Dimsx: Dims names 'q'",
            CliFlags.Phrase(new DynoInputException("/data/Dimsx: Dims names 'q'")), StringComparer.Ordinal); // nothing declared: the library's words
        Assert.Equal("/data/Dimsx: --dim names 'q'", CliFlags.Phrase(new DynoInputException("/data/Dimsx: Dims names 'q'", "Dims")));
        // an exception the library did not mark is printed as it is
        Assert.Equal("a: use BadRecordPolicy.Skip", CliFlags.Phrase(new InvalidDataException("a: use BadRecordPolicy.Skip")));
    }

    [Theory]
    [InlineData("--dim", "nosuch=3", "dyno: error: --dim names 'nosuch', which is not a symbolic dimension of any model input")]
    [InlineData("--shape", "nosuch=1x3", "dyno: error: --shape names 'nosuch', which is not an input of the model")]
    public void The_console_line_names_the_flag(string option, string value, string expected)
    {
        var (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", option, value, "--format", "json");
        Assert.Equal(2, code);
        Assert.StartsWith(expected, stderr.Trim(), StringComparison.Ordinal);
    }
}
