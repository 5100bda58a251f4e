using System.CommandLine;
using Dyno.Cli.Commands;

namespace Dyno.Cli;

/// <summary>Entry point of the <c>dyno</c> command.</summary>
internal static class Program
{
    /// <summary>Builds the command tree. Each command lives in its own file under Commands/.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("dyno: put an AI model on the dyno. Size and cost (profile), speed and accuracy, in one tool.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ProfileCommand.Create());
        root.Subcommands.Add(HardwareCommand.Create());
        root.Subcommands.Add(FitCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(AnchorsCommand.Create());
        root.Subcommands.Add(LlmCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ValCommand.Create());
        root.Subcommands.Add(MatrixCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        return root;
    }

    public static int Main(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (Infrastructure.Suggestions.UnknownName(parse, args) is { } unknown)
        {
            Console.Error.WriteLine("dyno: error: " + unknown);
            return Infrastructure.CommandRunner.BadInput;
        }
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine("dyno: error: " + Infrastructure.Suggestions.OneLine(parse));
            return Infrastructure.CommandRunner.BadInput;
        }
        try
        {
            Infrastructure.OutputGuard.Check(parse);
        }
        catch (Infrastructure.UsageException e)
        {
            Console.Error.WriteLine("dyno: error: " + e.Message);
            return Infrastructure.CommandRunner.BadInput;
        }
        return parse.Invoke();
    }
}
