using System.CommandLine;
using Dyno.Cli.Infrastructure;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Sections;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno report RESULTS...</c>: one self-contained HTML page (and Markdown) from Dyno JSON results.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("RESULTS") { Description = "Dyno JSON results (profile, bench, eval det/cls/seg/mot, fit, llm).", Arity = ArgumentArity.OneOrMore };
        var html = new Option<FileInfo>("--out", "-o") { Description = "The HTML file to write.", DefaultValueFactory = _ => new FileInfo("dyno-report.html") };
        var md = new Option<FileInfo?>("--md") { Description = "Also write Markdown here (charts as SVG files in a folder beside it)." };
        var title = new Option<string>("--title") { Description = "Report title.", DefaultValueFactory = _ => "Dyno report" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors." };
        var cmd = new Command("report", "Write one self-contained HTML report (styles and charts inline, no network) and optionally Markdown from Dyno JSON results.")
        {
            files, html, md, title, quiet,
        };
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var doc = ReportBuilder.FromFiles(parse.GetValue(files)!.Select(f => f.FullName).ToList(), parse.GetValue(title)!);
            Write(doc, parse.GetValue(html)!, parse.GetValue(md), parse.GetValue(quiet));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    /// <summary>Writes the HTML (and Markdown) files of a report atomically.</summary>
    public static void Write(ReportDocument doc, FileInfo html, FileInfo? md, bool quiet)
    {
        // every folder is checked before anything is written: a report is never half written
        foreach (var f in new[] { html, md })
            if (f?.Directory is { Exists: false } missing)
                throw new DirectoryNotFoundException($"{f.FullName}: the folder '{missing.FullName}' does not exist");
        AtomicFile.WriteAllText(html.FullName, HtmlReportWriter.Render(doc));
        if (!quiet) Console.Error.WriteLine($"dyno: wrote {html.FullName}");
        if (md is null) return;
        var chartDir = Path.Combine(md.DirectoryName ?? ".", Path.GetFileNameWithoutExtension(md.Name) + "_files");
        Directory.CreateDirectory(chartDir);
        AtomicFile.WriteAllText(md.FullName, MarkdownReportWriter.Render(doc, chartDir, Path.GetFileName(chartDir) + "/"));
        if (!quiet) Console.Error.WriteLine($"dyno: wrote {md.FullName}");
    }
}
