using System.Text.Json;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Reports;
using Dyno.Results;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Models;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Runtime.Tests;

public class RuntimeTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "models", name);

    [Fact]
    public void MaterializedWeightsMakeAWeightlessResnet18Runnable()
    {
        using var model = ExampleModels.Open("resnet18");
        Assert.NotEmpty(model.MissingExternalFiles());
        var source = ModelSource.Embedded("resnet18");
        using var runnable = WeightMaterializer.Prepare(model, null, source.OpenBytes);
        Assert.True(runnable.WeightsMaterialized);
        Assert.Equal(model.ExternalTensors().Count(), runnable.MaterializedTensors);
        Assert.Equal(model.ExternalTensors().Sum(t => t.ByteSize), runnable.MaterializedBytes);
        Assert.Contains(runnable.Notes, n => n.StartsWith("weights materialized", StringComparison.Ordinal));

        using var session = new InferenceSession(runnable.Path, new SessionOptions { IntraOpNumThreads = 1 });
        using var input = SessionRunner.RandomTensor(new InputSpec("input", DataType.Float, [1, 3, 224, 224]), new XorShiftRandom(5));
        using var outputs = session.Run(new RunOptions(), ["input"], [input], session.OutputNames);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        Assert.Equal(1000, logits.Length);
        foreach (var v in logits) Assert.True(float.IsFinite(v));
        var dir = runnable.TempDirectory!;
        runnable.Dispose();
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void BatchDimRewriteMakesTheLeadingInputDimSymbolic()
    {
        var bytes = File.ReadAllBytes(Fixture("squeezenet1_1_op13.onnx"));
        var rewritten = BatchDimRewriter.MakeBatchSymbolic(bytes, new HashSet<string> { "input" });
        using var model = OnnxModel.Load(new MemoryStream(rewritten), "rewritten");
        var input = Assert.Single(model.Graph.Inputs, i => i.Name == "input");
        Assert.Equal(Dim.Sym(BatchDimRewriter.Symbol), input.Shape![0]);
        Assert.Equal([3L, 224, 224], input.Shape.Skip(1).Select(d => d.Value));
        Assert.Equal(Dim.Sym(BatchDimRewriter.Symbol), model.Graph.Outputs[0].Shape![0]);
        using var original = OnnxModel.Load(Fixture("squeezenet1_1_op13.onnx"));
        Assert.Equal(original.Graph.Nodes.Count, model.Graph.Nodes.Count);
        Assert.Equal(original.Graph.Initializers.Sum(t => t.ByteSize), model.Graph.Initializers.Sum(t => t.ByteSize));
    }

    [Fact]
    public void ShortRealRunOnSqueezenetFillsTheJsonContract()
    {
        var result = InferenceBenchmark.Run(ModelSource.File(Fixture("squeezenet1_1_op13.onnx")), new BenchOptions
        {
            IntraOpThreads = 1, Batches = [1, 2], Iterations = 12, MaxWarmupSeconds = 1, ProfileIterations = 3, InputPool = 2,
        });
        Assert.Equal(12, result.LatencyMs.Count);
        Assert.Equal("iterations", result.StopReason);
        Assert.True(result.Model.BatchDimMadeSymbolic);
        Assert.False(result.Model.WeightsMaterialized);
        Assert.Equal(706_624_160, result.Model.Flops); // dyno profile's count for this fixture
        Assert.Equal([1, 2], result.Throughput.Select(p => p.Batch));
        Assert.All(result.Throughput, p => Assert.True(p.SamplesPerSecond > 0));
        Assert.True(result.PeakRssBytes > 0);
        var ops = result.Ops!;
        Assert.Equal(3, ops.Runs);
        Assert.Contains(ops.Nodes, n => n.OpType == "Conv" && n.Flops > 0);
        // Every Conv FLOP is joined to a measured kernel (through NCHWc renames and Conv+Relu fusion).
        Assert.Equal(703_482_576, ops.ByOpType.Where(t => t.OpType == "Conv").Sum(t => t.Flops));
        Assert.Equal(1.0, ops.Nodes.Sum(n => n.Share), 9);
        Assert.Equal(ops.StaticNodes, ops.StaticNodesJoined);
        Assert.Equal(result.Model.Flops, ops.StaticFlopsJoined);

        using var doc = JsonDocument.Parse(DynoJson.Serialize(result));
        var root = doc.RootElement;
        foreach (var key in new[] { "cold_start_ms", "latency_ms", "throughput", "peak_rss_bytes", "ops", "utilization", "environment" })
            Assert.True(root.TryGetProperty(key, out _), key);
        foreach (var key in new[] { "mean", "std", "p50", "p90", "p95", "p99", "min", "max" })
            Assert.True(root.GetProperty("latency_ms").TryGetProperty(key, out _), key);
        foreach (var key in new[] { "process_start", "model_load", "session_create", "first_inference", "total" })
            Assert.True(root.GetProperty("cold_start_ms").GetProperty(key).GetDouble() >= 0, key);
        Assert.Equal(1, root.GetProperty("settings").GetProperty("intra_op_threads").GetInt32());
    }

    [Fact]
    public void WeightlessExampleRunsEndToEnd()
    {
        var result = InferenceBenchmark.Run(ModelSource.Embedded("resnet18"), new BenchOptions
        {
            IntraOpThreads = 1, Iterations = 3, MaxWarmupSeconds = 0.5, ProfileOps = false, InputPool = 1,
        });
        Assert.True(result.Model.WeightsMaterialized);
        Assert.Contains(result.Notes, n => n.StartsWith("weights materialized", StringComparison.Ordinal));
        Assert.Null(result.Ops);
    }

    [Fact]
    public void ProfileJoinFollowsNchwcRenamesAndFusedChains()
    {
        using var model = OnnxModel.Load(Fixture("squeezenet1_1_op13.onnx"));
        var profile = ModelProfiler.Profile(model);
        var relu = model.Graph.Nodes.First(n => n.OpType == "Relu");
        var conv = model.Graph.Nodes.Single(n => n.Outputs.Contains(relu.Inputs[0]));
        var trace = """
        [
          {"cat":"Session","name":"model_run","ts":100,"dur":50},
          {"cat":"Node","name":"RELU_OUT_nchwc_kernel_time","ts":110,"dur":30,"args":{"op_name":"Conv","provider":"CPUExecutionProvider"}},
          {"cat":"Session","name":"model_run","ts":200,"dur":40},
          {"cat":"Node","name":"RELU_OUT_nchwc_kernel_time","ts":205,"dur":20,"args":{"op_name":"Conv","provider":"CPUExecutionProvider"}},
          {"cat":"Node","name":"ReorderOutput_0_kernel_time","ts":230,"dur":10,"args":{"op_name":"ReorderOutput","provider":"CPUExecutionProvider"}},
          {"cat":"Node","name":"ReorderOutput_0_fence_before","ts":229,"dur":0}
        ]
        """.Replace("RELU_OUT", relu.Outputs[0], StringComparison.Ordinal);
        var ops = OpsReport.FromProfile(trace, skipRuns: 1, batch: 1, unprofiledLatenciesMs: [0.05, 0.03], profile.Nodes, model.Graph.Nodes);
        Assert.Equal(1, ops.Runs);
        Assert.Equal(0.030, ops.SumOpsMs, 12);
        Assert.Equal(0.040, ops.ProfiledRunMs, 12);
        Assert.Equal(0.75, ops.SumOpsOverProfiledRun, 12);
        Assert.Equal(1.0, ops.SumOpsOverLatency, 12);
        var fused = ops.Nodes[0];
        Assert.Equal([relu.Name, conv.Name], fused.StaticNodes!);
        var expected = profile.Nodes.Single(n => n.Name == conv.Name).Flops + profile.Nodes.Single(n => n.Name == relu.Name).Flops;
        Assert.Equal(expected, fused.Flops);
        Assert.Equal(2.0 / 3, fused.Share, 12);
        Assert.Equal(expected / 20e-6, fused.AchievedFlopsPerSecond!.Value, 3);
        Assert.Null(ops.Nodes[1].Flops); // runtime-created layout node
    }

    [Fact]
    public void NpyInputsAreReadWithTheirShape()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-npy-test").FullName;
        try
        {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
            header = header.PadRight(64 - 10 - 1) + "\n";
            using (var f = File.Create(Path.Combine(dir, "x.npy")))
            {
                f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
                f.Write(BitConverter.GetBytes((ushort)header.Length));
                f.Write(System.Text.Encoding.ASCII.GetBytes(header));
                foreach (var v in new float[] { 1, 2, 3, 4, 5, 6 }) f.Write(BitConverter.GetBytes(v));
            }
            var loaded = InputFiles.Load(dir, [new InputSpec("x", DataType.Float, [1, 3])]);
            var (name, value, shape) = Assert.Single(loaded);
            using (value)
            {
                Assert.Equal("x", name);
                Assert.Equal([2L, 3], shape);
                Assert.Equal([1f, 2, 3, 4, 5, 6], value.GetTensorDataAsSpan<float>().ToArray());
            }
            var wrongType = Assert.Throws<InvalidDataException>(() => InputFiles.Load(dir, [new InputSpec("x", DataType.Int64, [1])]));
            Assert.Contains("x.npy", wrongType.Message);
            Assert.Throws<FileNotFoundException>(() => InputFiles.Load(dir, [new InputSpec("y", DataType.Float, [1])]));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void HarnessOverheadAndTriadProduceFiniteFigures()
    {
        var h = MachineCalibration.MeasureHarnessOverhead(callsPerRound: 2000, rounds: 3);
        Assert.True(double.IsFinite(h.OverheadUs));
        Assert.True(h.IdentityLatencyUs > 0 && h.BareRunUs > 0);
        Assert.True(MachineCalibration.Triad(1 << 16, 1, 2) > 0);
    }

    [Fact]
    public void ParetoFrontKeepsOnlyUndominatedPoints()
    {
        ThroughputPoint P(int b, double lat, double tput) => new()
        {
            Batch = b, Concurrency = 1, Iterations = 1, SamplesPerSecond = tput, LatencyP50Ms = lat, LatencyP90Ms = lat, LatencyP99Ms = lat, LatencyMeanMs = lat,
        };
        var marked = InferenceBenchmark.MarkPareto([P(1, 1, 100), P(2, 3, 90), P(4, 3, 200), P(8, 6, 150)]);
        Assert.Equal([true, false, true, false], marked.Select(p => p.Pareto));
    }

    [Fact]
    public void BadOptionsAreUserErrors()
    {
        var src = ModelSource.File(Fixture("squeezenet1_1_op13.onnx"));
        Assert.ThrowsAny<ArgumentException>(() => InferenceBenchmark.Run(src, new BenchOptions { Batches = [0] }));
        Assert.ThrowsAny<ArgumentException>(() => InferenceBenchmark.Run(src, new BenchOptions { Scenario = Scenario.Server }));
        var e = Assert.ThrowsAny<ArgumentException>(() => InferenceBenchmark.Run(src, new BenchOptions { Provider = "nosuch" }));
        Assert.Contains("not available", e.Message);
    }
}
