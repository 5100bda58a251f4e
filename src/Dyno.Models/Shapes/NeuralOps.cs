using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

public static partial class OperatorRegistry
{
    private static void RegisterNeuralOps()
    {
        Add("Conv", ctx => InferConv(ctx, ctx.Input(0).ElemType, 1));
        Add("ConvInteger", ctx => InferConv(ctx, DataType.Int32, 1));
        Add("QLinearConv", ctx => InferConv(ctx, ctx.Input(7).ElemType, 3));
        Add("DeformConv", ctx => InferConv(ctx, ctx.Input(0).ElemType, 1));
        Add("ConvTranspose", InferConvTranspose);
        Add("MaxPool", ctx =>
        {
            InferPool(ctx);
            if (ctx.OutputCount > 1) ctx.Out(1, DataType.Int64, ctx.Outputs[0]?.Shape);
        });
        AddAll(["AveragePool", "LpPool"], InferPool);
        AddAll(["GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"], ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, x.ElemType, x.Shape?.Select((d, i) => i < 2 ? d : Dim.Of(1)).ToArray());
        });
        Add("MaxRoiPool", ctx =>
        {
            var x = ctx.Input(0);
            var rois = ctx.Input(1);
            var ps = ctx.Ints("pooled_shape") ?? throw ctx.Error("pooled_shape is required");
            ctx.Out(0, x.ElemType, x.Shape is null || rois.Shape is null ? null : [rois.Shape[0], x.Shape[1], Dim.Of(ps[0]), Dim.Of(ps[1])]);
        });
        Add("RoiAlign", ctx =>
        {
            var x = ctx.Input(0);
            var rois = ctx.Input(1);
            ctx.Out(0, x.ElemType, x.Shape is null || rois.Shape is null ? null
                : [rois.Shape[0], x.Shape[1], Dim.Of(ctx.Int("output_height", 1)), Dim.Of(ctx.Int("output_width", 1))]);
        });
        Add("MaxUnpool", ctx =>
        {
            var x = ctx.Input(0);
            var outShape = ctx.Has(2) ? ctx.IntsOf(2) : null;
            if (outShape is not null) { ctx.Out(0, x.ElemType, ShapeMath.Static(outShape)); return; }
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var k = ctx.Ints("kernel_shape")!;
            var strides = ctx.Ints("strides") ?? k.Select(_ => 1L).ToArray();
            var pads = ctx.Ints("pads") ?? new long[2 * k.Length];
            var dims = (Dim[])x.Shape.Clone();
            for (var i = 0; i < k.Length; i++)
            {
                var d = x.Shape[i + 2];
                dims[i + 2] = d.IsKnown ? Dim.Of((d.Value - 1) * strides[i] + k[i] - pads[i] - pads[i + k.Length]) : Dim.Unknown;
            }
            ctx.Out(0, x.ElemType, dims);
        });
        Add("BatchNormalization", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, x.ElemType, x.Shape);
            var c = x.Shape is { Length: > 1 } ? new[] { x.Shape[1] } : null;
            for (var i = 1; i < ctx.OutputCount; i++) ctx.Out(i, ctx.Input(1).ElemType, c);
        });
        Add("LayerNormalization", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, x.ElemType, x.Shape);
            if (x.Shape is null) return;
            var axis = ctx.Axis(ctx.Int("axis", -1), x.Rank);
            var reduced = x.Shape.Select((d, i) => i < axis ? d : Dim.Of(1)).ToArray();
            var stash = ctx.HasAttr("stash_type") && ctx.Int("stash_type", 1) != 1 ? (DataType)ctx.Int("stash_type", 1) : DataType.Float;
            ctx.Out(1, stash, reduced);
            ctx.Out(2, stash, reduced);
        });
        AddAll(["GroupNormalization"], ctx => ctx.Out(0, ctx.Input(0).ElemType, ctx.Input(0).Shape));
        Add("Gemm", ctx =>
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            if (a.Shape is not { Length: 2 } sa || b.Shape is not { Length: 2 } sb) { ctx.Out(0, a.ElemType, a.HasRank || b.HasRank ? [Dim.Unknown, Dim.Unknown] : null); return; }
            var m = ctx.Int("transA", 0) == 1 ? sa[1] : sa[0];
            var k1 = ctx.Int("transA", 0) == 1 ? sa[0] : sa[1];
            var k2 = ctx.Int("transB", 0) == 1 ? sb[1] : sb[0];
            var n = ctx.Int("transB", 0) == 1 ? sb[0] : sb[1];
            if (k1.IsKnown && k2.IsKnown && k1.Value != k2.Value) throw ctx.Error($"inner dimensions differ ({k1.Value} vs {k2.Value})");
            ctx.Out(0, a.ElemType, [m, n]);
        });
        Add("MatMul", ctx => InferMatMul(ctx, ctx.Input(0).ElemType));
        Add("MatMulInteger", ctx => InferMatMul(ctx, DataType.Int32));
        Add("QLinearMatMul", ctx => InferMatMul(ctx, ctx.Input(7).ElemType, 3));
        Add("Einsum", ctx =>
        {
            var eq = ctx.Str("equation", "").Replace(" ", "", StringComparison.Ordinal);
            var ins = Enumerable.Range(0, ctx.InputCount).Select(ctx.Input).ToList();
            var type = ins[0].ElemType;
            var parsed = Einsum.Parse(eq, ins.Select(t => t.Rank).ToArray());
            if (parsed is null || ins.Any(t => !t.HasRank)) { ctx.Out(0, type, null); return; }
            var sizes = parsed.LetterSizes(ins.Select(t => t.Shape!).ToArray());
            ctx.Out(0, type, parsed.Output.Select(c => sizes.GetValueOrDefault(c, Dim.Unknown)).ToArray());
        });
        AddAll(["RNN", "GRU", "LSTM"], ctx =>
        {
            var x = ctx.Input(0);
            var hidden = ctx.Int("hidden_size", -1);
            var dirs = ctx.Str("direction", "forward") == "bidirectional" ? 2 : 1;
            var layout = ctx.Int("layout", 0);
            if (x.Shape is not { Length: 3 } s) { for (var i = 0; i < ctx.OutputCount; i++) ctx.Out(i, x.ElemType, null); return; }
            var h = hidden >= 0 ? Dim.Of(hidden) : ctx.Input(2).Shape?[2] ?? Dim.Unknown;
            var (seq, batch) = layout == 0 ? (s[0], s[1]) : (s[1], s[0]);
            var nd = Dim.Of(dirs);
            ctx.Out(0, x.ElemType, layout == 0 ? [seq, nd, batch, h] : [batch, seq, nd, h]);
            ctx.Out(1, x.ElemType, layout == 0 ? [nd, batch, h] : [batch, nd, h]);
            ctx.Out(2, x.ElemType, layout == 0 ? [nd, batch, h] : [batch, nd, h]);
        });
        Add("GridSample", ctx =>
        {
            var x = ctx.Input(0);
            var g = ctx.Input(1);
            if (x.Shape is null || g.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            ctx.Out(0, x.ElemType, new[] { x.Shape[0], x.Shape[1] }.Concat(g.Shape[1..^1]).ToArray());
        });
        Add("QuantizeLinear", ctx =>
        {
            var type = ctx.In(2)?.ElemType ?? (ctx.HasAttr("output_dtype") ? (DataType)ctx.Int("output_dtype", 2) : DataType.UInt8);
            ctx.Out(0, type, ctx.Input(0).Shape);
        });
        Add("DequantizeLinear", ctx => ctx.Out(0, ctx.Input(1).ElemType, ctx.Input(0).Shape));
        Add("DynamicQuantizeLinear", ctx =>
        {
            ctx.Out(0, DataType.UInt8, ctx.Input(0).Shape);
            ctx.Out(1, DataType.Float, []);
            ctx.Out(2, DataType.UInt8, []);
        });
        Add("Det", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, x.ElemType, x.Shape?[..^2]);
        });
        Add("Col2Im", ctx =>
        {
            var x = ctx.Input(0);
            var image = ctx.IntsOf(1);
            var block = ctx.IntsOf(2);
            if (x.Shape is null || image is null || block is null) { ctx.Out(0, x.ElemType, null); return; }
            var c = x.Shape[1].IsKnown ? Dim.Of(x.Shape[1].Value / ShapeMath.Product(block)) : Dim.Unknown;
            ctx.Out(0, x.ElemType, new[] { x.Shape[0], c }.Concat(ShapeMath.Static(image)).ToArray());
        });
    }

    private static void InferMatMul(InferenceContext ctx, DataType type, int bIndex = 1)
    {
        var a = ctx.Input(0).Shape;
        var b = ctx.Input(bIndex).Shape;
        if (a is null || b is null) { ctx.Out(0, type, null); return; }
        if (a.Length == 0 || b.Length == 0) throw ctx.Error("MatMul inputs cannot be scalars");
        var a2 = a.Length == 1 ? new[] { Dim.Of(1), a[0] } : a;
        var b2 = b.Length == 1 ? new[] { b[0], Dim.Of(1) } : b;
        var k1 = a2[^1];
        var k2 = b2[^2];
        if (k1.IsKnown && k2.IsKnown && k1.Value != k2.Value)
            throw ctx.Error($"inner dimensions differ: [{string.Join(",", a)}] x [{string.Join(",", b)}]");
        var batch = ShapeMath.Broadcast(ctx, [a2[..^2], b2[..^2]])!;
        var dims = batch.ToList();
        if (a.Length > 1) dims.Add(a2[^2]);
        if (b.Length > 1) dims.Add(b2[^1]);
        ctx.Out(0, type, dims.ToArray());
    }

    /// <summary>Kernel spatial shape of a Conv-like node: the attribute, else the weight's trailing dims.</summary>
    internal static long[]? KernelShape(InferenceContext ctx, Dim[]? w)
    {
        var k = ctx.Ints("kernel_shape");
        if (k is not null) return k;
        if (w is null || w.Length < 3 || !ShapeMath.AllKnown(w[2..])) return null;
        return ShapeMath.Values(w[2..]);
    }

    private static void InferConv(InferenceContext ctx, DataType type, int wIndex)
    {
        var x = ctx.Input(0).Shape;
        var w = ctx.Input(wIndex).Shape;
        if (x is null || w is null) { ctx.Out(0, type, x is null ? null : x.Select(_ => Dim.Unknown).ToArray()); return; }
        var k = KernelShape(ctx, w);
        var spatial = x.Length - 2;
        if (w.Length != x.Length) throw ctx.Error($"input rank {x.Length} and weight rank {w.Length} differ");
        var group = ctx.Int("group", 1);
        if (x[1].IsKnown && w[1].IsKnown && x[1].Value != w[1].Value * group)
            throw ctx.Error($"input has {x[1].Value} channels but weights expect {w[1].Value} x group {group}");
        var dims = new Dim[x.Length];
        dims[0] = x[0];
        dims[1] = w[0];
        if (k is null) { for (var i = 0; i < spatial; i++) dims[i + 2] = Dim.Unknown; ctx.Out(0, type, dims); return; }
        SpatialOut(ctx, x, k, dims, ceil: false);
        ctx.Out(0, type, dims);
    }

    private static void InferPool(InferenceContext ctx)
    {
        var xi = ctx.Input(0);
        var x = xi.Shape;
        if (x is null) { ctx.Out(0, xi.ElemType, null); return; }
        var k = ctx.Ints("kernel_shape") ?? throw ctx.Error("kernel_shape is required");
        var dims = new Dim[x.Length];
        dims[0] = x[0];
        dims[1] = x[1];
        SpatialOut(ctx, x, k, dims, ctx.Int("ceil_mode", 0) == 1);
        ctx.Out(0, xi.ElemType, dims);
    }

    private static void SpatialOut(InferenceContext ctx, Dim[] x, long[] k, Dim[] dims, bool ceil)
    {
        var n = k.Length;
        var strides = ctx.Ints("strides") is { Length: > 0 } s ? s : Enumerable.Repeat(1L, n).ToArray();
        var dil = ctx.Ints("dilations") is { Length: > 0 } d ? d : Enumerable.Repeat(1L, n).ToArray();
        var pads = ctx.Ints("pads") is { Length: > 0 } p ? p : new long[2 * n];
        var autoPad = ctx.Str("auto_pad", "NOTSET");
        for (var i = 0; i < n; i++)
        {
            var input = x[i + 2];
            if (!input.IsKnown) { dims[i + 2] = Dim.Unknown; continue; }
            var ek = (k[i] - 1) * dil[i] + 1;
            long o;
            switch (autoPad)
            {
                case "SAME_UPPER" or "SAME_LOWER":
                    o = (input.Value + strides[i] - 1) / strides[i];
                    break;
                case "VALID":
                    o = (input.Value - ek) / strides[i] + 1;
                    break;
                default:
                    var span = input.Value + pads[i] + pads[i + n] - ek;
                    o = (ceil ? -FloorDiv(-span, strides[i]) : FloorDiv(span, strides[i])) + 1;
                    if (ceil && (o - 1) * strides[i] >= input.Value + pads[i]) o--;
                    break;
            }
            if (o <= 0) throw ctx.Error($"spatial dim {i} of size {input.Value} is too small for kernel {k[i]} (stride {strides[i]}, dilation {dil[i]})");
            dims[i + 2] = Dim.Of(o);
        }
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static void InferConvTranspose(InferenceContext ctx)
    {
        var xi = ctx.Input(0);
        var x = xi.Shape;
        var w = ctx.Input(1).Shape;
        if (x is null || w is null) { ctx.Out(0, xi.ElemType, null); return; }
        var group = ctx.Int("group", 1);
        var k = KernelShape(ctx, w);
        var n = x.Length - 2;
        var dims = new Dim[x.Length];
        dims[0] = x[0];
        dims[1] = w[1].IsKnown ? Dim.Of(w[1].Value * group) : Dim.Unknown;
        var outShape = ctx.Ints("output_shape");
        if (outShape is { Length: > 0 })
        {
            var off = outShape.Length == n ? 0 : 2;
            for (var i = 0; i < n; i++) dims[i + 2] = Dim.Of(outShape[i + off]);
            ctx.Out(0, xi.ElemType, dims);
            return;
        }
        if (k is null) { for (var i = 0; i < n; i++) dims[i + 2] = Dim.Unknown; ctx.Out(0, xi.ElemType, dims); return; }
        var strides = ctx.Ints("strides") is { Length: > 0 } s ? s : Enumerable.Repeat(1L, n).ToArray();
        var dil = ctx.Ints("dilations") is { Length: > 0 } d ? d : Enumerable.Repeat(1L, n).ToArray();
        var pads = ctx.Ints("pads") is { Length: > 0 } p ? p : new long[2 * n];
        var outPad = ctx.Ints("output_padding") is { Length: > 0 } op ? op : new long[n];
        var autoPad = ctx.Str("auto_pad", "NOTSET");
        for (var i = 0; i < n; i++)
        {
            var input = x[i + 2];
            if (!input.IsKnown) { dims[i + 2] = Dim.Unknown; continue; }
            dims[i + 2] = autoPad is "SAME_UPPER" or "SAME_LOWER"
                ? Dim.Of(input.Value * strides[i])
                : Dim.Of(strides[i] * (input.Value - 1) + outPad[i] + (k[i] - 1) * dil[i] + 1 - pads[i] - pads[i + n]);
        }
        ctx.Out(0, xi.ElemType, dims);
    }
}

