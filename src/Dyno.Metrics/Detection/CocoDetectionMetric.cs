namespace Dyno.Metrics.Detection;

/// <summary>A ground-truth box of one image, in COCO's (x, y, width, height) pixels.</summary>
/// <param name="CategoryId">COCO category id.</param>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width (≥ 0).</param>
/// <param name="Height">Height (≥ 0).</param>
/// <param name="Crowd">COCO's <c>iscrowd</c>: a crowd region matches any number of detections and is never a miss.</param>
/// <param name="Area">The annotation's <c>area</c> for the small/medium/large ranges; null = width × height.</param>
public readonly record struct CocoBoxTarget(long CategoryId, double X, double Y, double Width, double Height, bool Crowd = false, double? Area = null);

/// <summary>The ground truth of one image: its id, size and boxes.</summary>
/// <param name="ImageId">COCO image id.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Boxes">The objects; empty for a background image.</param>
public sealed record CocoImageTarget(long ImageId, int Width, int Height, IReadOnlyList<CocoBoxTarget> Boxes);

/// <summary>A detected box, in COCO results form (x, y, width, height pixels and a score).</summary>
/// <param name="CategoryId">COCO category id.</param>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width (≥ 0).</param>
/// <param name="Height">Height (≥ 0).</param>
/// <param name="Score">Confidence; ranks the detections.</param>
public readonly record struct CocoBoxPrediction(long CategoryId, double X, double Y, double Width, double Height, double Score);

/// <summary>
/// COCO box detection metric fed in memory, batch by batch (the torchmetrics pattern: <see cref="Update(CocoImageTarget, IReadOnlyList{CocoBoxPrediction})"/>,
/// <see cref="Merge"/>, <see cref="Compute"/>, <see cref="Reset"/>). <see cref="Compute"/> runs the same evaluator as
/// <c>dyno eval det</c>, so the 12 stats equal pycocotools' on the same boxes bit for bit: detections keep their
/// update order, which is the file order pycocotools' stable sort uses on equal scores. Two ways to give the
/// ground truth: with each image (<see cref="CocoDetectionMetric(IEnumerable{CocoCategory}, CocoEvalOptions?)"/>)
/// or once, from a COCO file (<see cref="CocoDetectionMetric(CocoGroundTruth, CocoEvalOptions?)"/>). Not thread-safe:
/// one instance per thread, then <see cref="Merge"/>.
/// </summary>
public sealed class CocoDetectionMetric : IMetric<CocoDetectionMetric, CocoImageTarget, IReadOnlyList<CocoBoxPrediction>, CocoEvalResult>
{
    private readonly CocoGroundTruth? _fixedGt;
    private readonly List<CocoCategory> _categories;
    private readonly HashSet<long> _categoryIds;
    private readonly CocoEvalOptions? _options;
    private readonly List<CocoImageTarget> _targets = [];
    private readonly List<(long ImageId, CocoBoxPrediction Box)> _predictions = [];
    private readonly HashSet<long> _seenImages = [];

    /// <summary>A metric whose ground truth comes image by image with each update, over these categories.</summary>
    public CocoDetectionMetric(IEnumerable<CocoCategory> categories, CocoEvalOptions? options = null)
    {
        _categories = categories.ToList();
        _categoryIds = _categories.Select(c => c.Id).ToHashSet();
        if (_categoryIds.Count != _categories.Count) throw new ArgumentException("duplicate category id", nameof(categories));
        _options = options;
    }

    /// <summary>A metric over a fixed ground truth (e.g. a COCO file); updates give detections only.</summary>
    public CocoDetectionMetric(CocoGroundTruth groundTruth, CocoEvalOptions? options = null)
    {
        _fixedGt = groundTruth;
        _categories = groundTruth.Categories.ToList();
        _categoryIds = _categories.Select(c => c.Id).ToHashSet();
        _options = options;
    }

    /// <summary>Images updated so far.</summary>
    public int Images => _seenImages.Count;

    /// <summary>Detections added so far.</summary>
    public int Detections => _predictions.Count;

