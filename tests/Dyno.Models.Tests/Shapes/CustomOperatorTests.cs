using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Models.Shapes;

namespace Dyno.Models.Tests.Shapes;

/// <summary>A model with a custom-domain op: unknown (partial totals) until its shape and cost are registered, then complete.</summary>
public sealed class CustomOperatorTests
{
    private const int F32 = 1;

    [Fact]
    public void A_registered_custom_op_makes_the_profile_complete()
    {
        var domain = "com.dyno-test." + Guid.NewGuid().ToString("N")[..8]; // registrations are process-wide
        var path = Path.Combine(Path.GetTempPath(), $"dyno-custom-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, new OnnxBuilder()
            .Input("x", F32, 2, 64)
            .Node("FancyAct", ["x"], ["h"], domain: domain)
            .Node("Relu", ["h"], ["y"])
            .Output("y", F32, 2, 64).Build());
        using (var before = OnnxModel.Load(path))
        {
            var p = ModelProfiler.Profile(before);
            Assert.True(p.Totals.Partial);
            Assert.Contains(p.Unresolved, u => u.OpType.EndsWith("FancyAct", StringComparison.Ordinal));
        }

        // Same shape as its input, 6 FLOPs per element (say, a polynomial activation).
        OperatorRegistry.Register(domain, "FancyAct", ctx => ctx.Out(0, ctx.Input(0)),
            (node, ins, outs) => (0, 6 * outs[0]!.ElementCount));
        using var after = OnnxModel.Load(path);
        var profile = ModelProfiler.Profile(after);
        Assert.False(profile.Totals.Partial);
        Assert.Empty(profile.Unresolved);
        Assert.Equal("2x64", profile.Nodes[0].OutputShapes[0]);
        Assert.Equal(6 * 128 + 128, profile.Totals.Flops); // FancyAct + Relu (1 per element)

        Assert.ThrowsAny<ArgumentException>(() => OperatorRegistry.Register("", "Relu", ctx => ctx.Out(0, ctx.Input(0))));
    }
}
