using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Reports.Presenters;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Generation;

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
        common.Emit(parse, CommandOutput.Of(GenerationPresenter.Instance, result));
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
}
