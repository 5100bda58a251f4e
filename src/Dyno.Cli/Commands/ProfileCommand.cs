using System.CommandLine;
using Dyno.Cli.Infrastructure;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno profile</c>: static analysis of an ONNX model.</summary>
public static class ProfileCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var cmd = new Command("profile", "Static analysis of an ONNX model: weights, MACs, FLOPs, memory traffic, per-layer table.");
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() => CommandRunner.Ok));
        return cmd;
    }
}
