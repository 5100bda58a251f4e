using System.Text.Json;

namespace Dyno.Cli.Tests;

public class EvalDetVocTests
{
    private static string Xml(string file, int w, int h, params (string Name, int X1, int Y1, int X2, int Y2, bool Difficult)[] objects) =>
        $"<annotation><filename>{file}</filename><size><width>{w}</width><height>{h}</height><depth>3</depth></size>"
        + string.Concat(objects.Select(o => $"<object><name>{o.Name}</name><difficult>{(o.Difficult ? 1 : 0)}</difficult><bndbox><xmin>{o.X1}</xmin><ymin>{o.Y1}</ymin><xmax>{o.X2}</xmax><ymax>{o.Y2}</ymax></bndbox></object>"))
        + "</annotation>";

    [Fact]
    public void VocXmlInputGivesTheSameNumbersAsTheEquivalentCocoFiles()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-voc").FullName;
        var ann = Directory.CreateDirectory(Path.Combine(dir, "Annotations")).FullName;
        var res = Directory.CreateDirectory(Path.Combine(dir, "results")).FullName;
        File.WriteAllText(Path.Combine(ann, "000001.xml"), Xml("000001.jpg", 500, 375, ("cat", 10, 20, 210, 220, false), ("dog", 300, 100, 450, 300, false)));
        File.WriteAllText(Path.Combine(ann, "000002.xml"), Xml("000002.jpg", 640, 480, ("cat", 50, 50, 150, 130, false), ("cat", 400, 300, 420, 330, true)));
        File.WriteAllText(Path.Combine(res, "comp4_det_test_cat.txt"), "000001 0.9 12 18 205 225\n000002 0.8 55 52 150 128\n000002 0.7 401 301 419 329\n000001 0.3 300 100 450 300\n");
        File.WriteAllText(Path.Combine(res, "comp4_det_test_dog.txt"), "000001 0.95 305 110 445 290\n000002 0.4 50 50 150 130\n");

        // The same data as COCO: width = xmax - xmin, difficult = iscrowd.
        var gt = """
            {"images":[{"id":1,"file_name":"000001.jpg","width":500,"height":375},{"id":2,"file_name":"000002.jpg","width":640,"height":480}],
             "annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[10,20,200,200],"area":40000,"iscrowd":0},
                            {"id":2,"image_id":1,"category_id":2,"bbox":[300,100,150,200],"area":30000,"iscrowd":0},
                            {"id":3,"image_id":2,"category_id":1,"bbox":[50,50,100,80],"area":8000,"iscrowd":0},
                            {"id":4,"image_id":2,"category_id":1,"bbox":[400,300,20,30],"area":600,"iscrowd":1}],
             "categories":[{"id":1,"name":"cat"},{"id":2,"name":"dog"}]}
            """;
        var dt = """
            [{"image_id":1,"category_id":1,"bbox":[12,18,193,207],"score":0.9},{"image_id":2,"category_id":1,"bbox":[55,52,95,76],"score":0.8},
             {"image_id":2,"category_id":1,"bbox":[401,301,18,28],"score":0.7},{"image_id":1,"category_id":1,"bbox":[300,100,150,200],"score":0.3},
             {"image_id":1,"category_id":2,"bbox":[305,110,140,180],"score":0.95},{"image_id":2,"category_id":2,"bbox":[50,50,100,80],"score":0.4}]
            """;
        File.WriteAllText(Path.Combine(dir, "gt.json"), gt);
        File.WriteAllText(Path.Combine(dir, "dt.json"), dt);

        var voc = DynoProcess.Run("eval", "det", "--input-format", "voc", "--gt", ann, "--dt", res, "--format", "json");
        var coco = DynoProcess.Run("eval", "det", "--gt", Path.Combine(dir, "gt.json"), "--dt", Path.Combine(dir, "dt.json"), "--format", "json");
        Assert.True(voc.Code == 0, voc.Stderr);
        Assert.True(coco.Code == 0, coco.Stderr);
        using var a = JsonDocument.Parse(voc.Stdout);
        using var b = JsonDocument.Parse(coco.Stdout);
        Assert.Equal(b.RootElement.GetProperty("stats").GetRawText(), a.RootElement.GetProperty("stats").GetRawText());
        Assert.True(a.RootElement.GetProperty("stats").GetProperty("AP50").GetDouble() > 0.5);

        File.WriteAllText(Path.Combine(ann, "000003.xml"), "<annotation><size><width>1</width>");
        var bad = DynoProcess.Run("eval", "det", "--input-format", "voc", "--gt", ann, "--dt", res);
        Assert.Equal(2, bad.Code);
        Assert.Contains("000003.xml: malformed XML", bad.Stderr, StringComparison.Ordinal);
    }
}
