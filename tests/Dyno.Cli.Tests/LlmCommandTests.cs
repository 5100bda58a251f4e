using System.Text.Json;

namespace Dyno.Cli.Tests;

public class LlmCommandTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "llm", name);

    [Fact]
    public void BertBasePresetJsonContract()
    {
        var (code, stdout, stderr) = DynoProcess.Run("llm", "--preset", "bert-base", "--seq", "128", "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal(11_174_215_680, r.GetProperty("matmul_macs").GetInt64());
        Assert.Equal(2 * 11_174_215_680, r.GetProperty("flops_prefill").GetInt64());
        Assert.Equal(2 * 11_174_215_680 / 128, r.GetProperty("flops_per_token").GetInt64());
        Assert.Equal(0, r.GetProperty("kv_cache_bytes").GetInt64());
        Assert.Equal(109_482_240, r.GetProperty("params").GetInt64());
        Assert.Equal("encoder", r.GetProperty("architecture").GetProperty("kind").GetString());
        Assert.False(r.TryGetProperty("roofline", out _));
    }

    [Fact]
    public void HuggingFaceConfigWithHardwareGivesTheRoofline()
    {
        var (code, stdout, stderr) = DynoProcess.Run("llm", "--config", Fixture("meta-llama-3-8b.config.json"), "--seq", "1024", "--batch", "8",
            "--hardware", "a100", "--precision", "bf16", "--kv-precision", "int8", "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal("meta-llama-3-8b", r.GetProperty("model").GetString());
        Assert.Equal(8_030_261_248, r.GetProperty("params").GetInt64());
        Assert.Equal(2L * 32 * 8 * 128 * 1024 * 8, r.GetProperty("kv_cache_bytes").GetInt64()); // int8: 1 byte
        var roof = r.GetProperty("roofline");
        Assert.Equal(312e12, roof.GetProperty("peak_flops").GetDouble());
        var decode = roof.GetProperty("decode");
        Assert.Equal("memory", decode.GetProperty("bound").GetString());
        var seconds = decode.GetProperty("seconds").GetDouble();
        Assert.Equal(8 / seconds, roof.GetProperty("tokens_per_second").GetDouble(), 1e-9);
        Assert.Equal(roof.GetProperty("prefill").GetProperty("seconds").GetDouble(), roof.GetProperty("time_to_first_token_seconds").GetDouble());
    }

    [Fact]
    public void TableFormatShowsTheRoofline()
    {
        var (code, stdout, stderr) = DynoProcess.Run("llm", "--preset", "llama-2-7b", "--seq", "4096", "--hardware", "h100", "--format", "md");
        Assert.True(code == 0, stderr);
        Assert.Contains("| params | 6,738,415,616 (6.74 G) |", stdout, StringComparison.Ordinal);
        Assert.Contains("218 tokens/s", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("both", "one of them")]
    [InlineData("preset", "unknown preset 'llama-9b'")]
    [InlineData("hardware", "unknown hardware 'tpu-v9'")]
    [InlineData("precision", "unknown precision 'fp12'")]
    [InlineData("seq", "seq must be a positive integer")]
    [InlineData("moe", "mixture-of-experts")]
    [InlineData("hwfile", "name the one to use with --hardware")]
    public void BadInputIsOneLineAndExitCode2(string kind, string expected)
    {
        string[] args = kind switch
        {
            "both" => ["llm", "--preset", "gpt2", "--config", Fixture("gpt2.config.json")],
            "preset" => ["llm", "--preset", "llama-9b"],
            "hardware" => ["llm", "--preset", "gpt2", "--hardware", "tpu-v9"],
            "precision" => ["llm", "--preset", "gpt2", "--precision", "fp12"],
            "seq" => ["llm", "--preset", "gpt2", "--seq", "0"],
            "moe" => ["llm", "--config", Fixture("mixtral-8x7b.config.json")],
            _ => ["llm", "--preset", "gpt2", "--hardware-file", Fixture("gpt2.config.json")],
        };
        var (code, stdout, stderr) = DynoProcess.Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
