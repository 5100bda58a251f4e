using System.Text.Json;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>Boundary IoU against boundary-iou-api (tests/fixtures/coco/boundary/make_expected.py) on the segm fixtures.</summary>
public class BoundaryIouTests
{
    private static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("real")]
    [InlineData("real_r0.005")]
    public void Every_summary_number_equals_boundary_iou_api(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(CocoEvaluatorTests.Fixture("boundary/expected_boundary.json")));
        var c = doc.RootElement.GetProperty("cases").GetProperty(name);
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture(c.GetProperty("gt").GetString()!), CocoIouType.Segm);
        var dt = CocoDetections.Load(CocoEvaluatorTests.Fixture(c.GetProperty("dt").GetString()!), gt, CocoIouType.Segm);
        var ratio = c.GetProperty("dilation_ratio").GetDouble();
        var r = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { IouType = CocoIouType.Segm, BoundaryDilationRatio = ratio });
        Assert.Equal(StatNames, r.Stats.Keys);
        foreach (var s in StatNames)
        {
            var e = c.GetProperty("stats").GetProperty(s).GetDouble();
            Assert.True(Math.Abs(r.Stats[s] - e) <= 1e-12, $"{name} {s}: {r.Stats[s]:R} vs boundary-iou-api {e:R}");
            Assert.Equal(e, r.Stats[s]);
        }
        Assert.Equal("boundary", r.Protocol.IouType);
        Assert.Equal(ratio, r.Protocol.BoundaryDilationRatio);
        // and it is not the mask IoU's result
        Assert.NotEqual(CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { IouType = CocoIouType.Segm }).Stats["AP"], r.Stats["AP"]);
    }

    [Fact]
    public void Boundary_of_a_mask_touching_the_image_edge_includes_the_edge()
    {
        // 6 x 5 image (h 6, w 5), foreground everywhere: eroding by d = 1 with zero padding leaves the inner 4 x 3
        var b = BoundaryIou.Boundary([0u, 30u], 6, 5, 1);
        var bits = Decode(b, 30);
        for (var x = 0; x < 5; x++)
            for (var y = 0; y < 6; y++)
                Assert.Equal(x == 0 || x == 4 || y == 0 || y == 5, bits[x * 6 + y]);
        Assert.Equal(1, BoundaryIou.Dilation(0.02, 6, 5)); // round(0.156) = 0 -> at least 1
        Assert.Equal(16, BoundaryIou.Dilation(0.02, 480, 640)); // round(0.02 * 800)
        Assert.Equal([30u], BoundaryIou.Boundary([30u], 6, 5, 1)); // empty mask, empty boundary
    }

    private static bool[] Decode(uint[] runs, int n)
    {
        var bits = new bool[n];
        var p = 0;
        for (var j = 0; j < runs.Length; j++)
        {
            for (var k = 0; k < runs[j]; k++) bits[p + k] = (j & 1) == 1;
            p += (int)runs[j];
        }
        Assert.Equal(n, p);
        return bits;
    }
}
