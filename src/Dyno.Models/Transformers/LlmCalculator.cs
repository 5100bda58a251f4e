using Dyno.Models.Roofline;
using Dyno.Models.Hardware;

namespace Dyno.Models.Transformers;

/// <summary>Workload settings a config file may carry; null fields are unset (command-line options and defaults fill them).</summary>
public sealed record LlmWorkload
{
    public int? Seq { get; init; }
    public int? Batch { get; init; }
    public int? Context { get; init; }
    public Precision? WeightPrecision { get; init; }
    public Precision? ActivationPrecision { get; init; }
    public Precision? KvCachePrecision { get; init; }

    /// <summary>This workload with every field <paramref name="over"/> sets replaced.</summary>
    public LlmWorkload Override(LlmWorkload over) => new()
    {
        Seq = over.Seq ?? Seq,
        Batch = over.Batch ?? Batch,
        Context = over.Context ?? Context,
        WeightPrecision = over.WeightPrecision ?? WeightPrecision,
        ActivationPrecision = over.ActivationPrecision ?? ActivationPrecision,
        KvCachePrecision = over.KvCachePrecision ?? KvCachePrecision,
    };
}

/// <summary>
/// What is run: <see cref="Seq"/> prompt tokens per sequence for <see cref="Batch"/> sequences (prefill), and a
/// decode step whose KV cache holds <see cref="Context"/> tokens including the new one. <see cref="Compute"/>
/// selects the hardware peak; the other precisions set the bytes of weights, activations and the KV cache.
/// </summary>
public sealed record LlmScenario(int Seq, int Batch, int Context, Precision Compute, Precision Weights, Precision Activations, Precision KvCache)
{
    /// <summary>Resolves a workload for <paramref name="config"/>: seq defaults to the model's max_positions, batch to 1,
    /// context to seq, weight/activation precisions to <paramref name="compute"/> and the KV cache to the activation precision.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range.</exception>
    public static LlmScenario Resolve(TransformerConfig config, LlmWorkload w, Precision compute)
    {
        var seq = w.Seq ?? (config.MaxPositions > 0 ? config.MaxPositions
            : throw new DynoInputException($"{config.Name}: give LlmWorkload.Seq (the config has no max_positions to default to)", "LlmWorkload.Seq"));
        var batch = w.Batch ?? 1;
        var context = w.Context ?? seq;
        if (seq <= 0) throw new DynoInputException($"seq must be a positive integer (got {seq})");
        if (batch <= 0) throw new DynoInputException($"batch must be a positive integer (got {batch})");
        if (context <= 0) throw new DynoInputException($"context must be a positive integer (got {context})");
        var weights = w.WeightPrecision ?? compute;
        var activations = w.ActivationPrecision ?? compute;
        var kv = w.KvCachePrecision ?? activations;
        return new LlmScenario(seq, batch, context, compute, weights, activations, kv);
    }
}

/// <summary>Parameters by part of the model.</summary>
public sealed record ParamBreakdown(long Embeddings, long Attention, long Mlp, long Norms, long LmHead, long Pooler)
{
    public long Total => Embeddings + Attention + Mlp + Norms + LmHead + Pooler;
}

/// <summary>Work and memory traffic of one forward step (prefill or one decode step) over the whole batch.</summary>
public sealed record StepCost
{
    /// <summary>New tokens processed in the step (batch × tokens per sequence).</summary>
    public required long Tokens { get; init; }

    /// <summary>Matmul FLOPs (2 × MACs) the step needs, with causal-mask savings (what a kernel that skips masked blocks does).</summary>
    public required long Flops { get; init; }

    /// <summary>Bytes of parameters read: every matrix, bias and norm once, plus the embedding rows gathered.</summary>
    public required long WeightBytes { get; init; }

    /// <summary>Bytes of activations read and written between fused kernels (docs/llm.md: what is counted).</summary>
    public required long ActivationBytes { get; init; }

    public required long KvCacheReadBytes { get; init; }
    public required long KvCacheWriteBytes { get; init; }
    public long TotalBytes => WeightBytes + ActivationBytes + KvCacheReadBytes + KvCacheWriteBytes;
    public double ArithmeticIntensity => TotalBytes > 0 ? (double)Flops / TotalBytes : 0;
}

/// <summary>A roofline lower bound: time = max(flops / peak, bytes / bandwidth).</summary>
public sealed record RooflineTime(long Flops, long Bytes, double ArithmeticIntensity, double ComputeSeconds, double MemorySeconds)
{
    public double Seconds => Math.Max(ComputeSeconds, MemorySeconds);

