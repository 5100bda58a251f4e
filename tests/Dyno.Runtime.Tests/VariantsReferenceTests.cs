using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Dyno.Models.Onnx;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Variants;

namespace Dyno.Runtime.Tests;

/// <summary>
/// Bit-exact checks against numpy restatements of the reference tools' formulas
/// (tests/fixtures/val/variants/make_expected.py): onnxconverter-common's float16 conversion, onnxruntime's
/// per-channel symmetric int8 weight quantization and its percentile calibration.
/// </summary>
public class VariantsReferenceTests
{
    private static string Val(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", "val", .. parts]);

    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Val("variants", "expected.json"))).RootElement;

    private static string Sha(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(SHA256.HashData(b));

    [Theory]
    [InlineData("shapes_det_n_v8.onnx")]
    [InlineData("shapes_cls.onnx")]
    public void Float16InitializersEqualOnnxconverterCommon(string name)
    {
        var bytes = File.ReadAllBytes(Val("models", name));
        var converted = Float16Converter.Convert(bytes, name, new Float16Options(), out _);
        var m = ProtoModel.Parse(converted, name);
        var expected = Expected.GetProperty("fp16").GetProperty(name);
        var n = 0;
        foreach (var e in expected.EnumerateObject())
        {
            var t = m.Graph.Initializer.Single(x => x.Name == e.Name);
            Assert.Equal((int)DataType.Float16, t.DataType);
            Assert.Equal(e.Value.GetString(), Sha(t.RawData.Span));
            n++;
        }
        Assert.True(n > 10);
    }

    [Theory]
    [InlineData("shapes_det_n_v8.onnx")]
    [InlineData("shapes_cls.onnx")]
    public void PerChannelInt8WeightsEqualOnnxruntime(string name)
    {
        var m = ProtoModel.Load(Val("models", name));
        var expected = Expected.GetProperty("int8_weights").GetProperty(name);
        foreach (var e in expected.EnumerateObject())
        {
            var t = m.Graph.Initializer.Single(x => x.Name == e.Name);
            var (q, scales) = QuantMath.QuantizeWeight(ProtoModel.Floats(t), ProtoModel.Dims(t), e.Value.GetProperty("axis").GetInt32());
            Assert.Equal(e.Value.GetProperty("scales").EnumerateArray().Select(x => (float)x.GetDouble()), scales);
            var int8 = q.Select(v => (sbyte)v).ToArray();
            Assert.Equal(e.Value.GetProperty("sha256").GetString(), Sha(MemoryMarshal.AsBytes(int8.AsSpan())));
        }
    }

    [Fact]
    public void PercentileRangesEqualOnnxruntimeHistogramCollector()
    {
        foreach (var e in Expected.GetProperty("percentile").EnumerateArray())
        {
            var path = Val("variants", e.GetProperty("file").GetString()!);
            var data = CalibrationData.ReadNpy(path, new InputSpec("x", DataType.Float, [-1]));
            var r = Calibrator.RangeOf(data.Buffer.Span, CalibrationMethod.Percentile, e.GetProperty("percentile").GetDouble());
            Assert.Equal((float)e.GetProperty("min").GetDouble(), r.Min);
            Assert.Equal((float)e.GetProperty("max").GetDouble(), r.Max);
        }
    }
}
