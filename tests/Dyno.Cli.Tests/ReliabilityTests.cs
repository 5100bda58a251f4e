using System.Diagnostics;
using System.Text.Json;
using Dyno.Models.Onnx;

namespace Dyno.Cli.Tests;

/// <summary>Issue 15 at the command line: hostile input and outputs give one line and exit 2, never a wrong number or a damaged file.</summary>
public class ReliabilityTests
{
    private const int F32 = 1;

    private static string Dir() => Directory.CreateTempSubdirectory("dyno-rel").FullName;

    private static void AssertOneLineError(int code, string stderr, params string[] expected)
    {
        Assert.True(code == 2, $"exit {code}: {stderr}");
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("dyno: error: ", lines[0], StringComparison.Ordinal);
        foreach (var e in expected) Assert.Contains(e, lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("profile")]
    [InlineData("fit")]
    public void ExternalDataEscapingTheModelFolderIsRefusedWithoutAProbe(string command)
    {
        var dir = Dir();
        var model = new OnnxBuilder().Input("x", F32, 1, 4).Initializer("secret_w", F32, [4, 4], externalFile: "../../../../etc/passwd")
            .Node("MatMul", ["x", "secret_w"], ["y"]).Output("y", F32, 1, 4).Save(Path.Combine(dir, "m.onnx"));
        string[] args = command == "fit" ? ["fit", model, "--hardware", "h100", "--format", "json"] : ["profile", model, "--format", "json"];
        var (code, stdout, stderr) = DynoProcess.Run(args);
        AssertOneLineError(code, stderr, "'secret_w'", "'../../../../etc/passwd'", "leaves the model's folder");
        Assert.Equal("", stdout); // no external_data_missing true/false to learn from
    }

    [Fact]
    public void WrappedElementCountsAreRefused()
    {
        var model = new OnnxBuilder().Input("x", F32, 1L << 62, 4).Node("Relu", ["x"], ["y"], name: "relu").Output("y", F32, 1L << 62, 4).Save(Path.Combine(Dir(), "big.onnx"));
        var (code, stdout, stderr) = DynoProcess.Run("profile", model, "--format", "json");
        AssertOneLineError(code, stderr, "'relu'", "2^63");
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("--margin", "NaN")]
    [InlineData("--margin", "-0.5")]
    [InlineData("--overhead-mb", "-100")]
    [InlineData("--overhead-mb", "NaN")]
    public void FitRefusesNegativeAndNaNOptions(string option, string value)
    {
        var (code, _, stderr) = DynoProcess.Run("fit", "--example", "resnet18", "--hardware", "h100", option, value);
        AssertOneLineError(code, stderr, option);
    }

    [Fact]
    public void CompareFailIfFromABaselineOfZeroFails()
    {
        var dir = Dir();
        var a = Path.Combine(dir, "a.json");
        var (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "json", "--out", a);
        Assert.True(code == 0, stderr);
        var text = File.ReadAllText(a);
        Assert.Contains("\"constant_weights\": 0,", text, StringComparison.Ordinal);
        var b = Path.Combine(dir, "b.json");
        File.WriteAllText(b, text.Replace("\"constant_weights\": 0,", "\"constant_weights\": 7,", StringComparison.Ordinal));
        (code, _, stderr) = DynoProcess.Run("compare", a, b, "--fail-if", "totals.constant_weights > +5%", "--format", "json");
        Assert.True(code == 1, stderr);
        Assert.Contains("changed from 0 to 7", stderr, StringComparison.Ordinal);
        (code, _, stderr) = DynoProcess.Run("compare", a, a, "--fail-if", "totals.constant_weights > +5%", "--format", "json");
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public void OutEqualToAnInputOrAnotherOutputIsRefused()
    {
        var dir = Dir();
        var model = Path.Combine(dir, "m.onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "squeezenet1_1_op13.onnx"), model);
        var before = File.ReadAllBytes(model);
        var (code, _, stderr) = DynoProcess.Run("profile", model, "--out", model);
        AssertOneLineError(code, stderr, "--out", "the input MODEL");
        Assert.Equal(before, File.ReadAllBytes(model));
        // through a symbolic link to the input, too
        var link = Path.Combine(dir, "link.json");
        File.CreateSymbolicLink(link, model);
        (code, _, stderr) = DynoProcess.Run("profile", model, "--out", link);
        AssertOneLineError(code, stderr, "--out");
        Assert.Equal(before, File.ReadAllBytes(model));
        var r = Path.Combine(dir, "r.json");
        (code, _, stderr) = DynoProcess.Run("profile", model, "--hardware", "h100", "--out", r, "--roofline-chart", r);
        AssertOneLineError(code, stderr, "two outputs would overwrite each other");
    }

    [Fact]
    public async Task OutToDevicesAndFifosIsWrittenThroughAndSymlinksStayLinks()
    {
        var dir = Dir();
        var (code, stdout, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "json", "--out", "/dev/stdout", "--quiet");
        Assert.True(code == 0, stderr);
        using (var doc = JsonDocument.Parse(stdout)) Assert.Equal("example:resnet18", doc.RootElement.GetProperty("model").GetProperty("source").GetString());
        (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--out", "/dev/null");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists("/dev/null") && new FileInfo("/dev/null").Length == 0);

        var fifo = Path.Combine(dir, "fifo");
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        var reader = Task.Run(() => File.ReadAllText(fifo));
        (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "csv", "--out", fifo);
        Assert.True(code == 0, stderr);
        Assert.StartsWith("index,name,op_type,", await reader, StringComparison.Ordinal);
        using (var test = Process.Start("test", ["-p", fifo])) { test.WaitForExit(); Assert.Equal(0, test.ExitCode); } // still a FIFO

        var target = Path.Combine(dir, "target.csv");
        File.WriteAllText(target, "old");
        var link = Path.Combine(dir, "link.csv");
        File.CreateSymbolicLink(link, target);
        (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "csv", "--out", link);
        Assert.True(code == 0, stderr);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.StartsWith("index,name,op_type,", File.ReadAllText(target), StringComparison.Ordinal);
    }

    [Fact]
    public void StaleTempFilesOfAKilledRunAreCleanedOnTheNextRun()
    {
        var dir = Dir();
        var stale = Path.Combine(dir, $".r.csv.{int.MaxValue - 1}.{Guid.NewGuid():N}.tmp"); // a pid no process has
        var other = Path.Combine(dir, $".other.csv.{int.MaxValue - 1}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(stale, "half a report");
        File.WriteAllText(other, "someone else's");
        var (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "csv", "--out", Path.Combine(dir, "r.csv"));
        Assert.True(code == 0, stderr);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(other));
    }

    [Fact]
    public void ReportMdIntoAMissingFolderIsRefused()
    {
        var dir = Dir();
        var a = Path.Combine(dir, "a.json");
        var (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "json", "--out", a);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = DynoProcess.Run("report", a, "--out", Path.Combine(dir, "r.html"), "--md", Path.Combine(dir, "missing", "r.md"));
        AssertOneLineError(code, stderr, "does not exist");
        Assert.False(Directory.Exists(Path.Combine(dir, "missing")));
    }

    [Theory]
    [InlineData("--threads", "1000")]
    [InlineData("--inter-op-threads", "1000")]
    [InlineData("--input-pool", "100000000")]
    [InlineData("--max-time", "NaN")]
    [InlineData("--target-ci", "-1")]
    public void BenchRefusesAbsurdResourceOptionsAtOnce(string option, string value)
    {
        var sw = Stopwatch.StartNew();
        var (code, _, stderr) = DynoProcess.Run("bench", "--example", "resnet18", option, value, "--no-calibration");
        AssertOneLineError(code, stderr, option);
        Assert.True(sw.Elapsed.TotalSeconds < 30);
    }

    [Fact]
    public void OnnxRuntimeRefusalsAreOneLineErrors()
    {
        var dir = Dir();
        var model = new OnnxBuilder().Input("x", F32, 1, 4).Node("NoSuchOperator", ["x"], ["y"], name: "mystery").Output("y", F32, 1, 4)
            .Save(Path.Combine(dir, "unknown-op.onnx"));
        var (code, _, stderr) = DynoProcess.Run("bench", model, "--no-calibration", "--no-profile", "--iterations", "1");
        AssertOneLineError(code, stderr, model + ": onnxruntime refused the model: ");
        var good = new OnnxBuilder().Input("x", F32, 1, 4).Node("Relu", ["x"], ["y"]).Output("y", F32, 1, 4).Save(Path.Combine(dir, "relu.onnx"));
        (code, _, stderr) = DynoProcess.Run("bench", good, "--no-calibration", "--no-profile", "--iterations", "1", "--shape", "x=1x5");
        Assert.True(code == 2, stderr);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    private static readonly string Coco = Path.Combine(AppContext.BaseDirectory, "fixtures", "coco");

    [Theory]
    [InlineData("--max-dets", "99999999999", "from 1 to 2147483647")]
    [InlineData("--max-dets", "0,10", "from 1 to")]
    [InlineData("--iou-thrs", "0.5:0.95:1e-300", "at most 1000")]
    [InlineData("--iou-thrs", "0.5,NaN", "from 0 to 1")]
    [InlineData("--area-ranges", "all=0:1e10,all=0:100", "appears twice")]
    public void EvalDetRefusesAbsurdProtocolOptions(string option, string value, string expected)
    {
        var (code, _, stderr) = DynoProcess.Run("eval", "det", "--gt", Path.Combine(Coco, "tiny_gt.json"), "--dt", Path.Combine(Coco, "tiny_dt.json"), option, value);
        AssertOneLineError(code, stderr, option, expected);
    }

    [Fact]
    public void EvalClsRefusesHugeBinCountsAndClassCounts()
    {
        var dir = Dir();
        var small = Path.Combine(dir, "s.csv");
        File.WriteAllText(small, "label,score_0,score_1\n0,0.9,0.1\n1,0.2,0.8\n");
        var (code, _, stderr) = DynoProcess.Run("eval", "cls", small, "--ece-bins", "2147483647");
        AssertOneLineError(code, stderr, "--ece-bins");
        // 20,000 classes x 5 rows: refused at once instead of allocating classes^2 counts per worker
        var wide = Path.Combine(dir, "wide.csv");
        var header = "label," + string.Join(",", Enumerable.Range(0, 20_000).Select(i => $"score_{i}"));
        var row = string.Join(",", Enumerable.Repeat("0.00005", 20_000));
        File.WriteAllText(wide, header + "\n" + string.Join("\n", Enumerable.Range(0, 5).Select(i => i + "," + row)) + "\n");
        var sw = Stopwatch.StartNew();
        (code, _, stderr) = DynoProcess.Run("eval", "cls", wide);
        AssertOneLineError(code, stderr, "20000 classes is more than the limit of 4096", "--max-classes");
        Assert.True(sw.Elapsed.TotalSeconds < 30);
    }

    [Fact]
    public void LlmContextShorterThanTheSequenceIsRefused()
    {
        var (code, _, stderr) = DynoProcess.Run("llm", "--preset", "llama-2-7b", "--seq", "100", "--context", "10");
        AssertOneLineError(code, stderr, "--context 10 is shorter than --seq 100");
    }

    [Theory]
    [InlineData("[{\"name\": 5}]")]
    [InlineData("{\"devices\": \"x\"}")]
    [InlineData("{\"devices\": [null]}")]
    public void WrongJsonShapesInAHardwareFileAreOneLineErrors(string json)
    {
        var f = Path.Combine(Dir(), "hw.json");
        File.WriteAllText(f, json);
        var (code, _, stderr) = DynoProcess.Run("hardware", "list", "--hardware-file", f);
        AssertOneLineError(code, stderr, f);
    }

    [Theory]
    [InlineData("truncated", "truncated .npy file")]
    [InlineData("1L", "'1L' is not a non-negative integer")]
    public void NpyHeadersGiveMessagesNamingTheFile(string kind, string expected)
    {
        var dir = Dir();
        var model = new OnnxBuilder().Input("x", F32, 1, 4).Node("Relu", ["x"], ["y"]).Output("y", F32, 1, 4).Save(Path.Combine(dir, "relu.onnx"));
        var inputs = Directory.CreateDirectory(Path.Combine(dir, "inputs")).FullName;
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 4L), }";
        if (kind != "1L") header = header.Replace("1L, 4L", "1, 4", StringComparison.Ordinal);
        var head = System.Text.Encoding.Latin1.GetBytes(header.PadRight(118) + "\n");
        byte[] npy = [0x93, .. "NUMPY"u8.ToArray(), 1, 0, (byte)head.Length, 0, .. head, .. new byte[16]];
        var path = Path.Combine(inputs, "x.npy");
        File.WriteAllBytes(path, kind == "truncated" ? npy[..40] : npy);
        var (code, _, stderr) = DynoProcess.Run("bench", model, "--inputs", inputs, "--no-calibration", "--no-profile", "--iterations", "1");
        AssertOneLineError(code, stderr, path, expected);
    }

    [Fact]
    public void ReportRefusesDynoShapedJsonWithWrongTypes()
    {
        var dir = Dir();
        var a = Path.Combine(dir, "a.json");
        var (code, _, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "json", "--out", a);
        Assert.True(code == 0, stderr);
        var text = File.ReadAllText(a);
        var weights = System.Text.RegularExpressions.Regex.Match(text, "\"weights\": [0-9]+").Value;
        File.WriteAllText(a, text.Replace(weights, "\"weights\": \"lots\"", StringComparison.Ordinal));
        var html = Path.Combine(dir, "r.html");
        (code, _, stderr) = DynoProcess.Run("report", a, "--out", html);
        AssertOneLineError(code, stderr, a, "'totals.weights' is string \"lots\", expected a number");
        Assert.False(File.Exists(html));
    }
}
