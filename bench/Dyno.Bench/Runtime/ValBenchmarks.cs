using BenchmarkDotNet.Attributes;
using Dyno.Runtime.Val;

namespace Dyno.Bench.Runtime;

/// <summary>
/// The per-image CPU stages of <c>dyno val</c> on the shapes detector (first val image, the reference's raw outputs):
/// decode + letterbox to the input tensor, and output decoding with NMS for the YOLOv8 and YOLOv5 layouts.
/// <c>dotnet run -c Release --project bench/Dyno.Bench -- --filter '*ValStages*'</c>
/// </summary>
[MemoryDiagnoser]
public class ValStages
{
    private string _image = "";
    private float[] _v8 = [], _v5 = [];
    private float[] _tensor = [];
    private ImagePreprocessor _pre = null!;
    private OpenCvSharp.Mat _decoded = null!;
    private readonly DetectionDecodeOptions _decode = new();

    private static string Fixture(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine([d.FullName, "tests", "fixtures", "val", .. parts]);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException(Path.Combine(parts));
    }

    private static float[] Npy(string path)
    {
        var b = File.ReadAllBytes(path);
        var header = BitConverter.ToUInt16(b, 8);
        var data = b.AsSpan(10 + header);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray();
    }

    [GlobalSetup]
    public void Setup()
    {
        _image = Fixture("det", "images", "shapes_000001.jpg");
        _v8 = Npy(Fixture("expected", "tensors", "det_shapes_det_n_v8_output0_000.npy"));
        _v5 = Npy(Fixture("expected", "tensors", "det_shapes_det_n_v5_output0_000.npy"));
        _pre = new ImagePreprocessor(new PreprocessOptions { Width = 320, Height = 320 });
        _tensor = new float[_pre.Options.ImageElements];
        _decoded = ImageDecoder.DecodeBgr(_image);
    }

    [GlobalCleanup]
    public void Cleanup() => _decoded.Dispose();

    [Benchmark]
    public ImageTransform DecodeAndLetterbox()
    {
        using var m = ImageDecoder.DecodeBgr(_image);
        return _pre.Run(m, _tensor);
    }

    [Benchmark]
    public int JpegDecodeOnly()
    {
        using var m = ImageDecoder.DecodeBgr(_image);
        return m.Rows;
    }

    [Benchmark]
    public ImageTransform LetterboxOnly() => _pre.Run(_decoded, _tensor);

    [Benchmark]
    public int DecodeYoloV8WithNms() => DetectionDecoder.DecodeYoloV8(_v8, 5, 2100, _decode).Count;

    [Benchmark]
    public int DecodeYoloV5WithNms() => DetectionDecoder.DecodeYoloV5(_v5, 5, 2100, _decode).Count;
}
