using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Detection;

/// <summary>
/// A strict parser for the common shape of a bbox results chunk — flat objects whose values are
/// numbers or lists of numbers, keys without escapes — about twice as fast as the general reader.
/// It validates the JSON grammar of everything it accepts and gives up (returns null) on anything
/// else (strings, nested objects, literals, a missing field, a bad box, a non-finite number), so the
/// caller reparses that chunk with <see cref="System.Text.Json.Utf8JsonReader"/>, which produces the
/// exact result or error. Both paths therefore accept the same files and yield the same records.
/// For segm evaluation it also reads the two common <c>segmentation</c> shapes: an RLE object
/// <c>{"size": [h, w], "counts": "..."}</c> (the string kept as a slice of the file buffer when the
/// caller owns it, <see cref="Masks.CompressedRleSlice"/>; its only escapes may be <c>\</c>) and a list
/// of non-empty polygons; any other shape goes to the reader.
/// </summary>
internal static class FastResultsParser
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static CocoDetections.RawChunk? TryParse(ReadOnlySpan<byte> s, bool isFinalBlock) => TryParse(s, isFinalBlock, false, null, 0);

    /// <summary>
    /// <paramref name="withSegm"/>: read (and keep) each record's segmentation; RLE strings become slices
    /// of <paramref name="buffer"/> (the array <paramref name="s"/> starts at <paramref name="bufferOffset"/> in)
    /// when it is given, copies otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static CocoDetections.RawChunk? TryParse(ReadOnlySpan<byte> s, bool isFinalBlock, bool withSegm, byte[]? buffer, int bufferOffset)
    {
        var seg = withSegm ? new SegmContext(buffer, bufferOffset) : null;
        // about 90 bytes a box record; a record with a mask a few hundred (val2017-like: 311). An estimate
        // a little high, as a list that outgrows it doubles
        var c = new CocoDetections.RawChunk(Math.Max(16, s.Length / (withSegm ? 280 : 90)));
        var p = 0;
        SkipWs(s, ref p);
        if (p >= s.Length || s[p] != '[') return null;
        p++;
        SkipWs(s, ref p);
        if (p < s.Length && s[p] == ']') return null; // empty list: let the reader handle the edge cases
        while (true)
        {
            if (!ParseRecord(s, ref p, c, seg)) return null;
            SkipWs(s, ref p);
            if (p >= s.Length)
            {
                if (isFinalBlock) return null;
                break; // a partial chunk ends between records
            }
            if (s[p] == ',') { p++; SkipWs(s, ref p); continue; }
            if (s[p] == ']' && isFinalBlock)
            {
                p++;
                SkipWs(s, ref p);
                if (p != s.Length) return null;
                break;
            }
            return null;
        }
        c.BoxBranch = true;
        c.EndedCleanly = true;
        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkipWs(ReadOnlySpan<byte> s, ref int p)
    {
        while (p < s.Length && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t')) p++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ParseRecord(ReadOnlySpan<byte> s, ref int p, CocoDetections.RawChunk c, SegmContext? seg)
    {
        Masks.Segmentation? segm = null;
        if (p >= s.Length || s[p] != '{') return false;
        p++;
        long img = 0, cat = 0;
        double score = 0, x = 0, y = 0, w = 0, h = 0;
        bool hasImg = false, hasCat = false, hasScore = false, hasBox = false;
        SkipWs(s, ref p);
        while (true)
        {
            if (!Key(s, ref p, out var key)) return false;
            if (key.SequenceEqual("bbox"u8))
            {
                if (p >= s.Length || s[p] != '[') return false;
                p++;
                SkipWs(s, ref p);
                var n = 0;
                while (true)
                {
                    if (!Number(s, ref p, out var v)) return false;
                    switch (n++)
                    {
                        case 0: x = v; break;
                        case 1: y = v; break;
                        case 2: w = v; break;
                        case 3: h = v; break;
                        default: return false;
                    }
                    SkipWs(s, ref p);
                    if (p < s.Length && s[p] == ',') { p++; SkipWs(s, ref p); continue; }
                    if (p < s.Length && s[p] == ']') { p++; break; }
                    return false;
                }
                if (n != 4) return false;
                hasBox = true;
            }
            else if (key.SequenceEqual("score"u8)) { if (!Number(s, ref p, out score)) return false; hasScore = true; }
            else if (key.SequenceEqual("image_id"u8)) { if (!Id(s, ref p, out img)) return false; hasImg = true; }
            else if (key.SequenceEqual("category_id"u8)) { if (!Id(s, ref p, out cat)) return false; hasCat = true; }
            else if (key.SequenceEqual("segmentation"u8))
            {
                if (seg is null || !Segmentation(s, ref p, seg, out segm)) return false;
            }
            else if (!SkipNumbers(s, ref p)) return false;
            SkipWs(s, ref p);
            if (p >= s.Length) return false;
            if (s[p] == ',') { p++; SkipWs(s, ref p); continue; }
            if (s[p] == '}') { p++; break; }
            return false;
        }
        if (!(hasImg && hasCat && hasScore && hasBox)) return false;
        c.Img.Add(img); c.Cat.Add(cat); c.Score.Add(score);
        c.X.Add(x); c.Y.Add(y); c.W.Add(w); c.H.Add(h);
        if (seg is not null) (c.Segm ??= new(c.Img.Capacity)).Add(segm); // no SegmError list: none has one
        return true;
    }

    /// <summary>Where RLE strings are kept, and a reusable list for polygon coordinates.</summary>
    private sealed class SegmContext(byte[]? buffer, int bufferOffset)
    {
        public readonly byte[]? Buffer = buffer;
        public readonly int Offset = bufferOffset;
        public readonly List<double> Coords = new(64);
    }

    /// <summary>An RLE object with a compressed string, or a list of non-empty polygons; false for anything else.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Segmentation(ReadOnlySpan<byte> s, ref int p, SegmContext seg, out Masks.Segmentation? segm)
    {
        segm = null;
        if (p >= s.Length) return false;
        if (s[p] == '{')
        {
            p++;
            SkipWs(s, ref p);
            int h = -1, w = -1, c0 = -1, c1 = -1;
            var escaped = false;
            while (true)
            {
                if (!Key(s, ref p, out var key)) return false;
                if (key.SequenceEqual("size"u8) && h < 0)
                {
                    if (p >= s.Length || s[p] != '[') return false;
                    p++;
                    SkipWs(s, ref p);
                    if (!Size(s, ref p, out h)) return false;
                    SkipWs(s, ref p);
                    if (p >= s.Length || s[p] != ',') return false;
                    p++;
                    SkipWs(s, ref p);
                    if (!Size(s, ref p, out w)) return false;
                    SkipWs(s, ref p);
                    if (p >= s.Length || s[p] != ']') return false;
                    p++;
                }
                else if (key.SequenceEqual("counts"u8) && c0 < 0)
                {
                    if (p >= s.Length || s[p] != '"') return false;
                    c0 = ++p;
                    while (true)
                    {
                        // vectorised: to the next quote or backslash, nothing outside printable ASCII before it
                        var q = s[p..].IndexOfAny((byte)'"', (byte)'\\');
                        if (q < 0 || s.Slice(p, q).IndexOfAnyExceptInRange((byte)0x20, (byte)0x7f) >= 0) return false;
                        p += q;
                        if (s[p] == '"') break;
                        // the backslash of COCO's alphabet; any other escape goes to the reader
                        if (p + 1 >= s.Length || s[p + 1] != '\\') return false;
                        escaped = true;
                        p += 2;
                    }
                    c1 = p;
                    p++;
                }
                else return false;
                SkipWs(s, ref p);
                if (p >= s.Length) return false;
                if (s[p] == ',') { p++; SkipWs(s, ref p); continue; }
                if (s[p] == '}') { p++; break; }
                return false;
            }
            if (h < 0 || c0 < 0) return false;
            if (seg.Buffer is not null) segm = new Masks.CompressedRleSlice(h, w, seg.Buffer, seg.Offset + c0, c1 - c0, escaped);
            else
            {
                var raw = s[c0..c1];
                var bytes = new byte[raw.Length];
                var n = 0;
                for (var i = 0; i < raw.Length; i++)
                {
                    if (raw[i] == '\\') i++;
                    bytes[n++] = raw[i];
                }
                segm = new Masks.RleSegmentation(h, w, null, n == bytes.Length ? bytes : bytes.AsSpan(0, n).ToArray());
            }
            return true;
        }
        if (s[p] != '[') return false;
        if (seg.Buffer is not null)
        {
            // kept as text (converted when the mask is needed); no exponents, so every number is finite
            var v0 = p;
            p++;
            SkipWs(s, ref p);
            while (true)
            {
                if (p >= s.Length || s[p] != '[') return false;
                p++;
                SkipWs(s, ref p);
                while (true)
                {
                    var n0 = p;
                    if (!ScanNumber(s, ref p, out _) || p - n0 > 300 || s[n0..p].IndexOfAny((byte)'e', (byte)'E') >= 0) return false;
                    SkipWs(s, ref p);
                    if (p < s.Length && s[p] == ',') { p++; SkipWs(s, ref p); continue; }
                    if (p < s.Length && s[p] == ']') { p++; break; }
                    return false;
                }
                SkipWs(s, ref p);
                if (p < s.Length && s[p] == ',') { p++; SkipWs(s, ref p); continue; }
                if (p < s.Length && s[p] == ']') { p++; break; }
                return false;
            }
            segm = new Masks.PolygonSlice(seg.Buffer, seg.Offset + v0, p - v0);
            return true;
        }
        p++;
        SkipWs(s, ref p);
        var polys = new List<double[]>(1);
        while (true)
        {
            if (p >= s.Length || s[p] != '[') return false; // flat lists and [] go to the reader
            p++;
            SkipWs(s, ref p);
            var coords = seg.Coords;
            coords.Clear();
            while (true)
            {
                if (!Number(s, ref p, out var v)) return false;
                coords.Add(v);
                SkipWs(s, ref p);
                if (p < s.Length && s[p] == ',') { p++; SkipWs(s, ref p); continue; }
                if (p < s.Length && s[p] == ']') { p++; break; }
                return false;
            }
            polys.Add(coords.ToArray());
            SkipWs(s, ref p);
            if (p < s.Length && s[p] == ',') { p++; SkipWs(s, ref p); continue; }
            if (p < s.Length && s[p] == ']') { p++; break; }
            return false;
        }
        segm = new Masks.PolygonSegmentation(polys);
        return true;
    }

    /// <summary>An RLE size entry: a non-negative integer that fits an int (the reader's TryGetInt32, v ≥ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Size(ReadOnlySpan<byte> s, ref int p, out int v)
    {
        v = 0;
        var start = p;
        if (!ScanNumber(s, ref p, out var integral) || !integral || s[start] == '-' || p - start > 9) return false;
        for (var i = start; i < p; i++) v = v * 10 + (s[i] - '0');
        return true;
    }

    /// <summary>A value that is a number or a flat list of numbers (other keys are ignored, as by the reader).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SkipNumbers(ReadOnlySpan<byte> s, ref int p)
    {
        if (p < s.Length && s[p] == '[')
        {
            p++;
            SkipWs(s, ref p);
            if (p < s.Length && s[p] == ']') { p++; return true; }
            while (true)
            {
                if (!Number(s, ref p, out _)) return false;
                SkipWs(s, ref p);
                if (p < s.Length && s[p] == ',') { p++; SkipWs(s, ref p); continue; }
                if (p < s.Length && s[p] == ']') { p++; return true; }
                return false;
            }
        }
        return Number(s, ref p, out _);
    }

    /// <summary>A JSON number (RFC 8259 grammar), finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Number(ReadOnlySpan<byte> s, ref int p, out double v)
    {
        v = 0;
        var start = p;
        if (!ScanNumber(s, ref p, out _)) return false;
        v = FastNumber.Parse(s[start..p]);
        return double.IsFinite(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ScanNumber(ReadOnlySpan<byte> s, ref int p, out bool integral)
    {
        integral = true;
        if (p < s.Length && s[p] == '-') p++;
        if (p >= s.Length) return false;
        if (s[p] == '0') p++;
        else if (s[p] >= '1' && s[p] <= '9') { while (p < s.Length && (uint)(s[p] - '0') <= 9) p++; }
        else return false;
        if (p < s.Length && s[p] == '.')
        {
            integral = false;
            p++;
            if (p >= s.Length || (uint)(s[p] - '0') > 9) return false;
            while (p < s.Length && (uint)(s[p] - '0') <= 9) p++;
        }
        if (p < s.Length && (s[p] == 'e' || s[p] == 'E'))
        {
            integral = false;
            p++;
            if (p < s.Length && (s[p] == '+' || s[p] == '-')) p++;
            if (p >= s.Length || (uint)(s[p] - '0') > 9) return false;
            while (p < s.Length && (uint)(s[p] - '0') <= 9) p++;
        }
        // a number must be followed by a delimiter (the reader rejects "12abc")
        return p >= s.Length || s[p] is (byte)',' or (byte)']' or (byte)'}' or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t';
    }

    /// <summary>An id: an integer, or an integral float (as <see cref="JsonInput.TryId"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Id(ReadOnlySpan<byte> s, ref int p, out long id)
    {
        id = 0;
        var start = p;
        if (!ScanNumber(s, ref p, out var integral)) return false;
        var t = s[start..p];
        if (integral && t.Length <= 18)
        {
            var neg = t[0] == '-';
            long v = 0;
            for (var i = neg ? 1 : 0; i < t.Length; i++) v = v * 10 + (t[i] - '0');
            id = neg ? -v : v;
            return true;
        }
        if (integral) return false; // long ids: leave to the reader
        var d = FastNumber.Parse(t);
        if (!double.IsFinite(d) || Math.Floor(d) != d || Math.Abs(d) >= 9.2e18) return false;
        id = (long)d;
        return true;
    }

    /// <summary>A plain-ASCII object key and its colon (anything else: false, and the general reader takes the chunk).</summary>
    private static bool Key(ReadOnlySpan<byte> s, ref int p, out ReadOnlySpan<byte> key)
    {
        key = default;
        if (p >= s.Length || s[p] != '"') return false;
        var k0 = ++p;
        while (p < s.Length && s[p] != '"')
        {
            var b = s[p];
            if (b == '\\' || b < 0x20 || b >= 0x80) return false;
            p++;
        }
        if (p >= s.Length) return false;
        key = s[k0..p];
        p++;
        SkipWs(s, ref p);
        if (p >= s.Length || s[p] != ':') return false;
        p++;
        SkipWs(s, ref p);
        return true;
    }
}
