using Dyno.Reports.Documents;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents one typed result document (in the spirit of BenchmarkDotNet's <c>IExporter</c>/<c>IColumn</c>): its headline
/// figures, its tables as typed columns, and its report section (figures, charts, tables, notes). Every output format is
/// one generic renderer over what a presenter yields: the CLI's console table (fitted to the terminal by the column
/// priorities), Markdown (<see cref="ResultTable.ToMarkdown"/>), HTML (<see cref="HtmlReportWriter"/> over the section)
/// and Markdown reports; CSV is the document's tidy tables (<c>Dyno.Results.TidyTables</c>), read from the same document.
/// </summary>
/// <typeparam name="TDocument">The typed document of the kind (the payload its command writes).</typeparam>
public interface IResultPresenter<in TDocument>
{
    /// <summary>The result kind presented (<c>Dyno.Results.ResultKinds</c>).</summary>
    string Kind { get; }

    /// <summary>The few figures a reader looks for first, with the unit or convention each is stated in.</summary>
    IReadOnlyList<KeyFigure> Headline(TDocument document);

    /// <summary>The tables of the console and Markdown views, the main one first.</summary>
    IReadOnlyList<ResultTable> Tables(TDocument document);

    /// <summary>Lines printed after the tables (conventions, caveats).</summary>
    IReadOnlyList<string> Notes(TDocument document);

    /// <summary>The report section: <see cref="Headline"/>, charts, tables and notes.</summary>
    /// <param name="document">The document.</param>
    /// <param name="source">The file it came from (shown in the section), if any.</param>
    /// <param name="id">A prefix unique in the report for the section's chart ids.</param>
    ReportSection Section(TDocument document, string? source, string id);
}
