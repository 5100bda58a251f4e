using System.Buffers;
using System.Text;

namespace Dyno.Runtime.Models;

/// <summary>A minimal protobuf encoder: varint and length-delimited fields, and raw copies of encoded fields.</summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _s = new();

    public void Varint(int field, long value)
    {
        Varint((ulong)field << 3);
        Varint((ulong)value);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Varint(((ulong)field << 3) | 2);
        Varint((ulong)value.Length);
        _s.Write(value);
    }

    public void Raw(ReadOnlySpan<byte> bytes) => _s.Write(bytes);

    private void Varint(ulong v)
    {
        while (v >= 0x80)
        {
            _s.Write([(byte)(v | 0x80)]);
            v >>= 7;
        }
        _s.Write([(byte)v]);
    }

    public byte[] ToArray() => _s.WrittenSpan.ToArray();
}
