namespace Dyno.Models.Onnx;

/// <summary>ONNX <c>TensorProto.DataType</c> element types.</summary>
public enum DataType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
    Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16,
    Float8E4M3FN = 17, Float8E4M3FNUZ = 18, Float8E5M2 = 19, Float8E5M2FNUZ = 20, UInt4 = 21, Int4 = 22, Float4E2M1 = 23,
}

/// <summary>Sizes and names of <see cref="DataType"/>s.</summary>
public static class DataTypes
{
    /// <summary>Storage bits per element (4 for the packed 4-bit types; strings counted as 8-byte references).</summary>
    public static int Bits(DataType t) => t switch
    {
        DataType.Float or DataType.Int32 or DataType.UInt32 => 32,
        DataType.UInt8 or DataType.Int8 or DataType.Bool or DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ
            or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ => 8,
        DataType.UInt16 or DataType.Int16 or DataType.Float16 or DataType.BFloat16 => 16,
        DataType.Int64 or DataType.Double or DataType.UInt64 or DataType.Complex64 or DataType.String => 64,
        DataType.Complex128 => 128,
        DataType.UInt4 or DataType.Int4 or DataType.Float4E2M1 => 4,
        _ => 0,
    };

    /// <summary>Bytes taken by <paramref name="elements"/> elements (4-bit types round up).</summary>
    /// <exception cref="OverflowException">The size exceeds 2^63 bits: refused rather than wrapped.</exception>
    public static long Bytes(DataType t, long elements)
    {
        var bits = Bits(t);
        return checked(bits % 8 == 0 ? elements * (bits / 8) : elements / 8 * bits + (elements % 8 * bits + 7) / 8);
    }

    public static bool IsFloat(DataType t) => t is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16
        or DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ or DataType.Float4E2M1;

    public static bool IsInteger(DataType t) => t is DataType.UInt8 or DataType.Int8 or DataType.UInt16 or DataType.Int16
        or DataType.Int32 or DataType.Int64 or DataType.UInt32 or DataType.UInt64 or DataType.UInt4 or DataType.Int4;

    /// <summary>ONNX's lower-case name: float, int64, float16 ...</summary>
    public static string Name(DataType t) => t switch
    {
        DataType.Float => "float32",
        DataType.Double => "float64",
        DataType.Float16 => "float16",
        DataType.BFloat16 => "bfloat16",
        _ => t.ToString().ToLowerInvariant(),
    };
}
