using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dyno.Results;

namespace Dyno.Reports.Documents;

/// <summary>
/// The <c>val</c> document (<c>dyno val</c>): the model and its static cost, the evaluator's own document (as
/// <c>dyno eval det|cls|seg</c> writes it, its keys at the top level, without <c>task</c> and <c>file</c>), the headline
/// accuracy, and the speed, preprocessing and decoding of the run (docs/val.md).
/// </summary>
/// <remarks>
/// Its JSON keeps the order of the val contract, which puts the evaluator's keys between <c>skipped_images</c> and
/// <c>accuracy</c>; a converter writes and reads that shape (the snapshot tests compare it byte for byte).
/// </remarks>
[JsonConverter(typeof(ValDocumentConverter))]
public sealed record ValDocument
{
    /// <summary><c>detection</c>, <c>classification</c> or <c>segmentation</c>.</summary>
    public required string Task { get; init; }

    /// <summary>The model file and its static cost at batch 1.</summary>
    public required ValModel Model { get; init; }

    /// <summary>Images evaluated.</summary>
    public required int Images { get; init; }

    /// <summary>Images skipped (unreadable, with <c>--lenient</c>).</summary>
    public required int SkippedImages { get; init; }

    /// <summary>The COCO evaluation of a detection run.</summary>
    public DetectionEvaluationDocument? Detection { get; init; }

    /// <summary>The classification metrics of a classification run.</summary>
    public ClassificationDocument? Classification { get; init; }

    /// <summary>The segmentation metrics of a segmentation run.</summary>
    public SegmentationDocument? Segmentation { get; init; }

    /// <summary>The headline accuracy: <c>map</c>, <c>map50</c>, <c>map75</c>; <c>top1</c>, <c>top5</c>; or <c>miou</c>, <c>pixel_accuracy</c>.</summary>
    public required IReadOnlyDictionary<string, double?> Accuracy { get; init; }

    /// <summary>Model-only latency of one batch, measured during the run.</summary>
    public required ValLatency LatencyMs { get; init; }

    /// <summary>The speed of the run by stage.</summary>
    public required ValRunSpeed Speed { get; init; }

    /// <summary>How images became tensors.</summary>
    public required ValPreprocess Preprocess { get; init; }

    /// <summary>Detection only: how outputs became boxes.</summary>
    public ValDecode? Decode { get; init; }

    /// <summary>Classification only: <c>logits</c> or <c>probabilities</c>.</summary>
    public string? Scores { get; init; }

    /// <summary>Where <c>--save-predictions</c> wrote the predictions; null (written as null) when not asked.</summary>
    public string? Predictions { get; init; }

    /// <summary>The evaluator's document: <see cref="Detection"/>, <see cref="Classification"/> or <see cref="Segmentation"/>.</summary>
    public object Evaluation => (object?)Detection ?? (object?)Classification ?? Segmentation
        ?? throw new InvalidOperationException("a val document holds one evaluation");

    private sealed class ValDocumentConverter : JsonConverter<ValDocument>
    {
        /// <summary>The keys of the val document itself; the others are the evaluator's.</summary>
        private static readonly HashSet<string> OwnKeys =
            ["kind", "schema", "task", "model", "images", "skipped_images", "accuracy", "latency_ms", "speed", "preprocess", "decode", "scores", "predictions"];

