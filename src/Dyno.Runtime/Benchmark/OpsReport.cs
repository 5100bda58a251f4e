using System.Text.Json;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;

namespace Dyno.Runtime.Benchmark;

/// <summary>Measured time of one executed node, joined to its static cost where the names match.</summary>
public sealed record OpTime
{
    /// <summary>The node name as ONNX Runtime ran it (after graph optimization).</summary>
    public required string Name { get; init; }

    /// <summary>The kernel that ran (e.g. <c>FusedConv</c> for a Conv fused with its activation).</summary>
    public required string OpType { get; init; }
    public string? Provider { get; init; }

    /// <summary>Mean kernel time per inference, milliseconds.</summary>
    public required double TimeMs { get; init; }

    /// <summary>Share of the summed kernel time.</summary>
    public required double Share { get; init; }

    /// <summary>The static (ONNX) nodes this kernel computes: the node of the same name or output, plus the chain fused into it.</summary>
    public IReadOnlyList<string>? StaticNodes { get; init; }

    /// <summary>Static cost of those nodes (null when the runtime created the node, e.g. a layout reorder).</summary>
    public long? Flops { get; init; }
    public long? MemoryAccessBytes { get; init; }
    public double? AchievedFlopsPerSecond { get; init; }
    public double? AchievedBytesPerSecond { get; init; }
}

/// <summary>Time per operator type.</summary>
public sealed record OpTypeTime(string OpType, int Nodes, double TimeMs, double Share, long Flops, double? AchievedFlopsPerSecond);

/// <summary>Per-operator time from ONNX Runtime's profiler, joined to Dyno's static per-node costs.</summary>
public sealed record OpsReport
{
    public required int Batch { get; init; }

    /// <summary>Profiled inferences averaged (after the warm-up runs, which are discarded).</summary>
    public required int Runs { get; init; }

    /// <summary>Median of the profiler's <c>model_run</c> events (ms): end-to-end time with profiling on.</summary>
    public required double ProfiledRunMs { get; init; }

    /// <summary>Sum over nodes of the mean kernel time per inference (ms); the shares are of this sum.</summary>
    public required double SumOpsMs { get; init; }

    /// <summary>Median over profiled runs of (summed kernel time of the run ÷ its <c>model_run</c> time): how much of a run the kernels explain.</summary>
    public required double SumOpsOverProfiledRun { get; init; }

    /// <summary>Median latency without the profiler, from runs of the benchmarked session interleaved one by one with the profiled runs (ms).</summary>
    public required double LatencyMs { get; init; }

    /// <summary>
    /// Median over profiled runs of (the run's summed kernel time ÷ the unprofiled latency of the run
    /// issued just before it): the per-op times as a share of the end-to-end latency.
    /// </summary>
    public required double SumOpsOverLatency { get; init; }

    /// <summary>Static nodes whose cost was joined to an executed kernel, and static nodes in the main graph (the rest were removed: Identity, Constant, Dropout...).</summary>
    public required int StaticNodesJoined { get; init; }
    public required int StaticNodes { get; init; }

    /// <summary>Static FLOPs covered by the join (compare with the model's total).</summary>
    public required long StaticFlopsJoined { get; init; }

    public required IReadOnlyList<OpTypeTime> ByOpType { get; init; }
    public required IReadOnlyList<OpTime> Nodes { get; init; }

