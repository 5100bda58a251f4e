using System.Runtime.ExceptionServices;

namespace Dyno.Metrics.Segmentation;

/// <summary>
/// Evaluates folders of PNG label maps: ground-truth and prediction files are matched by their path
/// relative to their folder (minus a suffix), decoded and folded into a <see cref="SegmentationAccumulator"/>
/// in parallel, one image pair per worker at a time (memory stays bounded by the worker count).
/// </summary>
public static class SegmentationFolders
{
    /// <summary>A matched pair of files.</summary>
    public sealed record Pair(string Name, string Gt, string Pred);

    /// <summary>Matches <paramref name="gtDir"/> and <paramref name="predDir"/>; unmatched predictions are returned as a count.</summary>
    public static (IReadOnlyList<Pair> Pairs, int UnmatchedPredictions) Match(string gtDir, string predDir, string gtSuffix, string predSuffix)
    {
        if (!Directory.Exists(gtDir)) throw new DirectoryNotFoundException($"{gtDir}: no such ground-truth folder");
        if (!Directory.Exists(predDir)) throw new DirectoryNotFoundException($"{predDir}: no such prediction folder");
        var gt = Index(gtDir, gtSuffix);
        var pred = Index(predDir, predSuffix);
        if (gt.Count == 0) throw new InvalidDataException($"{gtDir}: no ground-truth files ending in '{gtSuffix}'");
        var pairs = new List<Pair>(gt.Count);
        var missing = new List<string>();
        foreach (var (key, path) in gt)
        {
            if (pred.TryGetValue(key, out var p)) pairs.Add(new Pair(key, path, p));
            else missing.Add(key);
        }
        if (missing.Count > 0)
            throw DynoInputException.Naming(new InvalidDataException($"{predDir}: no prediction for {missing.Count} of {gt.Count} ground-truth maps, e.g. '{missing[0]}{predSuffix}' " +
                                           $"(files are matched by relative path minus gtSuffix/predSuffix)"), "gtSuffix", "predSuffix");
        return (pairs, pred.Count - pairs.Count);
    }

    private static SortedDictionary<string, string> Index(string dir, string suffix)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(dir, f).Replace('\\', '/');
            if (!rel.EndsWith(suffix, StringComparison.Ordinal)) continue;
            result[rel[..^suffix.Length]] = f;
        }
        return result;
    }

    /// <summary>Decodes and accumulates every pair in parallel.</summary>
    public static SegmentationReport Evaluate(IReadOnlyList<Pair> pairs, int numClasses, SegmentationOptions options, int? threads = null,
        long maxPixels = PngLabelReader.DefaultMaxPixels)
    {
        var total = new SegmentationAccumulator(numClasses, options);
        var gate = new object();
        var po = new ParallelOptions { MaxDegreeOfParallelism = threads ?? Environment.ProcessorCount };
        try
        {
            Parallel.For(0, pairs.Count, po,
                () => new Worker(numClasses, options, maxPixels),
                (i, _, w) => { w.Add(pairs[i]); return w; },
                w => { lock (gate) total.Merge(w.Acc); });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        return total.Compute();
    }

    private sealed class Worker(int numClasses, SegmentationOptions options, long maxPixels)
    {
        public readonly SegmentationAccumulator Acc = new(numClasses, options);
        private readonly PngLabelReader _gt = new() { MaxPixels = maxPixels }, _pred = new() { MaxPixels = maxPixels };
        private ushort[] _widen = [];

        public void Add(Pair p)
        {
            _gt.Read(p.Gt);
            _pred.Read(p.Pred);
            if (_gt.Width != _pred.Width || _gt.Height != _pred.Height)
                throw new InvalidDataException($"{p.Pred}: {_pred.Width}x{_pred.Height} pixels but its ground truth {p.Gt} is {_gt.Width}x{_gt.Height}");
            try
            {
                if (_gt.BitDepth == 8 && _pred.BitDepth == 8) Acc.Update(Target.Of(_gt.Pixels8), Prediction.Of(_pred.Pixels8), p.Name);
                else Acc.Update(Target.Of(_gt.BitDepth == 16 ? _gt.Pixels16 : Widen(_gt.Pixels8, new ushort[_gt.Pixels8.Length])), Prediction.Of(Wide(_pred)), p.Name);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{p.Gt} / {p.Pred}: {e.Message}");
            }
        }

        private ReadOnlySpan<ushort> Wide(PngLabelReader r)
        {
            if (r.BitDepth == 16) return r.Pixels16;
            if (_widen.Length < r.Pixels8.Length) _widen = new ushort[r.Pixels8.Length];
            return Widen(r.Pixels8, _widen);
        }

        private static ReadOnlySpan<ushort> Widen(ReadOnlySpan<byte> src, ushort[] dst)
        {
            for (var i = 0; i < src.Length; i++) dst[i] = src[i];
            return dst.AsSpan(0, src.Length);
        }
    }
}
