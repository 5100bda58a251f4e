using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Runtime.Generation;

/// <summary>Timestamps of one generation, in <see cref="Stopwatch"/> ticks: per step, the end of the step and the time inside <c>Run</c>.</summary>
public sealed class StepTimes(int steps)
{
    /// <summary>When the generation started (before the prefill's feeds were touched).</summary>
    public long Start { get; set; }

    /// <summary>End of step k (its token chosen): step 0 is the prefill.</summary>
    public long[] End { get; } = new long[steps];

    /// <summary>Ticks spent inside <c>InferenceSession.Run</c> in step k.</summary>
    public long[] Run { get; } = new long[steps];

    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// A greedy generation loop for one batch of prompts and one generation length, with every feed prepared before the
/// clock starts. Prompts are padded on the left to the longest (pad id in <c>input_ids</c>, 0 in the mask), so each
/// row's last real token is in the last column; position ids are max(cumsum(mask) − 1, 0), so a row's first real token
/// is at position 0 (Hugging Face's rule; the value at pad slots is masked and does not matter). The prefill feeds the
/// padded prompts with empty pasts [b, kv, 0, hd]; each decode step feeds the previous token [b, 1], the mask with one
/// more 1 and each row's previous position + 1, and the previous step's <c>present.{i}.*</c> as <c>past_key_values.{i}.*</c>
/// (matched by name). The next token is the argmax of the last position's logits, the lowest id on ties; the loop does
/// not stop at EOS.
/// <para>No copy of the cache is made by Dyno: each layer's K and V have two pinned buffers large enough for the final
/// length, and the runtime writes step k's present into one of them (an <see cref="OrtValue"/> view of the exact shape)
/// while reading step k − 1's from the other. Masks, positions and views for every step are created up front, so a
/// step's own work is writing b token ids, one <c>RunWithBinding</c> on an I/O binding made up front (no name marshalling, no
/// allocation), and an argmax.</para>
/// </summary>
public sealed class GreedyGenerator : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly int _batch, _promptLen, _steps, _vocab;
    private readonly string[] _inputNames, _outputNames;
    private readonly OrtValue[][] _inputs, _outputs;
    private readonly OrtIoBinding[] _bindings;
    private readonly float[] _prefillLogits, _decodeLogits;
    private readonly long[] _decodeIds;
    private readonly List<OrtValue> _owned = [];
    private readonly long _finalCacheBytes, _bufferBytes;

