using System.Globalization;
using ScottPlot;

namespace Dyno.Reports.Charts;

/// <summary>A named series of points for line and scatter charts.</summary>
public sealed record Series(string Name, double[] X, double[] Y);

/// <summary>The chart kinds the reports use, drawn with ScottPlot and returned as SVG text.</summary>
public static class ChartKit
{
    private static readonly Color[] Palette =
    [
        Color.FromHex("#0969da"), Color.FromHex("#cf222e"), Color.FromHex("#1a7f37"), Color.FromHex("#bf8700"), Color.FromHex("#8250df"),
        Color.FromHex("#1b7c83"), Color.FromHex("#bc4c00"), Color.FromHex("#57606a"), Color.FromHex("#e16f24"), Color.FromHex("#4d2d00"),
    ];

    public static Color ColorAt(int i) => Palette[i % Palette.Length];

    /// <summary>The report pages' font stack; charts name it too, so their text and the page's are one font.</summary>
    public const string FontStack = "Arial, 'Liberation Sans', Helvetica, sans-serif";

    /// <summary>
    /// The font text is measured with while laying charts out: Liberation Sans (metric-compatible with Arial and close to
    /// Helvetica, the page's fonts) where installed, else the system's sans-serif.
    /// </summary>
    private static readonly string MeasureFont = Fonts.GetTypeface("Liberation Sans", false, false) is { FamilyName: "Liberation Sans" } ? "Liberation Sans" : Fonts.Sans;

    /// <summary>Default chart size: readable 1:1 in a 1400 px wide window (the report's main column).</summary>
    public const int DefaultWidth = 1100;

    /// <summary>Default chart height.</summary>
    public const int DefaultHeight = 460;

