using Dyno.Metrics;
using Dyno.Metrics.Segmentation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dyno.Metrics.Tests.Segmentation;

/// <summary>Hand-worked cases with exact (rational) values; see docs/metrics-classification-segmentation.md.</summary>
public class SegmentationTests
{
    private static void Exact(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-15 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    private static SegmentationReport Run(int classes, byte[] gt, byte[] pred, SegmentationOptions? o = null)
    {
        var acc = new SegmentationAccumulator(classes, o);
        acc.Update(Target.Of(gt), Prediction.Of(pred), "a.png");
        return acc.Compute();
    }

    [Fact]
    public void Hand_worked_three_classes_with_an_ignored_pixel()
    {
        byte[] gt = [0, 0, 1, 1, 2, 2, 255, 1];
        byte[] pred = [0, 1, 1, 1, 2, 0, 2, 2];
        var r = Run(3, gt, pred);
        Assert.Equal(7, r.Pixels);
        Assert.Equal(1, r.IgnoredPixels);
        Assert.Equal([2L, 3, 2], r.PerClass.Select(c => c.GtPixels));
        Assert.Equal([2L, 3, 2], r.PerClass.Select(c => c.PredPixels));
        Assert.Equal([1L, 2, 1], r.PerClass.Select(c => c.Intersection));
        Assert.Equal([3L, 4, 3], r.PerClass.Select(c => c.Union));
        Exact(1.0 / 3, r.PerClass[0].Iou, "iou0");
        Exact(0.5, r.PerClass[1].Iou, "iou1");
        Exact(7.0 / 18, r.Dataset.MIoU, "miou");
        Exact(5.0 / 9, r.Dataset.Dice, "dice");
        Exact(4.0 / 7, r.Dataset.PixelAccuracy, "aAcc");
        Exact(5.0 / 9, r.Dataset.MeanAccuracy, "mAcc");
        Exact(17.0 / 42, r.Dataset.FwIoU, "fwiou");
        Assert.Equal("dataset", r.Dataset.Averaging);
    }

    [Fact]
    public void Absent_classes_are_NaN_and_excluded_but_predicted_only_classes_count_as_zero()
    {
        var r = Run(4, [0, 0, 1, 1], [0, 2, 1, 1]);
        Exact(0.5, r.PerClass[0].Iou, "iou0");
        Exact(1, r.PerClass[1].Iou, "iou1");
        Exact(0, r.PerClass[2].Iou, "iou2 (predicted, never in ground truth)");
        Assert.True(double.IsNaN(r.PerClass[3].Iou));
        Assert.True(double.IsNaN(r.PerClass[2].Accuracy));
        Exact(0.5, r.Dataset.MIoU, "miou");
        Exact(5.0 / 9, r.Dataset.Dice, "dice");
        Exact(0.75, r.Dataset.MeanAccuracy, "mAcc");
        Exact(0.75, r.Dataset.PixelAccuracy, "aAcc");
        Exact(0.75, r.Dataset.FwIoU, "fwiou");
    }

    [Fact]
    public void Reduce_zero_label_shifts_the_ground_truth_only_and_ignores_zero()
    {
        var r = Run(3, [0, 1, 2, 255, 3], [0, 0, 1, 1, 2], new SegmentationOptions { ReduceZeroLabel = true });
        Assert.Equal(3, r.Pixels);
        Assert.Equal(2, r.IgnoredPixels);
        Exact(1, r.Dataset.MIoU, "miou");
        Exact(1, r.Dataset.PixelAccuracy, "aAcc");
    }

    [Fact]
    public void Per_image_mean_differs_from_dataset_level()
    {
        var acc = new SegmentationAccumulator(2, new SegmentationOptions { PerImage = true });
        acc.Update(Target.Of((byte[])[0, 0, 0, 0]), Prediction.Of((byte[])[0, 0, 0, 0]), "1.png");
        acc.Update(Target.Of((byte[])[1, 1]), Prediction.Of((byte[])[0, 1]), "2.png");
        var r = acc.Compute();
        Exact(0.65, r.Dataset.MIoU, "dataset miou");
        Exact(1, r.PerImage![0].Scores.MIoU, "image 1 miou");
        Exact(0.25, r.PerImage[1].Scores.MIoU, "image 2 miou");
        Exact(0.625, r.PerImageMean!.MIoU, "per-image mean miou");
        Assert.Equal("per_image_mean", r.PerImageMean.Averaging);
    }

    [Fact]
    public void No_ignore_index_makes_255_an_error()
    {
        var e = Assert.Throws<InvalidDataException>(() => Run(3, [0, 255], [0, 0], new SegmentationOptions { IgnoreIndex = null }));
        Assert.Contains("a.png", e.Message);
        Assert.Contains("255", e.Message);
    }

    [Fact]
    public void Bad_labels_and_sizes_are_reported_with_the_image_name()
    {
        Assert.Contains("ground-truth label 7", Assert.Throws<InvalidDataException>(() => Run(3, [0, 7], [0, 0])).Message);
        Assert.Contains("predicted label 9", Assert.Throws<InvalidDataException>(() => Run(3, [0, 1], [0, 9])).Message);
        // A bad prediction under an ignored pixel does not matter.
        Assert.Equal(1, Run(3, [0, 255], [0, 9]).Pixels);
        Assert.Contains("a.png", Assert.Throws<InvalidDataException>(() => Run(3, [0, 1], [0])).Message);
    }

    [Property(MaxTest = 60)]
    public Property Byte_ushort_and_int_paths_and_sharding_agree(PositiveInt seed)
    {
        var rng = new Random(seed.Get);
        const int classes = 5;
        var n = rng.Next(1, 300);
        var gt = new byte[n];
        var pred = new byte[n];
        // Runs of equal pixels exercise the 32-pixel fast path.
        for (var i = 0; i < n;)
        {
            var len = rng.Next(1, 70);
            var g = (byte)(rng.Next(8) == 0 ? 255 : rng.Next(classes));
            var p = (byte)rng.Next(classes);
            for (var j = 0; j < len && i < n; j++, i++) { gt[i] = g; pred[i] = rng.Next(10) == 0 ? (byte)rng.Next(classes) : p; }
        }
        var a = new SegmentationAccumulator(classes);
        a.Update(Target.Of(gt), Prediction.Of(pred));
        var b = new SegmentationAccumulator(classes);
        b.Update(Target.Of(gt.Select(x => (ushort)x).ToArray()), Prediction.Of(pred.Select(x => (ushort)x).ToArray()));
        var c = new SegmentationAccumulator(classes);
        var half = n / 2;
        c.Update(Target.Of(gt.Take(half).Select(x => (int)x).ToArray()), Prediction.Of(pred.Take(half).Select(x => (int)x).ToArray()));
        var d = new SegmentationAccumulator(classes);
        d.Update(Target.Of(gt.Skip(half).Select(x => (int)x).ToArray()), Prediction.Of(pred.Skip(half).Select(x => (int)x).ToArray()));
        c.Merge(d);
        // Naive reference.
        var naive = new long[classes * classes];
        for (var i = 0; i < n; i++)
            if (gt[i] != 255) naive[gt[i] * classes + pred[i]]++;
        var ra = a.Compute().Confusion.Counts.ToArray();
        var rb = b.Compute().Confusion.Counts.ToArray();
        var rc = c.Compute().Confusion.Counts.ToArray();
        return (ra.SequenceEqual(naive) && rb.SequenceEqual(naive) && rc.SequenceEqual(naive)).ToProperty();
    }
}
