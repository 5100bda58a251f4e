using System.Text;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>Issue 15: hostile COCO/YOLO input and shards give pycocotools' answer or a clear error, never a different number.</summary>
public class HostileInputTests
{
    private static readonly string GtText = File.ReadAllText(CocoEvaluatorTests.Fixture("tiny_gt.json"));
    private static readonly byte[] DtBytes = File.ReadAllBytes(CocoEvaluatorTests.Fixture("tiny_dt.json"));

    private static CocoEvalResult Eval(string gtText)
    {
        var gt = CocoGroundTruth.Parse(Encoding.UTF8.GetBytes(gtText), "gt.json");
        return CocoEvaluator.Evaluate(gt, CocoDetections.Parse(DtBytes, "dt.json", gt, CocoIouType.Bbox, BadRecordPolicy.Error));
    }

    private static string Refused(string gtText) =>
        Assert.Throws<InvalidDataException>(() => CocoGroundTruth.Parse(Encoding.UTF8.GetBytes(gtText), "gt.json")).Message;

    [Theory]
    [InlineData("\"1\"")]   // pycocotools: bool("1") is True and int("1") is 1, exactly like 1
    [InlineData("true")]
    [InlineData("\" 2 \"")]
    public void IscrowdFollowsPycocotoolsTruthiness(string crowd)
    {
        Assert.Contains("\"iscrowd\":1", GtText, StringComparison.Ordinal);
        var clean = Eval(GtText);
        var mutated = Eval(GtText.Replace("\"iscrowd\":1", "\"iscrowd\":" + crowd, StringComparison.Ordinal));
        Assert.Equal(4, mutated.Counts.GtCrowd);
        Assert.Equal(clean.Stats, mutated.Stats);
        Assert.Equal(clean.PerCategory, mutated.PerCategory);
    }

    [Theory]
    [InlineData("\"0\"", "ignored")]   // bool("0") is True but int("0") is 0: the two uses in pycocotools disagree
    [InlineData("null", "null")]
    [InlineData("\"yes\"", "a string")]
    [InlineData("0.5", "a number")]
    [InlineData("[1]", "an array")]
    public void IscrowdThatPycocotoolsCannotUseIsRefused(string crowd, string expected)
    {
        var msg = Refused(GtText.Replace("\"iscrowd\":1", "\"iscrowd\":" + crowd, StringComparison.Ordinal));
        Assert.Contains("'iscrowd'", msg, StringComparison.Ordinal);
        Assert.Contains(expected, msg, StringComparison.Ordinal);
    }

    [Fact]
    public void ARepeatedTopLevelKeyKeepsTheLastLikePython()
    {
        var clean = Eval(GtText);
        // an earlier "annotations" list is replaced by the later one (json.load keeps the last), not merged
        var earlier = Eval("{\"annotations\":[{\"id\":1,\"image_id\":316716,\"category_id\":72,\"bbox\":[1,1,5,5],\"area\":25,\"iscrowd\":0}]," + GtText[1..]);
        Assert.Equal(clean.Stats, earlier.Stats);
        Assert.Equal(clean.Counts.GtAnnotations, earlier.Counts.GtAnnotations);
        var later = CocoGroundTruth.Parse(Encoding.UTF8.GetBytes(GtText[..^1] + ",\"annotations\":[]}"), "gt.json");
        Assert.Equal(0, later.Count);
    }

    [Fact]
    public void AListWhereAScalarIsExpectedIsSkippedWholeNotReadAsKeys()
    {
        // found by the fuzz harness: the list's items were read as property names (InvalidOperationException)
        Assert.Contains("\"width\":480", GtText, StringComparison.Ordinal);
        var clean = Eval(GtText);
        var mutated = Eval(GtText.Replace("\"width\":480", "\"width\":[4,8,0]", StringComparison.Ordinal));
        Assert.Equal(clean.Stats, mutated.Stats); // bbox evaluation does not use the image size
    }

