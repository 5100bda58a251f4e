using System.Text.Json;
using Dyno.Models.Onnx;
using Dyno.Models.Transformers;
using Dyno.Runtime.Generation;
using Dyno.Runtime.Models;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Runtime.Tests;

public class GenerationTests
{
    private static string Decoder(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "llm", "decoders", name);

    private static InferenceSession Session(string path) => new(path, new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });

    private static long[][] Rows(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    /// <summary>The reference greedy runs of onnxruntime-node 1.30.0 (fixtures/llm/decoders/*/expected.json): every case, every row, all 32 tokens.</summary>
    [Theory]
    [InlineData("gpt2_tiny")]
    [InlineData("llama_tiny_gqa")]
    public void GreedyTokensEqualTheReferenceForEveryCase(string name)
    {
        var model = DecoderModel.Open(Decoder(name));
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Decoder(name), "expected.json")));
        var pad = expected.RootElement.GetProperty("model").GetProperty("special_ids").GetProperty("pad").GetInt64();
        Assert.Equal(pad, model.PadTokenId);
        using var session = Session(model.OnnxPath);
        var layout = DecoderLayout.Detect(session, model.OnnxPath, model.Names);
        var cases = expected.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(3, cases.Count);
        foreach (var c in cases)
        {
            var ids = Rows(c.GetProperty("input_ids"));
            var mask = Rows(c.GetProperty("attention_mask"));
            // Unpad the reference's left-padded prompts: Dyno pads them again.
            var prompts = ids.Select((row, r) => (IReadOnlyList<long>)row.Where((_, j) => mask[r][j] != 0).ToArray()).ToList();
            var want = Rows(c.GetProperty("generated_ids"));
            using var gen = new GreedyGenerator(session, layout, prompts, want[0].Length, model.PadTokenId);
            var got = gen.Generate();
            for (var r = 0; r < want.Length; r++)
                Assert.True(want[r].SequenceEqual(got[r]), $"{name} {c.GetProperty("name").GetString()} row {r}: expected {string.Join(",", want[r])}, got {string.Join(",", got[r])}");
            // A second run on the same prepared feeds gives the same tokens (nothing left over from the first).
            Assert.Equal(got, gen.Generate());
        }
    }

    [Fact]
    public void LayoutIsReadFromTheGraph()
    {
        var model = DecoderModel.Open(Decoder("llama_tiny_gqa"));
        using var session = Session(model.OnnxPath);
        var layout = DecoderLayout.Detect(session, model.OnnxPath, model.Names);
        Assert.Equal(4, layout.Layers.Count);
        Assert.Equal(2, layout.KvHeads);
        Assert.Equal(32, layout.HeadDim);
        Assert.Equal(2000, layout.Vocab);
        Assert.Equal("position_ids", layout.PositionIds);
        Assert.Equal(2048, layout.KvBytesPerToken); // the fixture README's KV cache bytes per token
        Assert.Equal("present.3.value", layout.Layers[3].PresentValue);
        Assert.Equal(2048, model.MaxPositions);
        Assert.NotNull(model.Architecture);
        Assert.Equal(3_795_200, LlmCalculator.Parameters(model.Architecture!).Total); // the README's parameter count
    }

    [Fact]
    public void AGraphWithoutACacheIsRefusedNamingItsInputs()
    {
        using var session = Session(Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "squeezenet1_1_op13.onnx"));
        var e = Assert.Throws<InvalidDataException>(() => DecoderLayout.Detect(session, "squeezenet.onnx"));
        Assert.StartsWith("squeezenet.onnx: not a decoder with a KV cache", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("no input 'input_ids'; inputs found: input; outputs found: output", StringComparison.Ordinal), e.Message);
    }

    /// <summary>
    /// A decoder Dyno builds itself in the same layout (GQA, learned positions, random weights): the cached loop's
    /// tokens equal a recompute without cache, where each step runs the whole sequence so far with past length 0, and
    /// each row of a left-padded batch equals that prompt run alone.
    /// </summary>
    [Fact]
    public void ADecoderGraphWithCacheMatchesRecomputationAndBatchRows()
    {
        var c = new DecoderConfig(Layers: 2, Hidden: 64, Heads: 4, KvHeads: 2, Intermediate: 96, Vocab: 101);
        var path = DecoderGraph.BuildWithCache(c, maxPositions: 64).Save();
        try
        {
            using var onnx = OnnxModel.Load(path);
            using var runnable = WeightMaterializer.Prepare(onnx, path, () => File.OpenRead(path), seed: 7);
            using var session = Session(runnable.Path);
            var layout = DecoderLayout.Detect(session, path);
            Assert.Equal((2, 2, 16, 101), (layout.Layers.Count, layout.KvHeads, layout.HeadDim, layout.Vocab));

            var rng = new XorShiftRandom(3);
            var prompts = new[] { 11, 5, 17 }.Select(n => (IReadOnlyList<long>)Enumerable.Range(0, n).Select(_ => (long)(rng.Next() % 100)).ToArray()).ToList();
            const int newTokens = 12;
            using var batch = new GreedyGenerator(session, layout, prompts, newTokens, padTokenId: 100);
            var batched = batch.Generate();
            for (var r = 0; r < prompts.Count; r++)
            {
                using var single = new GreedyGenerator(session, layout, [prompts[r]], newTokens, padTokenId: 100);
                var alone = single.Generate()[0];
                Assert.Equal(alone, batched[r]);
                // Without the cache: prompt + tokens so far, past length 0, one generated token per run.
                var seq = prompts[r].ToList();
                for (var k = 0; k < newTokens; k++)
                {
                    using var full = new GreedyGenerator(session, layout, [seq.ToArray()], 1, padTokenId: 100);
                    var next = full.Generate()[0][0];
                    Assert.True(next == alone[k], $"row {r} step {k}: recompute gives {next}, cached loop {alone[k]}");
                    seq.Add(next);
                }
            }
            Assert.True(batched.SelectMany(t => t).Distinct().Count() > 3, "random weights should not collapse to one token");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
