using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

public class VideoMetricsTests
{
    // One object over 4 frames; tracker 7 follows it (shifted 1 px in frame 2), loses it in frame 3,
    // and tracker 8 picks it up in frame 4.
    private static (TrackingSequence Seq, TrackTable Gt, TrackTable Pred) Case()
    {
        var gt = new TrackTable([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [10, 10, 10, 10], [10, 10, 10, 10]);
        var pred = new TrackTable([1, 2, 4], [7, 7, 8], [0, 1, 0], [0, 0, 0], [10, 10, 10], [10, 10, 10]);
        return (TrackingSequence.FromBoxes("case", gt, pred, 4), gt, pred);
    }

    [Fact]
    public void HandComputedCase()
    {
        var (seq, gt, pred) = Case();
        var v = VideoMetrics.Evaluate(seq, gt, pred);
        Assert.Equal(1, v.GtTracks);
        Assert.Equal(1, v.TrackBreaks);                 // matched in frame 2, unmatched in frame 3
        Assert.Equal(1.0, v.TrackBreakRate);
        Assert.Equal(3, v.MatchedPairs);
        Assert.Equal(1.0 / 3, v.MeanDisplacement, 15);
        Assert.Equal(1.0, v.MaxDisplacement);
        Assert.Equal(1 / Math.Sqrt(200) / 3, v.MeanNormalizedDisplacement, 15);
        Assert.Equal(100.0, v.DriftPer100Frames, 12);   // tracker 7: 0 → 1 px over 1 frame
        Assert.Equal(1, v.ConsecutivePairs);            // tracker 7 in frames 1 and 2
        Assert.Equal(90.0 / 110, v.MeanConsecutiveIou, 15);
        Assert.Equal(2, v.FlickerTransitions);          // frame 3 (lost) and frame 4 (found)
        Assert.Equal(3, v.FlickerSample);
    }

    [Fact]
    public void CombineWeightsBySampleSize()
    {
        var (seq, gt, pred) = Case();
        var v = VideoMetrics.Evaluate(seq, gt, pred);
        var c = VideoResult.Combine([v, v]);
        Assert.Equal(2, c.TrackBreaks);
        Assert.Equal(v.MeanDisplacement, c.MeanDisplacement, 15);
        Assert.Equal(v.DriftPer100Frames, c.DriftPer100Frames, 12);
        Assert.Equal(v.FlickerRate, c.FlickerRate, 15);
    }

    [Fact]
    public void TimingsCsvIsParsedAndValidated()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "sequence,seconds,frames\nA,2.0,50\n# comment\nB,1.5\n");
            var t = ThroughputResult.ReadTimings(path);
            Assert.Equal(2, t.Count);
            Assert.Equal(50, t[0].Frames);
            Assert.Equal(25.0, new ThroughputResult("A", 50, 2.0).Fps);
            File.WriteAllText(path, "A,-1\n");
            var e = Assert.Throws<InvalidDataException>(() => ThroughputResult.ReadTimings(path));
            Assert.Contains("line 1", e.Message);
        }
        finally { File.Delete(path); }
    }
}
