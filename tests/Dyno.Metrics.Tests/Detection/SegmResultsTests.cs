using System.Text;
using System.Text.Json;
using Dyno.Metrics.Detection;
using Dyno.Metrics.Masks;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>
/// segm results with a box and a mask per record (fixtures/coco/masks, pycocotools' summary in
/// expected_segm.json): the strict parser's slices of the file, its copies, and the general reader give
/// pycocotools' numbers to the bit.
/// </summary>
public class SegmResultsTests
{
    private static readonly string GtPath = CocoEvaluatorTests.Fixture("masks/masks_gt.json");
    private static readonly string DtPath = CocoEvaluatorTests.Fixture("masks/masks_dt.json");
    private static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    private static void AssertPycocotools(CocoEvalResult r)
    {
        var want = JsonDocument.Parse(File.ReadAllBytes(CocoEvaluatorTests.Fixture("masks/expected_segm.json"))).RootElement.GetProperty("stats");
        foreach (var n in StatNames) Assert.Equal(want.GetProperty(n).GetDouble(), r.Stats[n]);
    }

    private static CocoEvalResult Eval(CocoGroundTruth gt, CocoDetections dt) =>
        CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { IouType = CocoIouType.Segm });

    [Fact]
    public void Masks_kept_as_slices_of_the_file_equal_pycocotools()
    {
        var (gt, dt) = CocoDetections.LoadPair(GtPath, DtPath, CocoIouType.Segm);
        var kinds = dt.Segm!.GroupBy(s => s switch
        {
            CompressedRleSlice { Escaped: true } => "escaped slice",
            CompressedRleSlice => "slice",
            PolygonSlice => "polygon slice",
            _ => s?.GetType().Name ?? "none",
        }).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["escaped slice", "polygon slice", "slice"], kinds.Keys.Order());
        Assert.True(kinds["escaped slice"] > 100, "the fixture has escaped backslashes");
        AssertPycocotools(Eval(gt, dt));
    }

    [Fact]
    public void Masks_copied_from_a_caller_buffer_and_masks_read_by_the_general_reader_equal_pycocotools()
    {
        var gt = CocoGroundTruth.Load(GtPath, CocoIouType.Segm);
        var bytes = File.ReadAllBytes(DtPath);
        var copied = CocoDetections.Parse(bytes, "dt.json", gt, CocoIouType.Segm);
        Assert.DoesNotContain(copied.Segm!, s => s is CompressedRleSlice or PolygonSlice);
        AssertPycocotools(Eval(gt, copied));
        // a string-valued field is outside the strict parser's grammar: the whole file goes to Utf8JsonReader
        var text = Encoding.UTF8.GetString(bytes).Replace("{\"image_id\":", "{\"note\":\"x\",\"image_id\":", StringComparison.Ordinal);
        var read = CocoDetections.Parse(Encoding.UTF8.GetBytes(text), "dt.json", gt, CocoIouType.Segm);
        Assert.All(read.Segm!, s => Assert.True(s is RleSegmentation or PolygonSegmentation));
        AssertPycocotools(Eval(gt, read));
    }

    [Fact]
    public void A_bad_string_in_a_slice_is_reported_with_its_image()
    {
        var gt = CocoGroundTruth.Load(GtPath, CocoIouType.Segm);
        var text = File.ReadAllText(DtPath);
        var at = text.IndexOf("\"counts\":\"", StringComparison.Ordinal) + 10;
        var bad = Encoding.UTF8.GetBytes(text[..at] + "~" + text[at..]);
        var dt = CocoDetections.Parse(bad, "dt.json", gt, CocoIouType.Segm, BadRecordPolicy.Error, ownsBuffer: true);
        var e = Assert.Throws<InvalidDataException>(() => Eval(gt, dt));
        Assert.Contains("dt.json: detection on image", e.Message, StringComparison.Ordinal);
        Assert.Contains("byte 0x7e at offset 0, outside COCO's alphabet", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Slices_read_the_same_masks_as_the_segmentation_records()
    {
        var gt = CocoGroundTruth.Load(GtPath, CocoIouType.Segm);
        var bytes = File.ReadAllBytes(DtPath);
        var slices = CocoDetections.Parse(bytes, "dt.json", gt, CocoIouType.Segm, BadRecordPolicy.Error, ownsBuffer: true);
        var copies = CocoDetections.Parse(bytes, "dt.json", gt, CocoIouType.Segm);
        Assert.Equal(copies.Count, slices.Count);
        for (var i = 0; i < slices.Count; i++)
        {
            var im = gt.Images[slices.Img[i]];
            var a = slices.Segm![i]!.ToRle(im.Height, im.Width);
            var b = copies.Segm![i]!.ToRle(im.Height, im.Width);
            Assert.Equal((b.Height, b.Width), (a.Height, a.Width));
            Assert.Equal(b.Counts, a.Counts);
            var sa = new MaskSet();
            var sb = new MaskSet();
            sa.Add(slices.Segm[i]!, im.Height, im.Width);
            sb.Add(copies.Segm[i]!, im.Height, im.Width);
            Assert.Equal(sb.Area(0), sa.Area(0));
            Assert.Equal(sb.Box(0), sa.Box(0));
        }
    }
}
