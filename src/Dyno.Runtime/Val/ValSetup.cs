using System.Globalization;
using Dyno.Models.Onnx;

namespace Dyno.Runtime.Val;

/// <summary>What a user asked for about preprocessing; null = the task's default or the model's own input size.</summary>
public sealed record PreprocessRequest
{
    /// <summary>Input width and height; null = the model's fixed input size.</summary>
    public (int Width, int Height)? Size { get; init; }

    /// <summary>Fitting mode; null = letterbox for detection, stretch otherwise.</summary>
    public ResizeMode? Mode { get; init; }

    /// <summary>Mean and std; null = ImageNet's for classification, none otherwise.</summary>
    public (float[] Mean, float[] Std)? Normalize { get; init; }

    /// <summary>Letterbox padding value.</summary>
    public int PadValue { get; init; } = 114;

    /// <summary>Centre-crop fraction.</summary>
    public double CropFraction { get; init; } = 0.875;

    /// <summary>Feed BGR.</summary>
    public bool Bgr { get; init; }
}

/// <summary>Resolves the task and the preprocessing of a val run from the data, the model and the request.</summary>
public static class ValSetup
{
    /// <summary>ImageNet's mean and std in [0,1] units.</summary>
    public static (float[] Mean, float[] Std) ImageNet => ([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>No normalisation beyond /255.</summary>
    public static (float[] Mean, float[] Std) Identity => ([0f, 0f, 0f], [1f, 1f, 1f]);

    /// <summary>
    /// The task: <paramref name="requested"/> when given; else from the data layout and the model (Ultralytics <c>task</c>
    /// metadata, or its outputs). Throws <see cref="ArgumentException"/> asking for the task when they disagree or say nothing.
    /// </summary>
    public static ValTask ResolveTask(ValTask? requested, string data, OnnxModel onnx)
    {
        if (requested is { } r) return r;
        var fromData = ValDatasets.GuessTask(data);
        ValTask? fromModel = onnx.Metadata.TryGetValue("task", out var mt)
            ? mt switch { "detect" => ValTask.Detect, "classify" => ValTask.Classify, "segment" => ValTask.Segment, _ => null }
            : null;
        if (fromModel is null)
        {
            var outs = onnx.Graph.Outputs;
            var rank = outs.Count == 1 ? outs[0].Shape?.Length : null;
            fromModel = outs.Count == 3 || rank == 3 ? ValTask.Detect : rank == 2 ? ValTask.Classify : null;
        }
        if (fromData is { } d && (fromModel is null || fromModel == d)) return d;
        if (fromData is null && fromModel is { } m) return m;
        throw new DynoInputException(fromData is null
            ? $"cannot tell the task from {data} or the model's outputs; give the task (det, cls or seg)"
            : $"{data} looks like {Name(fromData.Value)} data but {onnx.Source} like a {Name(fromModel!.Value)} model; give the task");
        static string Name(ValTask v) => v switch { ValTask.Detect => "detection", ValTask.Classify => "classification", _ => "segmentation" };
    }

    /// <summary>The preprocessing for <paramref name="onnx"/>: size from the request or the model's input, layout from the input shape.</summary>
    public static PreprocessOptions Preprocess(OnnxModel onnx, ValTask task, PreprocessRequest request)
    {
        var input = onnx.Graph.Inputs.FirstOrDefault(i => onnx.Graph.Initializers.All(x => x.Name != i.Name))
                    ?? throw new InvalidDataException($"{onnx.Source}: the graph has no input");
        var dims = input.Shape?.Select(d => d.Value).ToArray() ?? [];
        if (dims.Length != 4) throw new InvalidDataException($"{onnx.Source}: input '{input.Name}' is not an image tensor [batch, 3, H, W] or [batch, H, W, 3]");
        var nhwc = dims[1] != 3 && dims[3] == 3;
        var (mw, mh) = nhwc ? (dims[2], dims[1]) : (dims[3], dims[2]);
        int w, h;
        if (request.Size is { } size)
        {
            if ((mw > 0 && mw != size.Width) || (mh > 0 && mh != size.Height))
                throw new DynoInputException($"{onnx.Source}: input size {size.Width}x{size.Height} does not fit the model's fixed input size {mw}x{mh}");
            (w, h) = size;
        }
        else if (mw > 0 && mh > 0) (w, h) = ((int)mw, (int)mh);
        else throw new DynoInputException($"{onnx.Source}: the input size is dynamic; give it (PreprocessRequest.Size)", "PreprocessRequest.Size");
        var (mean, std) = request.Normalize ?? (task == ValTask.Classify ? ImageNet : Identity);
        return new PreprocessOptions
        {
            Width = w, Height = h, Mode = request.Mode ?? (task == ValTask.Detect ? ResizeMode.Letterbox : ResizeMode.Stretch),
            PadValue = request.PadValue, CropFraction = request.CropFraction, Mean = mean, Std = std, Bgr = request.Bgr,
            Layout = nhwc ? TensorLayout.Nhwc : TensorLayout.Nchw,
        };
    }

    /// <summary>A detection set: COCO JSON (with its images folder, default <c>images/</c> beside it) or an Ultralytics YAML; checked against the model's <c>names</c> metadata.</summary>
    public static DetectionDataset ReadDetection(string data, string? imagesDir, string split, OnnxModel? onnx)
    {
        DetectionDataset d;
        if (data.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var dir = imagesDir ?? Path.Combine(Path.GetDirectoryName(data)!, "images");
            if (imagesDir is null && !Directory.Exists(dir)) throw new DynoInputException($"COCO data needs an images folder (imagesDir; no {dir})", "imagesDir");
            d = ValDatasets.ReadCoco(data, dir);
        }
        else d = ValDatasets.ReadYolo(data, split);
        if (onnx is not null) CheckClassCount(onnx, d.Names.Count, d.Source);
        return d;
    }

    /// <summary>Refuses a model whose Ultralytics <c>names</c> metadata counts other classes than the data.</summary>
    public static void CheckClassCount(OnnxModel onnx, int dataClasses, string dataSource)
    {
        if (onnx.Metadata.TryGetValue("names", out var n) && CountNames(n) is { } count && count != dataClasses)
            throw new InvalidDataException($"{onnx.Source}: the model has {count} classes (metadata 'names') but {dataSource} has {dataClasses}");
    }

    /// <summary>Classes in Ultralytics' names metadata (<c>{0: 'a', 1: 'b'}</c> or JSON).</summary>
    internal static int? CountNames(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith('{')) return null;
        var count = 0;
        var depth = 0;
        var inStr = '\0';
        foreach (var ch in t)
        {
            if (inStr != '\0') { if (ch == inStr) inStr = '\0'; continue; }
            if (ch is '\'' or '"') inStr = ch;
            else if (ch == '{') depth++;
            else if (ch == '}') depth--;
            else if (ch == ':' && depth == 1) count++;
        }
        return count > 0 ? count : null;
    }

    /// <summary>Parses <c>none</c>, <c>imagenet</c> or <c>m,m,m/s,s,s</c>.</summary>
    public static (float[] Mean, float[] Std)? ParseNormalize(string text)
    {
        switch (text)
        {
            case "none": return Identity;
            case "imagenet": return ImageNet;
        }
        var halves = text.Split('/');
        float[]? Three(string s)
        {
            var v = s.Split(',').Select(x => float.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f) ? f : float.NaN).ToArray();
            return v.Length == 3 && v.All(float.IsFinite) ? v : null;
        }
        return halves.Length == 2 && Three(halves[0]) is { } m && Three(halves[1]) is { } s && s.All(x => x > 0) ? (m, s) : null;
    }
}
