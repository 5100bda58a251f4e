using System.Runtime.InteropServices;
using Dyno.Models.Onnx;
using Dyno.Models.Shapes;
using Dyno.Runtime.Variants.Proto;
using Google.Protobuf;

namespace Dyno.Runtime.Variants;

/// <summary>
/// Reading, editing and writing whole ONNX models for the variant makers, through the C# classes protoc
/// generates from <c>onnx.proto</c> (every field, including ones Dyno does not know, survives a round trip).
/// Dyno's own reader (<see cref="OnnxModel"/>) supplies the element type of every value.
/// </summary>
internal static class ProtoModel
{
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    public static ModelProto Parse(byte[] bytes, string source)
    {
        ModelProto m;
        try
        {
            m = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a readable ONNX model ({e.Message})");
        }
        if (m.Graph is null) throw new InvalidDataException($"{source}: the file has no graph (not an ONNX model?)");
        foreach (var t in m.Graph.Initializer)
            if (t.DataLocation == TensorProto.Types.DataLocation.External)
                throw new InvalidDataException($"{source}: initializer '{t.Name}' keeps its data in an external file; convert and quantize need the weights inside the model file");
        foreach (var n in m.Graph.Node)
            if (n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
                throw new InvalidDataException($"{source}: node '{n.Name}' ({n.OpType}) has a subgraph; models with control flow (If/Loop/Scan) are not supported");
        return m;
    }

    public static byte[] Serialize(ModelProto m) => m.ToByteArray();

    /// <summary>The default-domain opset the model imports.</summary>
    public static long Opset(ModelProto m) => m.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;

    /// <summary>Element types of every value of the main graph, from Dyno's type and shape inference.</summary>
    public static Dictionary<string, DataType> ElementTypes(byte[] bytes, string source)
    {
        using var model = OnnxModel.Load(new MemoryStream(bytes), source);
        var result = new ShapeInferenceEngine(model).Run();
        var types = new Dictionary<string, DataType>(StringComparer.Ordinal);
        foreach (var (name, info) in result.Values) types[name] = info.ElemType;
        foreach (var i in model.Graph.Inputs) types.TryAdd(i.Name, i.ElemType);
        return types;
    }

    /// <summary>The float32 values of an initializer (raw_data or float_data).</summary>
    public static float[] Floats(TensorProto t)
    {
        if (t.DataType != (int)DataType.Float) throw new InvalidOperationException($"tensor '{t.Name}' is {(DataType)t.DataType}, not float32");
        if (t.HasRawData) return MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
        return t.FloatData.ToArray();
    }

    public static long[] Dims(TensorProto t) => t.Dims.ToArray();

    public static long Count(TensorProto t)
    {
        long n = 1;
        foreach (var d in t.Dims) n *= d;
        return n;
    }

    public static TensorProto Tensor<T>(string name, DataType type, long[] dims, ReadOnlySpan<T> values) where T : unmanaged
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        t.Dims.AddRange(dims);
        return t;
    }

    public static NodeProto Node(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    public static AttributeProto IntAttr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static ValueInfoProto TensorValue(string name, DataType type) =>
        new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } };

    /// <summary>Names not yet used by any value or node of the graph, for the nodes and tensors Dyno adds.</summary>
    public sealed class NameScope
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public NameScope(GraphProto g)
        {
            foreach (var n in g.Node)
            {
                _used.Add(n.Name);
                foreach (var o in n.Output) _used.Add(o);
                foreach (var i in n.Input) _used.Add(i);
            }
            foreach (var t in g.Initializer) _used.Add(t.Name);
            foreach (var v in g.Input) _used.Add(v.Name);
            foreach (var v in g.Output) _used.Add(v.Name);
        }

        public string Fresh(string wanted)
        {
            var name = wanted;
            for (var k = 1; !_used.Add(name); k++) name = wanted + "_" + k;
            return name;
        }
    }
}
