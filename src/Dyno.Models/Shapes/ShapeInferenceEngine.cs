using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

/// <summary>The outcome of shape inference over a model.</summary>
public sealed class ShapeInferenceResult
{
    internal ShapeInferenceResult(Dictionary<string, TensorInfo> values, List<UnresolvedNode> unresolved,
        List<string> notes, Dictionary<OnnxGraph, Dictionary<string, TensorInfo>> subgraphs)
    {
        Values = values;
        Unresolved = unresolved;
        Notes = notes;
        SubgraphValues = subgraphs;
    }

    /// <summary>Every value of the main graph by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Values { get; }

    /// <summary>Nodes (in any graph) whose outputs have no static shape, with the reason.</summary>
    public IReadOnlyList<UnresolvedNode> Unresolved { get; }

    /// <summary>Assumptions made (symbolic dims defaulted, declared shapes used).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Values local to each subgraph (If/Loop/Scan bodies), last inference of that body.</summary>
    public IReadOnlyDictionary<OnnxGraph, Dictionary<string, TensorInfo>> SubgraphValues { get; }

    public TensorInfo? this[string name] => Values.GetValueOrDefault(name);
}

/// <summary>
/// Infers element types, shapes and (for small tensors) constant values through an ONNX graph, so that
/// Shape → Gather → Concat → Reshape chains resolve to concrete shapes.
/// </summary>
public sealed class ShapeInferenceEngine
{
    /// <summary>Largest tensor whose content is tracked for constant propagation.</summary>
    public const int MaxConstElements = 1 << 16;

    private readonly OnnxModel? _model;
    private readonly IReadOnlyDictionary<string, long> _opsets;
    private readonly IReadOnlyDictionary<string, OnnxFunction> _functions;
    private readonly List<UnresolvedNode> _unresolved = [];
    private readonly List<string> _notes = [];
    private readonly Dictionary<OnnxGraph, Dictionary<string, TensorInfo>> _subgraphs = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Whether shapes declared in the file (value_info, graph outputs) fill in where inference cannot;
    /// each use is listed in <see cref="ShapeInferenceResult.Notes"/>. Off for validation.
    /// </summary>
    public bool UseDeclaredShapes { get; init; } = true;

    /// <summary>
    /// Whether constant values propagate through every operator (on by default). Off reproduces onnx's own
    /// shape inference with data propagation, which carries values only through Shape, Size, Gather, Concat,
    /// (Un)Squeeze, Slice, Add, Sub, Mul, Cast and Identity: shapes computed with Div, Where, Equal and the like stay unknown.
    /// </summary>
    public bool PropagateConstants { get; init; } = true;

    // The ops onnx's own data propagation (infer_shapes(..., data_prop=True)) carries shape values through.
    private static readonly HashSet<string> OnnxDataPropagationOps =
        ["Constant", "Shape", "Size", "Gather", "Concat", "Unsqueeze", "Squeeze", "Slice", "Add", "Sub", "Mul", "Cast", "Identity"];

    /// <summary>Creates an engine for <paramref name="model"/>.</summary>
    public ShapeInferenceEngine(OnnxModel model)
    {
        _model = model;
        _opsets = model.OpsetImports;
        _functions = model.Functions.GroupBy(f => f.Domain + "::" + f.Name).ToDictionary(g => g.Key, g => g.First());
    }

    /// <summary>
    /// Runs inference on the main graph. <paramref name="inputShapes"/> overrides input shapes;
    /// <paramref name="dims"/> gives values to symbolic dims; symbolic input dims left unset become 1 (noted).
    /// Supplying <paramref name="inputValues"/> makes those inputs constants (used by the ONNX node-test validation).
    /// </summary>
    public ShapeInferenceResult Run(IReadOnlyDictionary<string, long[]>? inputShapes = null, IReadOnlyDictionary<string, long>? dims = null,
        IReadOnlyDictionary<string, TensorInfo>? inputValues = null) =>
        Run(new InputShapeRequest { InputShapes = inputShapes, Dims = dims }, inputValues);

    /// <summary>
    /// Runs inference on the main graph with the input shapes <see cref="InputShapeResolver"/> resolves from
    /// <paramref name="request"/> (its notes become the result's). Supplying <paramref name="inputValues"/> makes
    /// those inputs constants (used by the ONNX node-test validation).
    /// </summary>
    public ShapeInferenceResult Run(InputShapeRequest request, IReadOnlyDictionary<string, TensorInfo>? inputValues = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var g = _model!.Graph;
        var values = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var inits = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in g.Initializers)
        {
            values[t.Name] = FromTensor(t);
            inits.Add(t.Name);
        }
        foreach (var t in g.SparseInitializers) values[t.Name] = FromTensor(t);

