using System.Globalization;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents a <c>val</c> result (<see cref="ValDocument"/>): the run's speed and the model's cost in front, then the
/// task's accuracy as its eval presenter shows it (<see cref="EvalDetPresenter"/>, <see cref="EvalClsPresenter"/>,
/// <see cref="EvalSegPresenter"/>); the report adds the time per image by stage before the accuracy charts.
/// </summary>
public sealed class ValPresenter : IResultPresenter<ValDocument>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static ValPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.Val;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(ValDocument d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return
        [
            new("Images/s", F(d.Speed.ImagesPerS, "0.0"), $"end to end, batch {F(d.Speed.Batch, "0")}"),
            new("Inference", F(d.Speed.InferenceMs, "0.00") + " ms", "per image"),
            .. Accuracy(d, (p, e) => p.Headline(e), (p, e) => p.Headline(e), (p, e) => p.Headline(e)),
            new("Params", Fmt.Si(d.Model.Params), "ONNX initializer elements"),
            new("Dense MACs", Fmt.Si(d.Model.DenseMacs), "per image, static"),
        ];
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(ValDocument d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var s = d.Speed;
        return
        [
            new("dyno val", [new("what"), new("value", ColumnAlign.Right)],
            [
                ["model", Path.GetFileName(d.Model.Path)],
                ["images", Fmt.Int(d.Images) + (d.SkippedImages > 0 ? $" ({d.SkippedImages.ToString(CultureInfo.InvariantCulture)} skipped)" : "")],
                ["params", Fmt.Int(d.Model.Params)],
                ["dense MACs", Fmt.Si(d.Model.DenseMacs)],
                ["preprocess ms/image", Fmt.Num(s.PreprocessMs, 2)],
                ["inference ms/image", Fmt.Num(s.InferenceMs, 2)],
                ["postprocess ms/image", Fmt.Num(s.PostprocessMs, 2)],
                ["images/s (end to end)", Fmt.Num(s.ImagesPerS, 1)],
                ["peak RSS", Fmt.Bytes(s.PeakRssBytes)],
            ]),
            .. Accuracy(d, (p, e) => p.Tables(e), (p, e) => p.Tables(e), (p, e) => p.Tables(e)),
        ];
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(ValDocument d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var s = d.Speed;
        return
        [
            .. Accuracy(d, (p, e) => p.Notes(e), (p, e) => p.Notes(e), (p, e) => p.Notes(e)),
            $"batch {s.Batch.ToString(CultureInfo.InvariantCulture)}, {s.Workers.ToString(CultureInfo.InvariantCulture)} preprocessing worker(s), ONNX Runtime intra-op threads {(s.IntraOpThreads == 0 ? "default" : s.IntraOpThreads.ToString(CultureInfo.InvariantCulture))}",
        ];
    }

    /// <inheritdoc/>
    public ReportSection Section(ValDocument d, string? source, string id)
    {
        ArgumentNullException.ThrowIfNull(d);
        var s = Present.Section(this, d, $"Val ({d.Task}): {Path.GetFileName(d.Model.Path)} on {d.Images.ToString(CultureInfo.InvariantCulture)} images", source);
        string[] stages = ["preprocess", "inference", "postprocess"];
        double[] ms = [d.Speed.PreprocessMs, d.Speed.InferenceMs, d.Speed.PostprocessMs];
        s.Figures.Add(new($"{id}-stages", "Time per image by stage", ChartKit.Bars("Time per image by stage", stages, ms, "ms per image"),
            "Preprocess (decode + resize + normalise) and postprocess (output decoding, NMS, mapping back, metric update) run on other threads, overlapped with inference."));
        s.Figures.AddRange(Accuracy(d, (p, e) => p.Section(e, source, id).Figures, (p, e) => p.Section(e, source, id).Figures, (p, e) => p.Section(e, source, id).Figures));
        s.Notes.Add(d.Speed.Conventions);
        return s;
    }

    /// <summary>What the task's eval presenter gives for the evaluator's document.</summary>
    private static IEnumerable<T> Accuracy<T>(ValDocument d, Func<EvalDetPresenter, DetectionEvaluationDocument, IEnumerable<T>> det,
        Func<EvalClsPresenter, ClassificationDocument, IEnumerable<T>> cls, Func<EvalSegPresenter, SegmentationDocument, IEnumerable<T>> seg) => d switch
    {
        { Detection: { } e } => det(EvalDetPresenter.Instance, e),
        { Classification: { } e } => cls(EvalClsPresenter.Instance, e),
        { Segmentation: { } e } => seg(EvalSegPresenter.Instance, e),
        _ => throw new InvalidOperationException("a val document holds one evaluation"),
    };

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
