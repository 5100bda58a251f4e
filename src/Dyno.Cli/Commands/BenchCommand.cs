using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Models.Onnx;
using Dyno.Reports;
using Dyno.Reports.Presenters;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Calibration;
using Spectre.Console;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno bench</c>: measured speed of an ONNX model with ONNX Runtime, joined to its static costs.</summary>
internal static class BenchCommand
{
    /// <summary>Most random input sets <c>--input-pool</c> may ask for.</summary>
    public const int MaxInputPool = 1024;

    /// <summary>Most parallel requests <c>--concurrency</c> may ask for.</summary>
    public const int MaxConcurrency = 256;

    public static Command Create()
    {
        var common = new CommonOptions();
        var modelArgs = new ModelArgs();
        modelArgs.Example.Description = $"Benchmark an embedded example model (weightless: random weights are materialized): {string.Join(", ", ExampleModels.Names)}.";
        modelArgs.Dim.Description = "Set a symbolic dimension: NAME=VALUE (repeatable). Unset dynamic dims other than the batch are 1.";
        var batch = new Option<string>("--batch", "-b") { Description = "Batch sizes to sweep, e.g. 1,2,4,8. Latency and per-op results describe the first.", DefaultValueFactory = _ => "1" };
        var concurrency = new Option<int>("--concurrency") { Description = "Parallel requests on the session for the throughput sweep.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads (0 = runtime default).", DefaultValueFactory = _ => 0 };
        var interOp = new Option<int>("--inter-op-threads") { Description = "Inter-op threads (0 = runtime default; used in parallel execution mode).", DefaultValueFactory = _ => 0 };
        var graphOpt = new Option<string>("--graph-optimization") { Description = "Graph optimization level: disable, basic, extended, all.", DefaultValueFactory = _ => "all" };
        graphOpt.AcceptOnlyFromAmong("disable", "basic", "extended", "all");
        var execMode = new Option<string>("--execution-mode") { Description = "Execution mode: sequential or parallel.", DefaultValueFactory = _ => "sequential" };
        execMode.AcceptOnlyFromAmong("sequential", "parallel");
        var provider = new Option<string>("--provider") { Description = "Execution provider: cpu, cuda, dnnl, tensorrt, openvino (where installed).", DefaultValueFactory = _ => "cpu" };
        var iterations = new Option<int?>("--iterations", "-n") { Description = "Fixed number of timed iterations (overrides the CI target and --max-time)." };
        var maxTime = new Option<double>("--max-time") { Description = "Time budget per batch point, seconds.", DefaultValueFactory = _ => 10 };
        var targetCi = new Option<double>("--target-ci") { Description = "Stop when the median's 95% CI is narrower than this fraction of it.", DefaultValueFactory = _ => 0.01 };
        var inputs = new Option<DirectoryInfo?>("--inputs") { Description = "Directory of NAME.npy or NAME.pb (TensorProto) files, one per model input, instead of random data." };
        var scenario = new Option<string>("--scenario") { Description = "MLPerf-style scenario: single-stream (p90 latency), offline (max samples/s), server (Poisson arrivals at --qps, p99 latency).", DefaultValueFactory = _ => "single-stream" };
        scenario.AcceptOnlyFromAmong("single-stream", "offline", "server");
        var qps = new Option<double?>("--qps") { Description = "Server scenario: query arrival rate per second." };
        var latencyTarget = new Option<double?>("--latency-target") { Description = "Scenario latency bound in ms (p90 single-stream, p99 server): reports whether it is met." };
        var noProfile = new Option<bool>("--no-profile") { Description = "Skip the per-operator profiling pass." };
        var noCalibration = new Option<bool>("--no-calibration") { Description = "Do not calibrate the machine when no cached roofs exist (utilization is then omitted)." };
        var pool = new Option<int>("--input-pool") { Description = "Distinct random input sets cycled through, so consecutive runs see different data.", DefaultValueFactory = _ => 8 };
        var seed = new Option<int>("--seed") { Description = "Seed of random inputs and weights.", DefaultValueFactory = _ => 1 };
        var forceThreads = new Option<bool>("--force-threads") { Description = "Allow --threads/--inter-op-threads above this machine's logical cores." };
        var saveModel = new Option<FileInfo?>("--save-model") { Description = "Also save the model as run (symbolic batch, materialized weights) to this file, e.g. to run it in another harness." };

        var cmd = new Command("bench", "Measured speed with ONNX Runtime: cold start, latency distribution with CIs, throughput sweep, memory, per-op time joined to static costs, utilization of the measured roofs.")
        {
            batch, concurrency, threads, interOp, graphOpt, execMode, provider, iterations, maxTime, targetCi,
            inputs, scenario, qps, latencyTarget, noProfile, noCalibration, pool, seed, saveModel, forceThreads,
        };
        var tPreset = new Option<string?>("--transformer-preset") { Description = "The model is this transformer (dyno llm presets): adds model FLOPs utilization (MFU) in the PaLM sense." };
        var tConfig = new Option<FileInfo?>("--transformer-config") { Description = "As --transformer-preset, from a Hugging Face config.json or a dyno llm config." };
        var tSeq = new Option<int?>("--seq") { Description = "Sequence length for MFU (default: the last dimension of the first model input)." };
        cmd.Options.Add(tPreset);
        cmd.Options.Add(tConfig);
        cmd.Options.Add(tSeq);
        var hwArgs = new HardwareArgs();
        hwArgs.Hardware.Description = "Also state utilization against this device's datasheet peak (dyno hardware list), at --precision.";
        hwArgs.AddTo(cmd);
        modelArgs.AddTo(cmd, withBatch: false);
        var generate = new BenchGenerate();
        generate.AddTo(cmd);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            if (parse.GetValue(generate.Generate))
            {
                if (parse.GetValue(modelArgs.Example) is not null || parse.GetValue(inputs) is not null || parse.GetValue(concurrency) != 1 || parse.GetValue(scenario) != "single-stream"
                    || parse.GetValue(modelArgs.Shape) is { Length: > 0 } || parse.GetValue(modelArgs.Dim) is { Length: > 0 } || parse.GetValue(saveModel) is not null
                    || parse.GetValue(tPreset) is not null || parse.GetValue(tConfig) is not null)
                    throw new UsageException("--generate takes a MODEL file or directory and none of --example, --inputs, --concurrency, --scenario, --shape, --dim, --save-model, --transformer-preset/--transformer-config (the architecture comes from config.json beside the model)");
                var session = new BenchOptions
                {
                    Provider = parse.GetValue(provider)!, IntraOpThreads = parse.GetValue(threads), InterOpThreads = parse.GetValue(interOp),
                    GraphOptimization = Enum.Parse<GraphOptimization>(parse.GetValue(graphOpt)!, ignoreCase: true), ExecutionMode = Enum.Parse<SessionExecutionMode>(parse.GetValue(execMode)!, ignoreCase: true), Batches = ParseBatches(parse.GetValue(batch)!),
                    Iterations = parse.GetValue(iterations), MaxTimeSeconds = parse.GetValue(maxTime), TargetRelativeCi = parse.GetValue(targetCi), Seed = parse.GetValue(seed),
                };
                var quietGen = parse.GetValue(common.Quiet);
                return generate.Run(parse, common, parse.GetValue(modelArgs.Model), session, parse.GetValue(noCalibration), quietGen, body => WithProgress(quietGen, body));
            }
            var device = hwArgs.Device(parse);
            var devicePrecision = hwArgs.GetPrecision(parse);
            var (file, ex) = modelArgs.Source(parse);
            var source = ex is not null ? ModelSource.Embedded(ex) : ModelSource.File(file!.FullName);
            var cores = Environment.ProcessorCount;
            foreach (var (name, n) in new[] { ("--threads", parse.GetValue(threads)), ("--inter-op-threads", parse.GetValue(interOp)) })
                if (n > cores && !parse.GetValue(forceThreads))
                    throw new UsageException($"{name} {n}: this machine has {cores} logical cores; more threads only oversubscribe them (add --force-threads to insist)");
            if (parse.GetValue(pool) is > MaxInputPool and var big)
                throw new UsageException($"--input-pool {big}: at most {MaxInputPool} random input sets (each is a full set of model inputs held in memory)");
            if (parse.GetValue(concurrency) is > MaxConcurrency and var many)
                throw new UsageException($"--concurrency {many}: at most {MaxConcurrency} parallel requests");
            if (!(parse.GetValue(maxTime) is > 0 and <= 86_400)) throw new UsageException($"--max-time {parse.GetValue(maxTime)}: expected seconds in (0, 86400]");
            if (!(parse.GetValue(targetCi) is > 0 and < 1)) throw new UsageException($"--target-ci {parse.GetValue(targetCi)}: expected a fraction in (0, 1) such as 0.01");
            if (parse.GetValue(qps) is { } q && !(q is > 0 and < 1e9)) throw new UsageException($"--qps {q}: expected a positive, finite query rate");
            if (parse.GetValue(latencyTarget) is { } lt && !(lt is > 0 and < 1e9)) throw new UsageException($"--latency-target {lt}: expected a positive, finite number of ms");
            var modelName = ex is not null ? "example:" + ex : file!.FullName;
            var options = new BenchOptions
            {
                Provider = parse.GetValue(provider)!, IntraOpThreads = parse.GetValue(threads), InterOpThreads = parse.GetValue(interOp),
                GraphOptimization = Enum.Parse<GraphOptimization>(parse.GetValue(graphOpt)!, ignoreCase: true), ExecutionMode = Enum.Parse<SessionExecutionMode>(parse.GetValue(execMode)!, ignoreCase: true),
                Batches = ParseBatches(parse.GetValue(batch)!), Concurrency = parse.GetValue(concurrency),
                Iterations = parse.GetValue(iterations), MaxTimeSeconds = parse.GetValue(maxTime), TargetRelativeCi = parse.GetValue(targetCi),
                InputShapes = ShapeArgs.Shapes(parse.GetValue(modelArgs.Shape)), Dims = ShapeArgs.Dims(parse.GetValue(modelArgs.Dim)),
                InputsDirectory = parse.GetValue(inputs)?.FullName, ProfileOps = !parse.GetValue(noProfile),
                Scenario = parse.GetValue(scenario) switch { "offline" => Scenario.Offline, "server" => Scenario.Server, _ => Scenario.SingleStream },
                Qps = parse.GetValue(qps), LatencyTargetMs = parse.GetValue(latencyTarget), Seed = parse.GetValue(seed),
                SaveModelPath = parse.GetValue(saveModel)?.FullName, InputPool = parse.GetValue(pool),
            };
            var quiet = parse.GetValue(common.Quiet);
            var calibration = parse.GetValue(noCalibration)
                ? MachineCalibration.LoadCached()
                : MachineCalibration.LoadOrMeasure(quiet ? null : s => Console.Error.WriteLine("dyno: " + s));
            var result = OrtErrors.Translate(modelName, () => WithProgress(quiet, p => InferenceBenchmark.Run(source, options, calibration, p)));
            if (parse.GetValue(tPreset) is { } preset)
            {
                if (parse.GetValue(tConfig) is not null) throw new UsageException("give --transformer-preset or --transformer-config, not both");
                result = BenchUtilization.WithModelFlops(result, TransformerConfig.Preset(preset), preset, parse.GetValue(tSeq), device, devicePrecision);
            }
            else if (parse.GetValue(tConfig) is { } configFile)
                result = BenchUtilization.WithModelFlops(result, TransformerConfig.Load(configFile.FullName).Config, configFile.Name, parse.GetValue(tSeq), device, devicePrecision);
            if (device is not null) result = BenchUtilization.WithDatasheet(result, device, devicePrecision);
            if (!quiet)
                foreach (var w in result.Warnings) Console.Error.WriteLine("dyno: warning: " + CliFlags.Phrase(w));
            common.Emit(parse, CommandOutput.Of(BenchPresenter.Instance, result, CalibrationNotes(calibration)));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static IReadOnlyList<int> ParseBatches(string s)
    {
        var list = new List<int>();
        foreach (var part in s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b < 1)
                throw new UsageException($"--batch {s}: '{part}' is not a positive integer (expected e.g. 1,2,4,8)");
            list.Add(b);
        }
        if (list.Count == 0) throw new UsageException("--batch: give at least one batch size");
        return list;
    }

