using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Models.Transformers;

namespace Dyno.Models.Tests.Transformers;

public class DecoderGraphTests
{
    [Fact]
    public void TinyLlamaGraphHasTheKnownParameterAndMacCounts()
    {
        var c = DecoderConfig.TinyLlama1B;
        const int seq = 128;
        var path = DecoderGraph.Build(c, 1, seq).Save();
        using var model = OnnxModel.Load(path);
        var p = ModelProfiler.Profile(model);
        Assert.Empty(p.Unresolved);
        long h = c.Hidden, kv = c.KvHeads * c.HeadDim, i = c.Intermediate, v = c.Vocab, l = c.Layers;
        // Published TinyLlama-1.1B parameter count: 1,100,048,384.
        var parameters = v * h + l * (2 * h + 2 * h * h + 2 * h * kv + 3 * h * i) + h + h * v;
        Assert.Equal(1_100_048_384, parameters);
        Assert.Equal(parameters, p.Totals.Weights);
        var macs = seq * (l * (2 * h * h + 2 * h * kv + 3 * h * i) + h * v) + l * 2L * seq * seq * h;
        Assert.Equal(macs, p.Totals.DenseMacs);
        Assert.True(p.Model.ExternalDataMissing);
    }
}
