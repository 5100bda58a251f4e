using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dyno.Metrics.Classification;

namespace Dyno.Metrics.Segmentation;

/// <summary>
/// Streaming, mergeable semantic-segmentation metrics: each image pair (prediction, ground truth as
/// class-index maps) is folded into one pixel confusion matrix in a single pass; per-image figures are
/// kept on request. Definitions follow mmsegmentation (see docs/metrics-classification-segmentation.md).
/// Not thread-safe: use one accumulator per thread and <see cref="Merge"/> them.
/// </summary>
public sealed class SegmentationAccumulator : IMetric<SegmentationAccumulator, Target<byte>, Prediction<byte>, SegmentationReport>
{
    private const int Ignored = -2, Invalid = -1;

    private readonly SegmentationOptions _options;
    private ConfusionMatrix _cm;
    private readonly List<(string Name, long[] Stats)> _perImage = [];
    private readonly int[] _gtMap8 = new int[256];
    private readonly long[] _joint; // (C+1)², gt row C = ignored, pred column C = not a class
    private uint[]? _hist8;
    private int[]? _gtLut16;
    private long _images, _ignored;

    /// <summary>An empty accumulator over classes 0..<paramref name="numClasses"/>-1.</summary>
    public SegmentationAccumulator(int numClasses, SegmentationOptions? options = null)
    {
        if (numClasses < 1 || numClasses > 65535) throw new DynoInputException($"segmentation needs 1..65535 classes, got {numClasses}", nameof(numClasses));
        _options = options ?? new SegmentationOptions();
        NumClasses = numClasses;
        _cm = new ConfusionMatrix(numClasses);
        _joint = new long[(numClasses + 1) * (numClasses + 1)];
        for (var v = 0; v < 256; v++) _gtMap8[v] = MapGt(v);
    }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Images added so far.</summary>
    public long Images => _images;

    /// <summary>The ground-truth value <paramref name="v"/> as a class, <c>-2</c> (ignored) or <c>-1</c> (not a class).</summary>
    private int MapGt(int v)
    {
        if (_options.ReduceZeroLabel) v = v == 0 ? 255 : v - 1 == 254 ? 255 : v - 1;
        if (_options.IgnoreIndex == v) return Ignored;
        return (uint)v < (uint)NumClasses ? v : Invalid;
    }

    /// <summary>Adds one image of 8-bit label maps (same length, same pixel order).</summary>
    public void Update(Target<byte> target, Prediction<byte> prediction) => Update(target, prediction, null);

    /// <summary>Adds one image of 8-bit label maps; <paramref name="name"/> names it in errors and per-image figures.</summary>
    public void Update(Target<byte> target, Prediction<byte> prediction, string? name) => Add(prediction.Values, target.Values, name);

    /// <summary>Adds one image of 16-bit label maps.</summary>
    public void Update(Target<ushort> target, Prediction<ushort> prediction, string? name = null) => Add(prediction.Values, target.Values, name);

    /// <summary>Adds one image of label maps held as ints (raw arrays).</summary>
    public void Update(Target<int> target, Prediction<int> prediction, string? name = null) => Add(prediction.Values, target.Values, name);

    private void Add(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> groundTruth, string? name)
    {
        name = CheckSizes(prediction.Length, groundTruth.Length, name);
        var hist = _hist8 ??= new uint[65536];
        Histogram8(prediction, groundTruth, hist);
        Array.Clear(_joint);
        var c1 = NumClasses + 1;
        for (var g = 0; g < 256; g++)
        {
            var row = hist.AsSpan(g << 8, 256);
            if (row.IndexOfAnyExcept(0u) < 0) continue;
            var gi = _gtMap8[g];
            if (gi == Invalid) throw new InvalidDataException(BadGt(name, g));
            for (var p = 0; p < 256; p++)
            {
                var n = row[p];
                if (n == 0) continue;
                if (gi == Ignored) { _joint[NumClasses * c1 + NumClasses] += n; continue; }
                if (p >= NumClasses) throw new InvalidDataException(BadPred(name, p));
                _joint[gi * c1 + p] += n;
            }
        }
        Array.Clear(hist);
        Fold(name);
    }

