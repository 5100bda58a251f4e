using System.Reflection;

namespace Dyno.Models.Onnx;

/// <summary>
/// An ONNX model read from the protobuf wire format. The file stays memory-mapped while the model is
/// alive (dispose it to unmap); weight payloads are never copied.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly ModelBuffer _buffer;

    internal OnnxModel(ModelBuffer buffer, string source)
    {
        _buffer = buffer;
        Source = source;
    }

    /// <summary>The file path, or the name of the resource/stream the model came from.</summary>
    public string Source { get; }

    public long FileSize => _buffer.Length;
    public long IrVersion { get; internal set; }
    public string ProducerName { get; internal set; } = "";
    public string ProducerVersion { get; internal set; } = "";
    public string Domain { get; internal set; } = "";
    public long ModelVersion { get; internal set; }

    /// <summary>Operator set versions by domain ("" is the default ai.onnx domain).</summary>
    public IReadOnlyDictionary<string, long> OpsetImports { get; internal set; } = new Dictionary<string, long>();

    public OnnxGraph Graph { get; internal set; } = null!;
    public IReadOnlyList<OnnxFunction> Functions { get; internal set; } = [];
    public IReadOnlyDictionary<string, string> Metadata { get; internal set; } = new Dictionary<string, string>();

    /// <summary>The default-domain opset (ai.onnx), or 0 when the model imports none.</summary>
    public long Opset => OpsetImports.TryGetValue("", out var v) ? v : OpsetImports.TryGetValue("ai.onnx", out v) ? v : 0;

    /// <summary>Every tensor with external data, across the graph and its subgraphs.</summary>
    public IEnumerable<OnnxTensor> ExternalTensors() => AllInitializers(Graph).Where(t => t.Location == DataLocation.External);

    /// <summary>External data files that the model names but that are missing.</summary>
    public IReadOnlyList<string> MissingExternalFiles() =>
        ExternalTensors().Where(t => !t.ExternalFilePresent).Select(t => t.ExternalFile!).Distinct().Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<OnnxTensor> AllInitializers(OnnxGraph g)
    {
        foreach (var t in g.Initializers) yield return t;
        foreach (var n in g.Nodes)
        foreach (var (_, sub) in n.Subgraphs())
        foreach (var t in AllInitializers(sub))
            yield return t;
    }

    /// <summary>Reads an ONNX file (memory-mapped).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model (truncated, not protobuf, no graph).</exception>
    public static OnnxModel Load(string path, OnnxReadLimits? limits = null)
    {
        var buffer = ModelBuffer.Map(path);
        try
        {
            return OnnxParser.Parse(buffer, path, Path.GetDirectoryName(Path.GetFullPath(path)), limits);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Reads an ONNX model from a stream (copied into memory); external data is resolved against <paramref name="baseDirectory"/>.</summary>
    public static OnnxModel Load(Stream stream, string name, string? baseDirectory = null)
    {
        var buffer = ModelBuffer.FromStream(stream);
        try
        {
            return OnnxParser.Parse(buffer, name, baseDirectory);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Reads a standalone serialized <c>TensorProto</c> file (as in ONNX's test data sets).</summary>
    public static OnnxTensor LoadTensor(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var buffer = ModelBuffer.FromBytes(bytes); // kept alive by the tensor
        return OnnxParser.ParseTensor(buffer, new Region(0, bytes.Length), path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    public void Dispose() => _buffer.Dispose();
}

/// <summary>Resource limits applied while reading an untrusted ONNX file (docs/reliability.md).</summary>
public sealed record OnnxReadLimits
{
    /// <summary>Default nesting depth of subgraphs (If/Loop/Scan bodies); real models nest a handful deep.</summary>
    public const int DefaultMaxGraphDepth = 64;

    /// <summary>The most <see cref="MaxGraphDepth"/> may be raised to: readers recurse once per level, and the stack is finite.</summary>
    public const int MaxGraphDepthCeiling = 1000;

    /// <summary>The limits used when none are given.</summary>
    public static OnnxReadLimits Default { get; } = new();

    /// <summary>Deepest subgraph nesting accepted (the main graph is depth 1).</summary>
    public int MaxGraphDepth { get; init; } = DefaultMaxGraphDepth;
}

/// <summary>The reference models embedded in Dyno (weightless ONNX graphs), usable with no files.</summary>
public static class ExampleModels
{
    private const string Prefix = "Dyno.Models.Examples.";

    /// <summary>Names accepted by <see cref="Open"/>, e.g. <c>resnet50</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(ExampleModels).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..].Replace(".onnx", "", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal).ToList();

    /// <summary>Loads an embedded example by name.</summary>
    /// <exception cref="ArgumentException">No example has that name.</exception>
    public static OnnxModel Open(string name)
    {
        var asm = typeof(ExampleModels).Assembly;
        using var s = asm.GetManifestResourceStream(Prefix + name + ".onnx")
            ?? throw new DynoInputException($"no example model named '{name}'; available: {string.Join(", ", Names)}");
        return OnnxModel.Load(s, "example:" + name);
    }
}