    /// <summary><see cref="RooflineBound.Compute"/> when the FLOPs take longer than the bytes, else <see cref="RooflineBound.Memory"/> (JSON: "compute", "memory").</summary>
    public RooflineBound Bound => ComputeSeconds >= MemorySeconds ? RooflineBound.Compute : RooflineBound.Memory;

    public static RooflineTime Of(StepCost step, double peakFlops, double bandwidth) =>
        new(step.Flops, step.TotalBytes, step.ArithmeticIntensity, step.Flops / peakFlops, step.TotalBytes / bandwidth);
}

/// <summary>Roofline-bound latencies on one device.</summary>
public sealed record LlmRoofline
{
    public required string Hardware { get; init; }
    public required string Title { get; init; }
    public required Precision Precision { get; init; }
    public required double PeakFlops { get; init; }
    public required double BandwidthBytesPerSecond { get; init; }

    /// <summary>Peak / bandwidth (FLOP/byte).</summary>
    public required double Ridge { get; init; }

    public required RooflineTime Prefill { get; init; }
    public RooflineTime? Decode { get; init; }

    /// <summary>The prefill bound: time to first token for decoders, the forward latency for encoders.</summary>
    public double TimeToFirstTokenSeconds => Prefill.Seconds;

    /// <summary>Tokens generated per second over the batch (batch / decode-step time); null for encoders.</summary>
    public double? TokensPerSecond { get; init; }

    /// <summary>Tokens per second one sequence sees (1 / decode-step time).</summary>
    public double? TokensPerSecondPerSequence { get; init; }

    /// <summary>Weights plus the KV cache at the context, in bytes, against the device's memory.</summary>
    public required long WeightsAndKvCacheBytes { get; init; }
    public required double DeviceMemoryBytes { get; init; }
}

/// <summary>The calculator's result. FLOPs are matmul FLOPs: 2 × multiply-accumulates; element-wise work is not counted.</summary>
public sealed record LlmEstimate
{
    public required string Model { get; init; }
    public required TransformerConfig Architecture { get; init; }
    public required LlmScenario Scenario { get; init; }

    public required long Params { get; init; }
    public required ParamBreakdown ParamsBreakdown { get; init; }

    /// <summary>N: parameters of the weight matrices every token goes through (attention, MLP, LM head even when tied);
    /// no embedding tables, norms, biases or pooler. Forward matmul FLOPs per token = 2N + attention.</summary>
    public required long MatmulParams { get; init; }

    /// <summary>Prefill MACs of every dense product, attention scores over the full seq × seq (what an ONNX graph computes).</summary>
    public required long MatmulMacs { get; init; }

    /// <summary>Prefill MACs with causal-mask savings: each query attends only to keys at or before it (and within the sliding window).</summary>
    public required long MatmulMacsCausal { get; init; }

    public required long FlopsPrefill { get; init; }
    public required long FlopsPrefillCausal { get; init; }

    /// <summary>Decoders: one decode step of one sequence whose KV cache holds <c>context</c> tokens. Encoders: flops_prefill / (batch × seq).</summary>
    public required double FlopsPerToken { get; init; }

    /// <summary>flops_prefill / (batch × seq): the mean forward cost per token without causal savings (Kaplan/PaLM convention).</summary>
    public required double FlopsPerTokenMean { get; init; }

    /// <summary>flops_prefill_causal / (batch × seq).</summary>
    public required double FlopsPerTokenMeanCausal { get; init; }

    /// <summary>PaLM appendix B: 6N + 12·L·H·Q·T with N = <see cref="MatmulParams"/>, H·Q = heads × head_dim, T = seq.</summary>
    public required long TrainingFlopsPerToken { get; init; }

    /// <summary>KV cache at the context for the whole batch (0 for encoders).</summary>
    public required long KvCacheBytes { get; init; }
    public required long KvCacheBytesPerToken { get; init; }

    /// <summary>All parameters at the weight precision.</summary>
    public required long WeightBytes { get; init; }

    public required StepCost Prefill { get; init; }
    public StepCost? Decode { get; init; }
    public LlmRoofline? Roofline { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>The definitions behind each number, in words.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "An instance property on purpose: it is serialized with every result as its 'conventions' key.")]
    public IReadOnlyDictionary<string, string> Conventions => LlmCalculator.Conventions;
}

