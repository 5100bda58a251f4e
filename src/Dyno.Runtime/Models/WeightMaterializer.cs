using Dyno.Models.Onnx;

namespace Dyno.Runtime.Models;

/// <summary>
/// An ONNX file ONNX Runtime can load. When Dyno had to materialize absent weights, the file lives
/// in a temporary directory that <see cref="Dispose"/> deletes.
/// </summary>
public sealed class RunnableModel : IDisposable
{
    internal RunnableModel(string path, string? tempDirectory, int tensors, long bytes, IReadOnlyList<string> notes)
    {
        Path = path;
        TempDirectory = tempDirectory;
        MaterializedTensors = tensors;
        MaterializedBytes = bytes;
        Notes = notes;
    }

    /// <summary>The file to hand to the session.</summary>
    public string Path { get; }

    /// <summary>The temporary directory holding the model and its generated weights, if any.</summary>
    public string? TempDirectory { get; }

    /// <summary>True when the weights the model declares were absent and Dyno generated random ones.</summary>
    public bool WeightsMaterialized => MaterializedTensors > 0;

    public int MaterializedTensors { get; }
    public long MaterializedBytes { get; }

    /// <summary>What was done to make the model runnable, for the result's notes.</summary>
    public IReadOnlyList<string> Notes { get; }

    public void Dispose()
    {
        if (TempDirectory is null) return;
        try
        {
            Directory.Delete(TempDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; never fail a finished benchmark over it.
        }
    }
}

/// <summary>
/// Makes weightless models runnable: every initializer whose external data file is absent gets
/// random values of its declared type and shape, written into a temporary data file at the declared
/// offset (ONNX Runtime checks that external files exist before any override applies, so the data
/// must really be on disk). Speed does not depend on weight values, but values must stay finite and
/// away from denormals: floating-point tensors of rank ≥ 2 are drawn uniformly in ±√(3 / fan_in) (unit
/// variance through a layer), rank ≤ 1 tensors (biases, norm scales, running variances) in [0.5, 1.5].
/// </summary>
public static class WeightMaterializer
{
    /// <summary>
    /// Returns a runnable copy of <paramref name="model"/>. <paramref name="openBytes"/> opens the model's
    /// serialized bytes (possibly rewritten); when nothing is missing, <paramref name="forceCopy"/> is false and
    /// <paramref name="modelPath"/> is a file, that file is used as is.
    /// </summary>
    public static RunnableModel Prepare(OnnxModel model, string? modelPath, Func<Stream> openBytes, bool forceCopy = false, int seed = 12345)
    {
        var external = model.ExternalTensors().ToList();
        var missing = external.Where(t => !t.ExternalFilePresent).ToList();
        if (missing.Count == 0 && !forceCopy && modelPath is not null && File.Exists(modelPath))
            return new RunnableModel(modelPath, null, 0, 0, []);

        var dir = Directory.CreateTempSubdirectory("dyno-bench-").FullName;
        try
        {
            var path = System.IO.Path.Combine(dir, "model.onnx");
            using (var src = openBytes())
            using (var dst = File.Create(path))
                src.CopyTo(dst);

            // External files that do exist stay where they are: link them next to the copy.
            var baseDir = modelPath is null ? null : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(modelPath));
            foreach (var file in external.Where(t => t.ExternalFilePresent).Select(t => t.ExternalFile!).Distinct())
            {
                var target = SafeJoin(dir, file);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                File.CreateSymbolicLink(target, System.IO.Path.Combine(baseDir ?? ".", file));
            }

            var rng = new XorShiftRandom((ulong)seed);
            long bytes = 0;
            var zeroFilled = new List<string>();
            foreach (var group in missing.GroupBy(t => t.ExternalFile!))
            {
                var target = SafeJoin(dir, group.Key);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                using var fs = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                foreach (var t in group.OrderBy(t => t.ExternalOffset))
                {
                    var length = t.ExternalLength >= 0 ? t.ExternalLength : t.ByteSize;
                    if (length != t.ByteSize)
                        throw new InvalidDataException($"{model.Source}: initializer '{t.Name}' declares {length} bytes of external data but its type and shape need {t.ByteSize}");
                    if (fs.Length < t.ExternalOffset) fs.SetLength(t.ExternalOffset);
                    fs.Position = t.ExternalOffset;
                    if (!WriteRandom(fs, t, rng)) zeroFilled.Add(t.Name);
                    bytes += length;
                }
            }

            var notes = new List<string>();
            if (missing.Count > 0)
            {
                notes.Add($"weights materialized: the model's weight data ({string.Join(", ", missing.Select(t => t.ExternalFile).Distinct())}) is absent, " +
                          $"so Dyno generated random weights for {missing.Count} initializers ({bytes:N0} bytes) of the declared types and shapes; speed is that of the architecture, outputs are meaningless");
                if (zeroFilled.Count > 0)
                    notes.Add($"{zeroFilled.Count} integer initializers were filled with zeros (their values cannot be guessed): {string.Join(", ", zeroFilled.Take(5))}{(zeroFilled.Count > 5 ? ", ..." : "")}");
            }
            return new RunnableModel(path, dir, missing.Count, bytes, notes);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    private static string SafeJoin(string dir, string relative)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, relative));
        if (!full.StartsWith(dir + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"external data location '{relative}' points outside the model's directory");
        return full;
    }

