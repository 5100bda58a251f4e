using System.Runtime.CompilerServices;
using System.Globalization;

namespace Dyno.Metrics.Tracking;

/// <summary>
/// Readers for the two tracking text formats: MOTChallenge
/// (<c>frame, id, x, y, w, h, conf, class, visibility[, unused]</c>, comma or whitespace separated)
/// and KITTI tracking (<c>frame track type truncated occluded alpha x1 y1 x2 y2 ...</c>).
/// </summary>
public static class TrackFileReader
{
    /// <summary>Reads a MOTChallenge text file (gt.txt or a tracker's SEQ.txt).</summary>
    /// <exception cref="InvalidDataException">A line has too few fields, a non-numeric field or a non-integer frame/id.</exception>
    public static TrackTable ReadMotChallenge(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return ParseMotChallenge(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses MOTChallenge text already in memory; <paramref name="name"/> labels error messages.</summary>
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TrackTable ParseMotChallenge(ReadOnlySpan<byte> text, string name)
    {
        var cap = text.Count((byte)'\n') + 1;
        var frame = new int[cap]; var id = new int[cap];
        var x = new double[cap]; var y = new double[cap]; var w = new double[cap]; var h = new double[cap];
        var conf = new double[cap]; var cls = new int[cap]; var vis = new double[cap]; var lines = new int[cap];
        Span<double> f = stackalloc double[10];
        var lineNo = 0;
        var n = 0;
        var motClasses = true;
        while (text.Length > 0)
        {
            lineNo++;
            var nl = text.IndexOf((byte)'\n');
            var line = nl < 0 ? text : text[..nl];
            text = nl < 0 ? default : text[(nl + 1)..];
            var fields = SplitNumbers(line, f, name, lineNo);
            if (fields == 0) continue;
            if (fields < 6) throw new InvalidDataException($"{name}: line {lineNo}: {fields} fields, a MOTChallenge row needs at least 6 (frame, id, x, y, w, h)");
            frame[n] = Frame(f[0], name, lineNo);
            id[n] = ToInt(f[1], name, lineNo, "id");
            x[n] = f[2]; y[n] = f[3]; w[n] = f[4]; h[n] = f[5];
            if (!(f[4] >= 0 && f[5] >= 0))
                throw new InvalidDataException($"{name}: line {lineNo}: negative box size (width {f[4].ToString(CultureInfo.InvariantCulture)}, height {f[5].ToString(CultureInfo.InvariantCulture)})");
            conf[n] = fields > 6 ? f[6] : 1.0;
            // MOT16/17/20 ground truth has class and visibility in columns 8-9; MOT15 has world
            // coordinates there (TUD-Stadtmitte: 4.4852, 5.5016), so they only count as classes when
            // every row holds a MOTChallenge class id (checked below).
            cls[n] = fields > 7 && f[7] == Math.Floor(f[7]) && f[7] >= 1 && f[7] <= 13 ? (int)f[7] : -1;
            vis[n] = fields > 8 ? f[8] : 1.0;
            if (fields <= 8 || cls[n] < 0 || !(f[8] >= 0 && f[8] <= 1)) motClasses = false;
            lines[n] = lineNo;
            n++;
        }
        Trim(ref frame, n); Trim(ref id, n); Trim(ref x, n); Trim(ref y, n); Trim(ref w, n); Trim(ref h, n);
        Trim(ref conf, n); Trim(ref cls, n); Trim(ref vis, n); Trim(ref lines, n);
        if (!motClasses || n == 0)
            return new TrackTable(frame, id, x, y, w, h, conf, null, null, lines, owned: true);
        return new TrackTable(frame, id, x, y, w, h, conf, cls, vis, lines, owned: true);
    }

    private static void Trim<T>(ref T[] a, int n)
    {
        if (a.Length != n) Array.Resize(ref a, n);
    }

    /// <summary>
    /// Reads a KITTI tracking label or result file. Rows whose type is in <paramref name="classes"/> (all types when null) are kept; boxes are converted from corners to (x, y, w, h);
    /// frames are shifted by +1 so that they are 1-based like MOTChallenge. The score column (18th) is
    /// the confidence when present; DontCare rows are dropped.
    /// </summary>
    public static TrackTable ReadKitti(string path, IReadOnlyCollection<string>? classes = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var frame = new List<int>(); var id = new List<int>();
        var x = new List<double>(); var y = new List<double>(); var w = new List<double>(); var h = new List<double>();
        var conf = new List<double>(); var lines = new List<int>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var p = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (p.Length == 0) continue;
            if (p.Length < 10) throw new InvalidDataException($"{path}: line {lineNo}: {p.Length} fields, a KITTI tracking row needs at least 10 (frame track type truncated occluded alpha x1 y1 x2 y2)");
            var type = p[2];
            if (type == "DontCare") continue;
            if (classes is not null && !classes.Contains(type, StringComparer.OrdinalIgnoreCase)) continue;
            double Num(int i, string what) => double.TryParse(p[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v : throw new InvalidDataException($"{path}: line {lineNo}: {what} '{p[i]}' is not a number");
            frame.Add(Frame(Num(0, "frame") + 1, path, lineNo));
            id.Add(ToInt(Num(1, "track id"), path, lineNo, "track id"));
            double x1 = Num(6, "x1"), y1 = Num(7, "y1"), x2 = Num(8, "x2"), y2 = Num(9, "y2");
            x.Add(x1); y.Add(y1); w.Add(x2 - x1); h.Add(y2 - y1);
            conf.Add(p.Length > 17 ? Num(17, "score") : 1.0);
            lines.Add(lineNo);
        }
        return new TrackTable(frame.ToArray(), id.ToArray(), x.ToArray(), y.ToArray(), w.ToArray(), h.ToArray(),
            conf.ToArray(), null, null, lines.ToArray());
    }

    /// <summary>Largest frame number accepted: per-frame tables are sized by it (ten million frames is 46 hours at 60 fps).</summary>
    public const int MaxFrame = 10_000_000;

    private static int Frame(double v, string name, int line)
    {
        var frame = ToInt(v, name, line, "frame");
        if (frame is < 0 or > MaxFrame)
            throw new InvalidDataException($"{name}: line {line}: frame {frame} is outside 0..{MaxFrame:D} (frames are video frame numbers)");
        return frame;
    }

    private static int ToInt(double v, string name, int line, string what)
    {
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            throw new InvalidDataException($"{name}: line {line}: {what} {v.ToString(CultureInfo.InvariantCulture)} is not an integer");
        return (int)v;
    }

    // Splits one line on commas/whitespace and parses up to 10 numbers; returns how many fields it had.
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SplitNumbers(ReadOnlySpan<byte> line, Span<double> into, string name, int lineNo)
    {
        var n = 0;
        var i = 0;
        while (true)
        {
            while (i < line.Length && IsSpace(line[i])) i++;
            if (i >= line.Length) break;
            var start = i;
            while (i < line.Length && line[i] != ',' && !IsSpace(line[i])) i++;
            var field = line[start..i];
            if (n < into.Length) into[n] = ParseDouble(field, name, lineNo, n + 1);
            n++;
            while (i < line.Length && IsSpace(line[i])) i++;
            if (i < line.Length && line[i] == ',') i++;
        }
        return n;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r';

    private static readonly double[] Pow10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>
    /// Correctly rounded decimal → double. Plain decimals with at most 15 significant digits take
    /// Clinger's exact fast path (an exact integer divided by an exact power of ten); anything else
    /// goes to <see cref="double.Parse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider)"/>.
    /// </summary>
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double ParseDouble(ReadOnlySpan<byte> s, string name, int lineNo, int field)
    {
        var i = 0;
        var neg = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; i = 1; }
        long mant = 0;
        var digits = 0;
        var frac = 0;
        var seenDot = false;
        var any = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c >= '0' && c <= '9')
            {
                any = true;
                if (mant == 0 && c == '0') { if (seenDot) frac++; continue; }
                if (++digits > 15) goto Slow;
                mant = mant * 10 + (c - '0');
                if (seenDot) frac++;
            }
            else if (c == '.' && !seenDot) seenDot = true;
            else goto Slow;
        }
        if (!any) goto Slow;
        if (frac > 22) goto Slow;
        var v = frac == 0 ? mant : mant / Pow10[frac];
        return neg ? -v : v;
    Slow:
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return d;
        throw new InvalidDataException($"{name}: line {lineNo}: field {field} '{System.Text.Encoding.UTF8.GetString(s)}' is not a finite number");
    }
}
