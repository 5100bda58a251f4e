using Dyno.Models.Onnx;
using Dyno.Runtime.Variants.Proto;
using Google.Protobuf;

namespace Dyno.Runtime.Variants;

/// <summary>
/// Scale, zero point and rounding exactly as onnxruntime's <c>quant_utils</c> computes them with numpy
/// (<c>compute_scale_zp</c>, <c>get_qmin_qmax_for_qType</c>, <c>quantize_nparray</c>): float32 ranges, the scale
/// divided in float64 and stored as float32, round half to even.
/// </summary>
public static class QuantMath
{
    // numpy.finfo(float32).tiny: below it the scale is replaced by 1 and the zero point by 0.
    private const double Tiny = 1.1754943508222875e-38;

    /// <summary>The quantized range: [-127, 127] for symmetric int8, [0, 254] for symmetric uint8, the full range otherwise.</summary>
    public static (int QMin, int QMax) Range(DataType type, bool symmetric) => (type, symmetric) switch
    {
        (DataType.UInt8, false) => (0, 255),
        (DataType.UInt8, true) => (0, 254),
        (DataType.Int8, false) => (-128, 127),
        (DataType.Int8, true) => (-127, 127),
        _ => throw new DynoInputException($"quantization to {DataTypes.Name(type)} is not supported"),
    };

    /// <summary>onnxruntime's <c>compute_scale_zp</c> for a float32 range (zero is always made representable).</summary>
    public static (float Scale, int ZeroPoint) ScaleZeroPoint(float rmin, float rmax, DataType type, bool symmetric)
    {
        var (qmin, qmax) = Range(type, symmetric);
        rmin = Math.Min(rmin, 0f);
        rmax = Math.Max(rmax, 0f);
        if (symmetric)
        {
            var absmax = Math.Max(Math.Abs(rmin), Math.Abs(rmax));
            rmin = -absmax;
            rmax = absmax;
        }
        var dr = (double)(rmax - rmin); // float32 subtraction, then float64
        var scale = dr / ((double)qmax - qmin);
        if (scale < Tiny) return (1f, 0);
        var zp = symmetric
            ? Math.Round((qmin + qmax) / 2.0, MidpointRounding.ToEven)
            : Math.Round(qmin - rmin / scale, MidpointRounding.ToEven);
        return ((float)scale, (int)zp);
    }

    /// <summary>onnxruntime's <c>quantize_nparray</c>: round(x / scale) + zero point in float32, clipped to the type's full range.</summary>
    public static int[] Quantize(ReadOnlySpan<float> data, float scale, int zeroPoint, DataType type)
    {
        var (lo, hi) = Range(type, symmetric: false);
        var q = new int[data.Length];
        for (var i = 0; i < data.Length; i++) q[i] = Quantize1(data[i], scale, zeroPoint, lo, hi);
        return q;
    }

    private static int Quantize1(float x, float scale, int zeroPoint, int lo, int hi)
    {
        var v = MathF.Round(x / scale, MidpointRounding.ToEven) + zeroPoint;
        if (float.IsNaN(v)) return Math.Clamp(zeroPoint, lo, hi);
        return (int)Math.Clamp(v, lo, hi);
    }

    /// <summary>
    /// Symmetric int8 weight quantization (range ±127, zero point 0): one scale per slice along <paramref name="axis"/>,
    /// or one for the whole tensor when <paramref name="axis"/> is null.
    /// </summary>
    public static (int[] Values, float[] Scales) QuantizeWeight(float[] data, long[] dims, int? axis)
    {
        if (axis is null)
        {
            var (lo, hi) = data.Length > 0 ? (data.Min(), data.Max()) : (0f, 0f);
            var (s, z) = ScaleZeroPoint(lo, hi, DataType.Int8, symmetric: true);
            return (Quantize(data, s, z, DataType.Int8), [s]);
        }
        var ax = axis.Value;
        long outer = 1, inner = 1;
        for (var i = 0; i < ax; i++) outer *= dims[i];
        for (var i = ax + 1; i < dims.Length; i++) inner *= dims[i];
        var channels = (int)dims[ax];
        var scales = new float[channels];
        var q = new int[data.Length];
        var (qlo, qhi) = Range(DataType.Int8, symmetric: false);
        for (var c = 0; c < channels; c++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (long o = 0; o < outer; o++)
                for (long k = 0; k < inner; k++)
                {
                    var v = data[(o * channels + c) * inner + k];
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
            if (outer * inner == 0) min = max = 0;
            var (s, z) = ScaleZeroPoint(min, max, DataType.Int8, symmetric: true);
            scales[c] = s;
            for (long o = 0; o < outer; o++)
                for (long k = 0; k < inner; k++)
                {
                    var idx = (o * channels + c) * inner + k;
                    q[idx] = Quantize1(data[idx], s, z, qlo, qhi);
                }
        }
        return (q, scales);
    }

    internal static TensorProto IntTensor(string name, DataType type, long[] dims, int[] values)
    {
        byte[] raw;
        switch (type)
        {
            case DataType.Int8 or DataType.UInt8:
                raw = new byte[values.Length];
                for (var i = 0; i < values.Length; i++) raw[i] = unchecked((byte)values[i]);
                break;
            case DataType.Int32:
                raw = new byte[values.Length * 4];
                Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
                break;
            default: throw new ArgumentException($"no integer tensor writer for {type}");
        }
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }
}