        public override ValDocument Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var json = JsonDocument.ParseValue(ref reader);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new JsonException($"a val document is an object, not {root.ValueKind}");
            JsonElement Get(string key) => root.TryGetProperty(key, out var e) ? e : throw new JsonException($"missing required properties including: '{key}'");
            T Read<T>(string key) => Get(key).Deserialize<T>(options) ?? throw new JsonException($"'{key}' is null");
            var task = Read<string>("task");
            var model = Read<ValModel>("model");
            var evaluation = new JsonObject();
            foreach (var p in root.EnumerateObject())
                if (!OwnKeys.Contains(p.Name)) evaluation[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            evaluation["images"] = JsonNode.Parse(Get("images").GetRawText()); // segmentation's own count shares the val key
            evaluation["task"] = task;
            evaluation["file"] = model.Path;
            return new ValDocument
            {
                Task = task,
                Model = model,
                Images = Read<int>("images"),
                SkippedImages = Read<int>("skipped_images"),
                Detection = task == "detection" ? evaluation.Deserialize<DetectionEvaluationDocument>(options) : null,
                Classification = task == "classification" ? evaluation.Deserialize<ClassificationDocument>(options) : null,
                Segmentation = task is not ("detection" or "classification") ? evaluation.Deserialize<SegmentationDocument>(options) : null,
                Accuracy = Read<Dictionary<string, double?>>("accuracy"),
                LatencyMs = Read<ValLatency>("latency_ms"),
                Speed = Read<ValRunSpeed>("speed"),
                Preprocess = Read<ValPreprocess>("preprocess"),
                Decode = root.TryGetProperty("decode", out var d) ? d.Deserialize<ValDecode>(options) : null,
                Scores = root.TryGetProperty("scores", out var s) ? s.GetString() : null,
                Predictions = root.TryGetProperty("predictions", out var pr) ? pr.GetString() : null,
            };
        }

        public override void Write(Utf8JsonWriter writer, ValDocument value, JsonSerializerOptions options)
        {
            void Member<T>(string key, T member)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, member, options);
            }
            writer.WriteStartObject();
            writer.WriteString("kind", ResultKinds.Val);
            writer.WriteNumber("schema", ResultKinds.SchemaOf(ResultKinds.Val));
            writer.WriteString("task", value.Task);
            Member("model", value.Model);
            var evaluation = value.Evaluation;
            var evaluated = JsonSerializer.SerializeToElement(evaluation, evaluation.GetType(), options);
            // the evaluator's own count (segmentation has one) takes the val key's place, as it always has
            if (evaluated.TryGetProperty("images", out var images))
            {
                writer.WritePropertyName("images");
                images.WriteTo(writer);
            }
            else writer.WriteNumber("images", value.Images);
            writer.WriteNumber("skipped_images", value.SkippedImages);
            foreach (var p in evaluated.EnumerateObject())
                if (!OwnKeys.Contains(p.Name) && p.Name != "file") p.WriteTo(writer);
            Member("accuracy", value.Accuracy);
            Member("latency_ms", value.LatencyMs);
            Member("speed", value.Speed);
            Member("preprocess", value.Preprocess);
            if (value.Decode is not null) Member("decode", value.Decode);
            if (value.Scores is not null) writer.WriteString("scores", value.Scores);
            writer.WritePropertyName("predictions");
            if (value.Predictions is null) writer.WriteNullValue();
            else writer.WriteStringValue(value.Predictions);
            writer.WriteEndObject();
        }
    }
}

/// <summary>The model of a val run and its static cost (<c>dyno profile</c>'s totals at batch 1).</summary>
public sealed record ValModel
{
    /// <summary>The model file as given.</summary>
    public required string Path { get; init; }

    /// <summary>Its size on disk.</summary>
    public required long FileBytes { get; init; }

    /// <summary>Initializer elements.</summary>
    public required long Params { get; init; }

    /// <summary>Elements of Constant nodes.</summary>
    public required long ConstantParams { get; init; }

    /// <summary>Bytes of the initializers.</summary>
    public required long WeightBytes { get; init; }

    /// <summary>Dense multiply-accumulates per image.</summary>
    public required long DenseMacs { get; init; }

    /// <summary>FLOPs per image.</summary>
    public required long Flops { get; init; }

    /// <summary>Peak live activation bytes; null (written as null) when the liveness could not be computed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required long? PeakActivationBytes { get; init; }

    /// <summary>What the static figures assume (<c>batch 1 as the graph declares it</c>).</summary>
    public required string StaticCostAt { get; init; }
}

/// <summary>Model-only latency of one batch during a val run, ms.</summary>
public sealed record ValLatency
{
    /// <summary>Median.</summary>
    public required double P50 { get; init; }

    /// <summary>90th percentile.</summary>
    public required double P90 { get; init; }

    /// <summary>99th percentile.</summary>
    public required double P99 { get; init; }

    /// <summary>Mean.</summary>
    public required double Mean { get; init; }

    /// <summary>Fastest.</summary>
    public required double Min { get; init; }

