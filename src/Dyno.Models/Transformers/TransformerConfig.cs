using Dyno.Models.Hardware;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dyno.Models.Transformers;

/// <summary>Whether a transformer generates tokens (causal decoder with a KV cache) or encodes a whole sequence at once.</summary>
public enum TransformerKind { Decoder, Encoder }

/// <summary>The feed-forward block: two matrices with an activation between (GPT-2, BERT) or three with a gate (SwiGLU, GeGLU).</summary>
public enum MlpKind { Gelu, Gated }

/// <summary>The normalisation layer: LayerNorm (scale and bias, 2·H parameters) or RMSNorm (scale only, H).</summary>
public enum NormKind { LayerNorm, RmsNorm }

/// <summary>
/// The architecture of a standard transformer, enough to count its parameters and matmul work exactly:
/// embeddings (token, learned positions, token types), <see cref="Layers"/> identical blocks of multi-head
/// attention (grouped-query when <see cref="KvHeads"/> &lt; <see cref="Heads"/>) and an MLP, two norms per
/// block, and an untied or tied LM head (decoders) or a [CLS] pooler (BERT-style encoders).
/// </summary>
public sealed record TransformerConfig
{
    public string Name { get; init; } = "custom";
    public TransformerKind Kind { get; init; } = TransformerKind.Decoder;
    public required int Layers { get; init; }
    public required int Hidden { get; init; }
    public required int Heads { get; init; }

    /// <summary>Key/value heads: equal to <see cref="Heads"/> for multi-head attention, fewer for GQA, 1 for MQA.</summary>
    public required int KvHeads { get; init; }

    /// <summary>Per-head width as configured; 0 means <see cref="Hidden"/> / <see cref="Heads"/> (Gemma sets it explicitly). See <see cref="HeadDim"/>.</summary>
    [JsonIgnore]
    public int HeadDimension { get; init; }

    public required int Intermediate { get; init; }
    public required int Vocab { get; init; }
    public MlpKind Mlp { get; init; } = MlpKind.Gated;
    public NormKind Norm { get; init; } = NormKind.RmsNorm;

    /// <summary>The LM head shares the token-embedding matrix (counted once in parameters; still a matmul).</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>Rows of a learned absolute position table (GPT-2 1024, BERT 512); 0 for rotary/no position parameters.</summary>
    public int PositionEmbeddings { get; init; }

    /// <summary>Rows of a token-type (segment) table (BERT 2).</summary>
    public int TokenTypes { get; init; }

    /// <summary>The longest context the model supports (HF max_position_embeddings); the default sequence length.</summary>
    public int MaxPositions { get; init; }

    /// <summary>Sliding-window attention span (Mistral-7B v0.1: 4096); 0 = full attention.</summary>
    public int SlidingWindow { get; init; }

