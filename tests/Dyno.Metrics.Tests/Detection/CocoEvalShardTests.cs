using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

public class CocoEvalShardTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Shards_merge_into_exactly_one_run(int parts)
    {
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture("small_gt.json"));
        var dt = CocoDetections.Load(CocoEvaluatorTests.Fixture("small_dt.json"), gt);
        var whole = CocoEvaluator.Evaluate(gt, dt);
        var shards = Enumerable.Range(0, parts).Select(i =>
        {
            // through the file format, in reverse order, as separate processes would
            var s = CocoEvalShard.Evaluate(gt, dt, part: parts - 1 - i, parts: parts);
            using var ms = new MemoryStream();
            s.Save(ms);
            ms.Position = 0;
            return CocoEvalShard.Load(ms, $"shard{i}");
        }).ToArray();
        var merged = CocoEvalShard.Merge(shards).Summarize();
        Assert.Equal(whole.Stats, merged.Stats);
        Assert.Equal(whole.Precision, merged.Precision);
        Assert.Equal(whole.Recall, merged.Recall);
        Assert.Equal(whole.PerCategory, merged.PerCategory);
        Assert.Equal(whole.Counts.Detections, merged.Counts.Detections);
        Assert.Equal(whole.Counts.GtAnnotations, merged.Counts.GtAnnotations);
    }

    [Fact]
    public void Overlapping_or_mismatched_shards_are_refused()
    {
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture("tiny_gt.json"));
        var dt = CocoDetections.Load(CocoEvaluatorTests.Fixture("tiny_dt.json"), gt);
        var a = CocoEvalShard.Evaluate(gt, dt, part: 0, parts: 2);
        Assert.Throws<InvalidDataException>(() => CocoEvalShard.Merge([a, a]));
        var b = CocoEvalShard.Evaluate(gt, dt, new CocoEvalOptions { MaxDets = [1, 10, 20] }, part: 1, parts: 2);
        Assert.Throws<InvalidDataException>(() => CocoEvalShard.Merge([a, b]));
        Assert.Throws<InvalidDataException>(() => CocoEvalShard.Load(new MemoryStream([1, 2, 3]), "junk"));
    }
}
