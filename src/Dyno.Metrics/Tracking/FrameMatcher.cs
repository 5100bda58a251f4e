using System.Runtime.CompilerServices;
using Dyno.Metrics.Assignment;

namespace Dyno.Metrics.Tracking;

/// <summary>
/// The per-frame Hungarian matching of TrackEval and py-motmetrics, made sparse without changing its
/// outcome. The reference tools run SciPy's solver on the whole gt × tracker matrix, where every
/// non-candidate pair costs 0; the candidate pairs it returns form a maximum-weight matching of the
/// candidate graph. When that matching is unique, solving each connected component separately gives
/// the same pairs, so: isolated candidate pairs are matched directly, a star takes its strictly
/// heaviest edge, and every larger component is solved with <see cref="LinearAssignment"/> and its
/// optimum tested for uniqueness on the dual (see IsUniqueOptimum). If any component ties, the whole
/// frame is solved on the dense matrix instead, so ties resolve exactly as in SciPy.
/// </summary>
internal sealed class FrameMatcher(bool alwaysDense = false)
{
    private int[] _parent = new int[64];
    private int[] _count = new int[64];
    private int[] _edgeRoot = new int[64];
    private int[] _order = new int[64];
    private int[] _colComp = new int[32];
    private int[] _colLocal = new int[32];
    private double[] _dense = new double[256];
    private readonly List<int> _edgesOfComp = [];
    private readonly List<int> _matchOfRow = [];
    private readonly List<int> _arcFrom = [], _arcTo = [], _tight = [], _stack = [];
    private readonly List<double> _arcCost = [];
    private double[] _pi = new double[64];
    private int[] _indeg = new int[64];
    private int[] _adjStart = new int[64];
    private int[] _adj = new int[64];
    private int[] _fill = new int[64];
    private readonly List<int> _compRows = [];
    private readonly List<int> _compCols = [];
    private readonly List<int> _edgeRow = [], _edgeCol = [];
    private readonly List<double> _edgeCost = [];
    private Func<int, int, bool>? _denseKeep;

    /// <summary>Number of frames solved on the dense matrix (ties); for diagnostics.</summary>
    public int DenseFallbacks { get; private set; }

    /// <summary>Rows of the pairs matched by the last <see cref="Match"/>, ascending.</summary>
    public List<int> Rows { get; } = [];
    /// <summary>Columns of the pairs matched by the last <see cref="Match"/>.</summary>
    public List<int> Cols { get; } = [];

    /// <summary>Starts a new frame: forgets the previous frame's candidate pairs.</summary>
    public void Clear()
    {
        _edgeRow.Clear();
        _edgeCol.Clear();
        _edgeCost.Clear();
    }

    /// <summary>Adds a candidate pair with its (negative) cost.</summary>
    public void AddEdge(int row, int col, double cost)
    {
        _edgeRow.Add(row);
        _edgeCol.Add(col);
        _edgeCost.Add(cost);
    }