    private void Add(ReadOnlySpan<ushort> prediction, ReadOnlySpan<ushort> groundTruth, string? name)
    {
        name = CheckSizes(prediction.Length, groundTruth.Length, name);
        if (_gtLut16 is null)
        {
            _gtLut16 = new int[65536];
            for (var v = 0; v < 65536; v++) _gtLut16[v] = MapGt(v);
        }
        Array.Clear(_joint);
        var lut = _gtLut16;
        var c1 = NumClasses + 1;
        for (var i = 0; i < groundTruth.Length; i++)
        {
            var gi = lut[groundTruth[i]];
            if (gi < 0)
            {
                if (gi == Invalid) throw new InvalidDataException(BadGt(name, groundTruth[i]));
                _joint[NumClasses * c1 + NumClasses]++;
                continue;
            }
            int p = prediction[i];
            if (p >= NumClasses) throw new InvalidDataException(BadPred(name, p));
            _joint[gi * c1 + p]++;
        }
        Fold(name);
    }

    private void Add(ReadOnlySpan<int> prediction, ReadOnlySpan<int> groundTruth, string? name)
    {
        name = CheckSizes(prediction.Length, groundTruth.Length, name);
        Array.Clear(_joint);
        var c1 = NumClasses + 1;
        for (var i = 0; i < groundTruth.Length; i++)
        {
            var g = groundTruth[i];
            var gi = g is < 0 or > 65535 ? (_options.IgnoreIndex == g && !_options.ReduceZeroLabel ? Ignored : Invalid) : MapGt(g);
            if (gi < 0)
            {
                if (gi == Invalid) throw new InvalidDataException(BadGt(name, g));
                _joint[NumClasses * c1 + NumClasses]++;
                continue;
            }
            var p = prediction[i];
            if ((uint)p >= (uint)NumClasses) throw new InvalidDataException(BadPred(name, p));
            _joint[gi * c1 + p]++;
        }
        Fold(name);
    }

    private string CheckSizes(int pred, int gt, string? name)
    {
        name ??= $"image {_images}";
        if (pred != gt) throw new InvalidDataException($"{name}: the prediction has {pred} pixels but the ground truth has {gt}");
        return name;
    }

