using System.Text.Json;

namespace Dyno.Cli.Tests;

/// <summary><c>dyno matrix</c> on the shapes detectors: one row per model with val's accuracy, profile's cost and bench's speed.</summary>
public sealed class MatrixCommandTests
{
    private static string F(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "fixtures", "val");
            if (Directory.Exists(p)) return Path.Combine([p, .. parts]);
        }
        throw new DirectoryNotFoundException("tests/fixtures/val");
    }

    [Fact]
    public void Rows_hold_vals_accuracy_profiles_cost_and_resume_and_gates_work()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-matrix-");
        try
        {
            var plan = Path.Combine(dir.FullName, "plan.yaml");
            File.WriteAllText(plan, $"data: {F("det", "instances_val.json")}\nimages: {F("det", "images")}\nbaseline: v5\nmodels:\n" +
                                    $"  - {{path: {F("models", "shapes_det_n_v8.onnx")}, name: v8}}\n  - {{path: {F("models", "shapes_det_n_v5.onnx")}, name: v5}}\n");
            var state = Path.Combine(dir.FullName, "state.json");
            string[] args = ["matrix", "--plan", plan, "--threads", "1", "--bench-time", "0.3", "--state", state, "--format", "json"];
            var (code, stdout, stderr) = DynoProcess.Run(args);
            Assert.True(code == 0, stderr);
            var doc = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal("matrix", doc.GetProperty("kind").GetString());
            Assert.Equal("v5", doc.GetProperty("baseline").GetString());
            var rows = doc.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(["v8", "v5"], rows.Select(r => r.GetProperty("name").GetString()));
            var expected = JsonDocument.Parse(File.ReadAllBytes(F("expected", "det_shapes_det_n_v8_stats.json"))).RootElement.GetProperty("stats");
            foreach (var r in rows)
            {
                Assert.Equal("fp32", r.GetProperty("variant").GetString());
                Assert.Equal(160_043, r.GetProperty("params").GetInt64());
                Assert.Equal(115_523_200, r.GetProperty("dense_macs").GetInt64());
                Assert.Equal(new FileInfo(r.GetProperty("model").GetString()!).Length, r.GetProperty("file_bytes").GetInt64());
                Assert.Equal(expected.GetProperty("AP").GetDouble(), r.GetProperty("accuracy").GetProperty("map").GetDouble());
                Assert.Equal(expected.GetProperty("AP50").GetDouble(), r.GetProperty("accuracy").GetProperty("map50").GetDouble());
                Assert.True(r.GetProperty("latency_ms").GetProperty("p50").GetDouble() > 0);
                Assert.True(r.GetProperty("latency_ms").GetProperty("p99").GetDouble() >= r.GetProperty("latency_ms").GetProperty("p50").GetDouble());
                Assert.True(r.GetProperty("throughput_per_s").GetDouble() > 0);
                Assert.True(r.GetProperty("peak_rss_bytes").GetInt64() > 0);
                Assert.True(r.GetProperty("peak_activation_bytes").GetInt64() > 0);
                Assert.Equal(1.0, r.GetProperty("vs_baseline").GetProperty("accuracy_ratio").GetDouble());
            }
            // equal accuracy: the faster one is on the front (both, if their medians tie)
            Assert.Contains(rows, r => r.GetProperty("pareto").GetBoolean());

            // re-run with --resume: nothing is measured again, and a gate that the rows break exits 1
            (code, stdout, stderr) = DynoProcess.Run([.. args, "--resume", "--fail-if", "accuracy.map < 1.01 * baseline"]);
            Assert.Equal(1, code);
            Assert.Equal(2, stderr.Split('\n').Count(l => l.Contains("measured before (--resume), kept")));
            Assert.Contains("gate failed: v8: accuracy.map < 1.01 * baseline", stderr);
            var again = JsonDocument.Parse(stdout).RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(rows[0].GetProperty("latency_ms").GetProperty("p50").GetDouble(), again[0].GetProperty("latency_ms").GetProperty("p50").GetDouble());

            // compare reads accuracy against latency straight from matrix and val outputs
            var m = Path.Combine(dir.FullName, "m.json");
            File.WriteAllText(m, stdout);
            var v = Path.Combine(dir.FullName, "v.json");
            (code, _, stderr) = DynoProcess.Run("val", F("models", "shapes_det_n_e2e.onnx"), "--data", F("det", "instances_val.json"), "--images", F("det", "images"),
                "--threads", "1", "--format", "json", "--out", v, "-q");
            Assert.True(code == 0, stderr);
            var chart = Path.Combine(dir.FullName, "pareto.svg");
            (code, _, stderr) = DynoProcess.Run("compare", m, v, "--x", "latency_ms.p50", "--y", "accuracy.map", "--pareto-chart", chart, "--format", "json");
            Assert.True(code == 0, stderr);
            var svg = File.ReadAllText(chart);
            Assert.Contains("m.json:v8", svg);
            Assert.Contains("v.json", svg);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Bad_plans_are_one_line_errors()
    {
        var (code, _, stderr) = DynoProcess.Run("matrix", F("models", "shapes_det_n_v8.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("--data", stderr);
        (code, _, stderr) = DynoProcess.Run("matrix", F("models", "shapes_det_n_v8.onnx"), "--data", F("det", "shapes.yaml"), "--fail-if", "accuracy.map <<< 3");
        Assert.Equal(2, code);
        Assert.Contains("expected KEY OP VALUE", stderr);
        (code, _, stderr) = DynoProcess.Run("matrix", F("models", "shapes_det_n_v8.onnx"), F("models", "shapes_det_n_v8.onnx"), "--data", F("det", "shapes.yaml"));
        Assert.Equal(2, code);
        Assert.Contains("two rows are named", stderr);
    }

    [Fact]
    public void Int8_made_from_val_images_keeps_97_percent_of_fp32_map()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-int8-");
        try
        {
            var int8 = Path.Combine(dir.FullName, "det_n.int8.onnx");
            var (code, _, stderr) = DynoProcess.Run("quantize", F("models", "shapes_det_n_v8.onnx"), "--calib", F("det", "images"), "--calib-count", "8", "--out", int8, "-q");
            Assert.True(code == 0, stderr);
            (code, var stdout, stderr) = DynoProcess.Run("val", int8, "--data", F("det", "instances_val.json"), "--images", F("det", "images"), "--threads", "1", "--format", "json", "-q");
            Assert.True(code == 0, stderr);
            var ap = JsonDocument.Parse(stdout).RootElement.GetProperty("stats").GetProperty("AP").GetDouble();
            var fp32 = JsonDocument.Parse(File.ReadAllBytes(F("expected", "det_shapes_det_n_v8_stats.json"))).RootElement.GetProperty("stats").GetProperty("AP").GetDouble();
            Assert.True(ap >= 0.97 * fp32, $"INT8 AP {ap} is below 97% of FP32's {fp32}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