    public bool QkvBias { get; init; }
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }

    /// <summary>A norm right after the embeddings (BERT).</summary>
    public bool EmbeddingNorm { get; init; }

    /// <summary>A norm after the last block (pre-norm decoders: GPT-2, Llama).</summary>
    public bool FinalNorm { get; init; } = true;

    /// <summary>BERT's pooler: a dense H×H layer (with bias, tanh) on the first token.</summary>
    public bool Pooler { get; init; }

    public int HeadDim => HeadDimension > 0 ? HeadDimension : Hidden / Heads;

    /// <summary>Width of the query (and attention output) projection: heads × head_dim.</summary>
    public long QueryWidth => (long)Heads * HeadDim;

    /// <summary>Width of each of the key and value projections: kv_heads × head_dim.</summary>
    public long KvWidth => (long)KvHeads * HeadDim;

    /// <summary>Checks the shape is consistent. <paramref name="what"/> names the source in messages.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public TransformerConfig Validate(string what = "config")
    {
        void Positive(int v, string field)
        {
            if (v <= 0) throw new DynoInputException($"{what}: {field} must be a positive integer (got {v})");
        }
        Positive(Layers, "layers");
        Positive(Hidden, "hidden");
        Positive(Heads, "heads");
        Positive(KvHeads, "kv_heads");
        Positive(Intermediate, "intermediate");
        Positive(Vocab, "vocab");
        if (HeadDimension < 0 || PositionEmbeddings < 0 || TokenTypes < 0 || MaxPositions < 0 || SlidingWindow < 0)
            throw new DynoInputException($"{what}: head_dim, position_embeddings, token_types, max_positions and sliding_window must not be negative");
        if (KvHeads > Heads || Heads % KvHeads != 0)
            throw new DynoInputException($"{what}: heads ({Heads}) must be a multiple of kv_heads ({KvHeads})");
        if (HeadDimension == 0 && Hidden % Heads != 0)
            throw new DynoInputException($"{what}: hidden ({Hidden}) is not divisible by heads ({Heads}); give head_dim");
        if (Kind == TransformerKind.Encoder && SlidingWindow > 0)
            throw new DynoInputException($"{what}: sliding_window applies to decoders only");
        return this;
    }

    /// <summary>A Llama-style decoder: RMSNorm, rotary positions, no biases, gated (SwiGLU) MLP, untied head, final norm.</summary>
    public static TransformerConfig LlamaLike(string name, int layers, int hidden, int heads, int kvHeads, int intermediate, int vocab, int maxPositions = 0) => new()
    {
        Name = name, Layers = layers, Hidden = hidden, Heads = heads, KvHeads = kvHeads, Intermediate = intermediate, Vocab = vocab,
        MaxPositions = maxPositions,
    };

    /// <summary>The architecture <see cref="DecoderGraph"/> builds for <paramref name="c"/>.</summary>
    public static TransformerConfig FromDecoder(DecoderConfig c, string name = "decoder-graph") =>
        LlamaLike(name, c.Layers, c.Hidden, c.Heads, c.KvHeads, c.Intermediate, c.Vocab);

    /// <summary>Built-in architectures, by name (docs/llm.md lists their sources and parameter counts).</summary>
    public static IReadOnlyDictionary<string, TransformerConfig> Presets { get; } = new Dictionary<string, TransformerConfig>(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt2"] = new()
        {
            Name = "gpt2", Layers = 12, Hidden = 768, Heads = 12, KvHeads = 12, Intermediate = 3072, Vocab = 50257,
            Mlp = MlpKind.Gelu, Norm = NormKind.LayerNorm, TiedEmbeddings = true, PositionEmbeddings = 1024, MaxPositions = 1024,
            QkvBias = true, OutputBias = true, MlpBias = true,
        },
        ["llama-2-7b"] = LlamaLike("llama-2-7b", 32, 4096, 32, 32, 11008, 32000, 4096),
        ["llama-2-13b"] = LlamaLike("llama-2-13b", 40, 5120, 40, 40, 13824, 32000, 4096),
        ["llama-2-70b"] = LlamaLike("llama-2-70b", 80, 8192, 64, 8, 28672, 32000, 4096),
        ["llama-3-8b"] = LlamaLike("llama-3-8b", 32, 4096, 32, 8, 14336, 128256, 8192),
        ["mistral-7b"] = LlamaLike("mistral-7b", 32, 4096, 32, 8, 14336, 32000, 32768) with { SlidingWindow = 4096 },
        ["bert-base"] = new()
        {
            Name = "bert-base", Kind = TransformerKind.Encoder, Layers = 12, Hidden = 768, Heads = 12, KvHeads = 12, Intermediate = 3072,
            Vocab = 30522, Mlp = MlpKind.Gelu, Norm = NormKind.LayerNorm, PositionEmbeddings = 512, TokenTypes = 2, MaxPositions = 512,
            QkvBias = true, OutputBias = true, MlpBias = true, EmbeddingNorm = true, FinalNorm = false, Pooler = true,
        },
    };

    /// <summary>Finds a preset by name.</summary>
    /// <exception cref="ArgumentException">No preset has that name.</exception>
    public static TransformerConfig Preset(string name) =>
        Presets.TryGetValue(name, out var c) ? c : throw new DynoInputException($"unknown preset '{name}'; known: {string.Join(", ", Presets.Keys)}");

    /// <summary>
    /// Reads a config file: a Hugging Face <c>config.json</c> (recognised by <c>model_type</c>) or Dyno's own
    /// format (the snake_case names of this record's properties, e.g. <c>layers</c>, <c>hidden</c>, <c>kv_heads</c>,
    /// <c>mlp</c>: gelu|gated, <c>norm</c>: layer_norm|rms_norm, plus optional workload keys <c>seq</c>, <c>batch</c>,
    /// <c>context</c>, <c>weight_precision</c>, <c>activation_precision</c>, <c>kv_cache_precision</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON or lacks/contradicts a field; the message names the file and key.</exception>
    public static ConfigFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine}: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
            var r = new JsonFields(doc.RootElement, path);
            try
            {
                return r.Has("model_type") ? HuggingFace.Parse(r, ModelName(path)) : Native(r);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException(e.Message);
            }
        }
    }

    /// <summary>"llama-3-8b" for llama-3-8b.json or llama-3-8b.config.json; the folder's name for a plain config.json.</summary>
    private static string ModelName(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        if (stem.EndsWith(".config", StringComparison.OrdinalIgnoreCase)) stem = stem[..^".config".Length];
        return stem.Equals("config", StringComparison.OrdinalIgnoreCase) && Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) is { Length: > 0 } dir
            ? dir : stem;
    }

    private static ConfigFile Native(JsonFields r)
    {
        r.RejectUnknown(NativeKeys);
        var heads = r.Int("heads");
        var kind = r.Enum("kind", TransformerKind.Decoder);
        var config = new TransformerConfig
        {
            Name = r.String("name") ?? ModelName(r.Path),
            Kind = kind,
            Layers = r.Int("layers"),
            Hidden = r.Int("hidden"),
            Heads = heads,
            KvHeads = r.Int("kv_heads", heads),
            HeadDimension = r.Int("head_dim", 0),
            Intermediate = r.Int("intermediate"),
            Vocab = r.Int("vocab"),
            Mlp = r.Enum("mlp", MlpKind.Gated),
            Norm = r.Enum("norm", NormKind.RmsNorm),
            TiedEmbeddings = r.Bool("tied_embeddings", false),
            PositionEmbeddings = r.Int("position_embeddings", 0),
            TokenTypes = r.Int("token_types", 0),
            MaxPositions = r.Int("max_positions", 0),
            SlidingWindow = r.Int("sliding_window", 0),
            QkvBias = r.Bool("qkv_bias", false),
            OutputBias = r.Bool("output_bias", false),
            MlpBias = r.Bool("mlp_bias", false),
            EmbeddingNorm = r.Bool("embedding_norm", false),
            FinalNorm = r.Bool("final_norm", kind == TransformerKind.Decoder),
            Pooler = r.Bool("pooler", false),
        };
        return new ConfigFile(config.Validate(r.Path), new LlmWorkload
        {
            Seq = r.IntOrNull("seq"),
            Batch = r.IntOrNull("batch"),
            Context = r.IntOrNull("context"),
            WeightPrecision = r.String("weight_precision") is { } wp ? HardwareProfile.ParsePrecision(wp) : null,
            ActivationPrecision = r.String("activation_precision") is { } ap ? HardwareProfile.ParsePrecision(ap) : null,
            KvCachePrecision = r.String("kv_cache_precision") is { } kp ? HardwareProfile.ParsePrecision(kp) : null,
        });
    }

    private static readonly string[] NativeKeys =
    [
        "name", "kind", "layers", "hidden", "heads", "kv_heads", "head_dim", "intermediate", "vocab", "mlp", "norm", "tied_embeddings",
        "position_embeddings", "token_types", "max_positions", "sliding_window", "qkv_bias", "output_bias", "mlp_bias", "embedding_norm",
        "final_norm", "pooler", "seq", "batch", "context", "weight_precision", "activation_precision", "kv_cache_precision",
    ];

    private static class HuggingFace
    {
        public static ConfigFile Parse(JsonFields r, string dirName)
        {
            var type = r.String("model_type")!;
            if (r.Has("num_local_experts") || r.Has("num_experts") || r.Has("n_routed_experts"))
                throw new InvalidDataException($"{r.Path}: model_type '{type}' is a mixture-of-experts model, which dyno llm does not model");
            var name = r.String("_name_or_path") is { Length: > 0 } n ? n : dirName;
            TransformerConfig c = type switch
            {
                "llama" or "mistral" or "qwen2" or "gemma" => LlamaFamily(r, type, name),
                "gpt2" => Gpt2(r, name),
                "bert" or "roberta" => Bert(r, type, name),
                _ => throw new InvalidDataException(
                    $"{r.Path}: model_type '{type}' is not supported (supported: llama, mistral, qwen2, gemma, gpt2, bert, roberta); write the shape in dyno's own config format instead (docs/llm.md)"),
            };
            return new ConfigFile(c.Validate(r.Path), new LlmWorkload());
        }

        private static TransformerConfig LlamaFamily(JsonFields r, string type, string name)
        {
            var hidden = r.Int("hidden_size");
            var heads = r.Int("num_attention_heads");
            var act = r.String("hidden_act") ?? r.String("hidden_activation") ?? "silu";
            if (act is not ("silu" or "swish" or "gelu" or "gelu_pytorch_tanh" or "gelu_new"))
                throw new InvalidDataException($"{r.Path}: hidden_act '{act}' is not a gated activation dyno knows (silu, gelu, gelu_pytorch_tanh)");
            var attentionBias = r.Bool("attention_bias", false);
            var window = type == "mistral" || r.Bool("use_sliding_window", type != "qwen2") ? r.IntOrNull("sliding_window") ?? 0 : 0;
            return new TransformerConfig
            {
                Name = name,
                Layers = r.Int("num_hidden_layers"),
                Hidden = hidden,
                Heads = heads,
                KvHeads = r.IntOrNull("num_key_value_heads") ?? heads,
                HeadDimension = r.IntOrNull("head_dim") ?? 0,
                Intermediate = r.Int("intermediate_size"),
                Vocab = r.Int("vocab_size"),
                TiedEmbeddings = r.Bool("tie_word_embeddings", type == "gemma"),
                MaxPositions = r.IntOrNull("max_position_embeddings") ?? 0,
                SlidingWindow = window,
                QkvBias = type == "qwen2" || attentionBias,
                OutputBias = attentionBias,
                MlpBias = r.Bool("mlp_bias", false),
            };
        }

        private static TransformerConfig Gpt2(JsonFields r, string name)
        {
            var hidden = r.Int("n_embd");
            var positions = r.Int("n_positions");
            return new TransformerConfig
            {
                Name = name, Layers = r.Int("n_layer"), Hidden = hidden, Heads = r.Int("n_head"), KvHeads = r.Int("n_head"),
                Intermediate = r.IntOrNull("n_inner") ?? 4 * hidden, Vocab = r.Int("vocab_size"), Mlp = MlpKind.Gelu,
                Norm = NormKind.LayerNorm, TiedEmbeddings = r.Bool("tie_word_embeddings", true), PositionEmbeddings = positions,
                MaxPositions = positions, QkvBias = true, OutputBias = true, MlpBias = true,
            };
        }

        private static TransformerConfig Bert(JsonFields r, string type, string name)
        {
            var heads = r.Int("num_attention_heads");
            var positions = r.Int("max_position_embeddings");
            // RoBERTa reserves padding_idx + 1 = 2 rows of its position table, so its usable length is 2 shorter.
            var usable = type == "roberta" ? positions - (r.IntOrNull("pad_token_id") ?? 1) - 1 : positions;
            return new TransformerConfig
            {
                Name = name, Kind = TransformerKind.Encoder, Layers = r.Int("num_hidden_layers"), Hidden = r.Int("hidden_size"),
                Heads = heads, KvHeads = heads, Intermediate = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"), Mlp = MlpKind.Gelu,
                Norm = NormKind.LayerNorm, PositionEmbeddings = positions, TokenTypes = r.IntOrNull("type_vocab_size") ?? 2,
                MaxPositions = usable, QkvBias = true, OutputBias = true, MlpBias = true, EmbeddingNorm = true, FinalNorm = false,
                Pooler = true,
            };
        }
    }

    /// <summary>Typed access to a JSON object's fields with messages that name the file and key.</summary>
    private sealed class JsonFields(JsonElement root, string path)
    {
        public string Path { get; } = path;

        public bool Has(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

        public int Int(string key) => IntOrNull(key) ?? throw new InvalidDataException($"{Path}: missing required key '{key}'");

        public int Int(string key, int fallback) => IntOrNull(key) ?? fallback;

        public int? IntOrNull(string key)
        {
            if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
            throw new InvalidDataException($"{Path}: key '{key}' must be an integer (got {v.GetRawText()})");
        }

        public bool Bool(string key, bool fallback)
        {
            if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new InvalidDataException($"{Path}: key '{key}' must be true or false (got {v.GetRawText()})"),
            };
        }

        public string? String(string key)
        {
            if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new InvalidDataException($"{Path}: key '{key}' must be a string (got {v.GetRawText()})");
        }

        public T Enum<T>(string key, T fallback) where T : struct, System.Enum
        {
            var s = String(key);
            if (s is null) return fallback;
            var names = System.Enum.GetNames<T>();
            var match = names.FirstOrDefault(n => string.Equals(Snake(n), s, StringComparison.OrdinalIgnoreCase) || string.Equals(n, s, StringComparison.OrdinalIgnoreCase));
            return match is not null ? System.Enum.Parse<T>(match)
                : throw new InvalidDataException($"{Path}: key '{key}' is '{s}'; expected one of {string.Join(", ", names.Select(Snake))}");
        }

        public void RejectUnknown(IReadOnlyCollection<string> known)
        {
            foreach (var p in root.EnumerateObject())
                if (!known.Contains(p.Name))
                    throw new InvalidDataException($"{Path}: unknown key '{p.Name}' (known: {string.Join(", ", known)}; a Hugging Face config.json needs 'model_type')");
        }

        private static string Snake(string pascal) => string.Concat(pascal.Select((ch, i) =>
            char.IsUpper(ch) ? (i > 0 ? "_" : "") + char.ToLower(ch, CultureInfo.InvariantCulture) : ch.ToString()));
    }
}

/// <summary>What a config file holds: the architecture and any workload settings it names (null = not given).</summary>
public sealed record ConfigFile(TransformerConfig Config, LlmWorkload Workload);