        var resolved = InputShapeResolver.Resolve(g.Inputs, request, inits);
        _notes.AddRange(resolved.Notes);
        foreach (var r in resolved.Inputs)
        {
            var input = r.Input;
            if (inputValues is not null && inputValues.TryGetValue(input.Name, out var given))
            {
                values[input.Name] = given;
                continue;
            }
            values[input.Name] = new TensorInfo(input.ElemType, r.Shape?.Select(Dim.Of).ToArray(), null, input.Kind);
        }

        InferGraph(g, values, null, 0);
        return new ShapeInferenceResult(values, _unresolved, _notes, _subgraphs);
    }


    /// <summary>Converts an initializer or Constant tensor into what inference knows of it.</summary>
    public static TensorInfo FromTensor(OnnxTensor t)
    {
        ConstValue? v = null;
        if (t.HasData && t.ElementCount <= MaxConstElements)
        {
            if (ConstValue.UsesInts(t.DataType))
            {
                var ints = t.ReadInt64s(MaxConstElements);
                if (ints is not null) v = ConstValue.OfInts(ints);
            }
            else if (DataTypes.IsFloat(t.DataType))
            {
                var d = t.ReadDoubles(MaxConstElements);
                if (d is not null) v = ConstValue.OfFloats(d);
            }
        }
        return v is null ? new TensorInfo(t.DataType, t.Dims.Select(Dim.Of).ToArray()) : TensorInfo.Const(t.DataType, t.Dims, v);
    }

    /// <summary>Infers a (sub)graph in place. <paramref name="outer"/> resolves names from enclosing scopes.</summary>
    internal void InferGraph(OnnxGraph g, Dictionary<string, TensorInfo> values, Func<string, TensorInfo?>? outer, int depth)
    {
        if (depth > 0)
        {
            foreach (var t in g.Initializers) values[t.Name] = FromTensor(t);
            _subgraphs[g] = values;
        }
        TensorInfo? Lookup(string n) => values.TryGetValue(n, out var v) ? v : outer?.Invoke(n);

        var declared = new Dictionary<string, OnnxValueInfo>(StringComparer.Ordinal);
        foreach (var vi in g.ValueInfo) declared[vi.Name] = vi;
        foreach (var vi in g.Outputs) declared.TryAdd(vi.Name, vi);

        foreach (var node in TopologicalOrder(g, values, outer))
        {
            var ctx = new InferenceContext(node, OpsetFor(node.Domain), Lookup, this);
            string? reason = null;
            var kind = UnresolvedKind.UnresolvedShape;
            try
            {
                if (OperatorRegistry.TryGet(node.Domain, node.OpType, out var fn))
                    fn(ctx);
                else if (_functions.TryGetValue(node.Domain + "::" + node.OpType, out var f))
                    InferFunction(ctx, f, Lookup, depth);
                else
                {
                    reason = $"unknown operator {node.QualifiedOp}";
                    kind = UnresolvedKind.UnknownOperator;
                }
            }
            catch (ShapeInferenceException e)
            {
                reason = e.Message;
                kind = UnresolvedKind.InconsistentShapes;
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"{_model?.Source ?? "model"}: node {node}: a shape or value exceeds 2^63 elements; refused rather than wrapped");
            }
            for (var i = 0; i < node.Outputs.Length; i++)
            {
                var name = node.Outputs[i];
                if (name.Length == 0) continue;
                var t = ctx.Outputs[i];
                if ((t is null || !t.IsStatic) && UseDeclaredShapes && declared.TryGetValue(name, out var d) && d.Shape is not null && d.Shape.All(x => x.IsKnown))
                {
                    t = new TensorInfo(t is { ElemType: not DataType.Undefined } ? t.ElemType : d.ElemType, d.Shape, t?.Value, d.Kind);
                    _notes.Add($"{node}: output '{name}' takes the shape declared in the file, {t.ShapeText}");
                }
                t ??= TensorInfo.Unknown(declared.TryGetValue(name, out var d2) ? d2.ElemType : DataType.Undefined);
                if (t.Value is not null && ((t.IsStatic && t.Value.Length != t.ElementCount) || (!PropagateConstants && !OnnxDataPropagationOps.Contains(node.OpType))))
                    t = new TensorInfo(t.ElemType, t.Shape, null, t.Kind);
                values[name] = t;
                if (!t.IsStatic && t.Kind == ValueKind.Tensor && reason is null)
                    reason = t.HasRank ? $"output '{name}' has unresolved dims {t.ShapeText}" : $"output '{name}' has unknown shape";
            }
            if (reason is not null) _unresolved.Add(new UnresolvedNode(node.Name.Length > 0 ? node.Name : $"#{node.Index}", node.QualifiedOp, kind, reason));
        }
    }

    private void InferFunction(InferenceContext ctx, OnnxFunction f, Func<string, TensorInfo?> lookup, int depth)
    {
        var local = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        for (var i = 0; i < f.Inputs.Length; i++)
            local[f.Inputs[i]] = ctx.In(i) ?? TensorInfo.Unknown();
        var body = new OnnxGraph
        {
            Name = f.Name, Nodes = f.Nodes.Select(n => BindAttributes(n, ctx.Node)).ToList(), Initializers = [], Inputs = [], Outputs = [], ValueInfo = [],
        };
        var before = _unresolved.Count;
        InferGraph(body, local, null, depth + 1);
        _unresolved.RemoveRange(before, _unresolved.Count - before);
        for (var i = 0; i < f.Outputs.Length && i < ctx.OutputCount; i++)
            ctx.Out(i, local.GetValueOrDefault(f.Outputs[i]) ?? TensorInfo.Unknown());
    }

    private static OnnxNode BindAttributes(OnnxNode n, OnnxNode caller)
    {
        if (!n.Attributes.Values.Any(a => a.RefAttrName is not null)) return n;
        var attrs = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        foreach (var (k, a) in n.Attributes)
        {
            if (a.RefAttrName is null) attrs[k] = a;
            else if (caller.Attributes.TryGetValue(a.RefAttrName, out var v))
                attrs[k] = new OnnxAttribute
                {
                    Name = k, Type = v.Type, F = v.F, I = v.I, S = v.S, T = v.T, G = v.G, Floats = v.Floats, Ints = v.Ints,
                    Strings = v.Strings, Tensors = v.Tensors, Graphs = v.Graphs,
                };
        }
        return new OnnxNode { Name = n.Name, OpType = n.OpType, Domain = n.Domain, Inputs = n.Inputs, Outputs = n.Outputs, Attributes = attrs, Index = n.Index };
    }

    internal long OpsetFor(string domain) =>
        _opsets.TryGetValue(domain, out var v) ? v : domain is "" ? 21 : domain == "ai.onnx.ml" ? 3 : 1;

    /// <summary>Runs a subgraph with the given formal inputs; returns its output infos.</summary>
    internal TensorInfo[] InferSubgraph(OnnxGraph body, IReadOnlyList<TensorInfo> formals, Func<string, TensorInfo?> outer)
    {
        var local = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        for (var i = 0; i < body.Inputs.Count; i++)
        {
            var decl = body.Inputs[i];
            var given = i < formals.Count ? formals[i] : null;
            local[decl.Name] = given is { HasRank: true } ? given
                : new TensorInfo(given?.ElemType is { } et && et != DataType.Undefined ? et : decl.ElemType, decl.Shape, null, decl.Kind);
        }
        InferGraph(body, local, outer, 1);
        return body.Outputs.Select(o => local.GetValueOrDefault(o.Name) ?? new TensorInfo(o.ElemType, o.Shape, null, o.Kind)).ToArray();
    }

    /// <summary>Nodes in an order where producers come before consumers (the file's order when it already is one).</summary>
    private static IEnumerable<OnnxNode> TopologicalOrder(OnnxGraph g, Dictionary<string, TensorInfo> known, Func<string, TensorInfo?>? outer)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < g.Nodes.Count; i++)
            foreach (var o in g.Nodes[i].Outputs)
                if (o.Length > 0) producer.TryAdd(o, i);
        var sorted = true;
        for (var i = 0; i < g.Nodes.Count && sorted; i++)
            foreach (var inp in g.Nodes[i].Inputs)
                if (inp.Length > 0 && producer.TryGetValue(inp, out var p) && p >= i) { sorted = false; break; }
        if (sorted) return g.Nodes;

        var indeg = new int[g.Nodes.Count];
        var consumers = new List<int>[g.Nodes.Count];
        for (var i = 0; i < g.Nodes.Count; i++)
        {
            consumers[i] = [];
        }
        for (var i = 0; i < g.Nodes.Count; i++)
            foreach (var inp in g.Nodes[i].Inputs.Distinct())
                if (inp.Length > 0 && producer.TryGetValue(inp, out var p) && p != i)
                {
                    indeg[i]++;
                    consumers[p].Add(i);
                }
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < indeg.Length; i++) if (indeg[i] == 0) ready.Enqueue(i, i);
        var order = new List<OnnxNode>(g.Nodes.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(g.Nodes[i]);
            foreach (var c in consumers[i]) if (--indeg[c] == 0) ready.Enqueue(c, c);
        }
        if (order.Count < g.Nodes.Count)
            order.AddRange(g.Nodes.Where((_, i) => indeg[i] > 0)); // a cycle: keep going, those nodes will be unresolved
        return order;
    }
}
