using System.Globalization;

namespace Dyno.Metrics.Tracking;

/// <summary>Input file formats for tracking evaluation.</summary>
public enum TrackFileFormat
{
    /// <summary>MOTChallenge text (gt.txt, tracker SEQ.txt).</summary>
    MotChallenge,
    /// <summary>KITTI tracking labels/results (one SEQ.txt per sequence).</summary>
    Kitti,
}

/// <summary>
/// Finds and loads the sequences of a ground-truth / prediction pair. Either both are files (one
/// sequence), or both are folders. Ground-truth folders may hold MOTChallenge sequence folders
/// (<c>SEQ/gt/gt.txt</c> or <c>SEQ/gt.txt</c>, with an optional <c>SEQ/seqinfo.ini</c> giving seqLength)
/// or flat <c>SEQ.txt</c> files (KITTI <c>label_02</c>). A sequence's predictions are
/// <c>PRED/SEQ.txt</c>, or <c>PRED/SEQ/SEQ.txt</c>, <c>PRED/SEQ/test.txt</c>, <c>PRED/SEQ/pred.txt</c>.
/// </summary>
public static class MotSequenceLoader
{
    /// <summary>Loads all sequences, reading files in parallel.</summary>
    /// <exception cref="FileNotFoundException">A path or a sequence's prediction file is missing.</exception>
    public static IReadOnlyList<MotSequenceInput> Load(string gtPath, string predPath, TrackFileFormat format = TrackFileFormat.MotChallenge,
        IReadOnlyCollection<string>? kittiClasses = null)
    {
        var pairs = Discover(gtPath, predPath);
        var result = new MotSequenceInput[pairs.Count];
        TrackTable Read(string p) => format == TrackFileFormat.Kitti ? TrackFileReader.ReadKitti(p, kittiClasses) : TrackFileReader.ReadMotChallenge(p);
        var tables = new TrackTable[pairs.Count * 2];
        ParallelWork.For(tables.Length, i => tables[i] = Read(i % 2 == 0 ? pairs[i / 2].Gt : pairs[i / 2].Pred));
        for (var i = 0; i < pairs.Count; i++)
            result[i] = new MotSequenceInput(pairs[i].Name, tables[2 * i], tables[2 * i + 1], pairs[i].SeqInfo is null ? null : SeqLength(pairs[i].SeqInfo!));
        return result;
    }

    /// <summary>The (sequence, gt file, prediction file, seqinfo.ini or null) of each sequence, sorted by name.</summary>
    public static IReadOnlyList<(string Name, string Gt, string Pred, string? SeqInfo)> Discover(string gtPath, string predPath)
    {
        if (File.Exists(gtPath))
        {
            if (!File.Exists(predPath))
                throw DynoInputException.Naming(new FileNotFoundException(Directory.Exists(predPath)
                    ? $"{predPath}: is a folder but gtPath {gtPath} is a file; give both as files or both as folders"
                    : $"{predPath}: no such file", predPath), "gtPath");
            var name = SequenceNameOfFile(gtPath);
            var ini = Path.Combine(SequenceDirOfFile(gtPath), "seqinfo.ini");
            return [(name, gtPath, predPath, File.Exists(ini) ? ini : null)];
        }
        if (!Directory.Exists(gtPath)) throw new FileNotFoundException($"{gtPath}: no such file or folder", gtPath);
        if (!Directory.Exists(predPath))
            throw DynoInputException.Naming(new FileNotFoundException(File.Exists(predPath)
                ? $"{predPath}: is a file but gtPath {gtPath} is a folder; give both as files or both as folders"
                : $"{predPath}: no such folder", predPath), "gtPath");

        var list = new List<(string, string, string, string?)>();
        foreach (var dir in Directory.GetDirectories(gtPath).Order(StringComparer.Ordinal))
        {
            var seq = Path.GetFileName(dir);
            var gt = new[] { Path.Combine(dir, "gt", "gt.txt"), Path.Combine(dir, "gt.txt") }.FirstOrDefault(File.Exists);
            if (gt is null) continue;
            list.Add((seq, gt, FindPrediction(predPath, seq), File.Exists(Path.Combine(dir, "seqinfo.ini")) ? Path.Combine(dir, "seqinfo.ini") : null));
        }
        if (list.Count == 0)
            foreach (var file in Directory.GetFiles(gtPath, "*.txt").Order(StringComparer.Ordinal))
            {
                var seq = Path.GetFileNameWithoutExtension(file);
                list.Add((seq, file, FindPrediction(predPath, seq), null));
            }
        if (list.Count == 0)
            throw new FileNotFoundException($"{gtPath}: no sequences found (expected SEQ/gt/gt.txt, SEQ/gt.txt or SEQ.txt)", gtPath);
        return list;
    }

    private static string FindPrediction(string predDir, string seq)
    {
        string[] candidates = [Path.Combine(predDir, seq + ".txt"), Path.Combine(predDir, seq, seq + ".txt"),
            Path.Combine(predDir, seq, "test.txt"), Path.Combine(predDir, seq, "pred.txt")];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{predDir}: no predictions for sequence {seq} (looked for {seq}.txt, {seq}/{seq}.txt, {seq}/test.txt, {seq}/pred.txt)", candidates[0]);
    }

    private static string SequenceDirOfFile(string file)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        return Path.GetFileName(dir) == "gt" ? Path.GetDirectoryName(dir)! : dir;
    }

    private static string SequenceNameOfFile(string file)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        return stem is "gt" or "test" or "pred" ? Path.GetFileName(SequenceDirOfFile(file)) : stem;
    }

    private static int SeqLength(string ini)
    {
        foreach (var line in File.ReadLines(ini))
        {
            var eq = line.IndexOf('=');
            if (eq > 0 && line[..eq].Trim().Equals("seqLength", StringComparison.OrdinalIgnoreCase))
                return int.TryParse(line[(eq + 1)..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n : throw new InvalidDataException($"{ini}: seqLength '{line[(eq + 1)..].Trim()}' is not a positive integer");
        }
        throw new InvalidDataException($"{ini}: no seqLength entry");
    }
}

/// <summary>Parallel loops that rethrow the first failure as itself (not wrapped in an AggregateException), so callers see the user-facing error.</summary>
internal static class ParallelWork
{
    public static void For(int count, Action<int> body, bool parallel = true)
    {
        if (!parallel || count < 2)
        {
            for (var i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            Parallel.For(0, count, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
