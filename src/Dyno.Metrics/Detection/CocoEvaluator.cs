using System.Runtime.CompilerServices;
using System.Globalization;
using Dyno.Metrics.Masks;

namespace Dyno.Metrics.Detection;

/// <summary>
/// COCO detection evaluation with pycocotools' numbers to the last bit: per image and category,
/// detections sorted by score (stable) and cut at the largest maxDets, greedy matching in score order
/// per IoU threshold (crowd ground truth can absorb many detections, ignored ground truth sorted last),
/// then per category a stable sort of all kept detections by score, cumulative TP/FP, the
/// monotone precision envelope read at 101 recall points (searchsorted 'left'), and the summary means
/// over entries &gt; −1 with numpy's pairwise summation.
/// </summary>
public static class CocoEvaluator
{
    internal const byte FalsePositive = 0, TruePositive = 1, Ignored = 2;

    /// <summary><c>np.spacing(1)</c>, the eps in pycocotools' precision denominator.</summary>
    private const double Spacing1 = 2.220446049250313e-16;

    /// <summary>Evaluates <paramref name="dt"/> against <paramref name="gt"/>.</summary>
    public static CocoEvalResult Evaluate(CocoGroundTruth gt, CocoDetections dt, CocoEvalOptions? options = null)
    {
        var state = EvaluateImages(gt, dt, options ?? new CocoEvalOptions());
        return Summarize(state, gt.Categories, new CocoCounts
        {
            Images = gt.Images.Count,
            Categories = gt.Categories.Count,
            GtAnnotations = gt.Count,
            GtCrowd = gt.CrowdCount,
            Detections = dt.Count,
            Skipped = dt.Skipped.Count > 0 ? dt.Skipped : null,
        });
    }

    /// <summary>Per-category outcome of the per-image matching: the mergeable evaluation state.</summary>
    internal sealed class CategoryState
    {
        public int Count;
        public double[] Score = [];
        public int[] Image = [];      // image index (sorted image ids)
        public int[] Rank = [];       // rank within its image after the score sort
        public byte[] Status = [];    // [A, T, Capacity]
        public int Capacity;
        public long[] NumPos = [];    // non-ignored ground truth per area range
        public int NumDt;
        public int NumGt;
    }

    internal sealed class EvalState
    {
        public required CocoEvalOptions Options;
        public required double[] IouThr;
        public required int[] MaxDets;
        public required CategoryState[] Categories;
        public required long[] ImageIds;
    }

    // pieceWork: the work (detections plus ground truth) above which a category is cut into pieces; null: an eighth of a
    // core's share, at least 4096. Tests set 1 (every image its own piece) to check that cutting changes nothing.
    internal static EvalState EvaluateImages(CocoGroundTruth gt, CocoDetections dt, CocoEvalOptions options, bool[]? includeImage = null, FederatedRules? federated = null, int? pieceWork = null)
    {
        options.Validate();
        var maxDets = options.MaxDets.Order().ToArray();
        var thr = options.IouThresholds.ToArray();
        var nImg = gt.Images.Count;
        var useCats = options.UseCats;
        var K = useCats ? gt.Categories.Count : 1;
        var A = options.AreaRanges.Count;
        var T = thr.Length;
        var maxDet = maxDets[^1];

        // group by (category, image), ground truth in file order (useCats=false: category order, then file order)
        var gOrder = GroupOrder(gt.Cat, gt.Img, gt.Count, gt.Categories.Count, nImg, useCats, out var gStart);
        var dOrder = GroupOrder(dt.Cat, dt.Img, dt.Count, gt.Categories.Count, nImg, useCats, out var dStart);
        if (federated is not null)
        {
            // LVIS: annotations and detections its rules leave out are removed before matching, as if absent
            gOrder = FederatedRules.Without(gOrder, gStart, federated.GtDropped);
            dOrder = FederatedRules.Without(dOrder, dStart, federated.DtDropped);
        }
        var unmatchedIgnored = federated?.DtNotExhaustive;

        // Ground-truth masks that can be rejected (RLEs, boxes, several polygons) converted up front, so
        // errors name the annotation; a single polygon is rasterised where it is used (each ground truth
        // is in one category and image). The detections' masks are decoded per image inside the category
        // loop, so no run-length copy of every mask is kept (they were checked when the results were read).
        Rle?[]? gRle = null;
        Rle[]? gBoundary = null;
        if (options.IouType == CocoIouType.Segm)
        {
            if (gt.Segm is null || dt.Segm is null) throw new ArgumentException("segm evaluation needs ground truth and detections loaded with their segmentation");
            gRle = new Rle?[gt.Count];
            Parallelism.For(0, gt.Count, i =>
            {
                var im = gt.Images[gt.Img[i]];
                if (gt.Segm[i] is PolygonSegmentation && (im.Height <= 0 || im.Width <= 0))
                    throw new InvalidDataException($"{gt.Source}: image {im.Label} has no positive width and height, needed to rasterise the polygons of annotation id {gt.AnnId[i]}");
                if (options.BoundaryDilationRatio is null && gt.Segm[i] is PolygonSegmentation { Polygons: [{ Length: not 4 }] }) return;
                try { gRle[i] = gt.Segm[i]!.ToRle(im.Height, im.Width); }
                catch (Exception e) when (e is InvalidDataException or ArgumentException)
                {
                    throw new InvalidDataException($"{gt.Source}: annotation id {gt.AnnId[i]}: {e.Message}");
                }
            });
            if (options.BoundaryDilationRatio is { } ratio)
            {
                // Boundary IoU: each ground-truth boundary once, with its image's dilation
                var gB = new Rle[gt.Count];
                Parallelism.For(0, gt.Count, i =>
                {
                    var r = gRle[i]!; // computed up front for every ground truth when boundaries are wanted
                    gB[i] = new Rle(r.Height, r.Width, BoundaryIou.Boundary(r.Counts, r.Height, r.Width, BoundaryIou.Dilation(ratio, r.Height, r.Width)));
                });
                gBoundary = gB;
            }
        }

        if (options.IouType == CocoIouType.Keypoints) CheckKeypoints(gt, dt, options);

        var cats = new CategoryState[K];
        for (var k = 0; k < K; k++)
        {
            var cap = dStart[k + 1] - dStart[k];
            cats[k] = new CategoryState
            {
                NumPos = new long[A], Score = new double[cap], Image = new int[cap], Rank = new int[cap], Status = new byte[cap * A * T], Capacity = cap,
            };
        }
        // Categories are very unequal (person alone is over a quarter of val2017's detections and would end the run on one
        // core), so large ones are cut into pieces of whole images; each piece writes its own slots of the category's
        // arrays (the slots before it are known from the image sizes), so the result is the same for any cut.
        var pieces = CutCategories(K, gt, dt, gOrder, gStart, dOrder, dStart, maxDet, includeImage, pieceWork);
        var counts = new PieceCounts[pieces.Count];
        Parallelism.ForLargestFirst(pieces.Count, i => pieces[i].Weight, i =>
        {
            counts[i] = EvaluatePiece(pieces[i], cats[pieces[i].Category], gt, dt, options, thr, maxDet, gOrder, dOrder, gRle, A, T, includeImage, unmatchedIgnored, gBoundary);
        });
        for (var i = 0; i < pieces.Count; i++)
        {
            var st = cats[pieces[i].Category];
            var c = counts[i];
            st.NumDt += c.NumDt;
            st.NumGt += c.NumGt;
            st.Count += c.Count;
            for (var a = 0; a < A; a++) st.NumPos[a] += c.NumPos[a];
        }
        return new EvalState
        {
            Options = options,
            IouThr = thr,
            MaxDets = maxDets,
            Categories = cats,
            ImageIds = gt.Images.Select(i => i.Id).ToArray(),
        };
    }

