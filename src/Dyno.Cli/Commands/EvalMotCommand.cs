using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Dyno.Cli.Infrastructure;
using Dyno.Metrics.Tracking;
using Dyno.Reports;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval mot</c>: multi-object tracking metrics (CLEAR, Identity, HOTA) and video metrics.</summary>
internal static class EvalMotCommand
{
    /// <summary>Which tool's CLEAR/Identity conventions the headline metrics follow.</summary>
    public enum ClearConvention { Trackeval, Motmetrics }

    /// <summary>MOTP as mean IoU of matches, or as py-motmetrics' mean distance 1 − IoU.</summary>
    public enum MotpUnit { Iou, Distance }

    public static Command Create()
    {
        var common = new CommonOptions();
        var gt = new Option<string>("--gt") { Description = "Ground truth: a file, or a folder of sequences (SEQ/gt/gt.txt, SEQ/gt.txt or SEQ.txt).", Required = true };
        var pred = new Option<string>("--pred") { Description = "Tracker output: a file, or a folder with SEQ.txt (or SEQ/SEQ.txt, SEQ/test.txt) per sequence.", Required = true };
        var input = new Option<string>("--input-format") { Description = "mot (MOTChallenge text, default) or kitti (KITTI tracking).", DefaultValueFactory = _ => "mot" };
        input.AcceptOnlyFromAmong("mot", "kitti");
        var kittiClass = new Option<string[]>("--kitti-class") { Description = "KITTI object types to evaluate (default: Car).", AllowMultipleArgumentsPerToken = true };
        var preprocess = new Option<MotPreprocess>("--preprocess")
        {
            Description = "Ground-truth filtering: auto (mot17 if the gt has class ids, else mot15), none, mot15 (drop zero-marked), mot17, mot20 (also remove predictions matched to distractors, keep pedestrians).",
            DefaultValueFactory = _ => MotPreprocess.Auto,
        };
        var minVis = new Option<double>("--min-visibility") { Description = "Treat ground truth with visibility below this as a distractor (MOT16/17/20 column 9) (0 = off).", DefaultValueFactory = _ => 0 };
        var iou = new Option<double>("--iou") { Description = "IoU threshold of CLEAR and Identity matching.", DefaultValueFactory = _ => 0.5 };
        var clear = new Option<ClearConvention>("--clear")
        {
            Description = "Conventions of MOTA/MOTP/IDF1/FP/FN/IDSW/Frag/MT/PT/ML: trackeval or motmetrics (py-motmetrics' MOTAccumulator). HOTA is always TrackEval's.",
            DefaultValueFactory = _ => ClearConvention.Trackeval,
        };
        var motp = new Option<MotpUnit>("--motp") { Description = "MOTP as mean IoU of matches (iou, TrackEval) or mean 1 − IoU (distance, py-motmetrics).", DefaultValueFactory = _ => MotpUnit.Iou };
        var video = new Option<bool>("--video") { Description = "Also compute the video metrics: track breaks, position drift, frame-to-frame consistency." };
        var timings = new Option<string?>("--timings") { Description = "CSV 'sequence,seconds[,frames]' of the tracker's run time per sequence: adds temporal throughput (FPS)." };
        var sequential = new Option<bool>("--sequential") { Description = "Evaluate sequences one after another instead of in parallel." };

        var cmd = new Command("mot", "Multi-object tracking metrics: CLEAR MOT (MOTA, MOTP), Identity (IDF1) and HOTA, per sequence and combined, matching py-motmetrics and TrackEval.");
        foreach (var o in new Option[] { gt, pred, input, kittiClass, preprocess, minVis, iou, clear, motp, video, timings, sequential }) cmd.Options.Add(o);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var threshold = parse.GetValue(iou);
            if (!(threshold > 0 && threshold <= 1)) throw new UsageException($"--iou {threshold}: must be in (0, 1]");
            var mv = parse.GetValue(minVis);
            if (!(mv >= 0 && mv <= 1)) throw new UsageException($"--min-visibility {mv}: must be in [0, 1]");
            var format = parse.GetValue(input) == "kitti" ? TrackFileFormat.Kitti : TrackFileFormat.MotChallenge;
            var classes = parse.GetValue(kittiClass) is { Length: > 0 } k ? k : ["Car"];
            var quiet = parse.GetValue(common.Quiet);
            var sw = Stopwatch.StartNew();
            var seqs = MotSequenceLoader.Load(parse.GetValue(gt)!, parse.GetValue(pred)!, format, format == TrackFileFormat.Kitti ? classes : null);
            var loadSeconds = sw.Elapsed.TotalSeconds;
            var conv = parse.GetValue(clear);
            var options = new MotEvaluationOptions(threshold, new MotPreprocessOptions(parse.GetValue(preprocess), mv),
                MotMetrics: conv == ClearConvention.Motmetrics, Parallel: !parse.GetValue(sequential), Video: parse.GetValue(video));
            var timingRows = parse.GetValue(timings) is { } tf ? ThroughputResult.ReadTimings(tf) : null;
            var evaluation = MotEvaluator.Evaluate(seqs, options);
            var evalSeconds = sw.Elapsed.TotalSeconds - loadSeconds;
            if (!quiet) Console.Error.WriteLine($"dyno: {seqs.Count} sequence(s), {evaluation.Combined.Frames} frames, {evaluation.Combined.GtDets} GT boxes, {evaluation.Combined.TrackerDets} predictions: read {loadSeconds:F2} s, evaluated {evalSeconds:F2} s");

            var unit = parse.GetValue(motp);
            var doc = new MotReport
            {
                Gt = parse.GetValue(gt)!,
                Pred = parse.GetValue(pred)!,
                Conventions = new MotConventions(conv == ClearConvention.Motmetrics ? "motmetrics" : "trackeval", unit == MotpUnit.Iou ? "iou" : "distance",
                    threshold, seqs.Select(s => MotPreprocessing.Resolve(options.Preprocess!.Mode, s.Gt).ToString().ToLowerInvariant()).Distinct().ToArray(), mv, HotaResult.Alphas),
                Metrics = MotMetricRow.From(evaluation.Combined, conv, unit),
                PerSequence = evaluation.Sequences.ToDictionary(s => s.Name, s => MotMetricRow.From(s, conv, unit)),
                HotaPerAlpha = HotaAlphaCurves.From(evaluation.Combined.Hota),
                Video = evaluation.Combined.Video is null ? null : new MotVideoReport(MotVideoRow.From(evaluation.Combined.Video),
                    evaluation.Sequences.ToDictionary(s => s.Name, s => MotVideoRow.From(s.Video!))),
                Throughput = timingRows is null ? null : MotThroughputReport.From(timingRows, evaluation, parse.GetValue(timings)!, quiet),
            };
            return Emit(parse, common, doc, conv, unit);
        }));
        return cmd;
    }

    private static int Emit(ParseResult parse, CommonOptions common, MotReport doc, ClearConvention conv, MotpUnit unit)
    {
        var columns = new[] { "Sequence", "HOTA", "DetA", "AssA", "LocA", "MOTA", unit == MotpUnit.Iou ? "MOTP" : "MOTP(d)", "IDF1", "IDP", "IDR", "FP", "FN", "IDSW", "Frag", "MT", "PT", "ML" }
            .Select((h, i) => new ResultColumn(h, i == 0 ? ColumnAlign.Left : ColumnAlign.Right, MotDropOrder(h))).ToArray();
        var rows = doc.PerSequence.Select(kv => Row(kv.Key, kv.Value)).Append(Row("COMBINED", doc.Metrics)).ToList();
        var tables = new List<ResultTable> { new("Multi-object tracking", columns, rows) };
        var notes = new List<string>
        {
            $"HOTA/DetA/AssA/LocA: TrackEval, mean over α = 0.05..0.95. CLEAR/Identity: {(conv == ClearConvention.Motmetrics ? "py-motmetrics MOTAccumulator" : "TrackEval")} at IoU ≥ {doc.Conventions.IouThreshold}.",
        };
        if (doc.Video is { } v)
        {
            var vcols = new[] { "Sequence", "GT tracks", "Breaks", "Break rate", "Mean disp (px)", "Max disp (px)", "Mean disp / diag", "Drift px/100f", "Consecutive IoU", "Flicker" }
                .Select((h, i) => new ResultColumn(h, i == 0 ? ColumnAlign.Left : ColumnAlign.Right)).ToArray();
            var vrows = v.PerSequence.Select(kv => VRow(kv.Key, kv.Value)).Append(VRow("COMBINED", v.Metrics)).ToList();
            tables.Add(new ResultTable("Video metrics (on the CLEAR matching)", vcols, vrows));
        }
        if (doc.Throughput is { } tp)
        {
            var tcols = new[] { "Sequence", "Frames", "Seconds", "FPS", "ms/frame" }.Select((h, i) => new ResultColumn(h, i == 0 ? ColumnAlign.Left : ColumnAlign.Right)).ToArray();
            var trows = tp.PerSequence.Select(kv => TRow(kv.Key, kv.Value)).Append(TRow("COMBINED", tp.Metrics)).ToList();
            tables.Add(new ResultTable("Temporal throughput (supplied timings)", tcols, trows));
        }
        return Finish(parse, common, doc, tables, notes);

        static IReadOnlyList<string> VRow(string name, MotVideoRow m) =>
        [
            name, Fmt.Int(m.GtTracks), Fmt.Int(m.TrackBreaks), Fmt.Num(m.TrackBreakRate, 3), Fmt.Num(m.MeanDisplacementPx, 2), Fmt.Num(m.MaxDisplacementPx, 2),
            Fmt.Num(m.MeanNormalizedDisplacement, 4), Fmt.Num(m.DriftPxPer100Frames, 3), Fmt.Num(m.MeanConsecutiveIou, 4), Fmt.Pct(m.FlickerRate, 2),
        ];

        static IReadOnlyList<string> TRow(string name, MotThroughputRow m) =>
            [name, Fmt.Int(m.Frames), Fmt.Num(m.Seconds, 3), Fmt.Num(m.Fps, 1), Fmt.Num(m.SecondsPerFrame * 1000, 2)];

        static IReadOnlyList<string> Row(string name, MotMetricRow m) =>
        [
            name, Fmt.Pct(m.Hota), Fmt.Pct(m.DetA), Fmt.Pct(m.AssA), Fmt.Pct(m.LocA), Fmt.Pct(m.Mota), Fmt.Num(m.Motp, 3),
            Fmt.Pct(m.Idf1), Fmt.Pct(m.Idp), Fmt.Pct(m.Idr), Fmt.Int(m.FP), Fmt.Int(m.FN), Fmt.Int(m.IDSW), Fmt.Int(m.Frag),
            Fmt.Int(m.MT), Fmt.Int(m.PT), Fmt.Int(m.ML),
        ];
    }

    /// <summary>Which columns a narrow terminal leaves out first: HOTA, MOTA, IDF1 and IDSW always stay.</summary>
    private static int MotDropOrder(string header) =>
        Array.IndexOf(["FN", "FP", "AssA", "DetA", "MOTP", "MOTP(d)", "LocA", "ML", "MT", "PT", "Frag", "IDR", "IDP"], header) + 1;

    private static int Finish(ParseResult parse, CommonOptions common, MotReport doc, List<ResultTable> tables, List<string> notes)
    {
        common.Emit(parse, new CommandOutput(ResultKinds.EvalMot, doc, tables, notes));
        return CommandRunner.Ok;
    }
}

