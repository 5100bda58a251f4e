namespace Dyno.Cli.Tests.Commands;

/// <summary>Mistyped commands and options: one line on stderr, exit 2, and a suggestion when a known name is close.</summary>
public class UsageTests
{
    [Theory]
    [InlineData(new[] { "evl" }, "dyno: error: unknown command 'evl' for 'dyno'; did you mean 'eval'?")]
    [InlineData(new[] { "eval", "dett" }, "dyno: error: unknown command 'dett' for 'dyno eval'; did you mean 'det'?")]
    [InlineData(new[] { "calibrat" }, "dyno: error: unknown command 'calibrat' for 'dyno'; did you mean 'calibrate'?")]
    [InlineData(new[] { "profile", "--exmple", "resnet18" }, "dyno: error: unknown option '--exmple' for 'dyno profile'; did you mean '--example'?")]
    [InlineData(new[] { "fit", "--example", "resnet18", "--hardwre", "h100" }, "dyno: error: unknown option '--hardwre' for 'dyno fit'; did you mean '--hardware'?")]
    [InlineData(new[] { "eval", "det", "--gt", "a.json", "--dt", "b.json", "--iou-tpye", "segm" }, "dyno: error: unknown option '--iou-tpye' for 'dyno eval det'; did you mean '--iou-type'?")]
    [InlineData(new[] { "profile", "--zzzzzz" }, "dyno: error: unknown option '--zzzzzz' for 'dyno profile' (see 'dyno profile --help')")]
    public void Typos_get_one_line_with_a_suggestion(string[] args, string expected)
    {
        var (code, stdout, stderr) = DynoProcess.Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(expected, stderr.Trim());
    }

    [Fact]
    public void Parser_errors_are_one_line()
    {
        var (code, _, stderr) = DynoProcess.Run("eval", "det", "--gt");
        Assert.Equal(2, code);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("dyno: error: ", stderr, StringComparison.Ordinal);
        Assert.EndsWith("(see 'dyno eval det --help')", stderr.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void Suggestions_pick_the_closest_known_name()
    {
        Assert.Equal("eval", Infrastructure.Suggestions.Closest("evl", ["eval", "bench", "val"]));
        Assert.Equal("--example", Infrastructure.Suggestions.Closest("--exam", ["--example", "--shape"]));
        Assert.Null(Infrastructure.Suggestions.Closest("zzz", ["eval", "bench"]));
        Assert.Equal(1, Infrastructure.Suggestions.Distance("eavl", "eval"));
    }
}

/// <summary>Help states each default once: options with a default value do not repeat it in their description.</summary>
public class HelpDefaultsTests
{
    private static IEnumerable<System.CommandLine.Command> All(System.CommandLine.Command c) => c.Subcommands.SelectMany(All).Prepend(c);

    [Fact]
    public void No_option_with_a_default_value_states_it_again()
    {
        var twice = new List<string>();
        foreach (var command in All(Program.BuildRoot()))
            foreach (var o in command.Options)
                if (o.HasDefaultValue && o.Description is { } d
                    && System.Text.RegularExpressions.Regex.IsMatch(d, @"\(default\b|\bdefault[ :]+[\w.,-]+\)|\bDefault\s", System.Text.RegularExpressions.RegexOptions.None))
                    twice.Add($"{command.Name} {o.Name}: {d}");
        Assert.True(twice.Count == 0, string.Join("\n", twice));
    }
}
