using System.Text.Json;
using Dyno.Metrics.Losses;

namespace Dyno.Metrics.Tests.Losses;

/// <summary>Values and autograd gradients computed by PyTorch 1.13 / torchvision 0.14 (fixtures/losses/gen_reference.py).</summary>
public class TorchReferenceTests
{
    private static readonly JsonElement[] Cases = Load();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Single(x => x.GetProperty("name").GetString() == name);
        var x = Doubles(c, "input");
        var red = c.TryGetProperty("reduction", out var r) && r.GetString() == "sum" ? Reduction.Sum : Reduction.Mean;
        double value;
        double[] grad;
        if (name.StartsWith("info_nce"))
        {
            var dim = c.GetProperty("dim").GetInt32();
            var pos = Ints(c, "positives");
            var tau = c.GetProperty("temperature").GetDouble();
            var res = name.Contains("symmetric")
                ? ContrastiveLoss.InfoNce(Doubles(c, "regions"), x, dim, pos, tau, symmetric: true)
                : ContrastiveLoss.InfoNce(x, Doubles(c, "texts"), dim, pos, tau);
            (value, grad) = (res.Value, name.Contains("symmetric") ? res.TextGradient : res.RegionGradient);
        }
        else
        {
            var res = name switch
            {
                _ when name.StartsWith("cross_entropy_plain") => CrossEntropyLoss.Compute(x, Classes(c), Ints(c, "targets"), reduction: red),
                _ when name.StartsWith("cross_entropy") => CrossEntropyLoss.Compute(x, Classes(c), Ints(c, "targets"), Doubles(c, "weights"),
                    c.GetProperty("label_smoothing").GetDouble(), red),
                "bce_with_logits" => BinaryCrossEntropyLoss.WithLogits(x, Doubles(c, "targets"), Doubles(c, "weights"), c.GetProperty("pos_weight").GetDouble()),
                _ when name.StartsWith("sigmoid_focal") => FocalLoss.Sigmoid(x, Doubles(c, "targets"), 0.25, 2, red),
                "softmax_focal_mean" => FocalLoss.Softmax(x, Classes(c), Ints(c, "targets")),
                "varifocal_mean" => VarifocalLoss.Compute(x, Doubles(c, "targets")),
                "dfl_mean" => DistributionFocalLoss.Compute(x, Classes(c), Doubles(c, "targets")),
                "smooth_l1_mean" => RegressionLoss.SmoothL1(x, Doubles(c, "targets"), c.GetProperty("beta").GetDouble()),
                "l1_sum" => RegressionLoss.L1(x, Doubles(c, "targets"), Reduction.Sum),
                "giou_loss_mean" => BoxLoss.Compute(BoxLossKind.GIou, x, Doubles(c, "targets")),
                "diou_loss_mean" => BoxLoss.Compute(BoxLossKind.DIou, x, Doubles(c, "targets")),
                "ciou_loss_mean" => BoxLoss.Compute(BoxLossKind.CIou, x, Doubles(c, "targets")),
                _ => throw new InvalidOperationException("no mapping for reference case " + name),
            };
            (value, grad) = (res.Value, res.Gradient);
        }
        Assert.Equal(c.GetProperty("value").GetDouble(), value, 1e-12 * Math.Max(1, Math.Abs(value)));
        var expected = Doubles(c, "grad");
        Assert.Equal(expected.Length, grad.Length);
        for (var k = 0; k < grad.Length; k++)
            Assert.True(Math.Abs(expected[k] - grad[k]) <= 1e-12 * Math.Max(1, Math.Abs(expected[k])),
                $"{name} gradient {k}: torch {expected[k]:R} vs {grad[k]:R}");
    }

    private static int Classes(JsonElement c) => c.GetProperty("classes").GetInt32();
    private static double[] Doubles(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
    private static int[] Ints(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static JsonElement[] Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "losses", "torch_reference.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToArray();
    }
}
