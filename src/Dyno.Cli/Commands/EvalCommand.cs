using System.CommandLine;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval</c>: accuracy metrics, one subcommand per task.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Accuracy metrics");
        eval.Subcommands.Add(EvalMotCommand.Create());
        return eval;
    }
}
