using System.Globalization;

namespace Dyno.Cli.Infrastructure;

/// <summary>Parses <c>--shape NAME=1x3x224x224</c> and <c>--dim NAME=VALUE</c> arguments.</summary>
internal static class ShapeArgs
{
    public static Dictionary<string, long[]>? Shapes(IEnumerable<string>? values)
    {
        if (values is null) return null;
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var (name, rhs) = Split(v, "--shape", "NAME=1x3x224x224");
            var parts = rhs.Split('x', ',');
            var dims = new long[parts.Length];
            for (var i = 0; i < parts.Length; i++)
                if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]))
                    throw new UsageException($"--shape {v}: '{parts[i]}' is not a non-negative integer dimension (expected NAME=1x3x224x224)");
            result[name] = dims;
        }
        return result.Count > 0 ? result : null;
    }

    public static Dictionary<string, long>? Dims(IEnumerable<string>? values)
    {
        if (values is null) return null;
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            var (name, rhs) = Split(v, "--dim", "NAME=VALUE");
            if (!long.TryParse(rhs, NumberStyles.None, CultureInfo.InvariantCulture, out var d))
                throw new UsageException($"--dim {v}: '{rhs}' is not a non-negative integer");
            result[name] = d;
        }
        return result.Count > 0 ? result : null;
    }

    private static (string, string) Split(string v, string option, string form)
    {
        var eq = v.LastIndexOf('=');
        if (eq <= 0 || eq == v.Length - 1) throw new UsageException($"{option} {v}: expected {form}");
        return (v[..eq], v[(eq + 1)..]);
    }
}
