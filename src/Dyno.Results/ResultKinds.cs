namespace Dyno.Results;

/// <summary>
/// The kinds of Dyno result documents and the schema version of each: every JSON document a command writes starts
/// with <c>"kind"</c> and <c>"schema"</c> (docs/results.md). A schema version changes only when a documented key
/// changes meaning or disappears; added keys keep the version.
/// </summary>
public static class ResultKinds
{
    /// <summary><c>dyno profile</c>: static cost of an ONNX model (and its roofline with <c>--hardware</c>).</summary>
    public const string Profile = "profile";

    /// <summary><c>dyno bench</c>: measured latency, throughput, cold start and utilization.</summary>
    public const string Bench = "bench";

    /// <summary><c>dyno bench --generate</c>: measured TTFT, TPOT and tokens/s of a decoder.</summary>
    public const string BenchGenerate = "bench-generate";

    /// <summary><c>dyno eval det</c> (and <c>eval merge</c>): COCO detection evaluation.</summary>
    public const string EvalDet = "eval-det";

    /// <summary><c>dyno eval cls</c>: classification metrics.</summary>
    public const string EvalCls = "eval-cls";

    /// <summary><c>dyno eval seg</c>: semantic segmentation metrics.</summary>
    public const string EvalSeg = "eval-seg";

    /// <summary><c>dyno eval mot</c>: multi-object tracking metrics.</summary>
    public const string EvalMot = "eval-mot";

    /// <summary><c>dyno llm</c>: analytic transformer cost.</summary>
    public const string Llm = "llm";

    /// <summary><c>dyno fit</c>: whether a model fits a device's memory.</summary>
    public const string Fit = "fit";

    /// <summary><c>dyno anchors</c>: anchor statistics (BPR, fitness) and fitted anchors.</summary>
    public const string Anchors = "anchors";

    /// <summary><c>dyno calibrate</c>: this machine's measured roofs.</summary>
    public const string Calibrate = "calibrate";

    /// <summary><c>dyno hardware list</c>: the device database.</summary>
    public const string HardwareList = "hardware-list";

    /// <summary><c>dyno hardware show</c>: one device.</summary>
    public const string Hardware = "hardware";

    /// <summary><c>dyno compare</c>: side-by-side figures and regression rules.</summary>
    public const string Compare = "compare";

    /// <summary><c>dyno val</c>: a model run over a labelled dataset.</summary>
    public const string Val = "val";

    /// <summary><c>dyno matrix</c>: a grid of variants, each run with val.</summary>
    public const string Matrix = "matrix";

    /// <summary><c>dyno convert</c>: a precision conversion of a model.</summary>
    public const string Convert = "convert";

    /// <summary><c>dyno quantize</c>: an INT8 (QDQ) model made from calibration data.</summary>
    public const string Quantize = "quantize";

    /// <summary><c>dyno demo</c>: the headline figures of the demo.</summary>
    public const string Demo = "demo";

    private static readonly Dictionary<string, int> SchemaByKind = new(StringComparer.Ordinal)
    {
        [Profile] = 1, [Bench] = 1, [BenchGenerate] = 1, [EvalDet] = 1, [EvalCls] = 1, [EvalSeg] = 1, [EvalMot] = 1,
        [Llm] = 1, [Fit] = 1, [Anchors] = 1, [Calibrate] = 1, [HardwareList] = 1, [Hardware] = 1, [Compare] = 1,
        [Val] = 1, [Matrix] = 1, [Convert] = 1, [Quantize] = 1, [Demo] = 1,
    };

    /// <summary>Every kind with the schema version this build writes and reads.</summary>
    public static IReadOnlyDictionary<string, int> Schemas => SchemaByKind;

    /// <summary>The schema version this build writes for <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a kind of this build (a programming error).</exception>
    public static int SchemaOf(string kind) =>
        SchemaByKind.TryGetValue(kind, out var v) ? v : throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a Dyno result kind");

    /// <summary>
    /// Whether documents of <paramref name="kind"/> carry <c>kind</c> and <c>schema</c>. Only <see cref="Hardware"/> does
    /// not: a device's own documented <c>kind</c> key (gpu, cpu, npu...) predates the contract and is kept, so
    /// <c>hardware show</c> output is recognised by its keys (<see cref="ResultLoader.LegacyKindOf"/>).
    /// </summary>
    public static bool IsStamped(string kind) => kind != Hardware;

    /// <summary>Whether <paramref name="kind"/> is a kind of this build.</summary>
    public static bool IsKnown(string kind) => SchemaByKind.ContainsKey(kind);
}
