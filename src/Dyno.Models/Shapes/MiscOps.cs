using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

public static partial class OperatorRegistry
{
    private static readonly string[] ReduceOps =
        ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"];

    private static void RegisterReductionsAndMisc()
    {
        AddAll(ReduceOps, ctx =>
        {
            var x = ctx.Input(0);
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var keep = ctx.Int("keepdims", 1) == 1;
            long[]? axes;
            if (ctx.Has(1))
            {
                axes = ctx.IntsOf(1);
                if (axes is null) { ctx.Out(0, x.ElemType, keep ? x.Shape.Select(_ => Dim.Unknown).ToArray() : null); return; }
            }
            else axes = ctx.Ints("axes");
            if (axes is null or { Length: 0 })
            {
                if (ctx.Int("noop_with_empty_axes", 0) == 1) { ctx.Out(0, x.ElemType, x.Shape, x.Value); return; }
                axes = Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
            }
            var set = axes.Select(a => ctx.Axis(a, x.Rank)).ToHashSet();
            var dims = keep ? x.Shape.Select((d, i) => set.Contains(i) ? Dim.Of(1) : d).ToArray() : x.Shape.Where((_, i) => !set.Contains(i)).ToArray();
            ConstValue? v = null;
            if (x.Value is not null && x.IsStatic && set.Count == x.Rank && ctx.Node.OpType is "ReduceProd" or "ReduceSum" or "ReduceMax" or "ReduceMin")
            {
                var all = x.Value.AsDoubles();
                var r = all.Length == 0 ? ctx.Node.OpType == "ReduceProd" ? 1 : 0 : ctx.Node.OpType switch
                {
                    "ReduceProd" => all.Aggregate(1.0, (a, b) => a * b),
                    "ReduceSum" => all.Sum(),
                    "ReduceMax" => all.Max(),
                    _ => all.Min(),
                };
                v = ConstValue.Of(x.ElemType, [r]);
            }
            ctx.Out(0, x.ElemType, dims, v);
        });
        AddAll(["ArgMax", "ArgMin"], ctx =>
        {
            var x = ctx.Input(0);
            if (x.Shape is null) { ctx.Out(0, DataType.Int64, null); return; }
            var axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
            var keep = ctx.Int("keepdims", 1) == 1;
            ctx.Out(0, DataType.Int64, keep ? x.Shape.Select((d, i) => i == axis ? Dim.Of(1) : d).ToArray() : x.Shape.Where((_, i) => i != axis).ToArray());
        });
        AddAll(["RandomNormal", "RandomUniform"], ctx =>
            ctx.Out(0, (DataType)ctx.Int("dtype", 1), ShapeMath.Static(ctx.Ints("shape") ?? throw ctx.Error("shape is required"))));
        AddAll(["RandomNormalLike", "RandomUniformLike"], ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, ctx.HasAttr("dtype") ? (DataType)ctx.Int("dtype", 1) : x.ElemType, x.Shape);
        });
        Add("Multinomial", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, (DataType)ctx.Int("dtype", 6), x.Shape is null ? null : [x.Shape[0], Dim.Of(ctx.Int("sample_size", 1))]);
        });
        Add("NonMaxSuppression", ctx => ctx.Out(0, DataType.Int64, [Dim.Unknown, Dim.Of(3)]));
        Add("Unique", ctx =>
        {
            var x = ctx.Input(0);
            var axis = ctx.HasAttr("axis") ? (int?)ctx.Int("axis", 0) : null;
            ctx.Out(0, x.ElemType, axis is null || x.Shape is null ? [Dim.Unknown] : x.Shape.Select((d, i) => i == ctx.Axis(axis.Value, x.Rank) ? Dim.Unknown : d).ToArray());
            ctx.Out(1, DataType.Int64, [Dim.Unknown]);
            ctx.Out(2, DataType.Int64, [axis is null ? ShapeMath.Broadcast(ctx, [x.Shape]) is { } s && ShapeMath.AllKnown(s) ? Dim.Of(ShapeMath.Product(ShapeMath.Values(s))) : Dim.Unknown : x.Shape?[ctx.Axis(axis.Value, x.Rank)] ?? Dim.Unknown]);
            ctx.Out(3, DataType.Int64, [Dim.Unknown]);
        });
        AddAll(["SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"], ctx =>
        {
            var x = ctx.Input(0);
            var target = ctx.Input(1);
            var none = ctx.Str("reduction", "mean") == "none";
            ctx.Out(0, x.ElemType, none ? target.Shape : []);
            ctx.Out(1, x.ElemType, x.Shape);
        });
        AddAll2("ai.onnx.preview.training", ["Adagrad", "Momentum", "Adam"], ctx =>
        {
            // Inputs: R, T, then groups of tensors; each output mirrors the matching optimized input.
            var n = ctx.OutputCount;
            var perGroup = ctx.Node.OpType == "Adam" ? 4 : 3;
            var groups = (ctx.InputCount - 2) / perGroup;
            for (var i = 0; i < n; i++)
            {
                var kind = i / groups;
                var idx = i % groups;
                var src = ctx.Input(2 + (kind == 0 ? idx : (kind + 1) * groups + idx));
                ctx.Out(i, src.ElemType, src.Shape);
            }
        });
        AddAll(["HannWindow", "HammingWindow", "BlackmanWindow"], ctx =>
        {
            var size = ctx.In(0)?.Value;
            ctx.Out(0, (DataType)ctx.Int("output_datatype", 1), [size is null ? Dim.Unknown : Dim.Of(size.Long(0))]);
        });
        Add("MelWeightMatrix", ctx =>
        {
            var bins = ctx.In(0)?.Value;
            var dft = ctx.In(1)?.Value;
            ctx.Out(0, (DataType)ctx.Int("output_datatype", 1),
                [dft is null ? Dim.Unknown : Dim.Of(dft.Long(0) / 2 + 1), bins is null ? Dim.Unknown : Dim.Of(bins.Long(0))]);
        });
        Add("DFT", ctx =>
        {
            var x = ctx.Input(0);
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var axis = ctx.Opset >= 20 && ctx.Has(2) ? ctx.IntsOf(2)?.FirstOrDefault() ?? 1 : ctx.Int("axis", 1);
            var a = ctx.Axis(axis, x.Rank);
            var len = ctx.Has(1) ? ctx.IntsOf(1)?.FirstOrDefault() : null;
            var onesided = ctx.Int("onesided", 0) == 1;
            var dims = (Dim[])x.Shape.Clone();
            var n = len is { } l ? Dim.Of(l) : dims[a];
            dims[a] = onesided && n.IsKnown ? Dim.Of(n.Value / 2 + 1) : n;
            dims[^1] = Dim.Of(2);
            ctx.Out(0, x.ElemType, dims);
        });
        Add("STFT", ctx =>
        {
            var x = ctx.Input(0);
            var step = ctx.IntsOf(1)?.FirstOrDefault();
            var window = ctx.In(2);
            var frameLen = ctx.Has(3) ? ctx.IntsOf(3)?.FirstOrDefault() : window?.Shape?[0] is { IsKnown: true } w ? w.Value : null;
            if (x.Shape is null || step is null || frameLen is null || !x.Shape[1].IsKnown) { ctx.Out(0, x.ElemType, null); return; }
            var frames = (x.Shape[1].Value - frameLen.Value) / step.Value + 1;
            var bins = ctx.Int("onesided", 1) == 1 ? frameLen.Value / 2 + 1 : frameLen.Value;
            ctx.Out(0, x.ElemType, [x.Shape[0], Dim.Of(frames), Dim.Of(bins), Dim.Of(2)]);
        });
        Add("TfIdfVectorizer", ctx =>
        {
            var x = ctx.Input(0);
            var n = (ctx.Ints("ngram_indexes") ?? []).DefaultIfEmpty(-1).Max() + 1;
            ctx.Out(0, DataType.Float, x.Shape is { Length: 2 } s ? [s[0], Dim.Of(n)] : [Dim.Of(n)]);
        });
        Add("If", ctx =>
        {
            var cond = ctx.In(0)?.Value;
            var then = ctx.Attr("then_branch")?.G;
            var els = ctx.Attr("else_branch")?.G;
            if (then is null || els is null) throw ctx.Error("If needs then_branch and else_branch");
            var a = ctx.Engine.InferSubgraph(then, [], ctx.LookupFn);
            var b = ctx.Engine.InferSubgraph(els, [], ctx.LookupFn);
            for (var i = 0; i < ctx.OutputCount; i++)
            {
                if (cond is not null) { ctx.Out(i, (cond[0] != 0 ? a : b)[i]); continue; }
                ctx.Out(i, MergeBranches(a.ElementAtOrDefault(i), b.ElementAtOrDefault(i)));
            }
        });
        Add("Loop", ctx =>
        {
            var body = ctx.Attr("body")?.G ?? throw ctx.Error("Loop needs a body");
            var trip = ctx.Has(0) ? ctx.In(0)?.Value?.Long(0) : null;
            var carried = Enumerable.Range(2, Math.Max(0, ctx.InputCount - 2)).Select(ctx.Input).ToList();
            var formals = new List<TensorInfo> { TensorInfo.Known(DataType.Int64), TensorInfo.Known(DataType.Bool) };
            formals.AddRange(carried);
            var outs = ctx.Engine.InferSubgraph(body, formals, ctx.LookupFn);
            var nCarried = carried.Count;
            for (var i = 0; i < ctx.OutputCount; i++)
            {
                if (i < nCarried)
                {
                    var o = outs.ElementAtOrDefault(1 + i);
                    var c = carried[i];
                    ctx.Out(i, o is not null && o.HasRank && c.HasRank && o.ShapeText == c.ShapeText ? new TensorInfo(c.ElemType, c.Shape) : o?.Kind == ValueKind.Tensor ? new TensorInfo(o.ElemType, o.Shape?.Select((d, k) => c.Shape is not null && k < c.Rank && c.Shape[k] == d ? d : Dim.Unknown).ToArray()) : o ?? TensorInfo.Unknown());
                }
                else
                {
                    var o = outs.ElementAtOrDefault(1 + i);
                    ctx.Out(i, new TensorInfo(o?.ElemType ?? DataType.Undefined, o?.Shape is null ? null : new[] { trip is { } t ? Dim.Of(t) : Dim.Unknown }.Concat(o.Shape).ToArray()));
                }
            }
        });
        Add("Scan", ctx =>
        {
            var body = ctx.Attr("body")?.G ?? throw ctx.Error("Scan needs a body");
            var nScan = (int)ctx.Int("num_scan_inputs", 0);
            var opset8 = ctx.Opset < 9;
            var first = opset8 ? 1 : 0; // opset 8 has a sequence_lens input first
            var ins = Enumerable.Range(first, ctx.InputCount - first).Select(ctx.Input).ToList();
            var nState = ins.Count - nScan;
            var scanAxes = ctx.Ints("scan_input_axes") ?? new long[nScan];
            var formals = new List<TensorInfo>();
            Dim seq = Dim.Unknown;
            for (var i = 0; i < ins.Count; i++)
            {
                var t = ins[i];
                if (i < nState || t.Shape is null) { formals.Add(opset8 && t.Shape is not null ? new TensorInfo(t.ElemType, t.Shape[1..]) : t); continue; }
                var shape = opset8 ? t.Shape[1..] : t.Shape;
                var ax = (int)(scanAxes[i - nState] < 0 ? scanAxes[i - nState] + shape.Length : scanAxes[i - nState]);
                seq = shape[ax];
                formals.Add(new TensorInfo(t.ElemType, shape.Where((_, k) => k != ax).ToArray()));
            }
            var outs = ctx.Engine.InferSubgraph(body, formals, ctx.LookupFn);
            var outAxes = ctx.Ints("scan_output_axes");
            for (var i = 0; i < ctx.OutputCount; i++)
            {
                var o = outs.ElementAtOrDefault(i) ?? TensorInfo.Unknown();
                if (i < nState)
                {
                    var st = ins[i];
                    ctx.Out(i, new TensorInfo(o.ElemType, st.Shape ?? o.Shape));
                    continue;
                }
                if (o.Shape is null) { ctx.Out(i, o.ElemType, null); continue; }
                var dims = o.Shape.ToList();
                if (opset8)
                {
                    dims.Insert(0, seq);
                    dims.Insert(0, ins[0].Shape?[0] ?? Dim.Unknown);
                }
                else
                {
                    var ax = outAxes is null ? 0 : (int)(outAxes[i - nState] < 0 ? outAxes[i - nState] + dims.Count + 1 : outAxes[i - nState]);
                    dims.Insert(ax, seq);
                }
                ctx.Out(i, o.ElemType, dims.ToArray());
            }
        });
        AddAll(["SequenceConstruct", "SequenceEmpty", "SequenceInsert", "SequenceErase", "SplitToSequence", "ConcatFromSequence",
            "SequenceAt", "SequenceLength", "SequenceMap", "Optional", "OptionalGetElement", "OptionalHasElement", "StringNormalizer",
            "LabelEncoder", "Gradient"], InferSequenceLike);
    }

    private static void InferSequenceLike(InferenceContext ctx)
    {
        switch (ctx.Node.OpType)
        {
            case "SequenceLength":
                ctx.Out(0, DataType.Int64, []);
                return;
            case "OptionalHasElement":
                ctx.Out(0, DataType.Bool, []);
                return;
            case "OptionalGetElement":
            {
                var x = ctx.Input(0);
                if (x.Kind == ValueKind.Tensor) ctx.Out(0, x);
                else ctx.Out(0, TensorInfo.Unknown());
                return;
            }
            case "StringNormalizer":
            {
                var x = ctx.Input(0);
                ctx.Out(0, DataType.String, x.Shape is null ? null : x.Shape.Select((d, i) => i == x.Rank - 1 ? Dim.Unknown : d).ToArray());
                return;
            }
            case "LabelEncoder":
                ctx.Out(0, DataType.Undefined, ctx.Input(0).Shape);
                return;
            default:
                for (var i = 0; i < ctx.OutputCount; i++) ctx.Out(i, new TensorInfo(DataType.Undefined, null, null, ValueKind.Sequence));
                return;
        }
    }

    private static TensorInfo MergeBranches(TensorInfo? a, TensorInfo? b)
    {
        if (a is null || b is null) return a ?? b ?? TensorInfo.Unknown();
        if (a.Shape is null || b.Shape is null || a.Rank != b.Rank) return new TensorInfo(a.ElemType, null, null, a.Kind);
        return new TensorInfo(a.ElemType, a.Shape.Zip(b.Shape, (x, y) => x == y ? x : Dim.Unknown).ToArray(), null, a.Kind);
    }

    private static void RegisterContribOps()
    {
        const string ms = "com.microsoft";
        foreach (var op in new[] { "FastGelu", "BiasGelu", "QuickGelu", "Gelu", "RotaryEmbedding", "SimplifiedLayerNormalization", "BiasAdd", "BiasDropout" })
            Add(ms, op, ctx => ctx.Out(0, ctx.Input(0).ElemType, ctx.Input(0).Shape));
        Add(ms, "FusedConv", ctx => InferConv(ctx, ctx.Input(0).ElemType, 1));
        Add(ms, "FusedMatMul", ctx =>
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            var ta = ctx.Int("transA", 0) == 1;
            var tb = ctx.Int("transB", 0) == 1;
            if (a.Shape is not { Length: >= 2 } sa || b.Shape is not { Length: >= 2 } sb) { ctx.Out(0, a.ElemType, null); return; }
            var m = ta ? sa[^1] : sa[^2];
            var n = tb ? sb[^2] : sb[^1];
            var batch = ShapeMath.Broadcast(ctx, [sa[..^2], sb[..^2]])!;
            ctx.Out(0, a.ElemType, batch.Append(m).Append(n).ToArray());
        });
        Add(ms, "MatMulNBits", ctx =>
        {
            var a = ctx.Input(0);
            ctx.Out(0, a.ElemType, a.Shape is null ? null : a.Shape[..^1].Append(Dim.Of(ctx.Int("N", -1))).ToArray());
        });
        AddAll2(ms, ["SkipLayerNormalization", "SkipSimplifiedLayerNormalization"], ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, x.ElemType, x.Shape);
            var reduced = x.Shape?.Select((d, i) => i == x.Rank - 1 ? Dim.Of(1) : d).ToArray();
            ctx.Out(1, DataType.Float, reduced);
            ctx.Out(2, DataType.Float, reduced);
            ctx.Out(3, x.ElemType, x.Shape);
        });
        Add(ms, "LayerNormalization", ctx => Table[Key("", "LayerNormalization")](ctx));
        Add(ms, "EmbedLayerNormalization", ctx =>
        {
            var ids = ctx.Input(0);
            var wordEmb = ctx.Input(2);
            var type = wordEmb.ElemType;
            var hidden = wordEmb.Shape?[^1] ?? Dim.Unknown;
            ctx.Out(0, type, ids.Shape is { Length: 2 } s ? [s[0], s[1], hidden] : null);
            ctx.Out(1, DataType.Int32, ids.Shape is { Length: 2 } s2 ? [s2[0]] : null);
            ctx.Out(2, type, ids.Shape is { Length: 2 } s3 ? [s3[0], s3[1], hidden] : null);
        });
        Add(ms, "Attention", ctx =>
        {
            var x = ctx.Input(0);
            var w = ctx.Input(1);
            if (x.Shape is not { Length: 3 } s) { ctx.Out(0, x.ElemType, null); return; }
            var qkv = ctx.Ints("qkv_hidden_sizes");
            var vHidden = qkv is { Length: 3 } ? Dim.Of(qkv[2]) : w.Shape is { Length: 2 } ws && ws[1].IsKnown ? Dim.Of(ws[1].Value / 3) : Dim.Unknown;
            ctx.Out(0, x.ElemType, [s[0], s[1], vHidden]);
        });
        AddAll2(ms, ["MultiHeadAttention", "GroupQueryAttention", "PackedMultiHeadAttention"], ctx =>
        {
            var q = ctx.Input(0);
            if (q.Shape is null) { ctx.Out(0, q.ElemType, null); return; }
            if (ctx.Node.OpType == "GroupQueryAttention" || q.Rank == 3)
            {
                var heads = ctx.Int("num_heads", 1);
                var kv = ctx.Int("kv_num_heads", heads);
                var d = q.Shape[^1];
                var hidden = ctx.Node.OpType == "GroupQueryAttention" && !ctx.Has(1) && d.IsKnown
                    ? Dim.Of(d.Value * heads / (heads + 2 * kv)) // packed QKV
                    : ctx.In(2)?.Shape is { Length: 3 } vs ? vs[^1] : d;
                ctx.Out(0, q.ElemType, [q.Shape[0], q.Shape[1], hidden]);
            }
            else ctx.Out(0, q.ElemType, null);
        });
    }

    private static void AddAll2(string domain, IEnumerable<string> ops, Action<InferenceContext> fn)
    {
        foreach (var op in ops) Add(domain, op, fn);
    }
}
