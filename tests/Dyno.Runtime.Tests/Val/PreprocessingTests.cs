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
        // val's reused buffer: padding rewritten only where the previous image was
        var reused = new float[pre.Options.ImageElements];
        var memo = new CanvasMemo();
        var n = 0;
        foreach (var img in doc.RootElement.GetProperty("images").EnumerateArray())
        {
            var file = img.GetProperty("file").GetString()!;
            using var mat = ImageDecoder.DecodeBgr(ValFixtures.Path_("det", "images", file));
            Assert.Equal(pre.Run(mat, buffer), pre.Run(mat, reused, memo));
            Assert.True(buffer.AsSpan().SequenceEqual(reused), $"{file}: the reused buffer differs");
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
    public void A_reused_buffer_with_its_memo_equals_a_fresh_fill_for_images_of_any_size()
    {
        var rng = new Random(7);
        foreach (var mode in new[] { ResizeMode.Letterbox, ResizeMode.Stretch, ResizeMode.CenterCrop })
        {
            var pre = new ImagePreprocessor(new PreprocessOptions { Width = 96, Height = 64, Mode = mode, Mean = [0.1f, 0.2f, 0.3f] });
            var reused = new float[pre.Options.ImageElements];
            var memo = new CanvasMemo();
            for (var i = 0; i < 300; i++)
            {
                int w = rng.Next(1, 400), h = rng.Next(1, 400);
                // extreme aspect ratios too: a one-pixel-wide strip letterboxes to a single column or row
                if (i % 10 == 0) (w, h) = (rng.Next(1, 3), rng.Next(200, 400));
                if (i % 10 == 1) (w, h) = (rng.Next(200, 400), rng.Next(1, 3));
                using var mat = new OpenCvSharp.Mat(h, w, OpenCvSharp.MatType.CV_8UC3);
                OpenCvSharp.Cv2.Randu(mat, OpenCvSharp.Scalar.All(0), OpenCvSharp.Scalar.All(256));
                var fresh = new float[pre.Options.ImageElements];
                ImageTransform a, b;
                try { a = pre.Run(mat, fresh); }
                catch (InvalidDataException) { continue; } // resized to 0 pixels: refused both ways
                b = pre.Run(mat, reused, memo);
                Assert.Equal(a, b);
                Assert.True(fresh.AsSpan().SequenceEqual(reused), $"{mode} image {i} ({w}x{h}): the reused buffer differs");
            }
        }
    }

    [Fact]
    public void Vectorised_rows_equal_the_per_pixel_formula_for_any_width_and_channel_order()
    {
        // no resize (Stretch to the image's own size), so every tensor value is one pixel through
        // ((float)v / 255f - mean) / std; widths 1..13 cover rows shorter than one 4-pixel step and every remainder
        var rng = new Random(11);
        foreach (var bgr in new[] { false, true })
            for (var w = 1; w <= 13; w++)
            {
                var h = rng.Next(1, 5);
                float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
                var pre = new ImagePreprocessor(new PreprocessOptions { Width = w, Height = h, Mode = ResizeMode.Stretch, Mean = mean, Std = std, Bgr = bgr });
                using var mat = new OpenCvSharp.Mat(h, w, OpenCvSharp.MatType.CV_8UC3);
                OpenCvSharp.Cv2.Randu(mat, OpenCvSharp.Scalar.All(0), OpenCvSharp.Scalar.All(256));
                var tensor = new float[pre.Options.ImageElements];
                pre.Run(mat, tensor);
                for (var y = 0; y < h; y++)
                    for (var x = 0; x < w; x++)
                    {
                        var px = mat.At<OpenCvSharp.Vec3b>(y, x);
                        for (var c = 0; c < 3; c++)
                        {
                            var v = px[bgr ? c : 2 - c];
                            var expected = ((float)v / 255f - mean[c]) / std[c];
                            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(tensor[c * w * h + y * w + x]));
                        }
                    }
            }
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

    [Fact]
    public void Header_sizes_equal_the_decoded_sizes_and_bombs_are_refused_before_decoding()
    {
        foreach (var f in Directory.GetFiles(ValFixtures.Path_("det", "images")).Take(20).Concat(Directory.GetFiles(ValFixtures.Path_("seg", "images")).Take(5)))
        {
            using var m = ImageDecoder.DecodeBgr(f);
            Assert.Equal((m.Width, m.Height), ImageDecoder.HeaderSize(File.ReadAllBytes(f)));
        }
        // a PNG whose header claims 30000 x 30000 pixels
        var png = File.ReadAllBytes(Directory.GetFiles(ValFixtures.Path_("seg", "images"))[0]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 30000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 30000);
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.DecodeBgr(png, "bomb.png"));
        Assert.Contains("bomb.png: image of 30000x30000 pixels is over the limit", e.Message);
        var corrupt = Assert.Throws<InvalidDataException>(() => ImageDecoder.DecodeBgr([0xFF, 0xD8, 0xFF, 0xE0, 0, 2, 1, 2, 3], "bad.jpg"));
        Assert.StartsWith("bad.jpg: ", corrupt.Message);
    }
}