/// <summary>
/// Closed-form parameter, FLOP, KV-cache and traffic counts for a <see cref="TransformerConfig"/>, and roofline
/// bounds on a <see cref="HardwareProfile"/> (docs/llm.md). Matmul MACs equal <c>dense_macs</c> of
/// <see cref="Analysis.ModelProfiler"/> on the equivalent ONNX graph.
/// </summary>
public static class LlmCalculator
{
    /// <summary>The conventions every estimate follows (also in docs/llm.md).</summary>
    public static IReadOnlyDictionary<string, string> Conventions { get; } = new Dictionary<string, string>
    {
        ["params"] = "all parameters: embeddings (token, learned positions, token types), attention and MLP matrices and biases, norms, untied LM head, pooler; a tied head counts once",
        ["matmul_params"] = "N: weight matrices every token goes through (attention, MLP, LM head even when tied); no embedding tables, norms, biases or pooler",
        ["matmul_macs"] = "prefill multiply-accumulates of every dense product over batch x seq tokens: projections, QK^T and PV over the full seq x seq (no causal savings, as an ONNX graph computes it), LM head over every position, pooler on the first token; equals dense_macs of dyno profile on the equivalent graph",
        ["flops"] = "matmul FLOPs = 2 x MACs; element-wise work (norms, softmax, activations, residuals) is not counted",
        ["flops_prefill"] = "headline prefill FLOPs without causal savings (= 2 x matmul_macs); flops_prefill_causal counts only the (query, key) pairs a causal (and sliding-window) mask keeps",
        ["flops_per_token"] = "decoders: one decode step of one sequence with a KV cache holding `context` tokens (the new one included), so causal by construction; encoders: flops_prefill / (batch x seq)",
        ["flops_per_token_mean"] = "flops_prefill / (batch x seq), every token attending to all seq keys (the Kaplan/PaLM convention); _causal: flops_prefill_causal / (batch x seq)",
        ["training_flops_per_token"] = "PaLM appendix B: 6N + 12 L H Q T with N = matmul_params, H Q = heads x head_dim, T = seq",
        ["kv_cache_bytes"] = "2 (K and V) x layers x kv_heads x head_dim x cached tokens x batch at the KV-cache precision; cached tokens = context (at most the sliding window)",
        ["traffic"] = "weights: every matrix, bias and norm read once per step plus the gathered embedding rows; activations: inputs and outputs of norm, QKV, attention (scores kept on chip), O, MLP-in (activation and gate fused) and MLP-down kernels, embedding sum, LM-head logits for every new token; KV cache: read all cached K/V once, write the new tokens' K/V",
        ["roofline"] = "time = max(flops / peak at the compute precision, bytes / bandwidth); prefill uses the causal FLOPs (what a kernel that skips masked blocks needs) and is the time to first token; tokens_per_second = batch / decode-step time",
    };

    /// <exception cref="ArgumentException">The config or scenario is invalid, or the device has no peak at the compute precision.</exception>
    public static LlmEstimate Estimate(TransformerConfig c, LlmScenario s, HardwareProfile? hardware = null)
    {
        c.Validate(c.Name);
        try
        {
            return checked(Compute(c, s, hardware));
        }
        catch (OverflowException)
        {
            throw new DynoInputException($"{c.Name}: seq {s.Seq} × batch {s.Batch} is too large to count in 64-bit integers");
        }
    }

    /// <summary>Parameters by part.</summary>
    public static ParamBreakdown Parameters(TransformerConfig c)
    {
        checked
        {
            long h = c.Hidden, l = c.Layers, i = c.Intermediate, v = c.Vocab, q = c.QueryWidth, kv = c.KvWidth;
            var embeddings = (v + c.PositionEmbeddings + c.TokenTypes) * h;
            var attention = l * (2 * h * q + 2 * h * kv + (c.QkvBias ? q + 2 * kv : 0) + (c.OutputBias ? h : 0));
            var mlp = l * (MlpMatrices(c) * h * i + (c.MlpBias ? (MlpMatrices(c) - 1) * i + h : 0));
            var norms = NormSize(c) * (2 * l + (c.EmbeddingNorm ? 1 : 0) + (c.FinalNorm ? 1 : 0));
            var head = c.Kind == TransformerKind.Decoder && !c.TiedEmbeddings ? h * v : 0;
            var pooler = c.Pooler ? h * h + h : 0;
            return new ParamBreakdown(embeddings, attention, mlp, norms, head, pooler);
        }
    }

