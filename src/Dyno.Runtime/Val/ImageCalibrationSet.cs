using System.Collections;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Dyno.Runtime.Val;

/// <summary>
/// Calibration samples made from images exactly as <c>dyno val</c> preprocesses them: every image of a folder
/// (recursively, sorted by path), of an Ultralytics data YAML's split, or of an ImageNet-style folder, decoded with
/// OpenCV and turned into one <c>[1, 3, H, W]</c> (or NHWC) float tensor of the model's image input.
/// </summary>
public sealed class ImageCalibrationSet : IEnumerable<IReadOnlyDictionary<string, DenseTensor<float>>>
{
    private readonly string _inputName;
    private readonly ImagePreprocessor _pre;

    /// <summary>A set over <paramref name="images"/> for the input <paramref name="inputName"/>.</summary>
    public ImageCalibrationSet(string inputName, IReadOnlyList<string> images, PreprocessOptions preprocess)
    {
        if (images.Count == 0) throw new DynoInputException("no calibration images", nameof(images));
        _inputName = inputName;
        Images = images;
        _pre = new ImagePreprocessor(preprocess);
    }

    /// <summary>The image files, in the order they are fed.</summary>
    public IReadOnlyList<string> Images { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Images.Count;

    /// <summary>Whether <paramref name="path"/> names images (a YAML data file, or a folder that holds images at any depth).</summary>
    public static bool IsImageSource(string path) =>
        File.Exists(path) ? Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml"
        : Directory.Exists(path) && Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Any(f => ValDatasets.ImageExtensions.Contains(Path.GetExtension(f)));

    /// <summary>The first <paramref name="count"/> images (all when null) of a data YAML's val split or of a folder, sorted by path.</summary>
    public static IReadOnlyList<string> FindImages(string path, int? count)
    {
        IEnumerable<string> all = File.Exists(path)
            ? ValDatasets.ReadYolo(path).Samples.Select(s => s.Path)
            : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => ValDatasets.ImageExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal);
        var list = (count is { } n ? all.Take(n) : all).ToList();
        if (list.Count == 0) throw new InvalidDataException($"{path}: no images to calibrate on");
        return list;
    }

    /// <inheritdoc/>
    public IEnumerator<IReadOnlyDictionary<string, DenseTensor<float>>> GetEnumerator()
    {
        var o = _pre.Options;
        int[] dims = o.Layout == TensorLayout.Nchw ? [1, 3, o.Height, o.Width] : [1, o.Height, o.Width, 3];
        foreach (var path in Images)
        {
            var data = new float[o.ImageElements];
            using (var img = ImageDecoder.DecodeBgr(path)) _pre.Run(img, data);
            yield return new Dictionary<string, DenseTensor<float>> { [_inputName] = new DenseTensor<float>(data, dims) };
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
