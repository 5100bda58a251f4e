using System.Text.Json;

namespace Dyno.Cli.Tests.Commands;

/// <summary><c>dyno demo --html</c> is the report; <c>--out</c> is the formatted output as in every command (the old <c>--out x.html</c> still works, with a warning).</summary>
public class DemoOptionsTests
{
    [Fact]
    public void Html_is_the_report_and_out_the_formatted_summary()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-demo-opts").FullName;
        try
        {
            var html = Path.Combine(dir, "r.html");
            var json = Path.Combine(dir, "s.json");
            var (code, stdout, stderr) = DynoProcess.Run("demo", "--no-bench", "--html", html, "--out", json, "--format", "json");
            Assert.True(code == 0, stderr);
            Assert.Equal("", stdout);
            Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(html), StringComparison.OrdinalIgnoreCase);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal(html, doc.RootElement.GetProperty("report").GetString());
            Assert.DoesNotContain("deprecated", stderr, StringComparison.Ordinal);

            var old = Path.Combine(dir, "old.html");
            var r = DynoProcess.Run("demo", "--no-bench", "--out", old);
            Assert.True(r.Code == 0, r.Stderr);
            Assert.True(File.Exists(old));
            Assert.Contains("dyno demo: warning: --out for the HTML report is deprecated; use --html old.html", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
