using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

/// <summary>
/// The constant content of a small tensor known at analysis time (shape arithmetic, scalars):
/// integers (and booleans) exactly as <see cref="long"/>, floating point as <see cref="double"/>.
/// </summary>
public sealed class ConstValue
{
    private ConstValue(long[]? ints, double[]? floats)
    {
        Ints = ints;
        Floats = floats;
    }

    public long[]? Ints { get; }
    public double[]? Floats { get; }
    public int Length => Ints?.Length ?? Floats!.Length;
    public bool IsInteger => Ints is not null;

    public static ConstValue OfInts(long[] v) => new(v, null);
    public static ConstValue OfFloats(double[] v) => new(null, v);

    /// <summary>Builds a value of element type <paramref name="t"/> from doubles (integers truncated).</summary>
    public static ConstValue Of(DataType t, double[] v) => UsesInts(t) ? OfInts(v.Select(x => double.IsFinite(x) ? (long)x : 0).ToArray()) : OfFloats(v);

    public static bool UsesInts(DataType t) => DataTypes.IsInteger(t) || t == DataType.Bool;

    public double this[int i] => Ints is not null ? Ints[i] : Floats![i];
    public long Long(int i) => Ints is not null ? Ints[i] : (long)Floats![i];

    public long[] AsLongs() => Ints ?? Floats!.Select(x => (long)x).ToArray();
    public double[] AsDoubles() => Floats ?? Ints!.Select(x => (double)x).ToArray();
}

/// <summary>What shape inference knows about one value: element type, shape (null when the rank is unknown), constant content if small and known.</summary>
public sealed class TensorInfo
{
    public TensorInfo(DataType elemType, Dim[]? shape, ConstValue? value = null, ValueKind kind = ValueKind.Tensor)
    {
        ElemType = elemType;
        Shape = shape;
        Value = value;
        Kind = kind;
    }

    public static TensorInfo Unknown(DataType t = DataType.Undefined) => new(t, null);

    public static TensorInfo Known(DataType t, params long[] dims) => new(t, dims.Select(Dim.Of).ToArray());

    /// <summary>A constant tensor with known content.</summary>
    public static TensorInfo Const(DataType t, long[] dims, ConstValue v) => new(t, dims.Select(Dim.Of).ToArray(), v);

    public DataType ElemType { get; }
    public Dim[]? Shape { get; }
    public ConstValue? Value { get; }
    public ValueKind Kind { get; }

    public int Rank => Shape?.Length ?? -1;
    public bool HasRank => Shape is not null;

    /// <summary>True when every dimension is a known number.</summary>
    public bool IsStatic => Shape is not null && Shape.All(d => d.IsKnown);

    /// <summary>Known dims as numbers (only when <see cref="IsStatic"/>).</summary>
    public long[] Dims => Shape!.Select(d => d.Value).ToArray();

    /// <summary>Element count when static, else −1.</summary>
    public long ElementCount
    {
        get
        {
            if (!IsStatic) return -1;
            long n = 1;
            foreach (var d in Shape!) n = checked(n * d.Value); // never wrap around 2^64: an absurd shape is refused
            return n;
        }
    }

    public long ByteSize => IsStatic ? DataTypes.Bytes(ElemType, ElementCount) : -1;

    public string ShapeText => Shape is null ? "?" : "[" + string.Join(",", Shape.Select(d => d.ToString())) + "]";

    public override string ToString() => $"{DataTypes.Name(ElemType)}{ShapeText}";
}

/// <summary>Why a node's shapes are not known.</summary>
public enum UnresolvedKind
{
    /// <summary>No shape function for the operator (and no model-local function of that name).</summary>
    UnknownOperator,
    /// <summary>The inputs contradict the operator (e.g. channels that do not match the weights).</summary>
    InconsistentShapes,
    /// <summary>The shape depends on data or on values that are not known statically.</summary>
    UnresolvedShape,
}

/// <summary>A node whose output shapes could not be inferred, with the reason.</summary>
public sealed record UnresolvedNode(string Node, string OpType, UnresolvedKind Kind, string Reason);

/// <summary>Shapes are inconsistent (e.g. a Conv whose channels do not match its weights).</summary>
public sealed class ShapeInferenceException(string message) : Exception(message);
