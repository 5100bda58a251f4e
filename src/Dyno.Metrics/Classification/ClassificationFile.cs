using System.Runtime.CompilerServices;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dyno.Metrics.Detection;
using Dyno.Metrics.Text;

namespace Dyno.Metrics.Classification;

/// <summary>What a classification file holds.</summary>
public enum ClassificationInputKind
{
    /// <summary><c>label</c> plus one score (probability or logit) per class.</summary>
    Scores,
    /// <summary><c>label</c> and <c>pred</c>: predicted classes only.</summary>
    Labels,
    /// <summary><c>labels</c> and <c>pred</c> as sets of classes (multi-label).</summary>
    MultiLabel,
}

/// <summary>The result of reading a classification file: one of the two reports, and the class names.</summary>
public sealed record ClassificationFileResult(ClassificationInputKind Kind, int NumClasses, IReadOnlyList<string> ClassNames,
    ClassificationReport? SingleLabel, MultiLabelReport? MultiLabel);

/// <summary>
/// Reads <c>dyno eval cls</c> inputs (CSV with a header, or JSON lines) in parallel and evaluates them.
/// CSV: <c>label,score_0,...,score_{C-1}</c>, <c>label,pred</c>, or <c>labels,pred</c> (multi-label, classes
/// separated by spaces or semicolons). JSON lines: <c>{"label": 3, "scores": [...]}</c>, <c>{"label": 3, "pred": 1}</c>,
/// <c>{"labels": [1, 4], "pred": [1]}</c>. Labels are class indices, or names listed in the classes file.
/// </summary>
public sealed class ClassificationFile
{
    private readonly string _path;
    private readonly bool _json;
    private readonly IReadOnlyList<string>? _names;
    private readonly Dictionary<string, int>? _nameIndex;
    private int _numClasses;

