using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Dyno.Metrics.Masks;

namespace Dyno.Metrics.Detection;

// Dyno.Metrics.Segmentation (the semantic-segmentation metrics) would otherwise hide the mask type.
using Segmentation = Dyno.Metrics.Masks.Segmentation;

/// <summary>Reading helpers shared by the COCO loaders: whole-file UTF-8 input, typed values and errors that name the file and position.</summary>
internal static class JsonInput
{
    // No comments: Python's json (and so pycocotools) rejects them.
    public static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, MaxDepth = 64 };

    public static byte[] ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var bytes = File.ReadAllBytes(path);
        return bytes;
    }

    /// <summary>Start of the JSON text (after a UTF-8 byte order mark, if any).</summary>
    public static int BodyStart(byte[] data) => data.Length >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF ? 3 : 0;

    /// <summary>Turns the reader's exception into one line naming the file, line and byte, and what is wrong.</summary>
    public static InvalidDataException Malformed(string file, byte[] data, JsonException e)
    {
        var line = (e.LineNumber ?? 0) + 1;
        var col = (e.BytePositionInLine ?? 0) + 1;
        var msg = e.Message;
        var cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) msg = msg[..cut];
        var offset = Offset(data, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
        var at = offset < data.Length ? Encoding.UTF8.GetString(data, (int)offset, (int)Math.Min(12, data.Length - offset)) : "";
        if (at.StartsWith("NaN", StringComparison.Ordinal) || at.StartsWith("Infinity", StringComparison.Ordinal) || at.StartsWith("-Infinity", StringComparison.Ordinal))
            msg = "a non-finite number (NaN or Infinity) is not valid JSON; a NaN score or coordinate is never a valid detection";
        return new InvalidDataException($"{file}: malformed JSON at line {line}, byte {col} (file offset {offset}): {msg.TrimEnd('.')}", e);
    }

    private static long Offset(byte[] data, long line, long col)
    {
        long off = 0;
        for (long l = 0; l < line && off < data.Length; off++)
            if (data[off] == (byte)'\n') l++;
        return Math.Min(off + col, data.Length);
    }

    /// <summary>Skips the current value; on a partial chunk that ends inside it, fails like malformed JSON (the caller falls back).</summary>
    public static void SkipValue(ref Utf8JsonReader r)
    {
        if (!r.TrySkip()) throw new JsonException("the value is cut off at the end of the data");
    }

    public static InvalidDataException Bad(string file, string where, string what) => new($"{file}: {where}: {what}");

    public static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    /// <summary>Reads an id (an integer; an integral float like 42.0 is accepted, as Python treats 42.0 == 42).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryId(ref Utf8JsonReader r, out long id)
    {
        id = 0;
        if (r.TokenType != JsonTokenType.Number) return false;
        if (r.TryGetInt64(out id)) return true;
        if (r.TryGetDouble(out var d) && double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9.2e18) { id = (long)d; return true; }
        return false;
    }

    /// <summary>A number; NaN when the value is not a finite number (null, string, overflow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Number(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Number)
        {
            var d = r.HasValueSequence ? (r.TryGetDouble(out var v) ? v : double.NaN) : FastNumber.Parse(r.ValueSpan);
            return double.IsFinite(d) ? d : double.NaN;
        }
        if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) JsonInput.SkipValue(ref r);
        return double.NaN;
    }

    /// <summary>Reads a flat list of finite numbers; null if the value is anything else.</summary>
    public static double[]? ReadNumbers(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            SkipValue(ref r);
            return null;
        }
        var list = new List<double>(51);
        var ok = true;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            var v = Number(ref r);
            if (double.IsNaN(v)) ok = false;
            list.Add(v);
        }
        return ok ? list.ToArray() : null;
    }

    /// <summary>Reads [x, y, w, h]; false if the value is not an array of 4 finite numbers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryBox(ref Utf8JsonReader r, out double x, out double y, out double w, out double h, out int count)
    {
        x = y = w = h = double.NaN;
        count = 0;
        if (r.TokenType != JsonTokenType.StartArray)
        {
            if (r.TokenType == JsonTokenType.StartObject) JsonInput.SkipValue(ref r);
            return false;
        }
        var ok = true;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            var v = Number(ref r);
            if (double.IsNaN(v)) ok = false;
            switch (count)
            {
                case 0: x = v; break;
                case 1: y = v; break;
                case 2: w = v; break;
                case 3: h = v; break;
            }
            count++;
        }
        return ok && count == 4;
    }

    /// <summary>Reads a COCO segmentation value; returns null with <paramref name="error"/> set when it is not one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Segmentation? ReadSegmentation(ref Utf8JsonReader r, out string? error)
    {
        error = null;
        if (r.TokenType == JsonTokenType.StartArray)
        {
            var polys = new List<double[]>();
            var flat = new List<double>();
            var sawNested = false;
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (r.TokenType == JsonTokenType.StartArray)
                {
                    sawNested = true;
                    var p = new List<double>(16);
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        var v = Number(ref r);
                        if (double.IsNaN(v)) { error = "polygon coordinate is not a finite number"; }
                        p.Add(v);
                    }
                    polys.Add(p.ToArray());
                }
                else
                {
                    var v = Number(ref r);
                    if (double.IsNaN(v)) error = "polygon coordinate is not a finite number";
                    flat.Add(v);
                }
            }
            if (error is not null) return null;
            if (sawNested && flat.Count > 0) { error = "segmentation mixes numbers and polygons"; return null; }
            if (!sawNested && flat.Count > 0) polys.Add(flat.ToArray());
            return new PolygonSegmentation(polys);
        }
        if (r.TokenType == JsonTokenType.StartObject)
        {
            int h = -1, w = -1;
            uint[]? counts = null;
            byte[]? compressed = null;
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                if (r.ValueTextEquals("size"u8))
                {
                    r.Read();
                    if (r.TokenType != JsonTokenType.StartArray) { JsonInput.SkipValue(ref r); error = "RLE 'size' is not [height, width]"; continue; }
                    var i = 0;
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        if (!r.TryGetInt32(out var v) || v < 0) { error = "RLE 'size' is not [height, width]"; v = 0; }
                        if (i == 0) h = v; else if (i == 1) w = v;
                        i++;
                    }
                    if (i != 2) error = "RLE 'size' is not [height, width]";
                }
                else if (r.ValueTextEquals("counts"u8))
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.String)
                    {
                        if (r.HasValueSequence || !r.ValueIsEscaped) compressed = r.HasValueSequence ? Encoding.UTF8.GetBytes(r.GetString()!) : r.ValueSpan.ToArray();
                        else
                        {
                            // COCO strings often hold a backslash (escaped in JSON): unescape straight to bytes
                            var buf = new byte[r.ValueSpan.Length];
                            compressed = buf.AsSpan(0, r.CopyString(buf)).ToArray();
                        }
                    }
                    else if (r.TokenType == JsonTokenType.StartArray)
                    {
                        var c = new List<uint>();
                        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                        {
                            if (!r.TryGetUInt32(out var v)) { error = "RLE 'counts' entry is not a non-negative integer"; v = 0; }
                            c.Add(v);
                        }
                        counts = c.ToArray();
                    }
                    else { JsonInput.SkipValue(ref r); error = "RLE 'counts' is neither a string nor a list"; }
                }
                else { r.Read(); JsonInput.SkipValue(ref r); }
            }
            if (error is not null) return null;
            if (h < 0 || w < 0 || (counts is null && compressed is null)) { error = "RLE segmentation needs 'size' and 'counts'"; return null; }
            if (counts is not null)
            {
                ulong sum = 0;
                foreach (var c in counts) sum += c;
                if (sum != (ulong)h * (ulong)w) { error = $"RLE counts sum to {sum}, not height*width = {(long)h * w}"; return null; }
            }
            return new RleSegmentation(h, w, counts, compressed);
        }
        error = $"segmentation is {Describe(r.TokenType)}, expected polygons or an RLE object";
        JsonInput.SkipValue(ref r);
        return null;
    }
}