    /// <param name="session">A session on a graph with <paramref name="layout"/>.</param>
    /// <param name="layout">The graph's cache layout.</param>
    /// <param name="prompts">One batch of unpadded prompts (token ids), at least one, none empty.</param>
    /// <param name="newTokens">Tokens to generate per prompt (the prefill's token included), at least 1.</param>
    /// <param name="padTokenId">The id written into padding slots.</param>
    public GreedyGenerator(InferenceSession session, DecoderLayout layout, IReadOnlyList<IReadOnlyList<long>> prompts, int newTokens, long padTokenId)
    {
        if (prompts.Count == 0 || prompts.Any(p => p.Count == 0)) throw new DynoInputException("every prompt needs at least one token", nameof(prompts));
        if (newTokens < 1) throw new ArgumentOutOfRangeException(nameof(newTokens), "generate at least one token");
        _session = session;
        _batch = prompts.Count;
        _promptLen = prompts.Max(p => p.Count);
        _steps = newTokens;
        _vocab = layout.Vocab;
        int b = _batch, len = _promptLen, kv = layout.KvHeads, hd = layout.HeadDim;
        var maxTotal = len + newTokens - 1;
        var mem = OrtMemoryInfo.DefaultInstance;

        OrtValue Own(OrtValue v) { _owned.Add(v); return v; }
        OrtValue Longs(long[] buffer, int offset, int count, long[] shape) => Own(OrtValue.CreateTensorValueFromMemory(mem, new Memory<long>(buffer, offset, count), shape));
        OrtValue Floats(float[] buffer, int count, long[] shape) => Own(OrtValue.CreateTensorValueFromMemory(mem, new Memory<float>(buffer, 0, count), shape));

        // Prefill feeds: left-padded ids, mask, cumsum positions.
        var ids = GC.AllocateArray<long>(b * len, pinned: true);
        var mask = GC.AllocateArray<long>(b * len, pinned: true);
        var pos = GC.AllocateArray<long>(b * len, pinned: true);
        var lastPos = new long[b];
        for (var r = 0; r < b; r++)
        {
            var p = prompts[r];
            var pad = len - p.Count;
            for (var j = 0; j < len; j++)
            {
                ids[r * len + j] = j < pad ? padTokenId : p[j - pad];
                mask[r * len + j] = j < pad ? 0 : 1;
                pos[r * len + j] = Math.Max(j - pad, 0);
            }
            lastPos[r] = p.Count - 1;
        }

        var names = new List<string> { layout.InputIds, layout.AttentionMask };
        if (layout.PositionIds is not null) names.Add(layout.PositionIds);
        foreach (var l in layout.Layers) { names.Add(l.PastKey); names.Add(l.PastValue); }
        _inputNames = names.ToArray();
        var outNames = new List<string> { layout.Logits };
        foreach (var l in layout.Layers) { outNames.Add(l.PresentKey); outNames.Add(l.PresentValue); }
        _outputNames = outNames.ToArray();

        // Two pinned buffers per layer for K and for V: step k writes its present into set k % 2.
        var cacheElems = (long)b * kv * maxTotal * hd;
        if (cacheElems > Array.MaxLength) throw new DynoInputException($"a KV cache of {cacheElems:N0} floats per layer does not fit in one buffer");
        var buffers = new float[2][][];
        for (var s = 0; s < 2; s++)
        {
            buffers[s] = new float[layout.Layers.Count * 2][];
            for (var i = 0; i < buffers[s].Length; i++) buffers[s][i] = GC.AllocateArray<float>((int)cacheElems, pinned: true);
        }
        _bufferBytes = 2L * layout.Layers.Count * 2 * cacheElems * sizeof(float);
        _finalCacheBytes = (long)layout.Layers.Count * 2 * b * kv * maxTotal * hd * sizeof(float);

        var prefillLogitsCount = (long)b * len * _vocab;
        if (prefillLogitsCount > Array.MaxLength) throw new DynoInputException($"prefill logits of {prefillLogitsCount:N0} floats do not fit in one buffer; use a shorter prompt or smaller batch");
        _prefillLogits = GC.AllocateArray<float>((int)prefillLogitsCount, pinned: true);
        _decodeLogits = GC.AllocateArray<float>(b * _vocab, pinned: true);
        _decodeIds = GC.AllocateArray<long>(b, pinned: true);
        var emptyPast = Own(OrtValue.CreateTensorValueFromMemory(mem, new Memory<float>([]), [b, kv, 0, hd]));
        var decodeIdsValue = Longs(_decodeIds, 0, b, [b, 1]);
        var prefillLogitsValue = Floats(_prefillLogits, (int)prefillLogitsCount, [b, len, _vocab]);
        var decodeLogitsValue = Floats(_decodeLogits, b * _vocab, [b, 1, _vocab]);

        // Masks of every decode step laid out one after another; positions likewise.
        var maskElems = 0L;
        for (var k = 1; k < newTokens; k++) maskElems += (long)b * (len + k);
        var masks = GC.AllocateArray<long>((int)Math.Max(1, maskElems), pinned: true);
        var positions = GC.AllocateArray<long>(Math.Max(1, b * (newTokens - 1)), pinned: true);

        _inputs = new OrtValue[newTokens][];
        _outputs = new OrtValue[newTokens][];
        var maskOffset = 0;
        for (var k = 0; k < newTokens; k++)
        {
            var total = len + k;
            var input = new List<OrtValue>();
            if (k == 0)
            {
                input.Add(Longs(ids, 0, b * len, [b, len]));
                input.Add(Longs(mask, 0, b * len, [b, len]));
                if (layout.PositionIds is not null) input.Add(Longs(pos, 0, b * len, [b, len]));
                for (var i = 0; i < layout.Layers.Count * 2; i++) input.Add(emptyPast);
            }
            else
            {
                for (var r = 0; r < b; r++)
                {
                    for (var j = 0; j < total; j++) masks[maskOffset + r * total + j] = j < len ? mask[r * len + j] : 1;
                    positions[(k - 1) * b + r] = lastPos[r] + k;
                }
                input.Add(decodeIdsValue);
                input.Add(Longs(masks, maskOffset, b * total, [b, total]));
                maskOffset += b * total;
                if (layout.PositionIds is not null) input.Add(Longs(positions, (k - 1) * b, b, [b, 1]));
                input.AddRange(_outputs[k - 1].Skip(1)); // present.{i}.key|value of step k-1, in past order
            }
            _inputs[k] = input.ToArray();
            var output = new List<OrtValue> { k == 0 ? prefillLogitsValue : decodeLogitsValue };
            var set = buffers[k % 2];
            for (var i = 0; i < set.Length; i++) output.Add(Floats(set[i], b * kv * total * hd, [b, kv, total, hd]));
            _outputs[k] = output.ToArray();
        }

        // One I/O binding per step, bound up front: Run then marshals no names and binds nothing.
        _bindings = new OrtIoBinding[newTokens];
        for (var k = 0; k < newTokens; k++)
        {
            var binding = _bindings[k] = session.CreateIoBinding();
            for (var i = 0; i < _inputNames.Length; i++) binding.BindInput(_inputNames[i], _inputs[k][i]);
            for (var i = 0; i < _outputNames.Length; i++) binding.BindOutput(_outputNames[i], _outputs[k][i]);
        }
    }

