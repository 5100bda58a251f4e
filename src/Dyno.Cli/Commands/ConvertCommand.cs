using System.CommandLine;
using System.Diagnostics;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Reports;
using Dyno.Runtime.Variants;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno convert MODEL --to fp16 --out M.fp16.onnx</c>: a float16 variant of a float32 model.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var model = new Argument<FileInfo>("MODEL") { Description = "The float32 ONNX model." };
        var to = new Option<string>("--to") { Description = "Target precision: fp16.", Required = true };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the converted model (atomically).", Required = true };
        var keepIo = new Option<bool>("--keep-io-types") { Description = "Keep float32 graph inputs and outputs, with Cast nodes next to them (onnxconverter-common keep_io_types).", DefaultValueFactory = _ => true };
        var block = new Option<string[]>("--block-ops") { Description = $"Operator types kept in float32, comma-separated (default onnxconverter-common's list: {string.Join(",", Float16Options.DefaultOpBlockList)}).", AllowMultipleArgumentsPerToken = true };
        var blockNodes = new Option<string[]>("--block-nodes") { Description = "Node names kept in float32, comma-separated.", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("convert", "Make a float16 variant of a model (like onnxconverter-common's convert_float_to_float16 with keep_io_types): weights and activations in float16, float32 at the graph inputs/outputs and for the blocked ops.")
        {
            model, to, output, keepIo, block, blockNodes,
        };
        cmd.Options.Add(common.Format);
        cmd.Options.Add(common.Quiet);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var src = parse.GetValue(model)!;
            if (!src.Exists) throw new FileNotFoundException($"{src.FullName}: no such file", src.FullName);
            var target = parse.GetValue(to)!.Trim().ToLowerInvariant();
            if (target is not ("fp16" or "float16")) throw new UsageException($"--to {parse.GetValue(to)}: only fp16 is supported (INT8 is 'dyno quantize')");
            var dst = parse.GetValue(output)!;
            if (dst.FullName == src.FullName) throw new UsageException($"--out {dst.FullName}: is the input model; choose another file");
            var options = new Float16Options
            {
                KeepIoTypes = parse.GetValue(keepIo),
                OpBlockList = VariantArgs.List(parse.GetValue(block)) ?? Float16Options.DefaultOpBlockList,
                NodeBlockList = VariantArgs.List(parse.GetValue(blockNodes)) ?? [],
            };
            var sw = Stopwatch.StartNew();
            var report = Float16Converter.Convert(src.FullName, dst.FullName, options);
            var seconds = sw.Elapsed.TotalSeconds;
            var (before, after) = VariantArgs.Weights(src.FullName, dst.FullName);
            if (!parse.GetValue(common.Quiet)) Console.Error.WriteLine($"dyno: wrote {dst.FullName}");
            var json = new
            {
                model = src.FullName,
                output = dst.FullName,
                variant = "fp16",
                file_bytes = dst.Length,
                source_file_bytes = src.Length,
                weight_bytes = after.Totals.WeightBytes,
                source_weight_bytes = before.Totals.WeightBytes,
                weight_bytes_ratio = before.Totals.WeightBytes > 0 ? (double)after.Totals.WeightBytes / before.Totals.WeightBytes : 0,
                weights_by_dtype = after.WeightsByDtype,
                converted_initializers = report.ConvertedInitializers,
                kept_float32_initializers = report.KeptFloat32Initializers,
                converted_constants = report.ConvertedConstants,
                clamped_values = report.ClampedValues,
                max_abs_rounding_error = report.MaxAbsRoundingError,
                blocked_nodes = report.BlockedNodes,
                casts_inserted = report.CastsInserted,
                keep_io_types = options.KeepIoTypes,
                block_ops = options.OpBlockList,
                seconds,
            };
            var table = new ResultTable($"{src.Name} -> {dst.Name} (fp16)", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            [
                ["file size", $"{Fmt.Bytes(src.Length)} -> {Fmt.Bytes(dst.Length)}"],
                ["weight bytes (dyno profile)", $"{Fmt.Bytes(before.Totals.WeightBytes)} -> {Fmt.Bytes(after.Totals.WeightBytes)} ({Fmt.Pct(json.weight_bytes_ratio)})"],
                ["initializers to float16", Fmt.Int(report.ConvertedInitializers)],
                ["initializers kept float32 (read only by blocked ops)", Fmt.Int(report.KeptFloat32Initializers)],
                ["Constant tensors to float16", Fmt.Int(report.ConvertedConstants)],
                ["values clamped to [1e-7, 1e4] in magnitude", Fmt.Int(report.ClampedValues)],
                ["largest weight rounding error", report.MaxAbsRoundingError.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)],
                ["blocked nodes (float32)", Fmt.Int(report.BlockedNodes)],
                ["Cast nodes added", Fmt.Int(report.CastsInserted)],
                ["took", $"{seconds:F2} s"],
            ])
            { Notes = ["float32 graph inputs/outputs are kept behind Cast nodes (keep_io_types); see docs/variants.md for what stays float32."] };
            common.EmitToStdout(parse, new CommandOutput(ResultKinds.Convert, json, [table]));
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}

/// <summary>Pieces shared by <c>convert</c> and <c>quantize</c>.</summary>
internal static class VariantArgs
{
    /// <summary>Comma- or space-separated names, or null when none were given.</summary>
    public static IReadOnlyList<string>? List(string[]? values)
    {
        if (values is null || values.Length == 0) return null;
        return values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
    }

    /// <summary>Dyno's static profile of the source and the variant (weights counted at their stored widths).</summary>
    public static (ModelProfile Before, ModelProfile After) Weights(string source, string variant)
    {
        using var a = OnnxModel.Load(source);
        using var b = OnnxModel.Load(variant);
        return (ModelProfiler.Profile(a), ModelProfiler.Profile(b));
    }
}
