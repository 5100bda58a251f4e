using System.CommandLine;
using System.Text;
using System.Text.Json;
using Dyno.Reports;
using Dyno.Reports.Presenters;
using Dyno.Results;
using Spectre.Console;

namespace Dyno.Cli.Infrastructure;

/// <summary>Output formats every result command supports.</summary>
internal enum OutputFormat { Table, Json, Md, Csv }

/// <summary>
/// What a command produced: the typed result (serialized as a <see cref="ResultDocument"/> of <see cref="Kind"/>, its
/// public contract) and the display tables of the table and Markdown formats. <c>--format csv</c> writes the tidy
/// tables of the document (<see cref="TidyTables"/>). Commands build one of these and never write stdout themselves.
/// </summary>
internal sealed class CommandOutput
{
    /// <summary>Width of piped (non-terminal) table output unless <c>COLUMNS</c> says otherwise.</summary>
    public const int PipedWidth = 120;

    public CommandOutput(string kind, object json, IReadOnlyList<ResultTable> tables, IReadOnlyList<string>? notes = null)
    {
        Kind = kind;
        Json = json;
        Tables = tables;
        Notes = CliFlags.Phrase(notes ?? []); // the libraries name API parameters; the user reads flags
    }

    /// <summary>The output of <paramref name="document"/> as <paramref name="presenter"/> presents it: its kind, tables and notes.</summary>
    public static CommandOutput Of<TDocument>(IResultPresenter<TDocument> presenter, TDocument document, IEnumerable<string>? extraNotes = null) where TDocument : notnull =>
        new(presenter.Kind, document, presenter.Tables(document), [.. presenter.Notes(document), .. extraNotes ?? []]);

    /// <summary>The result kind (<see cref="ResultKinds"/>).</summary>
    public string Kind { get; }

    /// <summary>The typed result, serialized with <see cref="DynoJson.Options"/> after <c>kind</c> and <c>schema</c>.</summary>
    public object Json { get; }

    /// <summary>The display tables (formatted cells) of the table and Markdown formats.</summary>
    public IReadOnlyList<ResultTable> Tables { get; }

    /// <summary>Lines printed after the tables in table and Markdown formats (conventions, caveats).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The versioned document written by <c>--format json</c>.</summary>
    public ResultDocument Document => new(Kind, Json);

    /// <summary>The tidy tables of <c>--format csv</c>, the main one first.</summary>
    public IReadOnlyList<TidyTable> DataTables() => TidyTables.Of(Kind, JsonSerializer.SerializeToElement(Document, DynoJson.Options));

    /// <summary>Renders the output in a text format (everything except the interactive terminal table).</summary>
    /// <param name="format">The format.</param>
    /// <param name="table">csv only: the tidy table to write (null = the main one).</param>
    /// <exception cref="UsageException"><paramref name="table"/> is not one of the result's tables.</exception>
    public string Render(OutputFormat format, string? table = null)
    {
        switch (format)
        {
            case OutputFormat.Json:
                return Document.ToJson() + "\n";
            case OutputFormat.Md:
            {
                var sb = new StringBuilder();
                foreach (var t in Tables) sb.Append(t.ToMarkdown()).Append('\n');
                foreach (var n in Notes) sb.Append("> ").Append(n).Append('\n');
                return sb.ToString();
            }
            case OutputFormat.Csv:
                return SelectTable(DataTables(), table).ToCsv();
            default:
                return RenderPlainTables(PlainWidth());
        }
    }

    /// <summary>The table <paramref name="name"/> of <paramref name="tables"/>, or the first; a bad name lists the others.</summary>
    public static TidyTable SelectTable(IReadOnlyList<TidyTable> tables, string? name)
    {
        if (name is null) return tables[0];
        return tables.FirstOrDefault(t => t.Name == name)
            ?? throw new UsageException($"--table: this result has no table '{name}'; its tables are {string.Join(", ", tables.Select(t => t.Name))}");
    }