    /// <summary>
    /// Reads an ONNX Runtime profile (Chrome trace JSON), drops the first <paramref name="skipRuns"/>
    /// model runs, and averages each node's <c>*_kernel_time</c> over the remaining runs. Executed nodes
    /// are joined to the static graph by name, or, for nodes the runtime renamed (NCHWc layout:
    /// <c>OUTPUT_nchwc</c>), by the tensor they produce; a fused kernel also takes the static cost of
    /// the unmatched single-consumer chains feeding it (the Conv under a fused Relu) and fed by it (the
    /// Add and Relu fused after a Conv).
    /// </summary>
    public static OpsReport FromProfile(string profileJson, int skipRuns, int batch, IReadOnlyList<double> unprofiledLatenciesMs,
        IReadOnlyList<NodeCost> costs, IReadOnlyList<OnnxNode> graphNodes)
    {
        using var doc = JsonDocument.Parse(profileJson);
        var runs = new List<(long Ts, long End)>();
        var kernels = new List<(long Ts, string Name, string Op, string? Provider, long Dur)>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var cat = e.TryGetProperty("cat", out var c) ? c.GetString() : null;
            var name = e.GetProperty("name").GetString() ?? "";
            var ts = e.TryGetProperty("ts", out var tsEl) ? tsEl.GetInt64() : 0;
            var dur = e.TryGetProperty("dur", out var d) ? d.GetInt64() : 0;
            if (cat == "Session" && name == "model_run") runs.Add((ts, ts + dur));
            else if (cat == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                var args = e.TryGetProperty("args", out var a) ? a : default;
                string? Arg(string k) => args.ValueKind == JsonValueKind.Object && args.TryGetProperty(k, out var v) ? v.GetString() : null;
                kernels.Add((ts, name[..^"_kernel_time".Length], Arg("op_name") ?? "?", Arg("provider"), dur));
            }
        }
        runs.Sort((x, y) => x.Ts.CompareTo(y.Ts));
        var kept = runs.Skip(skipRuns).ToList();
        if (kept.Count == 0) throw new InvalidDataException("the runtime profile holds no model runs after warm-up");
        var perRunSum = new double[kept.Count];
        var perNode = new Dictionary<string, (string Op, string? Provider, long Dur, int Order)>(StringComparer.Ordinal);
        foreach (var k in kernels)
        {
            var run = kept.FindIndex(r => k.Ts >= r.Ts && k.Ts <= r.End);
            if (run < 0) continue;
            perRunSum[run] += k.Dur;
            perNode[k.Name] = perNode.TryGetValue(k.Name, out var cur)
                ? (cur.Op, cur.Provider, cur.Dur + k.Dur, cur.Order)
                : (k.Op, k.Provider, k.Dur, perNode.Count);
        }
        var n = kept.Count;
        var sumUs = perNode.Values.Sum(v => (double)v.Dur) / n;
        var groups = Join(perNode.Keys, costs, graphNodes);

