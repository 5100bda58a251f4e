using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Models.Onnx;
using Dyno.Models.Roofline;
using Dyno.Models.Transformers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dyno.Models.Tests.Transformers;

public class LlmCalculatorTests
{
    private static LlmEstimate Run(TransformerConfig c, int seq, int batch = 1, int? context = null, Precision p = Precision.Fp16, HardwareProfile? hw = null) =>
        LlmCalculator.Estimate(c, LlmScenario.Resolve(c, new LlmWorkload { Seq = seq, Batch = batch, Context = context }, p), hw);

    [Theory]
    // Published counts: GPT-2 (HF gpt2, 124M), Llama 2 paper / HF model cards, Meta-Llama-3-8B, Mistral-7B-v0.1, bert-base-uncased (BertModel).
    [InlineData("gpt2", 124_439_808)]
    [InlineData("llama-2-7b", 6_738_415_616)]
    [InlineData("llama-2-13b", 13_015_864_320)]
    [InlineData("llama-2-70b", 68_976_648_192)]
    [InlineData("llama-3-8b", 8_030_261_248)]
    [InlineData("mistral-7b", 7_241_732_096)]
    [InlineData("bert-base", 109_482_240)]
    public void PresetsHaveThePublishedParameterCounts(string preset, long expected)
    {
        var c = TransformerConfig.Preset(preset);
        Assert.Equal(expected, LlmCalculator.Parameters(c).Total);
        Assert.Equal(expected, Run(c, 16).Params);
    }

    [Fact]
    public void Gpt2ParametersByPart()
    {
        var p = LlmCalculator.Parameters(TransformerConfig.Preset("gpt2"));
        Assert.Equal(50257L * 768 + 1024 * 768, p.Embeddings);                 // wte + wpe
        Assert.Equal(12L * (768 * 2304 + 2304 + 768 * 768 + 768), p.Attention); // c_attn + c_proj with biases
        Assert.Equal(12L * (768 * 3072 + 3072 + 3072 * 768 + 768), p.Mlp);
        Assert.Equal(25L * 2 * 768, p.Norms);                                  // ln_1, ln_2 per block + ln_f
        Assert.Equal(0, p.LmHead);                                            // tied to wte
    }

    [Fact]
    public void BertBaseMatmulMacsEqualTheProfilerOnTheBertGraph()
    {
        var estimate = Run(TransformerConfig.Preset("bert-base"), 128);
        using var model = ExampleModels.Open("bert_base_like");
        var profile = ModelProfiler.Profile(model, new ProfileOptions { InputShapes = new Dictionary<string, long[]> { ["input_ids"] = [1, 128] } });
        Assert.Empty(profile.Unresolved);
        Assert.Equal(11_174_215_680, estimate.MatmulMacs);
        Assert.Equal(11_174_215_680, profile.Totals.DenseMacs);
        Assert.Equal(estimate.MatmulMacs, estimate.MatmulMacsCausal); // an encoder has no causal mask
        Assert.Equal(2 * estimate.MatmulMacs, estimate.FlopsPrefill);
        Assert.Equal(0, estimate.KvCacheBytes);
        Assert.Null(estimate.Decode);
    }

    public static TheoryData<int, int, int, int, int, int, int, int> DecoderCases => new()
    {
        // layers, hidden, heads, kv_heads, intermediate, vocab, batch, seq
        { 22, 2048, 32, 4, 5632, 32000, 1, 128 }, // TinyLlama-1.1B: GQA 8:1
        { 2, 256, 8, 8, 688, 1000, 2, 64 },       // multi-head
        { 3, 192, 6, 1, 512, 777, 3, 17 },        // multi-query
        { 1, 96, 4, 2, 200, 50, 4, 1 },           // one token
    };

    [Theory]
    [MemberData(nameof(DecoderCases))]
    public void DecoderMatmulMacsAndParamsEqualTheProfilerOnTheDecoderGraph(int layers, int hidden, int heads, int kv, int inter, int vocab, int batch, int seq)
    {
        var d = new DecoderConfig(layers, hidden, heads, kv, inter, vocab);
        using var model = OnnxModel.Load(DecoderGraph.Build(d, batch, seq).Save());
        var profile = ModelProfiler.Profile(model);
        Assert.Empty(profile.Unresolved);
        var estimate = Run(TransformerConfig.FromDecoder(d), seq, batch);
        Assert.Equal(profile.Totals.Weights, estimate.Params);
        Assert.Equal(profile.Totals.DenseMacs, estimate.MatmulMacs);
    }

