namespace Dyno.Metrics.Losses;

/// <summary>
/// An InfoNCE loss value with its gradients with respect to both embedding sets (row-major, same shapes
/// as the inputs) and the per-region losses (0 for regions without a positive).
/// </summary>
public sealed record ContrastiveLossResult(double Value, double[] RegionGradient, double[] TextGradient, double[] Elements);

/// <summary>
/// InfoNCE for region–text alignment (the CLIP / GLIP / OWL-ViT objective): logits s_ij = ⟨r_i, t_j⟩/τ
/// between region and text embeddings (L2-normalised first by default, i.e. cosine similarity), and a
/// softmax cross-entropy of each region over the texts against its positive text. With
/// <c>symmetric</c> the text→region direction is added and the two means averaged, as in CLIP; each
/// positive text must then belong to exactly one region. Mean is over the regions with a positive
/// (and over the positive texts in the symmetric term).
/// </summary>
public static class ContrastiveLoss
{
    /// <summary>InfoNCE of <paramref name="regions"/> (N × dim) against <paramref name="texts"/> (M × dim).</summary>
    /// <param name="regions">Row-major region embeddings.</param>
    /// <param name="texts">Row-major text (phrase, class-name) embeddings.</param>
    /// <param name="dim">Embedding size.</param>
    /// <param name="positives">For each region the index of its text, or −1 for none (skipped).</param>
    /// <param name="temperature">τ &gt; 0 (CLIP learns it; 0.07 is its initial value).</param>
    /// <param name="normalize">L2-normalise embeddings (cosine similarity).</param>
    /// <param name="symmetric">Also the text→region cross-entropy (CLIP's symmetric loss).</param>
    public static ContrastiveLossResult InfoNce(ReadOnlySpan<double> regions, ReadOnlySpan<double> texts, int dim,
        ReadOnlySpan<int> positives, double temperature = 0.07, bool normalize = true, bool symmetric = false)
    {
        if (dim <= 0) throw new ArgumentException($"InfoNCE: embedding size must be positive, got {dim}");
        if (!(temperature > 0)) throw new ArgumentException($"InfoNCE: temperature must be positive, got {temperature}");
        if (regions.Length % dim != 0 || texts.Length % dim != 0)
            throw new ArgumentException($"InfoNCE: embeddings are not whole rows of {dim} values");
        var n = regions.Length / dim;
        var m = texts.Length / dim;
        if (positives.Length != n) throw new ArgumentException($"InfoNCE: {positives.Length} positives for {n} regions");
        if (m == 0) throw new ArgumentException("InfoNCE: no text embeddings");

        var (r, rNorm) = Normalized(regions, n, dim, normalize, "region");
        var (t, tNorm) = Normalized(texts, m, dim, normalize, "text");
        var logits = new double[n * m];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < m; j++)
        {
            var s = 0.0;
            for (var k = 0; k < dim; k++) s += r[i * dim + k] * t[j * dim + k];
            logits[i * m + j] = s / temperature;
        }

        var regionOf = new int[m];
        Array.Fill(regionOf, -1);
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            var y = positives[i];
            if (y == -1) continue;
            if ((uint)y >= (uint)m) throw new ArgumentException($"InfoNCE: positive {y} of region {i} is outside [0, {m})");
            count++;
            if (symmetric && regionOf[y] >= 0)
                throw new ArgumentException($"InfoNCE: text {y} is the positive of regions {regionOf[y]} and {i}; the symmetric loss needs one region per text");
            regionOf[y] = i;
        }

        // Region → text.
        var ce = CrossEntropyLoss.Compute(logits, m, positives, ignoreIndex: -1);
        var value = ce.Value;
        var gLogits = ce.Gradient;
        var elements = ce.Elements;
        if (symmetric && count > 0)
        {
            var transposed = new double[m * n];
            for (var i = 0; i < n; i++)
            for (var j = 0; j < m; j++)
                transposed[j * n + i] = logits[i * m + j];
            var back = CrossEntropyLoss.Compute(transposed, n, regionOf, ignoreIndex: -1);
            value = (value + back.Value) / 2;
            for (var i = 0; i < n; i++)
            for (var j = 0; j < m; j++)
                gLogits[i * m + j] = (gLogits[i * m + j] + back.Gradient[j * n + i]) / 2;
        }

        // Back through s_ij = ⟨r_i, t_j⟩/τ, then through the normalisation.
        var gr = new double[n * dim];
        var gt = new double[m * dim];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < m; j++)
        {
            var g = gLogits[i * m + j] / temperature;
            if (g == 0) continue;
            for (var k = 0; k < dim; k++)
            {
                gr[i * dim + k] += g * t[j * dim + k];
                gt[j * dim + k] += g * r[i * dim + k];
            }
        }
        if (normalize)
        {
            ProjectThroughNorm(gr, r, rNorm, n, dim);
            ProjectThroughNorm(gt, t, tNorm, m, dim);
        }
        return new ContrastiveLossResult(value, gr, gt, elements);
    }

    private static (double[] Unit, double[] Norm) Normalized(ReadOnlySpan<double> x, int rows, int dim, bool normalize, string what)
    {
        var y = x.ToArray();
        var norms = new double[rows];
        if (!normalize) return (y, norms);
        for (var i = 0; i < rows; i++)
        {
            var row = y.AsSpan(i * dim, dim);
            var s = 0.0;
            foreach (var v in row) s += v * v;
            var norm = Math.Sqrt(s);
            if (norm == 0) throw new ArgumentException($"InfoNCE: {what} embedding {i} is all zeros and cannot be normalised");
            norms[i] = norm;
            for (var k = 0; k < dim; k++) row[k] /= norm;
        }
        return (y, norms);
    }

    // d/dx of x/‖x‖ applied to g: (g − u·⟨u, g⟩)/‖x‖.
    private static void ProjectThroughNorm(double[] g, double[] unit, double[] norms, int rows, int dim)
    {
        for (var i = 0; i < rows; i++)
        {
            var gi = g.AsSpan(i * dim, dim);
            var ui = unit.AsSpan(i * dim, dim);
            var dot = 0.0;
            for (var k = 0; k < dim; k++) dot += gi[k] * ui[k];
            for (var k = 0; k < dim; k++) gi[k] = (gi[k] - ui[k] * dot) / norms[i];
        }
    }
}
