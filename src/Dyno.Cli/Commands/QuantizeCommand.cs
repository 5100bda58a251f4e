using System.CommandLine;
using System.Diagnostics;
using Dyno.Cli.Infrastructure;
using Dyno.Runtime.Val;
using Dyno.Models.Onnx;
using Dyno.Reports;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Variants;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno quantize MODEL --calib DATA --out M.int8.onnx</c>: static INT8 quantization in QDQ format.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var model = new Argument<FileInfo>("MODEL") { Description = "The float32 ONNX model." };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the quantized model (atomically).", Required = true };
        var calib = new Option<string>("--calib") { Description = "Calibration inputs: images (a folder of images at any depth, or an Ultralytics data YAML's val split), preprocessed as dyno val does for the model's task; or a folder of preprocessed .npy/.npy.gz tensors (one file per sample for a one-input model, else one subfolder per sample with NAME.npy per input).", Required = true };
        var calibTask = new Option<string?>("--task") { Description = "With image calibration: det, cls or seg, for the task's default preprocessing (default: from the model's metadata or outputs)." };
        var imgsz = new Option<string?>("--imgsz") { Description = "With image calibration: input size for a model with a dynamic input size." };
        var preprocess = new Option<string?>("--preprocess") { Description = "With image calibration: letterbox, resize or crop (default per task, as dyno val)." };
        var cropFraction = new Option<double>("--crop-fraction") { Description = "With image calibration: centre-crop fraction.", DefaultValueFactory = _ => 0.875 };
        var pad = new Option<int>("--pad-value") { Description = "With image calibration: letterbox padding value.", DefaultValueFactory = _ => 114 };
        var normalize = new Option<string?>("--normalize") { Description = "With image calibration: none, imagenet or 'm,m,m/s,s,s' (default per task, as dyno val)." };
        var bgr = new Option<bool>("--bgr") { Description = "With image calibration: feed BGR." };
        var count = new Option<int?>("--calib-count") { Description = "Use the first N samples (file name order; default all)." };
        var method = new Option<string>("--method") { Description = "Calibration: minmax or percentile.", DefaultValueFactory = _ => "minmax" };
        var percentile = new Option<double>("--percentile") { Description = "Percentile kept by --method percentile.", DefaultValueFactory = _ => 99.999 };
        var act = new Option<string>("--activation-type") { Description = "Activation type: uint8 or int8 (both asymmetric).", DefaultValueFactory = _ => "uint8" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "One weight scale per tensor instead of per output channel." };
        var ops = new Option<string[]>("--op-types") { Description = "Operator types to quantize, comma-separated (default onnxruntime's quantize_static list).", AllowMultipleArgumentsPerToken = true };
        var exclude = new Option<string[]>("--exclude-nodes") { Description = "Node names left in float, comma-separated.", AllowMultipleArgumentsPerToken = true };
        var tail = new Option<bool>("--quantize-tail") { Description = "Also quantize the post-processing after the last Conv/Gemm/MatMul (onnxruntime does; Dyno keeps it float by default)." };
        var cmd = new Command("quantize", "Static post-training INT8 quantization in QDQ format (onnxruntime quantize_static conventions): per-channel symmetric int8 weights, uint8/int8 activations calibrated with min/max or a percentile.")
        {
            model, output, calib, count, method, percentile, act, perTensor, ops, exclude, tail, calibTask, imgsz, preprocess, cropFraction, pad, normalize, bgr,
        };
        cmd.Options.Add(common.Format);
        cmd.Options.Add(common.Quiet);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var src = parse.GetValue(model)!;
            if (!src.Exists) throw new FileNotFoundException($"{src.FullName}: no such file", src.FullName);
            var dst = parse.GetValue(output)!;
            if (dst.FullName == src.FullName) throw new UsageException($"--out {dst.FullName}: is the input model; choose another file");
            var m = parse.GetValue(method)!.Trim().ToLowerInvariant() switch
            {
                "minmax" => CalibrationMethod.MinMax,
                "percentile" => CalibrationMethod.Percentile,
                var x => throw new UsageException($"--method {x}: expected minmax or percentile"),
            };
            var p = parse.GetValue(percentile);
            if (p is <= 50 or > 100) throw new UsageException($"--percentile {p}: expected a value in (50, 100], e.g. 99.999");
            var a = parse.GetValue(act)!.Trim().ToLowerInvariant() switch
            {
                "uint8" => ActivationType.UInt8,
                "int8" => ActivationType.Int8,
                var x => throw new UsageException($"--activation-type {x}: expected uint8 or int8"),
            };
            var options = new QuantizeOptions
            {
                Method = m,
                Percentile = p,
                ActivationType = a,
                PerChannel = !parse.GetValue(perTensor),
                OpTypes = VariantArgs.List(parse.GetValue(ops)) ?? QuantizeOptions.DefaultOpTypes,
                ExcludeNodes = VariantArgs.List(parse.GetValue(exclude)) ?? [],
                QuantizeTail = parse.GetValue(tail),
            };
            List<InputSpec> inputs;
            using (var onnx = OnnxModel.Load(src.FullName))
            {
                var inits = onnx.Graph.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
                inputs = onnx.Graph.Inputs.Where(i => !inits.Contains(i.Name))
                    .Select(i => new InputSpec(i.Name, i.ElemType, i.Shape?.Select(d => d.IsKnown ? d.Value : -1).ToArray() ?? [])).ToList();
            }
            foreach (var i in inputs)
                if (i.DataType != DataType.Float) throw new InvalidDataException($"{src.FullName}: input '{i.Name}' is {DataTypes.Name(i.DataType)}; calibration feeds float32 inputs only");
            var calibPath = Path.GetFullPath(parse.GetValue(calib)!);
            if (!File.Exists(calibPath) && !Directory.Exists(calibPath)) throw new FileNotFoundException($"{calibPath}: calibration data not found (--calib)");
            var n = parse.GetValue(count);
            if (n is < 1) throw new UsageException($"--calib-count must be at least 1, got {n}");
            IEnumerable<IReadOnlyDictionary<string, Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>>> data;
            int samples;
            if (ImageCalibrationSet.IsImageSource(calibPath))
            {
                if (inputs.Count != 1) throw new InvalidDataException($"{src.FullName}: image calibration needs a model with one image input, it has {inputs.Count}");
                using var onnx = OnnxModel.Load(src.FullName);
                var t = ValSetup.ResolveTask(ValCommand.ParseTask(parse.GetValue(calibTask)), calibPath, onnx);
                var pre = ValSetup.Preprocess(onnx, t, ValCommand.BuildRequest(parse, imgsz, preprocess, cropFraction, pad, normalize, bgr));
                var set = new ImageCalibrationSet(inputs[0].Name, ImageCalibrationSet.FindImages(calibPath, n), pre);
                data = set;
                samples = set.Count;
            }
            else
            {
                var npy = CalibrationData.FromNpyDirectory(calibPath, inputs, n);
                data = npy;
                samples = npy.Count;
            }
            var quiet = parse.GetValue(common.Quiet);
            if (!quiet) Console.Error.WriteLine($"dyno quantize: calibrating {src.Name} on {samples} samples ({(m == CalibrationMethod.MinMax ? "min/max" : $"percentile {p}")})...");
            var sw = Stopwatch.StartNew();
            var report = QdqQuantizer.Quantize(src.FullName, dst.FullName, data, options, quiet ? null : s => Console.Error.WriteLine("dyno quantize: " + s));
            var seconds = sw.Elapsed.TotalSeconds;
            var (before, after) = VariantArgs.Weights(src.FullName, dst.FullName);
            if (!quiet) Console.Error.WriteLine($"dyno: wrote {dst.FullName}");
            var json = new
            {
                model = src.FullName,
                output = dst.FullName,
                variant = "int8",
                file_bytes = dst.Length,
                source_file_bytes = src.Length,
                weight_bytes = after.Totals.WeightBytes,
                source_weight_bytes = before.Totals.WeightBytes,
                weight_bytes_ratio = before.Totals.WeightBytes > 0 ? (double)after.Totals.WeightBytes / before.Totals.WeightBytes : 0,
                weights_by_dtype = after.WeightsByDtype,
                format = "qdq",
                activation_type = a == ActivationType.UInt8 ? "uint8" : "int8",
                weight_type = "int8",
                per_channel = options.PerChannel,
                calibration = new
                {
                    method = m == CalibrationMethod.MinMax ? "minmax" : "percentile",
                    percentile = m == CalibrationMethod.Percentile ? p : (double?)null,
                    samples = report.CalibrationSamples,
                    tensors = report.CalibratedTensors,
                    seconds = report.CalibrationSeconds,
                },
                quantized_nodes = report.QuantizedNodes,
                quantized_weights = report.Weights,
                quantized_biases = report.Biases,
                quantized_activations = report.Activations,
                removed_activations = report.RemovedActivations,
                float_tail_nodes = report.TailNodes,
                notes = report.Notes,
                seconds,
            };
            var table = new ResultTable($"{src.Name} -> {dst.Name} (int8 QDQ)", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            [
                ["file size", $"{Fmt.Bytes(src.Length)} -> {Fmt.Bytes(dst.Length)}"],
                ["weight bytes (dyno profile)", $"{Fmt.Bytes(before.Totals.WeightBytes)} -> {Fmt.Bytes(after.Totals.WeightBytes)} ({Fmt.Pct(json.weight_bytes_ratio)})"],
                ["calibration", $"{json.calibration.method}, {report.CalibrationSamples} samples, {report.CalibratedTensors} tensors, {report.CalibrationSeconds:F2} s"],
                ["activations", $"{json.activation_type}, asymmetric, per tensor"],
                ["weights (int8, symmetric)", $"{Fmt.Int(report.Weights)} tensors, {(options.PerChannel ? "per channel" : "per tensor")}"],
                ["biases (int32)", Fmt.Int(report.Biases)],
                ["Q/DQ pairs on activations", Fmt.Int(report.Activations)],
                ["Relu/Clip folded into Q/DQ", Fmt.Int(report.RemovedActivations)],
                ["post-processing nodes kept float", Fmt.Int(report.TailNodes)],
                ["took", $"{seconds:F2} s"],
            ])
            { Notes = [.. report.Notes, "QDQ format as onnxruntime's quantize_static writes it; where Dyno differs: docs/variants.md."] };
            common.EmitToStdout(parse, new CommandOutput(ResultKinds.Quantize, json, [table]));
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}
