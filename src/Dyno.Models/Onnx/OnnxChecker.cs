namespace Dyno.Models.Onnx;

/// <summary>
/// Graph well-formedness as <c>onnx.checker</c> defines it, checked before any number is computed:
/// an opset import for the default domain, every node input produced by something in scope (a graph
/// input, an initializer, an earlier node, an enclosing graph), every value written once (SSA), no
/// cycles, graph outputs that exist, and embedded data whose length matches its type and shape.
/// Subgraphs are visited with an explicit work list (no recursion on input data).
/// </summary>
/// <remarks>
/// One deliberate difference: onnx.checker also requires nodes to be listed in topological order;
/// ONNX Runtime sorts them itself and so does Dyno, so an acyclic graph in any order is accepted.
/// </remarks>
public static class OnnxChecker
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the graph, node and value of the first problem found.</summary>
    public static void Check(OnnxModel model)
    {
        var src = model.Source;
        if (model.OpsetImports.Count == 0)
            throw new InvalidDataException($"{src}: the model imports no operator set (opset_import is empty); ONNX requires one for the default domain");
        if (!model.OpsetImports.ContainsKey("") && !model.OpsetImports.ContainsKey("ai.onnx")
            && model.Graph.Nodes.Any(n => n.Domain is "" or "ai.onnx"))
            throw new InvalidDataException($"{src}: the model uses default-domain operators but imports no default-domain opset");

        var work = new Stack<(OnnxGraph Graph, HashSet<string>? Outer, string Path)>();
        work.Push((model.Graph, null, "main graph"));
        while (work.Count > 0)
        {
            var (g, outer, path) = work.Pop();
            var where = g.Name.Length > 0 ? $"{path} '{g.Name}'" : path;
            var defined = new HashSet<string>(StringComparer.Ordinal);
            foreach (var i in g.Inputs) defined.Add(i.Name);
            foreach (var t in g.Initializers)
            {
                defined.Add(t.Name);
                CheckData(t, src, $"{where}: initializer");
            }
            foreach (var t in g.SparseInitializers) defined.Add(t.Name);
            bool InScope(string n) => defined.Contains(n) || outer?.Contains(n) == true;

            // Producers: every output written exactly once, and never over a graph input or initializer.
            var producer = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var k = 0; k < g.Nodes.Count; k++)
            foreach (var o in g.Nodes[k].Outputs)
            {
                if (o.Length == 0) continue;
                if (defined.Contains(o))
                    throw new InvalidDataException($"{src}: {where}: node {Label(g.Nodes[k])} writes '{o}', which is already a graph input or initializer (ONNX values are assigned once)");
                if (!producer.TryAdd(o, k))
                    throw new InvalidDataException($"{src}: {where}: '{o}' is written by two nodes, {Label(g.Nodes[producer[o]])} and {Label(g.Nodes[k])} (ONNX values are assigned once)");
            }
            foreach (var node in g.Nodes)
            {
                foreach (var i in node.Inputs)
                    if (i.Length > 0 && !producer.ContainsKey(i) && !InScope(i))
                        throw new InvalidDataException($"{src}: {where}: node {Label(node)} reads '{i}', which no graph input, initializer or node produces");
                foreach (var a in node.Attributes.Values)
                {
                    if (a.T is { } at) CheckData(at, src, $"{where}: node {Label(node)} attribute '{a.Name}'");
                    foreach (var t in a.Tensors) CheckData(t, src, $"{where}: node {Label(node)} attribute '{a.Name}'");
                }
            }
            foreach (var o in g.Outputs)
                if (!producer.ContainsKey(o.Name) && !InScope(o.Name))
                    throw new InvalidDataException($"{src}: {where}: graph output '{o.Name}' is produced by no node, input or initializer");

            CheckAcyclic(g, producer, src, where);

            HashSet<string>? inner = null;
            foreach (var node in g.Nodes)
            foreach (var (attr, sub) in node.Subgraphs())
            {
                if (inner is null)
                {
                    inner = new HashSet<string>(defined, StringComparer.Ordinal);
                    inner.UnionWith(producer.Keys);
                    if (outer is not null) inner.UnionWith(outer);
                }
                work.Push((sub, inner, $"{where}/{Label(node)}/{attr}"));
            }
        }
    }

    private static void CheckAcyclic(OnnxGraph g, Dictionary<string, int> producer, string src, string where)
    {
        var n = g.Nodes.Count;
        var indeg = new int[n];
        var consumers = new List<int>?[n];
        for (var k = 0; k < n; k++)
        foreach (var i in g.Nodes[k].Inputs.Distinct(StringComparer.Ordinal))
            if (i.Length > 0 && producer.TryGetValue(i, out var p))
            {
                if (p == k)
                    throw new InvalidDataException($"{src}: {where}: node {Label(g.Nodes[k])} reads its own output '{i}' (a cycle)");
                indeg[k]++;
                (consumers[p] ??= []).Add(k);
            }
        var ready = new Stack<int>();
        for (var k = 0; k < n; k++) if (indeg[k] == 0) ready.Push(k);
        var seen = 0;
        while (ready.TryPop(out var k))
        {
            seen++;
            if (consumers[k] is { } cs)
                foreach (var c in cs)
                    if (--indeg[c] == 0) ready.Push(c);
        }
        if (seen < n)
        {
            var stuck = Enumerable.Range(0, n).First(k => indeg[k] > 0);
            throw new InvalidDataException($"{src}: {where}: the graph has a cycle through node {Label(g.Nodes[stuck])}; ONNX graphs must be acyclic");
        }
    }

    /// <summary>Embedded payloads must hold exactly as many elements as the tensor's type and shape say.</summary>
    private static void CheckData(OnnxTensor t, string src, string where)
    {
        if (t.Location != DataLocation.Embedded) return;
        long expected;
        try
        {
            expected = t.ElementCount;
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{src}: {where} '{t.Name}' has shape [{string.Join(",", t.Dims)}], more than 2^63 elements");
        }
        if (t.InlineFloats is { } f && f.Count != expected || t.InlineInts is { } ints && ints.Count != expected)
            throw new InvalidDataException($"{src}: {where} '{t.Name}' holds {(t.InlineFloats?.Count ?? t.InlineInts!.Count)} values but its shape [{string.Join(",", t.Dims)}] needs {expected}");
        if (t.DataField == 9)
        {
            var bits = DataTypes.Bits(t.DataType);
            if (bits == 0 || t.DataType == DataType.String) return;
            var need = DataTypes.Bytes(t.DataType, expected);
            if (t.DataRegion.Length != need)
                throw new InvalidDataException($"{src}: {where} '{t.Name}' has {t.DataRegion.Length} bytes of raw_data but its type {DataTypes.Name(t.DataType)} and shape [{string.Join(",", t.Dims)}] need {need}");
        }
    }

    private static string Label(OnnxNode n) => n.Name.Length > 0 ? $"'{n.Name}' ({n.OpType})" : $"#{n.Index} ({n.OpType})";
}
