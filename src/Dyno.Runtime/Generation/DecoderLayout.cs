using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Dyno.Runtime.Generation;

/// <summary>The graph names of one layer's cache: the past inputs and the present outputs they are fed from.</summary>
public sealed record CacheLayer(int Index, string PastKey, string PastValue, string PresentKey, string PresentValue);

/// <summary>
/// The tensor names Dyno looks for, as <c>%d</c> templates for the layer index. The defaults are Hugging Face
/// Optimum's and onnxruntime-genai's; a <c>genai_config.json</c> beside the model may rename them
/// (<c>model.decoder.inputs</c> / <c>outputs</c>).
/// </summary>
public sealed record CacheNames
{
    public string InputIds { get; init; } = "input_ids";
    public string AttentionMask { get; init; } = "attention_mask";
    public string PositionIds { get; init; } = "position_ids";
    public string PastKey { get; init; } = "past_key_values.%d.key";
    public string PastValue { get; init; } = "past_key_values.%d.value";
    public string Logits { get; init; } = "logits";
    public string PresentKey { get; init; } = "present.%d.key";
    public string PresentValue { get; init; } = "present.%d.value";
}

/// <summary>
/// A decoder-only graph with a KV cache in the "with past" layout of Hugging Face Optimum and onnxruntime-genai:
/// inputs <c>input_ids</c> [batch, seq] int64, <c>attention_mask</c> [batch, past + seq] int64, optional
/// <c>position_ids</c> [batch, seq] int64 and <c>past_key_values.{i}.key|value</c> [batch, kv_heads, past, head_dim];
/// outputs <c>logits</c> [batch, seq, vocab] and <c>present.{i}.key|value</c> [batch, kv_heads, past + seq, head_dim].
/// One graph serves the prefill (past length 0) and every decode step. Detected from the graph's own inputs and
/// outputs; dimension names are never relied on.
/// </summary>
public sealed record DecoderLayout
{
    public required string InputIds { get; init; }
    public required string AttentionMask { get; init; }

    /// <summary>Null when the graph has no position_ids input (it then derives positions itself).</summary>
    public string? PositionIds { get; init; }