    /// <summary>Adds one image's ground truth and detections (metric created with categories).</summary>
    public void Update(CocoImageTarget target, IReadOnlyList<CocoBoxPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_fixedGt is not null) throw new InvalidOperationException("this metric has a fixed ground truth: call Update(imageId, predictions)");
        if (!_seenImages.Add(target.ImageId)) throw new ArgumentException($"image {target.ImageId} was already updated", nameof(target));
        foreach (var b in target.Boxes)
        {
            if (!_categoryIds.Contains(b.CategoryId)) throw new ArgumentException($"image {target.ImageId}: ground-truth category {b.CategoryId} is not among the metric's categories", nameof(target));
            if (!(b.Width >= 0) || !(b.Height >= 0) || !double.IsFinite(b.X) || !double.IsFinite(b.Y) || !double.IsFinite(b.Width) || !double.IsFinite(b.Height))
                throw new ArgumentException($"image {target.ImageId}: ground-truth box ({b.X}, {b.Y}, {b.Width}, {b.Height}) is not finite with a non-negative size", nameof(target));
        }
        _targets.Add(target);
        AddPredictions(target.ImageId, predictions);
    }

    /// <summary>Adds one image's detections (metric created with a fixed ground truth).</summary>
    public void Update(long imageId, IReadOnlyList<CocoBoxPrediction> predictions)
    {
        if (_fixedGt is null) throw new InvalidOperationException("this metric takes the ground truth with each image: call Update(target, predictions)");
        if (!_fixedGt.ImageIndex.ContainsKey(imageId)) throw new ArgumentException($"image {imageId} is not in the ground truth", nameof(imageId));
        if (!_seenImages.Add(imageId)) throw new ArgumentException($"image {imageId} was already updated", nameof(imageId));
        AddPredictions(imageId, predictions);
    }

    private void AddPredictions(long imageId, IReadOnlyList<CocoBoxPrediction> predictions)
    {
        foreach (var p in predictions)
        {
            if (!_categoryIds.Contains(p.CategoryId)) throw new ArgumentException($"image {imageId}: detected category {p.CategoryId} is not among the metric's categories", nameof(predictions));
            if (double.IsNaN(p.Score)) throw new ArgumentException($"image {imageId}: a detection's score is NaN", nameof(predictions));
            if (!(p.Width >= 0) || !(p.Height >= 0)) throw new ArgumentException($"image {imageId}: detection with negative size ({p.Width} x {p.Height})", nameof(predictions));
            _predictions.Add((imageId, p));
        }
    }

    /// <summary>Adds another metric's state (of the same ground truth or categories); images must not overlap.</summary>
    public void Merge(CocoDetectionMetric other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!ReferenceEquals(_fixedGt, other._fixedGt)) throw new ArgumentException("metrics over different ground truths cannot be merged", nameof(other));
        if (!_categoryIds.SetEquals(other._categoryIds)) throw new ArgumentException("metrics over different categories cannot be merged", nameof(other));
        foreach (var id in other._seenImages)
            if (_seenImages.Contains(id)) throw new ArgumentException($"image {id} is in both metrics", nameof(other));
        _seenImages.UnionWith(other._seenImages);
        _targets.AddRange(other._targets);
        _predictions.AddRange(other._predictions);
    }

    /// <summary>Forgets every update.</summary>
    public void Reset()
    {
        _targets.Clear();
        _predictions.Clear();
        _seenImages.Clear();
    }

    /// <summary>The ground truth of the images seen (fixed mode: the whole ground truth, as pycocotools evaluates every image of the file).</summary>
    public CocoGroundTruth GroundTruth() => _fixedGt ?? CocoGroundTruth.FromTargets(_targets, _categories);

    /// <summary>COCO's evaluation of everything updated: the 12 stats, per-category AP, PR curves.</summary>
    public CocoEvalResult Compute()
    {
        var gt = GroundTruth();
        return CocoEvaluator.Evaluate(gt, CocoDetections.FromPredictions(_predictions, gt), _options);
    }
}
