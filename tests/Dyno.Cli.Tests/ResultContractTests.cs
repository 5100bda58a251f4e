using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Dyno.Results;
using Dyno.Runtime.Calibration;

namespace Dyno.Cli.Tests;

/// <summary>
/// The result contract (issue 12): every command's JSON is the snapshot pinned before the refactor (commit 1f3f8bc)
/// with only <c>kind</c> and <c>schema</c> added in front; every document loads back by its kind; every
/// <c>--format csv</c> output is one tidy table a strict CSV reader loads with typed columns.
/// </summary>
public sealed class ResultContractTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
    private readonly string _tmp = Directory.CreateTempSubdirectory("dyno-contract-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var line in File.ReadAllLines(Path.Combine(Fixtures, "results", "cases.txt")))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0) continue;
            var parts = line.Split('\t');
            data.Add(parts[0], parts[1], parts[2]);
        }
        return data;
    }

    private static string[] Args(string args) => args.Replace("{F}", Fixtures, StringComparison.Ordinal).Split(' ');

    private string Run(string args, params string[] extra)
    {
        var file = Path.Combine(_tmp, $"{Guid.NewGuid():N}.out");
        var rc = Program.Main([.. Args(args), .. extra, "--out", file, "--quiet"]);
        Assert.True(rc == 0, $"dyno {args} {string.Join(' ', extra)}: exit {rc}");
        return File.ReadAllText(file);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Json_is_the_pinned_snapshot_with_kind_and_schema_in_front(string name, string kind, string args)
    {
        var json = Run(args, "--format", "json").Replace(Fixtures, "{F}", StringComparison.Ordinal);
        var lines = json.Split('\n').ToList();
        if (ResultKinds.IsStamped(kind))
        {
            Assert.Equal($"  \"kind\": \"{kind}\",", lines[1]);
            Assert.Equal($"  \"schema\": {ResultKinds.SchemaOf(kind)},", lines[2]);
            lines.RemoveRange(1, 2);
        }
        var expected = File.ReadAllText(Path.Combine(Fixtures, "results", "snapshots", name + ".json"));
        Assert.Equal(expected, string.Join('\n', lines));

        var loaded = ResultLoader.Parse(System.Text.Encoding.UTF8.GetBytes(json), name);
        Assert.Equal(kind, loaded.Kind);
        Assert.Equal(!ResultKinds.IsStamped(kind), loaded.Legacy);
        // the pinned (pre-contract) file is recognised by the legacy key rules as the same kind
        Assert.Equal(kind is ResultKinds.HardwareList ? "other" : kind,
            ResultLoader.Parse(System.Text.Encoding.UTF8.GetBytes(expected), name).Kind);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Csv_is_one_tidy_table_with_typed_columns(string name, string kind, string args)
    {
        var json = JsonDocument.Parse(Run(args, "--format", "json")).RootElement;
        var tables = TidyTables.Of(kind, json);
        // the command writes the main table without --table and any other with it; the rest are checked from the same document
        Assert.Equal(tables[0].ToCsv(), Run(args, "--format", "csv"));
        Assert.Equal(tables[^1].ToCsv(), Run(args, "--format", "csv", "--table", tables[^1].Name));
        foreach (var table in tables)
        {
            var csv = table.ToCsv();
            Assert.DoesNotContain("# ", csv.Split('\n')[0]);
            using var reader = new CsvReader(new StringReader(csv), new CsvConfiguration(CultureInfo.InvariantCulture)
            {
                DetectColumnCountChanges = true,
                BadDataFound = a => throw new InvalidDataException($"{name}/{table.Name}: bad CSV field {a.Field}"),
            });
            Assert.True(reader.Read(), $"{name}/{table.Name}: no header");
            reader.ReadHeader();
            Assert.Equal(table.Columns.Select(c => c.Name), reader.HeaderRecord!);
            var rows = 0;
            while (reader.Read())
            {
                for (var c = 0; c < table.Columns.Count; c++)
                {
                    var cell = reader.GetField(c)!;
                    if (cell.Length == 0) continue;
                    var ok = table.Columns[c].Type switch
                    {
                        TidyType.Integer => long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                        TidyType.Number => double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                        TidyType.Boolean => cell is "true" or "false",
                        _ => true,
                    };
                    Assert.True(ok, $"{name}/{table.Name}: row {rows + 1}, column '{table.Columns[c].Name}' ({table.Columns[c].Type}): '{cell}'");
                }
                rows++;
            }
            Assert.Equal(table.Rows.Count, rows);
        }
    }

    [Fact]
    public void Csv_numbers_are_the_json_numbers_at_full_precision()
    {
        const string args = "eval det --gt {F}/coco/tiny_gt.json --dt {F}/coco/tiny_dt.json";
        var json = JsonDocument.Parse(Run(args, "--format", "json")).RootElement;
        var csv = Run(args, "--format", "csv");
        using var reader = new CsvReader(new StringReader(csv), CultureInfo.InvariantCulture);
        var records = reader.GetRecords<dynamic>().Cast<IDictionary<string, object>>().ToList();
        var expected = json.GetProperty("per_category").EnumerateArray().ToList();
        Assert.Equal(expected.Count, records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("name").GetString(), records[i]["name"]);
            Assert.Equal(expected[i].GetProperty("AP").GetDouble(), double.Parse((string)records[i]["AP"], CultureInfo.InvariantCulture));
            Assert.Equal(expected[i].GetProperty("num_dt").GetInt64(), long.Parse((string)records[i]["num_dt"], CultureInfo.InvariantCulture));
        }
        var profileCsv = Run("profile --example resnet18", "--format", "csv");
        Assert.DoesNotContain("(+shared)", profileCsv);
        Assert.DoesNotContain("\"", profileCsv.Split('\n')[1]);
    }

    [Fact]
    public void Report_has_dedicated_llm_anchors_and_compare_sections_for_new_and_legacy_files()
    {
        var fresh = new List<string>();
        foreach (var (name, args) in new[] { ("llm", "llm --preset llama-2-7b --seq 4096 --hardware h100"), ("anchors", "anchors --gt {F}/coco/small_gt.json --fit 9 --evolve 50") })
        {
            var f = Path.Combine(_tmp, name + ".json");
            File.WriteAllText(f, Run(args, "--format", "json"));
            fresh.Add(f);
        }
        var snapshots = Path.Combine(Fixtures, "results", "snapshots");
        foreach (var files in new[] { fresh, new[] { "llm", "anchors", "compare" }.Select(n => Path.Combine(snapshots, n + ".json")).ToList() })
        {
            var html = Path.Combine(_tmp, $"{Guid.NewGuid():N}.html");
            var md = Path.Combine(_tmp, $"{Guid.NewGuid():N}.md");
            Assert.Equal(0, Program.Main(["report", .. files, "--out", html, "--md", md, "--quiet"]));
            var text = File.ReadAllText(md);
            foreach (var figure in new[] { "Time to first token", "Tokens/s", "Best possible recall", "Mean best IoU", "Anchor configuration" })
                Assert.Contains(figure, text);
            // the presenters' tables, as the console shows them (not every number by its dotted key)
            Assert.Contains("| best possible recall (≥1 positive) | 98.24% |", text);
            Assert.Contains("| KV cache | 2.0 GiB (512.0 KiB per token) |", text);
            Assert.DoesNotContain("rows.0.values", File.ReadAllText(html));
        }
    }

    [Fact]
    public void A_wrong_table_name_lists_the_tables()
    {
        var (code, _, err) = DynoProcess.Run("eval", "det", "--gt", Path.Combine(Fixtures, "coco", "tiny_gt.json"), "--dt", Path.Combine(Fixtures, "coco", "tiny_dt.json"),
            "--format", "csv", "--table", "nope");
        Assert.Equal(2, code);
        Assert.Contains("dyno: error: --table: this result has no table 'nope'; its tables are per_category, stats, ap_per_iou_threshold, pr_curves", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Help_shows_lowercase_formats_and_states_the_default_once()
    {
        var (code, stdout, _) = DynoProcess.Run("profile", "--help");
        Assert.Equal(0, code);
        Assert.Contains("table|json|md|csv", stdout);
        Assert.DoesNotContain("Csv|Json", stdout);
        var formatLine = stdout.Split('\n').Single(l => l.TrimStart().StartsWith("-f, --format", StringComparison.Ordinal));
        Assert.DoesNotContain("[default:", formatLine);
        Assert.Contains("(default table)", formatLine);
    }

    [Fact]
    public void Bench_json_keeps_every_key_it_had_and_adds_kind_and_schema()
    {
        // the utilization keys need machine roofs: a cache of known, healthy roofs in a temporary XDG_CACHE_HOME, so the
        // keys do not depend on whether this machine was ever calibrated
        var cache = CalibrationCache.Write(CalibrationCache.Roofs([new GemmRoof("float32", 1, 1024, 50e9)]));
        string json;
        try
        {
            var (code, stdout, stderr) = DynoProcess.RunWithEnvironment(CalibrationCache.Environment(cache),
                "bench", "--example", "resnet18", "--iterations", "3", "--no-calibration", "--format", "json", "--quiet");
            Assert.True(code == 0, stderr);
            json = stdout;
        }
        finally
        {
            Directory.Delete(cache, true);
        }
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal(new[] { "kind", "schema" }, root.EnumerateObject().Take(2).Select(p => p.Name));
        Assert.Equal("bench", root.GetProperty("kind").GetString());
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        Shape(root, "", keys);
        var pinned = File.ReadAllLines(Path.Combine(Fixtures, "results", "snapshots", "bench.keys.txt")).Where(l => l.Length > 0).ToList();
        var missing = pinned.Where(k => !keys.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "keys gone: " + string.Join(", ", missing));
        var added = keys.Where(k => !pinned.Contains(k) && k is not ("kind" or "schema") && !k.StartsWith("warnings", StringComparison.Ordinal)
            && !k.StartsWith("notes", StringComparison.Ordinal) && !k.StartsWith("ops.", StringComparison.Ordinal)).ToList();
        Assert.True(added.Count == 0, "keys added: " + string.Join(", ", added));
        Assert.Equal(ResultKinds.Bench, ResultLoader.Parse(System.Text.Encoding.UTF8.GetBytes(json), "bench").Kind);
    }

    private static void Shape(JsonElement e, string path, ISet<string> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Shape(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, into);
                break;
            case JsonValueKind.Array:
                if (e.GetArrayLength() == 0) into.Add(path + "[]");
                else Shape(e[0], path + "[]", into);
                break;
            default:
                into.Add(path);
                break;
        }
    }
}
