using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Reports;
using Dyno.Runtime.Calibration;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno calibrate</c>: measures this machine's GEMM and bandwidth roofs and the harness overhead, and caches them.</summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var quick = new Option<bool>("--quick") { Description = "Smaller problems and fewer repeats (about 3 s instead of 15 s)." };
        var cached = new Option<bool>("--cached") { Description = "Print the cached calibration without measuring (error if there is none)." };
        var force = new Option<bool>("--force") { Description = "Cache the roofs even when the measurement is degraded (busy machine, inconsistent figures); results that use them then carry a warning." };
        var cmd = new Command("calibrate", $"Measure this machine's roofs (GEMM FLOP/s per precision, triad bandwidth) and dyno bench's own overhead per inference; cached in {MachineCalibration.CachePath}.")
        {
            quick, cached, force,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            CalibrationResult c;
            if (parse.GetValue(cached))
                c = MachineCalibration.LoadCached() ?? throw new UsageException($"no calibration cached for this machine in {MachineCalibration.CachePath}; run 'dyno calibrate'");
            else
            {
                var q = parse.GetValue(common.Quiet);
                c = MachineCalibration.Run(parse.GetValue(quick), q ? null : new Reporter(s => Console.Error.WriteLine("dyno: calibrating: " + s)));
                if (c.Degraded && !parse.GetValue(force))
                {
                    // Roofs from a busy machine would make every later utilization figure wrong without a word: refuse.
                    Console.Error.WriteLine($"dyno: calibration not cached: {string.Join("; ", c.DegradedReasons)}. Rerun on an idle machine, or pass --force to cache them marked degraded.");
                    common.Emit(parse, Output(c));
                    return CommandRunner.Failure;
                }
                MachineCalibration.Save(c);
                if (!q) Console.Error.WriteLine(c.Degraded
                    ? $"dyno: warning: cached DEGRADED roofs in {MachineCalibration.CachePath} (--force): {string.Join("; ", c.DegradedReasons)}"
                    : $"dyno: cached in {MachineCalibration.CachePath}");
            }
            if (parse.GetValue(cached) && c.Degraded && !parse.GetValue(common.Quiet))
                Console.Error.WriteLine($"dyno: warning: the cached roofs are degraded: {string.Join("; ", c.DegradedReasons)}");
            common.Emit(parse, Output(c));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static CommandOutput Output(CalibrationResult c)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var g in c.Gemm) rows.Add([$"GEMM {g.Precision}", g.Threads.ToString(CultureInfo.InvariantCulture), Fmt.Si(g.FlopsPerSecond, "FLOP/s"), $"MatMul {g.Size}x{g.Size}x{g.Size}, best run"]);
        foreach (var t in c.Triad) rows.Add(["triad bandwidth", t.Threads.ToString(CultureInfo.InvariantCulture), Fmt.Si(t.BytesPerSecond, "B/s"), $"3 arrays, {Fmt.Bytes(t.ArrayBytes)} total, best pass"]);
        rows.Add(["Identity latency", "1", Fmt.Num(c.Harness.IdentityLatencyUs, 2) + " µs", "runtime floor + harness, median"]);
        rows.Add(["harness overhead", "1", Fmt.Num(c.Harness.OverheadUs, 3) + " µs", $"timed loop minus bare calls ({Fmt.Num(c.Harness.BareRunUs, 2)} µs)"]);
        var table = new ResultTable("Machine roofs", [new ResultColumn("Quantity"), new ResultColumn("Threads", ColumnAlign.Right), new ResultColumn("Value", ColumnAlign.Right), new ResultColumn("How")], rows);
        var notes = new List<string> { $"{c.CpuModel}, {c.LogicalCores} logical cores, ONNX Runtime {c.OnnxRuntime}, measured {c.MeasuredAt:yyyy-MM-dd HH:mm}Z" + (c.LoadAverage is { } la ? $", load average {la:0.00}" : "") };
        notes.AddRange(c.DegradedReasons.Select(r => "DEGRADED: " + r));
        return new CommandOutput(ResultKinds.Calibrate, c, [table], notes);
    }

    private sealed class Reporter(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
