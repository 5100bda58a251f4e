namespace Dyno.Cli.Inputs;

/// <summary>Reads a class-names file: one name per line, line i naming class i (blank trailing lines ignored).</summary>
public static class ClassNames
{
    /// <summary>The names in <paramref name="file"/>, or null when no file was given.</summary>
    public static IReadOnlyList<string>? Read(FileInfo? file)
    {
        if (file is null) return null;
        if (!file.Exists) throw new FileNotFoundException($"{file.FullName}: no such classes file");
        var lines = File.ReadAllLines(file.FullName).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        for (var i = 0; i < lines.Count; i++)
            if (lines[i].Length == 0) throw new InvalidDataException($"{file.FullName}:{i + 1}: empty class name");
        if (lines.Count == 0) throw new InvalidDataException($"{file.FullName}: no class names");
        return lines;
    }
}