    /// <summary>N of the 2N-per-token rule: matrices applied to every token (see <see cref="LlmEstimate.MatmulParams"/>).</summary>
    public static long MatmulParams(TransformerConfig c)
    {
        checked
        {
            long h = c.Hidden;
            var perLayer = 2 * h * c.QueryWidth + 2 * h * c.KvWidth + MlpMatrices(c) * h * c.Intermediate;
            return c.Layers * perLayer + (c.Kind == TransformerKind.Decoder ? h * c.Vocab : 0);
        }
    }

    private static int MlpMatrices(TransformerConfig c) => c.Mlp == MlpKind.Gated ? 3 : 2;

    private static long NormSize(TransformerConfig c) => c.Norm == NormKind.LayerNorm ? 2L * c.Hidden : c.Hidden;

    /// <summary>(query, key) pairs of one sequence and head when the last <paramref name="n"/> of <paramref name="t"/> positions are queries.</summary>
    private static long Pairs(long n, long t, bool causal, long window)
    {
        if (!causal) return n * t;
        // Σ over query positions p = t−n+1 … t of min(p, window): each attends to itself and earlier keys in the window.
        long first = t - n + 1, last = t;
        if (window <= 0 || last <= window) return (first + last) * n / 2;
        if (first > window) return n * window;
        return (first + window) * (window - first + 1) / 2 + (last - window) * window;
    }

    private static LlmEstimate Compute(TransformerConfig c, LlmScenario s, HardwareProfile? hardware)
    {
        var encoder = c.Kind == TransformerKind.Encoder;
        var notes = new List<string>();
        if (c.MaxPositions > 0 && Math.Max(s.Seq, encoder ? 0 : s.Context) > c.MaxPositions)
            notes.Add($"seq/context exceed the model's max_positions ({c.MaxPositions}): the counts extrapolate beyond what the model supports");
        if (c.SlidingWindow > 0)
            notes.Add($"sliding-window attention ({c.SlidingWindow}): causal counts and the KV cache cover at most {c.SlidingWindow} keys per query; the dense matmul_macs computes the full seq × seq scores");
        if (encoder && s.Context != s.Seq) notes.Add("encoders have no decode step: context is ignored");

        var parts = Parameters(c);
        var n = MatmulParams(c);
        long b = s.Batch, seq = s.Seq;
        var pooler = c.Pooler ? b * c.Hidden * (long)c.Hidden : 0;
        var macs = b * seq * n + AttentionMacs(c, b, seq, seq, causal: false) + pooler;
        var macsCausal = encoder ? macs : b * seq * n + AttentionMacs(c, b, seq, seq, causal: true) + pooler;

        var prefill = Step(c, s, seq, seq, 2 * macsCausal);
        StepCost? decode = null;
        double perToken;
        if (encoder)
            perToken = 2.0 * macs / (b * seq);
        else
        {
            var decodeMacs = b * n + AttentionMacs(c, b, 1, s.Context, causal: true);
            decode = Step(c, s, 1, s.Context, 2 * decodeMacs);
            perToken = 2 * (decodeMacs / b); // every sequence of the batch does the same work
        }

        var kvPerToken = encoder ? 0 : Bytes(2L * c.Layers * c.KvWidth, s.KvCache);
        var kvBytes = kvPerToken * CachedTokens(c, s.Context) * b;
        var weightBytes = Bytes(parts.Total, s.Weights);

        LlmRoofline? roof = null;
        if (hardware is not null)
        {
            var peak = hardware.PeakFlops(s.Compute)
                ?? throw new DynoInputException($"hardware '{hardware.Name}' has no {HardwareProfile.Key(s.Compute)} peak (it has: {string.Join(", ", hardware.PeakTflops.Keys)}); choose another LlmScenario.Compute", "LlmScenario.Compute");
            var bw = hardware.BandwidthBytesPerSecond;
            var decodeTime = decode is null ? null : RooflineTime.Of(decode, peak, bw);
            roof = new LlmRoofline
            {
                Hardware = hardware.Name, Title = hardware.Title, Precision = s.Compute, PeakFlops = peak, BandwidthBytesPerSecond = bw,
                Ridge = peak / bw, Prefill = RooflineTime.Of(prefill, peak, bw), Decode = decodeTime,
                TokensPerSecond = decodeTime is null ? null : b / decodeTime.Seconds,
                TokensPerSecondPerSequence = decodeTime is null ? null : 1 / decodeTime.Seconds,
                WeightsAndKvCacheBytes = weightBytes + kvBytes, DeviceMemoryBytes = hardware.MemoryBytes,
            };
            if (weightBytes + kvBytes > hardware.MemoryBytes)
                notes.Add($"weights + KV cache ({weightBytes + kvBytes:N0} bytes) exceed {hardware.Name}'s memory ({hardware.MemoryBytes:N0} bytes): the model does not fit on one device");
        }

        return new LlmEstimate
        {
            Model = c.Name,
            Architecture = c,
            Scenario = s,
            Params = parts.Total,
            ParamsBreakdown = parts,
            MatmulParams = n,
            MatmulMacs = macs,
            MatmulMacsCausal = macsCausal,
            FlopsPrefill = 2 * macs,
            FlopsPrefillCausal = 2 * macsCausal,
            FlopsPerToken = perToken,
            FlopsPerTokenMean = 2.0 * macs / (b * seq),
            FlopsPerTokenMeanCausal = 2.0 * macsCausal / (b * seq),
            TrainingFlopsPerToken = 6 * n + 12L * c.Layers * c.QueryWidth * seq,
            KvCacheBytes = kvBytes,
            KvCacheBytesPerToken = kvPerToken,
            WeightBytes = weightBytes,
            Prefill = prefill,
            Decode = decode,
            Roofline = roof,
            Notes = notes,
        };
    }