    private static int Fill<T>(byte[] buf, int count, Func<T> next) where T : unmanaged
    {
        var span = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(buf.AsSpan());
        for (var i = 0; i < count; i++) span[i] = next();
        return count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
    }

    /// <summary>Writes the tensor's bytes; returns false when it had to write zeros.</summary>
    private static bool WriteRandom(Stream s, OnnxTensor t, XorShiftRandom rng)
    {
        var n = t.ElementCount;
        var fanIn = t.Dims.Length >= 2 ? Math.Max(1, n / Math.Max(1, t.Dims[0])) : 0;
        var (lo, hi) = fanIn > 0 ? (-Math.Sqrt(3.0 / fanIn), Math.Sqrt(3.0 / fanIn)) : (0.5, 1.5);
        const int chunk = 1 << 16;
        var buf = new byte[chunk * 8];
        var random = true;
        for (long done = 0; done < n;)
        {
            var k = (int)Math.Min(chunk, n - done);
            int size;
            switch (t.DataType)
            {
                case DataType.Float: size = Fill(buf, k, () => (float)rng.Uniform(lo, hi)); break;
                case DataType.Double: size = Fill(buf, k, () => rng.Uniform(lo, hi)); break;
                case DataType.Float16: size = Fill(buf, k, () => (Half)rng.Uniform(lo, hi)); break;
                case DataType.BFloat16: size = Fill(buf, k, () => (ushort)(BitConverter.SingleToUInt32Bits((float)rng.Uniform(lo, hi)) >> 16)); break;
                case DataType.Int8 or DataType.UInt8:
                    for (var i = 0; i < k; i++) buf[i] = (byte)rng.Next();
                    size = k;
                    break;
                default:
                {
                    // Integer tensors (shapes, indices, int32 biases): values cannot be guessed, write zeros.
                    var bytesLeft = DataTypes.Bytes(t.DataType, n) - DataTypes.Bytes(t.DataType, done);
                    size = (int)Math.Min(buf.Length, bytesLeft);
                    buf.AsSpan(0, size).Clear();
                    random = false;
                    k = (int)Math.Min(n - done, size * 8L / Math.Max(1, DataTypes.Bits(t.DataType)));
                    if (k == 0) k = (int)(n - done);
                    break;
                }
            }
            s.Write(buf, 0, size);
            done += k;
        }
        return random;
    }
}

/// <summary>A small, fast, seedable generator (xorshift64*) for weights and inputs.</summary>
public sealed class XorShiftRandom(ulong seed)
{
    private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    public ulong Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();
}
