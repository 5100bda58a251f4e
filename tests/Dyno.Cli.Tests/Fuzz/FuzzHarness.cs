using System.Diagnostics;
using System.Text;
using Dyno.Metrics.Segmentation;
using Dyno.Cli.Infrastructure;
using Dyno.Cli.Inputs;
using Dyno.Metrics.Classification;
using Dyno.Metrics.Detection;
using Dyno.Metrics.Tracking;
using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Models.Onnx;
using Dyno.Reports;
using Dyno.Results;
using Xunit.Abstractions;

namespace Dyno.Cli.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of every reader, in process (issue 15): each fixture is mutated (bit flips, special
/// bytes, truncation, deleted/duplicated/inserted slices, for text formats interesting numbers and
/// punctuation) and fed to the reader and the computation behind it. Every input must either succeed or
/// fail with an exception that dyno reports as a one-line user error (exit 2); never another exception
/// (a stack trace), a hang (timeout) or more than 1 GB allocated. Semantics-preserving mutations (JSON
/// whitespace, unknown protobuf fields, ancillary PNG chunks) must give exactly the clean result.
/// </summary>
/// <remarks>
/// <c>DYNO_FUZZ_ITERATIONS</c> sets the mutations per reader (default 150, a few seconds in CI);
/// <c>bench/fuzz.sh</c> runs the long mode. <c>DYNO_FUZZ_SEED</c> changes the seed.
/// </remarks>
public sealed class FuzzHarness
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
    private static readonly long AllocationLimit = 1L << 30;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);




    /// <summary>A reader under test: takes the bytes, returns a canonical text of what it computed.</summary>
    public sealed record Target(string Name, byte[] Clean, bool Text, Func<byte[], string> Run);

    /// <summary>What one fuzz run did.</summary>
    public sealed record Outcome(string Target, int Inputs, int Accepted, int Refused, int SameResultChecks, IReadOnlyList<string> Failures);

    private static string TempFile(byte[] data, string name)
    {
        var dir = Directory.CreateTempSubdirectory("dyno-fuzz").FullName;
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    private static void Cleanup(string path)
    {
        try { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); } catch (IOException) { }
    }

    /// <summary>Every reader, with its clean fixture.</summary>
    public static IReadOnlyList<Target> Targets()
    {
        var gtBytes = File.ReadAllBytes(Path.Combine(Fixtures, "coco", "tiny_gt.json"));
        var dtBytes = File.ReadAllBytes(Path.Combine(Fixtures, "coco", "tiny_dt.json"));
        var cleanGt = CocoGroundTruth.Parse(gtBytes, "gt.json");
        string Eval(CocoGroundTruth gt, byte[] dt) =>
            string.Join(",", CocoEvaluator.Evaluate(gt, CocoDetections.Parse(dt, "dt.json", gt, CocoIouType.Bbox, BadRecordPolicy.Error)).Stats.Values.Select(v => v.ToString("R")));
        byte[] shard;
        using (var ms = new MemoryStream())
        {
            CocoEvalShard.Evaluate(cleanGt, CocoDetections.Parse(dtBytes, "dt.json", cleanGt, CocoIouType.Bbox, BadRecordPolicy.Error), part: 0, parts: 2).Save(ms);
            shard = ms.ToArray();
        }
        var csv = new StringBuilder("label,score_0,score_1,score_2\n");
        var rnd = new Random(3);
        for (var i = 0; i < 60; i++)
        {
            double a = rnd.NextDouble(), b = rnd.NextDouble(), c = rnd.NextDouble(), s = a + b + c;
            csv.Append(rnd.Next(3)).Append(',').Append((a / s).ToString("R")).Append(',').Append((b / s).ToString("R")).Append(',').Append((c / s).ToString("R")).Append('\n');
        }
        var hardware = """{"devices":[{"name":"fuzz-gpu","title":"Fuzz GPU","source":"test","vendor":"x","kind":"gpu","memory_gb":16,"memory_bandwidth_gbps":900,"peak_tflops":{"fp32":20,"fp16":80}}]}"""u8.ToArray();
        var png = File.ReadAllBytes(Path.Combine(Fixtures, "segmentation", "gt", "d_filters8.png"));
        var yolo = new StringBuilder();
        for (var i = 0; i < 12; i++)
            yolo.Append(i % 3).Append(' ').Append((0.1 + 0.07 * i).ToString("R")).Append(' ').Append((0.9 - 0.06 * i).ToString("R")).Append(" 0.1 0.15\n");
        return
        [
            new("yolo-labels", Encoding.UTF8.GetBytes(yolo.ToString()), true, data =>
            {
                var root = Directory.CreateTempSubdirectory("dyno-fuzz").FullName;
                try
                {
                    var labels = Directory.CreateDirectory(Path.Combine(root, "labels")).FullName;
                    var preds = Directory.CreateDirectory(Path.Combine(root, "preds")).FullName;
                    File.WriteAllBytes(Path.Combine(labels, "img.txt"), data);
                    File.WriteAllText(Path.Combine(preds, "img.txt"), "0 0.1 0.9 0.1 0.15 0.9\n1 0.17 0.84 0.1 0.15 0.8\n2 0.5 0.5 0.3 0.3 0.4\n");
                    var (g, d) = YoloFormat.Load(labels, preds, _ => (640, 480), classNames: ["a", "b", "c"]);
                    return string.Join(",", CocoEvaluator.Evaluate(g, d).Stats.Values.Select(v => v.ToString("R")));
                }
                finally { Directory.Delete(root, recursive: true); }
            }),
            new("onnx", File.ReadAllBytes(Path.Combine(Fixtures, "models", "squeezenet1_1_op13.onnx")), false, data =>
            {
                var path = TempFile(data, "m.onnx");
                try
                {
                    using var model = OnnxModel.Load(path);
                    var p = ModelProfiler.Profile(model);
                    return DynoJson.Serialize(p.Totals) + p.NodeCount;
                }
                finally { Cleanup(path); }
            }),
            new("coco-gt", gtBytes, true, data => Eval(CocoGroundTruth.Parse(data, "gt.json"), dtBytes)),
            new("coco-dt", dtBytes, true, data => Eval(cleanGt, data)),
            new("coco-shard", shard, false, data => string.Join(",", CocoEvalShard.Load(new MemoryStream(data), "s.shard").Summarize().Stats.Values)),
            new("png", png, false, data =>
            {
                var r = new PngLabelReader();
                r.Decode(data);
                return $"{r.Width}x{r.Height}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(r.Pixels8))}";
            }),
            new("mot", File.ReadAllBytes(Path.Combine(Fixtures, "mot", "TUD-Campus", "gt.txt")), true, data =>
            {
                var t = TrackFileReader.ParseMotChallenge(data, "gt.txt");
                return $"{t.Count}";
            }),
            new("cls-csv", Encoding.UTF8.GetBytes(csv.ToString()), true, data =>
            {
                var path = TempFile(data, "scores.csv");
                try
                {
                    var r = ClassificationFile.Evaluate(path, null, null, new ClassificationOptions());
                    return DynoJson.Serialize(r.SingleLabel?.Accuracy ?? -1);
                }
                finally { Cleanup(path); }
            }),
            new("hardware", hardware, true, data =>
            {
                var path = TempFile(data, "hw.json");
                try { return HardwareDatabase.BuiltIn().With(path).Find("fuzz-gpu").MemoryBandwidthGbps.ToString("R"); }
                finally { Cleanup(path); }
            }),
        ];
    }

    private static readonly string[] Numbers = ["-1", "0", "-0", "1e308", "-1e308", "NaN", "99999999999", "2147483648", "9223372036854775808", "1.5", "1e-300", "\"1\"", "null", "true", "[]", "{}"];
    private static readonly string[] Punctuation = ["{", "}", "[", "]", ",", ":", "\"", "\n", "\\", "/*", "\u00e9", "\0"];

    /// <summary>Applies 1 to 3 random mutations.</summary>
    public static byte[] Mutate(byte[] clean, bool text, Random rnd)
    {
        var data = clean.ToList();
        var count = rnd.Next(1, 4);
        for (var m = 0; m < count && data.Count > 0; m++)
        {
            var at = rnd.Next(data.Count);
            switch (rnd.Next(text ? 8 : 6))
            {
                case 0: data[at] ^= (byte)(1 << rnd.Next(8)); break;
                case 1: data[at] = new byte[] { 0x00, 0xFF, 0x7F, 0x80, 0x01 }[rnd.Next(5)]; break;
                case 2: data.RemoveRange(at, data.Count - at); break;
                case 3: data.RemoveRange(at, Math.Min(rnd.Next(1, 17), data.Count - at)); break;
                case 4:
                {
                    var len = Math.Min(rnd.Next(1, 65), data.Count - at);
                    data.InsertRange(rnd.Next(data.Count), data.GetRange(at, len));
                    break;
                }
                case 5:
                {
                    var bytes = new byte[rnd.Next(1, 9)];
                    rnd.NextBytes(bytes);
                    data.InsertRange(at, bytes);
                    break;
                }
                case 6:
                {
                    // replace the number starting at or after `at` by an interesting one
                    var i = at;
                    while (i < data.Count && !(data[i] is >= (byte)'0' and <= (byte)'9')) i++;
                    var j = i;
                    while (j < data.Count && (data[j] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'-')) j++;
                    if (i < data.Count)
                    {
                        data.RemoveRange(i, j - i);
                        data.InsertRange(i, Encoding.UTF8.GetBytes(Numbers[rnd.Next(Numbers.Length)]));
                    }
                    break;
                }
                default:
                    data.InsertRange(at, Encoding.UTF8.GetBytes(Punctuation[rnd.Next(Punctuation.Length)]));
                    break;
            }
        }
        return data.ToArray();
    }

    /// <summary>Mutations that must not change the result: JSON/CSV whitespace, an unknown protobuf field, an ancillary PNG chunk.</summary>
    public static byte[]? Neutral(Target t, Random rnd)
    {
        switch (t.Name)
        {
            case "coco-gt" or "coco-dt" or "hardware":
            {
                var s = Encoding.UTF8.GetString(t.Clean);
                var commas = Enumerable.Range(0, s.Length).Where(i => s[i] == ',').ToList();
                var at = commas[rnd.Next(commas.Count)] + 1;
                // whitespace after a comma is outside any number; inside a string it would change the text, so only where the next char starts a token
                if (at < s.Length && s[at] is '"' or '{' or '[' || char.IsDigit(s[at]) && s[at - 2] != '"')
                    return Encoding.UTF8.GetBytes(s[..at] + " \n\t " + s[at..]);
                return null;
            }
            case "onnx":
            {
                // field 1000 (unknown to onnx.proto), length-delimited, at the end of ModelProto: readers skip it
                var extra = new byte[] { 0xC2, 0x3E, 3, (byte)'d', (byte)'y', (byte)'n' };
                return [.. t.Clean, .. extra];
            }
            case "png":
            {
                // a tEXt chunk with a valid CRC just before IEND
                var text = "tEXtComment\0fuzz"u8.ToArray();
                var chunk = new byte[12 + text.Length - 4];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)(text.Length - 4));
                text.CopyTo(chunk, 4);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(4 + text.Length), System.IO.Hashing.Crc32.HashToUInt32(text));
                var iend = t.Clean.Length - 12;
                return [.. t.Clean[..iend], .. chunk, .. t.Clean[iend..]];
            }
            case "mot" or "cls-csv" or "yolo-labels":
                return [.. t.Clean, .. "\n\n"u8.ToArray()];
            default:
                return null;
        }
    }

    /// <summary>Whether dyno reports <paramref name="e"/> as a one-line user error (exit 2), as <see cref="CommandRunner"/> does.</summary>
    public static bool IsOneLineUserError(Exception e)
    {
        if (e is AggregateException a && a.Flatten().InnerExceptions is [var first, ..]) e = first;
        // ArgumentOutOfRange/ArgumentNull pass CommandRunner's filter, but from a reader they are bugs, not messages
        if (e is ArgumentOutOfRangeException or ArgumentNullException) return false;
        return CommandRunner.IsUserError(e) && e.Message.Trim().Length > 0;
    }

    /// <summary>Runs <paramref name="iterations"/> mutated inputs through <paramref name="t"/>.</summary>
    public static Outcome Run(Target t, int iterations, int seed)
    {
        var rnd = new Random(seed * 1000 + t.Name.Sum(c => c)); // string.GetHashCode differs per process: not a seed
        var clean = t.Run(t.Clean);
        var failures = new List<string>();
        int accepted = 0, refused = 0, same = 0;
        for (var k = 0; k < iterations; k++)
        {
            var neutral = k % 10 == 0 ? Neutral(t, rnd) : null;
            var input = neutral ?? Mutate(t.Clean, t.Text, rnd);
            var before = GC.GetTotalAllocatedBytes(precise: false);
            var task = Task.Run(() => t.Run(input));
            string? result = null;
            Exception? error = null;
            try
            {
                if (!task.Wait(Timeout)) { failures.Add($"{t.Name} #{k}: no answer within {Timeout.TotalSeconds} s (hang)"); continue; }
                result = task.Result;
            }
            catch (AggregateException e)
            {
                error = e.InnerExceptions.Count == 1 ? e.InnerExceptions[0] : e;
            }
            var allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
            if (allocated > AllocationLimit) failures.Add($"{t.Name} #{k}: allocated {allocated / (1 << 20)} MiB");
            if (error is not null)
            {
                if (IsOneLineUserError(error)) refused++;
                else failures.Add($"{t.Name} #{k}: {error.GetType().Name}: {error.Message.ReplaceLineEndings(" ")} at {error.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
                if (neutral is not null) failures.Add($"{t.Name} #{k}: a neutral mutation was refused: {error.Message}");
                continue;
            }
            accepted++;
            // a checksummed shard either is the clean one, byte for byte, or is refused
            if (t.Name == "coco-shard" && result != clean) failures.Add($"{t.Name} #{k}: a changed shard was accepted with a different result");
            if (neutral is not null)
            {
                same++;
                if (result != clean) failures.Add($"{t.Name} #{k}: a neutral mutation changed the result");
            }
        }
        return new Outcome(t.Name, iterations, accepted, refused, same, failures);
    }
}

/// <summary>The fuzz harness in CI: bounded, deterministic, no parallel neighbours (allocation is measured process-wide).</summary>
[CollectionDefinition("fuzz", DisableParallelization = true)]
public sealed class FuzzCollection;

[Collection("fuzz")]
public sealed class FuzzTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => new(FuzzHarness.Targets().Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryMutatedInputIsAnsweredOrRefusedInOneLine(string name)
    {
        var target = FuzzHarness.Targets().Single(t => t.Name == name);
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("DYNO_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 150;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DYNO_FUZZ_SEED"), out var s) ? s : 15;
        var sw = Stopwatch.StartNew();
        var o = FuzzHarness.Run(target, iterations, seed);
        output.WriteLine($"fuzz {o.Target}: {o.Inputs} inputs in {sw.Elapsed.TotalSeconds:F1} s: {o.Accepted} accepted, {o.Refused} refused in one line, " +
                         $"{o.SameResultChecks} neutral mutations gave the clean result, {o.Failures.Count} failures");
        foreach (var f in o.Failures.Take(20)) output.WriteLine("  " + f);
        Assert.True(o.Failures.Count == 0, string.Join("\n", o.Failures.Take(10)));
    }
}
