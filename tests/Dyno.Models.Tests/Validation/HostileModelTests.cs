using Dyno.Models.Analysis;
using Dyno.Models.Onnx;

namespace Dyno.Models.Tests.Validation;

/// <summary>Issue 15: hostile ONNX files give a clear InvalidDataException, never a wrong number, a crash or a probe.</summary>
public class HostileModelTests
{
    private const int F32 = 1, BOOL = 9;

    private static ModelProfile ProfileOf(OnnxBuilder b, OnnxReadLimits? limits = null)
    {
        using var model = OnnxModel.Load(b.Save(), limits);
        return ModelProfiler.Profile(model);
    }

    private static string Refused(OnnxBuilder b, OnnxReadLimits? limits = null) =>
        Assert.Throws<InvalidDataException>(() => ProfileOf(b, limits)).Message;

    [Theory]
    [InlineData("../../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("weights/../../outside.bin")]
    [InlineData("..")]
    public void ExternalDataOutsideTheModelFolderIsRefusedBeforeAnyProbe(string location)
    {
        var b = new OnnxBuilder().Input("x", F32, 1, 4).Initializer("w", F32, [4, 4], externalFile: location)
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", F32, 1, 4);
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(b.Save()));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("leaves the model's folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExternalDataInsideTheModelFolderIsStillShapeOnly()
    {
        var p = ProfileOf(new OnnxBuilder().Input("x", F32, 1, 4).Initializer("w", F32, [4, 4], externalFile: "sub/./w.bin")
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", F32, 1, 4));
        Assert.True(p.Model.ExternalDataMissing);
        Assert.Equal(16, p.Totals.Weights);
    }

    [Fact]
    public void ElementCountsPast2To63AreRefusedNotWrapped()
    {
        // [2^62, 4] has 2^64 elements: a wrapping product says 0 FLOPs with partial: false.
        var msg = Refused(new OnnxBuilder().Input("x", F32, 1L << 62, 4).Node("Relu", ["x"], ["y"], name: "relu").Output("y", F32, 1L << 62, 4));
        Assert.Contains("2^63", msg, StringComparison.Ordinal);
    }

    [Fact]
    public void LargeButRepresentableCountsAreExact()
    {
        // 2^29 x 2^30 elements: 2^59 FLOPs for a Relu and 2^62 bytes moved, exact.
        var p = ProfileOf(new OnnxBuilder().Input("x", F32, 1L << 29, 1L << 30).Node("Relu", ["x"], ["y"]).Output("y", F32, 1L << 29, 1L << 30));
        Assert.Equal(1L << 59, p.Totals.Flops);
        Assert.Equal(1L << 62, p.Totals.MemoryAccessBytes);
    }

    [Fact]
    public void ACycleIsRefused() =>
        Assert.Contains("cycle", Refused(new OnnxBuilder().Input("x", F32, 1, 4)
            .Node("Add", ["x", "b"], ["a"], name: "add").Node("Relu", ["a"], ["b"], name: "relu").Output("b", F32, 1, 4)), StringComparison.Ordinal);

    [Fact]
    public void ANodeInputNothingProducesIsRefused()
    {
        var msg = Refused(new OnnxBuilder().Input("x", F32, 1, 4).Node("Add", ["x", "ghost"], ["y"], name: "add").Output("y", F32, 1, 4));
        Assert.Contains("'add'", msg, StringComparison.Ordinal);
        Assert.Contains("'ghost'", msg, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOutputWrittenTwiceIsRefused() =>
        Assert.Contains("written by two nodes", Refused(new OnnxBuilder().Input("x", F32, 1, 4)
            .Node("Relu", ["x"], ["y"], name: "a").Node("Sigmoid", ["x"], ["y"], name: "b").Output("y", F32, 1, 4)), StringComparison.Ordinal);

    [Fact]
    public void RawDataShorterThanItsShapeIsRefused()
    {
        var msg = Refused(new OnnxBuilder().Input("x", F32, 1, 4).RawInitializer("w", F32, [4, 4], new byte[60])
            .Node("MatMul", ["x", "w"], ["y"]).Output("y", F32, 1, 4));
        Assert.Contains("'w' has 60 bytes of raw_data", msg, StringComparison.Ordinal);
        Assert.Contains("need 64", msg, StringComparison.Ordinal);
    }

    [Fact]
    public void NoOpsetImportIsRefused() =>
        Assert.Contains("imports no operator set", Refused(new OnnxBuilder { ImportOpset = false }.Input("x", F32, 1, 4)
            .Node("Relu", ["x"], ["y"]).Output("y", F32, 1, 4)), StringComparison.Ordinal);

    [Fact]
    public void AGraphOutputNothingProducesIsRefused() =>
        Assert.Contains("graph output 'z'", Refused(new OnnxBuilder().Input("x", F32, 1, 4)
            .Node("Relu", ["x"], ["y"]).Output("z", F32, 1, 4)), StringComparison.Ordinal);

    [Fact]
    public void NegativeDimsAreNotTakenAsDynamic()
    {
        var b = new OnnxBuilder().Input("x", F32, 1, -4).Node("Relu", ["x"], ["y"]).Output("y", F32, 1, 4);
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(b.Save()));
        Assert.Contains("'x' declares a negative dimension -4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsortedButAcyclicGraphsAreAccepted()
    {
        var p = ProfileOf(new OnnxBuilder().Input("x", F32, 1, 4)
            .Node("Relu", ["a"], ["y"]).Node("Sigmoid", ["x"], ["a"]).Output("y", F32, 1, 4));
        Assert.False(p.Totals.Partial);
        Assert.Equal(4 + 16, p.Totals.Flops);
    }

    /// <summary>If nodes nested <paramref name="depth"/> deep; the innermost branch is Identity(x).</summary>
    internal static OnnxBuilder NestedIfs(int depth)
    {
        static byte[] Leaf(string output) => new OnnxBuilder().Node("Identity", ["x"], [output]).Output(output, F32, 1, 4).GraphBytes("leaf");
        var body = Leaf("y0");
        for (var d = 1; d < depth; d++)
            body = new OnnxBuilder()
                .Node("If", ["c"], [$"y{d}"], attributes: [OnnxBuilder.GraphAttr("then_branch", body), OnnxBuilder.GraphAttr("else_branch", Leaf($"e{d}"))])
                .Output($"y{d}", F32, 1, 4).GraphBytes($"level{d}");
        return new OnnxBuilder().Input("x", F32, 1, 4).Input("c", BOOL)
            .Node("If", ["c"], ["y"], attributes: [OnnxBuilder.GraphAttr("then_branch", body), OnnxBuilder.GraphAttr("else_branch", Leaf("e"))])
            .Output("y", F32, 1, 4);
    }

    [Fact]
    public void SubgraphNestingHasADepthLimitWithAnOverride()
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(NestedIfs(100).Save()));
        Assert.Contains("nested more than 64 deep", e.Message, StringComparison.Ordinal);
        // the library names its own setting (the CLI prints it as --max-graph-depth)
        Assert.Contains("raise it with OnnxReadLimits.MaxGraphDepth", e.Message, StringComparison.Ordinal);
        Assert.Equal(["OnnxReadLimits.MaxGraphDepth"], DynoInputException.ParametersOf(e));
        var p = ProfileOf(NestedIfs(100), new OnnxReadLimits { MaxGraphDepth = 200 });
        Assert.Equal(200, p.Model.Subgraphs);
        Assert.False(p.Totals.Partial);
    }

    [Fact]
    public void TheCeilingDepthRunsWithoutExhaustingTheStack()
    {
        var p = ProfileOf(NestedIfs(OnnxReadLimits.MaxGraphDepthCeiling - 1), new OnnxReadLimits { MaxGraphDepth = OnnxReadLimits.MaxGraphDepthCeiling });
        Assert.Equal(2 * (OnnxReadLimits.MaxGraphDepthCeiling - 1), p.Model.Subgraphs);
    }
}
