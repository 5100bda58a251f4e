using System.Text.Json;
using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Runtime.Calibration;

namespace Dyno.Cli.Tests;

public class BenchGenerateTests
{
    private static string Decoder(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "llm", "decoders", name);

    private static long[][] Rows(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    /// <summary>A calibration cache of known roofs (GEMM 50 GFLOP/s, triad 10 GB/s at 1 thread) in a temporary XDG_CACHE_HOME.</summary>
    private static string FakeCalibration() => CalibrationCache.Write(CalibrationCache.Roofs([new GemmRoof("float32", 1, 1024, 50e9)]));

    /// <summary>
    /// The documented contract, on the reference's b4_left_padded prompts of gpt2_tiny given unpadded in a --prompts file:
    /// the generated ids equal onnxruntime-node's, and every contract key is there, the prediction from the calibrated roofs included.
    /// </summary>
    [Fact]
    public void JsonContractWithAPromptsFileReproducesTheReferenceTokens()
    {
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Decoder("gpt2_tiny"), "expected.json")));
        var c = expected.RootElement.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == "b4_left_padded");
        var ids = Rows(c.GetProperty("input_ids"));
        var mask = Rows(c.GetProperty("attention_mask"));
        var prompts = ids.Select((row, r) => row.Where((_, j) => mask[r][j] != 0).ToArray()).ToArray();
        var file = Path.GetTempFileName();
        File.WriteAllText(file, JsonSerializer.Serialize(prompts));
        var cache = FakeCalibration();
        try
        {
            var (code, stdout, stderr) = DynoProcess.RunWithEnvironment(CalibrationCache.Environment(cache),
                "bench", Decoder("gpt2_tiny"), "--generate", "--prompts", file, "--gen-len", "32", "--iterations", "3", "--threads", "1", "--format", "json");
            Assert.True(code == 0, stderr);
            using var doc = JsonDocument.Parse(stdout); // only JSON on stdout
            var g = doc.RootElement.GetProperty("generation");
            var want = Rows(c.GetProperty("generated_ids"));
            var outputs = g.GetProperty("outputs").EnumerateArray().ToList();
            Assert.Equal(4, outputs.Count);
            for (var r = 0; r < 4; r++) Assert.Equal(want[r], outputs[r].GetProperty("token_ids").EnumerateArray().Select(x => x.GetInt64()).ToArray());
            foreach (var key in new[] { "ttft_ms", "tpot_ms", "itl_ms" })
                foreach (var q in new[] { "p50", "p90", "p99" })
                    Assert.True(g.GetProperty(key).GetProperty(q).GetDouble() > 0, $"{key}.{q}");
            Assert.Equal(3, g.GetProperty("runs").GetInt32());
            Assert.Equal(3 * 31, g.GetProperty("itl_ms").GetProperty("count").GetInt32());
            Assert.True(g.GetProperty("decode_tokens_per_s").GetDouble() > 0);
            Assert.True(g.GetProperty("e2e_tokens_per_s").GetDouble() > 0);
            Assert.True(g.GetProperty("harness_overhead_ms_per_token").GetDouble() is > -1 and < 1);
            // 2 (K, V) x 2 layers x batch 4 x 4 kv heads x (24 + 32 - 1) tokens x 32 x 4 bytes.
            Assert.Equal(2L * 2 * 4 * 4 * 55 * 32 * 4, g.GetProperty("kv_cache_bytes").GetInt64());

            // The prediction is dyno llm's roofline of the same workload on the calibrated roofs.
            var config = TransformerConfig.Load(Path.Combine(Decoder("gpt2_tiny"), "config.json")).Config;
            var machine = new HardwareProfile { Name = "m", Title = "m", PeakTflops = new Dictionary<string, double> { ["fp32"] = 0.05 }, MemoryBandwidthGbps = 10, MemoryGb = 1e6, Source = "test" };
            LlmEstimate At(int context) => LlmCalculator.Estimate(config, new LlmScenario(24, 4, context, Precision.Fp32, Precision.Fp32, Precision.Fp32, Precision.Fp32), machine);
            var p = g.GetProperty("predicted");
            Assert.Equal(At(24).Roofline!.Prefill.Seconds * 1000, p.GetProperty("ttft_ms").GetDouble(), 12);
            Assert.Equal(Enumerable.Range(1, 31).Average(k => At(24 + k).Roofline!.Decode!.Seconds) * 1000, p.GetProperty("tpot_ms").GetDouble(), 12);
            Assert.Equal(g.GetProperty("ttft_ms").GetProperty("p50").GetDouble() / p.GetProperty("ttft_ms").GetDouble(), p.GetProperty("ttft_measured_over_predicted").GetDouble(), 12);
            Assert.Equal(g.GetProperty("tpot_ms").GetProperty("p50").GetDouble() / p.GetProperty("tpot_ms").GetDouble(), p.GetProperty("tpot_measured_over_predicted").GetDouble(), 12);
            Assert.Equal("memory", p.GetProperty("decode_bound").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("sweep").GetArrayLength());

            // The report renders the result.
            var json = Path.GetTempFileName() + ".json";
            var html = Path.ChangeExtension(json, ".html");
            File.WriteAllText(json, stdout);
            var (rc, _, rerr) = DynoProcess.Run("report", json, "--out", html);
            Assert.True(rc == 0, rerr);
            var page = File.ReadAllText(html);
            Assert.Contains("Time to first token", page, StringComparison.Ordinal);
            Assert.Contains("Inter-token latency vs position", page, StringComparison.Ordinal);
            File.Delete(json);
            File.Delete(html);
        }
        finally
        {
            File.Delete(file);
            Directory.Delete(cache, recursive: true);
        }
    }

    public static TheoryData<string, string[], string> BadInputs => new()
    {
        { "no cache layout", ["bench", Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "squeezenet1_1_op13.onnx"), "--generate"], "not a decoder with a KV cache" },
        { "prompt beyond max position", ["bench", Decoder("gpt2_tiny"), "--generate", "--prompt-len", "600", "--gen-len", "4"], "longer than the model's maximum position 512" },
        { "generation beyond max position", ["bench", Decoder("gpt2_tiny"), "--generate", "--prompt-len", "500", "--gen-len", "32"], "needs 531 positions" },
        { "bad gen-len", ["bench", Decoder("gpt2_tiny"), "--generate", "--gen-len", "0"], "--gen-len" },
        { "no model", ["bench", Path.Combine(AppContext.BaseDirectory, "nosuch"), "--generate"], "no such file or directory" },
        { "an option that does not apply", ["bench", Decoder("gpt2_tiny"), "--generate", "--concurrency", "2"], "--generate takes a MODEL file or directory and none of" },
        { "prompts file and prompt-len", ["bench", Decoder("gpt2_tiny"), "--generate", "--prompts", Path.Combine(Decoder("gpt2_tiny"), "expected.json"), "--prompt-len", "8"], "give --prompts FILE or --prompt-len, not both" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputIsAOneLineErrorWithExitCode2(string what, string[] args, string expected)
    {
        var (code, stdout, stderr) = DynoProcess.Run([.. args, "--iterations", "1", "--no-calibration", "--quiet"]);
        Assert.True(code == 2, $"{what}: exit {code}: {stderr}");
        Assert.StartsWith("dyno: error: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Empty(stdout);
    }

    [Theory]
    [InlineData("[[1, 2], []]", "prompt 1: expected a non-empty list of token ids")]
    [InlineData("[[1, -3]]", "prompt 0, token 1: -3 is not a non-negative integer token id")]
    [InlineData("[[5, 1000]]", "prompt 0, token 1: id 1000 is outside the model's vocabulary [0, 1000)")]
    [InlineData("{\"a\": 1}", "expected a non-empty JSON list of prompts")]
    [InlineData("[[1, 2]", "not valid JSON")]
    public void BadPromptsFilesNameTheFileAndTheRecord(string content, string expected)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, content);
        try
        {
            var (code, _, stderr) = DynoProcess.Run("bench", Decoder("gpt2_tiny"), "--generate", "--prompts", file, "--gen-len", "2", "--iterations", "1", "--no-calibration", "--quiet");
            Assert.Equal(2, code);
            Assert.StartsWith($"dyno: error: {file}: ", stderr, StringComparison.Ordinal);
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
            Assert.Single(stderr.TrimEnd().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
