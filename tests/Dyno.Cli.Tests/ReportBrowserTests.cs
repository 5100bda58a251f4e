using Microsoft.Playwright;

namespace Dyno.Cli.Tests;

/// <summary>
/// The reports opened in headless Chromium (Debian's, driven by Playwright) as a reader would: the demo's
/// report (profile, roofline, benchmark, COCO evaluation) and a report of profile and fit results.
/// </summary>
public class ReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [SkippableFact]
    public async Task DemoReportLoadsCleanAndEveryChartIsDrawn()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-demo").FullName;
        var html = Path.Combine(dir, "demo.html");
        var (code, stdout, stderr) = DynoProcess.Run("demo", "--bench-seconds", "1", "--html", html);
        Assert.True(code == 0, stderr);
        Assert.Contains("COCO bbox AP", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(html));
        await AssertRendersAsync(html, minCharts: 10, "demo-report.png");
    }

    [SkippableFact]
    public async Task ReportOfSeveralResultsLoadsClean()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-report").FullName;
        var a = Path.Combine(dir, "r18.json");
        var b = Path.Combine(dir, "fit.json");
        Assert.Equal(0, DynoProcess.Run("profile", "--example", "resnet18", "--hardware", "a100", "--precision", "fp16", "--format", "json", "--out", a).Code);
        Assert.Equal(0, DynoProcess.Run("fit", "--example", "resnet18", "--hardware", "raspberry-pi-5", "--format", "json", "--out", b).Code);
        var html = Path.Combine(dir, "report.html");
        var md = Path.Combine(dir, "report.md");
        var (code, _, stderr) = DynoProcess.Run("report", a, b, "--out", html, "--md", md);
        Assert.True(code == 0, stderr);
        Assert.Contains("| dense MACs |", File.ReadAllText(md).Replace("Dense MACs", "dense MACs", StringComparison.Ordinal), StringComparison.Ordinal);
        await AssertRendersAsync(html, minCharts: 4, "profile-report.png");
    }

    [Fact]
    public async Task EightyClassDetectionReportAndConfusionMatrixAreReadable()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-det80").FullName;
        var coco = Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", "real");
        var json = Path.Combine(dir, "det.json");
        var (code, _, stderr) = DynoProcess.Run("eval", "det", "--gt", Path.Combine(coco, "instances_val2014_100.json"), "--dt", Path.Combine(coco, "instances_val2014_fakebbox100_results.json"),
            "--confusion", "--score-threshold", "0.5", "--format", "json", "--out", json);
        Assert.True(code == 0, stderr);
        var html = Path.Combine(dir, "det.html");
        (code, _, stderr) = DynoProcess.Run("report", json, "--out", html);
        Assert.True(code == 0, stderr);
        await AssertRendersAsync(html, minCharts: 3, "det80-report.png");

        // The confusion matrix drawing function on the same 80 classes (plus background): crisp cells, readable labels.
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var cm = doc.RootElement.GetProperty("confusion_matrix");
        var labels = cm.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToList();
        var rows = cm.GetProperty("counts").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        Assert.Equal(81, labels.Count); // counts[predicted][actual], the last index background (docs/detection.md)
        var counts = new long[rows.Length, rows.Length];
        for (var i = 0; i < rows.Length; i++) for (var j = 0; j < rows.Length; j++) counts[i, j] = rows[i][j];
        var page = new Dyno.Reports.Documents.ReportDocument { Title = "Detection confusion matrix, 80 COCO classes" };
        var section = new Dyno.Reports.Documents.ReportSection { Title = "eval det --confusion", Kind = "eval-det" };
        section.Figures.Add(new("confusion80", "Detection confusion matrix", Dyno.Reports.Charts.ChartKit.ConfusionMatrix("Detection confusion matrix (80 classes + background)", counts, labels, "predicted", "ground truth", predictedRows: true), "Counts per cell in the tooltips; colour = share of the row."));
        var small = new long[5, 5];
        for (var i = 0; i < 5; i++) for (var j = 0; j < 5; j++) small[i, j] = i == j ? 40 + 7 * i : (i + 2 * j) % 4;
        section.Figures.Add(new("confusion5", "Classification confusion matrix", Dyno.Reports.Charts.ChartKit.ConfusionMatrix("Confusion matrix (5 classes)", small, ["cat", "dog", "bird", "fish", "horse"]), "Counts written in the cells (up to 30 classes)."));
        page.Sections.Add(section);
        var cmHtml = Path.Combine(dir, "confusion.html");
        File.WriteAllText(cmHtml, Dyno.Reports.Documents.HtmlReportWriter.Render(page));
        await AssertRendersAsync(cmHtml, minCharts: 2, "confusion-matrix.png");
    }

    /// <summary>
    /// Every chart, as laid out at 1400 px: no text element's box overlaps another's or leaves the chart, each chart has
    /// a title and two axis titles, and chart text is in the page's font.
    /// </summary>
    private static async Task AssertChartTextIsReadableAsync(IPage page)
    {
        var problems = await page.EvaluateAsync<string[]>("""
            () => {
              const out = [];
              const unitless = /^(AP|AP50|AR|F1|IoU|IoU threshold|score threshold|precision|recall|precision, recall|accuracy|confidence|share|category|class|predicted|predicted class|true class|ground truth|ground-truth class|layer|op type|node \(execution order\)|batch|batch size|count|image|sequence|α|alpha|HOTA|DetA|AssA|score)$/i;
              const bodyFont = getComputedStyle(document.body).fontFamily;
              for (const fig of document.querySelectorAll('figure.chart')) {
                const svg = fig.querySelector('svg');
                const id = fig.id;
                const box = svg.getBoundingClientRect();
                const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim().length > 0);
                const rects = texts.map(t => t.getBoundingClientRect());
                for (let i = 0; i < texts.length; i++) {
                  const a = rects[i];
                  if (a.left < box.left - 1 || a.right > box.right + 1 || a.top < box.top - 1 || a.bottom > box.bottom + 1)
                    out.push(`${id}: '${texts[i].textContent.trim()}' is clipped by the chart's edge`);
                  if (getComputedStyle(texts[i]).fontFamily !== bodyFont) out.push(`${id}: '${texts[i].textContent.trim()}' is not in the page's font`);
                  for (let j = i + 1; j < texts.length; j++) {
                    const b = rects[j];
                    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                    if (w > 1 && h > 1) out.push(`${id}: '${texts[i].textContent.trim()}' overlaps '${texts[j].textContent.trim()}'`);
                  }
                }
                if (svg.querySelectorAll('text.chart-title').length !== 1) out.push(`${id}: no chart title`);
                const axes = [...svg.querySelectorAll('text.axis-title')].map(t => t.textContent.trim()).filter(t => t.length > 0);
                if (axes.length < 2) out.push(`${id}: ${axes.length} axis title(s): ${axes.join(', ')}`);
                // A quantity with a unit says it: "(ms)", "(FLOP/s, log)", a % or a byte unit. Only ratios, scores,
                // counts named by what they count, and categories may go without.
                for (const a of axes)
                  if (!/\(.+\)|%|\b(MiB|GiB|KiB|MB|GB|bytes?|MACs|FLOPs)\b/.test(a) && !unitless.test(a))
                    out.push(`${id}: axis title '${a}' names no unit`);
              }
              return out;
            }
            """);
        Assert.True(problems.Length == 0, string.Join("\n", problems.Take(40)) + (problems.Length > 40 ? $"\n... {problems.Length} in all" : ""));
    }

    private static async Task AssertRendersAsync(string html, int minCharts, string screenshot)
    {
        if (!File.Exists(Chromium))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", ".ci/run must install Debian's chromium for this test");
            Skip.If(true, $"{Chromium} is missing (apt-get install chromium): nothing to open the report with");
        }
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        var requests = new List<string>();
        page.Request += (_, r) => { if (!r.Url.StartsWith("file:", StringComparison.Ordinal)) requests.Add(r.Url); };
        await page.GotoAsync(new Uri(html).AbsoluteUri);

        Assert.Empty(errors);
        Assert.Empty(requests); // self-contained: nothing fetched
        var charts = await page.QuerySelectorAllAsync("figure.chart");
        Assert.True(charts.Count >= minCharts, $"{charts.Count} charts");
        foreach (var c in charts)
        {
            var svg = await c.QuerySelectorAsync("svg");
            Assert.NotNull(svg);
            var bounds = await svg!.BoundingBoxAsync();
            Assert.True(bounds is { Width: > 100, Height: > 100 }, "chart has a size");
            var shapes = await svg.EvaluateAsync<int>("s => s.querySelectorAll('path,rect,circle,line,polyline,text,image').length");
            Assert.True(shapes > 20, $"chart {await c.GetAttributeAsync("id")} has content ({shapes} shapes)");
        }
        await AssertChartTextIsReadableAsync(page);
        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var shot = Path.Combine(artifacts, screenshot);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000);
    }
}
