using Dyno.Models.Onnx;
using Dyno.Models.Shapes;

namespace Dyno.Models.Validation;

/// <summary>How one ONNX backend node test came out.</summary>
public enum NodeTestOutcome
{
    /// <summary>Every inferred output shape equals the expected tensor's shape.</summary>
    Match,
    /// <summary>An output shape was inferred but differs from the expected one.</summary>
    Mismatch,
    /// <summary>An output shape could not be inferred.</summary>
    Unresolved,
    /// <summary>The test has sequence, map or optional inputs/outputs: out of scope for tensor shape inference.</summary>
    NonTensor,
}

/// <summary>The result of one node test: its name, the op it tests, whether output shapes depend on data, outcome and detail.</summary>
public sealed record NodeTestResult(string Name, string OpType, bool DataDependent, NodeTestOutcome Outcome, string Detail);

/// <summary>
/// Validates shape inference against ONNX's backend node tests (Debian's libonnx-testdata: a
/// <c>model.onnx</c> per test plus input and expected output tensors). Inputs are supplied as known
/// values, as weights and shape constants are in real models; outputs of operators whose shapes
/// depend on the data (NonZero, NonMaxSuppression, Unique, Compress, Loop) are reported separately.
/// </summary>
public static class OnnxNodeTests
{
    /// <summary>Where Debian's libonnx-testdata installs the node tests.</summary>
    public const string DebianPath = "/usr/share/libonnx-testdata/data/node";

    private static readonly HashSet<string> DataDependentOps = ["NonZero", "NonMaxSuppression", "Unique", "Compress", "Loop", "StringNormalizer"];

    /// <summary>Runs every test folder under <paramref name="root"/>.</summary>
    public static IReadOnlyList<NodeTestResult> Run(string root) =>
        Directory.GetDirectories(root).Order(StringComparer.Ordinal).Select(RunOne).ToList();

    /// <summary>Runs one test folder.</summary>
    public static NodeTestResult RunOne(string dir)
    {
        var name = Path.GetFileName(dir);
        using var model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
        var g = model.Graph;
        var op = g.Nodes.Count > 0 ? g.Nodes[^1].OpType : "?";
        if (g.Nodes.Select(n => n.OpType).FirstOrDefault(DataDependentOps.Contains) is { } dd) op = dd;
        var dataDependent = g.Nodes.Any(n => DataDependentOps.Contains(n.OpType));
        if (g.Inputs.Concat(g.Outputs).Any(v => v.Kind != ValueKind.Tensor))
            return new NodeTestResult(name, op, dataDependent, NodeTestOutcome.NonTensor, "sequence/map/optional values");
        var set = Path.Combine(dir, "test_data_set_0");
        var inputs = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var initNames = g.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var k = 0;
        foreach (var input in g.Inputs)
        {
            if (initNames.Contains(input.Name)) continue;
            var file = Path.Combine(set, $"input_{k++}.pb");
            if (!File.Exists(file)) break;
            inputs[input.Name] = ShapeInferenceEngine.FromTensor(OnnxModel.LoadTensor(file));
        }
        var result = new ShapeInferenceEngine(model) { UseDeclaredShapes = false }.Run(inputValues: inputs);
        for (var i = 0; i < g.Outputs.Count; i++)
        {
            var file = Path.Combine(set, $"output_{i}.pb");
            if (!File.Exists(file)) continue;
            var expected = OnnxModel.LoadTensor(file).Dims;
            var got = result[g.Outputs[i].Name];
            if (got is null || !got.IsStatic)
                return new NodeTestResult(name, op, dataDependent, NodeTestOutcome.Unresolved,
                    $"output {i}: inferred {got?.ShapeText ?? "nothing"}, expected [{string.Join(",", expected)}]; "
                    + string.Join("; ", result.Unresolved.Select(u => u.Reason)));
            if (!got.Dims.SequenceEqual(expected))
                return new NodeTestResult(name, op, dataDependent, NodeTestOutcome.Mismatch,
                    $"output {i}: inferred {got.ShapeText}, expected [{string.Join(",", expected)}]");
        }
        return new NodeTestResult(name, op, dataDependent, NodeTestOutcome.Match, "");
    }
}
