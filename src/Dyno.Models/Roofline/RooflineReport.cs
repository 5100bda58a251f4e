using Dyno.Models.Analysis;
using Dyno.Models.Hardware;

namespace Dyno.Models.Roofline;

/// <summary>Which roof limits a node or a phase: its arithmetic intensity is at or above the ridge point (compute) or below it (memory). Serialized as "compute" / "memory".</summary>
public enum RooflineBound
{
    /// <summary>Limited by peak FLOP/s.</summary>
    Compute,

    /// <summary>Limited by memory bandwidth.</summary>
    Memory,
}

/// <summary>One node on the roofline.</summary>
public sealed record RooflinePoint
{
    public required int Index { get; init; }
    public required string Name { get; init; }
    public required string OpType { get; init; }
    public long Flops { get; init; }
    public long Bytes { get; init; }

    /// <summary>FLOPs per byte at the analysed precision.</summary>
    public double ArithmeticIntensity { get; init; }

    /// <summary><see cref="RooflineBound.Compute"/> when the intensity is at or above the ridge point, else <see cref="RooflineBound.Memory"/>.</summary>
    public required RooflineBound Bound { get; init; }

    /// <summary>min(peak, bandwidth × intensity), FLOP/s.</summary>
    public double AttainableFlops { get; init; }

    /// <summary>Lower bound on the node's latency: max(flops / peak, bytes / bandwidth), seconds.</summary>
    public double MinTimeSeconds { get; init; }

    /// <summary>Share of the model's lower-bound time.</summary>
    public double TimeShare { get; init; }
}

/// <summary>Model-level roofline totals (sums over nodes).</summary>
public sealed record RooflineTotals
{
    public long Flops { get; init; }
    public long Bytes { get; init; }
    public double ArithmeticIntensity { get; init; }

    /// <summary>Σ over nodes of their lower-bound times, seconds.</summary>
    public double MinTimeSeconds { get; init; }
    public double MinTimeMs => MinTimeSeconds * 1e3;

    /// <summary>Upper bound on throughput: 1 / MinTimeSeconds inferences per second.</summary>
    public double MaxInferencesPerSecond { get; init; }

    /// <summary>Flops / MinTimeSeconds: the best average FLOP/s the model can reach on this device.</summary>
    public double AttainableFlops { get; init; }
    public double ComputeBoundTimeShare { get; init; }
    public int ComputeBoundNodes { get; init; }
    public int MemoryBoundNodes { get; init; }
}

/// <summary>A model's roofline on one device at one precision.</summary>
public sealed record RooflineReport
{
    public required string Hardware { get; init; }
    public required string Precision { get; init; }
    public double PeakFlops { get; init; }
    public double BandwidthBytesPerSecond { get; init; }

    /// <summary>peak / bandwidth, FLOP/byte.</summary>
    public double RidgePoint { get; init; }
    public required RooflineTotals Totals { get; init; }
    public required IReadOnlyList<RooflinePoint> Nodes { get; init; }
    public required string Convention { get; init; }
}

/// <summary>Places each node of a profile on a device's roofline (Williams, Waterman and Patterson, 2009).</summary>
public static class RooflineAnalyzer
{
    /// <summary>
    /// Roofline of <paramref name="profile"/> on <paramref name="hw"/> at <paramref name="precision"/>. Memory
    /// traffic is re-priced at the precision's width for floating-point tensors; integer tensors keep theirs.
    /// </summary>
    /// <exception cref="ArgumentException">The device quotes no peak at that precision.</exception>
    public static RooflineReport Analyze(ModelProfile profile, HardwareProfile hw, Precision precision)
    {
        var peak = hw.PeakFlops(precision)
            ?? throw new DynoInputException($"{hw.Name} has no {HardwareProfile.Key(precision)} peak (it quotes {string.Join(", ", hw.PeakTflops.Keys)})");
        var bw = hw.BandwidthBytesPerSecond;
        var ridge = peak / bw;
        var bits = HardwareProfile.Bits(precision);
        var pts = new List<RooflinePoint>(profile.Nodes.Count);
        double total = 0;
        foreach (var n in profile.Nodes)
        {
            var bytes = n.MemoryAccessBytesAt(bits);
            var intensity = bytes > 0 ? (double)n.Flops / bytes : n.Flops > 0 ? double.PositiveInfinity : 0;
            var time = Math.Max(n.Flops / peak, bytes / bw);
            total += time;
            pts.Add(new RooflinePoint
            {
                Index = n.Index, Name = n.Name, OpType = n.OpType, Flops = n.Flops, Bytes = bytes, ArithmeticIntensity = intensity,
                Bound = intensity >= ridge ? RooflineBound.Compute : RooflineBound.Memory, AttainableFlops = Math.Min(peak, bw * intensity), MinTimeSeconds = time,
            });
        }
        for (var i = 0; i < pts.Count; i++) pts[i] = pts[i] with { TimeShare = total > 0 ? pts[i].MinTimeSeconds / total : 0 };
        var flops = pts.Sum(p => p.Flops);
        var allBytes = pts.Sum(p => p.Bytes);
        return new RooflineReport
        {
            Hardware = hw.Name, Precision = HardwareProfile.Key(precision), PeakFlops = peak, BandwidthBytesPerSecond = bw, RidgePoint = ridge,
            Totals = new RooflineTotals
            {
                Flops = flops, Bytes = allBytes, ArithmeticIntensity = allBytes > 0 ? (double)flops / allBytes : 0, MinTimeSeconds = total,
                MaxInferencesPerSecond = total > 0 ? 1 / total : 0, AttainableFlops = total > 0 ? flops / total : 0,
                ComputeBoundTimeShare = pts.Where(p => p.Bound == RooflineBound.Compute).Sum(p => p.TimeShare),
                ComputeBoundNodes = pts.Count(p => p.Bound == RooflineBound.Compute && p.Flops > 0), MemoryBoundNodes = pts.Count(p => p.Bound == RooflineBound.Memory && (p.Flops > 0 || p.Bytes > 0)),
            },
            Nodes = pts,
            Convention = "per node: attainable = min(peak, bandwidth x intensity), time >= max(flops/peak, bytes/bandwidth); model time = sum over nodes (no overlap between nodes); floating-point tensors priced at the precision's width",
        };
    }
}