    /// <summary>Stable counting sort into (group, image) order; returns the order and the start of each group.</summary>
    private static int[] GroupOrder(int[] cat, int[] img, int n, int nCat, int nImg, bool useCats, out int[] groupStart)
    {
        var counts = new int[Math.Max(nImg, nCat) + 1];
        // useCats=false: order by category first, so a later stable pass by image keeps category order inside an image
        var src = new int[n];
        for (var i = 0; i < n; i++) src[i] = i;
        if (!useCats) src = CountingSort(src, cat, nCat, counts);
        var byImg = CountingSort(src, img, nImg, counts);
        if (!useCats)
        {
            groupStart = [0, n];
            return byImg;
        }
        var byCat = CountingSort(byImg, cat, nCat, counts);
        groupStart = new int[nCat + 1];
        for (var i = 0; i < n; i++) groupStart[cat[i] + 1]++;
        for (var k = 0; k < nCat; k++) groupStart[k + 1] += groupStart[k];
        return byCat;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] CountingSort(int[] src, int[] key, int nKeys, int[] counts)
    {
        Array.Clear(counts);
        foreach (var i in src) counts[key[i] + 1]++;
        for (var k = 0; k < nKeys; k++) counts[k + 1] += counts[k];
        var dst = new int[src.Length];
        foreach (var i in src) dst[counts[key[i]]++] = i;
        return dst;
    }

    /// <summary>Images of one category, from ground truth <c>GFrom</c> and detection <c>DFrom</c> (group order) to <c>GTo</c>/<c>DTo</c>, whose kept detections take the category's slots from <c>Base</c>.</summary>
    private readonly record struct CategoryPiece(int Category, int GFrom, int GTo, int DFrom, int DTo, int Base, long Weight);

    /// <summary>What a piece adds to its category's counters.</summary>
    private readonly record struct PieceCounts(int NumDt, int NumGt, int Count, long[] NumPos);

    /// <summary>
    /// Cuts each category into pieces of whole images of about an eighth of a core's share of the work (detections plus
    /// ground truth); a category below that is one piece.
    /// </summary>
    private static List<CategoryPiece> CutCategories(int K, CocoGroundTruth gt, CocoDetections dt, int[] gOrder, int[] gStart, int[] dOrder, int[] dStart, int maxDet, bool[]? includeImage, int? pieceWork)
    {
        long total = gStart[K] - gStart[0] + (dStart[K] - dStart[0]);
        var target = pieceWork ?? Math.Max(4096, total / (8 * Math.Max(1, Environment.ProcessorCount)));
        var pieces = new List<CategoryPiece>(K + 16);
        for (var k = 0; k < K; k++)
        {
            int g0 = gStart[k], g1 = gStart[k + 1], d0 = dStart[k], d1 = dStart[k + 1];
            if ((g1 - g0) + (d1 - d0) <= target)
            {
                pieces.Add(new CategoryPiece(k, g0, g1, d0, d1, 0, (g1 - g0) + (d1 - d0)));
                continue;
            }
            // walk the images as EvaluatePiece does, cutting at an image boundary once a piece has reached the target
            int gi = g0, di = d0, pg = g0, pd = d0, pBase = 0, slots = 0;
            while (gi < g1 || di < d1)
            {
                var ds = di;
                var img = NextImage(gt, dt, gOrder, dOrder, ref gi, g1, ref di, d1);
                if (includeImage is null || includeImage[img]) slots += Math.Min(di - ds, maxDet);
                if ((gi - pg) + (di - pd) >= target && (gi < g1 || di < d1))
                {
                    pieces.Add(new CategoryPiece(k, pg, gi, pd, di, pBase, (gi - pg) + (di - pd)));
                    (pg, pd, pBase) = (gi, di, slots);
                }
            }
            pieces.Add(new CategoryPiece(k, pg, g1, pd, d1, pBase, (g1 - pg) + (d1 - pd)));
        }
        return pieces;
    }

