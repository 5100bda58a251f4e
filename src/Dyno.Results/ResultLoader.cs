using System.Text.Json;

namespace Dyno.Results;

/// <summary>A result read back from JSON: its kind, schema version and root object.</summary>
/// <param name="Kind">One of <see cref="ResultKinds"/>, the file's own <c>kind</c> when this build does not know it, or <c>other</c>.</param>
/// <param name="Schema">The file's schema version (0 for a legacy file without one).</param>
/// <param name="Root">The JSON object (a detached copy: no document to dispose).</param>
/// <param name="Source">The file it came from, if any.</param>
/// <param name="Legacy">True when the file has no <c>kind</c> (written before schema 1) and its kind was recognised from its keys.</param>
public sealed record LoadedResult(string Kind, int Schema, JsonElement Root, string? Source, bool Legacy)
{
    /// <summary>The typed payload when the result was made in this process (<see cref="ResultLoader.FromDocument"/>), else null.</summary>
    internal object? Payload { get; init; }

    /// <summary>
    /// The result as its typed document <typeparamref name="T"/> (the payload type the command wrote, e.g. <c>ModelProfile</c>,
    /// <c>BenchResult</c>), read with <see cref="DynoJson.Options"/>; an in-process document is returned as it is.
    /// </summary>
    /// <exception cref="InvalidDataException">The JSON does not have the shape of <typeparamref name="T"/> (a missing required key, a string where a number goes...): the message names the file and the key.</exception>
    public T As<T>() where T : class
    {
        if (Payload is T typed) return typed;
        try
        {
            return Root.Deserialize<T>(DynoJson.Options) ?? throw new InvalidDataException($"{Source ?? "result"}: a '{Kind}' result is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(Describe(e), e);
        }
    }

    /// <summary>One line naming the file, the key and what is wrong there: <c>r.json: 'totals.weights' is string "lots", expected a number</c>.</summary>
    private string Describe(JsonException e)
    {
        var where = Source ?? "result";
        var (key, found) = Locate(e.Path);
        var message = e.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        var converted = System.Text.RegularExpressions.Regex.Match(message, "could not be converted to ([A-Za-z0-9_.`\\[\\],]+)");
        if (found is { } f && converted.Success)
        {
            var type = converted.Groups[1].Value.TrimEnd('.');
            var expected = type switch
            {
                "System.String" => "a string",
                "System.Boolean" => "true or false",
                _ when type.StartsWith("System.Int", StringComparison.Ordinal) || type.StartsWith("System.UInt", StringComparison.Ordinal)
                    || type is "System.Double" or "System.Single" or "System.Decimal" || type.StartsWith("System.Nullable", StringComparison.Ordinal) => "a number",
                _ when type.Contains("List", StringComparison.Ordinal) || type.Contains("[]", StringComparison.Ordinal) || type.Contains("Enumerable", StringComparison.Ordinal) => "a list",
                _ => "an object",
            };
            var raw = f.GetRawText();
            return $"{where}: '{key}' is {f.ValueKind.ToString().ToLowerInvariant()} {(raw.Length <= 40 ? raw : raw[..40] + "...")}, expected {expected}";
        }
        return $"{where}: not a readable '{Kind}' result{(key.Length > 0 ? $" at '{key}'" : "")}: {message}";
    }

    /// <summary>The dotted key of a System.Text.Json path (<c>$.totals.weights</c>, <c>$.nodes[3]['AP50']</c>) and the element there, if any.</summary>
    private (string Key, JsonElement? Found) Locate(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return ("", null);
        var parts = new List<string>();
        JsonElement? cur = Root;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(path, @"\.([^.\[]+)|\['((?:[^']|'')*)'\]|\[(\d+)\]"))
        {
            if (m.Groups[3].Success)
            {
                var i = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
                parts.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                cur = cur is { ValueKind: JsonValueKind.Array } a && i < a.GetArrayLength() ? a[i] : null;
            }
            else
            {
                var name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value.Replace("''", "'", StringComparison.Ordinal);
                parts.Add(name);
                cur = cur is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var next) ? next : null;
            }
        }
        return (string.Join('.', parts), cur);
    }

    /// <summary>As <see cref="As{T}"/>, or null (with the reason in <paramref name="error"/>) when the JSON does not have the shape of <typeparamref name="T"/>.</summary>
    public T? TryAs<T>(out string? error) where T : class
    {
        try
        {
            error = null;
            return As<T>();
        }
        catch (InvalidDataException e)
        {
            error = e.Message;
            return null;
        }
    }
}