    private ClassificationFile(string path, IReadOnlyList<string>? names, int? numClasses)
    {
        _path = path;
        var ext = Path.GetExtension(path).ToLowerInvariant();
        _json = ext switch
        {
            ".csv" => false,
            ".jsonl" or ".ndjson" or ".json" => true,
            _ => throw new DynoInputException($"{path}: unknown input format '{ext}'; expected .csv or .jsonl"),
        };
        _names = names;
        if (names is not null)
        {
            _nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < names.Count; i++)
                if (!_nameIndex.TryAdd(names[i], i)) throw new DynoInputException($"class name '{names[i]}' is listed twice in the classes file");
            if (numClasses is { } n && n != names.Count)
                throw new DynoInputException($"numClasses {n} disagrees with the {names.Count} names of the classes file", "numClasses");
        }
        _numClasses = names?.Count ?? numClasses ?? 0;
    }

    /// <summary>Reads and evaluates <paramref name="path"/>; more than <c>maxClasses</c> classes are refused (each worker holds a classes x classes confusion matrix).</summary>
    public static ClassificationFileResult Evaluate(string path, IReadOnlyList<string>? classNames, int? numClasses, ClassificationOptions options,
        int maxClasses = DefaultMaxClasses)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        return new ClassificationFile(path, classNames, numClasses) { _maxClasses = maxClasses }.Run(options);
    }

    /// <summary>Default limit on the number of classes (4096² counts per worker is 128 MiB).</summary>
    public const int DefaultMaxClasses = 4096;

    private int _maxClasses = DefaultMaxClasses;

    private void Limit()
    {
        if (_numClasses > _maxClasses)
            throw DynoInputException.Naming(new InvalidDataException($"{_path}: {_numClasses} classes is more than the limit of {_maxClasses} (each worker holds a classes x classes confusion matrix); raise it with maxClasses"), "maxClasses");
    }

    private ClassificationFileResult Run(ClassificationOptions options)
    {
        var first = FirstDataLine();
        var kind = _json ? DetectJson(first.Text, first.Number) : DetectCsv(first.Text);
        var skip = _json ? 0 : 1;
        var workers = ParallelLines.Workers;
        switch (kind)
        {
            case ClassificationInputKind.Scores:
            {
                Limit();
                var acc = new ClassificationAccumulator[workers];
                var rows = new double[workers][];
                for (var w = 0; w < workers; w++) { acc[w] = new ClassificationAccumulator(_numClasses, options); rows[w] = new double[_numClasses]; }
                ParallelLines.ForEach(_path, skip, (w, num, line) =>
                {
                    var label = _json ? ParseJson(line, num, rows[w], null, null, null) : ParseCsvScores(line, num, rows[w]);
                    acc[w].Update(label, rows[w]);
                });
                for (var w = 1; w < workers; w++) acc[0].Merge(acc[w]);
                if (acc[0].Count == 0) throw new InvalidDataException($"{_path}: no samples");
                return new ClassificationFileResult(kind, _numClasses, Names(), acc[0].Compute(), null);
            }
            case ClassificationInputKind.Labels:
            {
                var truth = new List<int>[workers];
                var pred = new List<int>[workers];
                for (var w = 0; w < workers; w++) { truth[w] = []; pred[w] = []; }
                ParallelLines.ForEach(_path, skip, (w, num, line) =>
                {
                    int t;
                    if (_json) t = ParseJson(line, num, null, pred[w], null, null);
                    else
                    {
                        var comma = line.IndexOf((byte)',');
                        if (comma < 0 || line[(comma + 1)..].IndexOf((byte)',') >= 0) throw new LineException(_path, num, "expected two fields: label,pred");
                        t = ParseLabel(line[..comma], num, "label");
                        pred[w].Add(ParseLabel(line[(comma + 1)..], num, "pred"));
                    }
                    truth[w].Add(t);
                });
                var all = truth.SelectMany(x => x).ToArray();
                var allPred = pred.SelectMany(x => x).ToArray();
                if (all.Length == 0) throw new InvalidDataException($"{_path}: no samples");
                if (_numClasses == 0) _numClasses = Math.Max(2, Math.Max(all.Max(), allPred.Max()) + 1);
                Limit();
                var acc = new ClassificationAccumulator(_numClasses, options with { TopK = [] });
                for (var i = 0; i < all.Length; i++) acc.Update(all[i], allPred[i]);
                return new ClassificationFileResult(kind, _numClasses, Names(), acc.Compute(), null);
            }
            default:
            {
                var truth = new List<int[]>[workers];
                var pred = new List<int[]>[workers];
                for (var w = 0; w < workers; w++) { truth[w] = []; pred[w] = []; }
                ParallelLines.ForEach(_path, skip, (w, num, line) =>
                {
                    if (_json) ParseJson(line, num, null, null, truth[w], pred[w]);
                    else
                    {
                        var comma = line.IndexOf((byte)',');
                        if (comma < 0 || line[(comma + 1)..].IndexOf((byte)',') >= 0) throw new LineException(_path, num, "expected two fields: labels,pred");
                        truth[w].Add(ParseSet(line[..comma], num, "labels"));
                        pred[w].Add(ParseSet(line[(comma + 1)..], num, "pred"));
                    }
                });
                var t = truth.SelectMany(x => x).ToArray();
                var p = pred.SelectMany(x => x).ToArray();
                if (t.Length == 0) throw new InvalidDataException($"{_path}: no samples");
                if (_numClasses == 0) _numClasses = t.Concat(p).SelectMany(x => x).DefaultIfEmpty(0).Max() + 1;
                Limit();
                var acc = new MultiLabelAccumulator(_numClasses, options.Beta);
                for (var i = 0; i < t.Length; i++)
                {
                    try { acc.Update(Target.Of(t[i]), Prediction.Of(p[i])); }
                    catch (ArgumentException e) { throw new InvalidDataException($"{_path}: {e.Message}"); }
                }
                return new ClassificationFileResult(kind, _numClasses, Names(), null, acc.Compute());
            }
        }
    }

    private IReadOnlyList<string> Names() => _names ?? Enumerable.Range(0, _numClasses).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private (string Text, long Number) FirstDataLine()
    {
        using var r = new StreamReader(_path, Encoding.UTF8);
        long n = 0;
        while (r.ReadLine() is { } line)
        {
            n++;
            if (line.Trim().Length > 0) return (line, n);
        }
        throw new InvalidDataException($"{_path}: the file is empty");
    }

    private ClassificationInputKind DetectCsv(string header)
    {
        var cols = header.Split(',').Select(c => c.Trim().Trim('"')).ToArray();
        if (cols.Length == 2 && cols[0] == "label" && cols[1] == "pred") return ClassificationInputKind.Labels;
        if (cols.Length == 2 && cols[0] == "labels" && cols[1] == "pred") return ClassificationInputKind.MultiLabel;
        if (cols.Length < 3 || cols[0] != "label")
            throw new InvalidDataException($"{_path}:1: the header must be 'label,score_0,...,score_{{C-1}}', 'label,pred' or 'labels,pred', got '{Trunc(header)}'");
        for (var i = 1; i < cols.Length; i++)
            if (cols[i] != $"score_{i - 1}")
                throw new InvalidDataException($"{_path}:1: column {i + 1} is '{cols[i]}', expected 'score_{i - 1}'");
        SetScoreWidth(cols.Length - 1, 1);
        return ClassificationInputKind.Scores;
    }

    private ClassificationInputKind DetectJson(string line, long number)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new LineException(_path, number, "each line must be a JSON object");
            if (o.TryGetProperty("labels", out _)) return ClassificationInputKind.MultiLabel;
            if (o.TryGetProperty("scores", out var s))
            {
                if (s.ValueKind != JsonValueKind.Array) throw new LineException(_path, number, "\"scores\" must be an array of numbers");
                SetScoreWidth(s.GetArrayLength(), number);
                return ClassificationInputKind.Scores;
            }
            if (o.TryGetProperty("pred", out _)) return ClassificationInputKind.Labels;
            throw new LineException(_path, number, "expected \"label\" with \"scores\" or \"pred\", or \"labels\" with \"pred\"");
        }
        catch (JsonException e)
        {
            throw new LineException(_path, number, JsonError(e));
        }
    }

    private void SetScoreWidth(int width, long line)
    {
        if (width < 2) throw new LineException(_path, line, $"{width} score column(s): need one per class and at least 2 classes");
        if (_numClasses != 0 && _numClasses != width)
            throw DynoInputException.Naming(new LineException(_path, line, $"{width} scores per sample but {_numClasses} classes (from classNames/numClasses)"), "classNames", "numClasses");
        _numClasses = width;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ParseCsvScores(ReadOnlySpan<byte> line, long num, double[] row)
    {
        var comma = line.IndexOf((byte)',');
        if (comma < 0) throw new LineException(_path, num, "expected label and scores separated by commas");
        var label = ParseLabel(line[..comma], num, "label");
        var rest = line[(comma + 1)..];
        var c = 0;
        while (true)
        {
            var next = rest.IndexOf((byte)',');
            var field = next < 0 ? rest : rest[..next];
            if (c >= row.Length) throw new LineException(_path, num, $"more than {row.Length} scores");
            row[c] = ParseScore(field, num, c);
            c++;
            if (next < 0) break;
            rest = rest[(next + 1)..];
        }
        if (c != row.Length) throw new LineException(_path, num, $"{c} scores, expected {row.Length}");
        return label;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ParseScore(ReadOnlySpan<byte> field, long num, int c)
    {
        field = field.Trim((byte)' ');
        if (FastNumber.TryParseExact(field, out var v)) return v;
        if (!Utf8Parser.TryParse(field, out v, out var used) || used != field.Length)
        {
            if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                throw new LineException(_path, num, $"score_{c} '{Trunc(Encoding.UTF8.GetString(field))}' is not a number");
        }
        if (!double.IsFinite(v)) throw new LineException(_path, num, $"score_{c} is {Encoding.UTF8.GetString(field)}, not a finite number");
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ParseLabel(ReadOnlySpan<byte> field, long num, string what)
    {
        field = field.Trim((byte)' ');
        if (field.Length >= 2 && field[0] == '"' && field[^1] == '"') field = field[1..^1];
        if (_nameIndex is not null && _nameIndex.TryGetValue(Encoding.UTF8.GetString(field), out var byName)) return byName;
        if (Utf8Parser.TryParse(field, out int v, out var used) && used == field.Length && v >= 0)
        {
            if (_numClasses > 0 && v >= _numClasses)
                throw new LineException(_path, num, $"{what} {v} is outside the classes 0..{_numClasses - 1}");
            return v;
        }
        var text = Trunc(Encoding.UTF8.GetString(field));
        throw DynoInputException.Naming(new LineException(_path, num, _nameIndex is null
            ? $"{what} '{text}' is not a class index (pass classNames to use class names)"
            : $"{what} '{text}' is neither a name in the classes file nor a class index"), "classNames");
    }

    private int[] ParseSet(ReadOnlySpan<byte> field, long num, string what)
    {
        var text = Encoding.UTF8.GetString(field).Trim().Trim('"');
        var parts = text.Split([' ', ';'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Select(p => ParseLabel(Encoding.UTF8.GetBytes(p), num, what)).ToArray();
    }

    /// <summary>Parses one JSON line; fills whichever sink is given and returns the single label (or -1 for multi-label).</summary>
    private int ParseJson(ReadOnlySpan<byte> line, long num, double[]? scores, List<int>? pred, List<int[]>? trueSets, List<int[]>? predSets)
    {
        try
        {
            var r = new Utf8JsonReader(line);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new LineException(_path, num, "each line must be a JSON object");
            int label = -1, p = -1, nScores = -1;
            int[]? labels = null, preds = null;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("label"u8)) { r.Read(); label = JsonLabel(ref r, num, "label"); }
                else if (r.ValueTextEquals("pred"u8) && predSets is null) { r.Read(); p = JsonLabel(ref r, num, "pred"); }
                else if (r.ValueTextEquals("pred"u8)) { r.Read(); preds = JsonSet(ref r, num, "pred"); }
                else if (r.ValueTextEquals("labels"u8) && trueSets is not null) { r.Read(); labels = JsonSet(ref r, num, "labels"); }
                else if (r.ValueTextEquals("scores"u8) && scores is not null)
                {
                    r.Read();
                    if (r.TokenType != JsonTokenType.StartArray) throw new LineException(_path, num, "\"scores\" must be an array of numbers");
                    nScores = 0;
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        if (r.TokenType != JsonTokenType.Number) throw new LineException(_path, num, $"score {nScores} is not a number");
                        if (nScores >= scores.Length) throw new LineException(_path, num, $"more than {scores.Length} scores");
                        var v = r.GetDouble();
                        if (!double.IsFinite(v)) throw new LineException(_path, num, $"score {nScores} is not finite");
                        scores[nScores++] = v;
                    }
                }
                else { r.Read(); r.Skip(); }
            }
            if (trueSets is not null)
            {
                if (labels is null || preds is null) throw new LineException(_path, num, "expected \"labels\" and \"pred\" arrays");
                trueSets.Add(labels);
                predSets!.Add(preds);
                return -1;
            }
            if (label < 0) throw new LineException(_path, num, "missing \"label\"");
            if (scores is not null && nScores != scores.Length)
                throw new LineException(_path, num, nScores < 0 ? "missing \"scores\"" : $"{nScores} scores, expected {scores.Length}");
            if (pred is not null)
            {
                if (p < 0) throw new LineException(_path, num, "missing \"pred\"");
                pred.Add(p);
            }
            return label;
        }
        catch (JsonException e)
        {
            throw new LineException(_path, num, JsonError(e));
        }
    }

    private int JsonLabel(ref Utf8JsonReader r, long num, string what)
    {
        if (r.TokenType == JsonTokenType.Number)
        {
            if (!r.TryGetInt32(out var v) || v < 0) throw new LineException(_path, num, $"\"{what}\" must be a class index or name");
            if (_numClasses > 0 && v >= _numClasses) throw new LineException(_path, num, $"{what} {v} is outside the classes 0..{_numClasses - 1}");
            return v;
        }
        if (r.TokenType == JsonTokenType.String)
        {
            return ParseLabel(Encoding.UTF8.GetBytes(r.GetString()!), num, what);
        }
        throw new LineException(_path, num, $"\"{what}\" must be a class index or name");
    }

    private int[] JsonSet(ref Utf8JsonReader r, long num, string what)
    {
        if (r.TokenType != JsonTokenType.StartArray) throw new LineException(_path, num, $"\"{what}\" must be an array of classes");
        var list = new List<int>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray) list.Add(JsonLabel(ref r, num, what));
        return list.ToArray();
    }

    private static string JsonError(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal); // the reader counts lines within our one line
        if (cut >= 0) message = message[..cut];
        return e.BytePositionInLine is { } b ? $"not valid JSON at byte {b + 1}: {message}" : "not valid JSON: " + message;
    }

    private static string Trunc(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
