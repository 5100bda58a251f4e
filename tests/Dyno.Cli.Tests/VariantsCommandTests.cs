using System.Text.Json;

namespace Dyno.Cli.Tests;

/// <summary><c>dyno convert</c> and <c>dyno quantize</c> as a user runs them, and <c>dyno profile</c> on what they write.</summary>
public class VariantsCommandTests
{
    private static string Val(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", "val", .. parts]);

    private static string CalibDir()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-calib-").FullName;
        foreach (var f in Directory.GetFiles(Val("expected", "tensors"), "det_input_*.npy.gz")) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static JsonElement Profile(string model)
    {
        var (code, stdout, stderr) = DynoProcess.Run("profile", model, "--format", "json");
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    [Fact]
    public void ConvertAndQuantizeWriteModelsThatProfileCountsAtTheirWidths()
    {
        var src = Val("models", "shapes_det_n_v8.onnx");
        var dir = Directory.CreateTempSubdirectory("dyno-variants-").FullName;
        var fp16 = Path.Combine(dir, "n.fp16.onnx");
        var int8 = Path.Combine(dir, "n.int8.onnx");

        var (code, stdout, stderr) = DynoProcess.Run("convert", src, "--to", "fp16", "--out", fp16, "--format", "json");
        Assert.True(code == 0, stderr);
        var c = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("fp16", c.GetProperty("variant").GetString());
        Assert.Equal(0.5, c.GetProperty("weight_bytes_ratio").GetDouble());
        Assert.Equal(new FileInfo(fp16).Length, c.GetProperty("file_bytes").GetInt64());

        (code, stdout, stderr) = DynoProcess.Run("quantize", src, "--calib", CalibDir(), "--calib-count", "4", "--out", int8, "--format", "json");
        Assert.True(code == 0, stderr);
        Assert.Contains("calibrating", stderr);
        var q = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("int8", q.GetProperty("variant").GetString());
        Assert.Equal(4, q.GetProperty("calibration").GetProperty("samples").GetInt32());
        Assert.Equal("minmax", q.GetProperty("calibration").GetProperty("method").GetString());
        Assert.Equal(28, q.GetProperty("quantized_weights").GetInt32());

        var p32 = Profile(src).GetProperty("totals");
        var p16 = Profile(fp16).GetProperty("totals");
        var p8 = Profile(int8);
        Assert.Equal(p32.GetProperty("weight_bytes").GetInt64(), 2 * p16.GetProperty("weight_bytes").GetInt64());
        var ratio = (double)p8.GetProperty("totals").GetProperty("weight_bytes").GetInt64() / p32.GetProperty("weight_bytes").GetInt64();
        Assert.InRange(ratio, 0.25, 0.30);
        Assert.Equal(ratio, q.GetProperty("weight_bytes_ratio").GetDouble(), 12);
        Assert.Contains(p8.GetProperty("weights_by_dtype").EnumerateArray(), d => d.GetProperty("dtype").GetString() == "int8");
        Assert.Equal(p32.GetProperty("dense_macs").GetInt64(), p8.GetProperty("totals").GetProperty("dense_macs").GetInt64());
    }

    [Theory]
    [InlineData("convert", "--to", "int4", "only fp16 is supported")]
    [InlineData("quantize", "--calib", "/nonexistent-dir", "/nonexistent-dir: calibration data not found (--calib)")]
    [InlineData("quantize", "--method", "entropy", "--method entropy: expected minmax or percentile")]
    [InlineData("quantize", "--activation-type", "int16", "--activation-type int16: expected uint8 or int8")]
    public void BadArgumentsAreOneLineErrors(string command, string option, string value, string message)
    {
        var args = new List<string> { command, Val("models", "shapes_det_n_v8.onnx"), "--out", Path.Combine(Path.GetTempPath(), "dyno-never.onnx"), option, value };
        if (command == "convert" && option != "--to") args.AddRange(["--to", "fp16"]);
        if (command == "quantize" && option != "--calib") args.AddRange(["--calib", CalibDir()]);
        var (code, stdout, stderr) = DynoProcess.Run([.. args]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("dyno: error: ", stderr);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void CalibrationTensorOfTheWrongShapeNamesTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-calib-").FullName;
        var bad = Path.Combine(dir, "a.npy.gz");
        File.Copy(Val("expected", "tensors", "det_input_000.npy.gz"), bad);
        var output = Path.Combine(dir, "cls.int8.onnx");
        // The classifier takes [1,3,64,64]; a detector tensor does not fit.
        var (code, stdout, stderr) = DynoProcess.Run("quantize", Val("models", "shapes_cls.onnx"), "--calib", dir, "--out", output, "-q");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith($"dyno: error: {bad}: shape [1,3,320,320] does not fit model input 'input' [1,3,64,64]", stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void UnknownExcludedNodeIsAnError()
    {
        var output = Path.Combine(Path.GetTempPath(), "dyno-never.onnx");
        var (code, _, stderr) = DynoProcess.Run("quantize", Val("models", "shapes_det_n_v8.onnx"), "--calib", CalibDir(), "--out", output, "--exclude-nodes", "no-such-node");
        Assert.Equal(2, code);
        Assert.Contains("--exclude-nodes: ", stderr);
        Assert.Contains("has no node named 'no-such-node'", stderr);
    }
}