    private string BadGt(string name, int v) =>
        $"{name}: ground-truth label {v}{(_options.ReduceZeroLabel ? " (before reduce-zero-label)" : "")} is neither a class (0..{NumClasses - 1}) nor the ignore index ({(_options.IgnoreIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")})";

    private string BadPred(string name, int v) =>
        $"{name}: predicted label {v} at a non-ignored pixel is not a class (0..{NumClasses - 1})";

    /// <summary>Joint histogram of (gt, pred) byte pairs; runs of 32 equal pairs are counted at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Histogram8(ReadOnlySpan<byte> pred, ReadOnlySpan<byte> gt, uint[] hist)
    {
        ref var h = ref MemoryMarshal.GetArrayDataReference(hist);
        ref var pg = ref MemoryMarshal.GetReference(gt);
        ref var pp = ref MemoryMarshal.GetReference(pred);
        var n = gt.Length;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 32; i += 32)
            {
                var vg = Vector256.LoadUnsafe(ref pg, (nuint)i);
                var vp = Vector256.LoadUnsafe(ref pp, (nuint)i);
                var g0 = vg.GetElement(0);
                var p0 = vp.GetElement(0);
                if (vg == Vector256.Create(g0) && vp == Vector256.Create(p0))
                {
                    Unsafe.Add(ref h, (g0 << 8) | p0) += 32;
                    continue;
                }
                for (var j = i; j < i + 32; j++)
                    Unsafe.Add(ref h, (Unsafe.Add(ref pg, j) << 8) | Unsafe.Add(ref pp, j))++;
            }
        }
        for (; i < n; i++) Unsafe.Add(ref h, (Unsafe.Add(ref pg, i) << 8) | Unsafe.Add(ref pp, i))++;
    }

    /// <summary>Moves the image's joint counts into the dataset confusion matrix (and per-image stats).</summary>
    private void Fold(string name)
    {
        var c = NumClasses;
        var c1 = c + 1;
        _ignored += _joint[c * c1 + c];
        long[]? stats = _options.PerImage ? new long[3 * c] : null;
        for (var g = 0; g < c; g++)
            for (var p = 0; p < c; p++)
            {
                var n = _joint[g * c1 + p];
                if (n == 0) continue;
                _cm.Add(g, p, n);
                if (stats is null) continue;
                stats[g] += n;         // gt pixels
                stats[c + p] += n;     // predicted pixels
                if (g == p) stats[2 * c + g] += n; // intersection
            }
        if (stats is not null) _perImage.Add((name, stats));
        _images++;
    }

    /// <summary>Adds everything <paramref name="other"/> accumulated (same classes and options).</summary>
    public void Merge(SegmentationAccumulator other)
    {
        if (other.NumClasses != NumClasses || other._options != _options)
            throw new ArgumentException("cannot merge segmentation accumulators with different classes or options");
        _cm.Merge(other._cm);
        _perImage.AddRange(other._perImage);
        _images += other._images;
        _ignored += other._ignored;
    }

    /// <summary>Forgets every image, keeping the classes and options.</summary>
    public void Reset()
    {
        _cm = new ConfusionMatrix(NumClasses);
        _perImage.Clear();
        _images = _ignored = 0;
    }

    /// <summary>Computes the dataset-level figures (and per-image ones if kept).</summary>
    public SegmentationReport Compute()
    {
        if (_images == 0) throw new DynoInputException("no images to evaluate");
        var c = NumClasses;
        var gt = _cm.TrueCounts();
        var pred = _cm.PredictedCounts();
        var inter = _cm.Diagonal();
        var (dataset, perClass) = Score("dataset", gt, pred, inter);
        SegmentationScores? mean = null;
        ImageSegmentationScores[]? images = null;
        if (_options.PerImage)
        {
            images = _perImage.OrderBy(x => x.Name, StringComparer.Ordinal).Select(x =>
            {
                var s = x.Stats;
                var (scores, _) = Score("image", s.AsSpan(0, c).ToArray(), s.AsSpan(c, c).ToArray(), s.AsSpan(2 * c, c).ToArray());
                return new ImageSegmentationScores(x.Name, s.AsSpan(0, c).ToArray().Sum(), scores);
            }).ToArray();
            mean = new SegmentationScores("per_image_mean",
                NanMean(images.Select(i => i.Scores.MIoU)), NanMean(images.Select(i => i.Scores.Dice)),
                NanMean(images.Select(i => i.Scores.PixelAccuracy)), NanMean(images.Select(i => i.Scores.MeanAccuracy)),
                NanMean(images.Select(i => i.Scores.FwIoU)));
        }
        return new SegmentationReport
        {
            NumClasses = c,
            Images = _images,
            Pixels = _cm.Total,
            IgnoredPixels = _ignored,
            Dataset = dataset,
            PerClass = perClass,
            PerImageMean = mean,
            PerImage = images,
            Confusion = _cm.Clone(),
        };
    }

    /// <summary>mmsegmentation's figures from per-class ground-truth, predicted and intersection pixel counts.</summary>
    public static (SegmentationScores Scores, SegmentationClassScores[] PerClass) Score(string averaging, long[] gt, long[] pred, long[] inter)
    {
        var c = gt.Length;
        var per = new SegmentationClassScores[c];
        long total = 0, correct = 0;
        for (var k = 0; k < c; k++) { total += gt[k]; correct += inter[k]; }
        double fw = 0;
        for (var k = 0; k < c; k++)
        {
            var union = gt[k] + pred[k] - inter[k];
            var iou = union == 0 ? double.NaN : (double)inter[k] / union;
            var dice = gt[k] + pred[k] == 0 ? double.NaN : 2.0 * inter[k] / (gt[k] + pred[k]);
            var acc = gt[k] == 0 ? double.NaN : (double)inter[k] / gt[k];
            per[k] = new SegmentationClassScores(k, gt[k], pred[k], inter[k], union, iou, dice, acc);
            if (gt[k] > 0) fw += (double)gt[k] / total * iou;
        }
        var scores = new SegmentationScores(averaging,
            NanMean(per.Select(p => p.Iou)), NanMean(per.Select(p => p.Dice)),
            total == 0 ? double.NaN : (double)correct / total, NanMean(per.Select(p => p.Accuracy)),
            total == 0 ? double.NaN : fw);
        return (scores, per);
    }

    private static double NanMean(IEnumerable<double> values)
    {
        double sum = 0;
        var n = 0;
        foreach (var v in values)
        {
            if (double.IsNaN(v)) continue;
            sum += v;
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }
}
