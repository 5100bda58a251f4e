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
        _dt = CocoDetections.Parse(_dtBytes, dtPath, _gt, CocoIouType.Segm, BadRecordPolicy.Error, ownsBuffer: true);
    }

    [Benchmark]
    public int ParseGroundTruth() => CocoGroundTruth.Parse(_gtBytes, "gt", CocoIouType.Segm).Count;

    [Benchmark]
    public int ParseResults() => CocoDetections.Parse(_dtBytes, "dt", _gt, CocoIouType.Segm, BadRecordPolicy.Error, ownsBuffer: true).Count;

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

    private readonly System.Diagnostics.Stopwatch _tg = new(), _td = new(), _ti = new();
    private long _pairs, _overlapping;

    [Benchmark]
    public double PairIous()
    {
        // what the evaluator does per image and category: masks decoded once, every pair's IoU
        var K = _gt.Categories.Count;
        var gts = new List<int>?[_gt.Images.Count * K];
        var dts = new List<int>?[_gt.Images.Count * K];
        for (var i = 0; i < _gt.Count; i++) (gts[_gt.Img[i] * K + _gt.Cat[i]] ??= []).Add(i);
        for (var i = 0; i < _dt.Count; i++) (dts[_dt.Img[i] * K + _dt.Cat[i]] ??= []).Add(i);
        var dm = new MaskSet();
        var gm = new MaskSet();
        double sum = 0;
        for (var q = 0; q < gts.Length; q++)
        {
            if (gts[q] is not { } gl || dts[q] is not { } dl) continue;
            var im = _gt.Images[q / K];
            gm.Clear();
            dm.Clear();
            _tg.Start();
            foreach (var g in gl) gm.Add(_gt.Segm![g]!, im.Height, im.Width);
            _tg.Stop(); _td.Start();
            foreach (var d in dl) dm.Add(_dt.Segm![d]!, im.Height, im.Width);
            _td.Stop(); _ti.Start();
            for (var d = 0; d < dl.Count; d++)
                for (var g = 0; g < gl.Count; g++)
                {
                    var v = MaskSet.Iou(dm, d, gm, g, _gt.Crowd[gl[g]]);
                    sum += v;
                    _pairs++;
                    if (v > 0) _overlapping++;
                }
            _ti.Stop();
        }
        return sum;
    }

    /// <summary>
    /// Each phase once, timed in CPU seconds (user + system of this process), which a loaded shared
    /// machine does not inflate the way it does wall time: <c>dotnet run -c Release --project
    /// bench/Dyno.Bench -- mask-phases</c>.
    /// </summary>
    public static void PrintPhaseCpu()
    {
        var b = new MaskEvalBenchmarks();
        var proc = System.Diagnostics.Process.GetCurrentProcess();
        double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }
        var t0 = Cpu();
        b.Setup();
        Console.WriteLine($"setup (read + parse both files): {Cpu() - t0:F2} s cpu");
        foreach (var (name, run) in new (string, Func<double>)[]
                 {
                     ("ParseGroundTruth", () => b.ParseGroundTruth()), ("ParseResults", () => b.ParseResults()),
                     ("GroundTruthMasks", () => b.GroundTruthMasks()), ("PairIous", b.PairIous), ("Evaluate", b.Evaluate),
                 })
        {
            var t = Cpu();
            var w = System.Diagnostics.Stopwatch.StartNew();
            run();
            Console.WriteLine($"{name}: {Cpu() - t:F2} s cpu, {w.Elapsed.TotalSeconds:F2} s wall");
            if (name == "PairIous")
                Console.WriteLine($"  of which (wall) ground-truth masks {b._tg.Elapsed.TotalSeconds:F2} s, detection masks {b._td.Elapsed.TotalSeconds:F2} s, " +
                                  $"IoUs {b._ti.Elapsed.TotalSeconds:F2} s; {b._pairs} pairs, {b._overlapping} with IoU > 0");
        }
    }


    /// <summary>
    /// CPU seconds per kind of mask work, each over every mask once: <c>-- mask-kinds</c> (decoding
    /// the detections' RLE strings, rasterising their polygons, the ground truth's masks).
    /// </summary>
    public static void PrintKindCpu()
    {
        var b = new MaskEvalBenchmarks();
        b.Setup();
        var proc = System.Diagnostics.Process.GetCurrentProcess();
        double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }
        var t = Cpu();
        var raw = CocoDetections.ParseRaw(b._dtBytes, "dt", CocoIouType.Segm, ownsBuffer: true);
        Console.WriteLine($"results: strict parse of {raw.Length} chunks {Cpu() - t:F2} s cpu");
        Console.WriteLine($"  live heap with the chunks {GC.GetTotalMemory(true) / 1e6:F0} MB (files {(b._dtBytes.Length + b._gtBytes.Length) / 1e6:F0} MB, the evaluated set loaded too)");
        raw = null;
        Console.WriteLine($"  live heap without {GC.GetTotalMemory(true) / 1e6:F0} MB");
        // REPEAT=n: each kind n times, the least CPU time kept (a loaded machine inflates single runs)
        var reps = int.TryParse(Environment.GetEnvironmentVariable("REPEAT"), out var rv) && rv > 0 ? rv : 1;
        double Least(Action work)
        {
            var best = double.MaxValue;
            for (var r = 0; r < reps; r++)
            {
                var t0 = Cpu();
                work();
                best = Math.Min(best, Cpu() - t0);
            }
            return best;
        }
        var set = new MaskSet();
        int nr = 0, np = 0;
        var cpu = Least(() =>
        {
            nr = 0;
            for (var i = 0; i < b._dt.Count; i++)
                if (b._dt.Segm![i] is RleSegmentation or CompressedRleSlice) { set.Clear(); set.Add(b._dt.Segm![i]!, 0, 0, box: false); nr++; }
        });
        Console.WriteLine($"detection RLE strings ({nr}), file order: {cpu:F2} s cpu");
        cpu = Least(() =>
        {
            np = 0;
            for (var i = 0; i < b._dt.Count; i++)
                if (b._dt.Segm![i] is PolygonSlice p) { var im = b._gt.Images[b._dt.Img[i]]; set.Clear(); set.Add(p, im.Height, im.Width, box: false); np++; }
        });
        Console.WriteLine($"detection polygons ({np}): {cpu:F2} s cpu");
        var buf = new uint[256];
        long runs = 0;
        var polys = b._dt.Segm!.OfType<PolygonSlice>().Select(p => p.ToPolygons().Polygons[0]).ToArray();
        var polyImg = Enumerable.Range(0, b._dt.Count).Where(i => b._dt.Segm![i] is PolygonSlice).Select(i => b._gt.Images[b._dt.Img[i]]).ToArray();
        cpu = Least(() =>
        {
            runs = 0;
            for (var i = 0; i < polys.Length; i++) runs += PolygonRaster.Counts(polys[i], polyImg[i].Height, polyImg[i].Width, ref buf);
        });
        Console.WriteLine($"  of which rasterising ({runs} runs): {cpu:F2} s cpu");
        cpu = Least(() =>
        {
            for (var i = 0; i < b._gt.Count; i++) { var im = b._gt.Images[b._gt.Img[i]]; set.Clear(); set.Add(b._gt.Segm![i]!, im.Height, im.Width); }
        });
        Console.WriteLine($"ground truth ({b._gt.Count}): {cpu:F2} s cpu");
    }

    [Benchmark]
    public double Evaluate() => CocoEvaluator.Evaluate(_gt, _dt, new CocoEvalOptions { IouType = CocoIouType.Segm }).Stats["AP"];
}
