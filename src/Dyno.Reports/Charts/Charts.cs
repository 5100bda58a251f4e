using System.Globalization;
using ScottPlot;

namespace Dyno.Reports.Charts;

/// <summary>A named series of points for line and scatter charts.</summary>
public sealed record Series(string Name, double[] X, double[] Y);

/// <summary>The chart kinds the reports use, drawn with ScottPlot and returned as SVG text.</summary>
public static class Charts
{
    private static readonly Color[] Palette =
    [
        Color.FromHex("#0969da"), Color.FromHex("#cf222e"), Color.FromHex("#1a7f37"), Color.FromHex("#bf8700"), Color.FromHex("#8250df"),
        Color.FromHex("#1b7c83"), Color.FromHex("#bc4c00"), Color.FromHex("#57606a"), Color.FromHex("#e16f24"), Color.FromHex("#4d2d00"),
    ];

    public static Color ColorAt(int i) => Palette[i % Palette.Length];

    /// <summary>Vertical bars with category labels.</summary>
    public static string Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string yLabel, int width = 680, int height = 460)
    {
        var plot = new Plot();
        var bars = plot.Add.Bars(values.ToArray());
        bars.Color = ColorAt(0);
        var positions = Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels.Select(Short).ToArray());
        if (labels.Count > 8)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = 150;
        }
        plot.Axes.Margins(bottom: 0);
        plot.YLabel(yLabel);
        plot.Title(title);
        return plot.GetSvgXml(width, height);
    }

    /// <summary>Line series (optionally log-x), with a legend.</summary>
    public static string Lines(string title, IReadOnlyList<Series> series, string xLabel, string yLabel, bool markers = false,
        double? yMin = null, double? yMax = null, int width = 680, int height = 460)
    {
        var plot = new Plot();
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
        if (yMin is not null || yMax is not null) plot.Axes.SetLimitsY(yMin ?? double.NaN, yMax ?? double.NaN);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Title(title);
        if (series.Count > 1) plot.ShowLegend(Alignment.LowerLeft);
        return plot.GetSvgXml(width, height);
    }

    /// <summary>A histogram of <paramref name="values"/> in <paramref name="bins"/> equal-width bins.</summary>
    public static string Histogram(string title, IReadOnlyList<double> values, int bins, string xLabel, int width = 680, int height = 460)
    {
        var plot = new Plot();
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
        plot.XLabel(xLabel);
        plot.YLabel("count");
        plot.Title(title);
        return plot.GetSvgXml(width, height);
    }

    /// <summary>A heatmap of a matrix (rows top to bottom) with row and column labels and a colour bar.</summary>
    public static string Heatmap(string title, double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> colLabels,
        string xLabel, string yLabel, int width = 680, int height = 620)
    {
        var plot = new Plot();
        var hm = plot.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(hm);
        var rows = values.GetLength(0);
        var cols = values.GetLength(1);
        if (cols <= 40)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, cols).Select(i => (double)i).ToArray(), colLabels.Select(Short).ToArray());
        if (rows <= 40)
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i)).ToArray(), rowLabels.Select(Short).ToArray());
        if (cols > 8)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        }
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Title(title);
        return plot.GetSvgXml(width, height);
    }

    /// <summary>Labelled points (e.g. models on an accuracy–latency plane), with the Pareto front drawn as a step line.</summary>
    public static string Pareto(string title, IReadOnlyList<(string Label, double X, double Y)> points, string xLabel, string yLabel,
        bool lowerXIsBetter = true, bool higherYIsBetter = true, int width = 680, int height = 500) =>
        ParetoPlot(title, points, xLabel, yLabel, lowerXIsBetter, higherYIsBetter).GetSvgXml(width, height);

    /// <summary>The Pareto chart as a plot (to save as PNG or SVG).</summary>
    public static Plot ParetoPlot(string title, IReadOnlyList<(string Label, double X, double Y)> points, string xLabel, string yLabel,
        bool lowerXIsBetter = true, bool higherYIsBetter = true)
    {
        var plot = new Plot();
        for (var i = 0; i < points.Count; i++)
        {
            var m = plot.Add.Marker(points[i].X, points[i].Y);
            m.Size = 10;
            m.Color = ColorAt(i);
            var t = plot.Add.Text(Short(points[i].Label), points[i].X, points[i].Y);
            t.LabelFontSize = 12;
            t.LabelOffsetX = 8;
            t.LabelOffsetY = -8;
        }
        var front = ParetoFront(points.Select(p => (p.X, p.Y)).ToList(), lowerXIsBetter, higherYIsBetter);
        if (front.Count > 1)
        {
            var line = plot.Add.ScatterLine(front.Select(p => p.X).ToArray(), front.Select(p => p.Y).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Gray;
            line.LegendText = "Pareto front";
            plot.ShowLegend(Alignment.LowerRight);
        }
        plot.Axes.Margins(0.15, 0.15);
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
