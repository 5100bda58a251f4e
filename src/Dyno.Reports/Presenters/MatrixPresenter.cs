using System.Globalization;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;
using Dyno.Runtime.Matrix;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents a <c>matrix</c> result (<see cref="MatrixResult"/>): the rows side by side (cost, accuracy, latency, throughput,
/// against the baseline, the Pareto front); the report adds accuracy against latency with the Pareto front.
/// </summary>
public sealed class MatrixPresenter : IResultPresenter<MatrixResult>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static MatrixPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.Matrix;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(MatrixResult m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var key = m.AccuracyKey;
        var figures = new List<KeyFigure>
        {
            new("Rows", m.Rows.Count.ToString(CultureInfo.InvariantCulture), $"baseline {m.Baseline}"),
            new("Pareto front", string.Join(", ", m.Rows.Where(r => r.Pareto).Select(r => r.Name)), $"{key} vs p50 latency"),
        };
        if (m.Rows.Where(r => Accuracy(r, key) is not null).MaxBy(r => Accuracy(r, key)!.Value) is { } best)
            figures.Add(new($"Best {key}", Accuracy(best, key)!.Value.ToString("0.####", CultureInfo.InvariantCulture), best.Name));
        if (m.Rows.MinBy(r => r.LatencyMs.P50) is { } fastest)
            figures.Add(new("Fastest p50", fastest.LatencyMs.P50.ToString("0.000", CultureInfo.InvariantCulture) + " ms", fastest.Name));
        return figures;
    }

    private static double? Accuracy(MatrixRow r, string key) => r.Accuracy.GetValueOrDefault(key) is { } v && double.IsFinite(v) ? v : null;

    private static string Acc(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(MatrixResult m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var keys = m.Rows.SelectMany(r => r.Accuracy.Keys).Distinct().ToList();
        List<ResultColumn> cols =
        [
            new("row"), new("variant"), new("file", ColumnAlign.Right), new("params", ColumnAlign.Right), new("MACs", ColumnAlign.Right),
            new("peak act.", ColumnAlign.Right), .. keys.Select(k => new ResultColumn(k, ColumnAlign.Right)),
            new("p50 ms [95% CI]", ColumnAlign.Right), new("p99 ms", ColumnAlign.Right), new("best /s", ColumnAlign.Right), new("RSS", ColumnAlign.Right),
            new($"{m.AccuracyKey} ratio", ColumnAlign.Right), new("speed-up", ColumnAlign.Right), new("pareto"),
        ];
        var rows = m.Rows.Select(r => (IReadOnlyList<string>)
        [
            r.Name + (r.Name == m.Baseline ? " (baseline)" : ""), r.Variant, Fmt.Bytes(r.FileBytes), Fmt.Si(r.Params), Fmt.Si(r.DenseMacs),
            r.PeakActivationBytes is { } pa ? Fmt.Bytes(pa) : "-", .. keys.Select(k => Acc(r.Accuracy.GetValueOrDefault(k))),
            $"{r.LatencyMs.P50:0.000} [{r.LatencyMs.P50Lower:0.000}, {r.LatencyMs.P50Upper:0.000}]", r.LatencyMs.P99.ToString("0.000", CultureInfo.InvariantCulture),
            $"{r.ThroughputPerS:0.0} (b{r.BestBatch})", Fmt.Bytes(r.PeakRssBytes),
            r.VsBaseline?.AccuracyRatio is { } ar ? ar.ToString("0.0000", CultureInfo.InvariantCulture) : "-",
            r.VsBaseline?.Speedup is { } sp ? sp.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-",
            r.Pareto ? "*" : "",
        ]).ToList();
        return [new ResultTable($"Variant matrix: {m.Task} on {Path.GetFileName(m.Data)}", cols, rows)];
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(MatrixResult m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return m.Conventions;
    }

    /// <inheritdoc/>
    public ReportSection Section(MatrixResult m, string? source, string id)
    {
        ArgumentNullException.ThrowIfNull(m);
        var key = m.AccuracyKey;
        var s = Present.Section(this, m, $"Variant matrix: {m.Task} on {Path.GetFileName(m.Data)}", source);
        var pts = m.Rows.Where(r => Accuracy(r, key) is not null).Select(r => (r.Name, r.LatencyMs.P50, Accuracy(r, key)!.Value)).ToList();
        if (pts.Count > 0)
            s.Figures.Add(new($"{id}-pareto", $"{key} against latency", ChartKit.Pareto($"{key} vs p50 latency", pts, "p50 latency, ms (lower is better)", $"{key} (higher is better)"),
                "Each point is a row; the step line joins the rows that no other row beats on both accuracy and latency."));
        return s;
    }
}
