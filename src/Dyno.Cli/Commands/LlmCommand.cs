using System.CommandLine;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Reports.Presenters;

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
            common.Emit(parse, CommandOutput.Of(LlmPresenter.Instance, estimate));
            if (!parse.GetValue(common.Quiet))
                foreach (var n in estimate.Notes) Console.Error.WriteLine("dyno: note: " + n);
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}
