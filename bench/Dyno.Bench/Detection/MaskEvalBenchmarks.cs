using BenchmarkDotNet.Attributes;
using Dyno.Metrics.Detection;
using Dyno.Metrics.Masks;

namespace Dyno.Bench.Detection;

/// <summary>
/// segm evaluation by phase on gen_coco.py's val2017-like set with masks (bench/coco.sh writes it:
/// /tmp/dyno-coco-bench/val2017-like/val2017-like_dt_segm.json from bench/gen_coco_masks.py; override
/// with DYNO_COCO_GT / DYNO_COCO_SEGM): reading the ground truth and the results (RLE strings decoded,
/// polygons rasterised, area and box), the ground-truth masks, every mask IoU COCO computes (each
/// detection against the ground truth of its image and category), and the whole evaluation.
/// Run: <c>dotnet run -c Release --project bench/Dyno.Bench -- --filter '*MaskEvalBenchmarks*' --inProcess --strategy Monitoring --warmupCount 1 --iterationCount 3</c>
/// </summary>
[MemoryDiagnoser]
public class MaskEvalBenchmarks
{
    private byte[] _gtBytes = [];
    private byte[] _dtBytes = [];
    private CocoGroundTruth _gt = null!;
    private CocoDetections _dt = null!;

    [GlobalSetup]
    public void Setup()
    {
        var gtPath = Environment.GetEnvironmentVariable("DYNO_COCO_GT") ?? "/tmp/dyno-coco-bench/val2017-like/val2017-like_gt.json";
        var dtPath = Environment.GetEnvironmentVariable("DYNO_COCO_SEGM") ?? "/tmp/dyno-coco-bench/val2017-like/val2017-like_dt_segm.json";
        _gtBytes = File.ReadAllBytes(gtPath);
        _dtBytes = File.ReadAllBytes(dtPath);
        _gt = CocoGroundTruth.Parse(_gtBytes, gtPath, CocoIouType.Segm);
        _dt = CocoDetections.Parse(_dtBytes, dtPath, _gt, CocoIouType.Segm);
    }

    [Benchmark]
    public int ParseGroundTruth() => CocoGroundTruth.Parse(_gtBytes, "gt", CocoIouType.Segm).Count;

    [Benchmark]
    public int ParseResults() => CocoDetections.Parse(_dtBytes, "dt", _gt, CocoIouType.Segm).Count;

    [Benchmark]
    public long GroundTruthMasks()
    {
        long area = 0;
        for (var i = 0; i < _gt.Count; i++)
        {
            var im = _gt.Images[_gt.Img[i]];
            area += _gt.Segm![i]!.ToRle(im.Height, im.Width).Area;
        }
        return area;
    }

    [Benchmark]
    public double PairIous()
    {
        var gts = new List<int>[_gt.Images.Count * _gt.Categories.Count];
        var rle = new Rle[_gt.Count];
        for (var i = 0; i < _gt.Count; i++)
        {
            var im = _gt.Images[_gt.Img[i]];
            rle[i] = _gt.Segm![i]!.ToRle(im.Height, im.Width);
            (gts[_gt.Img[i] * _gt.Categories.Count + _gt.Cat[i]] ??= []).Add(i);
        }
        double sum = 0;
        for (var d = 0; d < _dt.Count; d++)
        {
            var list = gts[_dt.Img[d] * _gt.Categories.Count + _dt.Cat[d]];
            if (list is null) continue;
            var im = _gt.Images[_dt.Img[d]];
            var dm = _dt.Segm![d]!.ToRle(im.Height, im.Width);
            foreach (var g in list) sum += MaskApi.Iou(dm, rle[g], _gt.Crowd[g]);
        }
        return sum;
    }

    [Benchmark]
    public double Evaluate() => CocoEvaluator.Evaluate(_gt, _dt, new CocoEvalOptions { IouType = CocoIouType.Segm }).Stats["AP"];
}