/// <summary>A parsed Einsum equation with explicit or implicit output and ellipses expanded.</summary>
internal sealed class Einsum
{
    public required string[] Inputs { get; init; }
    public required string Output { get; init; }

    /// <summary>Parses <paramref name="equation"/>; ellipses become reserved upper-plane characters sized by the input ranks.</summary>
    public static Einsum? Parse(string equation, int[] ranks)
    {
        var arrow = equation.IndexOf("->", StringComparison.Ordinal);
        var lhs = arrow >= 0 ? equation[..arrow] : equation;
        var terms = lhs.Split(',');
        if (terms.Length != ranks.Length) return null;
        var ellipsisRank = 0;
        for (var i = 0; i < terms.Length; i++)
        {
            if (!terms[i].Contains("...", StringComparison.Ordinal)) continue;
            if (ranks[i] < 0) return null;
            ellipsisRank = Math.Max(ellipsisRank, ranks[i] - (terms[i].Length - 3));
        }
        string Expand(string term, int rank)
        {
            if (!term.Contains("...", StringComparison.Ordinal)) return term;
            var e = rank < 0 ? ellipsisRank : rank - (term.Length - 3);
            var letters = new string(Enumerable.Range(0, e).Select(j => (char)(0x2460 + ellipsisRank - e + j)).ToArray());
            return term.Replace("...", letters, StringComparison.Ordinal);
        }
        var inputs = terms.Select((t, i) => Expand(t, ranks[i])).ToArray();
        string output;
        if (arrow >= 0) output = Expand(equation[(arrow + 2)..], -1);
        else
        {
            var counts = inputs.SelectMany(s => s).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
            var ell = new string(Enumerable.Range(0, ellipsisRank).Select(j => (char)(0x2460 + j)).ToArray());
            output = ell + new string(counts.Where(kv => kv.Value == 1 && kv.Key < 0x2460).Select(kv => kv.Key).Order().ToArray());
        }
        return new Einsum { Inputs = inputs, Output = output };
    }

    /// <summary>The size of every index letter, from the operands' shapes (broadcast 1s yield to larger sizes).</summary>
    public Dictionary<char, Dim> LetterSizes(Dim[][] shapes)
    {
        var sizes = new Dictionary<char, Dim>();
        for (var i = 0; i < Inputs.Length; i++)
            for (var j = 0; j < Inputs[i].Length && j < shapes[i].Length; j++)
            {
                var c = Inputs[i][j];
                var d = shapes[i][j];
                if (!sizes.TryGetValue(c, out var cur) || !cur.IsKnown || (cur.Value == 1 && d.IsKnown)) sizes[c] = d;
            }
        return sizes;
    }
}
