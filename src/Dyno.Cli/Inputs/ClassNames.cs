using Dyno.Runtime.Val;

namespace Dyno.Cli.Inputs;

/// <summary>
/// Reads class names: an Ultralytics dataset YAML (<c>data.yaml</c>: <c>names</c> as a list or an index map, checked
/// against <c>nc</c>), or a text file with one name per line, line i naming class i (blank trailing lines ignored).
/// </summary>
internal static class ClassNames
{
    /// <summary>The names in <paramref name="file"/>, or null when no file was given.</summary>
    public static IReadOnlyList<string>? Read(FileInfo? file)
    {
        if (file is null) return null;
        if (!file.Exists) throw new FileNotFoundException($"{file.FullName}: no such classes file");
        if (IsDataYaml(file.FullName)) return ValDatasets.ReadDataYaml(file.FullName).Names;
        var lines = File.ReadAllLines(file.FullName).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        for (var i = 0; i < lines.Count; i++)
            if (lines[i].Length == 0) throw new InvalidDataException($"{file.FullName}:{i + 1}: empty class name");
        if (lines.Count == 0) throw new InvalidDataException($"{file.FullName}: no class names");
        return lines;
    }

    /// <summary>
    /// True for a dataset YAML: a <c>.yaml</c>/<c>.yml</c> file, or any file with a top-level <c>names:</c> key (a
    /// names list never has one: a class called "names: x" would be a YAML key, not a name).
    /// </summary>
    public static bool IsDataYaml(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".yaml" or ".yml") return true;
        return File.ReadLines(path).Any(l => l.StartsWith("names:", StringComparison.Ordinal));
    }
}
