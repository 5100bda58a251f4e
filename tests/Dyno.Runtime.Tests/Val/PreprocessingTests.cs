using System.Security.Cryptography;
using Dyno.Runtime.Val;

namespace Dyno.Runtime.Tests.Val;

/// <summary>Decoding and preprocessing equal the reference pipeline's tensors (OpenCV 4.6 + numpy) bit for bit.</summary>
public sealed class PreprocessingTests
{
    private static string Sha(ReadOnlySpan<float> t) => Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t)));

    [Fact]
    public void Letterbox_tensors_equal_the_reference_for_every_detection_image()
    {
        using var doc = ValFixtures.Json("expected", "det_preprocess.json");
        var pre = new ImagePreprocessor(new PreprocessOptions { Width = 320, Height = 320 });
        var buffer = new float[pre.Options.ImageElements];
        var n = 0;
        foreach (var img in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            var file = img.GetProperty("file").GetString()!;
            using var mat = ImageDecoder.DecodeBgr(ValFixtures.Path_("det", "images", file));
            var t = pre.Run(mat, buffer);
            var pads = img.GetProperty("pad_ltrb");
            Assert.Equal(pads[0].GetInt32(), t.PadLeft);
            Assert.Equal(pads[1].GetInt32(), t.PadTop);
            Assert.Equal(img.GetProperty("r").GetDouble(), t.ScaleX);
            Assert.True(img.GetProperty("tensor").GetProperty("sha256").GetString() == Sha(buffer), $"{file}: tensor differs from the reference");
            n++;
        }
        Assert.Equal(200, n);
    }

    [Fact]
    public void Classification_tensors_equal_the_reference()
    {
        using var doc = ValFixtures.Json("expected", "cls_preprocess.json");
        var pre = new ImagePreprocessor(new PreprocessOptions
        {
            Width = 64, Height = 64, Mode = ResizeMode.Stretch, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
        });
        var buffer = new float[pre.Options.ImageElements];
        var n = 0;
        foreach (var img in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            var file = img.GetProperty("file").GetString()!;
            using var mat = ImageDecoder.DecodeBgr(ValFixtures.Path_("cls", "val", file));
            pre.Run(mat, buffer);
            Assert.True(img.GetProperty("tensor").GetProperty("sha256").GetString() == Sha(buffer), $"{file}: tensor differs from the reference");
            n++;
        }
        Assert.Equal(300, n);
    }

    [Fact]
    public void Segmentation_tensors_equal_the_reference()
    {
        using var doc = ValFixtures.Json("expected", "seg_preprocess.json");
        var pre = new ImagePreprocessor(new PreprocessOptions { Width = 256, Height = 256, Mode = ResizeMode.Stretch });
        var buffer = new float[pre.Options.ImageElements];
        var n = 0;
        foreach (var img in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            var file = img.GetProperty("file").GetString()!;
            using var mat = ImageDecoder.DecodeBgr(ValFixtures.Path_("seg", "images", file));
            pre.Run(mat, buffer);
            Assert.True(img.GetProperty("tensor").GetProperty("sha256").GetString() == Sha(buffer), $"{file}: tensor differs from the reference");
            n++;
        }
        Assert.Equal(30, n);
    }
}
