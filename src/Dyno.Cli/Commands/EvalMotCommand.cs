using System.CommandLine;
using System.Diagnostics;
using Dyno.Cli.Infrastructure;
using Dyno.Metrics.Tracking;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
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
                Metrics = MotRows.Metrics(evaluation.Combined, conv, unit),
                PerSequence = evaluation.Sequences.ToDictionary(s => s.Name, s => MotRows.Metrics(s, conv, unit)),
                HotaPerAlpha = MotRows.Hota(evaluation.Combined.Hota),
                Video = evaluation.Combined.Video is null ? null : new MotVideoReport(MotRows.Video(evaluation.Combined.Video),
                    evaluation.Sequences.ToDictionary(s => s.Name, s => MotRows.Video(s.Video!))),
                Throughput = timingRows is null ? null : MotRows.Throughput(timingRows, evaluation, parse.GetValue(timings)!, quiet),
            };
            return Emit(parse, common, doc);
        }));
        return cmd;
    }

    private static int Emit(ParseResult parse, CommonOptions common, MotReport doc)
    {
        common.Emit(parse, CommandOutput.Of(EvalMotPresenter.Instance, doc));
        return CommandRunner.Ok;
    }
}

/// <summary>The <c>eval mot</c> document's rows made from the metric results (the document types are in Dyno.Reports.Documents).</summary>
internal static class MotRows
{
    public static MotVideoRow Video(VideoResult v) => new(v.GtTracks, v.TrackBreaks, v.TrackBreakRate, v.MatchedPairs, v.MeanDisplacement,
        v.MaxDisplacement, v.MeanNormalizedDisplacement, v.DriftPer100Frames, v.ConsecutivePairs, v.MeanConsecutiveIou, v.FlickerRate);

    public static MotThroughputReport Throughput(IReadOnlyList<SequenceTiming> timings, MotEvaluation evaluation, string file, bool quiet)
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

    public static HotaAlphaCurves Hota(HotaResult h) => new([.. h.Hota], [.. h.DetA], [.. h.AssA], [.. h.LocA], [.. h.DetRe], [.. h.DetPr], [.. h.AssRe], [.. h.AssPr]);

    public static MotMetricRow Metrics(MotSequenceResult r, EvalMotCommand.ClearConvention conv, EvalMotCommand.MotpUnit unit)
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
