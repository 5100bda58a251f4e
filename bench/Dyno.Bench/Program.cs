using BenchmarkDotNet.Running;
using Dyno.Models.Validation;

namespace Dyno.Bench;

/// <summary>
/// BenchmarkDotNet suites: <c>dotnet run -c Release --project bench/Dyno.Bench -- --filter '*'</c>.
/// <c>-- mask-phases</c> times segm evaluation's phases in CPU seconds, <c>-- mask-kinds</c> each kind of mask work; <c>-- onnx-node-tests [DIR]</c> instead reports shape-inference agreement with ONNX's node tests;
/// <c>-- make-big-model PATH BYTES</c> and <c>-- make-decoder PATH</c> write models for bench/profile.sh.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 2 && args[0] == "make-big-model")
        {
            Models.BigModel.Write(args[1], long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
            return 0;
        }
        if (args.Length > 1 && args[0] == "make-decoder")
        {
            Dyno.Models.Transformers.DecoderGraph.Build(Dyno.Models.Transformers.DecoderConfig.TinyLlama1B, 1, 128).Save(args[1]);
            return 0;
        }
        if (args.Length > 0 && args[0] == "mask-phases")
        {
            Detection.MaskEvalBenchmarks.PrintPhaseCpu();
            return 0;
        }
        if (args.Length > 0 && args[0] == "mask-kinds")
        {
            Detection.MaskEvalBenchmarks.PrintKindCpu();
            return 0;
        }
        if (args.Length > 0 && args[0] == "onnx-node-tests")
            return NodeTestReport.Run(args.Length > 1 ? args[1] : OnnxNodeTests.DebianPath, args.Contains("--verbose"));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

internal static class NodeTestReport
{
    public static int Run(string root, bool verbose)
    {
        if (!Directory.Exists(root))
        {
            Console.Error.WriteLine($"{root}: not found (apt-get install libonnx-testdata)");
            return 2;
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var results = new List<NodeTestResult>();
        foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            try
            {
                results.Add(OnnxNodeTests.RunOne(dir));
            }
            catch (Exception e)
            {
                results.Add(new NodeTestResult(Path.GetFileName(dir), "?", false, NodeTestOutcome.Unresolved, "exception: " + e.Message));
            }
        }
        var tensor = results.Where(r => r.Outcome != NodeTestOutcome.NonTensor).ToList();
        var shapeOnly = tensor.Where(r => !r.DataDependent).ToList();
        var dd = tensor.Where(r => r.DataDependent).ToList();
        foreach (var r in results.Where(r => r.Outcome is NodeTestOutcome.Mismatch or NodeTestOutcome.Unresolved && (verbose || !r.DataDependent)))
            Console.WriteLine($"{r.Outcome,-10} {r.Name}: {r.Detail}");
        Console.WriteLine($"ONNX node tests in {root}: {results.Count} ({results.Count - tensor.Count} with sequence/map/optional values, out of scope)");
        Console.WriteLine($"shapes independent of data: {shapeOnly.Count(r => r.Outcome == NodeTestOutcome.Match)}/{shapeOnly.Count} match "
            + $"({100.0 * shapeOnly.Count(r => r.Outcome == NodeTestOutcome.Match) / Math.Max(1, shapeOnly.Count):F1}%)");
        Console.WriteLine($"data-dependent shapes (inputs given as values): {dd.Count(r => r.Outcome == NodeTestOutcome.Match)}/{dd.Count} match");
        Console.WriteLine($"all tensor tests: {tensor.Count(r => r.Outcome == NodeTestOutcome.Match)}/{tensor.Count}; {sw.ElapsedMilliseconds} ms");
        return 0;
    }
}
