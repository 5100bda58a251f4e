using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

public class SequenceLoaderTests
{
    [Fact]
    public void MotChallengeLayoutWithSeqInfo()
    {
        var root = Directory.CreateTempSubdirectory();
        try
        {
            var gtDir = Path.Combine(root.FullName, "gt", "MOT17-02", "gt");
            var predDir = Path.Combine(root.FullName, "pred");
            Directory.CreateDirectory(gtDir);
            Directory.CreateDirectory(predDir);
            File.WriteAllText(Path.Combine(gtDir, "gt.txt"), "1,1,0,0,10,10,1,1,1\n3,1,0,0,10,10,1,1,1\n");
            File.WriteAllText(Path.Combine(root.FullName, "gt", "MOT17-02", "seqinfo.ini"), "[Sequence]\nname=MOT17-02\nseqLength=5\n");
            File.WriteAllText(Path.Combine(predDir, "MOT17-02.txt"), "1,7,0,0,10,10,0.9,-1,-1,-1\n");
            var seqs = MotSequenceLoader.Load(Path.Combine(root.FullName, "gt"), predDir);
            var s = Assert.Single(seqs);
            Assert.Equal("MOT17-02", s.Name);
            Assert.Equal(5, s.NumFrames);
            var r = MotEvaluator.EvaluateSequence(s, new MotEvaluationOptions());
            Assert.Equal(5, r.Frames);
            Assert.Equal((1, 1, 0), (r.Clear.TP, r.Clear.FN, r.Clear.FP));

            File.WriteAllText(Path.Combine(predDir, "MOT17-02.txt"), "6,7,0,0,10,10,0.9,-1,-1,-1\n");
            var e = Assert.Throws<InvalidDataException>(() => MotEvaluator.EvaluateSequence(MotSequenceLoader.Load(Path.Combine(root.FullName, "gt"), predDir)[0], new MotEvaluationOptions()));
            Assert.Equal("MOT17-02: tracker line 1: frame 6 is outside the sequence's frames 1..5", e.Message);
        }
        finally { root.Delete(true); }
    }

    [Fact]
    public void FixtureLayoutIsFound()
    {
        var found = MotSequenceLoader.Discover(MotFixtures.Dir, MotFixtures.Dir);
        Assert.Equal(["TUD-Campus", "TUD-Stadtmitte"], found.Select(f => f.Name).ToArray());
        Assert.All(found, f => Assert.EndsWith("test.txt", f.Pred));
    }
}
