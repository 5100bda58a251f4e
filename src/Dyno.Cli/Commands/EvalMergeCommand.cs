using System.CommandLine;
using Dyno.Cli.Infrastructure;
using Dyno.Metrics.Detection;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval merge</c>: combines shards written by <c>dyno eval det --shard</c> into one report.</summary>
internal static class EvalMergeCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var shards = new Argument<FileInfo[]>("shards") { Description = "Shard files from 'dyno eval det --shard' over disjoint images.", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("merge", "Merge detection-evaluation shards (disjoint images) into exactly the result of one run.");
        cmd.Arguments.Add(shards);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var loaded = parse.GetValue(shards)!.Select(f => CocoEvalShard.Load(f.FullName)).ToArray();
            var result = CocoEvalShard.Merge(loaded).Summarize();
            common.Emit(parse, EvalDetCommand.Render(result));
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}
