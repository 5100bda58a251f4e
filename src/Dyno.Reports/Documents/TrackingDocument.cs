using System.Text.Json.Serialization;

namespace Dyno.Reports.Documents;

/// <summary>
/// The <c>eval-mot</c> result document (schema 1, docs/tracking.md): what <c>dyno eval mot</c> writes.
/// <c>Dyno.Reports.Presenters.EvalMotPresenter</c> presents it.
/// </summary>
public sealed class MotReport
{
    /// <summary>The ground-truth folder or file.</summary>
    public required string Gt { get; init; }

    /// <summary>The tracker output folder or file.</summary>
    public required string Pred { get; init; }

    /// <summary>How the numbers were computed (CLEAR convention, MOTP unit, IoU threshold, preprocessing, HOTA's α).</summary>
    public required MotConventions Conventions { get; init; }
    /// <summary>All sequences combined.</summary>
    public required MotMetricRow Metrics { get; init; }

    /// <summary>Each sequence's metrics, by sequence name.</summary>
    public required IReadOnlyDictionary<string, MotMetricRow> PerSequence { get; init; }
    /// <summary>Combined HOTA components at each α.</summary>
    public required HotaAlphaCurves HotaPerAlpha { get; init; }
    /// <summary>Present with --video.</summary>
    public MotVideoReport? Video { get; init; }
    /// <summary>Present with --timings.</summary>
    public MotThroughputReport? Throughput { get; init; }
}

/// <summary>Video metrics, combined and per sequence.</summary>
public sealed record MotVideoReport(MotVideoRow Metrics, IReadOnlyDictionary<string, MotVideoRow> PerSequence);

/// <summary>Video metrics of one sequence or of all combined (see docs/tracking.md).</summary>
public sealed record MotVideoRow(int GtTracks, int TrackBreaks, double TrackBreakRate, int MatchedPairs, double MeanDisplacementPx,
    double MaxDisplacementPx, double MeanNormalizedDisplacement, [property: JsonPropertyName("drift_px_per_100_frames")] double DriftPxPer100Frames, int ConsecutivePairs, double MeanConsecutiveIou, double FlickerRate);

/// <summary>Temporal throughput from user-supplied timings.</summary>
public sealed record MotThroughputReport(MotThroughputRow Metrics, IReadOnlyDictionary<string, MotThroughputRow> PerSequence);

/// <summary>Frames, seconds, frames per second and seconds per frame.</summary>
public sealed record MotThroughputRow(int Frames, double Seconds, double Fps, double SecondsPerFrame);

/// <summary>How the numbers were computed.</summary>
public sealed record MotConventions(string Clear, string Motp, double IouThreshold, string[] Preprocess, double MinVisibility, IReadOnlyList<double> HotaAlphas);

/// <summary>HOTA components per α.</summary>
public sealed record HotaAlphaCurves(
    [property: JsonPropertyName("HOTA")] double[] Hota, [property: JsonPropertyName("DetA")] double[] DetA,
    [property: JsonPropertyName("AssA")] double[] AssA, [property: JsonPropertyName("LocA")] double[] LocA,
    [property: JsonPropertyName("DetRe")] double[] DetRe, [property: JsonPropertyName("DetPr")] double[] DetPr,
    [property: JsonPropertyName("AssRe")] double[] AssRe, [property: JsonPropertyName("AssPr")] double[] AssPr);

/// <summary>The metric keys of the contract (see docs/tracking.md).</summary>
public sealed record MotMetricRow
{
    [JsonPropertyName("MOTA")] public double Mota { get; init; }
    [JsonPropertyName("MOTP")] public double Motp { get; init; }
    [JsonPropertyName("IDF1")] public double Idf1 { get; init; }
    [JsonPropertyName("IDP")] public double Idp { get; init; }
    [JsonPropertyName("IDR")] public double Idr { get; init; }
    [JsonPropertyName("HOTA")] public double Hota { get; init; }
    [JsonPropertyName("DetA")] public double DetA { get; init; }
    [JsonPropertyName("AssA")] public double AssA { get; init; }
    [JsonPropertyName("LocA")] public double LocA { get; init; }
    [JsonPropertyName("DetRe")] public double DetRe { get; init; }
    [JsonPropertyName("DetPr")] public double DetPr { get; init; }
    [JsonPropertyName("AssRe")] public double AssRe { get; init; }
    [JsonPropertyName("AssPr")] public double AssPr { get; init; }
    [JsonPropertyName("MODA")] public double Moda { get; init; }
    [JsonPropertyName("Recall")] public double Recall { get; init; }
    [JsonPropertyName("Precision")] public double Precision { get; init; }
    [JsonPropertyName("TP")] public int TP { get; init; }
    [JsonPropertyName("FP")] public int FP { get; init; }
    [JsonPropertyName("FN")] public int FN { get; init; }
    [JsonPropertyName("IDSW")] public int IDSW { get; init; }
    [JsonPropertyName("Frag")] public int Frag { get; init; }
    [JsonPropertyName("MT")] public int MT { get; init; }
    [JsonPropertyName("PT")] public int PT { get; init; }
    [JsonPropertyName("ML")] public int ML { get; init; }
    [JsonPropertyName("IDTP")] public int IDTP { get; init; }
    [JsonPropertyName("IDFP")] public int IDFP { get; init; }
    [JsonPropertyName("IDFN")] public int IDFN { get; init; }
    [JsonPropertyName("Frames")] public int Frames { get; init; }
    [JsonPropertyName("GT_IDs")] public int GtIds { get; init; }
    [JsonPropertyName("Pred_IDs")] public int PredIds { get; init; }
    [JsonPropertyName("GT_Dets")] public int GtDets { get; init; }
    [JsonPropertyName("Pred_Dets")] public int PredDets { get; init; }
}
