using System.Globalization;

namespace Dyno.Reports;

/// <summary>A confusion matrix too large for a table, shown as its largest off-diagonal cells.</summary>
public static class ConfusionList
{
    /// <summary>How many confusions the list shows.</summary>
    public const int Top = 25;

    /// <summary>
    /// The <see cref="Top"/> largest off-diagonal cells of <paramref name="counts"/> (rows × columns, labelled by
    /// <paramref name="rowLabels"/> and <paramref name="columnLabels"/>), largest first, ties in row-major order.
    /// </summary>
    public static ResultTable Build(string title, string rowHeader, string columnHeader, IReadOnlyList<string> rowLabels,
        IReadOnlyList<string> columnLabels, Func<int, int, double> counts)
    {
        var cells = new List<(int R, int C, double V)>();
        for (var r = 0; r < rowLabels.Count; r++)
            for (var c = 0; c < columnLabels.Count; c++)
                if (!(r == c && rowLabels[r] == columnLabels[c]) && counts(r, c) > 0) cells.Add((r, c, counts(r, c)));
        var total = cells.Count;
        var shown = cells.OrderByDescending(x => x.V).Take(Top).ToList();
        return new ResultTable(title,
            [new ResultColumn(rowHeader), new ResultColumn(columnHeader), new ResultColumn("count", ColumnAlign.Right)],
            shown.Select(x => (IReadOnlyList<string>)[rowLabels[x.R], columnLabels[x.C], x.V.ToString("0.####", CultureInfo.InvariantCulture)]).ToList())
        {
            Notes = [$"{shown.Count} largest of {total} non-zero off-diagonal cells of the {rowLabels.Count} x {columnLabels.Count} matrix; the whole matrix is in --format json and --format csv --table confusion."],
        };
    }
}
