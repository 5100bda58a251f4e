namespace Dyno.Reports;

/// <summary>
/// The one definition of "share of FLOPs by op type" that the profile table and the report chart both show: the FLOPs
/// of the top-level nodes of each op type (keyed <c>domain.op</c> for non-default domains, as the op histogram is)
/// divided by the model's total FLOPs.
/// </summary>
public static class FlopsShare
{
    /// <summary>One node's part: the subgraph it is in (null at the top level), its domain (null for ONNX's), op type and FLOPs.</summary>
    public readonly record struct Node(string? Graph, string? Domain, string OpType, double Flops);

    /// <summary>The op-type key of the op histogram: <c>Conv</c>, or <c>com.microsoft.FusedConv</c>.</summary>
    public static string Key(string? domain, string opType) => domain is null ? opType : domain + "." + opType;

    /// <summary>Share of <paramref name="totalFlops"/> (at least 1) per op-type key, over the top-level nodes.</summary>
    public static IReadOnlyDictionary<string, double> ByOpType(IEnumerable<Node> nodes, double totalFlops)
    {
        var total = Math.Max(1, totalFlops);
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            if (n.Graph is not null) continue;
            var k = Key(n.Domain, n.OpType);
            sums[k] = sums.GetValueOrDefault(k) + n.Flops;
        }
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value / total, StringComparer.Ordinal);
    }
}