    [Fact]
    public void CausalSavingsHalveTheScoresPlusTheDiagonal()
    {
        var c = TransformerConfig.Preset("llama-2-7b");
        var e = Run(c, 2048, batch: 2);
        long s = 2048, b = 2, l = 32, h = 4096;
        Assert.Equal(2 * l * h * b * (s * s - s * (s + 1) / 2), e.MatmulMacs - e.MatmulMacsCausal);
        // At context = seq a decode step costs what the mean token of an unmasked prefill does: 2N + 4·L·H·T.
        Assert.Equal(e.FlopsPerTokenMean, e.FlopsPerToken);
        Assert.Equal(2 * e.MatmulParams + 4 * l * h * s, e.FlopsPerToken);
        // PaLM: training = 3 × forward (6N + 12·L·H·Q·T).
        Assert.Equal(6 * e.MatmulParams + 12 * l * h * s, e.TrainingFlopsPerToken);
        Assert.Equal(3 * e.FlopsPerToken, e.TrainingFlopsPerToken);
    }

    [Fact]
    public void KvCacheOfLlama2And3()
    {
        // 2 (K and V) × layers × kv_heads × head_dim × bytes: Llama-2-7B 512 KiB per token at fp16, Llama-3-8B (GQA 4:1) 128 KiB.
        Assert.Equal(524_288, Run(TransformerConfig.Preset("llama-2-7b"), 4096).KvCacheBytesPerToken);
        var e = Run(TransformerConfig.Preset("llama-3-8b"), 8192, batch: 4);
        Assert.Equal(131_072, e.KvCacheBytesPerToken);
        Assert.Equal(131_072L * 8192 * 4, e.KvCacheBytes);
        // Mistral's rolling buffer holds at most the 4096-token window.
        Assert.Equal(131_072L * 4096, Run(TransformerConfig.Preset("mistral-7b"), 16384).KvCacheBytes);
    }

    [Fact]
    public void RooflineOfALlama2DecodeStepOnH100ByHand()
    {
        var h100 = HardwareDatabase.BuiltIn().Find("h100");
        var e = Run(TransformerConfig.Preset("llama-2-7b"), 4096, batch: 1, context: 4096, hw: h100);
        var d = e.Decode!;
        // N = 32·(4·4096² + 3·4096·11008) + 4096·32000 = 6,607,077,376; attention 2·32·4096·4096 MACs at context 4096.
        Assert.Equal(6_607_077_376, e.MatmulParams);
        Assert.Equal(2 * (6_607_077_376L + 1_073_741_824), d.Flops);
        // Weights: all parameters but the embedding table, plus the one row gathered, at 2 bytes.
        Assert.Equal((6_738_415_616L - 131_072_000 + 4096) * 2, d.WeightBytes);
        Assert.Equal(32L * 4096 * 2 * 4096 * 2, d.KvCacheReadBytes);  // every cached K and V
        Assert.Equal(32L * 2 * 4096 * 2, d.KvCacheWriteBytes);        // the new token's K and V
        // Activations per layer 10·H + 4·H + 2·I elements, plus embedding write, final norm, head read and logits.
        Assert.Equal((32L * (10 * 4096 + 4 * 4096 + 2 * 11008) + 4096 + 2 * 4096 + 4096 + 32000) * 2, d.ActivationBytes);
        Assert.Equal(15_367_879_168, d.TotalBytes);
        var r = e.Roofline!;
        Assert.Equal(989.4e12, r.PeakFlops);
        Assert.Equal(3.35e12, r.BandwidthBytesPerSecond);
        Assert.Equal(15_361_638_400 / 989.4e12, r.Decode!.ComputeSeconds);
        Assert.Equal(15_367_879_168 / 3.35e12, r.Decode.MemorySeconds);
        Assert.Equal(RooflineBound.Memory, r.Decode.Bound);
        Assert.Equal(0.0045874266, r.Decode.Seconds, 1e-10);
        Assert.Equal(217.98713819767588, r.TokensPerSecond!.Value, 1e-9);
        // The 4096-token prompt is compute-bound: 2 × causal MACs over the peak.
        Assert.Equal(RooflineBound.Compute, r.Prefill.Bound);
        Assert.Equal(e.FlopsPrefillCausal / 989.4e12, r.TimeToFirstTokenSeconds);
    }

    [Fact]
    public void PrecisionsSetTheBytes()
    {
        var c = TransformerConfig.Preset("llama-2-7b");
        var s = LlmScenario.Resolve(c, new LlmWorkload { Seq = 100, WeightPrecision = Precision.Int4, KvCachePrecision = Precision.Int8 }, Precision.Fp16);
        var e = LlmCalculator.Estimate(c, s);
        Assert.Equal(6_738_415_616L / 2, e.WeightBytes);
        Assert.Equal(262_144, e.KvCacheBytesPerToken);
        Assert.Equal(Precision.Fp16, e.Scenario.Activations);
    }

