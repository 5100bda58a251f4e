using System.Text.Json;

namespace Dyno.Cli.Tests;

public class BenchMfuTests
{
    [Fact]
    public void TransformerBenchmarkReportsModelFlopsUtilization()
    {
        var (code, stdout, stderr) = DynoProcess.Run("bench", "--example", "bert_base_like", "--iterations", "5", "--no-profile", "--no-calibration",
            "--transformer-preset", "bert-base", "--hardware", "x86-avx512-core", "--format", "json", "--quiet");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var mfu = doc.RootElement.GetProperty("utilization").GetProperty("mfu");
        // Model FLOPs of BERT-base at seq 128 = 2 x 11,174,215,680 matmul MACs (the same as dyno profile's dense MACs).
        Assert.Equal(22_348_431_360, mfu.GetProperty("model_flops_per_inference").GetInt64());
        Assert.Equal(128, mfu.GetProperty("seq").GetInt32());
        var p50 = doc.RootElement.GetProperty("latency_ms").GetProperty("p50").GetDouble();
        Assert.Equal(22_348_431_360 / (p50 / 1000), mfu.GetProperty("model_flops_per_second").GetDouble(), 1e-6 * 22_348_431_360 / (p50 / 1000));
        // x86-avx512-core's fp32 datasheet peak is 0.16 TFLOP/s (src/Dyno.Models/Hardware/hardware.json): the ratio from
        // the independently known FLOPs and the measured median, not from the output's own FLOP/s.
        var expectedMfu = 22_348_431_360 / (p50 / 1000) / 160e9;
        Assert.Equal(expectedMfu, mfu.GetProperty("mfu_vs_datasheet").GetDouble(), 1e-9 * expectedMfu);
    }
}
