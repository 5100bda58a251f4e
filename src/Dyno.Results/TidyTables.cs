using System.Text.Json;

namespace Dyno.Results;

/// <summary>
/// The tidy tables of each result kind (what <c>--format csv</c> writes): the first is the main table, the others are
/// selected with <c>--table NAME</c>. Every table is read from the document itself, so CSV and JSON cannot disagree.
/// </summary>
public static class TidyTables
{
    /// <summary>The tables of a result of <paramref name="kind"/>; a kind without its own list gets its numeric values as key/value rows.</summary>
    public static IReadOnlyList<TidyTable> Of(string kind, JsonElement root)
    {
        var tables = new List<TidyTable>();
        void Records(string name, string path)
        {
            if (At(root, path) is { ValueKind: JsonValueKind.Array } a && TidyTable.Records(name, a.EnumerateArray()) is { Columns.Count: > 0 } t) tables.Add(t);
        }
        void Values(string name, string path, string key = "key") { if (At(root, path) is { ValueKind: JsonValueKind.Object } o) tables.Add(TidyTable.KeyValues(name, o, key)); }
        switch (kind)
        {
            case ResultKinds.Profile:
                Records("nodes", "nodes");
                Values("totals", "totals", "quantity");
                if (At(root, "op_histogram") is { ValueKind: JsonValueKind.Object } hist)
                    tables.Add(new TidyTable("operators", [new("op_type", TidyType.Text), new("count", TidyType.Integer)],
                        hist.EnumerateObject().Select(p => (IReadOnlyList<JsonElement?>)[TidyTable.Str(p.Name), p.Value]).ToList()));
                Values("memory", "memory", "quantity");
                Records("roofline", "roofline.nodes");
                Records("unresolved", "unresolved");
                break;
            case ResultKinds.Bench:
                Records("throughput", "throughput");
                Values("latency", "latency_ms", "statistic");
                Values("cold_start", "cold_start_ms", "stage");
                if (At(root, "samples_ms") is { ValueKind: JsonValueKind.Array } samples)
                    tables.Add(new TidyTable("samples", [new("iteration", TidyType.Integer), new("latency_ms", TidyType.Number)],
                        samples.EnumerateArray().Select((v, i) => (IReadOnlyList<JsonElement?>)[TidyTable.Num(i), v]).ToList()));
                Records("ops", "ops.by_op_type");
                Values("summary", "");
                break;
            case ResultKinds.EvalDet:
                Records("per_category", "per_category");
                Values("stats", "stats", "stat");
                if (At(root, "ap_per_iou_threshold") is { ValueKind: JsonValueKind.Object } perIou)
                    tables.Add(new TidyTable("ap_per_iou_threshold", [new("iou_threshold", TidyType.Number), new("AP", TidyType.Number)],
                        perIou.EnumerateObject().Select(p => (IReadOnlyList<JsonElement?>)[TidyTable.Num(double.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture)), p.Value]).ToList()));
                if (At(root, "pr_curves") is { ValueKind: JsonValueKind.Object } pr && At(pr, "recall") is { ValueKind: JsonValueKind.Array } recall)
                {
                    var rec = recall.EnumerateArray().ToList();
                    var rows = new List<IReadOnlyList<JsonElement?>>();
                    foreach (var c in Items(At(pr, "per_category")))
                    {
                        var prec = c.GetProperty("precision").EnumerateArray().ToList();
                        for (var i = 0; i < prec.Count && i < rec.Count; i++) rows.Add([c.GetProperty("id"), c.GetProperty("name"), rec[i], prec[i]]);
                    }
                    tables.Add(new TidyTable("pr_curves", [new("id", TidyType.Integer), new("name", TidyType.Text), new("recall", TidyType.Number), new("precision", TidyType.Number)], rows));
                }
                if (At(root, "operating_points") is { ValueKind: JsonValueKind.Object } op)
                {
                    var rows = new List<IReadOnlyList<JsonElement?>>();
                    void Point(JsonElement? id, JsonElement name, string point, JsonElement p) =>
                        rows.Add([id, name, TidyTable.Str(point), p.GetProperty("threshold"), p.GetProperty("precision"), p.GetProperty("recall"), p.GetProperty("F1"), p.GetProperty("tp"), p.GetProperty("fp"), p.GetProperty("fn")]);
                    Point(null, TidyTable.Str("all"), "at_threshold", op.GetProperty("at_threshold"));
                    Point(null, TidyTable.Str("all"), "best_f1", op.GetProperty("best_f1"));
                    foreach (var c in Items(At(op, "per_category")))
                    {
                        Point(c.GetProperty("id"), c.GetProperty("name"), "at_threshold", c.GetProperty("at_threshold"));
                        Point(c.GetProperty("id"), c.GetProperty("name"), "best_f1", c.GetProperty("best_f1"));
                    }
                    tables.Add(new TidyTable("operating_points",
                        [new("id", TidyType.Integer), new("name", TidyType.Text), new("point", TidyType.Text), new("threshold", TidyType.Number), new("precision", TidyType.Number),
                         new("recall", TidyType.Number), new("F1", TidyType.Number), new("tp", TidyType.Integer), new("fp", TidyType.Integer), new("fn", TidyType.Integer)], rows));
                    Records("f1_curve", "operating_points.curve");
                }
                Records("voc", "voc.per_category");
                Confusion(tables, root, "predicted", "actual");
                break;
            case ResultKinds.EvalCls:
                Records("per_class", "per_class");
                Values("metrics", "metrics", "metric");
                Confusion(tables, root, "true", "predicted");
                Records("reliability", "calibration.reliability");
                break;
            case ResultKinds.EvalSeg:
                Records("per_class", "per_class");
                Values("metrics", "metrics", "metric");
                Records("per_image", "per_image");
                Confusion(tables, root, "true", "predicted");
                break;
            case ResultKinds.EvalMot:
                if (At(root, "per_sequence") is { ValueKind: JsonValueKind.Object } seqs)
                {
                    var items = seqs.EnumerateObject().Select(p => (Name: p.Name, Value: p.Value)).ToList();
                    if (At(root, "metrics") is { ValueKind: JsonValueKind.Object } combined) items.Add(("COMBINED", combined));
                    tables.Add(TidyTable.Records("per_sequence", items.Select(x => x.Value), [("sequence", (i, _) => TidyTable.Str(items[i].Name))]));
                }
                Values("metrics", "metrics", "metric");
                if (At(root, "hota_per_alpha") is { ValueKind: JsonValueKind.Object } alpha && At(root, "conventions.hota_alphas") is { ValueKind: JsonValueKind.Array } alphas)
                {
                    var metrics = alpha.EnumerateObject().ToList();
                    var a = alphas.EnumerateArray().ToList();
                    tables.Add(new TidyTable("hota_per_alpha", [new("alpha", TidyType.Number), .. metrics.Select(m => new TidyColumn(m.Name, TidyType.Number))],
                        a.Select((x, i) => (IReadOnlyList<JsonElement?>)[x, .. metrics.Select(m => (JsonElement?)m.Value[i])]).ToList()));
                }
                break;
            case ResultKinds.Fit:
                Records("results", "results");
                break;
            case ResultKinds.HardwareList:
                Records("devices", "devices");
                break;
            case ResultKinds.Anchors:
                Values("summary", "");
                Records("anchors", "anchors");
                break;
            case ResultKinds.Compare:
                if (At(root, "rows") is { ValueKind: JsonValueKind.Array } cmpRows && At(root, "files") is { ValueKind: JsonValueKind.Array } files)
                {
                    var f = files.EnumerateArray().ToList();
                    var rows = new List<IReadOnlyList<JsonElement?>>();
                    foreach (var r in cmpRows.EnumerateArray())
                        for (var i = 0; i < f.Count; i++)
                            rows.Add([r.GetProperty("key"), f[i], Nth(r, "values", i), Nth(r, "delta", i), Nth(r, "relative_delta", i)]);
                    tables.Add(new TidyTable("rows", [new("key", TidyType.Text), new("file", TidyType.Text), new("value", TidyType.Number), new("delta", TidyType.Number), new("relative_delta", TidyType.Number)], rows));
                }
                Records("rules", "rules");
                break;
            case ResultKinds.Val:
                Values("summary", "");
                Records("per_category", "per_category");
                Records("per_class", "per_class");
                break;
            case ResultKinds.Matrix:
                Records("rows", "rows");
                break;
            default:
                Values("values", "");
                break;
        }
        if (tables.Count == 0) tables.Add(TidyTable.KeyValues("values", root));
        return tables;
    }

    private static IEnumerable<JsonElement> Items(JsonElement? e) => e is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    private static JsonElement? Nth(JsonElement row, string key, int i) =>
        row.TryGetProperty(key, out var a) && a.ValueKind == JsonValueKind.Array && i < a.GetArrayLength() && a[i].ValueKind != JsonValueKind.Null ? a[i] : null;

    /// <summary>A confusion matrix in long form: one row per (row label, column label) cell with its count.</summary>
    private static void Confusion(List<TidyTable> tables, JsonElement root, string rowName, string colName)
    {
        if (At(root, "confusion_matrix.counts") is not { ValueKind: JsonValueKind.Array } counts) return;
        var labels = At(root, "confusion_matrix.labels") is { ValueKind: JsonValueKind.Array } l ? l.EnumerateArray().Select(x => (JsonElement?)x).ToList() : null;
        var rows = new List<IReadOnlyList<JsonElement?>>();
        var i = 0;
        foreach (var r in counts.EnumerateArray())
        {
            var j = 0;
            foreach (var v in r.EnumerateArray())
            {
                rows.Add([labels is not null && i < labels.Count ? labels[i] : TidyTable.Num(i), labels is not null && j < labels.Count ? labels[j] : TidyTable.Num(j), v]);
                j++;
            }
            i++;
        }
        tables.Add(new TidyTable("confusion", [new(rowName, labels is null ? TidyType.Integer : TidyType.Text), new(colName, labels is null ? TidyType.Integer : TidyType.Text), new("count", TidyType.Integer)], rows));
    }

    private static JsonElement? At(JsonElement root, string path)
    {
        if (path.Length == 0) return root;
        var cur = root;
        foreach (var part in path.Split('.'))
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(part, out cur)) return null;
        return cur;
    }
}
