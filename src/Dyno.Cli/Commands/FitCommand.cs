using System.CommandLine;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Reports.Presenters;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno fit MODEL --hardware NAME</c>: does the model fit the device's memory?</summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var modelArgs = new ModelArgs();
        var hwArgs = new HardwareArgs(required: true, deprecatedAlias: "--device");
        var overhead = new Option<double?>("--overhead-mb") { Description = "Runtime overhead in MiB (default by device kind: GPU 1024, edge GPU 1536, SoC 2048, CPU 256, NPU 0)." };
        var margin = new Option<double>("--margin") { Description = "Safety margin as a fraction of the total.", DefaultValueFactory = _ => 0.10 };
        var cmd = new Command("fit", "Check whether weights + peak activations + runtime overhead + a safety margin fit a device's memory, at batch 1 and --batch N.")
        {
            overhead, margin,
        };
        modelArgs.AddTo(cmd);
        hwArgs.AddTo(cmd);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            using var model = modelArgs.Open(parse);
            var device = hwArgs.Device(parse)!;
            var precision = hwArgs.GetPrecision(parse);
            var m = parse.GetValue(margin);
            if (!(m is >= 0 and <= 10)) throw new UsageException($"--margin {m}: expected a fraction from 0 to 10 such as 0.1");
            if (parse.GetValue(overhead) is { } ov && !(ov is >= 0 and <= 1 << 30))
                throw new UsageException($"--overhead-mb {ov}: expected a non-negative number of MiB");
            var options = new FitOptions
            {
                SafetyMargin = m,
                RuntimeOverheadBytes = parse.GetValue(overhead) is { } mb ? (long)(mb * (1 << 20)) : null,
            };
            var batch = parse.GetValue(modelArgs.Batch) ?? 1;
            var at1 = ModelProfiler.Profile(model, modelArgs.Options(parse, batchOverride: 1));
            var atN = batch == 1 ? at1 : ModelProfiler.Profile(model, modelArgs.Options(parse));
            foreach (var p in new[] { at1, atN })
                if (ProfileChecks.InconsistentShapes(p, model.Source) is { } problem) throw new InvalidDataException(problem);
            var reports = new List<FitReport> { FitCheck.Check(at1, at1, 1, device, precision, options) };
            if (batch != 1) reports.Add(FitCheck.Check(atN, at1, batch, device, precision, options));

            var result = new FitResult(device.Name, HardwareProfile.Key(precision), reports[^1].Fits, reports);
            common.Emit(parse, CommandOutput.Of(new FitPresenter(model.Source, device.Title), result));
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}