    [Fact]
    public void DevicesWithoutThePrecisionAreRefused()
    {
        var pi = HardwareDatabase.BuiltIn().Devices.First(d => d.PeakFlops(Precision.Fp64) is null);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Run(TransformerConfig.Preset("gpt2"), 8, p: Precision.Fp64, hw: pi));
        Assert.Contains("no fp64 peak", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("meta-llama-3-8b.config.json", 8_030_261_248, "llama-3-8b")]
    [InlineData("mistral-7b-v0.1.config.json", 7_241_732_096, "mistral-7b")]
    [InlineData("gpt2.config.json", 124_439_808, "gpt2")]
    [InlineData("bert-base-uncased.config.json", 109_482_240, "bert-base")]
    [InlineData("gemma-2b.config.json", 2_506_172_416, null)]  // head_dim 256 ≠ 2048 / 8, MQA, tied, GeGLU
    [InlineData("qwen2-0.5b.config.json", 494_032_768, null)]  // q/k/v biases, tied
    [InlineData("roberta-base.config.json", 124_645_632, null)] // RobertaModel: 514 positions, 1 token type, pooler
    public void HuggingFaceConfigsParse(string file, long parameters, string? samePreset)
    {
        var loaded = TransformerConfig.Load(Fixtures.Dir("llm", file));
        Assert.Equal(parameters, LlmCalculator.Parameters(loaded.Config).Total);
        if (file.StartsWith("roberta", StringComparison.Ordinal)) Assert.Equal(512, loaded.Config.MaxPositions); // 2 rows reserved by padding_idx
        if (samePreset is not null)
            Assert.Equal(TransformerConfig.Preset(samePreset) with { Name = loaded.Config.Name }, loaded.Config);
    }

    [Fact]
    public void DynoConfigCarriesTheWorkload()
    {
        var f = TransformerConfig.Load(Fixtures.Dir("llm", "tiny-gqa.dyno.json"));
        Assert.Equal("tiny-gqa", f.Config.Name);
        Assert.Equal(2, f.Config.KvHeads);
        Assert.Equal(16, f.Workload.Seq);
        var s = LlmScenario.Resolve(f.Config, f.Workload.Override(new LlmWorkload { Batch = 5 }), Precision.Fp16);
        Assert.Equal((16, 5, 16, Precision.Int4, Precision.Fp16, Precision.Int8), (s.Seq, s.Batch, s.Context, s.Weights, s.Activations, s.KvCache));
    }

    [Theory]
    [InlineData("mixtral-8x7b.config.json", "mixture-of-experts")]
    [InlineData("missing.json", "no such config file")]
    public void UnsupportedConfigsAreRefused(string file, string message)
    {
        var ex = Record.Exception(() => TransformerConfig.Load(Fixtures.Dir("llm", file)));
        Assert.True(ex is InvalidDataException or FileNotFoundException, ex?.ToString());
        Assert.Contains(message, ex!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"model_type\": \"t5\", \"d_model\": 512}", "model_type 't5' is not supported")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 8, \"num_hidden_layers\": 2, \"vocab_size\": 10}", "missing required key 'intermediate_size'")]
    [InlineData("{\"layers\": 2, \"hidden\": 64, \"heads\": 8, \"kv_heads\": 3, \"intermediate\": 10, \"vocab\": 10}", "heads (8) must be a multiple of kv_heads (3)")]
    [InlineData("{\"layers\": 2, \"hidden\": \"64\", \"heads\": 8, \"intermediate\": 10, \"vocab\": 10}", "key 'hidden' must be an integer")]
    [InlineData("{\"layers\": 2, \"hidden\": 64, \"heads\": 8, \"intermediate\": 10, \"vocab\": 10, \"mlp\": \"relu\"}", "expected one of gelu, gated")]
    [InlineData("{\"layers\": 2, \"hiden\": 64}", "unknown key 'hiden'")]
    [InlineData("{\"layers\": 2,", "invalid JSON")]
    public void BadConfigsNameTheFileAndKey(string json, string message)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("dyno-llm").FullName, "c.json");
        File.WriteAllText(path, json);
        var ex = Assert.Throws<InvalidDataException>(() => TransformerConfig.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 200)]
    public Property CausalPairsMatchABruteForceCount(PositiveInt t0, NonNegativeInt w0)
    {
        int t = t0.Get % 80 + 1, window = w0.Get % 50;
        const int h = 8;
        var c = TransformerConfig.LlamaLike("p", 1, h, 1, 1, 8, 4) with { SlidingWindow = window };
        long prefillPairs = 0;
        for (var p = 1; p <= t; p++) prefillPairs += window > 0 ? Math.Min(p, window) : p; // query p sees keys max(1, p−w+1)…p
        long decodePairs = window > 0 ? Math.Min(t, window) : t;
        var e = LlmCalculator.Estimate(c, new LlmScenario(t, 1, t, Precision.Fp32, Precision.Fp32, Precision.Fp32, Precision.Fp32));
        var n = LlmCalculator.MatmulParams(c);
        return (e.MatmulMacsCausal == t * n + 2 * h * prefillPairs).ToProperty()
            .And(e.MatmulMacs == t * n + 2L * h * t * t)
            .And(e.FlopsPerToken == 2 * (n + 2 * h * decodePairs));
    }
}
