using Microsoft.Playwright;

namespace Dyno.Cli.Tests;

/// <summary>
/// The reports opened in headless Chromium (Debian's, driven by Playwright) as a reader would: the demo's
/// report (profile, roofline, benchmark, COCO evaluation) and a report of profile and fit results.
/// </summary>
public class ReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
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

    [Fact]
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

    private static async Task AssertRendersAsync(string html, int minCharts, string screenshot)
    {
        if (!File.Exists(Chromium))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", ".ci/run must install Debian's chromium for this test");
            return; // a developer machine without chromium: nothing to open the report with
        }
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 1000 } });
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
        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var shot = Path.Combine(artifacts, screenshot);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000);
    }
}
