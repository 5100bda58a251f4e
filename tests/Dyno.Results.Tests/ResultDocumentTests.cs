using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;

namespace Dyno.Results.Tests;

public sealed class ResultDocumentTests
{
    private sealed record Payload(string Name, double Value, int? Missing = null);

    private sealed record Stamped(string Kind, int Schema, string Task);

    [Fact]
    public void Kind_and_schema_come_first_then_the_payload_as_it_serializes()
    {
        var doc = new ResultDocument(ResultKinds.Bench, new Payload("x", 0.1 + 0.2));
        var json = doc.ToJson();
        Assert.Equal("{\n  \"kind\": \"bench\",\n  \"schema\": 1,\n  \"name\": \"x\",\n  \"value\": 0.30000000000000004\n}", json.ReplaceLineEndings("\n"));
        Assert.Equal(DynoJson.Serialize(new Payload("x", 0.1 + 0.2)).ReplaceLineEndings("\n")[1..], json.ReplaceLineEndings("\n")[("{\n  \"kind\": \"bench\",\n  \"schema\": 1,".Length)..]);
    }

    [Fact]
    public void A_payload_with_its_own_kind_is_written_as_is_and_a_wrong_one_is_a_programming_error()
    {
        Assert.Equal(DynoJson.Serialize(new Stamped("val", 1, "detection")), new ResultDocument(ResultKinds.Val, new Stamped("val", 1, "detection")).ToJson());
        Assert.Throws<InvalidOperationException>(() => new ResultDocument(ResultKinds.Matrix, new Stamped("val", 1, "detection")).ToJson());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResultDocument("no-such-kind", new Payload("x", 1)));
    }

    [Fact]
    public void The_loader_dispatches_on_kind_and_falls_back_to_keys_for_legacy_files()
    {
        var doc = ResultLoader.Parse(Encoding.UTF8.GetBytes(new ResultDocument(ResultKinds.EvalDet, new Payload("x", 1)).ToJson()), "a.json");
        Assert.Equal((ResultKinds.EvalDet, 1, false), (doc.Kind, doc.Schema, doc.Legacy));
        var legacy = ResultLoader.Parse("""{"stats": {"AP": 0.5}, "per_category": []}"""u8.ToArray(), "old.json");
        Assert.Equal((ResultKinds.EvalDet, 0, true), (legacy.Kind, legacy.Schema, legacy.Legacy));
        Assert.Equal("other", ResultLoader.Parse("""{"something": 1}"""u8.ToArray(), "x.json").Kind);
        var fromDoc = ResultLoader.FromDocument(new ResultDocument(ResultKinds.Fit, new Payload("x", 2)), "demo");
        Assert.Equal(2, fromDoc.Root.GetProperty("value").GetDouble());
    }

    [Theory]
    [InlineData("""[1]""", "a Dyno result is a JSON object, this is Array")]
    [InlineData("""{"kind": "profile", "schema": 99}""", "a 'profile' result of schema 99; this dyno reads schema 1")]
    [InlineData("""{"kind": "profile"}""", "a 'profile' result without an integer 'schema'")]
    [InlineData("""{"kind": 3, "schema": 1}""", "'kind' is 3")]
    [InlineData("""{"kind": """, "not valid JSON (line 1")]
    public void Bad_files_are_named_errors(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => ResultLoader.Parse(Encoding.UTF8.GetBytes(json), "r.json"));
        Assert.StartsWith("r.json: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Every_kind_has_schema_one()
    {
        Assert.All(ResultKinds.Schemas, kv => Assert.Equal(1, kv.Value));
        Assert.Contains(ResultKinds.Val, ResultKinds.Schemas.Keys);
        Assert.Contains(ResultKinds.Matrix, ResultKinds.Schemas.Keys);
    }

    [Fact]
    public void Tidy_records_are_unformatted_full_precision_and_load_with_a_csv_reader()
    {
        var items = JsonDocument.Parse("""
            [{"id": 1, "name": "a, \"quoted\"", "ap": 0.30000000000000004, "n": 4096, "shape": [1, 3], "nested": {"x": 1e-7}, "ok": true},
             {"id": 2, "name": "b", "ap": null, "n": 123456789012, "shape": [2], "nested": {"x": 2.5}, "ok": false}]
            """).RootElement;
        var t = TidyTable.Records("rows", items.EnumerateArray());
        Assert.Equal(["id", "name", "ap", "n", "shape", "nested.x", "ok"], t.Columns.Select(c => c.Name));
        Assert.Equal([TidyType.Integer, TidyType.Text, TidyType.Number, TidyType.Integer, TidyType.Text, TidyType.Number, TidyType.Boolean], t.Columns.Select(c => c.Type));
        var csv = t.ToCsv();
        Assert.Equal("id,name,ap,n,shape,nested.x,ok\n1,\"a, \"\"quoted\"\"\",0.30000000000000004,4096,1 3,1E-07,true\n2,b,,123456789012,2,2.5,false\n", csv);
        using var reader = new CsvReader(new StringReader(csv), CultureInfo.InvariantCulture);
        var rows = reader.GetRecords<dynamic>().Cast<IDictionary<string, object>>().ToList();
        Assert.Equal("a, \"quoted\"", rows[0]["name"]);
        Assert.Equal(0.30000000000000004, double.Parse((string)rows[0]["ap"], CultureInfo.InvariantCulture));
        Assert.Equal(1e-7, double.Parse((string)rows[0]["nested.x"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Key_values_keep_only_numbers()
    {
        var obj = JsonDocument.Parse("""{"a": 1, "b": {"c": 0.5, "d": "text", "e": true}, "f": null}""").RootElement;
        var t = TidyTable.KeyValues("v", obj, "metric");
        Assert.Equal("metric,value\na,1\nb.c,0.5\nf,\n", t.ToCsv());
        Assert.Equal(TidyType.Number, t.Columns[1].Type);
    }
}