    [Fact]
    public void InvalidUtf8InAStringIsRefused()
    {
        // found by the fuzz harness (InvalidOperationException from the reader); Python's json raises UnicodeDecodeError
        var bytes = Encoding.UTF8.GetBytes(GtText);
        var name = GtText.IndexOf("\"name\":\"", StringComparison.Ordinal) + 8;
        Assert.True(name > 8);
        bytes[name] = 0xC3; // a lead byte followed by an ASCII letter
        var e = Assert.Throws<InvalidDataException>(() => CocoGroundTruth.Parse(bytes, "gt.json"));
        Assert.StartsWith("gt.json: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AGroundTruthAnnotationWithoutABoxIsRefused()
    {
        var i = GtText.IndexOf(",\"bbox\":[", StringComparison.Ordinal);
        var end = GtText.IndexOf(']', i);
        var msg = Refused(GtText[..i] + GtText[(end + 1)..]);
        Assert.Contains("annotations[0] (id 1136): no 'bbox'", msg, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonWithCommentsIsRefusedAsPythonDoes()
    {
        var msg = Refused("{/* a comment */" + GtText[1..]);
        Assert.Contains("malformed JSON at line 1", msg, StringComparison.Ordinal);
    }

    private static byte[] ShardBytes()
    {
        var gt = CocoGroundTruth.Parse(Encoding.UTF8.GetBytes(GtText), "gt.json");
        var dt = CocoDetections.Parse(DtBytes, "dt.json", gt, CocoIouType.Bbox, BadRecordPolicy.Error);
        using var ms = new MemoryStream();
        CocoEvalShard.Evaluate(gt, dt, part: 0, parts: 2).Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void AShardWithAnyFlippedByteIsRefused()
    {
        var bytes = ShardBytes();
        Assert.NotNull(CocoEvalShard.Load(new MemoryStream(bytes), "ok.shard"));
        // every byte after the magic: a flip in the header, the arrays or the checksum itself
        for (var i = 20; i < bytes.Length; i += Math.Max(1, bytes.Length / 97))
        {
            var bad = (byte[])bytes.Clone();
            bad[i] ^= 0x10;
            var e = Assert.Throws<InvalidDataException>(() => CocoEvalShard.Load(new MemoryStream(bad), "bad.shard"));
            Assert.Contains("bad.shard: the shard's checksum does not match", e.Message, StringComparison.Ordinal);
        }
        var truncated = bytes[..^5];
        Assert.Throws<InvalidDataException>(() => CocoEvalShard.Load(new MemoryStream(truncated), "cut.shard"));
    }

    [Fact]
    public void AShardWithoutAChecksumIsRefusedWithAHint()
    {
        var bytes = ShardBytes();
        var v1 = bytes.ToArray();
        v1[17] = (byte)'1';
        var e = Assert.Throws<InvalidDataException>(() => CocoEvalShard.Load(new MemoryStream(v1[..^32]), "old.shard"));
        Assert.Contains("older dyno without a checksum", e.Message, StringComparison.Ordinal);
    }

    private static string TempDir() => Directory.CreateTempSubdirectory("dyno-yolo").FullName;

    [Fact]
    public void AnImageHeaderWithWidthZeroIsRefused()
    {
        var dir = TempDir();
        var png = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(png, 0);
        png[23] = 10; // width 0, height 10
        var path = Path.Combine(dir, "a.png");
        File.WriteAllBytes(path, png);
        var e = Assert.Throws<InvalidDataException>(() => YoloFormat.ReadImageSize(path));
        Assert.Contains("a size of 0x10", e.Message, StringComparison.Ordinal);
    }

    private static (string Labels, string Preds) YoloDirs(string label, string pred)
    {
        var root = TempDir();
        var labels = Directory.CreateDirectory(Path.Combine(root, "labels")).FullName;
        var preds = Directory.CreateDirectory(Path.Combine(root, "preds")).FullName;
        File.WriteAllText(Path.Combine(labels, "img.txt"), label);
        File.WriteAllText(Path.Combine(preds, "img.txt"), pred);
        return (labels, preds);
    }

    [Fact]
    public void YoloLabelsInPixelsAreRefused()
    {
        var (labels, preds) = YoloDirs("0 320 240 100 80\n", "0 0.5 0.5 0.2 0.2 0.9\n");
        var e = Assert.Throws<InvalidDataException>(() => YoloFormat.Load(labels, preds, _ => (640, 480)));
        Assert.Contains("img.txt: line 1: coordinates '320 240 100 80' are not normalised", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void YoloClassesBeyondTheNamesFileAreRefused()
    {
        var (labels, preds) = YoloDirs("0 0.5 0.5 0.2 0.2\n", "3 0.5 0.5 0.2 0.2 0.9\n");
        var e = Assert.Throws<InvalidDataException>(() => YoloFormat.Load(labels, preds, _ => (640, 480), classNames: ["cat", "dog"]));
        Assert.Contains("line 1: class 3 is beyond the 2 names given", e.Message, StringComparison.Ordinal);
        var (g, _) = YoloFormat.Load(labels, preds, _ => (640, 480), classNames: ["cat", "dog", "bird", "fish"]);
        Assert.Equal(4, g.Categories.Count);
    }
}
