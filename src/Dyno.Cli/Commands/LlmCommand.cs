using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Reports;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno llm</c>: parameters, FLOPs, KV cache and roofline bounds of a transformer from its shape.</summary>
internal static class LlmCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var preset = new Option<string?>("--preset") { Description = $"A built-in architecture: {string.Join(", ", TransformerConfig.Presets.Keys)}." };
        var config = new Option<FileInfo?>("--config") { Description = "A Hugging Face config.json, or dyno's own config format (docs/llm.md)." };
        var seq = new Option<int?>("--seq") { Description = "Prompt tokens per sequence (prefill). Default: the model's max_position_embeddings." };
        var batch = new Option<int?>("--batch") { Description = "Sequences processed together (default 1)." };
        var context = new Option<int?>("--context") { Description = "Tokens in the KV cache at the decode step, the new one included (default: --seq)." };
        var hardware = new Option<string?>("--hardware") { Description = "A device for roofline bounds (see docs/hardware.md), e.g. h100, a100, jetson-orin-nano." };
        var hardwareFile = new Option<FileInfo?>("--hardware-file") { Description = "A JSON file of extra devices (same shape as the built-in database)." };
        var precision = new Option<string?>("--precision") { Description = "Compute precision for the hardware peak, and the default for the others: fp32, tf32, fp16, bf16, int8, int4 (default fp16)." };
        var weightPrecision = new Option<string?>("--weight-precision") { Description = "Precision of stored weights (default: --precision), e.g. int4 for weight-only quantization." };
        var activationPrecision = new Option<string?>("--activation-precision") { Description = "Precision of activations (default: --precision)." };
        var kvPrecision = new Option<string?>("--kv-precision") { Description = "Precision of the KV cache (default: the activation precision)." };

        var cmd = new Command("llm", "Transformer/LLM calculator: parameters, matmul MACs, prefill and per-token FLOPs, KV cache, memory traffic, and roofline-bound time to first token and tokens/s on a device.")
        {
            preset, config, seq, batch, context, hardware, hardwareFile, precision, weightPrecision, activationPrecision, kvPrecision,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var presetName = parse.GetValue(preset);
            var file = parse.GetValue(config);
            if (presetName is null == file is null) throw new UsageException("give --preset NAME or --config FILE (one of them)");
            var loaded = file is not null ? TransformerConfig.Load(file.FullName) : new ConfigFile(TransformerConfig.Preset(presetName!), new LlmWorkload());
            var workload = loaded.Workload.Override(new LlmWorkload
            {
                Seq = parse.GetValue(seq),
                Batch = parse.GetValue(batch),
                Context = parse.GetValue(context),
                WeightPrecision = parse.GetValue(weightPrecision) is { } wp ? HardwareProfile.ParsePrecision(wp) : null,
                ActivationPrecision = parse.GetValue(activationPrecision) is { } ap ? HardwareProfile.ParsePrecision(ap) : null,
                KvCachePrecision = parse.GetValue(kvPrecision) is { } kp ? HardwareProfile.ParsePrecision(kp) : null,
            });
            var compute = HardwareProfile.ParsePrecision(parse.GetValue(precision) ?? "fp16");
            var scenario = LlmScenario.Resolve(loaded.Config, workload, compute);
            if (workload.Context is { } ctx && ctx < scenario.Seq)
                throw new UsageException($"--context {ctx} is shorter than --seq {scenario.Seq}: the KV cache at the decode step holds the whole prompt (context >= seq)");

            HardwareProfile? device = null;
            var deviceName = parse.GetValue(hardware);
            var deviceFile = parse.GetValue(hardwareFile);
            if (deviceName is not null || deviceFile is not null)
            {
                if (deviceName is null) throw new UsageException("--hardware-file adds devices; name the one to use with --hardware NAME");
                var db = HardwareDatabase.BuiltIn();
                if (deviceFile is not null) db = db.With(deviceFile.FullName);
                device = db.Find(deviceName);
            }

            var estimate = LlmCalculator.Estimate(loaded.Config, scenario, device);
            common.Emit(parse, new CommandOutput(ResultKinds.Llm, estimate, Tables(estimate), estimate.Notes));
            if (!parse.GetValue(common.Quiet))
                foreach (var n in estimate.Notes) Console.Error.WriteLine("dyno: note: " + n);
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static IReadOnlyList<ResultTable> Tables(LlmEstimate e)
    {
        var c = e.Architecture;
        var s = e.Scenario;
        var decoder = c.Kind == TransformerKind.Decoder;
        string P(Precision p) => HardwareProfile.Key(p);
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "model", $"{e.Model} ({c.Kind.ToString().ToLowerInvariant()}: {c.Layers} layers, hidden {c.Hidden}, {c.Heads} heads / {c.KvHeads} kv, head_dim {c.HeadDim}, intermediate {c.Intermediate}, vocab {c.Vocab})" },
            new[] { "workload", $"seq {s.Seq}, batch {s.Batch}" + (decoder ? $", context {s.Context}" : "") },
            new[] { "precisions", $"compute {P(s.Compute)}, weights {P(s.Weights)}, activations {P(s.Activations)}, KV cache {P(s.KvCache)}" },
            new[] { "params", $"{Fmt.Int(e.Params)} ({Fmt.Si(e.Params)})" },
            new[] { "matmul params (N)", Fmt.Int(e.MatmulParams) },
            new[] { "weights", Fmt.Bytes(e.WeightBytes) },
            new[] { "matmul MACs (prefill)", Fmt.Int(e.MatmulMacs) },
            new[] { "FLOPs prefill", Fmt.Int(e.FlopsPrefill) },
            new[] { "FLOPs prefill, causal", Fmt.Int(e.FlopsPrefillCausal) },
            new[] { decoder ? "FLOPs per decoded token" : "FLOPs per token", Count(e.FlopsPerToken) },
            new[] { "FLOPs per token, mean / causal mean", $"{Fmt.Si(e.FlopsPerTokenMean)} / {Fmt.Si(e.FlopsPerTokenMeanCausal)}" },
            new[] { "training FLOPs per token (6N + 12LHQT)", Fmt.Int(e.TrainingFlopsPerToken) },
        };
        if (decoder)
            rows.Add(["KV cache", $"{Fmt.Bytes(e.KvCacheBytes)} ({Fmt.Bytes(e.KvCacheBytesPerToken)} per token)"]);
        var summary = new ResultTable("LLM", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)], rows);

        var steps = new List<(string Name, StepCost Cost, RooflineTime? Time)> { (decoder ? "prefill" : "forward", e.Prefill, e.Roofline?.Prefill) };
        if (e.Decode is not null) steps.Add(("decode step", e.Decode, e.Roofline?.Decode));
        var roofCols = new List<ResultColumn>
        {
            new("Step"), new("Tokens", ColumnAlign.Right), new("FLOPs", ColumnAlign.Right), new("Weights", ColumnAlign.Right),
            new("Activations", ColumnAlign.Right), new("KV read", ColumnAlign.Right), new("KV write", ColumnAlign.Right), new("FLOP/B", ColumnAlign.Right),
        };
        if (e.Roofline is not null)
            roofCols.AddRange([new("Compute time", ColumnAlign.Right), new("Memory time", ColumnAlign.Right), new("Bound time", ColumnAlign.Right), new("Bound")]);
        var traffic = new ResultTable(e.Roofline is null ? "Traffic per step" : $"Roofline on {e.Roofline.Title} at {P(e.Roofline.Precision)}", roofCols,
            steps.Select(x =>
            {
                var row = new List<string>
                {
                    x.Name, Fmt.Int(x.Cost.Tokens), Fmt.Si(x.Cost.Flops), Fmt.Bytes(x.Cost.WeightBytes), Fmt.Bytes(x.Cost.ActivationBytes),
                    Fmt.Bytes(x.Cost.KvCacheReadBytes), Fmt.Bytes(x.Cost.KvCacheWriteBytes), Fmt.Num(x.Cost.ArithmeticIntensity, 1),
                };
                if (x.Time is { } t) row.AddRange([Seconds(t.ComputeSeconds), Seconds(t.MemorySeconds), Seconds(t.Seconds), HardwareText.Bound(t.Bound)]);
                return (IReadOnlyList<string>)row;
            }).ToList());
        if (e.Roofline is { } r)
        {
            var notes = new List<string> { $"peak {Fmt.Si(r.PeakFlops, "FLOP/s")}, bandwidth {Fmt.Si(r.BandwidthBytesPerSecond, "B/s")}, ridge {Fmt.Num(r.Ridge, 1)} FLOP/B" };
            notes.Add((decoder ? "time to first token " : "forward latency ") + Seconds(r.TimeToFirstTokenSeconds)
                      + (r.TokensPerSecond is { } tps ? $"; {tps.ToString("0.#", CultureInfo.InvariantCulture)} tokens/s ({r.TokensPerSecondPerSequence!.Value.ToString("0.#", CultureInfo.InvariantCulture)} per sequence)" : ""));
            traffic = traffic with { Notes = notes };
        }
        return [summary, traffic];
    }

    private static string Count(double v) => v == Math.Floor(v) ? Fmt.Int((long)v) : v.ToString("N1", CultureInfo.InvariantCulture);

    private static string Seconds(double s) => s >= 1 ? Fmt.Num(s, 3) + " s" : s >= 1e-3 ? Fmt.Num(s * 1e3, 3) + " ms" : Fmt.Num(s * 1e6, 3) + " µs";
}