    public required string Logits { get; init; }
    public required IReadOnlyList<CacheLayer> Layers { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int Vocab { get; init; }

    /// <summary>Bytes of one token's K and V over all layers for one sequence (float32).</summary>
    public long KvBytesPerToken => 2L * Layers.Count * KvHeads * HeadDim * sizeof(float);

    /// <summary>Reads the layout from a session's metadata.</summary>
    /// <exception cref="InvalidDataException">The graph does not have a recognisable cache layout; the message names the inputs found.</exception>
    public static DecoderLayout Detect(InferenceSession session, string source, CacheNames? names = null) =>
        Detect(session.InputMetadata, session.OutputMetadata, source, names);

    /// <summary>Reads the layout from input and output metadata (see <see cref="Detect(InferenceSession, string, CacheNames?)"/>).</summary>
    public static DecoderLayout Detect(IReadOnlyDictionary<string, NodeMetadata> inputs, IReadOnlyDictionary<string, NodeMetadata> outputs, string source, CacheNames? names = null)
    {
        names ??= new CacheNames();
        string Fail(string what) => throw new InvalidDataException(
            $"{source}: not a decoder with a KV cache in the Optimum/onnxruntime-genai layout ({names.InputIds}, {names.AttentionMask}, [{names.PositionIds}], " +
            $"{names.PastKey.Replace("%d", "{i}")}/value -> {names.Logits}, {names.PresentKey.Replace("%d", "{i}")}/value): {what}; " +
            $"inputs found: {List(inputs)}; outputs found: {List(outputs)}");

        void Int64Matrix(string name, bool required)
        {
            if (!inputs.TryGetValue(name, out var m))
            {
                if (required) Fail($"no input '{name}'");
                return;
            }
            if (m.ElementDataType != TensorElementType.Int64 || m.Dimensions.Length != 2)
                Fail($"input '{name}' is {m.ElementDataType}[{Dims(m)}], expected int64 [batch, length]");
        }
        Int64Matrix(names.InputIds, true);
        Int64Matrix(names.AttentionMask, true);
        Int64Matrix(names.PositionIds, false);

        var pastKey = Pattern(names.PastKey);
        var layerIndices = inputs.Keys.Select(k => pastKey.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        if (layerIndices.Count == 0) Fail($"no past inputs named like '{names.PastKey.Replace("%d", "0")}'");
        if (layerIndices.Where((l, i) => l != i).Any()) Fail($"past layers are not numbered 0..{layerIndices.Count - 1} (found {string.Join(", ", layerIndices)})");

        var layers = new List<CacheLayer>();
        int kvHeads = 0, headDim = 0;
        foreach (var l in layerIndices)
        {
            var layer = new CacheLayer(l, Name(names.PastKey, l), Name(names.PastValue, l), Name(names.PresentKey, l), Name(names.PresentValue, l));
            foreach (var (name, map, kind) in new[] { (layer.PastKey, inputs, "input"), (layer.PastValue, inputs, "input"), (layer.PresentKey, outputs, "output"), (layer.PresentValue, outputs, "output") })
            {
                if (!map.TryGetValue(name, out var m)) Fail($"no {kind} '{name}' for layer {l}");
                else
                {
                    var d = m.Dimensions;
                    if (m.ElementDataType != TensorElementType.Float || d.Length != 4 || d[1] <= 0 || d[3] <= 0)
                        Fail($"{kind} '{name}' is {m.ElementDataType}[{Dims(m)}], expected float32 [batch, kv_heads, length, head_dim] with fixed kv_heads and head_dim");
                    if (kvHeads == 0) (kvHeads, headDim) = (d[1], d[3]);
                    else if (d[1] != kvHeads || d[3] != headDim) Fail($"{kind} '{name}' has [.., {d[1]}, .., {d[3]}], layer 0 has kv_heads {kvHeads} and head_dim {headDim}");
                }
            }
            layers.Add(layer);
        }
        var known = new HashSet<string>([names.InputIds, names.AttentionMask, names.PositionIds, .. layers.SelectMany(x => new[] { x.PastKey, x.PastValue })], StringComparer.Ordinal);
        var extra = inputs.Keys.Where(k => !known.Contains(k)).ToList();
        if (extra.Count > 0) Fail($"unexpected input(s) {string.Join(", ", extra)}");
        if (!outputs.TryGetValue(names.Logits, out var logits)) Fail($"no output '{names.Logits}'");
        else if (logits.ElementDataType != TensorElementType.Float || logits.Dimensions.Length != 3 || logits.Dimensions[2] <= 0)
            Fail($"output '{names.Logits}' is {logits.ElementDataType}[{Dims(logits)}], expected float32 [batch, seq, vocab] with a fixed vocab");
        return new DecoderLayout
        {
            InputIds = names.InputIds, AttentionMask = names.AttentionMask,
            PositionIds = inputs.ContainsKey(names.PositionIds) ? names.PositionIds : null,
            Logits = names.Logits, Layers = layers, KvHeads = kvHeads, HeadDim = headDim, Vocab = outputs[names.Logits].Dimensions[2],
        };
    }

    private static Regex Pattern(string template) =>
        new("^" + Regex.Escape(template).Replace("%d", "([0-9]+)") + "$", RegexOptions.CultureInvariant);

    private static string Name(string template, int layer) => template.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static string Dims(NodeMetadata m) =>
        string.Join(",", m.Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : m.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } s ? s : "?"));

    private static string List(IReadOnlyDictionary<string, NodeMetadata> map)
    {
        var names = map.Keys.ToList();
        return names.Count == 0 ? "(none)" : string.Join(", ", names.Take(8)) + (names.Count > 8 ? $", ... ({names.Count} in all)" : "");
    }
}
