using System.Text;
using Dyno.Cli.Infrastructure;
using Dyno.Metrics.Assignment;
using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Reports.Sections;
using Dyno.Results;
using Dyno.Runtime.Benchmark;

namespace Dyno.Cli.Tests;

/// <summary>
/// The presenters (issue 12): each converted kind's JSON reads back into its typed document without losing a byte, the
/// report section and the console tables come from one presenter, and files that do not fit the document are told apart
/// (a legacy file falls back to the table of numbers, a stamped one is an error naming the file and the key).
/// </summary>
public sealed class PresenterTests
{
    private static readonly string Snapshots = Path.Combine(AppContext.BaseDirectory, "fixtures", "results", "snapshots");
    private static readonly string Recorded = Path.Combine(AppContext.BaseDirectory, "fixtures", "results", "recorded");

    private static string Reserialize<T>(LoadedResult r) where T : class => DynoJson.Serialize(r.As<T>());

    /// <summary>
    /// Reads a pinned document of <paramref name="kind"/>, checks that it re-serializes as <typeparamref name="T"/> byte for
    /// byte and that its report section (index 0) shows <paramref name="tables"/>, the presenter's tables; returns both.
    /// The snapshots hold the payload alone; the recorded files are whole documents, with <c>kind</c> and <c>schema</c>.
    /// </summary>
    private static (T Doc, ReportSection Section) ReadBack<T>(string path, string kind, Func<T, IReadOnlyList<ResultTable>> tables) where T : class
    {
        var stamped = Path.GetDirectoryName(path) == Recorded;
        var text = File.ReadAllText(path);
        var loaded = ResultLoader.Parse(Encoding.UTF8.GetBytes(text), Path.GetFileName(path));
        Assert.Equal(kind, loaded.Kind);
        var doc = loaded.As<T>();
        Assert.Equal(text.TrimEnd('\n'), stamped ? new ResultDocument(kind, doc).ToJson() : DynoJson.Serialize(doc));
        var section = ReportBuilder.Section(loaded, 0);
        Assert.Equal(tables(doc).Select(t => t.ToMarkdown()), section.Tables.Select(t => t.ToMarkdown()));
        return (doc, section);
    }

    [Theory]
    [InlineData("profile")]
    [InlineData("profile-roofline")]
    public void Profile_snapshots_read_back_as_ModelProfile_byte_for_byte(string name)
    {
        var text = File.ReadAllText(Path.Combine(Snapshots, name + ".json"));
        var loaded = ResultLoader.Parse(Encoding.UTF8.GetBytes(text), name);
        Assert.Equal(ResultKinds.Profile, loaded.Kind);
        Assert.Equal(text.TrimEnd('\n'), Reserialize<ModelProfile>(loaded));
    }

    [Theory]
    [InlineData("eval-det")]
    [InlineData("eval-det-extras")]
    public void Detection_snapshots_read_back_as_their_document_byte_for_byte(string name)
    {
        var text = File.ReadAllText(Path.Combine(Snapshots, name + ".json"));
        var loaded = ResultLoader.Parse(Encoding.UTF8.GetBytes(text), name);
        Assert.Equal(ResultKinds.EvalDet, loaded.Kind);
        Assert.Equal(text.TrimEnd('\n'), Reserialize<DetectionEvaluationDocument>(loaded));
    }

    [Fact]
    public void Classification_and_segmentation_snapshots_read_back_byte_for_byte_and_present()
    {
        var cls = ResultLoader.Parse(File.ReadAllBytes(Path.Combine(Snapshots, "eval-cls.json")), "eval-cls.json");
        Assert.Equal(File.ReadAllText(Path.Combine(Snapshots, "eval-cls.json")).TrimEnd('\n'), Reserialize<ClassificationDocument>(cls));
        var clsDoc = cls.As<ClassificationDocument>();
        var clsSection = ReportBuilder.Section(cls, 1);
        Assert.Equal(EvalClsPresenter.Instance.Tables(clsDoc).Select(t => t.ToMarkdown()), clsSection.Tables.Select(t => t.ToMarkdown()));
        Assert.Equal(["r1-f1", "r1-confusion", "r1-reliability"], clsSection.Figures.Select(f => f.Id));
        // the definitions column is said by the presenter from the key and the document (bins, beta)
        Assert.Equal("expected calibration error of the top-1 confidence, 10 equal-width bins", EvalClsPresenter.Definition("ece", clsDoc));
        Assert.Equal("F1, unweighted mean over classes", EvalClsPresenter.Definition("f1_macro", clsDoc));

        var seg = ResultLoader.Parse(File.ReadAllBytes(Path.Combine(Snapshots, "eval-seg.json")), "eval-seg.json");
        Assert.Equal(File.ReadAllText(Path.Combine(Snapshots, "eval-seg.json")).TrimEnd('\n'), Reserialize<SegmentationDocument>(seg));
        var segSection = ReportBuilder.Section(seg, 2);
        Assert.Equal(EvalSegPresenter.Instance.Tables(seg.As<SegmentationDocument>()).Select(t => t.ToMarkdown()), segSection.Tables.Select(t => t.ToMarkdown()));
        Assert.Equal(["r2-iou", "r2-confusion"], segSection.Figures.Select(f => f.Id));
    }

