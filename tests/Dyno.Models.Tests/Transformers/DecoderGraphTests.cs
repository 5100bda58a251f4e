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
    /// <summary>The cache-layout graph at a concrete prefill (batch 2, 16 tokens, empty past) has the calculator's parameters
    /// (with a learned position table) and its MACs: the projections per token plus QKᵀ and PV over 16 × 16 per head.</summary>
    [Fact]
    public void CacheLayoutGraphHasTheCalculatorsParametersAndPrefillMacs()
    {
        var c = new DecoderConfig(Layers: 3, Hidden: 128, Heads: 8, KvHeads: 2, Intermediate: 352, Vocab: 1000);
        const int batch = 2, seq = 16, maxPositions = 256;
        var path = DecoderGraph.BuildWithCache(c, maxPositions).Save();
        try
        {
            using var model = OnnxModel.Load(path);
            var shapes = new Dictionary<string, long[]> { ["input_ids"] = [batch, seq], ["attention_mask"] = [batch, seq], ["position_ids"] = [batch, seq] };
            for (var l = 0; l < c.Layers; l++)
                foreach (var t in new[] { "key", "value" }) shapes[$"past_key_values.{l}.{t}"] = [batch, c.KvHeads, 0, c.HeadDim];
            var p = ModelProfiler.Profile(model, new ProfileOptions { InputShapes = shapes });
            Assert.Empty(p.Unresolved);
            var config = TransformerConfig.FromDecoder(c) with { PositionEmbeddings = maxPositions, MaxPositions = maxPositions };
            Assert.Equal(LlmCalculator.Parameters(config).Total, p.Totals.Weights);
            var estimate = LlmCalculator.Estimate(config, LlmScenario.Resolve(config, new LlmWorkload { Seq = seq, Batch = batch }, Dyno.Models.Hardware.Precision.Fp32));
            Assert.Equal(estimate.MatmulMacs, p.Totals.DenseMacs);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