    /// <summary>Rows of the batch.</summary>
    public int Batch => _batch;

    /// <summary>Length of the padded prompt.</summary>
    public int PromptLength => _promptLen;

    /// <summary>Tokens generated per row.</summary>
    public int NewTokens => _steps;

    /// <summary>Bytes of K and V the cache holds after the last step: 2 × layers × batch × kv_heads × (prompt + new − 1) × head_dim × 4.</summary>
    public long KvCacheBytes => _finalCacheBytes;

    /// <summary>Bytes of the two alternating cache buffers Dyno allocated (twice <see cref="KvCacheBytes"/>).</summary>
    public long KvBufferBytes => _bufferBytes;

    /// <summary>Runs one generation; returns the new token ids [row][step]. <paramref name="times"/> receives per-step timestamps.</summary>
    public long[][] Generate(StepTimes? times = null)
    {
        var tokens = new long[_batch][];
        for (var r = 0; r < _batch; r++) tokens[r] = new long[_steps];
        if (times is not null) times.Start = Stopwatch.GetTimestamp();
        for (var k = 0; k < _steps; k++)
        {
            if (k > 0)
                for (var r = 0; r < _batch; r++) _decodeIds[r] = tokens[r][k - 1];
            var t0 = Stopwatch.GetTimestamp();
            _session.RunWithBinding(_runOptions, _bindings[k]);
            var t1 = Stopwatch.GetTimestamp();
            var logits = k == 0 ? _prefillLogits : _decodeLogits;
            var rowStride = (k == 0 ? _promptLen : 1) * _vocab;
            var last = (k == 0 ? _promptLen - 1 : 0) * _vocab;
            for (var r = 0; r < _batch; r++) tokens[r][k] = ArgMax(logits.AsSpan(r * rowStride + last, _vocab));
            if (times is not null)
            {
                times.End[k] = Stopwatch.GetTimestamp();
                times.Run[k] = t1 - t0;
            }
        }
        return tokens;
    }

    /// <summary>Index of the largest value, the lowest index on ties (NaN never wins).</summary>
    public static int ArgMax(ReadOnlySpan<float> v)
    {
        var best = 0;
        var max = float.NegativeInfinity;
        for (var i = 0; i < v.Length; i++)
            if (v[i] > max)
            {
                max = v[i];
                best = i;
            }
        return best;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        foreach (var b in _bindings) b.Dispose();
        foreach (var v in _owned) v.Dispose();
        _owned.Clear();
    }
}
