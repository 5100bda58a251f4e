namespace Dyno.Models.Onnx;

/// <summary>
/// One dimension of a tensor shape: a known size, a named symbolic size (<c>dim_param</c>), or unknown.
/// </summary>
public readonly record struct Dim(long Value, string? Symbol = null)
{
    /// <summary>An unknown, unnamed dimension.</summary>
    public static readonly Dim Unknown = new(-1);

    public static Dim Of(long v) => new(v);
    public static Dim Sym(string name) => new(-1, name);

    public bool IsKnown => Value >= 0;

    public override string ToString() => IsKnown ? Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : Symbol ?? "?";
}

/// <summary>Where a tensor's data lives.</summary>
public enum DataLocation
{
    /// <summary>Inside the model file (raw_data or a typed field).</summary>
    Embedded,
    /// <summary>In an external file named by <c>external_data</c>.</summary>
    External,
    /// <summary>No data at all (a declared tensor without payload).</summary>
    None,
}

/// <summary>
/// An ONNX <c>TensorProto</c> as read from the file: name, element type, dims and where its data is.
/// The payload stays in the memory-mapped file; small tensors can be decoded on demand.
/// </summary>
public sealed class OnnxTensor
{
    internal ModelBuffer? Buffer { get; init; }
    internal int DataField { get; init; }
    internal Region DataRegion { get; init; }
    internal IReadOnlyList<float>? InlineFloats { get; init; }
    internal IReadOnlyList<long>? InlineInts { get; init; }

    public required string Name { get; init; }
    public required DataType DataType { get; init; }
    public required long[] Dims { get; init; }
    public DataLocation Location { get; init; }

    /// <summary>For external data: the file (relative to the model), offset and length as declared.</summary>
    public string? ExternalFile { get; init; }
    public long ExternalOffset { get; init; }
    public long ExternalLength { get; init; } = -1;

    /// <summary>For external data: whether the external file exists next to the model.</summary>
    public bool ExternalFilePresent { get; init; }

    /// <summary>Number of elements (product of dims; 1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Dims) n = checked(n * d); // never wrap around 2^64: an absurd shape is refused
            return n;
        }
    }

    /// <summary>Size of the payload at the tensor's element width.</summary>
    public long ByteSize => DataTypes.Bytes(DataType, ElementCount);

    /// <summary>Whether the values can be decoded from the model file.</summary>
    public bool HasData => Location == DataLocation.Embedded;

    /// <summary>
    /// Decodes the values as doubles (integers converted exactly up to 2^53), or null when the data is
    /// external, absent, not numeric, or longer than <paramref name="maxElements"/>.
    /// </summary>
    public double[]? ReadDoubles(long maxElements = 1 << 16)
    {
        var n = ElementCount;
        if (!HasData || n > maxElements) return null;
        if (InlineFloats is not null) return InlineFloats.Select(f => (double)f).ToArray();
        if (InlineInts is not null) return InlineInts.Select(i => (double)i).ToArray();
        return TensorDecoder.Decode(this, n);
    }

    /// <summary>Decodes integer (or boolean) values, or null as for <see cref="ReadDoubles"/>.</summary>
    public long[]? ReadInt64s(long maxElements = 1 << 16)
    {
        var n = ElementCount;
        if (!HasData || n > maxElements) return null;
        if (InlineInts is not null) return InlineInts.ToArray();
        if (InlineFloats is not null) return InlineFloats.Select(f => (long)f).ToArray();
        return TensorDecoder.DecodeLongs(this, n);
    }

    public override string ToString() => $"{Name}: {DataTypes.Name(DataType)}[{string.Join(",", Dims)}]";
}

/// <summary>The kind of an ONNX value: a tensor, or a container ONNX also allows.</summary>
public enum ValueKind { Tensor, Sequence, Map, Optional, SparseTensor, Unknown }

/// <summary>A declared value (graph input, output or value_info): name, element type and shape as written in the file.</summary>
public sealed record OnnxValueInfo(string Name, ValueKind Kind, DataType ElemType, Dim[]? Shape);

/// <summary>ONNX attribute types.</summary>
public enum AttributeType
{
    Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8,
    Tensors = 9, Graphs = 10, SparseTensor = 11, SparseTensors = 12, TypeProto = 13, TypeProtos = 14,
}

/// <summary>An ONNX node attribute.</summary>
public sealed class OnnxAttribute
{
    public required string Name { get; init; }
    public AttributeType Type { get; init; }
    public float F { get; init; }
    public long I { get; init; }
    public string S { get; init; } = "";
    public OnnxTensor? T { get; init; }
    public OnnxGraph? G { get; init; }
    public float[] Floats { get; init; } = [];
    public long[] Ints { get; init; } = [];
    public string[] Strings { get; init; } = [];
    public OnnxTensor[] Tensors { get; init; } = [];
    public OnnxGraph[] Graphs { get; init; } = [];

    /// <summary>In a function body: the name of the caller's attribute this one refers to.</summary>
    public string? RefAttrName { get; init; }
}

/// <summary>An ONNX node: operator, inputs, outputs and attributes.</summary>
public sealed class OnnxNode
{
    public required string Name { get; init; }
    public required string OpType { get; init; }
    public string Domain { get; init; } = "";
    public required string[] Inputs { get; init; }
    public required string[] Outputs { get; init; }
    public required IReadOnlyDictionary<string, OnnxAttribute> Attributes { get; init; }

    /// <summary>Position in its graph's node list.</summary>
    public int Index { get; init; }

    /// <summary>The operator's qualified name, e.g. <c>Conv</c> or <c>com.microsoft.Attention</c>.</summary>
    public string QualifiedOp => Domain is "" or "ai.onnx" ? OpType : Domain + "." + OpType;

    /// <summary>The subgraphs held in attributes (If branches, Loop/Scan bodies).</summary>
    public IEnumerable<(string Attribute, OnnxGraph Graph)> Subgraphs()
    {
        foreach (var a in Attributes.Values)
        {
            if (a.G is not null) yield return (a.Name, a.G);
            foreach (var g in a.Graphs) yield return (a.Name, g);
        }
    }

    public override string ToString() => $"{OpType} '{Name}'";
}

/// <summary>An ONNX graph (the main graph or a subgraph).</summary>
public sealed class OnnxGraph
{
    public string Name { get; init; } = "";
    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public required IReadOnlyList<OnnxTensor> Initializers { get; init; }
    public IReadOnlyList<OnnxTensor> SparseInitializers { get; init; } = [];
    public required IReadOnlyList<OnnxValueInfo> Inputs { get; init; }
    public required IReadOnlyList<OnnxValueInfo> Outputs { get; init; }
    public required IReadOnlyList<OnnxValueInfo> ValueInfo { get; init; }
}

/// <summary>A model-local function (<c>FunctionProto</c>).</summary>
public sealed class OnnxFunction
{
    public required string Name { get; init; }
    public string Domain { get; init; } = "";
    public required string[] Inputs { get; init; }
    public required string[] Outputs { get; init; }
    public required string[] AttributeNames { get; init; }
    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public required IReadOnlyDictionary<string, long> OpsetImports { get; init; }
}
