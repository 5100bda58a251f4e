using System.Globalization;
using System.Text;

namespace Dyno.Reports;

/// <summary>Column alignment in a rendered table.</summary>
public enum ColumnAlign { Left, Right }

/// <summary>A column of a <see cref="ResultTable"/>: header text and alignment.</summary>
/// <param name="Header">The header text.</param>
/// <param name="Align">Right for numbers (never cut to fit a terminal), left for names (cut with an ellipsis when needed).</param>
/// <param name="DropOrder">0: always shown; above 0: may be left out on a narrow terminal, the highest first.</param>
/// <param name="Wrap">Prose or lists of figures: a narrow terminal wraps the cell at spaces (never inside a word) instead of cutting it.</param>
public sealed record ResultColumn(string Header, ColumnAlign Align = ColumnAlign.Left, int DropOrder = 0, bool Wrap = false);

/// <summary>
/// A titled table of already-formatted cells: the format-neutral shape that every command renders
/// as a terminal table, Markdown or CSV. JSON output never goes through it (JSON keeps raw numbers).
/// </summary>
public sealed record ResultTable(string Title, IReadOnlyList<ResultColumn> Columns, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>Optional lines printed under the table (conventions, caveats).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>What a terminal too narrow for this table shows instead (e.g. a confusion matrix as its top confusions).</summary>
    public ResultTable? WhenTooWide { get; init; }

    /// <summary>Renders the table as GitHub-flavoured Markdown.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        if (Title.Length > 0) sb.Append("### ").Append(Title).Append("\n\n");
        sb.Append('|');
        foreach (var c in Columns) sb.Append(' ').Append(EscapeMd(c.Header)).Append(" |");
        sb.Append("\n|");
        foreach (var c in Columns) sb.Append(c.Align == ColumnAlign.Right ? " ---: |" : " --- |");
        sb.Append('\n');
        foreach (var row in Rows)
        {
            sb.Append('|');
            foreach (var cell in row) sb.Append(' ').Append(EscapeMd(cell)).Append(" |");
            sb.Append('\n');
        }
        foreach (var n in Notes) sb.Append('\n').Append(n).Append('\n');
        return sb.ToString();
    }

    /// <summary>Renders the table as RFC 4180 CSV (header row first; title and notes omitted).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', Columns.Select(c => EscapeCsv(c.Header))).Append('\n');
        foreach (var row in Rows) sb.AppendJoin(',', row.Select(EscapeCsv)).Append('\n');
        return sb.ToString();
    }

    private static string EscapeMd(string s) => s.Replace("|", "\\|");

    private static string EscapeCsv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

/// <summary>Invariant-culture number formatting shared by all tables.</summary>
public static class Fmt
{
    /// <summary>An integer with thousands separators: 4,089,184,256.</summary>
    public static string Int(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A number with a metric suffix: 4.09 G.</summary>
    public static string Si(double v, string unit = "")
    {
        var a = Math.Abs(v);
        var (scale, prefix) = a >= 1e12 ? (1e12, "T") : a >= 1e9 ? (1e9, "G") : a >= 1e6 ? (1e6, "M") : a >= 1e3 ? (1e3, "k") : (1.0, "");
        return (v / scale).ToString(a >= 1e3 ? "0.00" : "0.##", CultureInfo.InvariantCulture) + " " + prefix + unit;
    }

    /// <summary>A byte count in binary units: 97.5 MiB.</summary>
    public static string Bytes(double v)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var i = 0;
        while (Math.Abs(v) >= 1024 && i < units.Length - 1) { v /= 1024; i++; }
        return v.ToString(i == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[i];
    }

    /// <summary>A fixed-point number.</summary>
    public static string Num(double v, int decimals = 3) =>
        double.IsFinite(v) ? v.ToString("F" + decimals, CultureInfo.InvariantCulture) : "-";

    /// <summary>A percentage of a fraction (0.123 → 12.3%).</summary>
    public static string Pct(double fraction, int decimals = 1) =>
        double.IsFinite(fraction) ? (fraction * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%" : "-";
}