    /// <summary>
    /// Matches a G × K frame whose candidate pairs (negative cost) were added with <see cref="AddEdge"/>;
    /// all other pairs cost 0. <paramref name="fillDense"/> writes the full row-major cost matrix when
    /// needed; of its assignment, the pairs with negative cost are kept, or those <paramref name="denseKeep"/>
    /// accepts. The matched candidate pairs end up in <see cref="Rows"/>/<see cref="Cols"/>, sorted by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Match(int G, int K, Action<double[]> fillDense, Func<int, int, bool>? denseKeep = null)
    {
        List<int> rows = Rows, cols = Cols;
        _denseKeep = denseKeep;
        MatchUnsorted(G, K, _edgeRow, _edgeCol, _edgeCost, fillDense, rows, cols);
        // Row order, as SciPy returns them: sums over the matches then add up in the reference's order.
        for (var i = 1; i < rows.Count; i++)
        {
            int r = rows[i], c = cols[i], j = i - 1;
            for (; j >= 0 && rows[j] > r; j--) { rows[j + 1] = rows[j]; cols[j + 1] = cols[j]; }
            rows[j + 1] = r;
            cols[j + 1] = c;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MatchUnsorted(int G, int K, List<int> edgeRow, List<int> edgeCol, List<double> edgeCost,
        Action<double[]> fillDense, List<int> rows, List<int> cols)
    {
        rows.Clear();
        cols.Clear();
        var n = edgeRow.Count;
        if (n == 0) return;
        if (alwaysDense)
        {
            SolveDense(G, K, fillDense, rows, cols);
            return;
        }
        Ensure(ref _parent, G + K);
        for (var i = 0; i < G + K; i++) _parent[i] = i;
        for (var e = 0; e < n; e++)
        {
            var a = Find(edgeRow[e]);
            var b = Find(G + edgeCol[e]);
            if (a != b) _parent[a] = b;
        }
        // Bucket edges by component root (counting sort); isolated edges are matched directly.
        Ensure(ref _count, G + K + 1);
        Ensure(ref _edgeRoot, n);
        Ensure(ref _order, n);
        Array.Clear(_count, 0, G + K + 1);
        for (var e = 0; e < n; e++) { _edgeRoot[e] = Find(edgeRow[e]); _count[_edgeRoot[e] + 1]++; }
        var hard = false;
        for (var e = 0; e < n; e++)
            if (_count[_edgeRoot[e] + 1] == 1) { rows.Add(edgeRow[e]); cols.Add(edgeCol[e]); }
            else hard = true;
        if (!hard) return;
        for (var i = 1; i <= G + K; i++) _count[i] += _count[i - 1];
        for (var e = 0; e < n; e++) _order[_count[_edgeRoot[e]]++] = e; // _count[r] ends as the end of bucket r
        var begin = 0;
        while (begin < n)
        {
            var root = _edgeRoot[_order[begin]];
            var end = begin;
            while (end < n && _edgeRoot[_order[end]] == root) end++;
            if (end - begin > 1)
            {
                _edgesOfComp.Clear();
                for (var q = begin; q < end; q++) _edgesOfComp.Add(_order[q]);
                if (!SolveComponent(G, edgeRow, edgeCol, edgeCost, rows, cols))
                {
                    DenseFallbacks++;
                    rows.Clear();
                    cols.Clear();
                    SolveDense(G, K, fillDense, rows, cols);
                    return;
                }
            }
            begin = end;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SolveComponent(int G, List<int> edgeRow, List<int> edgeCol, List<double> edgeCost, List<int> rows, List<int> cols)
    {
        _compRows.Clear();
        _compCols.Clear();
        foreach (var e in _edgesOfComp) { _compRows.Add(edgeRow[e]); _compCols.Add(edgeCol[e]); }
        Distinct(_compRows);
        Distinct(_compCols);
        int nr = _compRows.Count, nc = _compCols.Count;
        if (nr == 1 || nc == 1)
        {
            // A star: the optimum is its heaviest edge, unique iff strictly heavier than the runner-up.
            int bestEdge = -1;
            double top = 0, second = 0;
            foreach (var e in _edgesOfComp)
            {
                var w = -edgeCost[e];
                if (w > top) { second = top; top = w; bestEdge = e; }
                else if (w > second) second = w;
            }
            if (top - second <= 1e-9 * Math.Max(1, top)) return false;
            rows.Add(edgeRow[bestEdge]);
            cols.Add(edgeCol[bestEdge]);
            return true;
        }
        Ensure(ref _dense, nr * nc);
        Ensure(ref _colLocal, G + 1);
        Ensure(ref _colComp, Math.Max(_compCols[^1], _compRows[^1]) + 1);
        for (var i = 0; i < nr; i++) _colLocal[_compRows[i]] = i;      // row -> local row
        for (var j = 0; j < nc; j++) _colComp[_compCols[j]] = j;       // col -> local col
        Array.Clear(_dense, 0, nr * nc);
        foreach (var e in _edgesOfComp) _dense[_colLocal[edgeRow[e]] * nc + _colComp[edgeCol[e]]] = edgeCost[e];
        var span = _dense.AsSpan(0, nr * nc);
        var best = LinearAssignment.Solve(span, nr, nc);
        _matchOfRow.Clear();
        for (var i = 0; i < nr; i++) _matchOfRow.Add(-1);
        for (var q = 0; q < best.Count; q++)
            if (_dense[best.Rows[q] * nc + best.Columns[q]] < 0) _matchOfRow[best.Rows[q]] = best.Columns[q];
        if (!IsUniqueOptimum(nr, nc, Math.Abs(best.TotalCost))) return false;
        for (var i = 0; i < nr; i++)
            if (_matchOfRow[i] >= 0) { rows.Add(_compRows[i]); cols.Add(_compCols[_matchOfRow[i]]); }
        return true;
    }

    // Is the matching in _matchOfRow the only maximum-weight matching of the component in _dense?
    // Max-weight matching as a min-cost circulation over rows, columns and one hub node z:
    //   z→r (r free), r→z (r matched), r→c cost −w (unmatched edge), c→r cost +w (matched edge),
    //   c→z (c free), z→c (c matched).
    // The matching is optimal, so the residual graph has no negative cycle; with Bellman–Ford
    // potentials every arc has reduced cost ≥ 0, and another optimum exists iff some cycle consists of
    // zero-reduced-cost arcs (tolerance 1e-9 relative: near-ties count as ties and go to SciPy's order).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool IsUniqueOptimum(int nr, int nc, double scale)
    {
        var z = nr + nc;
        var v = z + 1;
        _arcFrom.Clear(); _arcTo.Clear(); _arcCost.Clear();
        Span<bool> colMatched = nc <= 256 ? stackalloc bool[nc] : new bool[nc];
        for (var i = 0; i < nr; i++)
        {
            var m = _matchOfRow[i];
            if (m >= 0) { colMatched[m] = true; Arc(i, z, 0); } else Arc(z, i, 0);
            for (var j = 0; j < nc; j++)
            {
                var c = _dense[i * nc + j];
                if (!(c < 0)) continue;
                if (j == m) Arc(nr + j, i, -c); else Arc(i, nr + j, c);
            }
        }
        for (var j = 0; j < nc; j++)
            if (colMatched[j]) Arc(z, nr + j, 0); else Arc(nr + j, z, 0);

        Ensure(ref _pi, v);
        Array.Clear(_pi, 0, v);
        var arcs = _arcFrom.Count;
        for (var pass = 0; pass < v; pass++)
        {
            var changed = false;
            for (var a = 0; a < arcs; a++)
            {
                var d = _pi[_arcFrom[a]] + _arcCost[a];
                if (d < _pi[_arcTo[a]]) { _pi[_arcTo[a]] = d; changed = true; }
            }
            if (!changed) break;
        }
        var tol = 1e-9 * Math.Max(1, scale);
        // Cycle detection on the tight arcs (Kahn's algorithm: a cycle leaves nodes unremoved).
        Ensure(ref _indeg, v);
        Ensure(ref _adjStart, v + 1);
        Array.Clear(_indeg, 0, v);
        Array.Clear(_adjStart, 0, v + 1);
        _tight.Clear();
        for (var a = 0; a < arcs; a++)
            if (_arcCost[a] + _pi[_arcFrom[a]] - _pi[_arcTo[a]] <= tol) { _tight.Add(a); _indeg[_arcTo[a]]++; _adjStart[_arcFrom[a] + 1]++; }
        for (var x = 0; x < v; x++) _adjStart[x + 1] += _adjStart[x];
        Ensure(ref _adj, _tight.Count);
        Ensure(ref _fill, v);
        Array.Copy(_adjStart, _fill, v);
        foreach (var a in _tight) _adj[_fill[_arcFrom[a]]++] = _arcTo[a];
        _stack.Clear();
        for (var x = 0; x < v; x++) if (_indeg[x] == 0) _stack.Add(x);
        var removed = 0;
        while (_stack.Count > 0)
        {
            var x = _stack[^1];
            _stack.RemoveAt(_stack.Count - 1);
            removed++;
            for (var k = _adjStart[x]; k < _adjStart[x + 1]; k++)
                if (--_indeg[_adj[k]] == 0) _stack.Add(_adj[k]);
        }
        return removed == v;
    }

    private void Arc(int from, int to, double cost)
    {
        _arcFrom.Add(from);
        _arcTo.Add(to);
        _arcCost.Add(cost);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SolveDense(int G, int K, Action<double[]> fillDense, List<int> rows, List<int> cols)
    {
        var dense = new double[G * K];
        fillDense(dense);
        var m = LinearAssignment.Solve(dense, G, K);
        for (var q = 0; q < m.Count; q++)
            if (_denseKeep?.Invoke(m.Rows[q], m.Columns[q]) ?? dense[m.Rows[q] * K + m.Columns[q]] < 0) { rows.Add(m.Rows[q]); cols.Add(m.Columns[q]); }
    }

    private int Find(int x)
    {
        while (_parent[x] != x) x = _parent[x] = _parent[_parent[x]];
        return x;
    }

    private static void Distinct(List<int> list)
    {
        list.Sort();
        var w = 0;
        for (var i = 0; i < list.Count; i++) if (i == 0 || list[i] != list[i - 1]) list[w++] = list[i];
        list.RemoveRange(w, list.Count - w);
    }

    private static void Ensure<T>(ref T[] a, int n)
    {
        if (a.Length < n) a = new T[Math.Max(n, a.Length * 2)];
    }
}