        var nodes = perNode.OrderBy(kv => kv.Value.Order).Select(kv =>
        {
            var ms = kv.Value.Dur / (double)n / 1000;
            var group = groups.GetValueOrDefault(kv.Key);
            long? flops = group?.Sum(x => x.Flops);
            long? bytes = group?.Sum(x => x.MemoryAccessBytes);
            return new OpTime
            {
                Name = kv.Key, OpType = kv.Value.Op, Provider = kv.Value.Provider, TimeMs = ms,
                Share = sumUs > 0 ? ms * 1000 / sumUs : 0,
                StaticNodes = group?.Select(x => x.Name).ToList(),
                Flops = flops, MemoryAccessBytes = bytes,
                AchievedFlopsPerSecond = flops is not null && ms > 0 ? flops / (ms / 1000) : null,
                AchievedBytesPerSecond = bytes is not null && ms > 0 ? bytes / (ms / 1000) : null,
            };
        }).ToList();
        var byType = nodes.GroupBy(x => x.OpType).Select(g =>
        {
            var ms = g.Sum(x => x.TimeMs);
            var flops = g.Sum(x => x.Flops ?? 0);
            return new OpTypeTime(g.Key, g.Count(), ms, g.Sum(x => x.Share), flops, ms > 0 && flops > 0 ? flops / (ms / 1000) : null);
        }).OrderByDescending(x => x.TimeMs).ToList();
        // Profiled run i was issued right after unprofiled run i: their ratio compares kernels and
        // end-to-end time under the same machine load, which a ratio of two medians would not.
        if (unprofiledLatenciesMs.Count < n) throw new ArgumentException($"{unprofiledLatenciesMs.Count} unprofiled latencies for {n} profiled runs");
        var pairRatios = Enumerable.Range(0, n).Select(i => perRunSum[i] / 1000 / unprofiledLatenciesMs[unprofiledLatenciesMs.Count - n + i]).ToList();
        var latencyMs = Statistics.LatencyStats.Percentile(unprofiledLatenciesMs.Order().ToArray(), 0.5);
        var runMs = kept.Select(r => (r.End - r.Ts) / 1000.0).Order().ToArray();
        var mainNodes = costs.Count(x => x.Graph is null or "");
        return new OpsReport
        {
            Batch = batch, Runs = n,
            ProfiledRunMs = Statistics.LatencyStats.Percentile(runMs, 0.5),
            SumOpsMs = sumUs / 1000,
            SumOpsOverProfiledRun = Statistics.LatencyStats.Percentile(Enumerable.Range(0, n).Select(i => perRunSum[i] / (kept[i].End - kept[i].Ts)).Order().ToArray(), 0.5),
            LatencyMs = latencyMs,
            SumOpsOverLatency = Statistics.LatencyStats.Percentile(pairRatios.Order().ToArray(), 0.5),
            StaticNodesJoined = groups.Values.Sum(g => g.Count), StaticNodes = mainNodes,
            StaticFlopsJoined = groups.Values.Sum(g => g.Sum(x => x.Flops)),
            ByOpType = byType, Nodes = nodes,
        };
    }

    /// <summary>
    /// Names to try for an executed node: as is; without the suffixes ONNX Runtime's transformers add
    /// (<c>_nchwc</c>, <c>_new_reshape</c>); without trailing <c>/XxxFusion</c> segments
    /// (<c>/layers.0/fc1/MatMul/MatMulAddFusion</c> is the fused <c>/layers.0/fc1/MatMul</c>).
    /// </summary>
    private static IEnumerable<string> Candidates(string name)
    {
        yield return name;
        var key = name.TrimEnd('/');
        foreach (var suffix in new[] { "_nchwc", "_new_reshape" })
            if (key.EndsWith(suffix, StringComparison.Ordinal)) key = key[..^suffix.Length];
        yield return key;
        while (key.LastIndexOf('/') is var slash and > 0 && key[(slash + 1)..].Contains("Fusion", StringComparison.Ordinal))
        {
            key = key[..slash];
            yield return key;
        }
    }

    /// <summary>Operators ONNX Runtime folds or fuses into the kernel before them (activations, residual adds, BN into Conv).</summary>
    private static readonly HashSet<string> FusedAfter = new(StringComparer.Ordinal)
    {
        "Add", "Sum", "Mul", "Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish", "BatchNormalization", "Identity", "Dropout",
    };

    private static Dictionary<string, List<NodeCost>> Join(IEnumerable<string> executed, IReadOnlyList<NodeCost> costs, IReadOnlyList<OnnxNode> graphNodes)
    {
        var costByIndex = costs.Where(x => x.Graph is null or "").ToDictionary(x => x.Index);
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in graphNodes)
        {
            if (node.Name.Length > 0) byName.TryAdd(node.Name, node.Index);
            foreach (var o in node.Outputs) if (o.Length > 0) producer[o] = node.Index;
            foreach (var i in node.Inputs) if (i.Length > 0) consumers[i] = consumers.GetValueOrDefault(i) + 1;
        }
        var direct = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in executed)
            foreach (var key in Candidates(name))
                if (byName.TryGetValue(key, out var idx) || producer.TryGetValue(key, out idx))
                {
                    direct[name] = idx;
                    break;
                }
        var claimed = direct.Values.ToHashSet();
        var groups = new Dictionary<string, List<NodeCost>>(StringComparer.Ordinal);
        foreach (var (name, idx) in direct)
        {
            var list = new List<NodeCost>();
            var stack = new Stack<int>();
            stack.Push(idx);
            while (stack.Count > 0)
            {
                var at = stack.Pop();
                if (costByIndex.TryGetValue(at, out var cost)) list.Add(cost);
                foreach (var input in graphNodes[at].Inputs)
                {
                    if (!producer.TryGetValue(input, out var up) || claimed.Contains(up)) continue;
                    if (graphNodes[up].Outputs.Any(o => consumers.GetValueOrDefault(o) != 1)) continue;
                    claimed.Add(up);
                    stack.Push(up);
                }
            }
            groups[name] = list;
        }
        // Then what was fused after it (Conv + Add + Relu runs as one kernel named after the Conv's
        // output): unclaimed nodes that are the sole consumer of a group member's output.
        var consumerOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in graphNodes)
            foreach (var i in node.Inputs)
                if (i.Length > 0 && consumers.GetValueOrDefault(i) == 1) consumerOf[i] = node.Index;
        foreach (var (name, idx) in direct)
        {
            var list = groups[name];
            var queue = new Queue<int>();
            queue.Enqueue(idx);
            while (queue.Count > 0)
            {
                var at = queue.Dequeue();
                foreach (var output in graphNodes[at].Outputs)
                {
                    if (!consumerOf.TryGetValue(output, out var down) || claimed.Contains(down) || !FusedAfter.Contains(graphNodes[down].OpType)) continue;
                    claimed.Add(down);
                    if (costByIndex.TryGetValue(down, out var cost)) list.Add(cost);
                    queue.Enqueue(down);
                }
            }
        }
        return groups;
    }
}