/// <summary>Reads Dyno result documents, dispatching on their <c>kind</c>.</summary>
public static class ResultLoader
{
    /// <summary>Reads one result file (a JSON object), with errors that name the file and position.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not JSON, not an object, or a schema newer than this build reads.</exception>
    public static LoadedResult Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a result from its UTF-8 JSON bytes; <paramref name="source"/> names it in errors.</summary>
    public static LoadedResult Parse(byte[] utf8Json, string source)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}");
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{source}: a Dyno result is a JSON object, this is {json.RootElement.ValueKind}");
            return FromElement(json.RootElement.Clone(), source);
        }
    }

    /// <summary>Classifies an already parsed result object.</summary>
    public static LoadedResult FromElement(JsonElement root, string? source)
    {
        var where = source ?? "result";
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: a Dyno result is a JSON object, this is {root.ValueKind}");
        var hasSchema = root.TryGetProperty("schema", out var s);
        if (!root.TryGetProperty("kind", out var k) || (!hasSchema && k.ValueKind == JsonValueKind.String && !ResultKinds.IsKnown(k.GetString()!)))
            return new LoadedResult(LegacyKindOf(root), 0, root, source, Legacy: true);
        if (k.ValueKind != JsonValueKind.String || k.GetString() is not { Length: > 0 } kind)
            throw new InvalidDataException($"{where}: 'kind' is {k.GetRawText()}, expected the name of a result kind");
        var schema = hasSchema && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out var v) ? v
            : throw new InvalidDataException($"{where}: a '{kind}' result without an integer 'schema'");
        if (ResultKinds.Schemas.TryGetValue(kind, out var supported) && schema > supported)
            throw new InvalidDataException($"{where}: a '{kind}' result of schema {schema}; this dyno reads schema {supported} (update dyno)");
        return new LoadedResult(kind, schema, root, source, Legacy: false);
    }

    /// <summary>Reads a document produced in this process without going through text (the demo, matrix).</summary>
    public static LoadedResult FromDocument(ResultDocument document, string? source) =>
        new(document.Kind, document.Schema, JsonSerializer.SerializeToElement(document, DynoJson.Options), source, Legacy: false) { Payload = document.Payload };

    /// <summary>
    /// LEGACY: the kind of a result written before documents carried <c>kind</c>, recognised from the keys that only
    /// that kind has (<c>stats.AP</c> is detection, <c>bpr</c> anchors...). Files written by this build never need it.
    /// </summary>
    public static string LegacyKindOf(JsonElement r)
    {
        bool Has(string path)
        {
            var cur = r;
            foreach (var part in path.Split('.'))
                if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(part, out cur)) return false;
            return true;
        }
        if (Has("totals.dense_macs") && Has("nodes")) return ResultKinds.Profile;
        if (Has("latency_ms")) return ResultKinds.Bench;
        if (Has("generation.ttft_ms")) return ResultKinds.BenchGenerate;
        if (Has("stats.AP")) return ResultKinds.EvalDet;
        if (Has("metrics.MOTA") || Has("metrics.HOTA")) return ResultKinds.EvalMot;
        if (Has("metrics.miou")) return ResultKinds.EvalSeg;
        if (Has("metrics.top1") || Has("metrics.f1_macro")) return ResultKinds.EvalCls;
        if (Has("matmul_macs")) return ResultKinds.Llm;
        if (Has("fits") && Has("results")) return ResultKinds.Fit;
        if (Has("bpr")) return ResultKinds.Anchors;
        if (Has("baseline") && Has("rows") && Has("rules")) return ResultKinds.Compare;
        if (Has("peak_tflops") && Has("memory_bandwidth_gbps")) return ResultKinds.Hardware;
        return "other";
    }
}
