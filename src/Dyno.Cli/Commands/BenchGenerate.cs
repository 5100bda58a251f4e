using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Reports;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Generation;
using Dyno.Runtime.Statistics;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno bench MODEL --generate</c>: measured greedy decoding of a decoder with a KV cache (argument parsing and output only).</summary>
internal sealed class BenchGenerate
{
    public Option<bool> Generate { get; } = new("--generate") { Description = "Measure greedy token generation of a decoder-only model with a KV cache (Optimum/onnxruntime-genai layout; MODEL may be its directory): TTFT, TPOT, ITL, tokens/s, and the dyno llm roofline prediction." };
    public Option<FileInfo?> Prompts { get; } = new("--prompts") { Description = "--generate: a JSON list of token-id lists (unpadded) forming one batch, left-padded by Dyno; default: random prompts of --prompt-len and --batch." };
    public Option<string> PromptLen { get; } = new("--prompt-len") { Description = "--generate: prompt lengths to sweep, e.g. 32,128.", DefaultValueFactory = _ => "128" };
    public Option<string> GenLen { get; } = new("--gen-len") { Description = "--generate: tokens to generate per prompt, a list to sweep.", DefaultValueFactory = _ => "128" };
    public Option<int> Warmup { get; } = new("--warmup-generations") { Description = "--generate: untimed generations per point before the timed ones.", DefaultValueFactory = _ => 1 };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Generate);
        cmd.Options.Add(Prompts);
        cmd.Options.Add(PromptLen);
        cmd.Options.Add(GenLen);
        cmd.Options.Add(Warmup);
    }

    /// <summary>Runs the generation benchmark; <paramref name="session"/> carries the session, batch, iteration and time options parsed by <c>bench</c>.</summary>
    public int Run(ParseResult parse, CommonOptions common, FileInfo? model, BenchOptions session, bool noCalibration, bool quiet,
        Func<Func<IProgress<BenchProgress>?, GenerationBenchResult>, GenerationBenchResult> withProgress)
    {
        if (model is null) throw new UsageException("--generate needs a MODEL: an ONNX decoder file or its directory");
        var promptsFile = parse.GetValue(Prompts);
        if (promptsFile is not null && parse.GetResult(PromptLen) is { Implicit: false })
            throw new UsageException("give --prompts FILE or --prompt-len, not both (the file fixes the prompts and their lengths)");
        if (promptsFile is not null && session.Batches is not [1])
            throw new UsageException("give --prompts FILE or --batch, not both (the file's prompts form the batch)");
        var prompts = promptsFile is null ? null : PromptFile.Load(promptsFile.FullName);
        var options = new GenerationOptions
        {
            Session = session, Prompts = prompts, PromptsSource = promptsFile?.FullName,
            PromptLengths = Lengths("--prompt-len", parse.GetValue(PromptLen)!), Batches = session.Batches, GenLengths = Lengths("--gen-len", parse.GetValue(GenLen)!),
            Iterations = session.Iterations, MaxTimeSeconds = session.MaxTimeSeconds, TargetRelativeCi = session.TargetRelativeCi,
            WarmupGenerations = parse.GetValue(Warmup), Seed = session.Seed,
        };
        if (options.WarmupGenerations < 1) throw new UsageException("--warmup-generations must be at least 1");
        var calibration = noCalibration
            ? MachineCalibration.LoadCached()
            : MachineCalibration.LoadOrMeasure(quiet ? null : s => Console.Error.WriteLine("dyno: " + s));
        var result = withProgress(p => GenerationBenchmark.Run(model.FullName, options, calibration, p));
        if (!quiet)
            foreach (var w in result.Warnings) Console.Error.WriteLine("dyno: warning: " + CliFlags.Phrase(w));
        common.Emit(parse, new CommandOutput(ResultKinds.BenchGenerate, result, Tables(result), result.Notes));
        return CommandRunner.Ok;
    }

    private static IReadOnlyList<int> Lengths(string option, string s)
    {
        var list = new List<int>();
        foreach (var part in s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new UsageException($"{option} {s}: '{part}' is not a positive integer (expected e.g. 32,128)");
            list.Add(n);
        }
        if (list.Count == 0) throw new UsageException($"{option}: give at least one length");
        return list;
    }

    private static string Ms(double? v) => v is { } x ? Fmt.Num(x, x >= 100 ? 1 : x >= 1 ? 3 : 4) : "";

    private static IReadOnlyList<ResultTable> Tables(GenerationBenchResult r)
    {
        var g = r.Generation;
        var p = g.Predicted;
        var summary = new ResultTable($"Generation, batch {g.Batch}, prompt {g.PromptLength}, {g.GenLength} new tokens ({g.Runs} timed generations, stop: {g.StopReason})",
            [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            [
                ["model", $"{r.Model.Source} ({r.Model.Layers} layers, {r.Model.KvHeads} kv heads x {r.Model.HeadDim}, vocab {r.Model.Vocab})"],
                ["TTFT p50 (ms)", Ms(g.TtftMs.P50) + Ci(g.TtftMs)],
                ["TPOT p50 (ms)", Ms(g.TpotMs?.P50) + Ci(g.TpotMs)],
                ["decode tokens/s", g.DecodeTokensPerS is { } d ? Fmt.Num(d, 2) : ""],
                ["end-to-end tokens/s", Fmt.Num(g.E2eTokensPerS, 2)],
                ["predicted TTFT / TPOT (ms)", p is null ? "(no prediction)" : $"{Ms(p.TtftMs)} ({HardwareText.Bound(p.PrefillBound)}-bound) / {Ms(p.TpotMs)} ({(p.DecodeBound is { } db ? HardwareText.Bound(db) : "")}-bound)"],
                ["measured / predicted", p is null ? "" : $"TTFT {Fmt.Num(p.TtftMeasuredOverPredicted, 2)}x, TPOT {(p.TpotMeasuredOverPredicted is { } x ? Fmt.Num(x, 2) + "x" : "")}"],
                ["KV cache held", Fmt.Bytes(g.KvCacheBytes) + $" (buffers {Fmt.Bytes(g.KvCacheBufferBytes)})"],
                ["harness overhead per token", g.HarnessOverheadMsPerToken is { } h ? $"{Fmt.Num(h * 1000, 2)} us ({Fmt.Num(100 * (g.HarnessOverheadShareOfTpot ?? 0), 3)}% of the median ITL)" : ""],
                ["ITL slope", g.ItlSlopeMsPer1kContext is { } s ? $"{Fmt.Num(s, 3)} ms per 1k tokens of context" : ""],
                ["cold start (ms)", $"process {Ms(r.ColdStartMs.ProcessStart)} + load {Ms(r.ColdStartMs.ModelLoad)} + session {Ms(r.ColdStartMs.SessionCreate)} + first token {Ms(r.ColdStartMs.FirstToken)} = {Ms(r.ColdStartMs.Total)}"],
                ["peak RSS", Fmt.Bytes(r.PeakRssBytes)],
            ]);
        var latency = new ResultTable("Latency (ms)", [new ResultColumn("Metric"), new ResultColumn("p50", ColumnAlign.Right), new ResultColumn("p90", ColumnAlign.Right),
                new ResultColumn("p99", ColumnAlign.Right), new ResultColumn("mean", ColumnAlign.Right), new ResultColumn("samples", ColumnAlign.Right)],
            new (string, LatencyStats?)[] { ("TTFT", g.TtftMs), ("TPOT", g.TpotMs), ("ITL", g.ItlMs), ("generation", g.E2eMs) }
                .Where(x => x.Item2 is not null)
                .Select(x => (IReadOnlyList<string>)[x.Item1, Ms(x.Item2!.P50), Ms(x.Item2.P90), Ms(x.Item2.P99), Ms(x.Item2.Mean), x.Item2.Count.ToString(CultureInfo.InvariantCulture)]).ToList());
        var tables = new List<ResultTable> { summary, latency };
        if (r.Sweep.Count > 1)
            tables.Add(new ResultTable("Sweep", [new ResultColumn("Batch", ColumnAlign.Right), new ResultColumn("Prompt", ColumnAlign.Right), new ResultColumn("Gen", ColumnAlign.Right),
                    new ResultColumn("TTFT p50", ColumnAlign.Right), new ResultColumn("TPOT p50", ColumnAlign.Right), new ResultColumn("Decode tok/s", ColumnAlign.Right),
                    new ResultColumn("TTFT meas/pred", ColumnAlign.Right), new ResultColumn("TPOT meas/pred", ColumnAlign.Right)],
                r.Sweep.Select(s => (IReadOnlyList<string>)
                [
                    s.Batch.ToString(CultureInfo.InvariantCulture), s.PromptLength.ToString(CultureInfo.InvariantCulture), s.GenLength.ToString(CultureInfo.InvariantCulture),
                    Ms(s.TtftP50Ms), Ms(s.TpotP50Ms), s.DecodeTokensPerS is { } d ? Fmt.Num(d, 1) : "",
                    s.TtftMeasuredOverPredicted is { } a ? Fmt.Num(a, 2) : "", s.TpotMeasuredOverPredicted is { } b ? Fmt.Num(b, 2) : "",
                ]).ToList()));
        return tables;
    }

    private static string Ci(LatencyStats? s) => s is not null && s.Ci.TryGetValue("p50", out var e) ? $" [{Ms(e.Lower)}, {Ms(e.Upper)}]" : "";
}
