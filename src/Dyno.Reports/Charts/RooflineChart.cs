using Dyno.Models.Roofline;
using ScottPlot;

namespace Dyno.Reports.Charts;

/// <summary>A log-log roofline: the device's roof and one point per node, sized by its share of the lower-bound time.</summary>
public static class RooflineChart
{
    public static Plot Create(RooflineReport r, string title)
    {
        var plot = new Plot();
        var pts = r.Nodes.Where(p => p.Flops > 0 && p.Bytes > 0 && double.IsFinite(p.ArithmeticIntensity)).ToList();
        var lo = Math.Floor(Math.Log10(Math.Min(r.RidgePoint / 100, pts.Count > 0 ? pts.Min(p => p.ArithmeticIntensity) : 0.1)));
        var hi = Math.Ceiling(Math.Log10(Math.Max(r.RidgePoint * 10, pts.Count > 0 ? pts.Max(p => p.ArithmeticIntensity) : 10)));
        var xs = Enumerable.Range(0, 200).Select(i => lo + (hi - lo) * i / 199.0).Append(Math.Log10(r.RidgePoint)).Order().ToArray();
        var ys = xs.Select(x => Math.Log10(Math.Min(r.PeakFlops, r.BandwidthBytesPerSecond * Math.Pow(10, x)))).ToArray();
        var roof = plot.Add.ScatterLine(xs, ys);
        roof.LineWidth = 2.5f;
        roof.Color = Colors.Black;
        roof.LegendText = $"{r.Hardware} {r.Precision} roof (ridge {r.RidgePoint:F1} FLOP/B)";

        foreach (var group in pts.GroupBy(p => p.Bound))
        {
            var color = group.Key == "compute" ? Colors.OrangeRed : Colors.SteelBlue;
            var first = true;
            foreach (var p in group)
            {
                var m = plot.Add.Marker(Math.Log10(p.ArithmeticIntensity), Math.Log10(Math.Max(1, p.AttainableFlops)));
                m.Size = (float)(4 + 40 * Math.Sqrt(p.TimeShare));
                m.Color = color.WithAlpha(0.6);
                if (first) m.LegendText = $"{group.Key}-bound nodes (size = share of time)";
                first = false;
            }
        }
        ChartFile.LogAxis(plot.Axes.Bottom, v => v >= 1 ? v.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) : v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture));
        ChartFile.LogAxis(plot.Axes.Left, v => Fmt.Si(v, "FLOP/s"));
        plot.XLabel("Arithmetic intensity (FLOP/byte, log)");
        plot.YLabel("Attainable performance (log)");
        plot.Title(title);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }
}
