using ScottPlot;

namespace Dyno.Reports.Charts;

/// <summary>Saves ScottPlot charts as SVG or PNG (by file extension), atomically.</summary>
public static class ChartFile
{
    public static void Save(Plot plot, string path, int width = 960, int height = 600)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".svg" or ".png")) throw new DynoInputException($"{path}: charts are written as .svg or .png");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var tmp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(path)}.{Guid.NewGuid():N}{ext}");
        try
        {
            if (ext == ".svg") plot.SaveSvg(tmp, width, height);
            else plot.SavePng(tmp, width, height);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>The chart as an SVG document (for inlining into HTML reports).</summary>
    public static string Svg(Plot plot, int width = ChartKit.DefaultWidth, int height = 600) => ChartKit.ToSvg(plot, width, height);

    /// <summary>Log-10 axis ticks labelled with the real values.</summary>
    internal static void LogAxis(IAxis axis, Func<double, string> format)
    {
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => format(Math.Pow(10, v)),
        };
        axis.TickGenerator = ticks;
    }
}
