using Dyno.Models.Onnx;
using Dyno.Models.Shapes;

namespace Dyno.Models.Analysis;

/// <summary>Peak activation memory of one execution, with where it happens.</summary>
public sealed record MemoryPlan
{
    /// <summary>Largest sum of live activation bytes over the execution order.</summary>
    public long PeakActivationBytes { get; init; }

    /// <summary>The node executing when the peak is reached.</summary>
    public required string PeakNode { get; init; }
    public string? PeakOp { get; init; }

    /// <summary>Position of that node in the execution order (0-based).</summary>
    public int PeakStep { get; init; }

    /// <summary>Bytes of graph inputs, which stay live for the whole run (the caller owns them).</summary>
    public long InputBytes { get; init; }

    /// <summary>Bytes of graph outputs, live from their producer to the end.</summary>
    public long OutputBytes { get; init; }

    /// <summary>Live bytes at each step (the memory timeline).</summary>
    public IReadOnlyList<long>? Timeline { get; init; }

    /// <summary>True when some tensor size is unknown (the peak is then a lower bound).</summary>
    public bool Partial { get; init; }

    /// <summary>The peak if every floating-point activation were stored at fp32, fp16 or int8 width.</summary>
    public IReadOnlyDictionary<string, long>? PeakByPrecision { get; init; }
}

/// <summary>
/// Liveness analysis over the graph's topological execution order: a tensor lives from the step of its
/// producer to the step of its last consumer (both inclusive); graph inputs live for the whole run and
/// graph outputs from their producer to the end. Weights (initializers and Constant nodes) are not
/// activations. No buffer reuse between tensors of different lifetimes and no in-place aliasing are
/// assumed, which is what an arena planner achieves at best; subgraph-internal tensors are not included.
/// </summary>
public static class MemoryPlanner
{
    public static MemoryPlan Plan(OnnxGraph g, Func<string, TensorInfo?> lookup)
    {
        var n = g.Nodes.Count;
        var weights = new HashSet<string>(g.Initializers.Select(t => t.Name), StringComparer.Ordinal);
        foreach (var node in g.Nodes)
            if (node.OpType == "Constant" && node.Domain.Length == 0) foreach (var o in node.Outputs) weights.Add(o);
        var outputs = new HashSet<string>(g.Outputs.Select(o => o.Name), StringComparer.Ordinal);

        var start = new Dictionary<string, int>(StringComparer.Ordinal);
        var end = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in g.Inputs)
            if (!weights.Contains(i.Name)) { start[i.Name] = 0; end[i.Name] = Math.Max(0, n - 1); }
        for (var s = 0; s < n; s++)
        {
            var node = g.Nodes[s];
            foreach (var o in node.Outputs)
                if (o.Length > 0 && !weights.Contains(o)) { start.TryAdd(o, s); end[o] = outputs.Contains(o) ? n - 1 : s; }
            foreach (var x in node.Inputs)
                if (x.Length > 0 && start.ContainsKey(x) && end[x] < s) end[x] = s;
            foreach (var (_, sub) in node.Subgraphs())
                foreach (var outer in OuterReferences(sub))
                    if (start.ContainsKey(outer) && end[outer] < s) end[outer] = s;
        }

        var delta = new long[n + 1];
        var floatDelta = new long[n + 1];
        var otherDelta = new long[n + 1];
        long inputBytes = 0, outputBytes = 0;
        var partial = false;
        var graphInputs = g.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, s0) in start)
        {
            var t = lookup(name);
            if (t is not { IsStatic: true })
            {
                if (t is null || t.Kind == ValueKind.Tensor) partial = true;
                continue;
            }
            var bytes = t.ByteSize;
            delta[s0] += bytes;
            delta[end[name] + 1] -= bytes;
            if (DataTypes.IsFloat(t.ElemType))
            {
                floatDelta[s0] += t.ElementCount;
                floatDelta[end[name] + 1] -= t.ElementCount;
            }
            else
            {
                otherDelta[s0] += bytes;
                otherDelta[end[name] + 1] -= bytes;
            }
            if (graphInputs.Contains(name)) inputBytes += bytes;
            if (outputs.Contains(name)) outputBytes += bytes;
        }
        var timeline = new long[n];
        long live = 0, liveFloat = 0, liveOther = 0, peak = 0;
        var peakStep = 0;
        var floatAtStep = new long[n];
        var otherAtStep = new long[n];
        for (var s = 0; s < n; s++)
        {
            live += delta[s];
            liveFloat += floatDelta[s];
            liveOther += otherDelta[s];
            timeline[s] = live;
            floatAtStep[s] = liveFloat;
            otherAtStep[s] = liveOther;
            if (live > peak) { peak = live; peakStep = s; }
        }
        var byPrecision = new Dictionary<string, long>();
        foreach (var (name, bits) in new[] { ("fp32", 32), ("fp16", 16), ("int8", 8) })
        {
            long best = 0;
            for (var s = 0; s < n; s++) best = Math.Max(best, otherAtStep[s] + floatAtStep[s] * bits / 8);
            byPrecision[name] = best;
        }
        var pn = n > 0 ? g.Nodes[peakStep] : null;
        return new MemoryPlan
        {
            PeakActivationBytes = peak, PeakNode = pn is null ? "" : pn.Name.Length > 0 ? pn.Name : $"#{peakStep}", PeakOp = pn?.OpType,
            PeakStep = peakStep, InputBytes = inputBytes, OutputBytes = outputBytes, Timeline = timeline, Partial = partial,
            PeakByPrecision = byPrecision,
        };
    }

    /// <summary>Names a subgraph reads from its enclosing scope.</summary>
    private static IEnumerable<string> OuterReferences(OnnxGraph sub)
    {
        var local = new HashSet<string>(sub.Inputs.Select(i => i.Name).Concat(sub.Initializers.Select(t => t.Name)), StringComparer.Ordinal);
        foreach (var node in sub.Nodes)
        {
            foreach (var x in node.Inputs) if (x.Length > 0 && !local.Contains(x)) yield return x;
            foreach (var (_, inner) in node.Subgraphs()) foreach (var x in OuterReferences(inner)) if (!local.Contains(x)) yield return x;
            foreach (var o in node.Outputs) local.Add(o);
        }
    }
}
