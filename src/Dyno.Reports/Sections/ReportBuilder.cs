using System.Text.Json;
using Dyno.Models.Analysis;
using Dyno.Metrics.Assignment;
using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Results;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Generation;
using Dyno.Runtime.Matrix;

namespace Dyno.Reports.Sections;

/// <summary>Turns Dyno result documents into report sections, dispatching on their <c>kind</c>.</summary>
public static class ReportBuilder
{
    /// <summary>The kind of a Dyno result document: its <c>kind</c>, or for a legacy file the kind its keys show (<see cref="ResultLoader"/>).</summary>
    public static string KindOf(JsonElement r) => ResultLoader.FromElement(r, null).Kind;

    /// <summary>Builds the section for one result document.</summary>
    public static ReportSection Section(JsonElement r, string? source, int index) => Section(ResultLoader.FromElement(r, source), index);

    /// <summary>
    /// Builds the section for one loaded result: the presenter of its kind over its typed document, or for a kind
    /// without one (an unknown kind: calibrate, hardware, demo...), <see cref="GenericSection"/>: every number by its dotted key.
    /// </summary>
    /// <exception cref="InvalidDataException">A result of a presented kind whose JSON does not have that kind's shape (legacy files get the generic table instead).</exception>
    public static ReportSection Section(LoadedResult r, int index)
    {
        var id = $"r{index}";
        return r.Kind switch
        {
            ResultKinds.Profile => Typed<ModelProfile>(r, id, ProfilePresenter.Report),
            ResultKinds.Bench => Typed<BenchResult>(r, id, BenchPresenter.Instance),
            ResultKinds.EvalDet => Typed<DetectionEvaluationDocument>(r, id, EvalDetPresenter.Instance),
            ResultKinds.EvalCls => Typed<ClassificationDocument>(r, id, EvalClsPresenter.Instance),
            ResultKinds.EvalSeg => Typed<SegmentationDocument>(r, id, EvalSegPresenter.Instance),
            ResultKinds.EvalMot => Typed<MotReport>(r, id, EvalMotPresenter.Instance),
            ResultKinds.Compare => Typed<Comparison>(r, id, ComparePresenter.Instance),
            ResultKinds.Fit => Typed<FitResult>(r, id, FitPresenter.Instance),
            ResultKinds.Llm => Typed<LlmEstimate>(r, id, LlmPresenter.Instance),
            ResultKinds.Anchors => Typed<AnchorReport>(r, id, AnchorsPresenter.Instance),
            ResultKinds.BenchGenerate => Typed<GenerationBenchResult>(r, id, GenerationPresenter.Instance),
            ResultKinds.Matrix => Typed<MatrixResult>(r, id, MatrixPresenter.Instance),
            ResultKinds.Val => Typed<ValDocument>(r, id, ValPresenter.Instance),
            _ => GenericSection.Build(r.Root, r.Source, r.Kind, $"{r.Kind}: {r.Source ?? "result"}"),
        };
    }

    private static ReportSection Typed<T>(LoadedResult r, string id, IResultPresenter<T> presenter) where T : class
    {
        if (!r.Legacy) return presenter.Section(r.As<T>(), r.Source, id);
        // LEGACY: a file from before the contract whose keys differ from this build's document is shown as numbers
        if (r.TryAs<T>(out var error) is { } typed) return presenter.Section(typed, r.Source, id);
        var s = GenericSection.Build(r.Root, r.Source, r.Kind, $"{r.Kind}: {r.Source ?? "result"}");
        s.Notes.Add($"shown as a table of numbers: {error}");
        return s;
    }

    /// <summary>Reads result files into a report.</summary>
    public static ReportDocument FromFiles(IReadOnlyList<string> paths, string title)
    {
        var doc = new ReportDocument { Title = title };
        for (var i = 0; i < paths.Count; i++)
        {
            var result = ResultLoader.Load(paths[i]);
            try
            {
                doc.Sections.Add(Section(result, i));
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(paths[i], StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{paths[i]}: {e.Message}", e);
            }
        }
        return doc;
    }
}
