using System.Text;
using System.Text.Json;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>String image ids (issue 16) as pycocotools treats them: any hashable id, matched by equal value and type, evaluated in sorted() order.</summary>
public class StringImageIdTests
{
    private static string Fixture(string name) => CocoEvaluatorTests.Fixture(Path.Combine("string_ids", name));

    [Theory]
    [InlineData("bbox", CocoIouType.Bbox)]
    [InlineData("segm", CocoIouType.Segm)]
    public void String_ids_equal_pycocotools(string name, CocoIouType type)
    {
        var gt = CocoGroundTruth.Load(Fixture("strid_gt.json"), type);
        var dt = CocoDetections.Load(Fixture("strid_dt.json"), gt, type);
        var r = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { IouType = type });
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Fixture("expected_string_ids.json")));
        var want = doc.RootElement.GetProperty(name);
        foreach (var p in want.GetProperty("stats").EnumerateObject())
        {
            Assert.True(Math.Abs(r.Stats[p.Name] - p.Value.GetDouble()) <= 1e-12, $"{name} {p.Name}: {r.Stats[p.Name]:R} vs {p.Value.GetDouble():R}");
            Assert.Equal(p.Value.GetDouble(), r.Stats[p.Name]);
        }
        foreach (var c in want.GetProperty("per_category").EnumerateObject())
            Assert.True(Math.Abs(r.PerCategory.Single(x => x.Id == long.Parse(c.Name)).AP - c.Value.GetProperty("AP").GetDouble()) <= 1e-12, $"category {c.Name}");
        // images in Python's sorted() order of the strings, not by number
        Assert.True(gt.HasStringImageIds);
        Assert.Equal(want.GetProperty("first_images").EnumerateArray().Select(e => e.GetString()), gt.Images.Take(5).Select(i => i.StringId));
    }

    private static CocoGroundTruth Gt(string imageIds, string annImageId = "\"a\"") => CocoGroundTruth.Parse(Encoding.UTF8.GetBytes(
        "{\"images\":[" + string.Join(",", imageIds.Split('|').Select(i => $"{{\"id\":{i},\"width\":10,\"height\":10}}")) + "],"
        + $"\"annotations\":[{{\"id\":1,\"image_id\":{annImageId},\"category_id\":1,\"bbox\":[0,0,2,2],\"area\":4}}],"
        + "\"categories\":[{\"id\":1,\"name\":\"c\"}]}"), "g.json");

    [Fact]
    public void Mixed_string_and_integer_ids_are_refused_as_python_would()
    {
        var e = Assert.Throws<InvalidDataException>(() => Gt("\"a\"|7"));
        Assert.StartsWith("g.json: images: image ids mix strings (\"a\") and integers (7)", e.Message);
    }

    [Fact]
    public void Ids_match_by_value_and_type()
    {
        var gt = Gt("\"a\"|\"1\"");
        // the integer 1 is not the string "1"
        var e = Assert.Throws<InvalidDataException>(() => CocoDetections.Parse("[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,2,2],\"score\":0.5}]"u8.ToArray(), "d.json", gt));
        Assert.StartsWith("d.json: [0] (image_id 1, category_id 1): image_id 1 is not in the ground truth (its image ids are strings)", e.Message);
        var ok = CocoDetections.Parse("[{\"image_id\":\"1\",\"category_id\":1,\"bbox\":[0,0,2,2],\"score\":0.5},{\"image_id\":\"a\",\"category_id\":1,\"bbox\":[0,0,2,2],\"score\":0.9}]"u8.ToArray(), "d.json", gt);
        var r = CocoEvaluator.Evaluate(gt, ok);
        Assert.True(Math.Abs(r.Stats["AP50"] - 1) < 1e-12); // both matched by their string ids (tp / (tp + eps), as pycocotools)
        e = Assert.Throws<InvalidDataException>(() => Gt("\"a\"", "1"));
        Assert.Contains("image_id 1 is not in 'images'", e.Message);
        var s = Assert.Throws<InvalidDataException>(() => CocoEvalShard.Evaluate(gt, ok));
        Assert.Contains("string image ids cannot be written to a shard", s.Message);
    }

    [Fact]
    public void Strings_sort_by_code_point_as_in_python()
    {
        // Python: sorted(["b", "a", "\U0001F600", "\uFF5E", "aa", "B"]) == ["B", "a", "aa", "b", "\uff5e", "\U0001f600"]
        string[] ids = ["b", "a", "\U0001F600", "\uFF5E", "aa", "B"];
        var gt = Gt(string.Join("|", ids.Select(i => JsonSerializer.Serialize(i))));
        Assert.Equal(["B", "a", "aa", "b", "\uFF5E", "\U0001F600"], gt.Images.Select(i => i.StringId));
        Assert.True(string.CompareOrdinal("\U0001F600", "\uFF5E") < 0); // UTF-16 order would put the emoji first
    }
}
