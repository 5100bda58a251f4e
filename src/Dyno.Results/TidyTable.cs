using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dyno.Results;

/// <summary>The type of a <see cref="TidyColumn"/>: what a CSV reader should parse its cells as.</summary>
public enum TidyType
{
    /// <summary>Whole numbers (counts, bytes, ids).</summary>
    Integer,

    /// <summary>Floating-point numbers, written in shortest round-trip form ("R", invariant culture).</summary>
    Number,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>Anything else.</summary>
    Text,
}

/// <summary>A column of a <see cref="TidyTable"/>.</summary>
/// <param name="Name">The header: the JSON key (dotted for a nested member).</param>
/// <param name="Type">What every non-empty cell of the column is.</param>
public sealed record TidyColumn(string Name, TidyType Type);

/// <summary>
/// One table of a result as tidy data (one observation per row, one variable per column, unformatted values): what
/// <c>--format csv</c> writes. Cells are JSON scalars of the document (null = missing, written as an empty cell).
/// </summary>
public sealed class TidyTable
{
    /// <summary>A table named <paramref name="name"/> (the value of <c>--table</c>).</summary>
    public TidyTable(string name, IReadOnlyList<TidyColumn> columns, IReadOnlyList<IReadOnlyList<JsonElement?>> rows)
    {
        Name = name;
        Columns = columns;
        Rows = rows;
    }

    /// <summary>The table's name (<c>--table NAME</c>).</summary>
    public string Name { get; }

    /// <summary>The columns, in order.</summary>
    public IReadOnlyList<TidyColumn> Columns { get; }

    /// <summary>The rows; each cell is a JSON scalar, or null when missing.</summary>
    public IReadOnlyList<IReadOnlyList<JsonElement?>> Rows { get; }

    /// <summary>RFC 4180 CSV: one header row, then one line per row; numbers at full precision, no separators or units.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', Columns.Select(c => Escape(c.Name))).Append('\n');
        foreach (var row in Rows)
        {
            for (var i = 0; i < row.Count; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(Escape(Cell(row[i])));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The text of a cell as CSV writes it (before quoting).</summary>
    public static string Cell(JsonElement? e) => e switch
    {
        null => "",
        { ValueKind: JsonValueKind.Number } n => !n.GetRawText().AsSpan().ContainsAny(".eE") && n.TryGetInt64(out var l)
            ? l.ToString(CultureInfo.InvariantCulture) : n.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
        { ValueKind: JsonValueKind.Null } => "",
        { ValueKind: JsonValueKind.Array } a => string.Join(' ', a.EnumerateArray().Select(x => Cell(x))),
        { } other => other.GetRawText(),
    };

    private static string Escape(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 || (s.Length > 0 && (s[0] == ' ' || s[^1] == ' ')) ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>
    /// A table with one row per element of <paramref name="items"/> (JSON objects): a column per scalar member (nested
    /// objects flattened to dotted names, arrays of scalars joined with spaces; arrays of objects left out), in order of
    /// first appearance. <paramref name="leading"/> adds constant columns before them (e.g. the sequence of a row).
    /// </summary>
    public static TidyTable Records(string name, IEnumerable<JsonElement> items, IReadOnlyList<(string Name, Func<int, JsonElement, JsonElement?> Value)>? leading = null)
    {
        var list = items.ToList();
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var flat = new List<Dictionary<string, JsonElement>>();
        foreach (var item in list)
        {
            var d = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            Flatten(item, "", d);
            foreach (var k in d.Keys) if (seen.Add(k)) order.Add(k);
            flat.Add(d);
        }
        var lead = leading ?? [];
        var rows = new List<IReadOnlyList<JsonElement?>>();
        for (var i = 0; i < list.Count; i++)
        {
            var row = new List<JsonElement?>();
            foreach (var (_, value) in lead) row.Add(value(i, list[i]));
            foreach (var k in order) row.Add(flat[i].TryGetValue(k, out var v) && v.ValueKind != JsonValueKind.Null ? v : null);
            rows.Add(row);
        }
        var names = lead.Select(l => l.Name).Concat(order).ToList();
        return new TidyTable(name, names.Select((n, c) => new TidyColumn(n, TypeOf(rows.Select(r => r[c])))).ToList(), rows);
    }

    /// <summary>
    /// A two-column table (<paramref name="keyHeader"/>, <paramref name="valueHeader"/>) of every numeric leaf of
    /// <paramref name="obj"/> (dotted keys), in document order; booleans and text are left out so the value column is numeric.
    /// </summary>
    public static TidyTable KeyValues(string name, JsonElement obj, string keyHeader = "key", string valueHeader = "value")
    {
        var d = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var order = new List<string>();
        void Walk(JsonElement e, string prefix)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject()) Walk(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name);
            else if (e.ValueKind is JsonValueKind.Number or JsonValueKind.Null && prefix.Length > 0)
            {
                d[prefix] = e;
                order.Add(prefix);
            }
        }
        if (obj.ValueKind == JsonValueKind.Object) Walk(obj, "");
        var rows = order.Select(k => (IReadOnlyList<JsonElement?>)[Str(k), d[k].ValueKind == JsonValueKind.Null ? null : d[k]]).ToList();
        return new TidyTable(name, [new TidyColumn(keyHeader, TidyType.Text), new TidyColumn(valueHeader, TypeOf(rows.Select(r => r[1])))], rows);
    }

    /// <summary>A JSON string element holding <paramref name="s"/> (for key columns built from member names).</summary>
    public static JsonElement Str(string s) => JsonSerializer.SerializeToElement(s);

    /// <summary>A JSON number element holding <paramref name="v"/>.</summary>
    public static JsonElement Num(double v) => JsonSerializer.SerializeToElement(v);

    private static void Flatten(JsonElement e, string prefix, Dictionary<string, JsonElement> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix.Length == 0 ? p.Name : prefix + "." + p.Name, into);
                break;
            case JsonValueKind.Array:
                if (e.EnumerateArray().All(x => x.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                    into[prefix] = e;
                break;
            default:
                if (prefix.Length > 0) into[prefix] = e;
                break;
        }
    }

    private static TidyType TypeOf(IEnumerable<JsonElement?> cells)
    {
        bool any = false, allInt = true, allNum = true, allBool = true;
        foreach (var c in cells)
        {
            if (c is not { } e || e.ValueKind == JsonValueKind.Null) continue;
            any = true;
            var isNum = e.ValueKind == JsonValueKind.Number;
            allNum &= isNum;
            allInt &= isNum && e.TryGetInt64(out _) && !e.GetRawText().AsSpan().ContainsAny(".eE");
            allBool &= e.ValueKind is JsonValueKind.True or JsonValueKind.False;
        }
        return !any ? TidyType.Text : allInt ? TidyType.Integer : allNum ? TidyType.Number : allBool ? TidyType.Boolean : TidyType.Text;
    }
}
