using System.Globalization;
using Dyno.Models.Roofline;
using ScottPlot;

namespace Dyno.Reports.Charts;

/// <summary>A point on a roofline chart: intensity (FLOP/B), attainable FLOP/s, share of time, bound.</summary>
public readonly record struct RooflineChartPoint(double Intensity, double Attainable, double TimeShare, bool ComputeBound);

/// <summary>A log-log roofline: the device's roof and one point per node, sized by its share of the lower-bound time.</summary>
public static class RooflineChart
{
    public static Plot Create(RooflineReport r, string title) =>
        Create($"{r.Hardware} {r.Precision}", r.PeakFlops, r.BandwidthBytesPerSecond,
            r.Nodes.Select(p => new RooflineChartPoint(p.ArithmeticIntensity, p.AttainableFlops, p.TimeShare, p.Bound == Dyno.Models.Roofline.RooflineBound.Compute)), title);

    public static Plot Create(string roofName, double peak, double bandwidth, IEnumerable<RooflineChartPoint> points, string title)
    {
        var plot = ChartKit.NewPlot();
        var ridge = peak / bandwidth;
        var pts = points.Where(p => p.Intensity > 0 && double.IsFinite(p.Intensity) && p.Attainable > 0).ToList();
        var lo = Math.Floor(Math.Log10(Math.Min(ridge / 100, pts.Count > 0 ? pts.Min(p => p.Intensity) : 0.1)));
        var hi = Math.Ceiling(Math.Log10(Math.Max(ridge * 10, pts.Count > 0 ? pts.Max(p => p.Intensity) : 10)));
        var xs = Enumerable.Range(0, 200).Select(i => lo + (hi - lo) * i / 199.0).Append(Math.Log10(ridge)).Order().ToArray();
        var ys = xs.Select(x => Math.Log10(Math.Min(peak, bandwidth * Math.Pow(10, x)))).ToArray();
        var roof = plot.Add.ScatterLine(xs, ys);
        roof.LineWidth = 2.5f;
        roof.Color = Colors.Black;
        roof.LegendText = $"{roofName} roof (ridge {ridge.ToString("F1", CultureInfo.InvariantCulture)} FLOP/B)";
        foreach (var group in pts.GroupBy(p => p.ComputeBound))
        {
            var color = group.Key ? Colors.OrangeRed : Colors.SteelBlue;
            var first = true;
            foreach (var p in group)
            {
                var m = plot.Add.Marker(Math.Log10(p.Intensity), Math.Log10(p.Attainable));
                m.Size = (float)(4 + 40 * Math.Sqrt(p.TimeShare));
                m.Color = color.WithAlpha(0.6);
                if (first) m.LegendText = $"{(group.Key ? "compute" : "memory")}-bound nodes (size = share of time)";
                first = false;
            }
        }
        ChartFile.LogAxis(plot.Axes.Bottom, v => v.ToString(v >= 1 ? "0.#" : "0.###", CultureInfo.InvariantCulture));
        ChartFile.LogAxis(plot.Axes.Left, v => Fmt.Si(v, "FLOP/s"));
        plot.XLabel("Arithmetic intensity (FLOP/byte, log)");
        plot.YLabel("Attainable performance (FLOP/s, log)");
        plot.Title(title);
        plot.ShowLegend(Alignment.LowerRight); // nodes sit on the roof itself, so the corner below its flat part is empty
        return plot;
    }
}
