using System.Globalization;
using Dyno.Models.Hardware;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents a <c>fit</c> result (<see cref="FitResult"/>): the memory budget (weights, peak activations, runtime overhead,
/// margin) against the device's memory at each batch checked.
/// </summary>
/// <param name="model">The model's source, for the table's title (the document does not hold it); null in reports.</param>
/// <param name="deviceTitle">The device's full name, for the title (the document holds its database name); null: that name.</param>
public sealed class FitPresenter(string? model = null, string? deviceTitle = null) : IResultPresenter<FitResult>
{
    /// <summary>The presenter of report sections (the document alone).</summary>
    public static FitPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.Fit;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(FitResult d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var figures = new List<KeyFigure> { new("Fits", d.Fits ? "yes" : "no", "weights + peak activations + overhead, with margin") };
        if (d.Results.Count > 0)
        {
            var last = d.Results[^1];
            figures.Add(new("Required", Fmt.Bytes(last.RequiredBytes), $"batch {last.Batch}, of {Fmt.Bytes(last.DeviceMemoryBytes)} ({Fmt.Pct(last.Utilization)})"));
            if (last.MaxBatchEstimate is { } mb) figures.Add(new("Max batch", mb.ToString(CultureInfo.InvariantCulture), "linear estimate from batch 1"));
        }
        return figures;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(FitResult d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var reports = d.Results;
        var title = $"{model ?? "Memory"} on {deviceTitle ?? d.Device} at {d.Precision}";
        return
        [
            new ResultTable(title,
                [new ResultColumn("Quantity"), .. reports.Select(r => new ResultColumn($"batch {r.Batch}", ColumnAlign.Right))],
                [
                    ["weights", .. reports.Select(r => Fmt.Bytes(r.WeightBytes))],
                    ["peak activations", .. reports.Select(r => Fmt.Bytes(r.PeakActivationBytes))],
                    ["runtime overhead", .. reports.Select(r => Fmt.Bytes(r.RuntimeOverheadBytes))],
                    ["safety margin", .. reports.Select(r => Fmt.Pct(r.SafetyMargin, 0))],
                    ["required", .. reports.Select(r => Fmt.Bytes(r.RequiredBytes))],
                    ["device memory", .. reports.Select(r => Fmt.Bytes(r.DeviceMemoryBytes))],
                    ["utilization", .. reports.Select(r => Fmt.Pct(r.Utilization))],
                    ["fits", .. reports.Select(r => r.Fits ? "yes" : "NO")],
                    ["max batch (linear estimate)", .. reports.Select(r => r.MaxBatchEstimate?.ToString(CultureInfo.InvariantCulture) ?? "-")],
                ])
            { Notes = ["required = (weights + peak activations + runtime overhead) x (1 + margin); activations from liveness over the execution order (docs/hardware.md)."] },
        ];
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(FitResult d) => [];

    /// <inheritdoc/>
    public ReportSection Section(FitResult d, string? source, string id)
    {
        ArgumentNullException.ThrowIfNull(d);
        return Present.Section(this, d, $"Fit on {d.Device} at {d.Precision}", source);
    }
}
