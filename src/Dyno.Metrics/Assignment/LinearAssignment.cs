namespace Dyno.Metrics.Assignment;

/// <summary>
/// The result of a rectangular linear assignment: pairs (row, column) sorted by row, and their total cost.
/// Every row is assigned when rows ≤ columns, every column otherwise.
/// </summary>
public sealed record AssignmentResult(int[] Rows, int[] Columns, double TotalCost)
{
    /// <summary>Number of assigned pairs.</summary>
    public int Count => Rows.Length;
}

/// <summary>
/// Minimum-cost linear assignment (the Hungarian problem) on a dense rectangular cost matrix, solved by
/// shortest augmenting paths with Jonker–Volgenant style dual updates (Crouse, 2016). The search order
/// reproduces SciPy's <c>linear_sum_assignment</c>, so ties resolve to the same matching that
/// py-motmetrics and TrackEval obtain. <see cref="double.PositiveInfinity"/> marks a forbidden pair.
/// </summary>
public static class LinearAssignment
{
    /// <summary>Solves the assignment for a row-major <paramref name="rows"/> × <paramref name="cols"/> cost matrix.</summary>
    /// <exception cref="ArgumentException">The matrix has NaN or −∞ entries, or no complete assignment avoids forbidden pairs.</exception>
    public static AssignmentResult Solve(ReadOnlySpan<double> cost, int rows, int cols, bool maximize = false)
    {
        if (rows < 0 || cols < 0 || cost.Length != (long)rows * cols)
            throw new ArgumentException($"cost matrix has {cost.Length} entries, expected {rows}×{cols}");
        if (rows == 0 || cols == 0) return new AssignmentResult([], [], 0);

        var transpose = cols < rows;
        var nr = transpose ? cols : rows;
        var nc = transpose ? rows : cols;
        var c = new double[nr * nc];
        for (var i = 0; i < rows; i++)
        for (var j = 0; j < cols; j++)
        {
            var x = cost[i * cols + j];
            if (maximize) x = -x;
            if (double.IsNaN(x) || double.IsNegativeInfinity(x))
                throw new ArgumentException($"cost matrix entry ({i}, {j}) is {cost[i * cols + j]}: costs must be numbers or +∞ (forbidden)");
            c[transpose ? j * nc + i : i * nc + j] = x;
        }

        var colForRow = SolveTall(c, nr, nc);

        var pairs = new (int R, int C)[nr];
        for (var i = 0; i < nr; i++) pairs[i] = transpose ? (colForRow[i], i) : (i, colForRow[i]);
        if (transpose) Array.Sort(pairs, (a, b) => a.R.CompareTo(b.R));
        var rs = new int[nr];
        var cs = new int[nr];
        var total = 0.0;
        for (var k = 0; k < nr; k++)
        {
            rs[k] = pairs[k].R;
            cs[k] = pairs[k].C;
            total += cost[rs[k] * cols + cs[k]];
        }
        return new AssignmentResult(rs, cs, total);
    }

    /// <summary>Solves a row-major cost matrix given as a 2-D array.</summary>
    public static AssignmentResult Solve(double[,] cost, bool maximize = false)
    {
        var rows = cost.GetLength(0);
        var cols = cost.GetLength(1);
        var flat = new double[rows * cols];
        for (var i = 0; i < rows; i++)
        for (var j = 0; j < cols; j++)
            flat[i * cols + j] = cost[i, j];
        return Solve(flat, rows, cols, maximize);
    }

    // nr <= nc. Returns the column of each row.
    private static int[] SolveTall(double[] cost, int nr, int nc)
    {
        var u = new double[nr];
        var v = new double[nc];
        var shortest = new double[nc];
        var path = new int[nc];
        var col4row = new int[nr];
        var row4col = new int[nc];
        var sr = new bool[nr];
        var sc = new bool[nc];
        var remaining = new int[nc];
        Array.Fill(path, -1);
        Array.Fill(col4row, -1);
        Array.Fill(row4col, -1);

        for (var curRow = 0; curRow < nr; curRow++)
        {
            var sink = AugmentingPath(cost, nc, u, v, path, row4col, shortest, curRow, sr, sc, remaining, out var minVal);
            if (sink < 0)
                throw new ArgumentException("cost matrix is infeasible: no complete assignment avoids the forbidden (+∞) pairs");

            u[curRow] += minVal;
            for (var i = 0; i < nr; i++)
                if (sr[i] && i != curRow) u[i] += minVal - shortest[col4row[i]];
            for (var j = 0; j < nc; j++)
                if (sc[j]) v[j] -= minVal - shortest[j];

            var k = sink;
            while (true)
            {
                var i = path[k];
                row4col[k] = i;
                (col4row[i], k) = (k, col4row[i]);
                if (i == curRow) break;
            }
        }
        return col4row;
    }

    private static int AugmentingPath(double[] cost, int nc, double[] u, double[] v, int[] path, int[] row4col,
        double[] shortest, int i, bool[] sr, bool[] sc, int[] remaining, out double minVal)
    {
        minVal = 0;
        var numRemaining = nc;
        // Reverse order: a constant cost matrix then yields the identity assignment, as in SciPy.
        for (var it = 0; it < nc; it++) remaining[it] = nc - it - 1;
        Array.Clear(sr);
        Array.Clear(sc);
        Array.Fill(shortest, double.PositiveInfinity);

        var sink = -1;
        while (sink == -1)
        {
            var index = -1;
            var lowest = double.PositiveInfinity;
            sr[i] = true;
            var rowBase = i * nc;
            for (var it = 0; it < numRemaining; it++)
            {
                var j = remaining[it];
                var r = minVal + cost[rowBase + j] - u[i] - v[j];
                if (r < shortest[j])
                {
                    path[j] = i;
                    shortest[j] = r;
                }
                if (shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == -1))
                {
                    lowest = shortest[j];
                    index = it;
                }
            }
            minVal = lowest;
            if (double.IsPositiveInfinity(minVal)) return -1;

            var jj = remaining[index];
            if (row4col[jj] == -1) sink = jj;
            else i = row4col[jj];
            sc[jj] = true;
            remaining[index] = remaining[--numRemaining];
        }
        return sink;
    }
}
