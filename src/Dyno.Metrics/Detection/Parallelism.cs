using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Dyno.Metrics.Detection;

/// <summary><c>Parallel.For</c> that rethrows the first exception of a body as itself, not wrapped in an AggregateException,
/// so a bad-input error from a worker reaches the user as the one-line message it is.</summary>
internal static class Parallelism
{
    public static void For(int from, int to, Action<int> body) => Unwrapped(() => Parallel.For(from, to, body));

    /// <summary>
    /// <see cref="For"/> over <c>0..count</c> for items of very unequal cost (COCO categories: person alone is about a
    /// quarter of the detections): the items run largest <paramref name="weight"/> first, each worker taking the next
    /// one from a shared queue, so the large ones do not end the run on one core while the others idle.
    /// </summary>
    public static void ForLargestFirst(int count, Func<int, long> weight, Action<int> body)
    {
        var order = Enumerable.Range(0, count).OrderByDescending(weight).ToArray(); // a stable sort: ties in index order
        Unwrapped(() => Parallel.ForEach(Partitioner.Create(order, EnumerablePartitionerOptions.NoBuffering), body));
    }

    private static void Unwrapped(Action parallelLoop)
    {
        try
        {
            parallelLoop();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
