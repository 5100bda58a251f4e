using Google.Protobuf;
using Dyno.Models.Onnx;

namespace Dyno.Bench.Models;

/// <summary>
/// Writes an ONNX model whose single MatMul weight is embedded as raw_data of the requested size, as a
/// sparse file (the payload is a hole), to show that analysis cost and memory do not grow with weight bytes.
/// </summary>
internal static class BigModel
{
    public static void Write(string path, long weightBytes)
    {
        var cols = weightBytes / 4 / 4096;
        var payload = 4096L * cols * 4;
        byte[] Msg(Action<CodedOutputStream> w)
        {
            using var ms = new MemoryStream();
            using (var o = new CodedOutputStream(ms, leaveOpen: true)) w(o);
            return ms.ToArray();
        }
        var tensorHead = Msg(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(4096);
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(cols);
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(1);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString("w");
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteLength(0); // placeholder, replaced below
        });
        tensorHead = tensorHead[..^1].Concat(Varint((ulong)payload)).ToArray();
        var tensorLen = tensorHead.Length + payload;
        var rest = new OnnxBuilder().Input("x", 1, 1, 4096).Node("MatMul", ["x", "w"], ["y"], "matmul").Output("y", 1, 1, cols).GraphBytes("big");
        var initField = Varint((5 << 3) | 2).Concat(Varint((ulong)tensorLen)).Concat(tensorHead).ToArray();
        var graphLen = rest.Length + initField.Length + payload;
        var opset = Msg(o => { o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt64(13); });
        var head = Msg(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(8);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(opset));
        }).Concat(Varint((7 << 3) | 2)).Concat(Varint((ulong)graphLen)).ToArray();
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        f.Write(head);
        f.Write(rest);
        f.Write(initField);
        f.Seek(payload, SeekOrigin.Current); // a hole: the weight bytes are never written
        f.SetLength(f.Position);
    }

    private static byte[] Varint(ulong v)
    {
        var r = new List<byte>();
        while (v >= 0x80) { r.Add((byte)(v | 0x80)); v >>= 7; }
        r.Add((byte)v);
        return r.ToArray();
    }
}
