using System.CommandLine;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval</c>: accuracy metrics; each metric family adds its subcommand here.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Accuracy metrics");
        eval.Subcommands.Add(EvalDetCommand.Create());
        eval.Subcommands.Add(EvalMergeCommand.Create());
        return eval;
    }
}
