using System.Text;
using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

public class PreprocessingAndInputTests
{
    // Frame 1: pedestrian A, static person B (distractor class 7), zero-marked pedestrian C; predictions
    // on each of them plus one far away. Visibility of A is 0.1.
    private const string Gt = "1,1,0,0,10,10,1,1,0.1\n1,2,100,0,10,10,1,7,1\n1,3,200,0,10,10,0,1,1\n";
    private const string Pred = "1,11,0,0,10,10,0.9,-1,-1,-1\n1,12,100,0,10,10,0.9,-1,-1,-1\n1,13,200,0,10,10,0.9,-1,-1,-1\n1,14,500,500,10,10,0.9,-1,-1,-1\n";

    private static ClearResult Clear(MotPreprocess mode, double minVis = 0)
    {
        var input = new MotSequenceInput("s", TrackFileReader.ParseMotChallenge(Encoding.ASCII.GetBytes(Gt), "gt"),
            TrackFileReader.ParseMotChallenge(Encoding.ASCII.GetBytes(Pred), "pred"));
        return MotEvaluator.EvaluateSequence(input, new MotEvaluationOptions(Preprocess: new MotPreprocessOptions(mode, minVis))).Clear;
    }

    [Fact]
    public void Mot17RemovesDistractorMatchesAndZeroMarkedGroundTruth()
    {
        var c = Clear(MotPreprocess.Auto); // every row has a class and a visibility: MOT17 rules
        Assert.Equal((1, 0, 2), (c.TP, c.FN, c.FP)); // B and its prediction gone; C gone, its prediction is a FP
    }

    [Fact]
    public void Mot15KeepsClassesButDropsZeroMarked()
    {
        var c = Clear(MotPreprocess.Mot15);
        Assert.Equal((2, 0, 2), (c.TP, c.FN, c.FP));
    }

    [Fact]
    public void NoneKeepsEverything()
    {
        var c = Clear(MotPreprocess.None);
        Assert.Equal((3, 0, 1), (c.TP, c.FN, c.FP));
    }

    [Fact]
    public void MinVisibilityTreatsLowVisibilityAsDistractor()
    {
        var c = Clear(MotPreprocess.Mot17, 0.25);
        Assert.Equal((0, 0, 2), (c.TP, c.FN, c.FP));
    }

    [Fact]
    public void ParserHandlesWhitespaceAndReportsBadLines()
    {
        var t = TrackFileReader.ParseMotChallenge(Encoding.ASCII.GetBytes("2 5 1.5 2.25 3e1 4\r\n\n1,6,0.1,0.2,0.3,0.4\n"), "x");
        Assert.Equal([1, 2], t.Frame);                 // stably sorted by frame
        Assert.Equal([6, 5], t.Id);
        Assert.Equal(30.0, t.W[1]);
        Assert.Equal(0.1, t.X[0]);
        Assert.Equal([3, 1], t.Line);
        var e = Assert.Throws<InvalidDataException>(() => TrackFileReader.ParseMotChallenge(Encoding.ASCII.GetBytes("1,1,2,3\n"), "f.txt"));
        Assert.Equal("f.txt: line 1: 4 fields, a MOTChallenge row needs at least 6 (frame, id, x, y, w, h)", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TrackFileReader.ParseMotChallenge(Encoding.ASCII.GetBytes("1.5,1,2,3,4,5\n"), "f.txt"));
        Assert.Contains("line 1: frame 1.5 is not an integer", e.Message);
    }

    [Fact]
    public void FastDecimalParserIsCorrectlyRounded()
    {
        var rnd = new Random(3);
        for (var i = 0; i < 20000; i++)
        {
            var v = Math.Round(rnd.NextDouble() * Math.Pow(10, rnd.Next(0, 6)), rnd.Next(0, 8));
            var s = v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            var row = TrackFileReader.ParseMotChallenge(Encoding.ASCII.GetBytes($"1,1,{s},-{s},1,1\n"), "x");
            Assert.Equal(double.Parse(s, System.Globalization.CultureInfo.InvariantCulture), row.X[0]);
            Assert.Equal(-double.Parse(s, System.Globalization.CultureInfo.InvariantCulture), row.Y[0]);
        }
    }

    [Fact]
    public void DuplicateIdInAFrameIsAnError()
    {
        var gt = TrackFileReader.ParseMotChallenge(Encoding.ASCII.GetBytes("1,1,0,0,5,5\n1,1,9,9,5,5\n"), "gt");
        var e = Assert.Throws<InvalidDataException>(() => TrackingSequence.FromBoxes("s", gt, TrackTable.Empty, 1));
        Assert.Equal("s: ground truth line 2: id 1 appears twice in frame 1 (also line 1)", e.Message);
    }

    [Fact]
    public void KittiRowsAreFilteredAndConverted()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path,
                "0 1 Car 0 0 -10 100 50 150 90 1 1 1 1 1 1 1\n" +
                "0 -1 DontCare -1 -1 -10 0 0 20 20 -1 -1 -1 -1000 -1000 -1000 -10\n" +
                "1 2 Pedestrian 0 0 -10 10 10 20 40 1 1 1 1 1 1 1\n" +
                "1 1 Car 0 0 -10 101 50 151 90 1 1 1 1 1 1 1 0.75\n");
            var cars = TrackFileReader.ReadKitti(path, ["Car"]);
            Assert.Equal([1, 2], cars.Frame);           // 0-based frames shifted to 1-based
            Assert.Equal([100.0, 101.0], cars.X);
            Assert.Equal([50.0, 50.0], cars.W);
            Assert.Equal([40.0, 40.0], cars.H);
            Assert.Equal([1.0, 0.75], cars.Confidence);  // score column when present
            Assert.Equal(3, TrackFileReader.ReadKitti(path).Count);
        }
        finally { File.Delete(path); }
    }
}
