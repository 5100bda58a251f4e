using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

/// <summary>Shape arithmetic shared by the operator shape functions, and constant folding of small tensors.</summary>
internal static class ShapeMath
{
    public static Dim[] Static(params long[] dims) => dims.Select(Dim.Of).ToArray();

    /// <summary>Multidirectional (NumPy) broadcasting of several shapes; null when a rank is unknown.</summary>
    public static Dim[]? Broadcast(InferenceContext ctx, IEnumerable<Dim[]?> shapes)
    {
        Dim[]? result = [];
        foreach (var s in shapes)
        {
            if (s is null) return null;
            result = Broadcast2(ctx, result, s);
        }
        return result;
    }

    private static Dim[] Broadcast2(InferenceContext ctx, Dim[] a, Dim[] b)
    {
        var n = Math.Max(a.Length, b.Length);
        var r = new Dim[n];
        for (var i = 0; i < n; i++)
        {
            var x = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : Dim.Of(1);
            var y = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : Dim.Of(1);
            if (x.IsKnown && x.Value == 1) r[i] = y;
            else if (y.IsKnown && y.Value == 1) r[i] = x;
            else if (x.IsKnown && y.IsKnown)
            {
                if (x.Value != y.Value) throw ctx.Error($"shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] cannot be broadcast");
                r[i] = x;
            }
            else if (x.IsKnown) r[i] = x;
            else if (y.IsKnown) r[i] = y;
            else r[i] = x.Symbol is not null && x.Symbol == y.Symbol ? x : Dim.Unknown;
        }
        return r;
    }

    public static long Product(IEnumerable<long> dims)
    {
        long p = 1;
        foreach (var d in dims) p *= d;
        return p;
    }

    public static bool AllKnown(Dim[]? s) => s is not null && s.All(d => d.IsKnown);

    public static long[] Values(Dim[] s) => s.Select(d => d.Value).ToArray();

    public static long[] Strides(long[] shape)
    {
        var st = new long[shape.Length];
        long acc = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            st[i] = acc;
            acc *= shape[i];
        }
        return st;
    }

    /// <summary>For each flat index of <paramref name="outShape"/>, the flat index into a tensor of <paramref name="inShape"/> broadcast to it.</summary>
    public static int[] BroadcastIndex(long[] inShape, long[] outShape)
    {
        var n = (int)Product(outShape);
        var map = new int[n];
        var inStrides = Strides(inShape);
        var offset = outShape.Length - inShape.Length;
        var idx = new long[outShape.Length];
        for (var k = 0; k < n; k++)
        {
            long src = 0;
            for (var d = 0; d < inShape.Length; d++)
                if (inShape[d] != 1) src += idx[d + offset] * inStrides[d];
            map[k] = (int)src;
            for (var d = outShape.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return map;
    }

    /// <summary>Folds an elementwise operator over constant inputs when all are known and small.</summary>
    public static ConstValue? FoldElementwise(InferenceContext ctx, Dim[]? outShape, DataType outType, Func<double[], double>? f, Func<long[], long>? fi = null)
    {
        if (outShape is null || !AllKnown(outShape)) return null;
        var dims = Values(outShape);
        var n = Product(dims);
        if (n > ShapeInferenceEngine.MaxConstElements) return null;
        var inputs = new List<(ConstValue V, int[] Map)>();
        for (var i = 0; i < ctx.InputCount; i++)
        {
            var t = ctx.In(i);
            if (t is null) continue;
            if (t.Value is null || !t.IsStatic) return null;
            inputs.Add((t.Value, BroadcastIndex(t.Dims, dims)));
        }
        var useInts = fi is not null && ConstValue.UsesInts(outType) && inputs.All(x => x.V.IsInteger);
        if (useInts)
        {
            var res = new long[n];
            var args = new long[inputs.Count];
            for (var k = 0; k < n; k++)
            {
                for (var a = 0; a < args.Length; a++) args[a] = inputs[a].V.Long(inputs[a].Map[k]);
                res[k] = fi!(args);
            }
            return ConstValue.OfInts(res);
        }
        if (f is null) return null;
        var r = new double[n];
        var dargs = new double[inputs.Count];
        for (var k = 0; k < n; k++)
        {
            for (var a = 0; a < dargs.Length; a++) dargs[a] = inputs[a].V[inputs[a].Map[k]];
            r[k] = f(dargs);
        }
        return ConstValue.Of(outType, r);
    }

    /// <summary>Gathers constant content by flat source index.</summary>
    public static ConstValue Take(ConstValue v, IReadOnlyList<long> flat)
    {
        if (v.IsInteger) return ConstValue.OfInts(flat.Select(i => v.Ints![i]).ToArray());
        return ConstValue.OfFloats(flat.Select(i => v.Floats![i]).ToArray());
    }

    /// <summary>Concatenates constant contents in order.</summary>
    public static ConstValue Concat(IReadOnlyList<ConstValue> parts, DataType t)
    {
        if (ConstValue.UsesInts(t)) return ConstValue.OfInts(parts.SelectMany(p => p.AsLongs()).ToArray());
        return ConstValue.OfFloats(parts.SelectMany(p => p.AsDoubles()).ToArray());
    }

    /// <summary>Converts a dim list into a shape value tensor (int64) when every dim is known.</summary>
    public static ConstValue? ShapeValue(Dim[] dims) => AllKnown(dims) ? ConstValue.OfInts(Values(dims)) : null;
}
