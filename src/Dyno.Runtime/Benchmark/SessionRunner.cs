using Dyno.Models.Onnx;
using Dyno.Runtime.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Dyno.Runtime.Benchmark;

/// <summary>An input tensor to create: name, element type, concrete shape.</summary>
public sealed record InputSpec(string Name, DataType DataType, long[] Shape);

/// <summary>
/// Runs one session with pre-created input sets and pre-allocated outputs, so a timed call is a
/// single <c>InferenceSession.Run</c> over existing <c>OrtValue</c>s: no allocation or copy of
/// Dyno's own in the loop. Each instance is used by one thread at a time (the session may be shared).
/// </summary>
public sealed class SessionRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue[][] _inputs;
    private readonly bool _ownsInputs;
    private OrtValue[]? _outputs;
    private int _next;

    private SessionRunner(InferenceSession session, string[] inputNames, OrtValue[][] inputs, bool ownsInputs)
    {
        _session = session;
        _inputNames = inputNames;
        _inputs = inputs;
        _ownsInputs = ownsInputs;
        _outputNames = session.OutputMetadata.Keys.ToArray();
    }

    /// <summary>Number of distinct input sets cycled through.</summary>
    public int InputSets => _inputs.Length;

    /// <summary>A runner over <paramref name="pool"/> random input sets of the given specs.</summary>
    public static SessionRunner Random(InferenceSession session, IReadOnlyList<InputSpec> specs, int pool, int seed)
    {
        var rng = new XorShiftRandom((ulong)seed * 7919 + 1);
        var sets = new OrtValue[Math.Max(1, pool)][];
        for (var k = 0; k < sets.Length; k++)
            sets[k] = specs.Select(s => RandomTensor(s, rng)).ToArray();
        return new SessionRunner(session, specs.Select(s => s.Name).ToArray(), sets, ownsInputs: true);
    }

    /// <summary>A runner over fixed input values (from files).</summary>
    public static SessionRunner Fixed(InferenceSession session, IReadOnlyList<(string Name, OrtValue Value)> inputs) =>
        new(session, inputs.Select(i => i.Name).ToArray(), [inputs.Select(i => i.Value).ToArray()], ownsInputs: true);

    /// <summary>Another runner on the same session and inputs with its own output buffers (for parallel requests).</summary>
    public SessionRunner Sibling() => new(_session, _inputNames, _inputs, ownsInputs: false);

    /// <summary>Runs one inference on the next input set.</summary>
    public void Run()
    {
        var set = _inputs[_next];
        _next = _next + 1 == _inputs.Length ? 0 : _next + 1;
        if (_outputs is not null)
        {
            _session.Run(_runOptions, _inputNames, set, _outputNames, _outputs);
            return;
        }
        // First call: let the runtime allocate outputs, then keep same-shaped buffers for the next calls.
        using var results = _session.Run(_runOptions, _inputNames, set, _outputNames);
        if (results.All(r => r.IsTensor))
            _outputs = results.Select(r =>
            {
                var info = r.GetTensorTypeAndShape();
                return OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, info.ElementDataType, info.Shape);
            }).ToArray();
    }

    internal static OrtValue RandomTensor(InputSpec s, XorShiftRandom rng)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)(int)s.DataType, s.Shape);
        var bytes = value.GetTensorMutableRawData();
        switch (s.DataType)
        {
            case DataType.Float:
                foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes)) x = (float)rng.Uniform(-1, 1);
                break;
            case DataType.Double:
                foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes)) x = rng.Uniform(-1, 1);
                break;
            case DataType.Float16:
                foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(bytes)) x = (Half)rng.Uniform(-1, 1);
                break;
            case DataType.Int64:
                // Token ids, masks, indices: small non-negative values are valid for any vocabulary or axis.
                foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes)) x = (long)(rng.Next() % 2);
                break;
            case DataType.Int32:
                foreach (ref var x in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes)) x = (int)(rng.Next() % 2);
                break;
            case DataType.Bool:
                foreach (ref var x in bytes) x = (byte)(rng.Next() & 1);
                break;
            case DataType.UInt8 or DataType.Int8:
                foreach (ref var x in bytes) x = (byte)rng.Next();
                break;
            default:
                throw new DynoInputException($"input '{s.Name}': random data for {DataTypes.Name(s.DataType)} is not supported; pass BenchOptions.InputsDirectory", "BenchOptions.InputsDirectory");
        }
        return value;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        if (_outputs is not null) foreach (var o in _outputs) o.Dispose();
        if (_ownsInputs) foreach (var set in _inputs) foreach (var v in set) v.Dispose();
    }
}
