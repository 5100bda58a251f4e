using Dyno.Models.Onnx;
using Dyno.Runtime.Variants.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Dyno.Runtime.Variants;

/// <summary>How activation ranges are taken from the calibration data.</summary>
public enum CalibrationMethod
{
    /// <summary>Smallest and largest value seen over all samples (onnxruntime's MinMaxCalibrater, no moving average).</summary>
    MinMax,

    /// <summary>
    /// onnxruntime's PercentileCalibrater (symmetric=False): a 2048-bin histogram over [-m, m] (m the largest magnitude
    /// seen), cutting (100 - p) / 2 percent of the mass on each side, clamped to the observed min and max.
    /// </summary>
    Percentile,
}

/// <summary>The calibrated range of one tensor.</summary>
public readonly record struct TensorRange(float Min, float Max);

/// <summary>
/// Runs a model with ONNX Runtime over calibration samples with the tensors to calibrate exposed as extra graph
/// outputs (as onnxruntime's calibrators do; graph optimizations off so every intermediate tensor exists), and
/// reduces each tensor to a range.
/// </summary>
internal static class Calibrator
{
    public static Dictionary<string, TensorRange> Run(ModelProto model, IReadOnlyCollection<string> tensors,
        IEnumerable<IReadOnlyDictionary<string, DenseTensor<float>>> data, CalibrationMethod method, double percentile, int bins,
        Action<string>? progress, out int samples)
    {
        var g = model.Graph;
        var initializers = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = g.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        var inputNames = inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var augmented = model.Clone();
        var existing = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var t in tensors)
            if (!existing.Contains(t) && !inputNames.Contains(t)) augmented.Graph.Output.Add(ProtoModel.TensorValue(t, DataType.Float));
        var observed = tensors.Where(t => !inputNames.Contains(t)).ToArray();
        var fromInputs = tensors.Where(inputNames.Contains).ToArray();

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(ProtoModel.Serialize(augmented), options);

        var stats = new Dictionary<string, Stat>(StringComparer.Ordinal);
        foreach (var t in tensors) stats[t] = new Stat();

        int Pass(Action<Stat, ReadOnlySpan<float>> visit, string what)
        {
            var k = 0;
            foreach (var sample in data)
            {
                k++;
                var values = new List<OrtValue>();
                try
                {
                    foreach (var i in inputs)
                    {
                        if (!sample.TryGetValue(i.Name, out var tensor))
                            throw new InvalidDataException($"calibration sample {k} has no tensor for model input '{i.Name}'");
                        values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensor.Buffer, tensor.Dimensions.ToArray().Select(d => (long)d).ToArray()));
                    }
                    foreach (var name in fromInputs) visit(stats[name], sample[name].Buffer.Span);
                    using var run = new RunOptions();
                    using var outputs = session.Run(run, inputs.Select(i => i.Name).ToArray(), values, observed);
                    for (var j = 0; j < observed.Length; j++) visit(stats[observed[j]], outputs[j].GetTensorDataAsSpan<float>());
                }
                catch (OnnxRuntimeException e)
                {
                    throw new InvalidDataException($"calibration sample {k}: ONNX Runtime could not run the model: {e.Message}");
                }
                finally
                {
                    foreach (var v in values) v.Dispose();
                }
                if (k % 10 == 0) progress?.Invoke($"{what}: {k} samples");
            }
            if (k == 0) throw new InvalidDataException("no calibration samples");
            return k;
        }

        samples = Pass((s, v) => s.AddMinMax(v), "calibrating (min/max)");
        if (method == CalibrationMethod.Percentile)
        {
            foreach (var s in stats.Values) s.StartHistogram(bins);
            samples = Pass((s, v) => s.AddHistogram(v), "calibrating (histograms)");
        }
        return stats.ToDictionary(p => p.Key, p => method == CalibrationMethod.Percentile ? p.Value.PercentileRange(percentile) : p.Value.MinMaxRange());
    }

    /// <summary>The range of one array by <paramref name="method"/>, as <see cref="Run"/> computes it for a tensor.</summary>
    internal static TensorRange RangeOf(ReadOnlySpan<float> data, CalibrationMethod method, double percentile = 99.999, int bins = 2048)
    {
        var s = new Stat();
        s.AddMinMax(data);
        if (method == CalibrationMethod.MinMax) return s.MinMaxRange();
        s.StartHistogram(bins);
        s.AddHistogram(data);
        return s.PercentileRange(percentile);
    }

    /// <summary>Per-tensor statistics: min, max (NaN ignored) and, for the percentile method, a histogram.</summary>
    private sealed class Stat
    {
        private float _min = float.PositiveInfinity, _max = float.NegativeInfinity;
        private bool _any;
        private long[]? _hist;
        private float[]? _edges;
        private float _first, _denom;

        public void AddMinMax(ReadOnlySpan<float> v)
        {
            foreach (var x in v)
            {
                if (float.IsNaN(x)) continue;
                if (x < _min) _min = x;
                if (x > _max) _max = x;
                _any = true;
            }
        }

        public TensorRange MinMaxRange() => _any ? new TensorRange(_min, _max) : new TensorRange(0, 0);

        // numpy.histogram(data, bins, range=(-t, t)) on float32 data: edges = float32(linspace(-t, t, bins + 1)),
        // bin index estimated in float32 and corrected by one against the edges, last bin closed.
        public void StartHistogram(int bins)
        {
            var lo = _any ? _min : 0f;
            var hi = _any ? _max : 0f;
            var t = Math.Max(Math.Abs(lo), Math.Abs(hi));
            double first = -t, last = t;
            if (first == last) { first -= 0.5; last += 0.5; }
            _edges = new float[bins + 1];
            var step = (last - first) / bins;
            for (var i = 0; i <= bins; i++) _edges[i] = (float)(i * step + first);
            _edges[bins] = (float)last;
            _first = (float)first;
            _denom = (float)last - (float)first;
            _hist = new long[bins];
        }

        public void AddHistogram(ReadOnlySpan<float> v)
        {
            var hist = _hist!;
            var edges = _edges!;
            var n = hist.Length;
            float first = _first, lastEdge = edges[n];
            foreach (var x in v)
            {
                if (!(x >= first && x <= lastEdge)) continue;
                var idx = (int)((x - first) / _denom * n);
                if (idx >= n) idx = n - 1;
                if (idx < 0) idx = 0;
                if (x < edges[idx]) idx--;
                else if (x >= edges[idx + 1] && idx != n - 1) idx++;
                hist[idx]++;
            }
        }

        // onnxruntime HistogramCollector.compute_percentile with symmetric=False.
        public TensorRange PercentileRange(double percentile)
        {
            var hist = _hist!;
            var edges = _edges!;
            long total = 0;
            foreach (var h in hist) total += h;
            if (total == 0) return MinMaxRange();
            var cdf = new double[hist.Length];
            double acc = 0;
            for (var i = 0; i < hist.Length; i++)
            {
                acc += (double)hist[i] / total;
                cdf[i] = acc;
            }
            var cut = (100.0 - percentile) / 200.0;
            var lo = edges[SearchSorted(cdf, cut)];
            var hi = edges[SearchSorted(cdf, 1.0 - cut)];
            var (min, max) = (MinMaxRange().Min, MinMaxRange().Max);
            if (lo < min) lo = min;
            if (hi > max) hi = max;
            return new TensorRange(lo, hi);
        }

        // numpy.searchsorted(a, v, side='left'): the first index i with a[i] >= v.
        private static int SearchSorted(double[] a, double v)
        {
            int lo = 0, hi = a.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (a[mid] < v) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }
    }
}
