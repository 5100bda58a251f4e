using System.Text.Json;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;

namespace Dyno.Models.Tests.Analysis;

/// <summary>Every model in reference.json: weights, dense MACs, node count, op histogram and node-output bytes exactly.</summary>
public class ReferenceModelTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Dir("models", "reference.json")));
        foreach (var m in doc.RootElement.GetProperty("models").EnumerateObject()) data.Add(m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void MatchesReference(string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Dir("models", "reference.json")));
        var m = doc.RootElement.GetProperty("models").GetProperty(key);
        var expected = m.GetProperty("expected");
        var input = m.GetProperty("input");
        var shape = input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        using var model = OnnxModel.Load(Fixtures.ModelPath(m.GetProperty("file").GetString()!));
        var p = ModelProfiler.Profile(model, new ProfileOptions
        {
            InputShapes = new Dictionary<string, long[]> { [input.GetProperty("name").GetString()!] = shape },
        });

        Assert.Empty(p.Unresolved);
        Assert.False(p.Totals.Partial);
        Assert.Equal(expected.GetProperty("weights_initializer_elements").GetInt64(), p.Totals.Weights);
        Assert.Equal(expected.GetProperty("dense_macs").GetInt64(), p.Totals.DenseMacs);
        Assert.Equal(expected.GetProperty("nodes").GetInt32(), p.NodeCount);
        var hist = expected.GetProperty("op_histogram").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetInt32());
        Assert.Equal(hist.OrderBy(kv => kv.Key), p.OpHistogram.OrderBy(kv => kv.Key));
        // The reference sums node outputs as onnx's shape inference sees them: what it cannot infer
        // counts as 0 bytes. In onnx-compatible mode Dyno reproduces that exactly...
        var onnxLike = ModelProfiler.Profile(model, new ProfileOptions
        {
            InputShapes = new Dictionary<string, long[]> { [input.GetProperty("name").GetString()!] = shape },
            OnnxCompatibleShapes = true,
        });
        Assert.Equal(expected.GetProperty("node_output_bytes_fp32_sum").GetInt64(), onnxLike.Totals.ActivationBytes);
        // ...and by default it resolves those shapes too, so its sum is the reference plus exactly the
        // outputs onnx leaves unresolved.
        var differing = onnxLike.Nodes.Zip(p.Nodes).Where(x => x.First.OutputBytes != x.Second.OutputBytes).ToList();
        Assert.All(differing, x => Assert.Contains(x.First.OutputShapes, s => s.Contains('?')));
        var missed = differing.Sum(x => x.Second.OutputBytes);
        Assert.Equal(onnxLike.Totals.ActivationBytes + missed, p.Totals.ActivationBytes);
        Assert.Equal(key == "vit_b_16" ? 22_394_880 : 0, missed);
    }
}
