using Dyno.Runtime.Calibration;

namespace Dyno.Runtime.Tests;

/// <summary>Roofs measured on a busy machine, or contradicting themselves, are marked degraded (MachineCalibration.Assess).</summary>
public class CalibrationAssessTests
{
    private static CalibrationResult Roofs(double? load, double gemm1, double gemm2, double overheadUs) => new()
    {
        CpuModel = "test cpu", LogicalCores = 2, OnnxRuntime = "1.0", MeasuredAt = DateTimeOffset.UnixEpoch,
        Gemm = [new GemmRoof("float32", 1, 1024, gemm1), new GemmRoof("float32", 2, 1024, gemm2), new GemmRoof("float64", 1, 512, gemm1 / 2), new GemmRoof("float64", 2, 512, gemm1)],
        Triad = [new TriadRoof(1, 1 << 27, 10e9), new TriadRoof(2, 1 << 27, 12e9)],
        Harness = new HarnessOverhead { IdentityLatencyUs = 2, BareRunUs = 1.8, OverheadUs = overheadUs },
        LoadAverage = load,
    };

    [Fact]
    public void A_consistent_measurement_on_an_idle_machine_is_not_degraded()
    {
        var c = Roofs(0.4, 50e9, 95e9, 0.15);
        Assert.Empty(MachineCalibration.Assess(c));
        Assert.False((c with { DegradedReasons = MachineCalibration.Assess(c) }).Degraded);
        Assert.Empty(MachineCalibration.Assess(Roofs(null, 50e9, 95e9, 0)));
        Assert.Empty(MachineCalibration.Assess(Roofs(1.5, 50e9, 95e9, 0.1))); // 0.75 x 2 cores is not above the limit
    }

    [Fact]
    public void Each_inconsistency_is_a_reason()
    {
        // The figures of this machine's own cache before the check existed: load 21.33, 2-thread GEMM below 1-thread.
        var busy = Roofs(21.33, 57.24e9, 43.05e9, 0.145);
        var reasons = MachineCalibration.Assess(busy);
        Assert.Equal(2, reasons.Count);
        Assert.Equal("the machine was busy (load average 21.33 on 2 cores)", reasons[0]);
        Assert.Equal("GEMM float32 on 2 threads (43.1 GFLOP/s) is slower than on 1 (57.2 GFLOP/s)", reasons[1]);

        var negative = MachineCalibration.Assess(Roofs(0.2, 50e9, 95e9, -0.031));
        Assert.Equal(["the harness overhead came out negative (-0.031 us)"], negative);
        var d = busy with { DegradedReasons = reasons };
        Assert.True(d.Degraded);
        Assert.Contains("load average 21.33", MachineCalibration.DegradedWarning(d), StringComparison.Ordinal);
    }
}
