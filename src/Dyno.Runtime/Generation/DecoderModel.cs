using System.Text.Json;
using Dyno.Models.Transformers;

namespace Dyno.Runtime.Generation;

/// <summary>
/// A decoder model on disk: the ONNX file and what the files beside it say. A directory is resolved to the file
/// <c>genai_config.json</c> names (<c>model.decoder.filename</c>) or to <c>model.onnx</c>. From Hugging Face's
/// <c>config.json</c> come the architecture (for the roofline prediction), the maximum position and the pad token;
/// from <c>genai_config.json</c> the tensor names, <c>context_length</c> and the special ids.
/// </summary>
public sealed record DecoderModel
{
    public required string OnnxPath { get; init; }

    /// <summary>The architecture from config.json (Hugging Face or Dyno's format); null when absent or not one <c>dyno llm</c> models.</summary>
    public TransformerConfig? Architecture { get; init; }

    /// <summary>The config file the architecture came from.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Positions the model supports (max_position_embeddings, n_positions or genai's context_length); 0 = unknown.</summary>
    public int MaxPositions { get; init; }

    /// <summary>Where <see cref="MaxPositions"/> came from, for messages.</summary>
    public string? MaxPositionsSource { get; init; }

    /// <summary>The id written into left-padding slots (pad_token_id, else eos_token_id, else 0); its value is masked.</summary>
    public long PadTokenId { get; init; }

    /// <summary>Token ids random prompts avoid (pad, bos, eos).</summary>
    public IReadOnlyList<long> SpecialIds { get; init; } = [];

    public CacheNames Names { get; init; } = new();

    /// <summary>Why there is no architecture, when there is none.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Opens a model file or directory.</summary>
    /// <exception cref="FileNotFoundException">Nothing at the path, or a directory without a model file.</exception>
    /// <exception cref="InvalidDataException">A genai_config.json or config.json beside it is not valid JSON.</exception>
    public static DecoderModel Open(string path)
    {
        path = Path.GetFullPath(path);
        string dir, onnx;
        if (Directory.Exists(path))
        {
            dir = path;
            var genaiName = Path.Combine(dir, "genai_config.json") is var g && File.Exists(g) ? Str(Parse(g), "model", "decoder", "filename") : null;
            onnx = Path.Combine(dir, genaiName ?? "model.onnx");
            if (!File.Exists(onnx))
                throw new FileNotFoundException($"{path}: a directory without {Path.GetFileName(onnx)}{(genaiName is null ? "" : " (named by genai_config.json)")}", onnx);
        }
        else if (File.Exists(path))
        {
            onnx = path;
            dir = Path.GetDirectoryName(path)!;
        }
        else throw new FileNotFoundException($"{path}: no such file or directory", path);

        var notes = new List<string>();
        var names = new CacheNames();
        int maxPos = 0;
        string? maxSource = null;
        long? pad = null, bos = null, eos = null;
        var genaiPath = Path.Combine(dir, "genai_config.json");
        if (File.Exists(genaiPath))
        {
            var root = Parse(genaiPath);
            names = new CacheNames
            {
                InputIds = Str(root, "model", "decoder", "inputs", "input_ids") ?? names.InputIds,
                AttentionMask = Str(root, "model", "decoder", "inputs", "attention_mask") ?? names.AttentionMask,
                PositionIds = Str(root, "model", "decoder", "inputs", "position_ids") ?? names.PositionIds,
                PastKey = Str(root, "model", "decoder", "inputs", "past_key_names") ?? names.PastKey,
                PastValue = Str(root, "model", "decoder", "inputs", "past_value_names") ?? names.PastValue,
                Logits = Str(root, "model", "decoder", "outputs", "logits") ?? names.Logits,
                PresentKey = Str(root, "model", "decoder", "outputs", "present_key_names") ?? names.PresentKey,
                PresentValue = Str(root, "model", "decoder", "outputs", "present_value_names") ?? names.PresentValue,
            };
            if (Num(root, "model", "context_length") is { } ctx and > 0) (maxPos, maxSource) = ((int)ctx, $"{genaiPath}: model.context_length");
            pad = Num(root, "model", "pad_token_id");
            bos = Num(root, "model", "bos_token_id");
            eos = Num(root, "model", "eos_token_id");
        }

        TransformerConfig? arch = null;
        string? configPath = null;
        var hfPath = Path.Combine(dir, "config.json");
        if (File.Exists(hfPath))
        {
            var root = Parse(hfPath);
            foreach (var key in new[] { "max_position_embeddings", "n_positions", "max_positions" })
                if (Num(root, key) is { } m and > 0)
                {
                    (maxPos, maxSource) = ((int)m, $"{hfPath}: {key}");
                    break;
                }
            pad = Num(root, "pad_token_id") ?? pad;
            bos = Num(root, "bos_token_id") ?? bos;
            eos = Num(root, "eos_token_id") ?? eos;
            try
            {
                arch = TransformerConfig.Load(hfPath).Config;
                configPath = hfPath;
            }
            catch (InvalidDataException e)
            {
                notes.Add($"no roofline prediction: {e.Message}");
            }
        }
        else notes.Add($"no roofline prediction: no config.json beside {onnx} to read the architecture from");

        return new DecoderModel
        {
            OnnxPath = onnx, Architecture = arch, ConfigPath = configPath, MaxPositions = maxPos, MaxPositionsSource = maxSource,
            PadTokenId = pad ?? eos ?? 0, SpecialIds = new[] { pad, bos, eos }.Where(x => x is not null).Select(x => x!.Value).Distinct().ToList(),
            Names = names, Notes = notes,
        };
    }

    private static JsonElement Parse(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine}: {e.Message}");
        }
    }

    private static JsonElement? At(JsonElement e, string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e;
    }

    private static string? Str(JsonElement e, params string[] path) => At(e, path) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    /// <summary>An integer, or the first of a list of integers (eos_token_id may be a list).</summary>
    private static long? Num(JsonElement e, params string[] path) => At(e, path) switch
    {
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out var x) => x,
        { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.Number && a[0].TryGetInt64(out var y) => y,
        _ => null,
    };
}
