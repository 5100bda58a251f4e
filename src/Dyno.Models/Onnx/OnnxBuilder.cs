using Google.Protobuf;

namespace Dyno.Models.Onnx;

/// <summary>
/// Writes ONNX models with Google.Protobuf's <see cref="CodedOutputStream"/> (field numbers from onnx.proto):
/// the reference architectures Dyno builds itself (synthetic decoders for benchmarks and cross-checks) and
/// small graphs for tests. Initializers are embedded (zeros) or declared as external data.
/// </summary>
public sealed class OnnxBuilder
{
    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly List<byte[]> _inits = [];
    private readonly List<byte[]> _functions = [];
    public long Opset { get; set; } = 13;

    /// <summary>False writes no opset_import at all (an ill-formed model, for validation tests).</summary>
    public bool ImportOpset { get; set; } = true;

    /// <summary>Adds a graph input; dims are numbers or symbolic names.</summary>
    public OnnxBuilder Input(string name, int elemType, params object[] dims) { _inputs.Add(ValueInfo(name, elemType, dims)); return this; }
    public OnnxBuilder Output(string name, int elemType, params object[] dims) { _outputs.Add(ValueInfo(name, elemType, dims)); return this; }

    /// <summary>An initializer; <paramref name="externalFile"/> declares its data external instead of embedding it.</summary>
    public OnnxBuilder Initializer(string name, int elemType, long[] dims, long[]? int64Data = null, string? externalFile = null)
    {
        _inits.Add(Tensor(name, elemType, dims, int64Data, externalFile));
        return this;
    }

    /// <summary>An initializer whose raw_data is exactly <paramref name="raw"/> (whatever its length).</summary>
    public OnnxBuilder RawInitializer(string name, int elemType, long[] dims, byte[] raw)
    {
        _inits.Add(Message(o =>
        {
            foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(elemType);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
        }));
        return this;
    }

    public OnnxBuilder Node(string op, string[] inputs, string[] outputs, string name = "", string domain = "", params byte[][] attributes)
    {
        _nodes.Add(NodeBytes(op, inputs, outputs, name, domain, attributes));
        return this;
    }

    public OnnxBuilder Function(string name, string domain, string[] inputs, string[] outputs, params byte[][] nodes)
    {
        _functions.Add(Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            foreach (var i in inputs) { o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
            foreach (var x in outputs) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteString(x); }
            foreach (var n in nodes) { o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(n)); }
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(Opset13()));
            o.WriteTag(10, WireFormat.WireType.LengthDelimited); o.WriteString(domain);
        }));
        return this;
    }

    public static byte[] NodeBytes(string op, string[] inputs, string[] outputs, string name = "", string domain = "", params byte[][] attributes) => Message(o =>
    {
        foreach (var i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        foreach (var x in outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(x); }
        o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(op);
        foreach (var a in attributes) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(a)); }
        if (domain.Length > 0) { o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteString(domain); }
    });

    public static byte[] IntsAttr(string name, params long[] v) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        foreach (var x in v) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(x); }
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(7);
    });

    public static byte[] IntAttr(string name, long v) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(v);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(2);
    });

    public static byte[] TensorAttr(string name, byte[] tensor) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(tensor));
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(4);
    });

    public static byte[] GraphAttr(string name, byte[] graph) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(6, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(graph));
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteInt32(5);
    });

    /// <summary>A TensorProto: int64 values, float values (<paramref name="floatData"/>, as raw little-endian bytes), external data, or zeros.</summary>
    public static byte[] Tensor(string name, int elemType, long[] dims, long[]? int64Data = null, string? externalFile = null, float[]? floatData = null) => Message(o =>
    {
        foreach (var d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(elemType);
        if (int64Data is not null) foreach (var v in int64Data) { o.WriteTag(7, WireFormat.WireType.Varint); o.WriteInt64(v); }
        o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        if (externalFile is not null)
        {
            o.WriteTag(13, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(Message(e =>
            {
                e.WriteTag(1, WireFormat.WireType.LengthDelimited); e.WriteString("location");
                e.WriteTag(2, WireFormat.WireType.LengthDelimited); e.WriteString(externalFile);
            })));
            o.WriteTag(14, WireFormat.WireType.Varint); o.WriteInt32(1);
        }
        else if (floatData is not null)
        {
            var raw = new byte[floatData.Length * 4];
            Buffer.BlockCopy(floatData, 0, raw, 0, raw.Length);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
        }
        else if (int64Data is null)
        {
            var n = dims.Aggregate(1L, (a, b) => a * b);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(new byte[n * 4]));
        }
    });

    public byte[] GraphBytes(string name = "g") => Message(o =>
    {
        foreach (var n in _nodes) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(n)); }
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        foreach (var t in _inits) { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(t)); }
        foreach (var t in _inputs) { o.WriteTag(11, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(t)); }
        foreach (var t in _outputs) { o.WriteTag(12, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(t)); }
    });

    public byte[] Build() => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(8);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("dyno-tests");
        o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(GraphBytes()));
        if (ImportOpset) { o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(Opset13())); }
        foreach (var f in _functions) { o.WriteTag(25, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(f)); }
    });

    /// <summary>Writes the model to <paramref name="path"/> (a new temp file when null) and returns the path.</summary>
    public string Save(string? path = null)
    {
        path ??= Path.Combine(Path.GetTempPath(), $"dyno-model-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, Build());
        return path;
    }

    private byte[] Opset13() => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("");
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt64(Opset);
    });

    private static byte[] ValueInfo(string name, int elemType, object[] dims) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        var type = Message(t =>
        {
            var tensor = Message(tt =>
            {
                tt.WriteTag(1, WireFormat.WireType.Varint); tt.WriteInt32(elemType);
                var shape = Message(s =>
                {
                    foreach (var d in dims)
                    {
                        var dim = Message(x =>
                        {
                            if (d is string sym) { x.WriteTag(2, WireFormat.WireType.LengthDelimited); x.WriteString(sym); }
                            else { x.WriteTag(1, WireFormat.WireType.Varint); x.WriteInt64(Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)); }
                        });
                        s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteBytes(ByteString.CopyFrom(dim));
                    }
                });
                tt.WriteTag(2, WireFormat.WireType.LengthDelimited); tt.WriteBytes(ByteString.CopyFrom(shape));
            });
            t.WriteTag(1, WireFormat.WireType.LengthDelimited); t.WriteBytes(ByteString.CopyFrom(tensor));
        });
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(type));
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        using (var o = new CodedOutputStream(ms, leaveOpen: true)) write(o);
        return ms.ToArray();
    }
}