/// <summary>The JSON document of <c>dyno eval mot</c>.</summary>
internal sealed class MotReport
{
    public required string Gt { get; init; }
    public required string Pred { get; init; }
    public required MotConventions Conventions { get; init; }
    /// <summary>All sequences combined.</summary>
    public required MotMetricRow Metrics { get; init; }
    public required IReadOnlyDictionary<string, MotMetricRow> PerSequence { get; init; }
    /// <summary>Combined HOTA components at each α.</summary>
    public required HotaAlphaCurves HotaPerAlpha { get; init; }
    /// <summary>Present with --video.</summary>
    public MotVideoReport? Video { get; init; }
    /// <summary>Present with --timings.</summary>
    public MotThroughputReport? Throughput { get; init; }
}

/// <summary>Video metrics, combined and per sequence.</summary>
internal sealed record MotVideoReport(MotVideoRow Metrics, IReadOnlyDictionary<string, MotVideoRow> PerSequence);

/// <summary>Video metrics of one sequence or of all combined (see docs/tracking.md).</summary>
internal sealed record MotVideoRow(int GtTracks, int TrackBreaks, double TrackBreakRate, int MatchedPairs, double MeanDisplacementPx,
    double MaxDisplacementPx, double MeanNormalizedDisplacement, [property: JsonPropertyName("drift_px_per_100_frames")] double DriftPxPer100Frames, int ConsecutivePairs, double MeanConsecutiveIou, double FlickerRate)
{
    public static MotVideoRow From(VideoResult v) => new(v.GtTracks, v.TrackBreaks, v.TrackBreakRate, v.MatchedPairs, v.MeanDisplacement,
        v.MaxDisplacement, v.MeanNormalizedDisplacement, v.DriftPer100Frames, v.ConsecutivePairs, v.MeanConsecutiveIou, v.FlickerRate);
}