    /// <summary>QKᵀ and PV MACs over all layers: 2 × heads × head_dim per (query, key) pair.</summary>
    private static long AttentionMacs(TransformerConfig c, long batch, long newTokens, long context, bool causal) =>
        c.Layers * batch * 2 * c.QueryWidth * Pairs(newTokens, context, causal, c.SlidingWindow);

    /// <summary>Tokens the KV cache holds at a context (a rolling buffer of the window under sliding-window attention).</summary>
    private static long CachedTokens(TransformerConfig c, long context) => c.SlidingWindow > 0 ? Math.Min(context, c.SlidingWindow) : context;

    private static long Bytes(long elements, Precision p) => checked(elements * HardwareProfile.Bits(p) + 7) / 8;

    /// <summary>Traffic of a step that runs <paramref name="newTokens"/> per sequence with <paramref name="context"/> tokens visible.</summary>
    private static StepCost Step(TransformerConfig c, LlmScenario s, long newTokens, long context, long flops)
    {
        long b = s.Batch, t = b * newTokens, h = c.Hidden, q = c.QueryWidth, kv = c.KvWidth, i = c.Intermediate, l = c.Layers;
        var decoder = c.Kind == TransformerKind.Decoder;
        var parts = Parameters(c);

        // Every matrix, bias and norm is read once; embedding tables only for the rows gathered.
        var tables = 1 + (c.PositionEmbeddings > 0 ? 1 : 0) + (c.TokenTypes > 0 ? 1 : 0);
        var weights = parts.Total - parts.Embeddings + t * h * tables + (decoder && c.TiedEmbeddings ? h * c.Vocab : 0);

        // Activations between kernels, per layer: norm (read, write), QKV (read x, write Q), attention (read Q, write
        // context; scores stay on chip), O projection (read context and residual, write), norm, MLP in (read, write
        // the activated/gated I-wide tensor), MLP down (read it and the residual, write).
        var perLayer = 10 * t * h + 4 * t * q + 2 * t * i;
        var keysRead = c.SlidingWindow > 0 ? Math.Min(context, newTokens + c.SlidingWindow - 1) : context;
        var kvWrite = l * t * 2 * kv;
        var kvRead = l * b * keysRead * 2 * kv;
        var outside = t * h                                       // the summed embeddings written
                      + (c.EmbeddingNorm ? 2 * t * h : 0) + (c.FinalNorm ? 2 * t * h : 0)
                      + (decoder ? t * h + t * (long)c.Vocab : 0) // LM head reads hidden states, writes logits
                      + (c.Pooler ? 2 * b * h : 0);
        var activations = l * perLayer + outside;
        if (!decoder)
        {
            activations += kvWrite + kvRead;                      // encoders keep K and V as ordinary activations
            kvWrite = kvRead = 0;
        }
        return new StepCost
        {
            Tokens = t,
            Flops = flops,
            WeightBytes = Bytes(weights, s.Weights),
            ActivationBytes = Bytes(activations, s.Activations),
            KvCacheReadBytes = Bytes(kvRead, s.KvCache),
            KvCacheWriteBytes = Bytes(kvWrite, s.KvCache),
        };
    }
}
