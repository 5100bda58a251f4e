using Dyno.Reports;

namespace Dyno.Cli.Infrastructure;

/// <summary>
/// Fits a <see cref="ResultTable"/> to a terminal width without splitting a number or a name across lines: first
/// its <see cref="ResultTable.WhenTooWide"/> alternative, then columns with a <see cref="ResultColumn.DropOrder"/> are
/// left out (highest first), then <see cref="ResultColumn.Wrap"/> columns are narrowed (the terminal wraps them at
/// spaces, never inside a word) and other left-aligned (name) columns are cut with an ellipsis, and as a last resort
/// the rightmost columns are left out. Everything left out is said in the returned note. Right-aligned (number)
/// columns are never narrowed.
/// </summary>
internal static class TableFitter
{
    /// <summary>Narrowest a name column is cut to (with its ellipsis).</summary>
    public const int MinNameWidth = 8;

    /// <summary>The width of a rounded Spectre table with these column widths (padding 1 each side, one border between).</summary>
    public static int RenderedWidth(IEnumerable<int> columnWidths)
    {
        var n = 0;
        var sum = 0;
        foreach (var w in columnWidths) { sum += w; n++; }
        return sum + 3 * n + 1;
    }

    /// <summary>The table as it fits in <paramref name="width"/> columns, and a note saying what was changed (null when nothing).</summary>
    public static (ResultTable Table, string? Note) Fit(ResultTable table, int width) => Fit(table, width, out _);

    /// <summary>As <see cref="Fit(ResultTable, int)"/>; <paramref name="widths"/> gets the width of each kept column (wrapped columns need it).</summary>
    public static (ResultTable Table, string? Note) Fit(ResultTable table, int width, out IReadOnlyList<int> widths)
    {
        widths = Enumerable.Range(0, table.Columns.Count).Select(i => Natural(table, i)).ToList();
        if (Width(table) <= width) return (table, null);
        if (table.WhenTooWide is { } alt) return Fit(alt, width, out widths);
        var (fitted, note, w) = Shrink(table, width);
        widths = w;
        return (fitted, note);
    }

    private static (ResultTable, string?, IReadOnlyList<int>) Shrink(ResultTable table, int width)
    {
        var keep = Enumerable.Range(0, table.Columns.Count).ToList();
        var dropped = new List<string>();
        foreach (var c in keep.Where(i => table.Columns[i].DropOrder > 0).OrderByDescending(i => table.Columns[i].DropOrder).ThenByDescending(i => i).ToList())
        {
            if (RenderedWidth(keep.Select(i => Natural(table, i))) <= width) break;
            keep.Remove(c);
            dropped.Add(table.Columns[c].Header);
        }
        var widths = keep.ToDictionary(i => i, i => Natural(table, i));
        // cut name columns, the widest first, one character at a time
        while (RenderedWidth(widths.Values) > width)
        {
            var names = widths.Where(kv => table.Columns[kv.Key].Align == ColumnAlign.Left && kv.Value > Floor(table, kv.Key)).ToList();
            if (names.Count == 0) break;
            // wrapped (prose) columns give way first, then the widest name column
            var widest = (names.Any(kv => table.Columns[kv.Key].Wrap) ? names.Where(kv => table.Columns[kv.Key].Wrap) : names).MaxBy(kv => kv.Value).Key;
            widths[widest]--;
        }
        // last resort: leave out the rightmost columns (never the first)
        while (RenderedWidth(widths.Values) > width && keep.Count > 1)
        {
            var last = keep[^1];
            keep.RemoveAt(keep.Count - 1);
            widths.Remove(last);
            dropped.Add(table.Columns[last].Header);
        }
        var cut = widths.Any(kv => !table.Columns[kv.Key].Wrap && kv.Value < Natural(table, kv.Key));
        var fitted = new ResultTable(table.Title, keep.Select(i => table.Columns[i]).ToList(),
            table.Rows.Select(r => (IReadOnlyList<string>)keep.Select(i => table.Columns[i].Wrap ? (i < r.Count ? r[i] : "") : Cut(i < r.Count ? r[i] : "", widths[i])).ToList()).ToList())
        { Notes = table.Notes };
        var parts = new List<string>();
        if (dropped.Count > 0) parts.Add($"column{(dropped.Count == 1 ? "" : "s")} {string.Join(", ", dropped.Select(d => $"'{d}'"))} left out");
        if (cut) parts.Add("long names cut with …");
        var note = parts.Count == 0 ? null : $"({string.Join("; ", parts)} to fit {width} columns; --format csv, json or md have everything)";
        return (fitted, note, keep.Select(i => widths[i]).ToList());
    }

    /// <summary>Narrowest a left-aligned column may become: its header, and for a wrapped column its longest word.</summary>
    private static int Floor(ResultTable t, int column)
    {
        var c = t.Columns[column];
        var floor = Math.Max(MinNameWidth, c.Header.Length);
        if (c.Wrap)
            foreach (var r in t.Rows)
                if (column < r.Count)
                    foreach (var word in r[column].Split(' ')) floor = Math.Max(floor, word.Length);
        return floor;
    }

    private static int Width(ResultTable t) => RenderedWidth(Enumerable.Range(0, t.Columns.Count).Select(i => Natural(t, i)));

    private static int Natural(ResultTable t, int column)
    {
        var w = t.Columns[column].Header.Length;
        foreach (var r in t.Rows) if (column < r.Count) w = Math.Max(w, r[column].Length);
        return w;
    }

    private static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";
}