/// <summary>Temporal throughput from user-supplied timings.</summary>
internal sealed record MotThroughputReport(MotThroughputRow Metrics, IReadOnlyDictionary<string, MotThroughputRow> PerSequence)
{
    public static MotThroughputReport From(IReadOnlyList<SequenceTiming> timings, MotEvaluation evaluation, string file, bool quiet)
    {
        var frames = evaluation.Sequences.ToDictionary(s => s.Name, s => s.Frames);
        var per = new Dictionary<string, MotThroughputRow>();
        foreach (var t in timings)
        {
            if (!frames.TryGetValue(t.Sequence, out var n))
            {
                if (t.Frames is null) throw new InvalidDataException($"{file}: sequence '{t.Sequence}' is not among the evaluated sequences and has no frame count");
                if (!quiet) Console.Error.WriteLine($"dyno: warning: {file}: sequence '{t.Sequence}' was not evaluated; using its frame count {t.Frames}");
            }
            var r = new ThroughputResult(t.Sequence, t.Frames ?? n, t.Seconds);
            per[t.Sequence] = new MotThroughputRow(r.Frames, r.Seconds, r.Fps, r.SecondsPerFrame);
        }
        var all = new ThroughputResult("COMBINED", per.Values.Sum(p => p.Frames), per.Values.Sum(p => p.Seconds));
        return new MotThroughputReport(new MotThroughputRow(all.Frames, all.Seconds, all.Fps, all.SecondsPerFrame), per);
    }
}

