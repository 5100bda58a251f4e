using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

public static partial class OperatorRegistry
{
    private static void RegisterTensorOps()
    {
        Add("Constant", ctx =>
        {
            var a = ctx.Node.Attributes.Values.FirstOrDefault() ?? throw ctx.Error("Constant has no value attribute");
            switch (a.Name)
            {
                case "value" or "sparse_value" when a.T is not null:
                    ctx.Out(0, ShapeInferenceEngine.FromTensor(a.T));
                    break;
                case "value_float": ctx.Out(0, TensorInfo.Const(DataType.Float, [], ConstValue.OfFloats([a.F]))); break;
                case "value_floats": ctx.Out(0, TensorInfo.Const(DataType.Float, [a.Floats.Length], ConstValue.OfFloats(a.Floats.Select(f => (double)f).ToArray()))); break;
                case "value_int": ctx.Out(0, TensorInfo.Const(DataType.Int64, [], ConstValue.OfInts([a.I]))); break;
                case "value_ints": ctx.Out(0, TensorInfo.Const(DataType.Int64, [a.Ints.Length], ConstValue.OfInts(a.Ints))); break;
                case "value_string": ctx.Out(0, TensorInfo.Known(DataType.String)); break;
                case "value_strings": ctx.Out(0, TensorInfo.Known(DataType.String, a.Strings.Length)); break;
                default: throw ctx.Error($"unsupported Constant attribute '{a.Name}'");
            }
        });
        Add("Shape", ctx =>
        {
            var s = ctx.Input(0).Shape;
            if (s is null)
            {
                ctx.Out(0, DataType.Int64, null);
                return;
            }
            var r = s.Length;
            var start = Clamp(ctx.Int("start", 0), r);
            var end = Clamp(ctx.Int("end", r), r);
            var part = s[(int)start..(int)Math.Max(start, end)];
            ctx.Out(0, DataType.Int64, ShapeMath.Static(part.Length), ShapeMath.ShapeValue(part));
        });
        Add("Size", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, DataType.Int64, [], x.IsStatic ? ConstValue.OfInts([x.ElementCount]) : null);
        });
        Add("ConstantOfShape", ctx =>
        {
            var dims = ctx.IntsOf(0);
            var t = ctx.Attr("value")?.T;
            var type = t?.DataType ?? DataType.Float;
            if (dims is null)
            {
                var len = ctx.Input(0).Shape is [{ IsKnown: true } d] ? (int)d.Value : -1;
                ctx.Out(0, type, len >= 0 ? Enumerable.Repeat(Dim.Unknown, len).ToArray() : null);
                return;
            }
            var n = ShapeMath.Product(dims);
            ConstValue? v = null;
            if (n <= ShapeInferenceEngine.MaxConstElements)
            {
                var fill = t?.ReadDoubles()?.FirstOrDefault() ?? 0;
                v = ConstValue.Of(type, Enumerable.Repeat(fill, (int)n).ToArray());
            }
            ctx.Out(0, type, ShapeMath.Static(dims), v);
        });
        Add("Reshape", ctx =>
        {
            var x = ctx.Input(0);
            var target = ctx.Opset < 5 ? ctx.Ints("shape") : ctx.IntsOf(1);
            if (target is null)
            {
                var len = ctx.Opset >= 5 && ctx.Input(1).Shape is [{ IsKnown: true } d] ? (int)d.Value : -1;
                ctx.Out(0, x.ElemType, len >= 0 ? Enumerable.Repeat(Dim.Unknown, len).ToArray() : null);
                return;
            }
            var allowZero = ctx.Int("allowzero", 0) == 1;
            var dims = new Dim[target.Length];
            var inferIndex = -1;
            long known = 1;
            var knownAll = true;
            for (var i = 0; i < target.Length; i++)
            {
                var t = target[i];
                if (t == -1)
                {
                    if (inferIndex >= 0) throw ctx.Error("more than one -1 in the target shape");
                    inferIndex = i;
                    continue;
                }
                if (t == 0 && !allowZero)
                {
                    if (x.Shape is null || i >= x.Shape.Length) { dims[i] = Dim.Unknown; knownAll = false; continue; }
                    dims[i] = x.Shape[i];
                }
                else dims[i] = Dim.Of(t);
                if (dims[i].IsKnown) known *= dims[i].Value;
                else knownAll = false;
            }
            if (inferIndex >= 0)
            {
                if (x.IsStatic && knownAll)
                {
                    if (known == 0 || x.ElementCount % known != 0)
                        throw ctx.Error($"cannot reshape {x.ShapeText} ({x.ElementCount} elements) to [{string.Join(",", target)}]");
                    dims[inferIndex] = Dim.Of(x.ElementCount / known);
                }
                else dims[inferIndex] = Dim.Unknown;
            }
            else if (x.IsStatic && knownAll && known != x.ElementCount)
                throw ctx.Error($"cannot reshape {x.ShapeText} ({x.ElementCount} elements) to [{string.Join(",", dims.Select(d => d.ToString()))}]");
            ctx.Out(0, x.ElemType, dims, x.Value);
        });
        Add("Flatten", ctx =>
        {
            var x = ctx.Input(0);
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var axis = ctx.Int("axis", 1);
            if (axis < 0) axis += x.Rank;
            ctx.Out(0, x.ElemType, [ProductDim(x.Shape[..(int)axis]), ProductDim(x.Shape[(int)axis..])], x.Value);
        });
        Add("Squeeze", ctx =>
        {
            var x = ctx.Input(0);
            var axes = ctx.Opset >= 13 ? (ctx.Has(1) ? ctx.IntsOf(1) : null) : ctx.Ints("axes");
            if (x.Shape is null || (ctx.Opset >= 13 && ctx.Has(1) && axes is null)) { ctx.Out(0, x.ElemType, null); return; }
            var rank = x.Rank;
            HashSet<int> drop;
            if (axes is null)
            {
                if (x.Shape.Any(d => !d.IsKnown)) { ctx.Out(0, x.ElemType, null); return; }
                drop = Enumerable.Range(0, rank).Where(i => x.Shape[i].Value == 1).ToHashSet();
            }
            else drop = axes.Select(a => ctx.Axis(a, rank)).ToHashSet();
            ctx.Out(0, x.ElemType, x.Shape.Where((_, i) => !drop.Contains(i)).ToArray(), x.Value);
        });
        Add("Unsqueeze", ctx =>
        {
            var x = ctx.Input(0);
            var axes = ctx.Opset >= 13 ? ctx.IntsOf(1) : ctx.Ints("axes");
            if (x.Shape is null || axes is null) { ctx.Out(0, x.ElemType, null); return; }
            var outRank = x.Rank + axes.Length;
            var set = axes.Select(a => ctx.Axis(a, outRank)).ToHashSet();
            var dims = new Dim[outRank];
            var k = 0;
            for (var i = 0; i < outRank; i++) dims[i] = set.Contains(i) ? Dim.Of(1) : x.Shape[k++];
            ctx.Out(0, x.ElemType, dims, x.Value);
        });
        Add("Transpose", ctx =>
        {
            var x = ctx.Input(0);
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var perm = ctx.Ints("perm") ?? Enumerable.Range(0, x.Rank).Reverse().Select(i => (long)i).ToArray();
            if (perm.Length != x.Rank) throw ctx.Error($"perm has {perm.Length} entries for rank {x.Rank}");
            var shape = perm.Select(p => x.Shape[ctx.Axis(p, x.Rank)]).ToArray();
            ConstValue? v = null;
            if (x.Value is not null && x.IsStatic)
            {
                var inDims = x.Dims;
                var outDims = ShapeMath.Values(shape);
                var inStr = ShapeMath.Strides(inDims);
                var flat = new long[x.ElementCount];
                var idx = new long[outDims.Length];
                for (var k = 0; k < flat.Length; k++)
                {
                    long src = 0;
                    for (var d = 0; d < outDims.Length; d++) src += idx[d] * inStr[perm[d]];
                    flat[k] = src;
                    for (var d = outDims.Length - 1; d >= 0; d--) { if (++idx[d] < outDims[d]) break; idx[d] = 0; }
                }
                v = ShapeMath.Take(x.Value, flat);
            }
            ctx.Out(0, x.ElemType, shape, v);
        });
        Add("Concat", ctx =>
        {
            var ins = Enumerable.Range(0, ctx.InputCount).Where(ctx.Has).Select(ctx.Input).ToList();
            var withRank = ins.FirstOrDefault(t => t.HasRank);
            var type = ins.First().ElemType;
            if (withRank is null || ins.Any(t => !t.HasRank)) { ctx.Out(0, type, null); return; }
            var rank = withRank.Rank;
            var axis = ctx.Axis(ctx.Int("axis", 0), rank);
            var dims = new Dim[rank];
            for (var d = 0; d < rank; d++)
            {
                if (d == axis)
                {
                    dims[d] = ins.All(t => t.Shape![d].IsKnown) ? Dim.Of(ins.Sum(t => t.Shape![d].Value)) : Dim.Unknown;
                    continue;
                }
                dims[d] = ins.Select(t => t.Shape![d]).FirstOrDefault(x => x.IsKnown, ins[0].Shape![d]);
            }
            ConstValue? v = null;
            if (ins.All(t => t.Value is not null && t.IsStatic) && ShapeMath.AllKnown(dims))
            {
                if (axis == 0) v = ShapeMath.Concat(ins.Select(t => t.Value!).ToList(), type);
                else
                {
                    var outer = ShapeMath.Product(ShapeMath.Values(dims[..axis]));
                    var parts = new List<ConstValue>();
                    for (long o = 0; o < outer; o++)
                        foreach (var t in ins)
                        {
                            var inner = t.ElementCount / outer;
                            parts.Add(ShapeMath.Take(t.Value!, Enumerable.Range(0, (int)inner).Select(i => o * inner + i).ToArray()));
                        }
                    v = ShapeMath.Concat(parts, type);
                }
            }
            ctx.Out(0, type, dims, v);
        });
        Add("Split", ctx =>
        {
            var x = ctx.Input(0);
            if (x.Shape is null) { for (var i = 0; i < ctx.OutputCount; i++) ctx.Out(i, x.ElemType, null); return; }
            var axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
            var split = ctx.Opset >= 13 ? (ctx.Has(1) ? ctx.IntsOf(1) : null) : ctx.Ints("split");
            var n = ctx.OutputCount;
            var total = x.Shape[axis];
            if (split is null && ctx.Opset >= 13 && ctx.Has(1))
            {
                for (var i = 0; i < n; i++) ctx.Out(i, x.ElemType, x.Shape.Select((d, k) => k == axis ? Dim.Unknown : d).ToArray());
                return;
            }
            if (split is null or { Length: 0 })
            {
                if (!total.IsKnown) { for (var i = 0; i < n; i++) ctx.Out(i, x.ElemType, x.Shape.Select((d, k) => k == axis ? Dim.Unknown : d).ToArray()); return; }
                var chunk = (total.Value + n - 1) / n;
                split = Enumerable.Range(0, n).Select(i => Math.Min(chunk, Math.Max(0, total.Value - i * chunk))).ToArray();
                if (!ctx.HasAttr("num_outputs") && total.Value % n != 0) throw ctx.Error($"dim {total.Value} does not split evenly into {n} outputs");
            }
            long offset = 0;
            for (var i = 0; i < n && i < split.Length; i++)
            {
                var shape = x.Shape.Select((d, k) => k == axis ? Dim.Of(split[i]) : d).ToArray();
                ConstValue? v = null;
                if (x.Value is not null && x.IsStatic && x.Rank == 1)
                    v = ShapeMath.Take(x.Value, Enumerable.Range((int)offset, (int)split[i]).Select(q => (long)q).ToArray());
                offset += split[i];
                ctx.Out(i, x.ElemType, shape, v);
            }
        });
        Add("Slice", InferSlice);
        Add("Gather", ctx =>
        {
            var data = ctx.Input(0);
            var idx = ctx.Input(1);
            if (data.Shape is null || idx.Shape is null) { ctx.Out(0, data.ElemType, null); return; }
            var axis = ctx.Axis(ctx.Int("axis", 0), data.Rank);
            var shape = data.Shape[..axis].Concat(idx.Shape).Concat(data.Shape[(axis + 1)..]).ToArray();
            ConstValue? v = null;
            if (data.Value is not null && idx.Value is not null && data.IsStatic && idx.IsStatic && ShapeMath.AllKnown(shape)
                && ShapeMath.Product(ShapeMath.Values(shape)) <= ShapeInferenceEngine.MaxConstElements)
            {
                var dd = data.Dims;
                var outer = ShapeMath.Product(dd[..axis]);
                var inner = ShapeMath.Product(dd[(axis + 1)..]);
                var flat = new List<long>();
                for (long o = 0; o < outer; o++)
                    foreach (var raw in idx.Value.AsLongs())
                    {
                        var j = raw < 0 ? raw + dd[axis] : raw;
                        if (j < 0 || j >= dd[axis]) throw ctx.Error($"index {raw} is out of range for dim {dd[axis]}");
                        for (long q = 0; q < inner; q++) flat.Add((o * dd[axis] + j) * inner + q);
                    }
                v = ShapeMath.Take(data.Value, flat);
            }
            ctx.Out(0, data.ElemType, shape, v);
        });
        Add("GatherElements", ctx => ctx.Out(0, ctx.Input(0).ElemType, ctx.Input(1).Shape));
        Add("GatherND", ctx =>
        {
            var data = ctx.Input(0);
            var idx = ctx.Input(1);
            var b = (int)ctx.Int("batch_dims", 0);
            if (data.Shape is null || idx.Shape is null || !idx.Shape[^1].IsKnown) { ctx.Out(0, data.ElemType, null); return; }
            var last = (int)idx.Shape[^1].Value;
            ctx.Out(0, data.ElemType, idx.Shape[..^1].Concat(data.Shape[(b + last)..]).ToArray());
        });
        Add("Expand", ctx =>
        {
            var x = ctx.Input(0);
            var target = ctx.IntsOf(1);
            if (target is null && x.Shape is not null && ctx.Input(1).Shape is [{ IsKnown: true } len])
            {
                // Unknown target values but known length: the rank is known, dims only where the input fixes them.
                ctx.Out(0, x.ElemType, ShapeMath.Broadcast(ctx, [x.Shape, Enumerable.Repeat(Dim.Unknown, (int)len.Value).ToArray()]));
                return;
            }
            if (target is null || x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var shape = ShapeMath.Broadcast(ctx, [x.Shape, ShapeMath.Static(target)]);
            ConstValue? v = null;
            if (x.Value is not null && x.IsStatic && ShapeMath.AllKnown(shape) && ShapeMath.Product(ShapeMath.Values(shape!)) <= ShapeInferenceEngine.MaxConstElements)
                v = ShapeMath.Take(x.Value, ShapeMath.BroadcastIndex(x.Dims, ShapeMath.Values(shape!)).Select(i => (long)i).ToArray());
            ctx.Out(0, x.ElemType, shape, v);
        });
        Add("Tile", ctx =>
        {
            var x = ctx.Input(0);
            var reps = ctx.IntsOf(1);
            if (x.Shape is null || reps is null) { ctx.Out(0, x.ElemType, x.Shape is null ? null : x.Shape.Select(_ => Dim.Unknown).ToArray()); return; }
            ctx.Out(0, x.ElemType, x.Shape.Select((d, i) => d.IsKnown ? Dim.Of(d.Value * reps[i]) : Dim.Unknown).ToArray());
        });
        Add("Pad", ctx =>
        {
            var x = ctx.Input(0);
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var pads = ctx.Opset >= 11 ? ctx.IntsOf(1) : ctx.Ints("pads") ?? ctx.Ints("paddings");
            if (pads is null) { ctx.Out(0, x.ElemType, x.Shape.Select(_ => Dim.Unknown).ToArray()); return; }
            var rank = x.Rank;
            var axes = ctx.Has(3) ? ctx.IntsOf(3)?.Select(a => ctx.Axis(a, rank)).ToArray() : Enumerable.Range(0, rank).ToArray();
            if (axes is null) { ctx.Out(0, x.ElemType, x.Shape.Select(_ => Dim.Unknown).ToArray()); return; }
            if (pads.Length != 2 * axes.Length) throw ctx.Error($"pads has {pads.Length} values for {axes.Length} axes");
            var dims = (Dim[])x.Shape.Clone();
            for (var k = 0; k < axes.Length; k++)
            {
                var d = dims[axes[k]];
                dims[axes[k]] = d.IsKnown ? Dim.Of(d.Value + pads[k] + pads[k + axes.Length]) : Dim.Unknown;
            }
            ctx.Out(0, x.ElemType, dims);
        });
        Add("Range", ctx =>
        {
            var s = ctx.In(0)?.Value;
            var l = ctx.In(1)?.Value;
            var d = ctx.In(2)?.Value;
            var type = ctx.Input(0).ElemType;
            if (s is null || l is null || d is null) { ctx.Out(0, type, [Dim.Unknown]); return; }
            var (start, limit, delta) = (s[0], l[0], d[0]);
            var n = (long)Math.Max(0, Math.Ceiling((limit - start) / delta));
            ConstValue? v = n <= ShapeInferenceEngine.MaxConstElements
                ? ConstValue.Of(type, Enumerable.Range(0, (int)n).Select(i => start + i * delta).ToArray()) : null;
            ctx.Out(0, type, ShapeMath.Static(n), v);
        });
        Add("OneHot", ctx =>
        {
            var idx = ctx.Input(0);
            var depth = ctx.In(1)?.Value;
            var type = ctx.Input(2).ElemType;
            if (idx.Shape is null) { ctx.Out(0, type, null); return; }
            var rank = idx.Rank + 1;
            var axis = ctx.Axis(ctx.Int("axis", -1), rank);
            var dims = idx.Shape.ToList();
            dims.Insert(axis, depth is null ? Dim.Unknown : Dim.Of((long)depth[0]));
            ctx.Out(0, type, dims.ToArray());
        });
        Add("DepthToSpace", ctx =>
        {
            var x = ctx.Input(0);
            var b = ctx.Int("blocksize", 1);
            if (x.Shape is not { Length: 4 } s) { ctx.Out(0, x.ElemType, null); return; }
            ctx.Out(0, x.ElemType, [s[0], Div(s[1], b * b), Mul(s[2], b), Mul(s[3], b)]);
        });
        Add("SpaceToDepth", ctx =>
        {
            var x = ctx.Input(0);
            var b = ctx.Int("blocksize", 1);
            if (x.Shape is not { Length: 4 } s) { ctx.Out(0, x.ElemType, null); return; }
            ctx.Out(0, x.ElemType, [s[0], Mul(s[1], b * b), Div(s[2], b), Div(s[3], b)]);
        });
        Add("Resize", InferResize);
        Add("Upsample", InferResize);
        Add("EyeLike", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, ctx.HasAttr("dtype") ? (DataType)ctx.Int("dtype", 1) : x.ElemType, x.Shape);
        });
        Add("TopK", ctx =>
        {
            var x = ctx.Input(0);
            var k = ctx.Opset >= 10 ? ctx.IntsOf(1)?.FirstOrDefault() : ctx.Int("k", -1);
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); ctx.Out(1, DataType.Int64, null); return; }
            var axis = ctx.Axis(ctx.Int("axis", -1), x.Rank);
            var shape = x.Shape.Select((d, i) => i == axis ? (k is { } kk && kk >= 0 ? Dim.Of(kk) : Dim.Unknown) : d).ToArray();
            ctx.Out(0, x.ElemType, shape);
            ctx.Out(1, DataType.Int64, shape);
        });
        Add("NonZero", ctx =>
        {
            var x = ctx.Input(0);
            if (x.Value is not null && x.IsStatic)
            {
                var nz = Enumerable.Range(0, x.Value.Length).Where(i => x.Value[i] != 0).ToArray();
                var strides = ShapeMath.Strides(x.Dims);
                var res = new long[x.Rank * nz.Length];
                for (var d = 0; d < x.Rank; d++)
                    for (var k = 0; k < nz.Length; k++) res[d * nz.Length + k] = nz[k] / strides[d] % x.Dims[d];
                ctx.Out(0, DataType.Int64, ShapeMath.Static(x.Rank, nz.Length), ConstValue.OfInts(res));
                return;
            }
            ctx.Out(0, DataType.Int64, x.HasRank ? [Dim.Of(x.Rank), Dim.Unknown] : [Dim.Unknown, Dim.Unknown]);
        });
        Add("Compress", ctx =>
        {
            var x = ctx.Input(0);
            var cond = ctx.In(1)?.Value;
            var count = cond is null ? -1 : Enumerable.Range(0, cond.Length).Count(i => cond[i] != 0);
            var c = count >= 0 ? Dim.Of(count) : Dim.Unknown;
            if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
            if (!ctx.HasAttr("axis")) { ctx.Out(0, x.ElemType, [c]); return; }
            var axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
            ctx.Out(0, x.ElemType, x.Shape.Select((d, i) => i == axis ? c : d).ToArray());
        });
        Add("CenterCropPad", ctx =>
        {
            var x = ctx.Input(0);
            var shape = ctx.IntsOf(1);
            if (x.Shape is null || shape is null) { ctx.Out(0, x.ElemType, null); return; }
            var axes = ctx.Ints("axes")?.Select(a => ctx.Axis(a, x.Rank)).ToArray() ?? Enumerable.Range(0, x.Rank).ToArray();
            var dims = (Dim[])x.Shape.Clone();
            for (var k = 0; k < axes.Length; k++) dims[axes[k]] = Dim.Of(shape[k]);
            ctx.Out(0, x.ElemType, dims);
        });
    }

    private static long Clamp(long v, int rank) => Math.Clamp(v < 0 ? v + rank : v, 0, rank);

    private static Dim Mul(Dim d, long k) => d.IsKnown ? Dim.Of(d.Value * k) : Dim.Unknown;

    private static Dim Div(Dim d, long k) => d.IsKnown ? Dim.Of(d.Value / k) : Dim.Unknown;

    private static Dim ProductDim(IEnumerable<Dim> dims)
    {
        long p = 1;
        foreach (var d in dims)
        {
            if (!d.IsKnown) return Dim.Unknown;
            p *= d.Value;
        }
        return Dim.Of(p);
    }

    private static void InferSlice(InferenceContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
        long[]? starts, ends, axes, steps;
        if (ctx.Opset < 10)
        {
            starts = ctx.Ints("starts");
            ends = ctx.Ints("ends");
            axes = ctx.Ints("axes");
            steps = null;
        }
        else
        {
            starts = ctx.IntsOf(1);
            ends = ctx.IntsOf(2);
            axes = ctx.Has(3) ? ctx.IntsOf(3) : null;
            steps = ctx.Has(4) ? ctx.IntsOf(4) : null;
            if ((ctx.Has(3) && axes is null) || (ctx.Has(4) && steps is null)) starts = null;
        }
        if (starts is null || ends is null)
        {
            ctx.Out(0, x.ElemType, x.Shape.Select(_ => Dim.Unknown).ToArray());
            return;
        }
        var rank = x.Rank;
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var dims = (Dim[])x.Shape.Clone();
        var begin = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        var count = x.Shape.Select(d => d.Value).ToArray();
        for (var k = 0; k < axes.Length; k++)
        {
            var a = ctx.Axis(axes[k], rank);
            var st = steps is null ? 1 : steps[k];
            if (st == 0) throw ctx.Error("slice step cannot be 0");
            if (!x.Shape[a].IsKnown) { dims[a] = Dim.Unknown; continue; }
            var n = x.Shape[a].Value;
            var s = starts[k];
            var e = ends[k];
            if (s < 0) s += n;
            if (e < 0) e += n;
            long len;
            if (st > 0)
            {
                s = Math.Clamp(s, 0, n);
                e = Math.Clamp(e, 0, n);
                len = e > s ? (e - s + st - 1) / st : 0;
            }
            else
            {
                s = Math.Clamp(s, -1, n - 1);
                e = Math.Clamp(e, -1, n - 1);
                len = s > e ? (s - e + (-st) - 1) / -st : 0;
            }
            dims[a] = Dim.Of(len);
            begin[a] = s;
            step[a] = st;
            count[a] = len;
        }
        ConstValue? v = null;
        if (x.Value is not null && x.IsStatic && ShapeMath.AllKnown(dims))
        {
            var inStr = ShapeMath.Strides(x.Dims);
            var n = ShapeMath.Product(count);
            var flat = new long[n];
            var idx = new long[rank];
            for (var k = 0; k < n; k++)
            {
                long src = 0;
                for (var d = 0; d < rank; d++) src += (begin[d] + idx[d] * step[d]) * inStr[d];
                flat[k] = src;
                for (var d = rank - 1; d >= 0; d--) { if (++idx[d] < count[d]) break; idx[d] = 0; }
            }
            v = ShapeMath.Take(x.Value, flat);
        }
        ctx.Out(0, x.ElemType, dims, v);
    }

    private static void InferResize(InferenceContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Shape is null) { ctx.Out(0, x.ElemType, null); return; }
        var rank = x.Rank;
        double[]? scales;
        long[]? sizes = null;
        if (ctx.Node.OpType == "Upsample")
            scales = ctx.Opset >= 9 ? ctx.In(1)?.Value?.AsDoubles() : ctx.Floats("scales")?.Select(f => (double)f).ToArray();
        else if (ctx.Opset < 11)
            scales = ctx.In(1)?.Value?.AsDoubles();
        else
        {
            var sc = ctx.In(2);
            scales = sc is { Value: { Length: > 0 } } ? sc.Value.AsDoubles() : null;
            var sz = ctx.In(3);
            sizes = sz?.Value?.AsLongs();
            if (scales is null && sizes is null)
            {
                ctx.Out(0, x.ElemType, x.Shape.Select(_ => Dim.Unknown).ToArray());
                return;
            }
        }
        var axes = ctx.Ints("axes")?.Select(a => ctx.Axis(a, rank)).ToArray() ?? Enumerable.Range(0, rank).ToArray();
        var dims = (Dim[])x.Shape.Clone();
        if (sizes is not null)
        {
            var policy = ctx.Str("keep_aspect_ratio_policy", "stretch");
            if (policy != "stretch" && ShapeMath.AllKnown(x.Shape))
            {
                var ratios = axes.Select((a, k) => (double)sizes[k] / x.Shape[a].Value).ToArray();
                var r = policy == "not_larger" ? ratios.Min() : ratios.Max();
                foreach (var a in axes) dims[a] = Dim.Of((long)Math.Round(r * x.Shape[a].Value, MidpointRounding.ToEven));
            }
            else
                for (var k = 0; k < axes.Length; k++) dims[axes[k]] = Dim.Of(sizes[k]);
        }
        else if (scales is not null)
        {
            if (scales.Length != axes.Length) throw ctx.Error($"{scales.Length} scales for rank {axes.Length}");
            for (var k = 0; k < axes.Length; k++)
            {
                var d = x.Shape[axes[k]];
                dims[axes[k]] = d.IsKnown ? Dim.Of((long)Math.Floor(d.Value * (float)scales[k] + 1e-9)) : Dim.Unknown;
            }
        }
        else dims = x.Shape.Select(_ => Dim.Unknown).ToArray();
        ctx.Out(0, x.ElemType, dims);
    }
}