    /// <summary>Slowest.</summary>
    public required double Max { get; init; }

    /// <summary>Batches timed.</summary>
    public required int Count { get; init; }

    /// <summary>Confidence interval of the median (<c>p50</c>: lower, upper).</summary>
    public required IReadOnlyDictionary<string, ValInterval> Ci { get; init; }

    /// <summary>What one sample is.</summary>
    public required string Meaning { get; init; }
}

/// <summary>A confidence interval.</summary>
/// <param name="Lower">Its lower bound.</param>
/// <param name="Upper">Its upper bound.</param>
public sealed record ValInterval(double Lower, double Upper);

/// <summary>The speed of a val run: ms per image by stage, images/s end to end, and the run's settings.</summary>
public sealed record ValRunSpeed
{
    /// <summary>Decode + preprocess CPU ms per image (worker threads, overlapped with inference).</summary>
    public required double PreprocessMs { get; init; }

    /// <summary>Session run incl. copying outputs, ms per image.</summary>
    public required double InferenceMs { get; init; }

    /// <summary>Output decoding, NMS, mapping back and metric update, ms per image.</summary>
    public required double PostprocessMs { get; init; }

    /// <summary>Images / wall time from the first decode to the last metric update.</summary>
    public required double ImagesPerS { get; init; }

    /// <summary>Wall time of the run, s.</summary>
    public required double WallS { get; init; }

    /// <summary>Model load and session creation, s.</summary>
    public required double SessionLoadS { get; init; }

    /// <summary>Peak resident set size of the process.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>Milliseconds per image the inference thread waited for a prepared image (absent in files written before it was measured).</summary>
    public double? InputWaitMs { get; init; }

    /// <summary>Images per session run.</summary>
    public required int Batch { get; init; }

    /// <summary>Preprocessing workers.</summary>
    public required int Workers { get; init; }

    /// <summary>ONNX Runtime intra-op threads (0 = its default).</summary>
    public required int IntraOpThreads { get; init; }

    /// <summary>ONNX Runtime inter-op threads.</summary>
    public required int InterOpThreads { get; init; }

    /// <summary>ONNX Runtime graph optimization level.</summary>
    public required Dyno.Runtime.Benchmark.GraphOptimization GraphOptimization { get; init; }

    /// <summary>What each figure measures.</summary>
    public required string Conventions { get; init; }
}

/// <summary>How a val run turned images into tensors.</summary>
public sealed record ValPreprocess
{
    /// <summary><c>letterbox</c>, <c>resize</c> or <c>crop</c>.</summary>
    public required string Mode { get; init; }

    /// <summary>Input width.</summary>
    public required int Width { get; init; }

    /// <summary>Input height.</summary>
    public required int Height { get; init; }

    /// <summary>Letterbox padding value; null (written as null) for the other modes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required int? PadValue { get; init; }

    /// <summary>Centre-crop fraction; null (written as null) for the other modes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required double? CropFraction { get; init; }

    /// <summary>Per-channel mean subtracted.</summary>
    public required IReadOnlyList<double> Mean { get; init; }

    /// <summary>Per-channel divisor.</summary>
    public required IReadOnlyList<double> Std { get; init; }

    /// <summary><c>rgb</c> or <c>bgr</c>.</summary>
    public required string Channels { get; init; }

    /// <summary><c>nchw</c> or <c>nhwc</c>.</summary>
    public required string Layout { get; init; }

    /// <summary>The image decoder and resize.</summary>
    public required string Decoder { get; init; }
}

/// <summary>How a detection val run turned outputs into boxes.</summary>
public sealed record ValDecode
{
    /// <summary>The output layout: <c>yolov8</c>, <c>yolov5</c>, <c>e2e</c> or <c>e2e6</c>.</summary>
    public required string Layout { get; init; }

    /// <summary>Confidence threshold.</summary>
    public required double Conf { get; init; }

    /// <summary>NMS IoU threshold.</summary>
    public required double Iou { get; init; }

    /// <summary>Detections kept per image.</summary>
    public required int MaxDet { get; init; }

    /// <summary>Where NMS runs and how.</summary>
    public required string Nms { get; init; }
}
