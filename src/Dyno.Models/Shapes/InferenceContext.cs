using System.Globalization;
using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

/// <summary>The view an operator's shape function has of one node: its inputs as inferred so far, attributes, opset.</summary>
public sealed class InferenceContext
{
    private readonly Func<string, TensorInfo?> _lookup;

    internal Func<string, TensorInfo?> LookupFn => _lookup;

    internal InferenceContext(OnnxNode node, long opset, Func<string, TensorInfo?> lookup, ShapeInferenceEngine engine)
    {
        Node = node;
        Opset = opset;
        _lookup = lookup;
        Engine = engine;
        Outputs = new TensorInfo?[node.Outputs.Length];
    }

    public OnnxNode Node { get; }

    /// <summary>The opset version of the node's domain.</summary>
    public long Opset { get; }

    internal ShapeInferenceEngine Engine { get; }
    public TensorInfo?[] Outputs { get; }

    public int InputCount => Node.Inputs.Length;
    public int OutputCount => Node.Outputs.Length;

    /// <summary>Whether input <paramref name="i"/> is given (present and not the empty name).</summary>
    public bool Has(int i) => i < Node.Inputs.Length && Node.Inputs[i].Length > 0;

    /// <summary>Input <paramref name="i"/>, or null when it is omitted.</summary>
    public TensorInfo? In(int i) => Has(i) ? _lookup(Node.Inputs[i]) ?? TensorInfo.Unknown() : null;

    /// <summary>Input <paramref name="i"/>, which the operator requires.</summary>
    public TensorInfo Input(int i) => In(i) ?? throw new ShapeInferenceException($"{Node}: required input #{i} is missing");

    /// <summary>Input <paramref name="i"/> with a known rank; null signals "cannot infer yet".</summary>
    public Dim[]? ShapeOf(int i) => In(i)?.Shape;

    /// <summary>Input <paramref name="i"/>'s constant content as integers, if known.</summary>
    public long[]? IntsOf(int i) => In(i)?.Value?.AsLongs();

    public bool HasAttr(string name) => Node.Attributes.ContainsKey(name);

    public long Int(string name, long fallback) => Node.Attributes.TryGetValue(name, out var a) ? a.I : fallback;

    public float Float(string name, float fallback) => Node.Attributes.TryGetValue(name, out var a) ? a.F : fallback;

    public string Str(string name, string fallback) => Node.Attributes.TryGetValue(name, out var a) ? a.S : fallback;

    public long[]? Ints(string name) => Node.Attributes.TryGetValue(name, out var a) ? a.Ints : null;

    public float[]? Floats(string name) => Node.Attributes.TryGetValue(name, out var a) ? a.Floats : null;

    public OnnxAttribute? Attr(string name) => Node.Attributes.GetValueOrDefault(name);

    public void Out(int i, TensorInfo t)
    {
        if (i < Outputs.Length) Outputs[i] = t;
    }

    /// <summary>Sets output <paramref name="i"/> to a static shape.</summary>
    public void Out(int i, DataType t, Dim[]? shape, ConstValue? value = null) => Out(i, new TensorInfo(t, shape, value));

    public ShapeInferenceException Error(string what) => new($"{Node}: {what}");

    /// <summary>Normalizes a possibly negative axis against <paramref name="rank"/>.</summary>
    public int Axis(long axis, int rank)
    {
        var a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw Error($"axis {axis.ToString(CultureInfo.InvariantCulture)} is out of range for rank {rank}");
        return (int)a;
    }
}
