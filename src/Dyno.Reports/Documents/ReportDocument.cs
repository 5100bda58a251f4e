namespace Dyno.Reports.Documents;

/// <summary>A headline number of a section: label, formatted value, and the unit or convention it is stated in.</summary>
public sealed record KeyFigure(string Label, string Value, string? Note = null);

/// <summary>A chart of a section as inline SVG, with a caption that says what is drawn and in which unit.</summary>
public sealed record ReportFigure(string Id, string Title, string Svg, string Caption);

/// <summary>One result (a profile, a benchmark, an evaluation) as it appears in a report.</summary>
public sealed class ReportSection
{
    public required string Title { get; init; }

    /// <summary>The kind of result: profile, bench, eval-det, eval-cls, eval-seg, eval-mot, fit, llm, compare, other.</summary>
    public required string Kind { get; init; }

    /// <summary>The file the result came from, if any.</summary>
    public string? Source { get; init; }
    public List<KeyFigure> KeyFigures { get; } = [];
    public List<ResultTable> Tables { get; } = [];
    public List<ReportFigure> Figures { get; } = [];
    public List<string> Notes { get; } = [];
}

/// <summary>A whole report: a title and its sections, rendered to HTML or Markdown.</summary>
public sealed class ReportDocument
{
    public required string Title { get; init; }
    public DateTimeOffset Generated { get; init; } = DateTimeOffset.UtcNow;
    public List<ReportSection> Sections { get; } = [];
    public List<string> Notes { get; } = [];
}
