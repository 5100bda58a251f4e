using System.Globalization;
using System.Text.Json;

namespace Dyno.Reports.Sections;

/// <summary>
/// Dotted-path access to any JSON result, for what names a key by design: <c>dyno compare</c>'s <c>--keys</c>,
/// <c>--fail-if</c>, <c>--x</c>/<c>--y</c> and <c>dyno matrix --fail-if</c> (any numeric leaf of any kind, docs/reports.md),
/// and <see cref="GenericSection"/> for kinds without a presenter. Known kinds are read as typed documents, never by path.
/// </summary>
public static class JsonPaths
{
    /// <summary>The element at a dotted path (<c>latency_ms.p95</c>, <c>stats.AP</c>), or null.</summary>
    public static JsonElement? At(JsonElement root, string path)
    {
        var cur = root;
        foreach (var part in path.Split('.'))
        {
            if (cur.ValueKind == JsonValueKind.Object && cur.TryGetProperty(part, out var next)) cur = next;
            else if (cur.ValueKind == JsonValueKind.Array && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < cur.GetArrayLength()) cur = cur[i];
            else return null;
        }
        return cur;
    }

    /// <summary>The number at <paramref name="path"/>; null when absent or null (NaN is written as null).</summary>
    /// <exception cref="InvalidDataException">The key holds something else (a string, a list...): a report never draws it as missing.</exception>
    public static double? Number(JsonElement root, string path) => At(root, path) switch
    {
        { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        null or { ValueKind: JsonValueKind.Null } => null,
        { } e => throw new InvalidDataException($"'{path}' is {e.ValueKind.ToString().ToLowerInvariant()} {Short(e)}, expected a number"),
    };

    private static string Short(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "...";
    }

    public static string? Text(JsonElement root, string path) =>
        At(root, path) is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;

    /// <summary>Every numeric leaf as (dotted path, value); arrays of objects are keyed by a name-like member when they have one.</summary>
    public static SortedDictionary<string, double> FlattenNumbers(JsonElement root, int maxArray = 64)
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        void Walk(JsonElement e, string prefix)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Number:
                    result[prefix] = e.GetDouble();
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    result[prefix] = e.GetBoolean() ? 1 : 0;
                    break;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name);
                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in e.EnumerateArray())
                    {
                        if (i >= maxArray) break;
                        var key = item.ValueKind == JsonValueKind.Object ? KeyOf(item) ?? i.ToString(CultureInfo.InvariantCulture) : i.ToString(CultureInfo.InvariantCulture);
                        Walk(item, prefix + "." + key);
                        i++;
                    }
                    break;
            }
        }
        Walk(root, "");
        return result;
    }

    private static string? KeyOf(JsonElement item)
    {
        foreach (var name in new[] { "batch", "name", "class", "category", "sequence", "op_type", "device" })
            if (item.TryGetProperty(name, out var v))
                return v.ValueKind switch
                {
                    JsonValueKind.String => name == "name" ? v.GetString() : $"{name}={v.GetString()}",
                    JsonValueKind.Number => $"{name}={v.GetRawText()}",
                    _ => null,
                };
        return null;
    }
}
