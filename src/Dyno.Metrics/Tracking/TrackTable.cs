using System.Runtime.CompilerServices;
namespace Dyno.Metrics.Tracking;

/// <summary>
/// The rows of one tracking file (ground truth or tracker output) for one sequence, column by
/// column and stably sorted by frame (rows of one frame keep their file order, which decides
/// how assignment ties resolve, as in py-motmetrics and TrackEval). Boxes are (x, y, width, height)
/// in pixels as written in the file; <see cref="Class"/> is −1 and <see cref="Visibility"/> 1 when
/// the file has no such column.
/// </summary>
public sealed class TrackTable
{
    /// <summary>Builds a table from parallel columns (copied, then stably sorted by frame).</summary>
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TrackTable(int[] frame, int[] id, double[] x, double[] y, double[] w, double[] h,
        double[]? confidence = null, int[]? cls = null, double[]? visibility = null, int[]? line = null)
        : this(frame, id, x, y, w, h, confidence, cls, visibility, line, owned: false)
    {
    }

    // owned: the arrays are fresh (from a reader) and may be kept as they are when already sorted.
    internal TrackTable(int[] frame, int[] id, double[] x, double[] y, double[] w, double[] h,
        double[]? confidence, int[]? cls, double[]? visibility, int[]? line, bool owned)
    {
        var n = frame.Length;
        if (id.Length != n || x.Length != n || y.Length != n || w.Length != n || h.Length != n
            || (confidence?.Length ?? n) != n || (cls?.Length ?? n) != n || (visibility?.Length ?? n) != n || (line?.Length ?? n) != n)
            throw new ArgumentException("TrackTable columns must all have the same length");
        var sorted = true;
        for (var i = 1; i < n && sorted; i++) sorted = frame[i - 1] <= frame[i];
        int[]? order = null; // null: keep the arrays as they are
        if (!sorted || !owned)
        {
            order = new int[n];
            for (var i = 0; i < n; i++) order[i] = i;
        }
        if (!sorted)
        {
            var keys = new long[n];
            for (var i = 0; i < n; i++) keys[i] = ((long)frame[i] << 32) | (uint)i;
            Array.Sort(keys, order!);
        }
        Frame = Pick(frame, order);
        Id = Pick(id, order);
        X = Pick(x, order);
        Y = Pick(y, order);
        W = Pick(w, order);
        H = Pick(h, order);
        Confidence = confidence is null ? Filled(n, 1.0) : Pick(confidence, order);
        Class = cls is null ? Filled(n, -1) : Pick(cls, order);
        Visibility = visibility is null ? Filled(n, 1.0) : Pick(visibility, order);
        Line = line is null ? Pick(Enumerable.Range(1, n).ToArray(), order) : Pick(line, order);
        static T[] Pick<T>(T[] a, int[]? order) => order is null ? a : TrackTable.Pick(a, order);
    }

    /// <summary>Frame number of each row (1-based in MOTChallenge files, 0-based in KITTI).</summary>
    public int[] Frame { get; }
    /// <summary>Track id of each row.</summary>
    public int[] Id { get; }
    /// <summary>Left edge.</summary>
    public double[] X { get; }
    /// <summary>Top edge.</summary>
    public double[] Y { get; }
    /// <summary>Width.</summary>
    public double[] W { get; }
    /// <summary>Height.</summary>
    public double[] H { get; }
    /// <summary>Column 7: confidence for trackers, the "consider" flag (0 = zero-marked) for ground truth.</summary>
    public double[] Confidence { get; }
    /// <summary>Column 8: class id (MOT16/17/20 ground truth), −1 when the file has no class column (MOT15, trackers).</summary>
    public int[] Class { get; }
    /// <summary>Column 9: visibility ratio (MOT16/17/20 ground truth), 1 when the file has no class/visibility columns.</summary>
    public double[] Visibility { get; }
    /// <summary>1-based line number of each row in its file (for error messages).</summary>
    public int[] Line { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Frame.Length;

    /// <summary>An empty table.</summary>
    public static TrackTable Empty { get; } = new([], [], [], [], [], []);

    /// <summary>Largest frame number, or 0 when empty.</summary>
    public int MaxFrame => Count == 0 ? 0 : Frame[^1];

    /// <summary>The rows whose <paramref name="keep"/> flag is set, in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TrackTable Where(bool[] keep)
    {
        var idx = new List<int>(Count);
        for (var i = 0; i < Count; i++) if (keep[i]) idx.Add(i);
        var o = idx.ToArray();
        return new TrackTable(Pick(Frame, o), Pick(Id, o), Pick(X, o), Pick(Y, o), Pick(W, o), Pick(H, o),
            Pick(Confidence, o), Pick(Class, o), Pick(Visibility, o), Pick(Line, o), owned: true);
    }

    /// <summary>Start row of each frame 0..<paramref name="frames"/> (frame numbers offset by <paramref name="firstFrame"/>), CSR style.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal int[] FrameStarts(int firstFrame, int frames)
    {
        var starts = new int[frames + 1];
        var r = 0;
        for (var t = 0; t < frames; t++)
        {
            starts[t] = r;
            while (r < Count && Frame[r] - firstFrame == t) r++;
        }
        starts[frames] = r;
        return starts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T[] Pick<T>(T[] a, int[] order)
    {
        var r = new T[order.Length];
        for (var i = 0; i < order.Length; i++) r[i] = a[order[i]];
        return r;
    }

    private static T[] Filled<T>(int n, T v)
    {
        var r = new T[n];
        Array.Fill(r, v);
        return r;
    }
}
