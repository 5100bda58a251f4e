using Dyno.Metrics.Boxes;
using Dyno.Metrics.Detection;

namespace Dyno.Runtime.Val;

/// <summary>Output layouts of detection models.</summary>
public enum DetectionLayout
{
    /// <summary>Ultralytics YOLOv8/v11: one output [batch, 4 + classes, anchors]: cx, cy, w, h, then class scores.</summary>
    YoloV8,

    /// <summary>YOLOv5: one output [batch, anchors, 5 + classes]: cx, cy, w, h, objectness, class probabilities.</summary>
    YoloV5,

    /// <summary>NMS inside the graph: outputs <c>boxes</c> [K, 4] x1y1x2y2, <c>scores</c> [K], <c>labels</c> [K] (optionally with a batch axis).</summary>
    EndToEnd,

    /// <summary>NMS inside the graph, one output [batch, K, 6]: x1, y1, x2, y2, score, class (Ultralytics' end-to-end export).</summary>
    EndToEnd6,
}

/// <summary>Ultralytics val defaults: confidence 0.001, IoU 0.7, at most 300 detections per image.</summary>
public sealed record DetectionDecodeOptions
{
    /// <summary>Keep candidates whose confidence is strictly greater than this (compared in float32).</summary>
    public float Confidence { get; init; } = 0.001f;

    /// <summary>NMS IoU threshold (suppress when strictly greater, float32).</summary>
    public float Iou { get; init; } = 0.7f;

    /// <summary>At most this many detections per image after NMS.</summary>
    public int MaxDetections { get; init; } = 300;
}

/// <summary>One decoded detection in input-tensor pixels, before mapping back to the image.</summary>
/// <param name="Label">Class index (0-based).</param>
/// <param name="Score">Confidence.</param>
/// <param name="X1">Left.</param>
/// <param name="Y1">Top.</param>
/// <param name="X2">Right.</param>
/// <param name="Y2">Bottom.</param>
public readonly record struct RawDetection(int Label, float Score, float X1, float Y1, float X2, float Y2);

/// <summary>
/// Decodes raw detector outputs as the reference pipeline does (README of the val fixtures): single label per
/// anchor (first maximum), thresholds in float32, corners as <c>cx ∓ w / 2f</c>, torchvision-exact NMS per class
/// (<see cref="NmsFloat32"/>), survivors ranked by score (ties: anchor order) and cut to the maximum.
/// </summary>
public static class DetectionDecoder
{
    /// <summary>YOLOv8 layout for one image: <paramref name="output"/> is [4 + classes, anchors] row-major.</summary>
    public static List<RawDetection> DecodeYoloV8(ReadOnlySpan<float> output, int classes, int anchors, DetectionDecodeOptions o)
    {
        if (output.Length != (4 + classes) * anchors) throw new DynoInputException($"YOLOv8 output of one image needs {(4 + classes) * anchors} values, got {output.Length}");
        var c = new Candidates(Math.Min(anchors, 4096));
        for (var a = 0; a < anchors; a++)
        {
            var best = output[4 * anchors + a];
            var label = 0;
            for (var k = 1; k < classes; k++)
            {
                var s = output[(4 + k) * anchors + a];
                if (s > best) { best = s; label = k; }
            }
            if (!(best > o.Confidence)) continue;
            c.Add(label, best, output[a], output[anchors + a], output[2 * anchors + a], output[3 * anchors + a]);
        }
        return c.Nms(o);
    }

    /// <summary>YOLOv5 layout for one image: <paramref name="output"/> is [anchors, 5 + classes] row-major.</summary>
    public static List<RawDetection> DecodeYoloV5(ReadOnlySpan<float> output, int classes, int anchors, DetectionDecodeOptions o)
    {
        var width = 5 + classes;
        if (output.Length != width * anchors) throw new DynoInputException($"YOLOv5 output of one image needs {width * anchors} values, got {output.Length}");
        var c = new Candidates(Math.Min(anchors, 4096));
        for (var a = 0; a < anchors; a++)
        {
            var row = output.Slice(a * width, width);
            var obj = row[4];
            if (!(obj > o.Confidence)) continue;
            var best = row[5] * obj;
            var label = 0;
            for (var k = 1; k < classes; k++)
            {
                var s = row[5 + k] * obj;
                if (s > best) { best = s; label = k; }
            }
            if (!(best > o.Confidence)) continue;
            c.Add(label, best, row[0], row[1], row[2], row[3]);
        }
        return c.Nms(o);
    }