    /// <summary>A plot in the reports' style: the page's sans-serif font at readable sizes.</summary>
    internal static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(MeasureFont);
        plot.Axes.Title.Label.FontSize = 16;
        plot.Axes.Bottom.Label.FontSize = 14;
        plot.Axes.Left.Label.FontSize = 14;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Legend.FontSize = 12;
        plot.Legend.FontName = MeasureFont;
        return plot;
    }

    /// <summary>
    /// The chart as SVG: the page's font stack on every text element, and the title and axis titles marked
    /// (<c>class="chart-title"</c>, <c>class="axis-title"</c>) so tests and readers' styles can find them.
    /// </summary>
    /// <summary>
    /// A plot as SVG in the reports' style: the page's font stack on every text element, and the plot's title and axis
    /// titles marked (<c>class="chart-title"</c>, <c>class="axis-title"</c>) so tests and readers' styles can find them.
    /// </summary>
    public static string ToSvg(Plot plot, int width, int height)
    {
        var svg = plot.GetSvgXml(width, height);
        svg = System.Text.RegularExpressions.Regex.Replace(svg, "font-family=\"[^\"]*\"", $"font-family=\"{FontStack}\"");
        svg = Mark(svg, plot.Axes.Title.Label.Text, "chart-title");
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left, plot.Axes.Right, plot.Axes.Top })
            if (!string.IsNullOrEmpty(axis.Label.Text)) svg = Mark(svg, axis.Label.Text, "axis-title");
        return svg;
    }

    private static string Mark(string svg, string text, string cls)
    {
        if (string.IsNullOrEmpty(text)) return svg;
        var encoded = System.Security.SecurityElement.Escape(text);
        var pattern = "<text (?![^>]*class=)([^>]*)>(\\s*)" + System.Text.RegularExpressions.Regex.Escape(encoded) + "(\\s*)</text>";
        return System.Text.RegularExpressions.Regex.Replace(svg, pattern, m => $"<text class=\"{cls}\" {m.Groups[1].Value}>{m.Groups[2].Value}{encoded}{m.Groups[3].Value}</text>");
    }

    /// <summary>What a category axis counts, from a title such as "IoU per class" or "Time per image by stage" ("class", "stage").</summary>
    internal static string? CategoryName(string title)
    {
        var t = System.Text.RegularExpressions.Regex.Replace(title, "\\s*\\([^)]*\\)\\s*$", "");
        var m = System.Text.RegularExpressions.Regex.Match(t, "\\b(?:per|by)\\s+([\\w -]+)$");
        return m.Success ? m.Groups[1].Value.Trim() : null;
    }

    /// <summary>
    /// Bars with category labels. Many or long labels are drawn as horizontal bars, one label per row, so no label is
    /// rotated, overlaps its neighbour or is clipped; the height grows with the number of bars.
    /// </summary>
    /// <remarks><paramref name="categoryLabel"/>: title of the category axis (default: what the title counts, "per X"/"by X").</remarks>
    public static string Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string yLabel, int width = DefaultWidth, int height = DefaultHeight,
        string? categoryLabel = null)
    {
        var plot = NewPlot();
        categoryLabel ??= CategoryName(title) ?? "category";
        var shortLabels = labels.Select(Short).ToArray();
        var horizontal = labels.Count > 8 || shortLabels.Any(l => l.Length > 12);
        var n = labels.Count;
        var bars = new List<Bar>();
        for (var i = 0; i < n; i++)
            bars.Add(new Bar { Position = horizontal ? n - 1 - i : i, Value = values[i], FillColor = ColorAt(0), LineWidth = 0, Size = 0.8 });
        var bp = plot.Add.Bars(bars);
        bp.Horizontal = horizontal;
        var positions = Enumerable.Range(0, n).Select(i => (double)(horizontal ? n - 1 - i : i)).ToArray();
        var ticks = new ScottPlot.TickGenerators.NumericManual(positions, shortLabels);
        if (horizontal)
        {
            plot.Axes.Left.TickGenerator = ticks;
            plot.Axes.Margins(left: 0);
            plot.XLabel(yLabel);
            plot.YLabel(categoryLabel);
            height = Math.Max(height, 22 * n + 150);
        }
        else
        {
            plot.Axes.Bottom.TickGenerator = ticks;
            plot.Axes.Margins(bottom: 0);
            plot.XLabel(categoryLabel);
            plot.YLabel(yLabel);
        }
        plot.Title(title);
        return ToSvg(plot, width, height);
    }

    /// <summary>
    /// Line series, with a legend beside the plot (never over the points) when there are several; an x axis whose values
    /// are all integers (batch sizes, counts) gets integer ticks only.
    /// </summary>
    public static string Lines(string title, IReadOnlyList<Series> series, string xLabel, string yLabel, bool markers = false,
        double? yMin = null, double? yMax = null, int width = DefaultWidth, int height = DefaultHeight)
    {
        var plot = NewPlot();
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            if (s.X.Length == 0) continue;
            var line = plot.Add.Scatter(s.X, s.Y);
            line.Color = ColorAt(i);
            line.LineWidth = 2;
            line.MarkerSize = markers ? 6 : 0;
            line.LegendText = Short(s.Name);
        }
        // Lines end at the data (no empty margin with a tick such as -0.05 crowding the corner); markers keep room.
        if (!markers) plot.Axes.Margins(horizontal: 0);
        if (yMin is not null || yMax is not null) plot.Axes.SetLimitsY(yMin ?? double.NaN, yMax ?? double.NaN);
        var xs = series.SelectMany(s => s.X).ToList();
        if (xs.Count > 0 && xs.All(x => x == Math.Round(x)) && xs.Max() - xs.Min() <= 1e6)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Title(title);
        if (series.Count > 1) plot.ShowLegend(Edge.Right);
        else plot.HideLegend(); // one series: the axis titles say what it is, and no legend box sits on the line
        return ToSvg(plot, width, height);
    }

    /// <summary>A histogram of <paramref name="values"/> in <paramref name="bins"/> equal-width bins.</summary>
    public static string Histogram(string title, IReadOnlyList<double> values, int bins, string xLabel, int width = DefaultWidth, int height = DefaultHeight)
    {
        var plot = NewPlot();
        if (values.Count > 0)
        {
            var lo = values.Min();
            var hi = values.Max();
            if (hi <= lo) hi = lo + 1;
            var w = (hi - lo) / bins;
            var counts = new double[bins];
            foreach (var v in values) counts[Math.Min(bins - 1, (int)((v - lo) / w))]++;
            var bars = new List<Bar>();
            for (var i = 0; i < bins; i++)
                bars.Add(new Bar { Position = lo + (i + 0.5) * w, Value = counts[i], Size = w * 0.95, FillColor = ColorAt(0), LineWidth = 0 });
            plot.Add.Bars(bars);
        }
        plot.Axes.Margins(bottom: 0);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.XLabel(xLabel);
        plot.YLabel("count (samples)");
        plot.Title(title);
        return ToSvg(plot, width, height);
    }

    /// <summary>
    /// A heatmap of a matrix (rows top to bottom) drawn as crisp SVG cells: each cell has a tooltip (row, column, value),
    /// and the values are written in the cells when the matrix has at most 30 rows and columns.
    /// </summary>
    public static string Heatmap(string title, double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> colLabels,
        string xLabel, string yLabel, int width = DefaultWidth, int height = 0) =>
        MatrixSvg(title, values, rowLabels, colLabels, xLabel, yLabel, v => Num(v), width);

    /// <summary>
    /// A confusion matrix of counts drawn with true classes as rows and predicted classes as columns, for
    /// <c>eval det --confusion</c> (with its background row and column) and <c>eval cls</c>: cells coloured by the share
    /// of their row (of the true class), counts written in the cells up to 30 classes, and a tooltip on every cell with
    /// the count and the row share.
    /// </summary>
    /// <remarks>
    /// <paramref name="counts"/> is [true, predicted] (<c>eval cls</c>'s <c>confusion_matrix.counts</c>); pass
    /// <paramref name="predictedRows"/> = true for [predicted, true] (<c>eval det</c>'s <c>confusion_matrix.counts</c>,
    /// Ultralytics' layout), which is transposed.
    /// </remarks>
    public static string ConfusionMatrix(string title, long[,] counts, IReadOnlyList<string> labels, string xLabel = "predicted class", string yLabel = "true class",
        int width = DefaultWidth, bool predictedRows = false)
    {
        if (predictedRows)
        {
            var t = new long[counts.GetLength(1), counts.GetLength(0)];
            for (var i = 0; i < counts.GetLength(0); i++)
                for (var j = 0; j < counts.GetLength(1); j++) t[j, i] = counts[i, j];
            counts = t;
        }
        var rows = counts.GetLength(0);
        var cols = counts.GetLength(1);
        var share = new double[rows, cols];
        for (var r = 0; r < rows; r++)
        {
            double sum = 0;
            for (var c = 0; c < cols; c++) sum += counts[r, c];
            for (var c = 0; c < cols; c++) share[r, c] = sum > 0 ? counts[r, c] / sum : 0;
        }
        return MatrixSvg(title, share, labels, labels, xLabel, yLabel, v => Num(v), width,
            (r, c) => counts[r, c].ToString(CultureInfo.InvariantCulture),
            (r, c) => $"{counts[r, c].ToString("N0", CultureInfo.InvariantCulture)} ({(100 * share[r, c]).ToString("0.#", CultureInfo.InvariantCulture)}% of row)",
            "colour = share of the row");
    }

    private static string MatrixSvg(string title, double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> colLabels, string xLabel, string yLabel,
        Func<double, string> format, int width, Func<int, int, string>? cellText = null, Func<int, int, string>? tooltip = null, string? legend = null)
    {
        var rows = values.GetLength(0);
        var cols = values.GetLength(1);
        string Row(int i) => i < rowLabels.Count ? Short(rowLabels[i]) : i.ToString(CultureInfo.InvariantCulture);
        string Col(int i) => i < colLabels.Count ? Short(colLabels[i]) : i.ToString(CultureInfo.InvariantCulture);
        const double charW = 6.4; // 11 px Arial/Liberation Sans, average advance: label space is reserved from it
        var labelFont = rows > 60 || cols > 60 ? 9 : 11;
        var left = 40 + Math.Ceiling(Enumerable.Range(0, rows).Select(i => Row(i).Length).DefaultIfEmpty(1).Max() * charW * labelFont / 11);
        var bottomLabels = Math.Ceiling(Enumerable.Range(0, cols).Select(i => Col(i).Length).DefaultIfEmpty(1).Max() * charW * labelFont / 11);
        const int top = 50, right = 110;
        var cell = Math.Max(labelFont + 2, Math.Min(48, Math.Floor((width - left - right) / Math.Max(1, cols))));
        var plotW = cell * cols;
        var plotH = cell * rows;
        var h = (int)(top + plotH + 14 + bottomLabels + 40);
        var w = (int)Math.Max(width, left + plotW + right);
        double max = 0;
        foreach (var v in values) if (double.IsFinite(v)) max = Math.Max(max, v);
        if (max <= 0) max = 1;
        var showText = rows <= 30 && cols <= 30;
        var inv = CultureInfo.InvariantCulture;
        string N(double v) => v.ToString("0.##", inv);
        var sb = new System.Text.StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FontStack}\" shape-rendering=\"crispEdges\">");
        sb.Append(CultureInfo.InvariantCulture, $"<rect fill=\"white\" width=\"{w}\" height=\"{h}\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"chart-title\" x=\"{N(left + plotW / 2)}\" y=\"28\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\">{E(title)}</text>");
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
            {
                var v = values[r, c];
                var t = double.IsFinite(v) ? Math.Clamp(v / max, 0, 1) : 0;
                var color = new ScottPlot.Colormaps.Viridis().GetColor(t);
                var x = left + c * cell;
                var y = top + r * cell;
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(cell)}\" height=\"{N(cell)}\" fill=\"{color.ToHex()[..7]}\">");
                sb.Append(CultureInfo.InvariantCulture, $"<title>{E(Row(r))} → {E(Col(c))}: {E(tooltip?.Invoke(r, c) ?? format(v))}</title></rect>");
                if (showText)
                {
                    var text = cellText?.Invoke(r, c) ?? format(v);
                    var fs = Math.Min(12, Math.Floor(cell / Math.Max(2.5, text.Length * 0.62)));
                    if (fs >= 7)
                        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + cell / 2)}\" y=\"{N(y + cell / 2 + fs * 0.35)}\" font-size=\"{N(fs)}\" text-anchor=\"middle\" fill=\"{(t > 0.6 ? "#000000" : "#ffffff")}\" pointer-events=\"none\">{E(text)}</text>");
                }
            }
        for (var r = 0; r < rows; r++)
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(left - 6)}\" y=\"{N(top + r * cell + cell / 2 + labelFont * 0.35)}\" font-size=\"{labelFont}\" text-anchor=\"end\">{E(Row(r))}</text>");
        for (var c = 0; c < cols; c++)
        {
            var x = left + c * cell + cell / 2 + labelFont * 0.35;
            var y = top + plotH + 6;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{labelFont}\" text-anchor=\"end\" transform=\"rotate(-90 {N(x)} {N(y)})\">{E(Col(c))}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"axis-title\" x=\"{N(left + plotW / 2)}\" y=\"{h - 12}\" font-size=\"14\" text-anchor=\"middle\">{E(xLabel)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"axis-title\" x=\"16\" y=\"{N(top + plotH / 2)}\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 16 {N(top + plotH / 2)})\">{E(yLabel)}</text>");
        // colour bar
        var barX = left + plotW + 24;
        for (var i = 0; i < 50; i++)
        {
            var color = new ScottPlot.Colormaps.Viridis().GetColor(1 - i / 49.0);
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(barX)}\" y=\"{N(top + i * plotH / 50)}\" width=\"14\" height=\"{N(plotH / 50 + 0.5)}\" fill=\"{color.ToHex()[..7]}\"/>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(barX + 18)}\" y=\"{N(top + 10)}\" font-size=\"11\">{E(format(max))}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(barX + 18)}\" y=\"{N(top + plotH)}\" font-size=\"11\">0</text>");
        if (legend is not null && plotH > 160)
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(barX + 10)}\" y=\"{N(top + plotH / 2)}\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 {N(barX + 34)} {N(top + plotH / 2)})\">{E(legend)}</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string E(string s) => System.Security.SecurityElement.Escape(s) ?? "";

    /// <summary>Labelled points (e.g. models on an accuracy–latency plane), with the Pareto front drawn as a step line.</summary>
    public static string Pareto(string title, IReadOnlyList<(string Label, double X, double Y)> points, string xLabel, string yLabel,
        bool lowerXIsBetter = true, bool higherYIsBetter = true, int width = DefaultWidth, int height = 500) =>
        ToSvg(ParetoPlot(title, points, xLabel, yLabel, lowerXIsBetter, higherYIsBetter), width, height);

    /// <summary>
    /// The Pareto chart as a plot (to save as PNG or SVG). Labels sit on the side of their point towards the middle of
    /// the plot, so none runs off the edge; the legend is beside the plot.
    /// </summary>
    public static Plot ParetoPlot(string title, IReadOnlyList<(string Label, double X, double Y)> points, string xLabel, string yLabel,
        bool lowerXIsBetter = true, bool higherYIsBetter = true)
    {
        var plot = NewPlot();
        var xMid = points.Count > 0 ? (points.Min(p => p.X) + points.Max(p => p.X)) / 2 : 0;
        var yMid = points.Count > 0 ? (points.Min(p => p.Y) + points.Max(p => p.Y)) / 2 : 0;
        for (var i = 0; i < points.Count; i++)
        {
            var m = plot.Add.Marker(points[i].X, points[i].Y);
            m.Size = 10;
            m.Color = ColorAt(i);
            var t = plot.Add.Text(Short(points[i].Label), points[i].X, points[i].Y);
            t.LabelFontSize = 12;
            t.LabelFontName = MeasureFont;
            var rightHalf = points.Count > 1 && points[i].X > xMid;
            var upperHalf = points.Count > 1 && points[i].Y > yMid;
            t.LabelAlignment = (rightHalf, upperHalf) switch
            {
                (true, true) => Alignment.UpperRight,
                (true, false) => Alignment.LowerRight,
                (false, true) => Alignment.UpperLeft,
                _ => Alignment.LowerLeft,
            };
            t.LabelOffsetX = rightHalf ? -8 : 8;
            t.LabelOffsetY = upperHalf ? 8 : -8;
        }
        var front = ParetoFront(points.Select(p => (p.X, p.Y)).ToList(), lowerXIsBetter, higherYIsBetter);
        if (front.Count > 1)
        {
            var line = plot.Add.ScatterLine(front.Select(p => p.X).ToArray(), front.Select(p => p.Y).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Gray;
            line.LegendText = "Pareto front";
            plot.ShowLegend(Edge.Right);
        }
        plot.Axes.Margins(0.2, 0.2);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Title(title);
        return plot;
    }

    /// <summary>The points no other point beats on both axes, sorted by x.</summary>
    public static List<(double X, double Y)> ParetoFront(IReadOnlyList<(double X, double Y)> pts, bool lowerXIsBetter = true, bool higherYIsBetter = true)
    {
        bool Better(double a, double b, bool lower) => lower ? a <= b : a >= b;
        return pts.Where(p => !pts.Any(q => q != p && Better(q.X, p.X, lowerXIsBetter) && Better(q.Y, p.Y, !higherYIsBetter)
                                             && (q.X != p.X || q.Y != p.Y)))
            .Distinct().OrderBy(p => p.X).ToList();
    }

    internal static string Short(string s) => s.Length <= 28 ? s : s[..12] + "…" + s[^14..];

    internal static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
