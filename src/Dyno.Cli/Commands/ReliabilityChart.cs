using System.Globalization;
using System.Text;
using Dyno.Metrics.Classification;

namespace Dyno.Cli.Commands;

/// <summary>A reliability diagram as a self-contained SVG: accuracy per confidence bin against the diagonal.</summary>
internal static class ReliabilityChart
{
    /// <summary>The SVG document for <paramref name="cal"/>.</summary>
    public static string Svg(CalibrationReport cal)
    {
        const double size = 400, margin = 50, plot = size - 2 * margin;
        static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect x=\"{margin}\" y=\"{margin}\" width=\"{plot}\" height=\"{plot}\" fill=\"white\" stroke=\"black\"/>\n");
        foreach (var bin in cal.Reliability)
        {
            if (bin.Count == 0) continue;
            var x = margin + bin.Lower * plot;
            var w = (bin.Upper - bin.Lower) * plot;
            var hAcc = bin.Accuracy * plot;
            var hConf = bin.MeanConfidence * plot;
            sb.Append($"<rect x=\"{F(x)}\" y=\"{F(margin + plot - hAcc)}\" width=\"{F(w)}\" height=\"{F(hAcc)}\" fill=\"#4878d0\" stroke=\"white\"><title>n={bin.Count} acc={F(bin.Accuracy)} conf={F(bin.MeanConfidence)}</title></rect>\n");
            sb.Append($"<rect x=\"{F(x)}\" y=\"{F(margin + plot - Math.Max(hAcc, hConf))}\" width=\"{F(w)}\" height=\"{F(Math.Abs(hAcc - hConf))}\" fill=\"#ee854a\" fill-opacity=\"0.5\"/>\n");
        }
        sb.Append($"<line x1=\"{margin}\" y1=\"{margin + plot}\" x2=\"{margin + plot}\" y2=\"{margin}\" stroke=\"gray\" stroke-dasharray=\"4 4\"/>\n");
        for (var i = 0; i <= 4; i++)
        {
            var v = i / 4.0;
            sb.Append($"<text x=\"{F(margin + v * plot)}\" y=\"{F(margin + plot + 16)}\" text-anchor=\"middle\">{F(v)}</text>\n");
            sb.Append($"<text x=\"{F(margin - 6)}\" y=\"{F(margin + plot - v * plot + 4)}\" text-anchor=\"end\">{F(v)}</text>\n");
        }
        sb.Append($"<text x=\"{size / 2}\" y=\"{size - 10}\" text-anchor=\"middle\">confidence</text>\n");
        sb.Append($"<text x=\"14\" y=\"{size / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {size / 2})\">accuracy</text>\n");
        sb.Append($"<text x=\"{size / 2}\" y=\"30\" text-anchor=\"middle\">Reliability: ECE {F(cal.Ece * 100)}%, MCE {F(cal.Mce * 100)}% ({cal.Bins} bins)</text>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
