using System.CommandLine;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval</c>: accuracy metrics. Each subcommand lives in its own file.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Accuracy metrics");
        eval.Subcommands.Add(EvalMotCommand.Create());
        eval.Subcommands.Add(EvalClsCommand.Create());
        eval.Subcommands.Add(EvalSegCommand.Create());
        eval.Subcommands.Add(EvalDetCommand.Create());
        eval.Subcommands.Add(EvalMergeCommand.Create());
        return eval;
    }
}
