using System.Runtime.ExceptionServices;

namespace Dyno.Metrics.Detection;

/// <summary><c>Parallel.For</c> that rethrows the first exception of a body as itself, not wrapped in an AggregateException,
/// so a bad-input error from a worker reaches the user as the one-line message it is.</summary>
internal static class Parallelism
{
    public static void For(int from, int to, Action<int> body)
    {
        try
        {
            Parallel.For(from, to, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
