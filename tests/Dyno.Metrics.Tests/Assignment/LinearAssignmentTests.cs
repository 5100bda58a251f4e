using Dyno.Metrics.Assignment;

namespace Dyno.Metrics.Tests.Assignment;

public class LinearAssignmentTests
{
    [Fact]
    public void SolvesTheTextbookExample()
    {
        // scipy.optimize.linear_sum_assignment docs example: rows [0 1 2] -> cols [1 0 2], cost 5.
        var r = LinearAssignment.Solve(new double[,] { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } });
        Assert.Equal([0, 1, 2], r.Rows);
        Assert.Equal([1, 0, 2], r.Columns);
        Assert.Equal(5.0, r.TotalCost);
    }

    [Fact]
    public void ConstantMatrixGivesIdentityLikeScipy()
    {
        var r = LinearAssignment.Solve(new double[,] { { 1, 1, 1 }, { 1, 1, 1 }, { 1, 1, 1 } });
        Assert.Equal([0, 1, 2], r.Columns);
    }

    [Fact]
    public void WideAndTallMatricesAssignTheSmallerSide()
    {
        var wide = LinearAssignment.Solve(new double[,] { { 5, 1, 9 }, { 1, 5, 9 } });
        Assert.Equal([1, 0], wide.Columns);
        Assert.Equal(2.0, wide.TotalCost);
        var tall = LinearAssignment.Solve(new double[,] { { 5, 1 }, { 9, 9 }, { 1, 5 } });
        Assert.Equal([0, 2], tall.Rows);
        Assert.Equal([1, 0], tall.Columns);
    }

    [Fact]
    public void ForbiddenPairsAreAvoidedAndInfeasibleIsAnError()
    {
        var inf = double.PositiveInfinity;
        var r = LinearAssignment.Solve(new double[,] { { inf, 2 }, { 1, inf } });
        Assert.Equal([1, 0], r.Columns);
        Assert.ThrowsAny<ArgumentException>(() => LinearAssignment.Solve(new double[,] { { inf, inf }, { 1, 2 } }));
    }

    [Fact]
    public void MatchesBruteForceOnRandomProblems()
    {
        var rng = new Random(1234);
        for (var trial = 0; trial < 300; trial++)
        {
            var rows = rng.Next(1, 6);
            var cols = rng.Next(1, 6);
            var cost = new double[rows * cols];
            for (var k = 0; k < cost.Length; k++) cost[k] = rng.Next(0, 5) + (trial % 2 == 0 ? rng.NextDouble() : 0);
            var r = LinearAssignment.Solve(cost, rows, cols);
            Assert.Equal(Math.Min(rows, cols), r.Count);
            Assert.Equal(r.Columns.Length, r.Columns.Distinct().Count());
            Assert.Equal(BruteForce(cost, rows, cols), r.TotalCost, 9);
            var max = LinearAssignment.Solve(cost, rows, cols, maximize: true);
            var neg = cost.Select(x => -x).ToArray();
            Assert.Equal(-BruteForce(neg, rows, cols), max.TotalCost, 9);
        }
    }

    internal static double BruteForce(double[] cost, int rows, int cols)
    {
        if (rows > cols)
        {
            var t = new double[cost.Length];
            for (var i = 0; i < rows; i++) for (var j = 0; j < cols; j++) t[j * rows + i] = cost[i * cols + j];
            return BruteForce(t, cols, rows);
        }
        var best = double.PositiveInfinity;
        var used = new bool[cols];
        void Go(int row, double acc)
        {
            if (row == rows) { best = Math.Min(best, acc); return; }
            for (var j = 0; j < cols; j++)
            {
                if (used[j]) continue;
                used[j] = true;
                Go(row + 1, acc + cost[row * cols + j]);
                used[j] = false;
            }
        }
        Go(0, 0);
        return best;
    }
}