/// <summary>Frames, seconds, frames per second and seconds per frame.</summary>
internal sealed record MotThroughputRow(int Frames, double Seconds, double Fps, double SecondsPerFrame);

/// <summary>How the numbers were computed.</summary>
internal sealed record MotConventions(string Clear, string Motp, double IouThreshold, string[] Preprocess, double MinVisibility, IReadOnlyList<double> HotaAlphas);

/// <summary>HOTA components per α.</summary>
internal sealed record HotaAlphaCurves(
    [property: JsonPropertyName("HOTA")] double[] Hota, [property: JsonPropertyName("DetA")] double[] DetA,
    [property: JsonPropertyName("AssA")] double[] AssA, [property: JsonPropertyName("LocA")] double[] LocA,
    [property: JsonPropertyName("DetRe")] double[] DetRe, [property: JsonPropertyName("DetPr")] double[] DetPr,
    [property: JsonPropertyName("AssRe")] double[] AssRe, [property: JsonPropertyName("AssPr")] double[] AssPr)
{
    public static HotaAlphaCurves From(HotaResult h) => new(h.Hota, h.DetA, h.AssA, h.LocA, h.DetRe, h.DetPr, h.AssRe, h.AssPr);
}

/// <summary>The metric keys of the contract (see docs/tracking.md).</summary>
internal sealed record MotMetricRow
{
    [JsonPropertyName("MOTA")] public double Mota { get; init; }
    [JsonPropertyName("MOTP")] public double Motp { get; init; }
    [JsonPropertyName("IDF1")] public double Idf1 { get; init; }
    [JsonPropertyName("IDP")] public double Idp { get; init; }
    [JsonPropertyName("IDR")] public double Idr { get; init; }
    [JsonPropertyName("HOTA")] public double Hota { get; init; }
    [JsonPropertyName("DetA")] public double DetA { get; init; }
    [JsonPropertyName("AssA")] public double AssA { get; init; }
    [JsonPropertyName("LocA")] public double LocA { get; init; }
    [JsonPropertyName("DetRe")] public double DetRe { get; init; }
    [JsonPropertyName("DetPr")] public double DetPr { get; init; }
    [JsonPropertyName("AssRe")] public double AssRe { get; init; }
    [JsonPropertyName("AssPr")] public double AssPr { get; init; }
    [JsonPropertyName("MODA")] public double Moda { get; init; }
    [JsonPropertyName("Recall")] public double Recall { get; init; }
    [JsonPropertyName("Precision")] public double Precision { get; init; }
    [JsonPropertyName("TP")] public int TP { get; init; }
    [JsonPropertyName("FP")] public int FP { get; init; }
    [JsonPropertyName("FN")] public int FN { get; init; }
    [JsonPropertyName("IDSW")] public int IDSW { get; init; }
    [JsonPropertyName("Frag")] public int Frag { get; init; }
    [JsonPropertyName("MT")] public int MT { get; init; }
    [JsonPropertyName("PT")] public int PT { get; init; }
    [JsonPropertyName("ML")] public int ML { get; init; }
    [JsonPropertyName("IDTP")] public int IDTP { get; init; }
    [JsonPropertyName("IDFP")] public int IDFP { get; init; }
    [JsonPropertyName("IDFN")] public int IDFN { get; init; }
    [JsonPropertyName("Frames")] public int Frames { get; init; }
    [JsonPropertyName("GT_IDs")] public int GtIds { get; init; }
    [JsonPropertyName("Pred_IDs")] public int PredIds { get; init; }
    [JsonPropertyName("GT_Dets")] public int GtDets { get; init; }
    [JsonPropertyName("Pred_Dets")] public int PredDets { get; init; }