    /// <summary>The width of piped table output: <c>COLUMNS</c> when it is a number from 40 to 1000, else <see cref="PipedWidth"/>.</summary>
    public static int PlainWidth() =>
        int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c) && c is >= 40 and <= 1000 ? c : PipedWidth;

    /// <summary>The tables as plain text (no colour, no ANSI) fitted to <paramref name="width"/> columns.</summary>
    public string RenderPlainTables(int width)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        WriteTables(console);
        return writer.ToString();
    }

    /// <summary>Writes the tables to a Spectre console, each fitted to the console's width (<see cref="TableFitter"/>).</summary>
    public void WriteTables(IAnsiConsole console)
    {
        var width = console.Profile.Width;
        foreach (var original in Tables)
        {
            var (t, note) = TableFitter.Fit(original, width, out var widths);
            var table = new Table().Border(TableBorder.Rounded);
            if (t.Title.Length > 0) table.Title($"[bold]{Markup.Escape(t.Title)}[/]");
            for (var i = 0; i < t.Columns.Count; i++)
            {
                var c = t.Columns[i];
                var col = new Spectre.Console.TableColumn(Markup.Escape(c.Header));
                if (c.Wrap) col.Width(widths[i]);
                else col.NoWrap();
                if (c.Align == ColumnAlign.Right) col.RightAligned();
                table.AddColumn(col);
            }
            foreach (var row in t.Rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            console.Write(table);
            if (note is not null) console.MarkupLine("[grey]" + Markup.Escape(note) + "[/]");
            foreach (var n in t.Notes) console.MarkupLine("[grey]" + Markup.Escape(n) + "[/]");
        }
        foreach (var n in Notes) console.MarkupLine("[grey]" + Markup.Escape(n) + "[/]");
    }
}

/// <summary>The options every result command shares: <c>--format</c>, <c>--table</c>, <c>--out</c>, <c>--quiet</c>.</summary>
internal sealed class CommonOptions
{
    /// <summary><c>--format</c>; unset means table (the default is stated once, in the description).</summary>
    public Option<OutputFormat?> Format { get; } = new("--format", "-f")
    {
        Description = "Output format (default table): json prints only the JSON document on stdout; csv one tidy table (see --table).",
        HelpName = "table|json|md|csv",
    };

    /// <summary>The requested format (table when unset).</summary>
    public OutputFormat FormatOf(ParseResult parse) => parse.GetValue(Format) ?? OutputFormat.Table;

    public Option<string?> Table { get; } = new("--table")
    {
        Description = "With --format csv: which table to write (default: the main one; a wrong name lists them).",
    };

    public Option<FileInfo?> Out { get; } = new("--out", "-o")
    {
        Description = "Write the output to this file (atomically: temp file, then rename) instead of stdout.",
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "No progress or informational messages on stderr.",
    };

    /// <summary>Adds the shared options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(Table);
        command.Options.Add(Out);
        command.Options.Add(Quiet);
    }

    /// <summary>Prints or writes <paramref name="output"/> in the format the user asked for.</summary>
    public void Emit(ParseResult parse, CommandOutput output)
    {
        var format = FormatOf(parse);
        var file = parse.GetValue(Out);
        if (file is not null)
        {
            AtomicFile.WriteAllText(file.FullName, output.Render(format, TableName(parse, format)));
            if (!parse.GetValue(Quiet)) Console.Error.WriteLine($"dyno: wrote {file.FullName}");
            return;
        }
        EmitToStdout(parse, output);
    }

    /// <summary>Prints <paramref name="output"/> on stdout in the requested format, ignoring <c>--out</c>.</summary>
    public void EmitToStdout(ParseResult parse, CommandOutput output)
    {
        var format = FormatOf(parse);
        if (format == OutputFormat.Table && !Console.IsOutputRedirected)
        {
            output.WriteTables(AnsiConsole.Console);
            return;
        }
        var text = output.Render(format, TableName(parse, format));
        var stdout = Console.Out;
        stdout.Write(text);
        stdout.Flush();
    }

    private string? TableName(ParseResult parse, OutputFormat format)
    {
        var name = parse.GetValue(Table);
        if (name is not null && format != OutputFormat.Csv) throw new UsageException("--table selects a table of --format csv");
        return name;
    }
}
