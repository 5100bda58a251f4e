using System.Globalization;
using Dyno.Reports.Documents;
using Dyno.Reports.Sections;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents a <c>compare</c> result (<see cref="Comparison"/>): every compared figure in each file with its change
/// against the baseline, and the regression rules. (The Pareto chart of <c>--x</c>/<c>--y</c> is drawn by the command,
/// from the compared files: it is not part of the document.)
/// </summary>
public sealed class ComparePresenter : IResultPresenter<Comparison>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static ComparePresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.Compare;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(Comparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var failed = c.Rules.Count(x => x.Failed);
        var figures = new List<KeyFigure> { new("Baseline", c.Baseline, $"{c.Files.Count} files; kinds {string.Join(", ", c.Kinds.Distinct())}") };
        if (c.Rules.Count > 0) figures.Add(new("Regression rules", failed == 0 ? "all pass" : $"{failed} of {c.Rules.Count} failed", "--fail-if, each file against the baseline"));
        figures.Add(new("Compared figures", c.Rows.Count.ToString(CultureInfo.InvariantCulture), "keys present in at least two files"));
        return figures;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(Comparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var table = new ResultTable($"Compared with {c.Baseline}",
            [new ResultColumn("Key"), .. c.Files.Select((f, i) => new ResultColumn(i == 0 ? f + " (baseline)" : f, ColumnAlign.Right))],
            c.Rows.Select(r => (IReadOnlyList<string>)[r.Key, .. r.Values.Select((v, i) => Cell(v, i == 0 ? null : r.RelativeDelta[i], i == 0 ? null : r.Delta[i]))]).ToList())
        { Notes = ["Cells of later files show value (change vs baseline, relative change)."] };
        var tables = new List<ResultTable> { table };
        if (c.Rules.Count > 0)
            tables.Add(Present.Table("Regression rules", c.Rules,
                Present.Name<RuleResult>("Rule", r => r.Rule), Present.Name<RuleResult>("File", r => r.File),
                Present.Name<RuleResult>("Result", r => r.Failed ? "FAIL" : "ok"), Present.Name<RuleResult>("Detail", r => r.Explanation)));
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(Comparison document) => [];

    /// <inheritdoc/>
    public ReportSection Section(Comparison c, string? source, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        return Present.Section(this, c, $"Comparison: {string.Join(" vs ", c.Files)}", source);
    }

    /// <summary>A compared value, and for a later file its change: <c>12.5 (+0.5, +4.2%)</c>.</summary>
    public static string Cell(double? v, double? rel, double? delta)
    {
        if (v is null) return "-";
        var s = Number(v.Value);
        if (delta is null) return s;
        var r = rel is null ? "" : ", " + (rel.Value * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%";
        return $"{s} ({(delta.Value >= 0 ? "+" : "")}{Number(delta.Value)}{r})";
    }

    private static string Number(double v) => Math.Abs(v) >= 1e6 || (v != 0 && Math.Abs(v) < 1e-3)
        ? v.ToString("G4", CultureInfo.InvariantCulture)
        : v.ToString("0.####", CultureInfo.InvariantCulture);
}
