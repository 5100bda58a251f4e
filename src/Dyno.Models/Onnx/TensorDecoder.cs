using System.Buffers.Binary;

namespace Dyno.Models.Onnx;

/// <summary>Decodes small embedded tensors (shape constants, scalars) into doubles.</summary>
internal static class TensorDecoder
{
    public static double[]? Decode(OnnxTensor t, long n)
    {
        if (t.Buffer is null || t.DataField == 0) return n == 0 ? [] : null;
        var count = (int)n;
        var region = t.DataRegion;
        if (region.Length > int.MaxValue) return null;
        var span = t.Buffer.Span(region.Offset, (int)region.Length);
        var result = new double[count];
        switch (t.DataField)
        {
            case 9: // raw_data, little-endian at the element width
                return DecodeRaw(t.DataType, span, count);
            case 4: // float_data (packed float)
                if (span.Length < count * 4) return null;
                for (var i = 0; i < count; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..]);
                return result;
            case 10: // double_data (packed double)
                if (span.Length < count * 8) return null;
                for (var i = 0; i < count; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]);
                return result;
            case 5 or 7 or 11: // int32_data / int64_data / uint64_data: packed varints
            {
                var raw = Varints(span, count);
                if (raw is null) return null;
                for (var i = 0; i < count; i++)
                    result[i] = t.DataField == 11 ? raw[i] : t.DataType is DataType.Float16 or DataType.BFloat16
                        ? HalfBits(t.DataType, (ushort)raw[i]) : (long)raw[i];
                return result;
            }
            default:
                return null;
        }
    }

    /// <summary>Integer values decoded exactly (no round trip through double).</summary>
    public static long[]? DecodeLongs(OnnxTensor t, long n)
    {
        if (!DataTypes.IsInteger(t.DataType) && t.DataType != DataType.Bool)
            return Decode(t, n)?.Select(x => (long)x).ToArray();
        if (t.Buffer is null || t.DataField == 0) return n == 0 ? [] : null;
        var count = (int)n;
        var region = t.DataRegion;
        if (region.Length > int.MaxValue) return null;
        var span = t.Buffer.Span(region.Offset, (int)region.Length);
        var result = new long[count];
        if (t.DataField == 9)
        {
            var width = DataTypes.Bits(t.DataType) / 8;
            if (width == 0 || span.Length < (long)count * width) return null;
            for (var i = 0; i < count; i++)
            {
                var e = span[(i * width)..];
                result[i] = t.DataType switch
                {
                    DataType.Int8 => (sbyte)e[0],
                    DataType.UInt8 or DataType.Bool => e[0],
                    DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                    DataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                    DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                    DataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(e),
                };
            }
            return result;
        }
        if (t.DataField is not (5 or 7 or 11)) return null;
        var values = Varints(span, count);
        if (values is null) return null;
        for (var i = 0; i < count; i++) result[i] = t.DataField == 5 ? (int)values[i] : (long)values[i];
        return result;
    }

    /// <summary>Reads <paramref name="count"/> packed varints, or null when the field holds fewer.</summary>
    private static ulong[]? Varints(ReadOnlySpan<byte> span, int count)
    {
        var values = new ulong[count];
        var k = 0;
        var pos = 0;
        while (pos < span.Length && k < count)
        {
            ulong v = 0;
            var shift = 0;
            byte b;
            do
            {
                b = span[pos++];
                v |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0 && pos < span.Length);
            values[k++] = v;
        }
        return k == count ? values : null;
    }

    private static double HalfBits(DataType t, ushort bits) => t == DataType.Float16
        ? (double)BitConverter.UInt16BitsToHalf(bits)
        : BitConverter.Int32BitsToSingle(bits << 16);

    private static double[]? DecodeRaw(DataType type, ReadOnlySpan<byte> s, int n)
    {
        var r = new double[n];
        var width = DataTypes.Bits(type) / 8;
        if (width == 0 || s.Length < (long)n * width) return null;
        for (var i = 0; i < n; i++)
        {
            var e = s[(i * width)..];
            r[i] = type switch
            {
                DataType.Float => BinaryPrimitives.ReadSingleLittleEndian(e),
                DataType.Double => BinaryPrimitives.ReadDoubleLittleEndian(e),
                DataType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(e),
                DataType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16),
                DataType.Int8 => (sbyte)e[0],
                DataType.UInt8 or DataType.Bool => e[0],
                DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                DataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                DataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                DataType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(e),
                _ => double.NaN,
            };
            if (double.IsNaN(r[i]) && type is not (DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16)) return null;
        }
        return r;
    }
}
