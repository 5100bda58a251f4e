using Dyno.Models.Analysis;
using Dyno.Models.Onnx;

namespace Dyno.Models.Tests.Analysis;

/// <summary>Peaks worked by hand: every tensor is 1,000 float32 = 4,000 bytes unless said otherwise.</summary>
public class MemoryPlannerTests
{
    private const int F32 = 1;

    private static MemoryPlan Plan(OnnxBuilder b)
    {
        using var model = OnnxModel.Load(b.Save());
        return ModelProfiler.Profile(model).Memory!;
    }

    [Fact]
    public void Chain()
    {
        // x -> a -> b -> c. Step 0: x,a; step 1: x,a,b (a's last use); step 2: x,b,c. x is the caller's, live throughout.
        var p = Plan(new OnnxBuilder().Input("x", F32, 1000)
            .Node("Relu", ["x"], ["a"], "r0").Node("Relu", ["a"], ["b"], "r1").Node("Relu", ["b"], ["c"], "r2").Output("c", F32, 1000));
        Assert.Equal([8000L, 12000, 12000], p.Timeline!);
        Assert.Equal(12000, p.PeakActivationBytes);
        Assert.Equal("r1", p.PeakNode);
        Assert.Equal(4000, p.InputBytes);
    }

    [Fact]
    public void Branches()
    {
        // x -> a, x -> b (wider: 2,000 floats via Concat), Add(a, a) keeps a and b... : a(4000) b(8000) y(4000)
        var p = Plan(new OnnxBuilder().Input("x", F32, 1000)
            .Node("Relu", ["x"], ["a"], "left")
            .Node("Concat", ["x", "x"], ["b"], "right", attributes: OnnxBuilder.IntAttr("axis", 0))
            .Node("Add", ["a", "a"], ["y"], "join")
            .Node("ReduceSum", ["b"], ["z"], "sum", attributes: OnnxBuilder.IntAttr("keepdims", 0))
            .Output("y", F32, 1000).Output("z", F32));
        // step0: x4000+a4000 = 8000; step1: +b8000 = 16000; step2: +y4000 = 20000 (a dies after); step3: x,b,y,z(4) = 16004
        Assert.Equal([8000L, 16000, 20000, 16004], p.Timeline!);
        Assert.Equal("join", p.PeakNode);
    }

    [Fact]
    public void ResidualKeepsTheSkipAlive()
    {
        // a = Relu(x); b = Relu(a); c = Relu(b); y = Add(a, c): a lives until the Add.
        var p = Plan(new OnnxBuilder().Input("x", F32, 1000)
            .Node("Relu", ["x"], ["a"], "r0").Node("Relu", ["a"], ["b"], "r1").Node("Relu", ["b"], ["c"], "r2")
            .Node("Add", ["a", "c"], ["y"], "skip").Output("y", F32, 1000));
        Assert.Equal([8000L, 12000, 16000, 16000], p.Timeline!);
        Assert.Equal(16000, p.PeakActivationBytes);
        Assert.Equal("r2", p.PeakNode);
        Assert.Equal(8000, p.PeakByPrecision!["fp16"]);
    }

    [Fact]
    public void WeightsAreNotActivations()
    {
        var p = Plan(new OnnxBuilder().Input("x", F32, 1, 1000)
            .Initializer("w", F32, [1000, 1000])
            .Node("MatMul", ["x", "w"], ["y"], "mm").Output("y", F32, 1, 1000));
        Assert.Equal(8000, p.PeakActivationBytes);
    }
}
