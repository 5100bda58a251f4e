using System.Text.Json;

namespace Dyno.Cli.Tests;

public class ProfileCommandTests
{
    [Fact]
    public void JsonContractOnTheEmbeddedResnet50()
    {
        var (code, stdout, stderr) = DynoProcess.Run("profile", "--example", "resnet50", "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout); // stdout holds only the JSON document
        var totals = doc.RootElement.GetProperty("totals");
        Assert.Equal(25_507_944, totals.GetProperty("weights").GetInt64());
        Assert.Equal(0, totals.GetProperty("constant_weights").GetInt64());
        Assert.Equal(4_089_184_256, totals.GetProperty("dense_macs").GetInt64());
        Assert.True(totals.GetProperty("flops").GetInt64() > 2L * 4_089_184_256);
        Assert.True(totals.GetProperty("memory_access_bytes").GetInt64() > 0);
        Assert.Equal(105_881_504, totals.GetProperty("activation_bytes").GetInt64());
        Assert.Equal(169, doc.RootElement.GetProperty("nodes").GetArrayLength());
        Assert.Equal(53, doc.RootElement.GetProperty("op_histogram").GetProperty("Conv").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("unresolved").GetArrayLength());
    }

    [Fact]
    public void OutFileIsWrittenWholeAndCsvHasAHeader()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-cli");
        var file = Path.Combine(dir.FullName, "r18.csv");
        var (code, stdout, _) = DynoProcess.Run("profile", "--example", "resnet18", "--format", "csv", "--out", file, "--top", "3");
        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        var text = File.ReadAllText(file);
        Assert.StartsWith("index,name,op_type,", text, StringComparison.Ordinal); // tidy: the per-node table, one header row
        Assert.Single(Directory.GetFiles(dir.FullName)); // no temp file left behind
    }

    [Theory]
    [InlineData("missing", "no such file")]
    [InlineData("truncated", "truncated")]
    [InlineData("text", "not an ONNX model")]
    [InlineData("rank", "has rank 3")]
    [InlineData("channels", "4 channels")]
    [InlineData("unknown-op", "unknown operators")]
    [InlineData("bad-usage", "many")]
    public void BadInputIsOneLineAndExitCode2(string kind, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("dyno-bad").FullName;
        string[] args;
        switch (kind)
        {
            case "missing": args = ["profile", Path.Combine(dir, "nope.onnx")]; break;
            case "truncated":
            {
                var f = Path.Combine(dir, "t.onnx");
                File.WriteAllBytes(f, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "squeezenet1_1_op13.onnx"))[..5000]);
                args = ["profile", f];
                break;
            }
            case "text":
            {
                var f = Path.Combine(dir, "x.onnx");
                File.WriteAllText(f, "name,value\nfoo,1\n");
                args = ["profile", f];
                break;
            }
            case "rank": args = ["profile", "--example", "resnet18", "--shape", "input=1x3x224"]; break;
            case "channels": args = ["profile", "--example", "resnet18", "--shape", "input=1x4x224x224"]; break;
            case "unknown-op":
            {
                var f = Path.Combine(dir, "u.onnx");
                File.WriteAllBytes(f, Convert.FromBase64String(UnknownOpModel));
                args = ["profile", f];
                break;
            }
            default: args = ["profile", "--example", "resnet18", "--top", "many"]; break;
        }
        var (code, _, stderr) = DynoProcess.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal); // no stack trace
        Assert.Single(stderr.Trim().Split('\n'), l => l.StartsWith("dyno: error:", StringComparison.Ordinal));
    }

    // A model: input x float[4] -> Frobnicate (unknown op) -> y.
    private const string UnknownOpModel = "CAgSCmR5bm8tdGVzdHM6OAoXCgF4EgF5GgNmb28iCkZyb2JuaWNhdGUSAWdaDwoBeBIKCggIARIECgIIBGIJCgF5EgQKAggBQgIQDQ==";
}
