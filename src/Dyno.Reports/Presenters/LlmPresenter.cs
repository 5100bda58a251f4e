using System.Globalization;
using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents an <c>llm</c> result (<see cref="LlmEstimate"/>): the architecture, parameter and FLOP counts, the KV cache,
/// and the traffic of prefill and one decode step with their roofline times on a device.
/// </summary>
public sealed class LlmPresenter : IResultPresenter<LlmEstimate>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static LlmPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.Llm;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(LlmEstimate e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var figures = new List<KeyFigure>();
        var scenario = FormattableString.Invariant($"seq {e.Scenario.Seq}, batch {e.Scenario.Batch}");
        if (e.Roofline is { } roof)
        {
            var where = $"roofline lower bound on {roof.Title} at {HardwareProfile.Key(roof.Precision)}";
            figures.Add(new("Time to first token", F(roof.TimeToFirstTokenSeconds * 1000, "0.###") + " ms", $"{where}; prefill {roof.Prefill.Bound.ToString().ToLowerInvariant()}-bound; {scenario}"));
            figures.Add(new("Tokens/s", F(roof.TokensPerSecond, "0.#"), $"decode, whole batch; {roof.Decode?.Bound.ToString().ToLowerInvariant()}-bound; {F(roof.TokensPerSecondPerSequence, "0.#")} per sequence"));
        }
        figures.Add(new("Parameters", Fmt.Si(e.Params), "all weights, embeddings included"));
        figures.Add(new("Prefill MACs", Fmt.Si(e.MatmulMacs), $"dense matmul MACs of the prompt; {scenario}"));
        figures.Add(new("FLOPs / token", Fmt.Si(e.FlopsPerToken), "one decode step"));
        figures.Add(new("KV cache", Fmt.Bytes(e.KvCacheBytes), "at the sequence length"));
        return figures;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(LlmEstimate e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var c = e.Architecture;
        var s = e.Scenario;
        var decoder = c.Kind == TransformerKind.Decoder;
        string P(Precision p) => HardwareProfile.Key(p);
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "model", $"{e.Model} ({c.Kind.ToString().ToLowerInvariant()}: {c.Layers} layers, hidden {c.Hidden}, {c.Heads} heads / {c.KvHeads} kv, head_dim {c.HeadDim}, intermediate {c.Intermediate}, vocab {c.Vocab})" },
            new[] { "workload", $"seq {s.Seq}, batch {s.Batch}" + (decoder ? $", context {s.Context}" : "") },
            new[] { "precisions", $"compute {P(s.Compute)}, weights {P(s.Weights)}, activations {P(s.Activations)}, KV cache {P(s.KvCache)}" },
            new[] { "params", $"{Fmt.Int(e.Params)} ({Fmt.Si(e.Params)})" },
            new[] { "matmul params (N)", Fmt.Int(e.MatmulParams) },
            new[] { "weights", Fmt.Bytes(e.WeightBytes) },
            new[] { "matmul MACs (prefill)", Fmt.Int(e.MatmulMacs) },
            new[] { "FLOPs prefill", Fmt.Int(e.FlopsPrefill) },
            new[] { "FLOPs prefill, causal", Fmt.Int(e.FlopsPrefillCausal) },
            new[] { decoder ? "FLOPs per decoded token" : "FLOPs per token", Count(e.FlopsPerToken) },
            new[] { "FLOPs per token, mean / causal mean", $"{Fmt.Si(e.FlopsPerTokenMean)} / {Fmt.Si(e.FlopsPerTokenMeanCausal)}" },
            new[] { "training FLOPs per token (6N + 12LHQT)", Fmt.Int(e.TrainingFlopsPerToken) },
        };
        if (decoder)
            rows.Add(["KV cache", $"{Fmt.Bytes(e.KvCacheBytes)} ({Fmt.Bytes(e.KvCacheBytesPerToken)} per token)"]);
        var summary = new ResultTable("LLM", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)], rows);

        var steps = new List<(string Name, StepCost Cost, RooflineTime? Time)> { (decoder ? "prefill" : "forward", e.Prefill, e.Roofline?.Prefill) };
        if (e.Decode is not null) steps.Add(("decode step", e.Decode, e.Roofline?.Decode));
        var roofCols = new List<ResultColumn>
        {
            new("Step"), new("Tokens", ColumnAlign.Right), new("FLOPs", ColumnAlign.Right), new("Weights", ColumnAlign.Right),
            new("Activations", ColumnAlign.Right), new("KV read", ColumnAlign.Right), new("KV write", ColumnAlign.Right), new("FLOP/B", ColumnAlign.Right),
        };
        if (e.Roofline is not null)
            roofCols.AddRange([new("Compute time", ColumnAlign.Right), new("Memory time", ColumnAlign.Right), new("Bound time", ColumnAlign.Right), new("Bound")]);
        var traffic = new ResultTable(e.Roofline is null ? "Traffic per step" : $"Roofline on {e.Roofline.Title} at {P(e.Roofline.Precision)}", roofCols,
            steps.Select(x =>
            {
                var row = new List<string>
                {
                    x.Name, Fmt.Int(x.Cost.Tokens), Fmt.Si(x.Cost.Flops), Fmt.Bytes(x.Cost.WeightBytes), Fmt.Bytes(x.Cost.ActivationBytes),
                    Fmt.Bytes(x.Cost.KvCacheReadBytes), Fmt.Bytes(x.Cost.KvCacheWriteBytes), Fmt.Num(x.Cost.ArithmeticIntensity, 1),
                };
                if (x.Time is { } t) row.AddRange([Seconds(t.ComputeSeconds), Seconds(t.MemorySeconds), Seconds(t.Seconds), t.Bound.ToString().ToLowerInvariant()]);
                return (IReadOnlyList<string>)row;
            }).ToList());
        if (e.Roofline is { } r)
        {
            var notes = new List<string> { $"peak {Fmt.Si(r.PeakFlops, "FLOP/s")}, bandwidth {Fmt.Si(r.BandwidthBytesPerSecond, "B/s")}, ridge {Fmt.Num(r.Ridge, 1)} FLOP/B" };
            notes.Add((decoder ? "time to first token " : "forward latency ") + Seconds(r.TimeToFirstTokenSeconds)
                      + (r.TokensPerSecond is { } tps ? $"; {tps.ToString("0.#", CultureInfo.InvariantCulture)} tokens/s ({r.TokensPerSecondPerSequence!.Value.ToString("0.#", CultureInfo.InvariantCulture)} per sequence)" : ""));
            traffic = traffic with { Notes = notes };
        }
        return [summary, traffic];
    }

    private static string Count(double v) => v == Math.Floor(v) ? Fmt.Int((long)v) : v.ToString("N1", CultureInfo.InvariantCulture);

    private static string Seconds(double s) => s >= 1 ? Fmt.Num(s, 3) + " s" : s >= 1e-3 ? Fmt.Num(s * 1e3, 3) + " ms" : Fmt.Num(s * 1e6, 3) + " µs";

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(LlmEstimate e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Notes;
    }

    /// <inheritdoc/>
    public ReportSection Section(LlmEstimate e, string? source, string id)
    {
        ArgumentNullException.ThrowIfNull(e);
        var s = Present.Section(this, e, $"Transformer: {e.Model}", source);
        foreach (var (key, text) in e.Conventions) s.Notes.Add($"{key.Replace('_', ' ')}: {text}");
        return s;
    }

    private static string F(double? v, string format) => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
}
