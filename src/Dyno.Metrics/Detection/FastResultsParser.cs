using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Detection;

/// <summary>
/// A strict parser for the common shape of a bbox results chunk — flat objects whose values are
/// numbers or lists of numbers, keys without escapes — about twice as fast as the general reader.
/// It validates the JSON grammar of everything it accepts and gives up (returns null) on anything
/// else (strings, nested objects, literals, a missing field, a bad box, a non-finite number), so the
/// caller reparses that chunk with <see cref="System.Text.Json.Utf8JsonReader"/>, which produces the
/// exact result or error. Both paths therefore accept the same files and yield the same records.
/// </summary>
internal static class FastResultsParser
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static CocoDetections.RawChunk? TryParse(ReadOnlySpan<byte> s, bool isFinalBlock)
    {
        var c = new CocoDetections.RawChunk(Math.Max(16, s.Length / 90));
        var p = 0;
        SkipWs(s, ref p);
        if (p >= s.Length || s[p] != '[') return null;
        p++;
        SkipWs(s, ref p);
        if (p < s.Length && s[p] == ']') return null; // empty list: let the reader handle the edge cases
        while (true)
        {
            if (!ParseRecord(s, ref p, c)) return null;
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
    private static bool ParseRecord(ReadOnlySpan<byte> s, ref int p, CocoDetections.RawChunk c)
    {
        if (p >= s.Length || s[p] != '{') return false;
        p++;
        long img = 0, cat = 0;
        double score = 0, x = 0, y = 0, w = 0, h = 0;
        bool hasImg = false, hasCat = false, hasScore = false, hasBox = false;
        SkipWs(s, ref p);
        while (true)
        {
            if (p >= s.Length || s[p] != '"') return false;
            var k0 = ++p;
            while (p < s.Length && s[p] != '"')
            {
                var b = s[p];
                if (b == '\\' || b < 0x20 || b >= 0x80) return false;
                p++;
            }
            if (p >= s.Length) return false;
            var key = s[k0..p];
            p++;
            SkipWs(s, ref p);
            if (p >= s.Length || s[p] != ':') return false;
            p++;
            SkipWs(s, ref p);
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
            else if (key.SequenceEqual("segmentation"u8)) return false;
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
}
