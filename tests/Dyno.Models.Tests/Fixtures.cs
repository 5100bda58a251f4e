namespace Dyno.Models.Tests;

internal static class Fixtures
{
    public static string Dir(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    /// <summary>A model named in reference.json: full models live in fixtures/models, weightless ones are the embedded examples.</summary>
    public static string ModelPath(string file) =>
        file.EndsWith(".weightless.onnx", StringComparison.Ordinal)
            ? Dir("examples", file.Replace("_op13.weightless.onnx", ".onnx", StringComparison.Ordinal))
            : Dir("models", file);
}
