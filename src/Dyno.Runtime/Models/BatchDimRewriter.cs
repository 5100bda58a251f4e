using System.Text;

namespace Dyno.Runtime.Models;

/// <summary>
/// Makes the leading (batch) dimension of a model's graph inputs and outputs symbolic, so a model
/// exported at a fixed batch of 1 can run at any batch. Works on the serialized ModelProto: only the
/// first <c>dim</c> of the named inputs' and outputs' <c>TensorShapeProto</c> changes (to
/// <c>dim_param</c>), every other byte is copied as is. Models whose layers hard-code the batch
/// (a Reshape to a constant [1, -1]) will still fail in the runtime, with its own message.
/// </summary>
public static class BatchDimRewriter
{
    /// <summary>The symbolic name given to the rewritten dimension.</summary>
    public const string Symbol = "dyno_batch";

    /// <summary>Rewrites the batch dim of the graph inputs named in <paramref name="inputs"/> and of every graph output.</summary>
    public static byte[] MakeBatchSymbolic(ReadOnlySpan<byte> model, IReadOnlySet<string> inputs)
    {
        var w = new ProtoWriter();
        foreach (var f in Fields(model))
        {
            if (f.Number == 7 && f.WireType == 2) w.Bytes(7, RewriteGraph(model.Slice(f.Start, f.Length), inputs));
            else w.Raw(model.Slice(f.TagStart, f.End - f.TagStart));
        }
        return w.ToArray();
    }

    private static byte[] RewriteGraph(ReadOnlySpan<byte> graph, IReadOnlySet<string> inputs)
    {
        var w = new ProtoWriter();
        foreach (var f in Fields(graph))
        {
            var value = graph.Slice(f.Start, Math.Max(0, f.Length));
            if (f.WireType == 2 && (f.Number == 12 || (f.Number == 11 && inputs.Contains(ValueInfoName(value)))))
                w.Bytes(f.Number, RewriteValueInfo(value));
            else w.Raw(graph.Slice(f.TagStart, f.End - f.TagStart));
        }
        return w.ToArray();
    }

    private static string ValueInfoName(ReadOnlySpan<byte> vi)
    {
        foreach (var f in Fields(vi))
            if (f.Number == 1 && f.WireType == 2) return Encoding.UTF8.GetString(vi.Slice(f.Start, f.Length));
        return "";
    }

    // ValueInfoProto.type(2) → TypeProto.tensor_type(1) → Tensor.shape(2) → TensorShapeProto.dim(1)[0]
    private static byte[] RewriteValueInfo(ReadOnlySpan<byte> vi) => RewritePath(vi, [2, 1, 2], static shape =>
    {
        var w = new ProtoWriter();
        var first = true;
        foreach (var f in Fields(shape))
        {
            if (first && f.Number == 1 && f.WireType == 2)
            {
                first = false;
                var dim = new ProtoWriter();
                dim.Bytes(2, Encoding.UTF8.GetBytes(Symbol));
                w.Bytes(1, dim.ToArray());
            }
            else w.Raw(shape.Slice(f.TagStart, f.End - f.TagStart));
        }
        return w.ToArray();
    });

    private delegate byte[] Transform(ReadOnlySpan<byte> message);

    private static byte[] RewritePath(ReadOnlySpan<byte> message, int[] path, Transform leaf)
    {
        if (path.Length == 0) return leaf(message);
        var w = new ProtoWriter();
        foreach (var f in Fields(message))
        {
            if (f.Number == path[0] && f.WireType == 2) w.Bytes(f.Number, RewritePath(message.Slice(f.Start, f.Length), path[1..], leaf));
            else w.Raw(message.Slice(f.TagStart, f.End - f.TagStart));
        }
        return w.ToArray();
    }

    private readonly record struct Field(int Number, int WireType, int TagStart, int Start, int Length, int End);

    private static List<Field> Fields(ReadOnlySpan<byte> buf)
    {
        var list = new List<Field>();
        var pos = 0;
        while (pos < buf.Length)
        {
            var tagStart = pos;
            var tag = ReadVarint(buf, ref pos);
            var wire = (int)(tag & 7);
            var number = (int)(tag >> 3);
            int start = pos, length;
            switch (wire)
            {
                case 0: ReadVarint(buf, ref pos); length = pos - start; break;
                case 1: pos += 8; length = 8; break;
                case 2:
                    length = checked((int)ReadVarint(buf, ref pos));
                    start = pos;
                    pos += length;
                    break;
                case 5: pos += 4; length = 4; break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire} at byte {tagStart}");
            }
            if (pos > buf.Length) throw new InvalidDataException($"truncated protobuf field {number} at byte {tagStart}");
            list.Add(new Field(number, wire, tagStart, start, length, pos));
        }
        return list;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> buf, ref int pos)
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= buf.Length) throw new InvalidDataException("truncated protobuf varint");
            var b = buf[pos++];
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw new InvalidDataException("malformed protobuf varint");
    }
}