    /// <summary>Runs <paramref name="body"/> with a Spectre progress bar on stderr (none with --quiet or when stderr is not a terminal).</summary>
    private static T WithProgress<T>(bool quiet, Func<IProgress<BenchProgress>?, T> body)
    {
        if (quiet || Console.IsErrorRedirected) return body(null);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = body(new Reporter(p =>
                {
                    if (!tasks.TryGetValue(p.Phase, out var task))
                    {
                        foreach (var other in tasks.Values) other.Value = other.MaxValue;
                        tasks[p.Phase] = task = ctx.AddTask(Markup.Escape(p.Phase), maxValue: 1);
                    }
                    task.Value = Math.Clamp(p.Fraction, 0, 1);
                }));
            });
        return result;
    }

    private sealed class Reporter(Action<BenchProgress> report) : IProgress<BenchProgress>
    {
        public void Report(BenchProgress value) => report(value);
    }

    /// <summary>The measured roofs of this machine the utilization figures are relative to (not part of the document).</summary>
    private static IReadOnlyList<string> CalibrationNotes(CalibrationResult? c)
    {
        if (c is null) return [];
        var g = string.Join(", ", c.Gemm.Select(x => $"{x.Precision} {x.Threads}T {Fmt.Si(x.FlopsPerSecond, "FLOP/s")}"));
        var t = string.Join(", ", c.Triad.Select(x => $"{x.Threads}T {Fmt.Si(x.BytesPerSecond, "B/s")}"));
        return [$"measured roofs of this machine (dyno calibrate, {c.MeasuredAt:yyyy-MM-dd HH:mm}Z): GEMM {g}; triad {t}"];
    }
}
