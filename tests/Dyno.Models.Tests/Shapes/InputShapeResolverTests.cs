using Dyno.Models.Onnx;
using Dyno.Models.Shapes;

namespace Dyno.Models.Tests.Shapes;

/// <summary>Issue 12: the one input-shape rule that profile, shape inference and bench share.</summary>
public class InputShapeResolverTests
{
    private static OnnxValueInfo In(string name, params Dim[]? shape) => new(name, ValueKind.Tensor, DataType.Float, shape);

    private static readonly OnnxValueInfo[] Model =
    [
        In("images", Dim.Sym("N"), Dim.Of(3), Dim.Sym("H"), Dim.Sym("W")),
        In("scale", Dim.Of(1), Dim.Of(2)),
        In("mask", Dim.Sym("N"), Dim.Unknown),
        In("anything", null),
        In("scalar"),
    ];

    private static ResolvedInputShapes Resolve(InputShapeRequest r, IReadOnlySet<string>? inits = null) => InputShapeResolver.Resolve(Model, r, inits);

    private static long[] Shape(ResolvedInputShapes r, string name) => r.Inputs.Single(i => i.Input.Name == name).Shape ?? throw new InvalidOperationException(name + ": no shape");

    [Fact]
    public void Symbols_from_dims_the_rest_one_and_noted()
    {
        var r = Resolve(new InputShapeRequest { Dims = new Dictionary<string, long> { ["H"] = 640, ["W"] = 480 } });
        Assert.Equal([1L, 3, 640, 480], Shape(r, "images"));
        Assert.Equal([1L, 2], Shape(r, "scale"));
        Assert.Equal([1L, 1], Shape(r, "mask"));
        Assert.Null(r.Inputs.Single(i => i.Input.Name == "anything").Shape);
        Assert.Equal([], Shape(r, "scalar"));
        Assert.Equal(
        [
            "input 'images' dim 0 ('N') is dynamic; assumed 1 (set it with Dims N=N or InputShapes images=...)",
            "input 'mask' dim 0 ('N') is dynamic; assumed 1 (set it with Dims N=N or InputShapes mask=...)",
            "input 'mask' dim 1 ('?') is dynamic; assumed 1 (set it with Dims NAME=N or InputShapes mask=...)",
        ], r.Notes);
    }

    [Fact]
    public void Batch_sets_every_leading_dim_but_a_given_shape_is_taken_as_given()
    {
        var r = Resolve(new InputShapeRequest
        {
            Batch = 8, Dims = new Dictionary<string, long> { ["H"] = 32, ["W"] = 32 },
            InputShapes = new Dictionary<string, long[]> { ["mask"] = [2, 5] },
        });
        Assert.Equal([8L, 3, 32, 32], Shape(r, "images"));
        Assert.Equal([8L, 2], Shape(r, "scale")); // a fixed leading dim too, noted
        Assert.Equal([2L, 5], Shape(r, "mask"));
        Assert.True(r.Inputs.Single(i => i.Input.Name == "mask").Given);
        Assert.Equal([], Shape(r, "scalar"));
        Assert.Equal(["input 'scale' dim 0 is fixed to 1 in the model; Batch sets 8"], r.Notes);
    }

    [Fact]
    public void Initializer_inputs_keep_their_value_unless_given_a_shape()
    {
        var inits = new HashSet<string> { "scale" };
        Assert.DoesNotContain(Resolve(new InputShapeRequest(), inits).Inputs, i => i.Input.Name == "scale");
        var given = Resolve(new InputShapeRequest { InputShapes = new Dictionary<string, long[]> { ["scale"] = [1, 2] } }, inits);
        Assert.Equal([1L, 2], Shape(given, "scale"));
        Assert.DoesNotContain(given.Notes, n => n.Contains("scale", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("shape-name", "InputShapes names 'nope', which is not an input of the model (inputs: images, mask, anything, scalar)", "InputShapes")]
    [InlineData("rank", "InputShapes images=1x3x224 has rank 3, but the model declares input 'images' with rank 4 ([N,3,H,W])", "InputShapes")]
    [InlineData("dim-name", "Dims names 'C', which is not a symbolic dimension of any model input", "Dims")]
    [InlineData("conflict", "Dims N=4 conflicts with Batch 8 for input 'images'", "Dims")]
    [InlineData("batch", "Batch 0: must be at least 1", "Batch")]
    public void Mistakes_name_the_input_and_the_parameter(string mistake, string message, string parameter)
    {
        var request = mistake switch
        {
            "shape-name" => new InputShapeRequest { InputShapes = new Dictionary<string, long[]> { ["nope"] = [1] } },
            "rank" => new InputShapeRequest { InputShapes = new Dictionary<string, long[]> { ["images"] = [1, 3, 224] } },
            "dim-name" => new InputShapeRequest { Dims = new Dictionary<string, long> { ["C"] = 3 } },
            "conflict" => new InputShapeRequest { Batch = 8, Dims = new Dictionary<string, long> { ["N"] = 4 } },
            _ => new InputShapeRequest { Batch = 0 },
        };
        var e = Assert.Throws<DynoInputException>(() => Resolve(request, new HashSet<string> { "scale" }));
        Assert.Equal(message, e.Message);
        Assert.Equal(parameter, e.ParamName);
    }
}