    /// <summary>
    /// The next image of a category's (image-ordered) ground truth and detections from <paramref name="gi"/> and
    /// <paramref name="di"/>: returns its index and moves both past its entries. Pieces are cut and evaluated along it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NextImage(CocoGroundTruth gt, CocoDetections dt, int[] gOrder, int[] dOrder, ref int gi, int g1, ref int di, int d1)
    {
        var img = Math.Min(gi < g1 ? gt.Img[gOrder[gi]] : int.MaxValue, di < d1 ? dt.Img[dOrder[di]] : int.MaxValue);
        while (gi < g1 && gt.Img[gOrder[gi]] == img) gi++;
        while (di < d1 && dt.Img[dOrder[di]] == img) di++;
        return img;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PieceCounts EvaluatePiece(CategoryPiece piece, CategoryState st, CocoGroundTruth gt, CocoDetections dt, CocoEvalOptions options, double[] thr, int maxDet,
        int[] gOrder, int[] dOrder, Rle?[]? gRle, int A, int T, bool[]? includeImage, bool[]? unmatchedIgnored, Rle[]? gBoundary = null)
    {
        int g1 = piece.GTo, d1 = piece.DTo;
        var cap = st.Capacity;
        int numDt = 0, numGt = 0, count = piece.Base;
        var numPos = new long[A];

        var areaLo = options.AreaRanges.Select(r => r.Min).ToArray();
        var areaHi = options.AreaRanges.Select(r => r.Max).ToArray();
        var thrClamped = new double[T];
        for (var t = 0; t < T; t++) thrClamped[t] = Math.Min(thr[t], 1 - 1e-10);
        double[] ious = [];
        int[] dSorted = [];
        double[] negScore = [];
        int[] candStart = [], cand = [], candA = [];
        bool[] gIg = [], gMatched = [], gCrowd = [];
        var minThr = thrClamped.Min();
        MaskSet? dMasks = gRle is null ? null : new MaskSet(), gMasks = gRle is null ? null : new MaskSet();
        MaskSet? dBound = gBoundary is null ? null : new MaskSet(), gBound = gBoundary is null ? null : new MaskSet();
        double[]? kpVars = null;
        if (options.IouType == CocoIouType.Keypoints)
        {
            if (gt.Keypoints is null || dt.Keypoints is null) throw new ArgumentException("keypoint evaluation needs ground truth and detections loaded with their keypoints");
            // pycocotools: vars = (sigmas * 2) ** 2
            kpVars = options.Sigmas.Select(v => v * 2 * (v * 2)).ToArray();
        }

        int gi = piece.GFrom, di = piece.DFrom;
        while (gi < g1 || di < d1)
        {
            int gs = gi, ds = di;
            var img = NextImage(gt, dt, gOrder, dOrder, ref gi, g1, ref di, d1);
            var G = gi - gs;
            var Dall = di - ds;
            if (includeImage is not null && !includeImage[img]) continue; // another shard's image
            numDt += Dall;
            for (var g = gs; g < gi; g++) if (!gt.Crowd[gOrder[g]]) numGt++;

            // detections by descending score, stable (np.argsort(-score, kind='mergesort')), cut at maxDet
            if (dSorted.Length < Dall) { dSorted = new int[Dall * 2]; negScore = new double[Dall * 2]; }
            for (var j = 0; j < Dall; j++) { dSorted[j] = dOrder[ds + j]; negScore[j] = -dt.Score[dSorted[j]]; }
            StableSortByKey(negScore.AsSpan(0, Dall), dSorted.AsSpan(0, Dall));
            var D = Math.Min(Dall, maxDet);

            if (ious.Length < D * G) ious = new double[Math.Max(D * G, 64) * 2];
            if (gIg.Length < G) { gIg = new bool[G * 2]; gMatched = new bool[G * 2]; gCrowd = new bool[G * 2]; }
            if (G > 0 && D > 0)
            {
                if (gRle is not null)
                {
                    var im = gt.Images[img];
                    gMasks!.Clear();
                    dMasks!.Clear();
                    // Masks of one size need no exact rleToBbox box for their IoUs, only their column range
                    // (MaskSet.ColumnBox), unless a mask is one for which the two boxes can give another IoU
                    // (MaskSet.ColumnBoxExact: empty, or a leading "0 0"); then the block is added again with exact boxes.
                    (int, int) GtSize(int gj) => gRle[gj] is { } r ? (r.Height, r.Width) : MaskSet.SizeOf(gt.Segm![gj]!, im.Height, im.Width);
                    var size = GtSize(gOrder[gs]);
                    var box = false;
                    for (var g = 1; g < G && !box; g++) box = GtSize(gOrder[gs + g]) != size;
                    for (var d = 0; d < D && !box; d++) box = MaskSet.SizeOf(dt.Segm![dSorted[d]]!, im.Height, im.Width) != size;
                    AddMasks(box);
                    if (!box && !(gMasks.ColumnBoxesExact && dMasks.ColumnBoxesExact))
                    {
                        gMasks.Clear();
                        dMasks.Clear();
                        AddMasks(true);
                    }
                    void AddMasks(bool exact)
                    {
                        for (var g = 0; g < G; g++)
                        {
                            var gj = gOrder[gs + g];
                            if (gRle[gj] is { } r) gMasks.Add(r.Counts, r.Height, r.Width, exact);
                            else gMasks.Add(gt.Segm![gj]!, im.Height, im.Width, exact);
                        }
                        for (var d = 0; d < D; d++)
                        {
                            try { dMasks.Add(dt.Segm![dSorted[d]]!, im.Height, im.Width, exact); }
                            catch (Exception e) when (e is InvalidDataException or ArgumentException)
                            {
                                throw new InvalidDataException($"{dt.Source}: detection on image {im.Label}: {e.Message}");
                            }
                        }
                    }
                    if (gBoundary is not null) AddBoundaries(gBound!, dBound!, gBoundary, gOrder, gs, G, dt, dSorted, D, im, options.BoundaryDilationRatio!.Value);
                }
                for (var d = 0; d < D; d++)
                {
                    var di2 = dSorted[d];
                    for (var g = 0; g < G; g++)
                    {
                        var gj = gOrder[gs + g];
                        ious[d * G + g] = kpVars is not null
                            ? Oks(dt.Keypoints![di2], gt.Keypoints![gj], gt.X[gj], gt.Y[gj], gt.W[gj], gt.H[gj],
                                // CrowdPose: tmparea = bbox[3] * bbox[2] * 0.53
                                options.KeypointAreaFromBox ? gt.H[gj] * gt.W[gj] * 0.53 : gt.Area[gj], kpVars)
                            : gRle is null
                                ? BoxIouCoco(dt.X[di2], dt.Y[di2], dt.W[di2], dt.H[di2], gt.X[gj], gt.Y[gj], gt.W[gj], gt.H[gj], gt.Crowd[gj])
                                : gBoundary is null || gt.Crowd[gj]
                                    ? MaskSet.Iou(dMasks!, d, gMasks!, g, gt.Crowd[gj])
                                    // boundary-iou-api: np.minimum(mask IoU, boundary IoU) for non-crowd ground truth
                                    : Math.Min(MaskSet.Iou(dMasks!, d, gMasks!, g, false), MaskSet.Iou(dBound!, d, gBound!, g, false));
                    }
                }
            }

            var baseIdx = count;
            for (var d = 0; d < D; d++)
            {
                st.Score[baseIdx + d] = dt.Score[dSorted[d]];
                st.Image[baseIdx + d] = img;
                st.Rank[baseIdx + d] = d;
            }

            if (G == 0)
            {
                // nothing to match: a detection is ignored if its area is outside the range, else a false positive
                for (var d = 0; d < D; d++)
                {
                    var dArea = dt.Area[dSorted[d]];
                    var never = unmatchedIgnored is not null && unmatchedIgnored[dSorted[d]];
                    for (var a = 0; a < A; a++)
                    {
                        var v = never || dArea < areaLo[a] || dArea > areaHi[a] ? Ignored : FalsePositive;
                        for (var t = 0; t < T; t++) st.Status[(a * T + t) * cap + baseIdx + d] = v;
                    }
                }
                count += D;
                continue;
            }

            // candidates: ground truth a detection could match at the lowest threshold, in file order.
            // Scanning only these is equivalent to pycocotools' scan over all ground truth: the others
            // fail the IoU test, and the early exit (ignored ground truth sorted last) is reached the same way.
            if (candStart.Length < D + 1) candStart = new int[(D + 1) * 2];
            if (cand.Length < D * G) { cand = new int[D * G * 2]; candA = new int[D * G * 2]; }
            var nc = 0;
            for (var d = 0; d < D; d++)
            {
                candStart[d] = nc;
                var row = d * G;
                for (var g = 0; g < G; g++) if (ious[row + g] >= minThr) cand[nc++] = g;
            }
            candStart[D] = nc;
            for (var g = 0; g < G; g++) gCrowd[g] = gt.Crowd[gOrder[gs + g]];

            for (var a = 0; a < A; a++)
            {
                var lo = areaLo[a];
                var hi = areaHi[a];
                var np = 0;
                for (var g = 0; g < G; g++)
                {
                    var gj = gOrder[gs + g];
                    var ar = gt.Area[gj];
                    // pycocotools: ignore = iscrowd (and, for keypoints, num_keypoints == 0), then the area range
                    gIg[g] = gCrowd[g] || (kpVars is not null && gt.NumKeypoints![gj] == 0) || ar < lo || ar > hi;
                    if (!gIg[g]) np++;
                }
                numPos[a] += np;
                // candidates in pycocotools' order for this range: non-ignored first, stable
                for (var d = 0; d < D; d++)
                {
                    var q = candStart[d];
                    for (var c = candStart[d]; c < candStart[d + 1]; c++) if (!gIg[cand[c]]) candA[q++] = cand[c];
                    for (var c = candStart[d]; c < candStart[d + 1]; c++) if (gIg[cand[c]]) candA[q++] = cand[c];
                }
                for (var d = 0; d < D; d++)
                {
                    if (candStart[d] != candStart[d + 1]) continue;
                    var dArea = dt.Area[dSorted[d]];
                    var v = dArea < lo || dArea > hi || (unmatchedIgnored is not null && unmatchedIgnored[dSorted[d]]) ? Ignored : FalsePositive;
                    for (var t = 0; t < T; t++) st.Status[(a * T + t) * cap + baseIdx + d] = v;
                }

                for (var t = 0; t < T; t++)
                {
                    Array.Clear(gMatched, 0, G);
                    var thrT = thrClamped[t];
                    for (var d = 0; d < D; d++)
                    {
                        int c0 = candStart[d], c1 = candStart[d + 1];
                        if (c0 == c1) continue;
                        var m = -1;
                        var iou = thrT;
                        var row = d * G;
                        for (var c = c0; c < c1; c++)
                        {
                            var g = candA[c];
                            if (gMatched[g] && !gCrowd[g]) continue;
                            if (m > -1 && !gIg[m] && gIg[g]) break;
                            var v = ious[row + g];
                            if (v < iou) continue;
                            iou = v;
                            m = g;
                        }
                        var dArea = dt.Area[dSorted[d]];
                        // unmatched detections outside the range (LVIS: also of a not-exhaustively annotated category) are ignored
                        var outside = dArea < lo || dArea > hi || (unmatchedIgnored is not null && unmatchedIgnored[dSorted[d]]);
                        byte status;
                        if (m == -1) status = outside ? Ignored : FalsePositive;
                        else
                        {
                            gMatched[m] = true;
                            if (gIg[m]) status = Ignored;
                            // pycocotools stores the matched ground truth's id; an id of 0 reads as "unmatched"
                            else if (gt.AnnId[gOrder[gs + m]] == 0) status = outside ? Ignored : FalsePositive;
                            else status = TruePositive;
                        }
                        st.Status[(a * T + t) * cap + baseIdx + d] = status;
                    }
                }
            }
            count += D;
        }
        return new PieceCounts(numDt, numGt, count - piece.Base, numPos);
    }

    /// <summary>Boundary IoU: the boundaries of one image's ground truth (precomputed) and kept detections, in the order of the mask sets.</summary>
    private static void AddBoundaries(MaskSet gBound, MaskSet dBound, Rle[] gBoundary, int[] gOrder, int gs, int G, CocoDetections dt, int[] dSorted, int D, CocoImage im, double ratio)
    {
        gBound.Clear();
        dBound.Clear();
        for (var g = 0; g < G; g++)
        {
            var r = gBoundary[gOrder[gs + g]];
            gBound.Add(r.Counts, r.Height, r.Width);
        }
        for (var d = 0; d < D; d++)
        {
            var r = dt.Segm![dSorted[d]]!.ToRle(im.Height, im.Width);
            dBound.Add(BoundaryIou.Boundary(r.Counts, r.Height, r.Width, BoundaryIou.Dilation(ratio, r.Height, r.Width)), r.Height, r.Width);
        }
    }

    /// <summary>The skeleton of the files must be the one of the sigmas; the area field is needed unless the OKS scale comes from the box.</summary>
    private static void CheckKeypoints(CocoGroundTruth gt, CocoDetections dt, CocoEvalOptions options)
    {
        if (gt.Keypoints is null || dt.Keypoints is null) throw new ArgumentException("keypoint evaluation needs ground truth and detections loaded with their keypoints");
        var k = options.Sigmas.Count;
        var named = options.KeypointSigmas is null ? "COCO's 17 sigmas" : $"the {k} sigmas given";
        for (var i = 0; i < gt.Count; i++)
            if (gt.Keypoints[i].Length != 3 * k)
                throw DynoInputException.Naming(new InvalidDataException($"{gt.Source}: annotation id {gt.AnnId[i]}: {gt.Keypoints[i].Length / 3} keypoints, but {named} are for {k} (use CocoEvalOptions.KeypointSigmas or a preset such as crowdpose)"), "CocoEvalOptions.KeypointSigmas");
        for (var i = 0; i < dt.Count; i++)
            if (dt.Keypoints[i].Length != 3 * k)
                throw new InvalidDataException($"{dt.Source}: a detection on image {gt.Images[dt.Img[i]].Label}: {dt.Keypoints[i].Length / 3} keypoints, but {named} are for {k}");
        if (gt.AreaMissingAt is { } where && !options.KeypointAreaFromBox)
            throw DynoInputException.Naming(new InvalidDataException($"{gt.Source}: {where}: no finite 'area' (OKS is scaled by the ground truth's 'area'; CrowdPose files without it: CocoEvalOptions.KeypointAreaFromBox)"), "CocoEvalOptions.KeypointAreaFromBox");
    }

    /// <summary>
    /// pycocotools' <c>computeOks</c> for one pair: with labelled ground-truth keypoints, the mean of
    /// exp(−d² / vars / (area + eps) / 2) over them; without, distances to the ground truth box grown by
    /// its size on each side, over all keypoints.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Oks(double[] d, double[] g, double bx, double by, double bw, double bh, double area, double[] vars)
    {
        var k = vars.Length;
        var labelled = 0;
        for (var i = 0; i < k; i++) if (g[3 * i + 2] > 0) labelled++;
        double x0 = bx - bw, x1 = bx + bw * 2, y0 = by - bh, y1 = by + bh * 2;
        Span<double> terms = stackalloc double[k];
        var n = 0;
        for (var i = 0; i < k; i++)
        {
            double xd = d[3 * i], yd = d[3 * i + 1], dx, dy;
            if (labelled > 0)
            {
                if (!(g[3 * i + 2] > 0)) continue;
                dx = xd - g[3 * i];
                dy = yd - g[3 * i + 1];
            }
            else
            {
                dx = Math.Max(0, x0 - xd) + Math.Max(0, xd - x1);
                dy = Math.Max(0, y0 - yd) + Math.Max(0, yd - y1);
            }
            var e = (dx * dx + dy * dy) / vars[i] / (area + Spacing1) / 2;
            terms[n++] = Math.Exp(-e);
        }
        return NumpyCompat.PairwiseSum(terms[..n]) / n;
    }

    /// <summary>pycocotools' <c>bbIou</c> for one pair, with its exact operation order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double BoxIouCoco(double dx, double dy, double dw, double dh, double gx, double gy, double gw, double gh, bool crowd)
    {
        var w = Math.Min(dw + dx, gw + gx) - Math.Max(dx, gx);
        if (w <= 0) return 0;
        var h = Math.Min(dh + dy, gh + gy) - Math.Max(dy, gy);
        if (h <= 0) return 0;
        var i = w * h;
        var da = dw * dh;
        var u = crowd ? da : da + gw * gh - i;
        return i / u;
    }

    /// <summary>Sorts <paramref name="items"/> by ascending key, equal keys keeping their order (numpy's stable mergesort).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void StableSortByKey(Span<double> keys, Span<int> items)
    {
        var n = keys.Length;
        if (n < 2) return;
        if (n <= 32)
        {
            InsertionSort(keys, items);
            return;
        }
        // bottom-up merge sort: insertion-sorted runs of 32, then stable merges (own code, fully optimised
        // from the start: the runtime's generic Span.Sort<double, int> would run as tier-0 code here)
        const int run = 32;
        for (var i = 0; i < n; i += run) InsertionSort(keys.Slice(i, Math.Min(run, n - i)), items.Slice(i, Math.Min(run, n - i)));
        var k2 = new double[n];
        var i2 = new int[n];
        Span<double> srcK = keys, dstK = k2;
        Span<int> srcI = items, dstI = i2;
        for (var width = run; width < n; width *= 2)
        {
            for (var lo = 0; lo < n; lo += 2 * width)
            {
                int mid = Math.Min(lo + width, n), hi = Math.Min(lo + 2 * width, n), a = lo, b = mid, o = lo;
                while (a < mid && b < hi)
                {
                    if (srcK[b] < srcK[a]) { dstK[o] = srcK[b]; dstI[o++] = srcI[b++]; }
                    else { dstK[o] = srcK[a]; dstI[o++] = srcI[a++]; }
                }
                while (a < mid) { dstK[o] = srcK[a]; dstI[o++] = srcI[a++]; }
                while (b < hi) { dstK[o] = srcK[b]; dstI[o++] = srcI[b++]; }
            }
            var tk = srcK; srcK = dstK; dstK = tk;
            var ti = srcI; srcI = dstI; dstI = ti;
        }
        if (srcK != keys)
        {
            srcK.CopyTo(keys);
            srcI.CopyTo(items);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InsertionSort(Span<double> keys, Span<int> items)
    {
        for (var i = 1; i < keys.Length; i++)
        {
            var k = keys[i];
            var v = items[i];
            var j = i - 1;
            while (j >= 0 && keys[j] > k) { keys[j + 1] = keys[j]; items[j + 1] = items[j]; j--; }
            keys[j + 1] = k;
            items[j + 1] = v;
        }
    }

    internal static CocoEvalResult Summarize(EvalState state, IReadOnlyList<CocoCategory> categories, CocoCounts counts)
    {
        var o = state.Options;
        var thr = state.IouThr;
        var rec = o.RecallThresholds.ToArray();
        var maxDets = state.MaxDets;
        int T = thr.Length, R = rec.Length, K = state.Categories.Length, A = o.AreaRanges.Count, M = maxDets.Length;
        var precision = new double[T * R * K * A * M];
        var recall = new double[T * K * A * M];
        Array.Fill(precision, -1.0);
        Array.Fill(recall, -1.0);

        Parallelism.ForLargestFirst(K, k => state.Categories[k].Count, k => AccumulateCategory(state.Categories[k], k, thr, rec, maxDets, K, A, precision, recall));

        var areaLabels = o.AreaRanges.Select(a => a.Label).ToArray();
        var last = maxDets[^1];
        double Stat(bool ap, double? iouThr, string area, int md, int? onlyK = null) =>
            SliceMean(precision, recall, thr, R, K, areaLabels, maxDets, ap, iouThr, area, md, k => onlyK is null || k == onlyK);

        Dictionary<string, double> stats;
        if (o.IouType == CocoIouType.Keypoints)
        {
            // pycocotools' _summarizeKps
            stats = new Dictionary<string, double>
            {
                ["AP"] = Stat(true, null, "all", last),
                ["AP50"] = Stat(true, .5, "all", last),
                ["AP75"] = Stat(true, .75, "all", last),
                ["APm"] = Stat(true, null, "medium", last),
                ["APl"] = Stat(true, null, "large", last),
                ["AR"] = Stat(false, null, "all", last),
                ["AR50"] = Stat(false, .5, "all", last),
                ["AR75"] = Stat(false, .75, "all", last),
                ["ARm"] = Stat(false, null, "medium", last),
                ["ARl"] = Stat(false, null, "large", last),
            };
        }
        else
        {
            stats = new Dictionary<string, double>
            {
                ["AP"] = Stat(true, null, "all", last),
                ["AP50"] = Stat(true, .5, "all", last),
                ["AP75"] = Stat(true, .75, "all", last),
                ["APs"] = Stat(true, null, "small", last),
                ["APm"] = Stat(true, null, "medium", last),
                ["APl"] = Stat(true, null, "large", last),
            };
            foreach (var md in maxDets) stats["AR" + md.ToString(CultureInfo.InvariantCulture)] = Stat(false, null, "all", md);
            stats["ARs"] = Stat(false, null, "small", last);
            stats["ARm"] = Stat(false, null, "medium", last);
            stats["ARl"] = Stat(false, null, "large", last);
            foreach (var a in areaLabels)
            {
                if (a is "all" or "small" or "medium" or "large") continue;
                stats["AP_" + a] = Stat(true, null, a, last);
                stats["AR_" + a] = Stat(false, null, a, last);
            }
        }

        var perIou = new Dictionary<string, double>();
        foreach (var t in thr) perIou[t.ToString("R", CultureInfo.InvariantCulture)] = Stat(true, t, "all", last);

        var perCat = new List<CocoCategoryResult>();
        if (o.UseCats)
        {
            for (var k = 0; k < K; k++)
            {
                var c = state.Categories[k];
                perCat.Add(new CocoCategoryResult
                {
                    Id = categories[k].Id,
                    Name = categories[k].Name,
                    AP = Stat(true, null, "all", last, k),
                    AP50 = Stat(true, .5, "all", last, k),
                    AP75 = Stat(true, .75, "all", last, k),
                    APs = Stat(true, null, "small", last, k),
                    APm = Stat(true, null, "medium", last, k),
                    APl = Stat(true, null, "large", last, k),
                    AR = Stat(false, null, "all", last, k),
                    NumGt = c.NumGt,
                    NumDt = c.NumDt,
                });
            }
        }
        CocoOperatingPoints? operating = null;
        if (o.ScoreThreshold is { } scoreThr)
            operating = OperatingPoints(state, categories, scoreThr, Math.Max(0, Array.IndexOf(areaLabels, "all")));

        return new CocoEvalResult
        {
            OperatingPoints = operating,
            Stats = stats,
            PerCategory = perCat,
            ApPerIouThreshold = perIou,
            Protocol = new CocoProtocol
            {
                IouType = o.IouType switch { CocoIouType.Segm => o.BoundaryDilationRatio is null ? "segm" : "boundary", CocoIouType.Keypoints => "keypoints", _ => "bbox" },
                BoundaryDilationRatio = o.BoundaryDilationRatio,
                Reference = o.BoundaryDilationRatio is null ? new CocoProtocol().Reference : "boundary-iou-api COCOeval(iouType='boundary') (pycocotools' evaluation on min(mask IoU, boundary IoU))",
                IouThresholds = thr,
                RecallPoints = R,
                MaxDets = maxDets,
                AreaRanges = o.AreaRanges,
                KeypointSigmas = o.IouType == CocoIouType.Keypoints ? o.Sigmas.ToArray() : null,
                UseCats = o.UseCats,
                CocoDefault = o.IsCocoDefault,
            },
            Counts = counts,
            Precision = precision,
            Recall = recall,
        };
    }

    /// <summary>
    /// pycocotools' accumulate for one category. Precision is evaluated only at true positives: recall
    /// changes only there, so searchsorted 'left' always lands on one (or on index 0 for recall 0), and a
    /// false positive's precision never exceeds that of the true positive before it, so the envelope
    /// (running max from the right) over true positives equals numpy's over all entries, bit for bit.
    /// </summary>
    /// <summary>
    /// pycocotools' <c>_summarize</c>: the mean of precision [T, R, K] (or recall [T, K]) at one area
    /// range and maxDets over entries &gt; −1, in C order, with numpy's summation; −1 when there are none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double SliceMean(double[] precision, double[] recall, double[] thr, int R, int K, string[] areaLabels, int[] maxDets,
        bool ap, double? iouThr, string area, int md, Func<int, bool> includeCategory)
    {
        int T = thr.Length, A = areaLabels.Length, M = maxDets.Length;
        var aIdx = Array.IndexOf(areaLabels, area);
        var mIdx = Array.IndexOf(maxDets, md);
        if (aIdx < 0 || mIdx < 0) return -1;
        var ks = Enumerable.Range(0, K).Where(includeCategory).ToArray();
        var vals = new List<double>();
        for (var t = 0; t < T; t++)
        {
            if (iouThr is not null && thr[t] != iouThr.Value) continue;
            if (ap)
            {
                for (var r = 0; r < R; r++)
                    foreach (var k in ks)
                    {
                        var v = precision[(((t * R + r) * K + k) * A + aIdx) * M + mIdx];
                        if (v > -1) vals.Add(v);
                    }
            }
            else
            {
                foreach (var k in ks)
                {
                    var v = recall[((t * K + k) * A + aIdx) * M + mIdx];
                    if (v > -1) vals.Add(v);
                }
            }
        }
        return vals.Count == 0 ? -1 : NumpyCompat.Mean(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(vals));
    }

    /// <summary>
    /// Open-vocabulary split: AP and AP50 over the base and over the novel categories (each exactly what
    /// pycocotools gives with <c>params.catIds</c> set to that subset) and their harmonic means.
    /// </summary>
    public static CocoSplitResult Split(CocoEvalResult result, IReadOnlyCollection<long> baseIds, IReadOnlyCollection<long> novelIds)
    {
        if (!result.Protocol.UseCats || result.PerCategory.Count == 0) throw new DynoInputException("a base/novel split needs a per-category evaluation (use-cats true)");
        var ids = result.PerCategory.Select(c => c.Id).ToArray();
        foreach (var id in baseIds.Concat(novelIds))
            if (Array.IndexOf(ids, id) < 0) throw new DynoInputException($"split category {id} is not in the ground truth");
        var overlap = baseIds.Intersect(novelIds).ToArray();
        if (overlap.Length > 0) throw new DynoInputException($"category {overlap[0]} is both base and novel");
        var thr = result.Protocol.IouThresholds.ToArray();
        var maxDets = result.Protocol.MaxDets.ToArray();
        var labels = result.Protocol.AreaRanges.Select(a => a.Label).ToArray();
        var all = labels.Contains("all") ? "all" : labels[0];
        double Mean(IReadOnlyCollection<long> set, double? t) =>
            SliceMean(result.Precision, result.Recall, thr, result.Protocol.RecallPoints, ids.Length, labels, maxDets, true, t, all, maxDets[^1], k => set.Contains(ids[k]));
        static double Harmonic(double a, double b) => a < 0 || b < 0 ? -1 : a + b == 0 ? 0 : 2 * a * b / (a + b);
        double apB = Mean(baseIds, null), apN = Mean(novelIds, null), ap50B = Mean(baseIds, .5), ap50N = Mean(novelIds, .5);
        return new CocoSplitResult
        {
            APBase = apB, APNovel = apN, APHarmonic = Harmonic(apB, apN),
            AP50Base = ap50B, AP50Novel = ap50N, AP50Harmonic = Harmonic(ap50B, ap50N),
            BaseCategories = baseIds.Count, NovelCategories = novelIds.Count,
        };
    }

    private static CocoOperatingPoints OperatingPoints(EvalState state, IReadOnlyList<CocoCategory> categories, double scoreThr, int aIdx)
    {
        var thr = state.IouThr;
        var t = Array.IndexOf(thr, 0.5);
        if (t < 0) t = 0;
        var T = thr.Length;
        var q = aIdx * T + t;
        var pooledScores = new List<double>();
        var pooledStatus = new List<byte>();
        long pooledPos = 0;
        var perCat = new List<CocoCategoryOperatingPoints>();
        for (var k = 0; k < state.Categories.Length; k++)
        {
            var c = state.Categories[k];
            var scores = new double[c.Count];
            var status = new byte[c.Count];
            for (var i = 0; i < c.Count; i++) { scores[i] = c.Score[i]; status[i] = c.Status[q * c.Capacity + i]; }
            pooledScores.AddRange(scores);
            pooledStatus.AddRange(status);
            pooledPos += c.NumPos[aIdx];
            if (state.Options.UseCats && (c.Count > 0 || c.NumPos[aIdx] > 0))
            {
                var (at, best) = Sweep(scores, status, c.NumPos[aIdx], scoreThr);
                perCat.Add(new CocoCategoryOperatingPoints(categories[k].Id, categories[k].Name, at, best));
            }
        }
        var grid = NumpyCompat.Linspace(0, 1, 101);
        var curve = new CocoOperatingPoint[grid.Length];
        var (pAt, pBest) = Sweep(pooledScores.ToArray(), pooledStatus.ToArray(), pooledPos, scoreThr, grid, curve);
        return new CocoOperatingPoints { IouThreshold = thr[t], AtThreshold = pAt, BestF1 = pBest, Curve = curve, PerCategory = perCat };
    }

    /// <summary>Operating point at <paramref name="scoreThr"/> and the F1-optimal one over all distinct scores.</summary>
    private static (CocoOperatingPoint At, CocoOperatingPoint Best) Sweep(double[] scores, byte[] status, long npos, double scoreThr,
        double[]? grid = null, CocoOperatingPoint[]? curve = null)
    {
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var keys = scores.Select(s => -s).ToArray();
        StableSortByKey(keys, order);
        CocoOperatingPoint Point(double threshold, long tp, long fp)
        {
            var p = tp + fp > 0 ? (double)tp / (tp + fp) : 0;
            var r = npos > 0 ? (double)tp / npos : -1;
            var f1 = p + r > 0 && r >= 0 ? 2 * p * r / (p + r) : 0;
            return new CocoOperatingPoint { Threshold = threshold, Precision = p, Recall = r, F1 = f1, Tp = tp, Fp = fp, Fn = Math.Max(0, npos - tp) };
        }
        long ctp = 0, cfp = 0, atTp = 0, atFp = 0;
        var best = Point(double.PositiveInfinity, 0, 0);
        var g = grid is null ? -1 : grid.Length - 1; // grid thresholds, from the highest down
        for (var j = 0; j < order.Length;)
        {
            var s = scores[order[j]];
            for (; g >= 0 && grid![g] > s; g--) curve![g] = Point(grid[g], ctp, cfp);
            // all detections with this score pass together
            while (j < order.Length && scores[order[j]] == s)
            {
                var st = status[order[j]];
                if (st == TruePositive) ctp++;
                else if (st == FalsePositive) cfp++;
                j++;
            }
            if (s >= scoreThr) { atTp = ctp; atFp = cfp; }
            var pt = Point(s, ctp, cfp);
            if (pt.F1 > best.F1) best = pt;
        }
        for (; g >= 0; g--) curve![g] = Point(grid![g], ctp, cfp);
        return (Point(scoreThr, atTp, atFp), best);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateCategory(CategoryState c, int k, double[] thr, double[] rec, int[] maxDets, int K, int A, double[] precision, double[] recall)
    {
        int T = thr.Length, R = rec.Length, M = maxDets.Length, AT = A * T;
        var n = c.Count;
        // all kept detections of the category by descending score; ties keep (image, rank) order
        var order = new int[n];
        var keys = new double[n];
        for (var i = 0; i < n; i++) { order[i] = i; keys[i] = -c.Score[i]; }
        StableSortByKey(keys, order);
        // per maxDets: the sorted detections within the cut (the last maxDets keeps them all)
        var sel = new int[M][];
        for (var mi = 0; mi < M; mi++)
        {
            var md = maxDets[mi];
            var list = new List<int>(n);
            foreach (var i in order) if (c.Rank[i] < md) list.Add(i);
            sel[mi] = list.ToArray();
        }
        // the area ranges are independent: a large category (person) runs them in parallel rather than end the phase alone
        if (n >= 16384 && A > 1) Parallelism.For(0, A, AreaRange);
        else for (var a = 0; a < A; a++) AreaRange(a);

        void AreaRange(int a)
        {
            var npig = c.NumPos[a];
            if (npig == 0) return;
            // pooled: arrays this size live on the large-object heap until a full collection, and every category and area
            // range needs its own (peak RSS of val2017-like segm 380 -> 405 MB when allocated here)
            var fpAtTp = System.Buffers.ArrayPool<long>.Shared.Rent(n + 1);
            var rcTp = System.Buffers.ArrayPool<double>.Shared.Rent(n);
            var prTp = System.Buffers.ArrayPool<double>.Shared.Rent(n);
            try
            {
                for (var t = 0; t < T; t++)
                {
                    var row = c.Status.AsSpan((a * T + t) * c.Capacity, c.Capacity);
                    for (var mi = 0; mi < M; mi++)
                    {
                        // branch-free compaction of the true positives, with the false-positive count before each
                        long fp = 0;
                        var nTp = 0;
                        foreach (var i in sel[mi])
                        {
                            var s = row[i];
                            fp += s == FalsePositive ? 1 : 0;
                            fpAtTp[nTp] = fp;
                            nTp += s == TruePositive ? 1 : 0;
                        }
                        for (var i = 0; i < nTp; i++)
                        {
                            double tp = i + 1;
                            rcTp[i] = tp / npig;
                            prTp[i] = tp / ((double)fpAtTp[i] + tp + Spacing1);
                        }
                        long tpTotal = nTp;
                        recall[((t * K + k) * A + a) * M + mi] = (double)tpTotal / npig;
                        for (var i = nTp - 1; i > 0; i--)
                            prTp[i - 1] = Math.Max(prTp[i - 1], prTp[i]);
                        var lo = 0;
                        for (var r = 0; r < R; r++)
                        {
                            // np.searchsorted(rc, rec[r], side='left') lands on the first true positive with rc >= rec[r]
                            int l = lo, h = nTp;
                            while (l < h)
                            {
                                var mid = (l + h) >>> 1;
                                if (rcTp[mid] < rec[r]) l = mid + 1; else h = mid;
                            }
                            lo = l;
                            precision[(((t * R + r) * K + k) * A + a) * M + mi] = l < nTp ? prTp[l] : 0;
                        }
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<long>.Shared.Return(fpAtTp);
                System.Buffers.ArrayPool<double>.Shared.Return(rcTp);
                System.Buffers.ArrayPool<double>.Shared.Return(prTp);
            }
        }
    }
}
