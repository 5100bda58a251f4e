using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dyno.Models.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Dyno.Runtime.Benchmark;

/// <summary>
/// Loads model inputs from a directory: <c>NAME.npy</c> (NumPy format 1.0–3.0, C order) or
/// <c>NAME.pb</c> (a serialized ONNX TensorProto, as in ONNX's test data sets) for each input NAME.
/// </summary>
public static partial class InputFiles
{
    /// <summary>Loads one value per input; shapes come from the files.</summary>
    public static List<(string Name, OrtValue Value, long[] Shape)> Load(string inputsDirectory, IReadOnlyList<InputSpec> specs)
    {
        var directory = inputsDirectory;
        if (!Directory.Exists(directory)) throw DynoInputException.Naming(new DirectoryNotFoundException($"inputsDirectory {directory}: no such directory"), "inputsDirectory");
        var result = new List<(string, OrtValue, long[])>();
        foreach (var s in specs)
        {
            var safe = string.Concat(s.Name.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
            var npy = Path.Combine(directory, safe + ".npy");
            var pb = Path.Combine(directory, safe + ".pb");
            if (File.Exists(npy)) result.Add(LoadNpy(npy, s));
            else if (File.Exists(pb)) result.Add(LoadTensorProto(pb, s));
            else throw DynoInputException.Naming(new FileNotFoundException($"inputsDirectory {directory}: no {safe}.npy or {safe}.pb for model input '{s.Name}'"), "inputsDirectory");
        }
        return result;
    }

    private static (string, OrtValue, long[]) LoadNpy(string path, InputSpec s)
    {
        var (type, shape, data) = ParseNpy(path, File.ReadAllBytes(path));
        if (type != s.DataType)
            throw new InvalidDataException($"{path}: dtype {DataTypes.Name(type)} but model input '{s.Name}' is {DataTypes.Name(s.DataType)}");
        return (s.Name, Create(path, s, shape, data.Span), shape);
    }

    /// <summary>Parses the bytes of a .npy file (format 1.0–3.0, C order, little-endian): element type, shape and the data bytes.</summary>
    internal static (DataType Type, long[] Shape, ReadOnlyMemory<byte> Data) ParseNpy(string path, byte[] bytes)
    {
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path}: not a .npy file (missing \\x93NUMPY magic)");
        int major = bytes[6], start;
        long headerLen;
        if (major == 1) { headerLen = BitConverter.ToUInt16(bytes, 8); start = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12) { headerLen = BitConverter.ToUInt32(bytes, 8); start = 12; }
        else throw new InvalidDataException($"{path}: .npy format version {major} is not 1, 2 or 3");
        if (start + headerLen > bytes.Length)
            throw new InvalidDataException($"{path}: truncated .npy file (its header says {headerLen} bytes, the file has {bytes.Length - start} after the preamble)");
        var header = Encoding.Latin1.GetString(bytes, start, (int)headerLen);
        var descr = DescrRegex().Match(header);
        var shapeM = ShapeRegex().Match(header);
        if (!descr.Success || !shapeM.Success) throw new InvalidDataException($"{path}: unreadable .npy header '{header.Trim()}'");
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal)) throw new InvalidDataException($"{path}: Fortran-order arrays are not supported; save with np.ascontiguousarray");
        var type = descr.Groups[1].Value switch
        {
            "<f4" => DataType.Float, "<f8" => DataType.Double, "<f2" => DataType.Float16, "<i8" => DataType.Int64, "<i4" => DataType.Int32,
            "|u1" => DataType.UInt8, "|i1" => DataType.Int8, "|b1" => DataType.Bool,
            var d => throw new InvalidDataException($"{path}: dtype '{d}' is not supported (little-endian float/int/bool only)"),
        };
        var shape = shapeM.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d
                : throw new InvalidDataException($"{path}: .npy shape entry '{x}' is not a non-negative integer (header '{header.Trim()}')")).ToArray();
        return (type, shape, bytes.AsMemory((int)(start + headerLen)));
    }

    private static (string, OrtValue, long[]) LoadTensorProto(string path, InputSpec s)
    {
        var t = OnnxModel.LoadTensor(path);
        if (t.DataType != s.DataType)
            throw new InvalidDataException($"{path}: tensor type {DataTypes.Name(t.DataType)} but model input '{s.Name}' is {DataTypes.Name(s.DataType)}");
        var values = t.ReadDoubles(long.MaxValue) ?? throw new InvalidDataException($"{path}: tensor '{t.Name}' has no readable data");
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)(int)s.DataType, t.Dims);
        var raw = value.GetTensorMutableRawData();
        for (var i = 0; i < values.Length; i++)
        {
            switch (s.DataType)
            {
                case DataType.Float: BitConverter.TryWriteBytes(raw[(i * 4)..], (float)values[i]); break;
                case DataType.Double: BitConverter.TryWriteBytes(raw[(i * 8)..], values[i]); break;
                case DataType.Int64: BitConverter.TryWriteBytes(raw[(i * 8)..], (long)values[i]); break;
                case DataType.Int32: BitConverter.TryWriteBytes(raw[(i * 4)..], (int)values[i]); break;
                case DataType.UInt8 or DataType.Int8 or DataType.Bool: raw[i] = (byte)(sbyte)values[i]; break;
                default: value.Dispose(); throw DynoInputException.Naming(new InvalidDataException($"{path}: {DataTypes.Name(s.DataType)} tensors are not supported in inputsDirectory"), "inputsDirectory");
            }
        }
        return (s.Name, value, t.Dims);
    }

    private static OrtValue Create(string path, InputSpec s, long[] shape, ReadOnlySpan<byte> data)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)(int)s.DataType, shape);
        var raw = value.GetTensorMutableRawData();
        if (data.Length != raw.Length)
        {
            value.Dispose();
            throw new InvalidDataException($"{path}: {data.Length} data bytes for shape [{string.Join(",", shape)}] which needs {raw.Length}");
        }
        data.CopyTo(raw);
        return value;
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