    public static MotMetricRow From(MotSequenceResult r, EvalMotCommand.ClearConvention conv, EvalMotCommand.MotpUnit unit)
    {
        var h = r.Hota;
        var row = new MotMetricRow
        {
            Hota = h.HotaMean, DetA = h.DetAMean, AssA = h.AssAMean, LocA = h.LocAMean, DetRe = h.DetReMean, DetPr = h.DetPrMean,
            AssRe = h.AssReMean, AssPr = h.AssPrMean, Frames = r.Frames, GtIds = r.GtIds, PredIds = r.TrackerIds,
            GtDets = r.GtDets, PredDets = r.TrackerDets,
        };
        if (conv == EvalMotCommand.ClearConvention.Motmetrics && r.MotMetrics is { } m)
            return row with
            {
                Mota = m.Mota, Motp = unit == EvalMotCommand.MotpUnit.Distance ? m.Motp : 1 - m.Motp, Idf1 = m.Idf1, Idp = m.Idp, Idr = m.Idr,
                Moda = 1.0 - (double)(m.NumMisses + m.NumFalsePositives) / m.NumObjects, Recall = m.Recall, Precision = m.Precision,
                TP = m.NumDetections, FP = m.NumFalsePositives, FN = m.NumMisses, IDSW = m.NumSwitches, Frag = m.NumFragmentations,
                MT = m.MostlyTracked, PT = m.PartiallyTracked, ML = m.MostlyLost, IDTP = m.Idtp, IDFP = m.Idfp, IDFN = m.Idfn,
            };
        var c = r.Clear;
        var i = r.Identity;
        return row with
        {
            Mota = c.Mota, Motp = unit == EvalMotCommand.MotpUnit.Distance ? c.MotpDistance : c.Motp, Idf1 = i.Idf1, Idp = i.Idp, Idr = i.Idr,
            Moda = c.Moda, Recall = c.Recall, Precision = c.Precision, TP = c.TP, FP = c.FP, FN = c.FN, IDSW = c.IDSW, Frag = c.Frag,
            MT = c.MT, PT = c.PT, ML = c.ML, IDTP = i.IDTP, IDFP = i.IDFP, IDFN = i.IDFN,
        };
    }
}
