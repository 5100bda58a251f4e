namespace Dyno.Metrics.Tests.Losses;

/// <summary>Central finite differences against an analytic gradient.</summary>
internal static class GradientCheck
{
    public static void Assert(Func<double[], double> f, double[] x, double[] analytic, double h = 1e-6, double tol = 1e-6)
    {
        Xunit.Assert.Equal(x.Length, analytic.Length);
        for (var k = 0; k < x.Length; k++)
        {
            var xp = (double[])x.Clone();
            var xm = (double[])x.Clone();
            xp[k] += h;
            xm[k] -= h;
            var fd = (f(xp) - f(xm)) / (2 * h);
            var scale = Math.Max(1, Math.Abs(fd));
            Xunit.Assert.True(Math.Abs(fd - analytic[k]) <= tol * scale,
                $"component {k}: finite difference {fd:R} vs analytic {analytic[k]:R}");
        }
    }

    public static double[] Random(Random rng, int n, double scale = 2)
    {
        var x = new double[n];
        for (var i = 0; i < n; i++) x[i] = (rng.NextDouble() * 2 - 1) * scale;
        return x;
    }
}
