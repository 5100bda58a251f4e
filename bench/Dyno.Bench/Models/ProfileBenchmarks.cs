using BenchmarkDotNet.Attributes;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Models.Transformers;

namespace Dyno.Bench.Models;

/// <summary>
/// In-process static analysis (file open, memory map, parse, shape inference, cost model) of vit_b_16
/// (1,024 nodes) and a weightless 1.1 B-parameter decoder (TinyLlama's shape, 22 layers, seq 128).
/// Target: under 100 ms each.
/// </summary>
[MemoryDiagnoser]
public class ProfileBenchmarks
{
    private string _vit = "";
    private string _decoder = "";

    [GlobalSetup]
    public void Setup()
    {
        _vit = Path.Combine(Path.GetTempPath(), "dyno-bench-vit_b_16.onnx");
        using (var s = typeof(ExampleModels).Assembly.GetManifestResourceStream("Dyno.Models.Examples.vit_b_16.onnx")!)
        using (var f = File.Create(_vit)) s.CopyTo(f);
        _decoder = DecoderGraph.Build(DecoderConfig.TinyLlama1B, 1, 128).Save(Path.Combine(Path.GetTempPath(), "dyno-bench-decoder-1b.onnx"));
    }

    [Benchmark]
    public long VitB16() => Profile(_vit);

    [Benchmark]
    public long Decoder1B() => Profile(_decoder);

    private static long Profile(string path)
    {
        using var model = OnnxModel.Load(path);
        return ModelProfiler.Profile(model).Totals.DenseMacs;
    }
}
