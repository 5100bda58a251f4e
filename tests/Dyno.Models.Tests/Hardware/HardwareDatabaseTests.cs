using Dyno.Models.Hardware;

namespace Dyno.Models.Tests.Hardware;

public class HardwareDatabaseTests
{
    [Theory]
    [InlineData("h100", 989.4e12, 3350e9)]
    [InlineData("H200", 989.4e12, 4800e9)]
    [InlineData("a100", 312e12, 2039e9)]
    [InlineData("l4", 121e12, 300e9)]
    [InlineData("rtx4090", 165.2e12, 1008e9)]
    [InlineData("jetson-orin-nano", 10e12, 68e9)]
    [InlineData("jetson-agx-orin", 42.5e12, 204.8e9)]
    [InlineData("apple-m2", 3.6e12, 100e9)]
    [InlineData("raspberry-pi-5", 0.3072e12, 17e9)]
    public void BuiltInDevicesHaveFp16PeaksAndBandwidth(string name, double fp16, double bw)
    {
        var d = HardwareDatabase.BuiltIn().Find(name);
        Assert.Equal(fp16, d.PeakFlops(Precision.Fp16)!.Value, 1e-3 * fp16);
        Assert.Equal(bw, d.BandwidthBytesPerSecond, 1e-6 * bw);
        Assert.False(string.IsNullOrWhiteSpace(d.Source));
    }

    [Fact]
    public void IntegerOnlyAcceleratorsAndRidgePoints()
    {
        var db = HardwareDatabase.BuiltIn();
        Assert.Equal(1.7e12, db.Find("hi3519av100").PeakFlops(Precision.Int8)!.Value, 1);
        Assert.Null(db.Find("coral-edge-tpu").PeakFlops(Precision.Fp32));
        Assert.Equal(989.4e12 / 3350e9, db.Find("h100").Ridge(Precision.Fp16)!.Value, 1e-9);
        Assert.Contains(db.Devices, d => d.Name == "x86-avx2-core");
        Assert.Contains(db.Devices, d => d.Name == "x86-avx512-core");
        Assert.ThrowsAny<ArgumentException>(() => db.Find("tpu-v9"));
    }

    [Fact]
    public void UserFilesExtendAndOverride()
    {
        var f = Path.Combine(Path.GetTempPath(), $"dyno-hw-{Guid.NewGuid():N}.json");
        File.WriteAllText(f, """{"name": "my-npu", "title": "My NPU", "peak_tflops": {"int8": 2}, "memory_bandwidth_gbps": 10, "memory_gb": 1, "source": "vendor"}""");
        var db = HardwareDatabase.BuiltIn().With(f);
        Assert.Equal(2e12, db.Find("my-npu").PeakFlops(Precision.Int8));
        File.WriteAllText(f, """{"name": "bad", "peak_tflops": {"int8": 2}, "memory_bandwidth_gbps": 0}""");
        Assert.Throws<InvalidDataException>(() => HardwareDatabase.BuiltIn().With(f));
    }
}