    [Fact]
    public void Tracking_snapshot_reads_back_as_a_MotReport_byte_for_byte_and_presents()
    {
        var (mot, section) = ReadBack<MotReport>(Path.Combine(Snapshots, "eval-mot.json"), ResultKinds.EvalMot, EvalMotPresenter.Instance.Tables);
        Assert.Equal(["r0-hota"], section.Figures.Select(f => f.Id));
        Assert.Equal(mot.Metrics.IDSW.ToString(System.Globalization.CultureInfo.InvariantCulture), section.KeyFigures.Single(f => f.Label == "IDSW").Value);
    }

    [Fact]
    public void Compare_snapshot_reads_back_as_a_Comparison_byte_for_byte_and_presents()
    {
        var (cmp, section) = ReadBack<Comparison>(Path.Combine(Snapshots, "compare.json"), ResultKinds.Compare, ComparePresenter.Instance.Tables);
        Assert.Equal(cmp.Baseline, section.KeyFigures.Single(f => f.Label == "Baseline").Value);
        Assert.Equal("12.5 (+0.5, +4.2%)", ComparePresenter.Cell(12.5, 0.5 / 12, 0.5));
    }

    [Fact]
    public void Fit_snapshot_reads_back_as_a_FitResult_byte_for_byte_and_presents()
    {
        var (fit, section) = ReadBack<FitResult>(Path.Combine(Snapshots, "fit.json"), ResultKinds.Fit, FitPresenter.Instance.Tables);
        Assert.Equal("Fit on jetson-orin-nano at fp16", section.Title);
        Assert.Equal(fit.Fits ? "yes" : "no", section.KeyFigures.Single(f => f.Label == "Fits").Value);
        // the console's title names the model and the device as the command knows them
        var table = new FitPresenter("resnet50", "NVIDIA Jetson Orin Nano 8GB").Tables(fit).Single();
        Assert.Equal("resnet50 on NVIDIA Jetson Orin Nano 8GB at fp16", table.Title);
        Assert.Equal(["batch 1", "batch 8"], table.Columns.Skip(1).Select(c => c.Header));
        Assert.Equal(["required", Fmt.Bytes(fit.Results[0].RequiredBytes), Fmt.Bytes(fit.Results[1].RequiredBytes)], table.Rows.Single(r => r[0] == "required"));
    }

