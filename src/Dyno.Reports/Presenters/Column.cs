namespace Dyno.Reports.Presenters;

/// <summary>
/// A typed column of a presenter's table: what it shows of each row, its unit, and how it gives way on a narrow terminal.
/// </summary>
/// <typeparam name="TRow">The row type (a node, a category, a throughput point...).</typeparam>
/// <param name="Name">The quantity (<c>p50</c>, <c>FLOPs</c>).</param>
/// <param name="Cell">The formatted cell of a row.</param>
/// <param name="Unit">The unit, appended to the header (<c>p50 ms</c>); null when the name says it or it has none.</param>
/// <param name="Align">Right for numbers (never cut), left for names (cut with an ellipsis when needed).</param>
/// <param name="DropOrder">0: always shown; above 0: may be left out on a narrow terminal, the highest first.</param>
/// <param name="Wrap">Prose: a narrow terminal wraps it at spaces instead of cutting it.</param>
public sealed record Column<TRow>(string Name, Func<TRow, string> Cell, string? Unit = null, ColumnAlign Align = ColumnAlign.Right, int DropOrder = 0, bool Wrap = false)
{
    /// <summary>The header: the name, then the unit.</summary>
    public string Header => Unit is null ? Name : $"{Name} {Unit}";
}

/// <summary>Builders of presenter tables.</summary>
public static class Present
{
    /// <summary>A left-aligned (name) column.</summary>
    public static Column<TRow> Name<TRow>(string name, Func<TRow, string> cell, int dropOrder = 0) => new(name, cell, Align: ColumnAlign.Left, DropOrder: dropOrder);

    /// <summary>The table of <paramref name="rows"/> in <paramref name="columns"/>, as formatted cells.</summary>
    public static ResultTable Table<TRow>(string title, IEnumerable<TRow> rows, params IReadOnlyList<Column<TRow>> columns) =>
        new(title, columns.Select(c => new ResultColumn(c.Header, c.Align, c.DropOrder, c.Wrap)).ToList(),
            rows.Select(r => (IReadOnlyList<string>)columns.Select(c => c.Cell(r)).ToList()).ToList());

    /// <summary>A two-column quantity/value table (the console's run and model summaries).</summary>
    public static ResultTable Quantities(string title, IEnumerable<(string Quantity, string Value)> rows, bool wrap = false, ColumnAlign align = ColumnAlign.Left) =>
        new(title, [new ResultColumn("Quantity"), new ResultColumn("Value", align, Wrap: wrap)], rows.Select(r => (IReadOnlyList<string>)[r.Quantity, r.Value]).ToList());

    /// <summary>A section with the presenter's headline, tables and notes (charts are added by the presenter).</summary>
    public static Documents.ReportSection Section<TDocument>(IResultPresenter<TDocument> presenter, TDocument document, string title, string? source)
    {
        var s = new Documents.ReportSection { Title = title, Kind = presenter.Kind, Source = source };
        s.KeyFigures.AddRange(presenter.Headline(document));
        s.Tables.AddRange(presenter.Tables(document));
        s.Notes.AddRange(presenter.Notes(document));
        return s;
    }
}
