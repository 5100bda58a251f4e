using System.Collections;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Dyno.Models.Onnx;
using Dyno.Runtime.Benchmark;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Dyno.Runtime.Variants;

/// <summary>
/// Calibration inputs for <see cref="QdqQuantizer"/>: a sequence of samples, each one float32 tensor per model
/// input (name → tensor), already preprocessed the way the model expects. Any
/// <c>IEnumerable&lt;IReadOnlyDictionary&lt;string, DenseTensor&lt;float&gt;&gt;&gt;</c> works (the percentile method
/// enumerates it twice); this class reads them from files.
/// </summary>
public static class CalibrationData
{
    /// <summary>
    /// Samples from a directory: for a model with one input, every <c>*.npy</c> or <c>*.npy.gz</c> file is one sample;
    /// otherwise every subdirectory is one sample holding <c>NAME.npy</c> (or <c>NAME.npy.gz</c>) per input NAME.
    /// Files are taken in ordinal name order, the first <paramref name="sampleCount"/> of them (all when null).
    /// Each file must be float32 of the input's shape (symbolic dims match anything).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">No samples, or a sample that does not fit the model.</exception>
    public static NpyCalibrationSet FromNpyDirectory(string calibrationDirectory, IReadOnlyList<InputSpec> inputs, int? sampleCount = null)
    {
        var directory = calibrationDirectory;
        if (!Directory.Exists(directory)) throw DynoInputException.Naming(new DirectoryNotFoundException($"calibrationDirectory {directory}: no such directory"), "calibrationDirectory");
        if (inputs.Count == 0) throw DynoInputException.Naming(new InvalidDataException($"calibrationDirectory {directory}: the model has no inputs to feed"), "calibrationDirectory");
        List<Dictionary<string, string>> samples;
        if (inputs.Count == 1)
        {
            samples = Directory.EnumerateFiles(directory)
                .Where(f => f.EndsWith(".npy", StringComparison.Ordinal) || f.EndsWith(".npy.gz", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Select(f => new Dictionary<string, string>(StringComparer.Ordinal) { [inputs[0].Name] = f }).ToList();
        }
        else
        {
            samples = [];
            foreach (var sub in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
            {
                var files = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var s in inputs)
                {
                    var safe = string.Concat(s.Name.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
                    var f = new[] { safe + ".npy", safe + ".npy.gz" }.Select(n => Path.Combine(sub, n)).FirstOrDefault(File.Exists)
                        ?? throw DynoInputException.Naming(new InvalidDataException($"calibrationDirectory {sub}: no {safe}.npy or {safe}.npy.gz for model input '{s.Name}'"), "calibrationDirectory");
                    files[s.Name] = f;
                }
                samples.Add(files);
            }
        }
        if (samples.Count == 0)
            throw DynoInputException.Naming(new InvalidDataException(inputs.Count == 1
                ? $"calibrationDirectory {directory}: no .npy or .npy.gz files (one file per sample for the model's input '{inputs[0].Name}')"
                : $"calibrationDirectory {directory}: no sample subdirectories (one per sample, with NAME.npy per input: {string.Join(", ", inputs.Select(i => i.Name))})"), "calibrationDirectory");
        if (sampleCount is { } n)
        {
            if (n < 1) throw DynoInputException.Naming(new InvalidDataException($"sampleCount {n}: expected at least 1"), "sampleCount");
            samples = samples.Take(n).ToList();
        }
        return new NpyCalibrationSet(samples, inputs);
    }

    /// <summary>Reads one .npy or .npy.gz file as a float32 tensor that fits <paramref name="input"/>.</summary>
    public static DenseTensor<float> ReadNpy(string path, InputSpec input)
    {
        byte[] bytes;
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            bytes = ms.ToArray();
        }
        else bytes = File.ReadAllBytes(path);
        var (type, shape, data) = InputFiles.ParseNpy(path, bytes);
        if (type != DataType.Float) throw new InvalidDataException($"{path}: dtype {DataTypes.Name(type)}, but calibration inputs must be float32 (model input '{input.Name}')");
        var declared = input.Shape;
        var fits = declared.Length == shape.Length && declared.Zip(shape).All(p => p.First < 0 || p.First == p.Second);
        if (!fits)
            throw new InvalidDataException($"{path}: shape [{string.Join(",", shape)}] does not fit model input '{input.Name}' [{string.Join(",", declared.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]");
        long n = 1;
        foreach (var d in shape) n *= d;
        if (data.Length != n * 4) throw new InvalidDataException($"{path}: {data.Length} data bytes for shape [{string.Join(",", shape)}], which needs {n * 4}");
        var values = MemoryMarshal.Cast<byte, float>(data.Span).ToArray();
        return new DenseTensor<float>(values, shape.Select(d => checked((int)d)).ToArray());
    }
}

/// <summary>Calibration samples read lazily from .npy files (see <see cref="CalibrationData.FromNpyDirectory"/>).</summary>
public sealed class NpyCalibrationSet : IEnumerable<IReadOnlyDictionary<string, DenseTensor<float>>>
{
    private readonly List<Dictionary<string, string>> _files;
    private readonly IReadOnlyList<InputSpec> _inputs;

    internal NpyCalibrationSet(List<Dictionary<string, string>> files, IReadOnlyList<InputSpec> inputs)
    {
        _files = files;
        _inputs = inputs;
    }

    /// <summary>Number of samples.</summary>
    public int Count => _files.Count;

    /// <summary>The files of each sample, by input name.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Files => _files;

    public IEnumerator<IReadOnlyDictionary<string, DenseTensor<float>>> GetEnumerator()
    {
        foreach (var sample in _files)
        {
            var tensors = new Dictionary<string, DenseTensor<float>>(StringComparer.Ordinal);
            foreach (var s in _inputs) tensors[s.Name] = CalibrationData.ReadNpy(sample[s.Name], s);
            yield return tensors;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Atomic writes of model files (temp file in the same directory, then rename).</summary>
internal static class VariantFiles
{
    public static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw DynoInputException.Naming(new DirectoryNotFoundException($"output {path}: directory {dir} does not exist"), "output");
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + System.Environment.ProcessId + ".tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
