using System.Text;
using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

/// <summary>Issue 15: MOT rows that would give wrong numbers or huge per-frame tables are refused with the line.</summary>
public class HostileTrackInputTests
{
    private static string Refused(string text) =>
        Assert.Throws<InvalidDataException>(() => TrackFileReader.ParseMotChallenge(Encoding.UTF8.GetBytes(text), "gt.txt")).Message;

    [Fact]
    public void NegativeFramesAreRefused() =>
        Assert.Contains("gt.txt: line 2: frame -3 is outside", Refused("1,1,10,10,5,5,1,1,1\n-3,1,10,10,5,5,1,1,1\n"), StringComparison.Ordinal);

    [Fact]
    public void AFrameAtTwoBillionIsRefusedBeforeAnyPerFrameTable() =>
        Assert.Contains("frame 2000000000 is outside 0..10000000", Refused("2000000000,1,10,10,5,5,1,1,1\n"), StringComparison.Ordinal);

    [Theory]
    [InlineData("1,1,10,10,-5,5,1,1,1\n")]
    [InlineData("1,1,10,10,5,-0.5,1,1,1\n")]
    public void NegativeWidthsAndHeightsAreRefused(string row) =>
        Assert.Contains("line 1: negative box size", Refused(row), StringComparison.Ordinal);

    [Fact]
    public void ValidRowsStillRead() =>
        Assert.Equal(2, TrackFileReader.ParseMotChallenge("1,1,10,10,5,5,1,1,1\n10000000,2,0,0,0,0,1,1,1\n"u8, "gt.txt").Count);
}
