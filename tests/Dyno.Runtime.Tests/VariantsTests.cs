using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Variants;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using StbImageSharp;

namespace Dyno.Runtime.Tests;

/// <summary>
/// The FP16 and INT8 variants of the shapes models (tests/fixtures/val) load in ONNX Runtime and agree with the
/// FP32 model on real inputs: the five preprocessed detector tensors of the reference pipeline and classifier crops.
/// </summary>
public class VariantsTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static string Val(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", "val", .. parts]);

    private static readonly InputSpec DetInput = new("images", DataType.Float, [1, 3, 320, 320]);
    private static readonly InputSpec ClsInput = new("input", DataType.Float, [1, 3, 64, 64]);

    private static List<DenseTensor<float>> DetInputs() =>
        Enumerable.Range(0, 5).Select(i => CalibrationData.ReadNpy(Val("expected", "tensors", $"det_input_00{i}.npy.gz"), DetInput)).ToList();

    /// <summary>The classifier crops with their labels, preprocessed as the fixture's README says: RGB, (v/255 - mean)/std, CHW.</summary>
    private static List<(int Label, DenseTensor<float> Tensor)> ClsCrops()
    {
        var classes = new[] { "circle", "cross", "ring", "square", "triangle" };
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var list = new List<(int, DenseTensor<float>)>();
        for (var c = 0; c < classes.Length; c++)
            foreach (var f in Directory.GetFiles(Val("cls", "val", classes[c]), "*.png").Order(StringComparer.Ordinal).Take(12))
            {
                var img = ImageResult.FromMemory(File.ReadAllBytes(f), ColorComponents.RedGreenBlue);
                Assert.Equal((64, 64), (img.Width, img.Height));
                var t = new DenseTensor<float>([1, 3, 64, 64]);
                for (var y = 0; y < 64; y++)
                    for (var x = 0; x < 64; x++)
                        for (var ch = 0; ch < 3; ch++)
                            t[0, ch, y, x] = ((float)img.Data[(y * 64 + x) * 3 + ch] / 255f - mean[ch]) / std[ch];
                list.Add((c, t));
            }
        return list;
    }

    private static float[] Run(InferenceSession s, string input, DenseTensor<float> t)
    {
        using var v = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, t.Buffer, t.Dimensions.ToArray().Select(d => (long)d).ToArray());
        using var outs = s.Run(new RunOptions(), [input], [v], [s.OutputNames[0]]);
        return outs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static InferenceSession Session(string path) => new(path, new SessionOptions { IntraOpNumThreads = 1 });

    private static IEnumerable<IReadOnlyDictionary<string, DenseTensor<float>>> Samples(string input, IEnumerable<DenseTensor<float>> ts) =>
        ts.Select(t => (IReadOnlyDictionary<string, DenseTensor<float>>)new Dictionary<string, DenseTensor<float>> { [input] = t }).ToList();

    /// <summary>
    /// v8 layout output0 [1, 9, 2100]: rows 0-3 boxes (cx, cy, w, h in input pixels), rows 4-8 class scores.
    /// Returns the largest score difference over all anchors and the largest box difference over the anchors
    /// the FP32 model scores above 0.25 (the ones that become detections).
    /// </summary>
    private static (double Score, double Box, int Confident) DetDiff(float[] a, float[] b) => DetDiff(a, b, []);

    private static (double Score, double Box, int Confident) DetDiff(float[] a, float[] b, List<double> boxDiffs)
    {
        const int n = 2100;
        double score = 0, box = 0;
        var confident = 0;
        for (var j = 0; j < n; j++)
        {
            var best = 0f;
            for (var c = 4; c < 9; c++)
            {
                best = Math.Max(best, a[c * n + j]);
                score = Math.Max(score, Math.Abs(a[c * n + j] - b[c * n + j]));
            }
            if (best <= 0.25f) continue;
            confident++;
            double worst = 0;
            for (var r = 0; r < 4; r++) worst = Math.Max(worst, Math.Abs(a[r * n + j] - b[r * n + j]));
            boxDiffs.Add(worst);
            box = Math.Max(box, worst);
        }
        return (score, box, confident);
    }

    [Theory]
    [InlineData("shapes_det_n_v8.onnx")]
    [InlineData("shapes_det_s_v8.onnx")]
    public void Fp16DetectorRunsInOnnxRuntimeAndAgreesWithFp32(string name)
    {
        var src = Val("models", name);
        var dst = Path.Combine(Directory.CreateTempSubdirectory("dyno-fp16-").FullName, "m.fp16.onnx");
        var report = Float16Converter.Convert(src, dst);
        Assert.Equal(2, report.BlockedNodes); // the two Resize nodes of the FPN stay float32
        Assert.Equal(0, report.KeptFloat32Initializers);

        // Weights at their stored width: exactly half of the FP32 bytes, all float16.
        using (var a = OnnxModel.Load(src))
        using (var b = OnnxModel.Load(dst))
        {
            var pa = ModelProfiler.Profile(a);
            var pb = ModelProfiler.Profile(b);
            Assert.Equal(pa.Totals.Weights, pb.Totals.Weights);
            Assert.Equal(pa.Totals.WeightBytes, 2 * pb.Totals.WeightBytes);
            Assert.Equal("float16", Assert.Single(pb.WeightsByDtype).Dtype);
            Assert.Equal(pa.Totals.DenseMacs, pb.Totals.DenseMacs);
            Assert.Equal(DataType.Float, b.Graph.Inputs[0].ElemType); // keep_io_types
            Assert.Equal(DataType.Float, b.Graph.Outputs[0].ElemType);
        }

        using var s32 = Session(src);
        using var s16 = Session(dst);
        foreach (var t in DetInputs())
        {
            var (score, box, confident) = DetDiff(Run(s32, "images", t), Run(s16, "images", t));
            log.WriteLine($"{name} fp16: max score diff {score:F5}, max box diff {box:F4} px over {confident} anchors");
            Assert.True(confident > 0);
            Assert.True(score < 0.005, $"fp16 score differs by {score}");
            Assert.True(box < 0.5, $"fp16 box differs by {box} px");
        }
    }

    [Theory]
    [InlineData("shapes_det_n_v8.onnx", CalibrationMethod.MinMax)]
    [InlineData("shapes_det_s_v8.onnx", CalibrationMethod.MinMax)]
    [InlineData("shapes_det_n_v8.onnx", CalibrationMethod.Percentile)]
    public void Int8DetectorRunsInOnnxRuntimeAndAgreesWithFp32(string name, CalibrationMethod method)
    {
        var src = Val("models", name);
        var dst = Path.Combine(Directory.CreateTempSubdirectory("dyno-int8-").FullName, "m.int8.onnx");
        var inputs = DetInputs();
        // Calibrate on four tensors; compare on all five (the fifth was not seen in calibration).
        var report = QdqQuantizer.Quantize(src, dst, Samples("images", inputs.Take(4)), new QuantizeOptions { Method = method });
        Assert.Equal(4, report.CalibrationSamples);
        Assert.Equal(28, report.Weights); // every Conv
        Assert.Equal(28, report.Biases);
        Assert.Equal(22, report.RemovedActivations); // every Conv -> Relu pair

        using (var a = OnnxModel.Load(src))
        using (var b = OnnxModel.Load(dst))
        {
            var pa = ModelProfiler.Profile(a);
            var pb = ModelProfiler.Profile(b);
            var int8 = pb.WeightsByDtype.Single(d => d.Dtype == "int8");
            var fp32 = pa.WeightsByDtype.Single();
            // Every FP32 weight element is now one int8 (conv weights and the per-channel int8 zero points, whose
            // count equals the bias count); int32 biases and the float32 scales add a few percent.
            Assert.Equal(fp32.Elements, int8.Elements);
            var ratio = (double)pb.Totals.WeightBytes / pa.Totals.WeightBytes;
            Assert.InRange(ratio, 0.25, 0.30);
            Assert.Equal(b.Graph.Nodes.Count(n => n.OpType == "DequantizeLinear"), b.Graph.Nodes.Count(n => n.OpType == "QuantizeLinear") + 56);
        }

        using var s32 = Session(src);
        using var s8 = Session(dst);
        var diffs = new List<double>();
        foreach (var t in inputs)
        {
            var (score, box, confident) = DetDiff(Run(s32, "images", t), Run(s8, "images", t), diffs);
            log.WriteLine($"{name} {method}: max score diff {score:F4}, max box diff {box:F3} px over {confident} anchors");
            Assert.True(confident > 0);
            // Calibrated on only four images, the fifth sees activations outside the calibrated ranges: the worst case.
            Assert.True(score < 0.2, $"int8 score differs by {score}");
            Assert.True(box < 6, $"int8 box differs by {box} px");
        }
        diffs.Sort();
        log.WriteLine($"{name} {method}: box diff median {diffs[diffs.Count / 2]:F3} p90 {diffs[(int)(diffs.Count * 0.9)]:F3} p99 {diffs[(int)(diffs.Count * 0.99)]:F3} max {diffs[^1]:F3} px over {diffs.Count} anchors");
        Assert.True(diffs[diffs.Count / 2] < 0.5, $"median box difference {diffs[diffs.Count / 2]} px");
        Assert.True(diffs[(int)(diffs.Count * 0.9)] < 1.0, $"p90 box difference {diffs[(int)(diffs.Count * 0.9)]} px");
    }

    [Fact]
    public void QuantizeTailReproducesOnnxruntimesQuantizedDetectorOutput()
    {
        // With onnxruntime's op coverage the concatenated [boxes | scores] output gets one uint8 scale, so every
        // score is 0 or that scale; Dyno's default keeps the tail float (the test above).
        var src = Val("models", "shapes_det_n_v8.onnx");
        var dst = Path.Combine(Directory.CreateTempSubdirectory("dyno-int8-").FullName, "tail.int8.onnx");
        var inputs = DetInputs();
        var report = QdqQuantizer.Quantize(src, dst, Samples("images", inputs), new QuantizeOptions { QuantizeTail = true });
        Assert.Equal(0, report.TailNodes);
        var m = ProtoModel.Load(dst);
        var scale = ProtoModel.Floats(m.Graph.Initializer.Single(t => t.Name == "output0_scale"))[0];
        Assert.InRange(scale, 1.0f, 1.5f);
        using var s8 = Session(dst);
        var scores = Run(s8, "images", inputs[4]).Skip(4 * 2100).ToArray();
        Assert.All(scores, v => Assert.True(v == 0f || v == scale, $"score {v}"));
        Assert.Contains(0f, scores);
    }

    [Fact]
    public void Int8ClassifierKeepsTop1OnHeldOutCrops()
    {
        var src = Val("models", "shapes_cls.onnx");
        var dst = Path.Combine(Directory.CreateTempSubdirectory("dyno-int8-").FullName, "cls.int8.onnx");
        var crops = ClsCrops();
        Assert.Equal(60, crops.Count);
        // Calibrate on the first 4 crops of each class, compare on the other 8 of each.
        var calib = crops.Where((_, i) => i % 12 < 4).Select(c => c.Tensor);
        var test = crops.Where((_, i) => i % 12 >= 4).ToList();
        var report = QdqQuantizer.Quantize(src, dst, Samples("input", calib), new QuantizeOptions());
        Assert.Equal(20, report.CalibrationSamples);
        Assert.Equal(11, report.Weights); // 10 Conv + the Gemm

        using var s32 = Session(src);
        using var s8 = Session(dst);
        int agree = 0, right32 = 0, right8 = 0;
        double maxLogit = 0;
        foreach (var (label, t) in test)
        {
            var a = Run(s32, "input", t);
            var b = Run(s8, "input", t);
            int ta = Array.IndexOf(a, a.Max()), tb = Array.IndexOf(b, b.Max());
            agree += ta == tb ? 1 : 0;
            right32 += ta == label ? 1 : 0;
            right8 += tb == label ? 1 : 0;
            for (var i = 0; i < a.Length; i++) maxLogit = Math.Max(maxLogit, Math.Abs(a[i] - b[i]));
        }
        log.WriteLine($"cls int8: top-1 agreement {agree}/40, fp32 top-1 {right32}/40, int8 top-1 {right8}/40, max logit diff {maxLogit:F4}");
        Assert.Equal(40, test.Count);
        Assert.True(agree >= 39, $"top-1 agreement {agree}/40");
        Assert.True(right8 >= right32 - 1, $"int8 top-1 {right8}/40 vs fp32 {right32}/40");
        Assert.True(maxLogit < 1.0, $"int8 logits differ by {maxLogit}");
    }

    [Fact]
    public void Fp16ClassifierAgreesWithFp32()
    {
        var src = Val("models", "shapes_cls.onnx");
        var dst = Path.Combine(Directory.CreateTempSubdirectory("dyno-fp16-").FullName, "cls.fp16.onnx");
        Float16Converter.Convert(src, dst);
        using var s32 = Session(src);
        using var s16 = Session(dst);
        foreach (var (_, t) in ClsCrops().Take(20))
        {
            var a = Run(s32, "input", t);
            var b = Run(s16, "input", t);
            Assert.Equal(Array.IndexOf(a, a.Max()), Array.IndexOf(b, b.Max()));
            var worst = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
            log.WriteLine($"cls fp16: max logit diff {worst:F5}");
            Assert.True(worst < 0.05, $"fp16 logits differ by {worst}");
        }
    }

    [Fact]
    public void ScaleAndZeroPointFollowOnnxRuntime()
    {
        // uint8 asymmetric: [rmin, rmax] widened to hold 0, scale = (rmax - rmin) / 255, zp = round(-rmin / scale).
        Assert.Equal((1f / 255f, 0), QuantMath.ScaleZeroPoint(0f, 1f, DataType.UInt8, symmetric: false));
        var (s, z) = QuantMath.ScaleZeroPoint(-1f, 3f, DataType.UInt8, symmetric: false);
        Assert.Equal((float)(4.0 / 255.0), s);
        Assert.Equal(64, z); // 63.75 rounds to 64
        // Range entirely positive: widened to [0, rmax].
        Assert.Equal(((float)(5.0 / 255.0), 0), QuantMath.ScaleZeroPoint(2f, 5f, DataType.UInt8, symmetric: false));
        // int8 symmetric weights: ±absmax onto ±127, zero point 0.
        Assert.Equal(((float)(2.0 * 0.5 / 254.0), 0), QuantMath.ScaleZeroPoint(-0.5f, 0.25f, DataType.Int8, symmetric: true));
        // A zero range gives scale 1, zero point 0.
        Assert.Equal((1f, 0), QuantMath.ScaleZeroPoint(0f, 0f, DataType.UInt8, symmetric: false));
        // Rounding is half to even, and values clip to the full range of the type.
        Assert.Equal([0, 2, 2, 4, 127, -128], QuantMath.Quantize([0.5f, 1.5f, 2.5f, 3.5f, 1000f, -1000f], 1f, 0, DataType.Int8));
    }

    [Fact]
    public void NpyCalibrationFolderIsReadInNameOrderAndChecked()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-calib-").FullName;
        foreach (var i in new[] { 3, 1, 2 }) File.Copy(Val("expected", "tensors", $"det_input_00{i}.npy.gz"), Path.Combine(dir, $"s{i}.npy.gz"));
        var set = CalibrationData.FromNpyDirectory(dir, [DetInput], sampleCount: 2);
        Assert.Equal(2, set.Count);
        Assert.Equal(["s1.npy.gz", "s2.npy.gz"], set.Files.Select(f => Path.GetFileName(f["images"])));
        Assert.Equal(3 * 320 * 320, set.First()["images"].Length);

        var e = Assert.Throws<InvalidDataException>(() => CalibrationData.FromNpyDirectory(dir, [ClsInput]).First());
        Assert.Contains("does not fit model input 'input'", e.Message);
        Assert.Throws<InvalidDataException>(() => CalibrationData.FromNpyDirectory(Directory.CreateTempSubdirectory().FullName, [DetInput]));
    }
}
