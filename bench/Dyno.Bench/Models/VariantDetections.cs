using System.Globalization;
using System.Text;
using System.Text.Json;
using Dyno.Metrics.Boxes;
using Microsoft.ML.OnnxRuntime;
using StbImageSharp;

namespace Dyno.Bench.Models;

/// <summary>
/// <c>variant-detections GT.json IMAGES OUT_DIR MODEL...</c>: runs v8-layout detectors (FP32 and the variants Dyno
/// made) over a COCO image set and writes one COCO results file per model, for <c>dyno eval det</c>
/// (bench/variants-map.sh). Preprocessing follows the shapes fixture's README (320 letterbox, pad 114, RGB, /255)
/// with a plain float bilinear resize, not OpenCV's fixed-point one: the figures it gives are for comparing variants
/// under one preprocessing, not for matching the reference's mAP to the last digit (that is `dyno val`'s job).
/// </summary>
internal static class VariantDetections
{
    private const int Size = 320;

    public static int Run(string gtPath, string imagesDir, string outDir, string[] models)
    {
        using var gt = JsonDocument.Parse(File.ReadAllText(gtPath));
        var images = gt.RootElement.GetProperty("images").EnumerateArray()
            .Select(i => (Id: i.GetProperty("id").GetInt64(), File: i.GetProperty("file_name").GetString()!)).ToList();
        var sessions = models.Select(m => new InferenceSession(m, new SessionOptions { IntraOpNumThreads = 1 })).ToList();
        var results = models.Select(_ => new StringBuilder("[")).ToList();
        var first = new bool[models.Length];
        Array.Fill(first, true);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (id, file) in images)
        {
            var img = ImageResult.FromMemory(File.ReadAllBytes(Path.Combine(imagesDir, file)), ColorComponents.RedGreenBlue);
            var (tensor, r, left, top) = Letterbox(img);
            for (var k = 0; k < sessions.Count; k++)
            {
                using var input = OrtValue.CreateTensorValueFromMemory(tensor, [1, 3, Size, Size]);
                using var outs = sessions[k].Run(new RunOptions(), [sessions[k].InputNames[0]], [input], [sessions[k].OutputNames[0]]);
                var o = outs[0].GetTensorDataAsSpan<float>().ToArray();
                foreach (var (box, score, label) in Decode(o))
                {
                    double x1 = Math.Clamp((box.X1 - left) / r, 0, img.Width), x2 = Math.Clamp((box.X2 - left) / r, 0, img.Width);
                    double y1 = Math.Clamp((box.Y1 - top) / r, 0, img.Height), y2 = Math.Clamp((box.Y2 - top) / r, 0, img.Height);
                    if (!first[k]) results[k].Append(',');
                    first[k] = false;
                    results[k].Append(CultureInfo.InvariantCulture, $"{{\"image_id\":{id},\"category_id\":{label + 1},\"bbox\":[{x1:R},{y1:R},{x2 - x1:R},{y2 - y1:R}],\"score\":{(double)score:R}}}");
                }
            }
        }
        Directory.CreateDirectory(outDir);
        for (var k = 0; k < models.Length; k++)
            File.WriteAllText(Path.Combine(outDir, Path.GetFileNameWithoutExtension(models[k]) + ".results.json"), results[k].Append(']').ToString());
        Console.Error.WriteLine($"variant-detections: {images.Count} images x {models.Length} models in {sw.Elapsed.TotalSeconds:F1} s");
        foreach (var s in sessions) s.Dispose();
        return 0;
    }

    private static (float[] Tensor, double R, int Left, int Top) Letterbox(ImageResult img)
    {
        int w = img.Width, h = img.Height;
        var r = Math.Min((double)Size / h, (double)Size / w);
        int nw = (int)Math.Round(w * r, MidpointRounding.ToEven), nh = (int)Math.Round(h * r, MidpointRounding.ToEven);
        double dw = (Size - nw) / 2.0, dh = (Size - nh) / 2.0;
        int top = (int)Math.Round(dh - 0.1, MidpointRounding.ToEven), left = (int)Math.Round(dw - 0.1, MidpointRounding.ToEven);
        var t = new float[3 * Size * Size];
        for (var c = 0; c < 3; c++) Array.Fill(t, 114f / 255f, c * Size * Size, Size * Size);
        double sx = (double)w / nw, sy = (double)h / nh;
        for (var y = 0; y < nh; y++)
        {
            var fy = (y + 0.5) * sy - 0.5;
            var y0 = (int)Math.Floor(fy);
            var wy = fy - y0;
            if (y0 < 0) { y0 = 0; wy = 0; }
            var y1 = Math.Min(y0 + 1, h - 1);
            for (var x = 0; x < nw; x++)
            {
                var fx = (x + 0.5) * sx - 0.5;
                var x0 = (int)Math.Floor(fx);
                var wx = fx - x0;
                if (x0 < 0) { x0 = 0; wx = 0; }
                var x1 = Math.Min(x0 + 1, w - 1);
                for (var c = 0; c < 3; c++)
                {
                    double p00 = img.Data[(y0 * w + x0) * 3 + c], p01 = img.Data[(y0 * w + x1) * 3 + c];
                    double p10 = img.Data[(y1 * w + x0) * 3 + c], p11 = img.Data[(y1 * w + x1) * 3 + c];
                    var v = (1 - wy) * ((1 - wx) * p00 + wx * p01) + wy * ((1 - wx) * p10 + wx * p11);
                    var b = (byte)Math.Clamp(Math.Round(v, MidpointRounding.ToEven), 0, 255);
                    t[c * Size * Size + (y + top) * Size + x + left] = b / 255f;
                }
            }
        }
        return (t, r, left, top);
    }

    // v8 layout [1, 4 + classes, anchors]: single label per anchor, conf > 0.001, class-aware NMS at IoU 0.7, 300 kept.
    private static IEnumerable<(Box Box, float Score, int Label)> Decode(float[] o)
    {
        const int n = 2100, classes = 5;
        var boxes = new List<Box>();
        var scores = new List<double>();
        var labels = new List<int>();
        var raw = new List<float>();
        for (var j = 0; j < n; j++)
        {
            var best = o[4 * n + j];
            var label = 0;
            for (var c = 1; c < classes; c++)
                if (o[(4 + c) * n + j] > best) { best = o[(4 + c) * n + j]; label = c; }
            if (!(best > 0.001f)) continue;
            float cx = o[j], cy = o[n + j], hw = o[2 * n + j] / 2f, hh = o[3 * n + j] / 2f;
            boxes.Add(new Box(cx - hw, cy - hh, cx + hw, cy + hh));
            scores.Add(best);
            raw.Add(best);
            labels.Add(label);
        }
        var keep = Nms.Batched(boxes.ToArray(), scores.ToArray(), labels.ToArray(), 0.7);
        return keep.Take(300).Select(i => (boxes[i], raw[i], labels[i]));
    }
}
