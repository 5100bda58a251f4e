using System.CommandLine;
using System.Text;
using Dyno.Reports;
using Spectre.Console;

namespace Dyno.Cli.Infrastructure;

/// <summary>Output formats every result command supports.</summary>
public enum OutputFormat { Table, Json, Md, Csv }

/// <summary>
/// What a command produced: the JSON document (its public contract) and the tables that the
/// table, Markdown and CSV formats show. Commands build one of these and never write stdout themselves.
/// </summary>
public sealed class CommandOutput
{
    public CommandOutput(object json, IReadOnlyList<ResultTable> tables, IReadOnlyList<string>? notes = null)
    {
        Json = json;
        Tables = tables;
        Notes = notes ?? [];
    }

    /// <summary>The object serialized with <see cref="DynoJson.Options"/> for <c>--format json</c>.</summary>
    public object Json { get; }

    public IReadOnlyList<ResultTable> Tables { get; }

    /// <summary>Lines printed after the tables in table and Markdown formats (conventions, caveats).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Renders the output in a text format (everything except the interactive terminal table).</summary>
    public string Render(OutputFormat format)
    {
        switch (format)
        {
            case OutputFormat.Json:
                return DynoJson.Serialize(Json) + "\n";
            case OutputFormat.Md:
            {
                var sb = new StringBuilder();
                foreach (var t in Tables) sb.Append(t.ToMarkdown()).Append('\n');
                foreach (var n in Notes) sb.Append("> ").Append(n).Append('\n');
                return sb.ToString();
            }
            case OutputFormat.Csv:
            {
                var sb = new StringBuilder();
                for (var i = 0; i < Tables.Count; i++)
                {
                    if (i > 0) sb.Append('\n');
                    if (Tables.Count > 1) sb.Append("# ").Append(Tables[i].Title).Append('\n');
                    sb.Append(Tables[i].ToCsv());
                }
                return sb.ToString();
            }
            default:
                return RenderPlainTables();
        }
    }

    private string RenderPlainTables()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        WriteTables(console);
        return writer.ToString();
    }

    /// <summary>Writes the tables to a Spectre console (the terminal view).</summary>
    public void WriteTables(IAnsiConsole console)
    {
        foreach (var t in Tables)
        {
            var table = new Table().Border(TableBorder.Rounded);
            if (t.Title.Length > 0) table.Title($"[bold]{Markup.Escape(t.Title)}[/]");
            foreach (var c in t.Columns)
            {
                var col = new Spectre.Console.TableColumn(Markup.Escape(c.Header));
                if (c.Align == ColumnAlign.Right) col.RightAligned();
                table.AddColumn(col);
            }
            foreach (var row in t.Rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            console.Write(table);
            foreach (var n in t.Notes) console.MarkupLine("[grey]" + Markup.Escape(n) + "[/]");
        }
        foreach (var n in Notes) console.MarkupLine("[grey]" + Markup.Escape(n) + "[/]");
    }
}

/// <summary>The options every result command shares: <c>--format</c>, <c>--out</c>, <c>--quiet</c>.</summary>
public sealed class CommonOptions
{
    public Option<OutputFormat> Format { get; } = new("--format", "-f")
    {
        Description = "Output format: table, json, md or csv. json prints only the JSON document on stdout.",
        DefaultValueFactory = _ => OutputFormat.Table,
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
        command.Options.Add(Out);
        command.Options.Add(Quiet);
    }

    /// <summary>Prints or writes <paramref name="output"/> in the format the user asked for.</summary>
    public void Emit(ParseResult parse, CommandOutput output)
    {
        var format = parse.GetValue(Format);
        var file = parse.GetValue(Out);
        if (file is not null)
        {
            AtomicFile.WriteAllText(file.FullName, output.Render(format));
            if (!parse.GetValue(Quiet)) Console.Error.WriteLine($"dyno: wrote {file.FullName}");
            return;
        }
        EmitToStdout(parse, output);
    }

    /// <summary>Prints <paramref name="output"/> on stdout in the requested format, ignoring <c>--out</c>.</summary>
    public void EmitToStdout(ParseResult parse, CommandOutput output)
    {
        var format = parse.GetValue(Format);
        if (format == OutputFormat.Table && !Console.IsOutputRedirected)
        {
            output.WriteTables(AnsiConsole.Console);
            return;
        }
        var text = output.Render(format);
        var stdout = Console.Out;
        stdout.Write(text);
        stdout.Flush();
    }
}
