using BenchmarkDotNet.Attributes;
using Dyno.Metrics.Detection;

namespace Dyno.Bench.Detection;

/// <summary>
/// COCO evaluation phases on a gen_coco.py set (default: val2017-like in /tmp/dyno-coco-bench, as
/// written by bench/coco.sh; override with DYNO_COCO_GT / DYNO_COCO_DT). The end-to-end command,
/// process start included, is timed by bench/coco.sh.
/// </summary>
[MemoryDiagnoser]
public class CocoEvalBenchmarks
{
    private byte[] _gtBytes = [];
    private byte[] _dtBytes = [];
    private CocoGroundTruth _gt = null!;
    private CocoDetections _dt = null!;

    [GlobalSetup]
    public void Setup()
    {
        var gtPath = Environment.GetEnvironmentVariable("DYNO_COCO_GT") ?? "/tmp/dyno-coco-bench/val2017-like/val2017-like_gt.json";
        var dtPath = Environment.GetEnvironmentVariable("DYNO_COCO_DT") ?? "/tmp/dyno-coco-bench/val2017-like/val2017-like_dt.json";
        _gtBytes = File.ReadAllBytes(gtPath);
        _dtBytes = File.ReadAllBytes(dtPath);
        _gt = CocoGroundTruth.Parse(_gtBytes, gtPath);
        _dt = CocoDetections.Parse(_dtBytes, dtPath, _gt);
    }

    [Benchmark]
    public int ParseGroundTruth() => CocoGroundTruth.Parse(_gtBytes, "gt").Count;

    [Benchmark]
    public int ParseResults() => CocoDetections.Parse(_dtBytes, "dt", _gt).Count;

    [Benchmark]
    public double Evaluate() => CocoEvaluator.Evaluate(_gt, _dt).Stats["AP"];
}
