using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>
/// The evaluator cuts large categories into pieces of whole images that run in parallel, each writing its own slots of
/// the category's arrays. Cutting at every image must leave every array and counter as the uncut evaluation has them.
/// </summary>
public class CategoryPiecesTests
{
    private static void AssertSameState(CocoEvaluator.EvalState a, CocoEvaluator.EvalState b)
    {
        Assert.Equal(a.Categories.Length, b.Categories.Length);
        for (var k = 0; k < a.Categories.Length; k++)
        {
            var (x, y) = (a.Categories[k], b.Categories[k]);
            Assert.Equal(x.Count, y.Count);
            Assert.Equal(x.NumDt, y.NumDt);
            Assert.Equal(x.NumGt, y.NumGt);
            Assert.Equal(x.NumPos, y.NumPos);
            Assert.Equal(x.Score, y.Score);
            Assert.Equal(x.Image, y.Image);
            Assert.Equal(x.Rank, y.Rank);
            Assert.Equal(x.Status, y.Status);
        }
    }

    [Theory]
    [InlineData("masks/masks_gt.json", "masks/masks_dt.json", CocoIouType.Segm, 100)]
    [InlineData("masks/masks_gt.json", "masks/masks_dt.json", CocoIouType.Bbox, 100)]
    [InlineData("small_gt.json", "small_dt.json", CocoIouType.Bbox, 100)]
    [InlineData("small_gt.json", "small_dt.json", CocoIouType.Bbox, 3)] // a maxDets cut below an image's detections
    public void Cutting_every_image_into_its_own_piece_changes_nothing(string gtFile, string dtFile, CocoIouType iou, int maxDet)
    {
        var (gt, dt) = CocoDetections.LoadPair(CocoEvaluatorTests.Fixture(gtFile), CocoEvaluatorTests.Fixture(dtFile), iou);
        var options = new CocoEvalOptions { IouType = iou, MaxDets = [1, Math.Min(10, maxDet), maxDet] };
        var whole = CocoEvaluator.EvaluateImages(gt, dt, options, pieceWork: int.MaxValue);
        AssertSameState(whole, CocoEvaluator.EvaluateImages(gt, dt, options, pieceWork: 1));
        AssertSameState(whole, CocoEvaluator.EvaluateImages(gt, dt, options, pieceWork: 50));
        // and the summaries are the same doubles
        var counts = new CocoCounts { Images = gt.Images.Count, Categories = gt.Categories.Count, GtAnnotations = gt.Count, GtCrowd = gt.CrowdCount, Detections = dt.Count };
        Assert.Equal(CocoEvaluator.Summarize(whole, gt.Categories, counts).Stats, CocoEvaluator.Summarize(CocoEvaluator.EvaluateImages(gt, dt, options, pieceWork: 1), gt.Categories, counts).Stats);
    }

    [Fact]
    public void Pieces_of_a_shard_skip_the_other_shards_images()
    {
        // includeImage (shards): images of other shards take no slots, so a piece's first slot counts only included images
        var (gt, dt) = CocoDetections.LoadPair(CocoEvaluatorTests.Fixture("small_gt.json"), CocoEvaluatorTests.Fixture("small_dt.json"));
        var rng = new Random(3);
        var include = Enumerable.Range(0, gt.Images.Count).Select(_ => rng.Next(3) != 0).ToArray();
        var options = new CocoEvalOptions();
        AssertSameState(CocoEvaluator.EvaluateImages(gt, dt, options, include, pieceWork: int.MaxValue), CocoEvaluator.EvaluateImages(gt, dt, options, include, pieceWork: 1));
    }
}
