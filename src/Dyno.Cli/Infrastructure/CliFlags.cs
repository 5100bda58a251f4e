using System.Text.RegularExpressions;

namespace Dyno.Cli.Infrastructure;

/// <summary>
/// The libraries name their API parameters in messages (<c>BenchOptions.Batches</c>, <c>BadRecordPolicy.Skip</c>,
/// <c>gtPath</c>; see <see cref="DynoInputException"/>); the user of <c>dyno</c> reads the flag that carries the
/// same value. This table is the one place that knows which flag that is, and <see cref="Phrase(Exception)"/>
/// rewrites an error's message with it, so the console line names <c>--batch</c>, <c>--lenient</c>, <c>--gt</c>.
/// </summary>
internal static partial class CliFlags
{
    /// <summary>API parameter (as the libraries write it in messages) → what the dyno user types for it.</summary>
    public static IReadOnlyDictionary<string, string> Map { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Dyno.Metrics
        ["CocoDetections"] = "--dt",
        ["CocoIouType.Segm"] = "--iou-type segm",
        ["CocoIouType.Keypoints"] = "--iou-type keypoints",
        ["BadRecordPolicy.Skip"] = "--lenient",
        ["CocoEvalOptions.KeypointSigmas"] = "--kpt-sigmas FILE",
        ["CocoEvalOptions.KeypointAreaFromBox"] = "--protocol crowdpose",
        ["CocoEvalShard"] = "--shard",
        ["CocoEvalShard.Save"] = "'dyno eval det --shard'",
        ["gtPath"] = "--gt",
        ["MotPreprocess.Mot15"] = "--preprocess mot15",
        ["MotPreprocess.None"] = "none",
        ["gtSuffix"] = "--gt-suffix",
        ["predSuffix"] = "--pred-suffix",
        ["PngLabelReader.MaxPixels"] = "--max-image-pixels",
        ["numClasses"] = "--num-classes",
        ["maxClasses"] = "--max-classes",
        ["classNames"] = "--classes",
        ["ClassificationOptions.Logits"] = "--logits",
        // Dyno.Models
        ["OnnxReadLimits.MaxGraphDepth"] = "--max-graph-depth",
        ["LlmWorkload.Seq"] = "--seq",
        ["LlmScenario.Compute"] = "--precision",
        ["InputShapes"] = "--shape",
        ["Dims"] = "--dim",
        ["Batch"] = "--batch",
        ["HardwareDatabase.With"] = "--hardware-file FILE",
        // Dyno.Runtime
        ["calibrationDirectory"] = "--calib",
        ["sampleCount"] = "--calib-count",
        ["output"] = "--out",
        ["QuantizeOptions.ExcludeNodes"] = "--exclude-nodes",
        ["QuantizeOptions.QuantizeTail"] = "--quantize-tail",
        ["PreprocessRequest.Size"] = "--imgsz S or WxH",
        ["imagesDir"] = "--images DIR",
        ["masksDir"] = "--masks DIR",
        ["GenerationOptions.Prompts"] = "--prompts",
        ["GenerationOptions.PromptLengths"] = "--prompt-len",
        ["GenerationOptions.Batches"] = "--batch",
        ["GenerationOptions.GenLengths"] = "--gen-len",
        ["GenerationOptions.Iterations"] = "--iterations",
        ["GenerationOptions.MaxTimeSeconds"] = "--max-time",
        ["previous"] = "--resume",
        ["inputsDirectory"] = "--inputs",
        ["BenchOptions.InputsDirectory"] = "--inputs",
        ["BenchOptions.SaveModelPath"] = "--save-model",
        ["BenchOptions.Batches"] = "--batch",
        ["BenchOptions.InputPool"] = "--input-pool",
        ["BenchOptions.Concurrency"] = "--concurrency",
        ["BenchOptions.Iterations"] = "--iterations",
        ["BenchOptions.MaxTimeSeconds"] = "--max-time",
        ["BenchOptions.IntraOpThreads"] = "--threads",
        ["BenchOptions.InterOpThreads"] = "--inter-op-threads",
        ["Scenario.Server"] = "--scenario server",
        ["BenchOptions.Qps"] = "--qps N",
        ["BenchOptions.Provider"] = "--provider",
        ["sequenceLength"] = "--seq",
        ["ValOptions.Layout"] = "--decoder",
        ["maxPixels"] = "--max-image-pixels",
    };

    /// <summary>The user's line for a library error: each parameter the exception names (<see cref="DynoInputException.ParametersOf"/>) replaced by its flag.</summary>
    public static string Phrase(Exception e) => Replace(e.Message, DynoInputException.ParametersOf(e));

    /// <summary>
    /// A library's note or warning in the user's terms: each known parameter it names replaced by its flag. Only the
    /// names that read as code (<c>BenchOptions.Batches</c>, <c>InputShapes</c>) are looked for in free text, never a
    /// plain word such as <c>output</c>.
    /// </summary>
    public static string Phrase(string text) => Replace(text, CodeLike);

    /// <summary>A library line whose caller knows which parameters it may name (e.g. <c>previous</c> in the matrix's progress).</summary>
    public static string Phrase(string text, params string[] parameters) => Replace(text, parameters);

    private static readonly string[] CodeLike = [.. Map.Keys.Where(k => k.Contains('.', StringComparison.Ordinal) || k.Any(char.IsUpper))];

    /// <summary>Replaces the first whole-word occurrence of each known parameter (longest first, so <c>CocoEvalShard.Save</c> is not read as <c>CocoEvalShard</c>).</summary>
    private static string Replace(string text, IEnumerable<string> parameters)
    {
        foreach (var p in parameters.Where(Map.ContainsKey).OrderByDescending(p => p.Length))
        {
            var m = Regex.Match(text, $@"(?<![\w.]){Regex.Escape(p)}(?!\w)(?!\.\w)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (m.Success) text = string.Concat(text.AsSpan(0, m.Index), Map[p], text.AsSpan(m.Index + m.Length));
        }
        return text;
    }

    /// <summary>Each of <paramref name="lines"/> through <see cref="Phrase(string)"/>.</summary>
    public static IReadOnlyList<string> Phrase(IEnumerable<string> lines) => [.. lines.Select(Phrase)];
}
