using Dyno.Models.Onnx;

namespace Dyno.Runtime.Models;

/// <summary>
/// Single-node ONNX models built in memory: an Identity model to measure the harness's own cost per
/// inference, and MatMul models for the GEMM roof. Serialized with a minimal protobuf writer
/// (ModelProto → GraphProto → NodeProto/ValueInfoProto field numbers from onnx.proto).
/// </summary>
public static class TinyModels
{
    /// <summary>Y = Identity(X), X: float32[1].</summary>
    public static byte[] Identity() =>
        Model(Node("Identity", ["X"], ["Y"]), [("X", DataType.Float, [1])], [("Y", DataType.Float, [1])], opset: 13);

    /// <summary>Y = MatMul(A, B) with A: [m, k], B: [k, n] of <paramref name="type"/>.</summary>
    public static byte[] MatMul(long m, long k, long n, DataType type = DataType.Float) =>
        Model(Node("MatMul", ["A", "B"], ["Y"]), [("A", type, [m, k]), ("B", type, [k, n])], [("Y", type, [m, n])], opset: 13);

    private static byte[] Model(byte[] node, (string, DataType, long[])[] inputs, (string, DataType, long[])[] outputs, int opset)
    {
        var graph = new ProtoWriter();
        graph.Bytes(1, node);
        graph.String(2, "dyno_tiny");
        foreach (var i in inputs) graph.Bytes(11, ValueInfo(i));
        foreach (var o in outputs) graph.Bytes(12, ValueInfo(o));
        var opsetId = new ProtoWriter();
        opsetId.String(1, "");
        opsetId.Varint(2, opset);
        var model = new ProtoWriter();
        model.Varint(1, 8); // ir_version
        model.String(2, "dyno");
        model.Bytes(7, graph.ToArray());
        model.Bytes(8, opsetId.ToArray());
        return model.ToArray();
    }

    private static byte[] Node(string op, string[] inputs, string[] outputs)
    {
        var n = new ProtoWriter();
        foreach (var i in inputs) n.String(1, i);
        foreach (var o in outputs) n.String(2, o);
        n.String(3, op + "_0");
        n.String(4, op);
        return n.ToArray();
    }

    private static byte[] ValueInfo((string Name, DataType Type, long[] Dims) v)
    {
        var shape = new ProtoWriter();
        foreach (var d in v.Dims)
        {
            var dim = new ProtoWriter();
            dim.Varint(1, d);
            shape.Bytes(1, dim.ToArray());
        }
        var tensor = new ProtoWriter();
        tensor.Varint(1, (long)v.Type);
        tensor.Bytes(2, shape.ToArray());
        var type = new ProtoWriter();
        type.Bytes(1, tensor.ToArray());
        var info = new ProtoWriter();
        info.String(1, v.Name);
        info.Bytes(2, type.ToArray());
        return info.ToArray();
    }
}