    /// <summary>End-to-end outputs of one image: boxes [K, 4] x1y1x2y2, scores [K], labels [K], taken as they come (confidence filter and cut applied).</summary>
    public static List<RawDetection> DecodeEndToEnd(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, ReadOnlySpan<long> labels, DetectionDecodeOptions o)
    {
        var k = scores.Length;
        if (boxes.Length != 4 * k || labels.Length != k) throw new DynoInputException($"end-to-end outputs disagree: {boxes.Length / 4} boxes, {k} scores, {labels.Length} labels");
        var list = new List<RawDetection>(k);
        for (var i = 0; i < k && list.Count < o.MaxDetections; i++)
        {
            if (!(scores[i] > o.Confidence)) continue;
            list.Add(new RawDetection(checked((int)labels[i]), scores[i], boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]));
        }
        return list;
    }

    /// <summary>Ultralytics end-to-end [K, 6] rows (x1, y1, x2, y2, score, class) of one image.</summary>
    public static List<RawDetection> DecodeEndToEnd6(ReadOnlySpan<float> rows, DetectionDecodeOptions o)
    {
        if (rows.Length % 6 != 0) throw new DynoInputException("end-to-end [K, 6] output has a length that is not a multiple of 6");
        var list = new List<RawDetection>(rows.Length / 6);
        for (var i = 0; i < rows.Length / 6 && list.Count < o.MaxDetections; i++)
        {
            var r = rows.Slice(6 * i, 6);
            if (!(r[4] > o.Confidence)) continue;
            list.Add(new RawDetection((int)r[5], r[4], r[0], r[1], r[2], r[3]));
        }
        return list;
    }

    /// <summary>
    /// Maps detections back to the original image (float64: <c>(x - pad) / scale</c>, clipped to the image) as COCO
    /// results, category id = <paramref name="categoryIds"/>[label].
    /// </summary>
    public static List<CocoBoxPrediction> ToCoco(List<RawDetection> detections, ImageTransform t, IReadOnlyList<long> categoryIds)
    {
        var list = new List<CocoBoxPrediction>(detections.Count);
        foreach (var d in detections)
        {
            if ((uint)d.Label >= (uint)categoryIds.Count)
                throw new InvalidDataException($"the model predicted class {d.Label}, but the data has {categoryIds.Count} classes");
            var x1 = Math.Clamp(t.X(d.X1), 0, t.OriginalWidth);
            var x2 = Math.Clamp(t.X(d.X2), 0, t.OriginalWidth);
            var y1 = Math.Clamp(t.Y(d.Y1), 0, t.OriginalHeight);
            var y2 = Math.Clamp(t.Y(d.Y2), 0, t.OriginalHeight);
            list.Add(new CocoBoxPrediction(categoryIds[d.Label], x1, y1, x2 - x1, y2 - y1, d.Score));
        }
        return list;
    }

    private sealed class Candidates(int capacity)
    {
        private readonly List<float> _x1 = new(capacity), _y1 = new(capacity), _x2 = new(capacity), _y2 = new(capacity), _s = new(capacity);
        private readonly List<int> _label = new(capacity);

        /// <summary>Adds a candidate; candidates come in anchor order, so the list index ranks ties as the anchor index does.</summary>
        public void Add(int label, float score, float cx, float cy, float w, float h)
        {
            float hw = w / 2f, hh = h / 2f;
            _x1.Add(cx - hw); _y1.Add(cy - hh); _x2.Add(cx + hw); _y2.Add(cy + hh);
            _s.Add(score); _label.Add(label);
        }

        public List<RawDetection> Nms(DetectionDecodeOptions o)
        {
            var kept = NmsFloat32.Batched(
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_x1), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_y1),
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_x2), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_y2),
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_s), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_label),
                o.Iou, o.MaxDetections);
            var list = new List<RawDetection>(kept.Length);
            foreach (var i in kept) list.Add(new RawDetection(_label[i], _s[i], _x1[i], _y1[i], _x2[i], _y2[i]));
            return list;
        }
    }
}