    [Fact]
    public void Llm_snapshot_reads_back_as_an_LlmEstimate_byte_for_byte_and_presents()
    {
        var (llm, section) = ReadBack<LlmEstimate>(Path.Combine(Snapshots, "llm.json"), ResultKinds.Llm, LlmPresenter.Instance.Tables);
        Assert.Equal(["LLM", "Roofline on NVIDIA H100 SXM5 80GB at fp16"], section.Tables.Select(t => t.Title));
        Assert.Equal(Fmt.Si(llm.Params), section.KeyFigures.Single(f => f.Label == "Parameters").Value);
        Assert.Equal((llm.Roofline!.Prefill.Seconds * 1000).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " ms",
            section.KeyFigures.Single(f => f.Label == "Time to first token").Value);
        Assert.Contains(section.Notes, n => n.StartsWith("kv cache bytes: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Anchors_snapshot_reads_back_as_an_AnchorReport_byte_for_byte_and_presents()
    {
        var (anchors, section) = ReadBack<AnchorReport>(Path.Combine(Snapshots, "anchors.json"), ResultKinds.Anchors, AnchorsPresenter.Instance.Tables);
        Assert.Equal(3, section.Tables.Count); // assignment, configuration, the fit
        Assert.Equal(anchors.Bpr.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture), section.KeyFigures.Single(f => f.Label == "Best possible recall").Value);
        Assert.Contains("Ready-to-paste (YOLOv5 model YAML):", section.Notes);
    }

    [Theory]
    [InlineData("bench-generate", new[] { "r0-itl" })]
    [InlineData("bench-generate-sweep", new[] { "r0-itl", "r0-batch" })]
    public void Generation_documents_read_back_as_GenerationBenchResult_byte_for_byte_and_present(string name, string[] figures)
    {
        var (gen, section) = ReadBack<Dyno.Runtime.Generation.GenerationBenchResult>(Path.Combine(Recorded, name + ".json"), ResultKinds.BenchGenerate, GenerationPresenter.Instance.Tables);
        Assert.Equal(figures, section.Figures.Select(f => f.Id).Where(id => id != "r0-pred"));
        Assert.Equal(gen.Generation.Predicted is not null, section.Figures.Any(f => f.Id == "r0-pred"));
        Assert.Equal(gen.Generation.TtftMs.P50.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " ms",
            section.KeyFigures.Single(f => f.Label == "Time to first token").Value);
        Assert.Equal(gen.Sweep.Count > 1 ? 3 : 2, section.Tables.Count); // summary, latency, the sweep when there is one
    }

    [Fact]
    public void Matrix_document_reads_back_as_a_MatrixResult_byte_for_byte_and_presents()
    {
        var (matrix, section) = ReadBack<Dyno.Runtime.Matrix.MatrixResult>(Path.Combine(Recorded, "matrix.json"), ResultKinds.Matrix, MatrixPresenter.Instance.Tables);
        Assert.Equal(["r0-pareto"], section.Figures.Select(f => f.Id));
        Assert.Equal(matrix.Rows.Count, section.Tables.Single().Rows.Count);
        Assert.Equal($"{matrix.Baseline} (baseline)", section.Tables.Single().Rows.Single(r => r[0].EndsWith("(baseline)", StringComparison.Ordinal))[0]);
        var fastest = matrix.Rows.MinBy(r => r.LatencyMs.P50)!;
        Assert.Equal(fastest.Name, section.KeyFigures.Single(f => f.Label == "Fastest p50").Note);
    }

    [Theory]
    [InlineData("val-det", "detection", "r0-stages,r0-cats,r0-iou,r0-pr")]
    [InlineData("val-cls", "classification", "r0-stages,r0-f1,r0-confusion,r0-reliability")]
    [InlineData("val-seg", "segmentation", "r0-stages,r0-iou,r0-confusion")]
    public void Val_documents_read_back_as_a_ValDocument_byte_for_byte_and_present(string name, string task, string figures)
    {
        var (val, section) = ReadBack<ValDocument>(Path.Combine(Recorded, name + ".json"), ResultKinds.Val, ValPresenter.Instance.Tables);
        Assert.Equal(task, val.Task);
        var tables = ValPresenter.Instance.Tables(val);
        Assert.Equal(figures.Split(','), section.Figures.Select(f => f.Id));
        // the speed table first, then the task's accuracy exactly as its eval presenter shows it
        Assert.Equal("dyno val", tables[0].Title);
        Assert.Equal(Fmt.Num(val.Speed.InferenceMs, 2), tables[0].Rows.Single(r => r[0] == "inference ms/image")[1]);
        var accuracy = val.Evaluation switch
        {
            DetectionEvaluationDocument d => EvalDetPresenter.Instance.Tables(d),
            ClassificationDocument c => EvalClsPresenter.Instance.Tables(c),
            SegmentationDocument g => EvalSegPresenter.Instance.Tables(g),
            _ => throw new InvalidOperationException(),
        };
        Assert.Equal(accuracy.Select(t => t.ToMarkdown()), tables.Skip(1).Select(t => t.ToMarkdown()));
        Assert.Equal(val.Speed.ImagesPerS.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), section.KeyFigures.Single(f => f.Label == "Images/s").Value);
    }

    [Fact]
    public void The_section_and_the_console_show_the_same_presenter_tables()
    {
        var loaded = ResultLoader.Parse(File.ReadAllBytes(Path.Combine(Snapshots, "eval-det-extras.json")), "eval-det-extras.json");
        var doc = loaded.As<DetectionEvaluationDocument>();
        var section = ReportBuilder.Section(loaded, 0);
        var tables = EvalDetPresenter.Instance.Tables(doc);
        Assert.Equal(tables.Select(t => t.Title), section.Tables.Select(t => t.Title));
        Assert.Equal(tables.Select(t => t.ToMarkdown()), section.Tables.Select(t => t.ToMarkdown()));
        Assert.Equal(doc.Stats["AP"].ToString("0.####", System.Globalization.CultureInfo.InvariantCulture), section.KeyFigures.Single(f => f.Label == "AP").Value);
        Assert.Contains(section.Figures, f => f.Title == "F1–confidence curve");
        Assert.Contains(section.Figures, f => f.Title == "Detection confusion matrix");

        var output = CommandOutput.Of(EvalDetPresenter.Instance, doc);
        var console = output.RenderPlainTables(200);
        foreach (var t in tables) Assert.Contains(t.Title, console);
        Assert.Equal(ResultKinds.EvalDet, output.Kind);
    }

    [Fact]
    public void Bench_reads_back_as_BenchResult_byte_for_byte_and_presents()
    {
        var result = InferenceBenchmark.Run(ModelSource.Embedded("resnet18"), new BenchOptions
        {
            IntraOpThreads = 1, Iterations = 3, MaxWarmupSeconds = 0.5, InputPool = 1, ProfileIterations = 2,
        });
        var json = new ResultDocument(ResultKinds.Bench, result).ToJson();
        var loaded = ResultLoader.Parse(Encoding.UTF8.GetBytes(json), "bench.json");
        var typed = loaded.As<BenchResult>();
        Assert.Equal(json, new ResultDocument(ResultKinds.Bench, typed).ToJson());

        var section = ReportBuilder.Section(loaded, 3);
        Assert.Equal("bench", section.Kind);
        Assert.Equal(BenchPresenter.Instance.Tables(typed).Select(t => t.ToMarkdown()), section.Tables.Select(t => t.ToMarkdown()));
        Assert.Equal(typed.LatencyMs.P50.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " ms", section.KeyFigures.Single(f => f.Label == "Latency p50").Value);
        Assert.Contains(section.Figures, f => f.Id == "r3-hist");
        Assert.Contains(section.Figures, f => f.Id == "r3-ops");
    }

    [Fact]
    public void A_file_that_does_not_fit_its_document_is_an_error_or_for_legacy_files_a_table_of_numbers()
    {
        var stamped = ResultLoader.Parse("""{"kind": "profile", "schema": 1, "model": {"source": "m.onnx"}, "totals": {"dense_macs": "many"}}"""u8.ToArray(), "bad.json");
        var e = Assert.Throws<InvalidDataException>(() => ReportBuilder.Section(stamped, 0));
        Assert.StartsWith("bad.json: not a readable 'profile' result", e.Message);
        Assert.Contains("missing required properties", e.Message); // names the keys it lacks
        var wrongType = ResultLoader.Parse("""{"kind": "eval-det", "schema": 1, "stats": {"AP": "high"}}"""u8.ToArray(), "det.json");
        e = Assert.Throws<InvalidDataException>(() => ReportBuilder.Section(wrongType, 0));
        Assert.Equal("det.json: 'stats.AP' is string \"high\", expected a number", e.Message);

        var legacy = ResultLoader.Parse("""{"stats": {"AP": 0.5}, "per_category": []}"""u8.ToArray(), "old.json");
        var section = ReportBuilder.Section(legacy, 0);
        Assert.Equal(ResultKinds.EvalDet, section.Kind);
        Assert.Contains(section.Tables.Single().Rows, r => r[0] == "stats.AP" && r[1] == "0.5");
        Assert.Contains(section.Notes, n => n.StartsWith("shown as a table of numbers: old.json: not a readable 'eval-det' result", StringComparison.Ordinal));
    }

    [Fact]
    public void In_process_documents_are_presented_without_a_round_trip()
    {
        using var model = Dyno.Models.Onnx.ExampleModels.Open("resnet18");
        var profile = ModelProfiler.Profile(model);
        var loaded = ResultLoader.FromDocument(new ResultDocument(ResultKinds.Profile, profile), "demo");
        Assert.Same(profile, loaded.As<ModelProfile>());
        var section = ReportBuilder.Section(loaded, 0);
        Assert.Equal($"Profile: {profile.Model.Source}", section.Title);
        Assert.Equal(ProfilePresenter.Report.Tables(profile).Select(t => t.Title), section.Tables.Select(t => t.Title));
        Assert.Contains(section.Tables, t => t.Title == $"Top 20 of {profile.Nodes.Count} nodes by flops");
    }
}
