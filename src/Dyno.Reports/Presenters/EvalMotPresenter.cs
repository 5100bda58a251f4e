using System.Globalization;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents an <c>eval-mot</c> result (<see cref="MotReport"/>): HOTA, CLEAR and Identity metrics per sequence and
/// combined, and with their options the video metrics and the temporal throughput; the report adds HOTA over α.
/// </summary>
public sealed class EvalMotPresenter : IResultPresenter<MotReport>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static EvalMotPresenter Instance { get; } = new();

    /// <summary>The columns a narrow terminal leaves out, first to last: HOTA, MOTA, IDF1 and IDSW always stay.</summary>
    public static IReadOnlyList<string> DropOrder { get; } = ["FN", "FP", "AssA", "DetA", "MOTP", "MOTP(d)", "LocA", "ML", "MT", "PT", "Frag", "IDR", "IDP"];

    /// <inheritdoc/>
    public string Kind => ResultKinds.EvalMot;

    private static int Drop(string header) => DropOrder.ToList().IndexOf(header) + 1;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(MotReport d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var m = d.Metrics;
        static string F(double v) => double.IsFinite(v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : "-";
        return
        [
            new("HOTA", F(m.Hota), "TrackEval, mean over α"), new("MOTA", F(m.Mota), "CLEAR"), new("IDF1", F(m.Idf1), "identity F1"),
            new("DetA", F(m.DetA), "detection accuracy"), new("AssA", F(m.AssA), "association accuracy"),
            new("IDSW", m.IDSW.ToString(CultureInfo.InvariantCulture), "identity switches"),
        ];
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(MotReport d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var motp = d.Conventions.Motp == "iou" ? "MOTP" : "MOTP(d)";
        Column<(string Name, MotMetricRow M)> C(string h, Func<MotMetricRow, string> cell) => new(h, x => cell(x.M), DropOrder: Drop(h));
        var tables = new List<ResultTable>
        {
            Present.Table("Multi-object tracking", d.PerSequence.Select(kv => (kv.Key, kv.Value)).Append(("COMBINED", d.Metrics)),
                Present.Name<(string Name, MotMetricRow M)>("Sequence", x => x.Name),
                C("HOTA", m => Fmt.Pct(m.Hota)), C("DetA", m => Fmt.Pct(m.DetA)), C("AssA", m => Fmt.Pct(m.AssA)), C("LocA", m => Fmt.Pct(m.LocA)),
                C("MOTA", m => Fmt.Pct(m.Mota)), C(motp, m => Fmt.Num(m.Motp, 3)), C("IDF1", m => Fmt.Pct(m.Idf1)), C("IDP", m => Fmt.Pct(m.Idp)),
                C("IDR", m => Fmt.Pct(m.Idr)), C("FP", m => Fmt.Int(m.FP)), C("FN", m => Fmt.Int(m.FN)), C("IDSW", m => Fmt.Int(m.IDSW)),
                C("Frag", m => Fmt.Int(m.Frag)), C("MT", m => Fmt.Int(m.MT)), C("PT", m => Fmt.Int(m.PT)), C("ML", m => Fmt.Int(m.ML))),
        };
        if (d.Video is { } v)
            tables.Add(Present.Table<(string Name, MotVideoRow M)>("Video metrics (on the CLEAR matching)", v.PerSequence.Select(kv => (kv.Key, kv.Value)).Append(("COMBINED", v.Metrics)),
                Present.Name<(string Name, MotVideoRow M)>("Sequence", x => x.Name),
                new("GT tracks", x => Fmt.Int(x.M.GtTracks)), new("Breaks", x => Fmt.Int(x.M.TrackBreaks)), new("Break rate", x => Fmt.Num(x.M.TrackBreakRate, 3)),
                new("Mean disp (px)", x => Fmt.Num(x.M.MeanDisplacementPx, 2)), new("Max disp (px)", x => Fmt.Num(x.M.MaxDisplacementPx, 2)),
                new("Mean disp / diag", x => Fmt.Num(x.M.MeanNormalizedDisplacement, 4)), new("Drift px/100f", x => Fmt.Num(x.M.DriftPxPer100Frames, 3)),
                new("Consecutive IoU", x => Fmt.Num(x.M.MeanConsecutiveIou, 4)), new("Flicker", x => Fmt.Pct(x.M.FlickerRate, 2))));
        if (d.Throughput is { } tp)
            tables.Add(Present.Table<(string Name, MotThroughputRow M)>("Temporal throughput (supplied timings)", tp.PerSequence.Select(kv => (kv.Key, kv.Value)).Append(("COMBINED", tp.Metrics)),
                Present.Name<(string Name, MotThroughputRow M)>("Sequence", x => x.Name),
                new("Frames", x => Fmt.Int(x.M.Frames)), new("Seconds", x => Fmt.Num(x.M.Seconds, 3)), new("FPS", x => Fmt.Num(x.M.Fps, 1)),
                new("ms/frame", x => Fmt.Num(x.M.SecondsPerFrame * 1000, 2))));
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(MotReport d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return [FormattableString.Invariant($"HOTA/DetA/AssA/LocA: TrackEval, mean over α = 0.05..0.95. CLEAR/Identity: {(d.Conventions.Clear == "motmetrics" ? "py-motmetrics MOTAccumulator" : "TrackEval")} at IoU ≥ {d.Conventions.IouThreshold}.")];
    }

    /// <inheritdoc/>
    public ReportSection Section(MotReport d, string? source, string id)
    {
        var s = Present.Section(this, d, $"Tracking: {source ?? "result"}", source);
        var alphas = d.Conventions.HotaAlphas.ToArray();
        var h = d.HotaPerAlpha;
        var series = new[] { ("HOTA", h.Hota), ("DetA", h.DetA), ("AssA", h.AssA), ("LocA", h.LocA) }
            .Where(x => x.Item2.Length == alphas.Length).Select(x => new Series(x.Item1, alphas, x.Item2)).ToList();
        if (alphas.Length > 0 && series.Count > 0)
            s.Figures.Add(new($"{id}-hota", "HOTA over α", ChartKit.Lines("HOTA, DetA, AssA and LocA by localization threshold α", series, "α (IoU threshold)", "score", markers: true, yMin: 0, yMax: 1),
                "TrackEval's HOTA family at each of the 19 α thresholds; the reported figures are their means."));
        return s;
    }
}
