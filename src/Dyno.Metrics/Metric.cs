namespace Dyno.Metrics;

/// <summary>
/// The contract every Dyno metric follows, torchmetrics' pattern plus merge: state that
/// <c>Update</c> folds samples into, <see cref="Merge"/> to combine states built on disjoint data
/// (shards, threads, processes), <see cref="Compute"/> for the figures of everything seen so far, and
/// <see cref="Reset"/> to start again. For every metric, updating one instance with all the data, or
/// several instances with any split of it and merging them in data order, computes the same numbers.
/// Instances are not thread-safe: use one per thread and merge.
/// </summary>
/// <typeparam name="TSelf">The metric type (merge takes another instance of it).</typeparam>
/// <typeparam name="TResult">What <see cref="Compute"/> returns.</typeparam>
public interface IMetric<TSelf, out TResult> where TSelf : IMetric<TSelf, TResult>
{
    /// <summary>Adds the state of <paramref name="other"/> (built with the same settings, on other data) to this one.</summary>
    void Merge(TSelf other);

    /// <summary>The figures of everything updated or merged so far.</summary>
    TResult Compute();

    /// <summary>Forgets every update, keeping the settings.</summary>
    void Reset();
}

/// <summary>
/// A metric updated with one (target, prediction) pair at a time: the ground truth always comes first.
/// Where both would be the same span type, the arguments are wrapped in <see cref="Target{T}"/> and
/// <see cref="Prediction{T}"/>, so a swapped call does not compile.
/// </summary>
/// <typeparam name="TSelf">The metric type.</typeparam>
/// <typeparam name="TTarget">The ground truth of one sample, image or sequence.</typeparam>
/// <typeparam name="TPrediction">The model's output for it.</typeparam>
/// <typeparam name="TResult">What <see cref="IMetric{TSelf, TResult}.Compute"/> returns.</typeparam>
public interface IMetric<TSelf, TTarget, TPrediction, out TResult> : IMetric<TSelf, TResult>
    where TSelf : IMetric<TSelf, TTarget, TPrediction, TResult>
    where TTarget : allows ref struct
    where TPrediction : allows ref struct
{
    /// <summary>Folds one (target, prediction) pair into the state.</summary>
    void Update(TTarget target, TPrediction prediction);
}

/// <summary>The ground-truth values of one sample (a label map's pixels, a multi-label row), typed apart from a <see cref="Prediction{T}"/>.</summary>
/// <typeparam name="T">Element type.</typeparam>
/// <param name="values">The values, borrowed for the duration of the update.</param>
public readonly ref struct Target<T>(ReadOnlySpan<T> values)
{
    /// <summary>The values.</summary>
    public ReadOnlySpan<T> Values { get; } = values;
}

/// <summary>The predicted values of one sample, typed apart from a <see cref="Target{T}"/>.</summary>
/// <typeparam name="T">Element type.</typeparam>
/// <param name="values">The values, borrowed for the duration of the update.</param>
public readonly ref struct Prediction<T>(ReadOnlySpan<T> values)
{
    /// <summary>The values.</summary>
    public ReadOnlySpan<T> Values { get; } = values;
}

/// <summary>Creates <see cref="Target{T}"/> values with the element type inferred: <c>Target.Of(labels)</c>.</summary>
public static class Target
{
    /// <summary>Wraps ground-truth values.</summary>
    public static Target<T> Of<T>(ReadOnlySpan<T> values) => new(values);

    /// <summary>Wraps ground-truth values.</summary>
    public static Target<T> Of<T>(T[] values) => new(values);
}

/// <summary>Creates <see cref="Prediction{T}"/> values with the element type inferred: <c>Prediction.Of(map)</c>.</summary>
public static class Prediction
{
    /// <summary>Wraps predicted values.</summary>
    public static Prediction<T> Of<T>(ReadOnlySpan<T> values) => new(values);

    /// <summary>Wraps predicted values.</summary>
    public static Prediction<T> Of<T>(T[] values) => new(values);
}
