using System.IO.Compression;
using System.Text.Json;

namespace Dyno.Runtime.Tests.Val;

/// <summary>The "shapes" val fixtures (tests/fixtures/val, copied from the team's shared fixtures; see PROVENANCE.md).</summary>
internal static class ValFixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "fixtures", "val");
            if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException("tests/fixtures/val not found above " + AppContext.BaseDirectory);
    });

    public static string Path_(params string[] parts) => Path.Combine([Root.Value, .. parts]);

    public static string Model(string name) => Path_("models", name + ".onnx");

    public static JsonDocument Json(params string[] parts)
    {
        var path = Path_(parts);
        using var s = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var gz = new GZipStream(s, CompressionMode.Decompress);
            return JsonDocument.Parse(gz);
        }
        return JsonDocument.Parse(s);
    }
}
