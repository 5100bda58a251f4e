using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Models.Onnx;
using Dyno.Models.Roofline;

namespace Dyno.Models.Tests.Roofline;

public class RooflineTests
{
    private static ModelProfile MatVec()
    {
        var path = new OnnxBuilder().Input("x", 1, 1, 1024).Initializer("w", 1, [1024, 1024])
            .Node("MatMul", ["x", "w"], ["y"], "mm").Node("Relu", ["y"], ["z"], "act").Output("z", 1, 1, 1024).Save();
        using var model = OnnxModel.Load(path);
        return ModelProfiler.Profile(model);
    }

    [Fact]
    public void MatrixVectorIsMemoryBoundOnH100()
    {
        var r = RooflineAnalyzer.Analyze(MatVec(), HardwareDatabase.BuiltIn().Find("h100"), Precision.Fp16);
        var mm = r.Nodes[0];
        // flops 2 x 1024 x 1024; bytes at fp16: x 2,048 + w 2,097,152 + y 2,048 = 2,101,248
        Assert.Equal(2_097_152, mm.Flops);
        Assert.Equal(2_101_248, mm.Bytes);
        Assert.Equal(989.4e12 / 3350e9, r.RidgePoint, 1e-9);
        Assert.Equal(RooflineBound.Memory, mm.Bound);
        Assert.Equal(2_101_248 / 3350e9, mm.MinTimeSeconds, 1e-18);
        Assert.Equal(3350e9 * 2_097_152 / 2_101_248, mm.AttainableFlops, 1e-3);
        // Relu: 1,024 flops, 4,096 bytes at fp16
        Assert.Equal(4096 / 3350e9, r.Nodes[1].MinTimeSeconds, 1e-20);
        Assert.Equal(mm.MinTimeSeconds + r.Nodes[1].MinTimeSeconds, r.Totals.MinTimeSeconds, 1e-18);
    }

    [Fact]
    public void LargeMatmulIsComputeBound()
    {
        var path = new OnnxBuilder().Input("x", 1, 4096, 4096).Initializer("w", 1, [4096, 4096], externalFile: "absent")
            .Node("MatMul", ["x", "w"], ["y"], "mm").Output("y", 1, 4096, 4096).Save();
        using var model = OnnxModel.Load(path);
        var r = RooflineAnalyzer.Analyze(ModelProfiler.Profile(model), HardwareDatabase.BuiltIn().Find("a100"), Precision.Fp16);
        var flops = 2.0 * 4096 * 4096 * 4096;
        var bytes = 3.0 * 4096 * 4096 * 2;
        Assert.Equal(RooflineBound.Compute, r.Nodes[0].Bound);
        Assert.Equal(flops / bytes, r.Nodes[0].ArithmeticIntensity, 1e-9);
        Assert.Equal(flops / 312e12, r.Totals.MinTimeSeconds, 1e-15);
        Assert.ThrowsAny<ArgumentException>(() => RooflineAnalyzer.Analyze(ModelProfiler.Profile(model), HardwareDatabase.BuiltIn().Find("coral"), Precision.Fp16));
    }
}
