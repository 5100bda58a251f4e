using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Tests.Boxes;

public class BoxIouTests
{
    [Fact]
    public void HandWorkedValues()
    {
        var a = new Box(0, 0, 2, 2);
        var b = new Box(1, 1, 3, 3);
        Assert.Equal(1.0 / 7.0, BoxIou.Iou(a, b), 15);
        // hull 3x3 = 9, union 7: giou = 1/7 - 2/9
        Assert.Equal(1.0 / 7.0 - 2.0 / 9.0, BoxIou.GIoU(a, b), 15);
        // centres (1,1),(2,2): rho^2 = 2, c^2 = 18 (+eps)
        Assert.Equal(1.0 / 7.0 - 2.0 / (18.0 + BoxIou.Eps), BoxIou.DIoU(a, b), 15);
        // same aspect ratio: v = 0, CIoU = DIoU
        Assert.Equal(BoxIou.DIoU(a, b), BoxIou.CIoU(a, b), 15);
        Assert.Equal(0.0, BoxIou.Iou(new Box(0, 0, 1, 1), new Box(2, 2, 3, 3)));
    }

    [Fact]
    public void ConversionsRoundTrip()
    {
        var b = Box.FromXywh(10, 20, 30, 40);
        Assert.Equal(new Box(10, 20, 40, 60), b);
        Assert.Equal((25.0, 40.0, 30.0, 40.0), b.ToCxcywh());
        Assert.Equal(b, Box.FromCxcywh(25, 40, 30, 40));
    }
}
