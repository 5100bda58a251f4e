using System.Globalization;
using System.Numerics;

namespace Dyno.Metrics.Detection;

/// <summary>
/// CrowdPose keypoint evaluation as faster-coco-eval runs it (<c>COCOeval_faster(iouType="keypoints_crowd",
/// kpt_oks_sigmas=..., use_area=False)</c>, the protocol of the CrowdPose benchmark): pycocotools' keypoint
/// matching with CrowdPose's 14 sigmas and OKS scaled by 0.53 × the ground truth's box area (CrowdPose files
/// have no <c>area</c>; a missing one reads as 0 for the area ranges), and its nine summary numbers:
/// AP_all, AP_50, AP_75, AR_all, AR_50, AR_75 (as pycocotools' keypoint summary) and AP_easy, AP_medium, AP_hard:
/// the evaluation repeated on the images with <c>crowdIndex</c> &lt; 0.2, in [0.2, 0.8) and ≥ 0.8, each the plain
/// mean of <c>precision[:, :, :, 0, :]</c> (−1 entries included, as faster-coco-eval does) rounded to 4 decimals.
/// </summary>
public static class CrowdPoseEvaluator
{
    /// <summary>faster-coco-eval's <c>get_type_result(first=0.2, second=0.8)</c> crowdIndex thresholds.</summary>
    public const double EasyBelow = 0.2, MediumBelow = 0.8;

    /// <summary>Evaluates CrowdPose keypoints; <paramref name="sigmas"/> default to CrowdPose's 14.</summary>
    /// <exception cref="InvalidDataException">An image has no <c>crowdIndex</c>, or the skeleton does not fit the sigmas.</exception>
    public static CocoEvalResult Evaluate(CocoGroundTruth gt, CocoDetections dt, IReadOnlyList<double>? sigmas = null)
    {
        var options = CocoEvalOptions.CrowdPose with { KeypointSigmas = sigmas ?? CocoEvalOptions.CrowdPoseKeypointSigmas };
        var all = CocoEvaluator.Evaluate(gt, dt, options);
        var crowd = new double[gt.Images.Count];
        for (var i = 0; i < crowd.Length; i++)
        {
            var id = gt.Images[i].Id;
            if (gt.HasStringImageIds || gt.CrowdIndex is null || !gt.CrowdIndex.TryGetValue(id, out crowd[i]))
                throw JsonInput.Bad(gt.Source, $"images (id {gt.Images[i].Label})", "no 'crowdIndex' (CrowdPose splits images into easy, medium and hard by it)");
        }
        double Type(Func<double, bool> inType)
        {
            var include = crowd.Select(inType).ToArray();
            var state = CocoEvaluator.EvaluateImages(gt, dt, options, include);
            var r = CocoEvaluator.Summarize(state, gt.Categories, new CocoCounts());
            // np.mean(precision[:, :, :, 0, :]): every entry of the first area range, in C order
            int T = r.Protocol.IouThresholds.Count, R = r.Protocol.RecallPoints, K = gt.Categories.Count, A = options.AreaRanges.Count, M = r.Protocol.MaxDets.Count;
            var vals = new double[T * R * K * M];
            var n = 0;
            for (var t = 0; t < T; t++)
                for (var q = 0; q < R; q++)
                    for (var k = 0; k < K; k++)
                        for (var m = 0; m < M; m++)
                            vals[n++] = r.Precision[(((t * R + q) * K + k) * A + 0) * M + m];
            return n == 0 ? double.NaN : PythonRound(NumpyCompat.Mean(vals), 4);
        }
        var s = all.Stats;
        var stats = new Dictionary<string, double>
        {
            ["AP_all"] = s["AP"],
            ["AP_50"] = s["AP50"],
            ["AP_75"] = s["AP75"],
            ["AR_all"] = s["AR"],
            ["AR_50"] = s["AR50"],
            ["AR_75"] = s["AR75"],
            ["AP_easy"] = Type(c => c < EasyBelow),
            ["AP_medium"] = Type(c => c >= EasyBelow && c < MediumBelow),
            ["AP_hard"] = Type(c => c >= MediumBelow),
        };
        return all with
        {
            Stats = stats,
            Protocol = all.Protocol with
            {
                Name = "crowdpose",
                Reference = "faster-coco-eval COCOeval_faster(iouType='keypoints_crowd', use_area=False) (CrowdPose: OKS scale 0.53 x box area, easy/medium/hard by crowdIndex)",
            },
        };
    }

    /// <summary>Python's <c>round(x, digits)</c>: the exact binary value rounded half to even at <paramref name="digits"/> decimals, then the nearest double.</summary>
    internal static double PythonRound(double x, int digits)
    {
        if (!double.IsFinite(x) || x == 0) return x;
        var bits = BitConverter.DoubleToInt64Bits(Math.Abs(x));
        var exp = (int)((bits >> 52) & 0x7FF);
        var mant = bits & 0xFFFFFFFFFFFFFL;
        if (exp == 0) exp = 1; else mant |= 1L << 52;
        var e2 = exp - 1075; // |x| = mant * 2^e2
        var scaled = new BigInteger(mant) * BigInteger.Pow(10, digits);
        BigInteger q;
        if (e2 >= 0) q = scaled << e2;
        else
        {
            var den = BigInteger.One << -e2;
            q = BigInteger.DivRem(scaled, den, out var rem);
            var twice = rem * 2;
            if (twice > den || (twice == den && !q.IsEven)) q += 1;
        }
        var text = q.ToString(CultureInfo.InvariantCulture) + "e-" + digits.ToString(CultureInfo.InvariantCulture);
        var v = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return x < 0 ? -v : v;
    }
}
