using System.Text.Json;
using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Models.Onnx;
using Dyno.Models.Roofline;
using Dyno.Reports.Documents;
using Dyno.Reports.Sections;
using Microsoft.Playwright;

namespace Dyno.Reports.Tests;

/// <summary>Opens a generated report in headless Chromium (Debian's, driven by Playwright) as a reader would.</summary>
public class HtmlReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    internal static string ProfileJson(string example)
    {
        using var model = ExampleModels.Open(example);
        var p = ModelProfiler.Profile(model);
        p = p with { Roofline = RooflineAnalyzer.Analyze(p, HardwareDatabase.BuiltIn().Find("jetson-orin-nano"), Precision.Fp16) };
        return DynoJson.Serialize(p);
    }

    [Fact]
    public async Task ReportLoadsWithoutConsoleErrorsAndEveryChartIsDrawn()
    {
        if (!File.Exists(Chromium))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", ".ci/run must install Debian's chromium for this test");
            return; // a developer machine without chromium: nothing to open the report with
        }
        var dir = Directory.CreateTempSubdirectory("dyno-report").FullName;
        var files = new List<string>();
        foreach (var ex in new[] { "resnet18", "mobilenet_v2" })
        {
            var f = Path.Combine(dir, ex + ".json");
            File.WriteAllText(f, ProfileJson(ex));
            files.Add(f);
        }
        var doc = ReportBuilder.FromFiles(files, "Browser test report");
        var html = Path.Combine(dir, "report.html");
        File.WriteAllText(html, HtmlReportWriter.Render(doc));
        var expectedCharts = doc.Sections.Sum(s => s.Figures.Count);
        Assert.True(expectedCharts >= 8);

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
        Assert.Equal(expectedCharts, charts.Count);
        foreach (var c in charts)
        {
            var box = await c.QuerySelectorAsync("svg");
            Assert.NotNull(box);
            var bounds = await box!.BoundingBoxAsync();
            Assert.True(bounds is { Width: > 100, Height: > 100 }, "chart has a size");
            var shapes = await box.EvaluateAsync<int>("s => s.querySelectorAll('path,rect,circle,line,polyline,text').length");
            Assert.True(shapes > 20, $"chart {await c.GetAttributeAsync("id")} has content ({shapes} shapes)");
        }
        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var shot = Path.Combine(artifacts, "report.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000);
    }
}
