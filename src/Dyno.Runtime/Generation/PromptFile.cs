using System.Text.Json;

namespace Dyno.Runtime.Generation;

/// <summary>Reads <c>--prompts FILE</c>: a JSON list of token-id lists, unpadded, forming one batch.</summary>
public static class PromptFile
{
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not JSON, not a non-empty list of non-empty integer lists, or a negative id; the message names the file and the record.</exception>
    public static IReadOnlyList<IReadOnlyList<long>> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such prompts file", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
                throw new InvalidDataException($"{path}: expected a non-empty JSON list of prompts, each a list of token ids, e.g. [[15, 27, 3], [8, 1]]");
            var prompts = new List<IReadOnlyList<long>>();
            var r = 0;
            foreach (var row in root.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() == 0)
                    throw new InvalidDataException($"{path}: prompt {r}: expected a non-empty list of token ids, got {Describe(row)}");
                var ids = new long[row.GetArrayLength()];
                var j = 0;
                foreach (var x in row.EnumerateArray())
                {
                    if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt64(out var id) || id < 0)
                        throw new InvalidDataException($"{path}: prompt {r}, token {j}: {x.GetRawText()} is not a non-negative integer token id");
                    ids[j++] = id;
                }
                prompts.Add(ids);
                r++;
            }
            return prompts;
        }
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "an empty list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Object => "an object",
        _ => e.ValueKind.ToString().ToLowerInvariant(),
    };
}
