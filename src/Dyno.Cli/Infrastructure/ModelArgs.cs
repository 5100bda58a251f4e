using System.CommandLine;
using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Models.Onnx;

namespace Dyno.Cli.Infrastructure;

/// <summary>The model-selection options shared by commands that analyse a model: MODEL or --example, --shape, --dim, --batch.</summary>
internal sealed class ModelArgs
{
    public Argument<FileInfo?> Model { get; } = new("MODEL") { Description = "The ONNX model file.", Arity = ArgumentArity.ZeroOrOne };
    public Option<string?> Example { get; } = new("--example") { Description = $"Use an embedded example model instead of a file: {string.Join(", ", ExampleModels.Names)}." };
    public Option<string[]> Shape { get; } = new("--shape") { Description = "Set an input's shape: NAME=1x3x640x640 (repeatable)." };
    public Option<string[]> Dim { get; } = new("--dim") { Description = "Set a symbolic dimension: NAME=VALUE (repeatable). Unset dynamic dims default to 1." };
    public Option<int?> Batch { get; } = new("--batch") { Description = "Set the first dimension of every model input (after --shape)." };
    public Option<int> MaxGraphDepth { get; } = new("--max-graph-depth")
    {
        Description = $"Deepest nesting of If/Loop/Scan subgraphs accepted (a resource limit against hostile files; at most {OnnxReadLimits.MaxGraphDepthCeiling}).",
        DefaultValueFactory = _ => OnnxReadLimits.DefaultMaxGraphDepth,
    };

    /// <summary>Adds the options; <paramref name="withBatch"/> false for commands with a --batch of their own (bench's sweep list).</summary>
    public void AddTo(Command cmd, bool withBatch = true)
    {
        cmd.Arguments.Add(Model);
        cmd.Options.Add(Example);
        cmd.Options.Add(Shape);
        cmd.Options.Add(Dim);
        cmd.Options.Add(MaxGraphDepth);
        if (withBatch) cmd.Options.Add(Batch);
    }

    /// <summary>The model file or embedded example the user named (checked: exactly one, and the file exists).</summary>
    public (FileInfo? File, string? Example) Source(ParseResult parse)
    {
        var file = parse.GetValue(Model);
        var ex = parse.GetValue(Example);
        if (file is null == ex is null) throw new UsageException("give a MODEL file or --example NAME (one of them)");
        if (file is not null && !file.Exists) throw new FileNotFoundException($"{file.FullName}: no such file", file.FullName);
        return (file, ex);
    }

    /// <summary>Opens the model the user named.</summary>
    public OnnxModel Open(ParseResult parse)
    {
        var (file, ex) = Source(parse);
        var depth = parse.GetValue(MaxGraphDepth);
        if (depth is < 1 or > OnnxReadLimits.MaxGraphDepthCeiling)
            throw new UsageException($"--max-graph-depth {depth}: expected 1 to {OnnxReadLimits.MaxGraphDepthCeiling}");
        return ex is not null ? ExampleModels.Open(ex) : OnnxModel.Load(file!.FullName, new OnnxReadLimits { MaxGraphDepth = depth });
    }

    /// <summary>
    /// Profile options from --shape/--dim/--batch (resolved by <see cref="Dyno.Models.Shapes.InputShapeResolver"/>);
    /// <paramref name="batchOverride"/> replaces --batch. --batch also sets the leading dimension of a --shape
    /// ("after --shape"), which the library takes as given.
    /// </summary>
    public ProfileOptions Options(ParseResult parse, int? batchOverride = null, bool onnxCompatible = false)
    {
        var shapes = ShapeArgs.Shapes(parse.GetValue(Shape));
        var dims = ShapeArgs.Dims(parse.GetValue(Dim));
        var batch = batchOverride ?? parse.GetValue(Batch);
        if (batch is { } b)
        {
            if (b < 1) throw new UsageException($"--batch {b}: must be at least 1");
            if (shapes is not null)
                foreach (var (name, s) in shapes.ToList())
                    if (s.Length > 0) shapes[name] = [b, .. s[1..]];
        }
        return new ProfileOptions { InputShapes = shapes, Dims = dims, Batch = batch, OnnxCompatibleShapes = onnxCompatible };
    }
}

/// <summary>The hardware-selection options: --hardware NAME, --hardware-file FILE, --precision.</summary>
internal sealed class HardwareArgs
{
    /// <param name="required">The device must be named (<c>dyno fit</c>).</param>
    /// <param name="deprecatedAlias">An old spelling still accepted, hidden from help, with a warning on stderr (fit's <c>--device</c>).</param>
    public HardwareArgs(bool required = false, string? deprecatedAlias = null)
    {
        this.required = required;
        Hardware = new Option<string?>("--hardware") { Description = "A device from 'dyno hardware list' (e.g. h100, jetson-orin-nano)." , Required = required && deprecatedAlias is null };
        if (deprecatedAlias is not null) deprecated = new Option<string?>(deprecatedAlias) { Hidden = true, Description = "Deprecated spelling of --hardware." };
    }

    private readonly bool required;
    private readonly Option<string?>? deprecated;

    public Option<string?> Hardware { get; }
    public Option<FileInfo?> HardwareFile { get; } = new("--hardware-file") { Description = "A JSON file of extra devices (docs/hardware.md)." };
    public Option<string> Precision { get; } = new("--precision") { Description = "fp32, tf32, fp16, bf16, int8 or int4.", DefaultValueFactory = _ => "fp32" };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Hardware);
        if (deprecated is not null) cmd.Options.Add(deprecated);
        cmd.Options.Add(HardwareFile);
        cmd.Options.Add(Precision);
    }

    public HardwareDatabase Database(ParseResult parse)
    {
        var db = HardwareDatabase.BuiltIn();
        var f = parse.GetValue(HardwareFile);
        return f is null ? db : db.With(f.FullName);
    }

    /// <summary>The chosen device, or null when none was named.</summary>
    public HardwareProfile? Device(ParseResult parse) =>
        Name(parse) is { } name ? Database(parse).Find(name) : null;

    /// <summary>The device name given (<c>--hardware</c>, or the deprecated alias with a warning on stderr).</summary>
    public string? Name(ParseResult parse)
    {
        var name = parse.GetValue(Hardware);
        if (deprecated is not null && parse.GetResult(deprecated) is { Implicit: false } && parse.GetValue(deprecated) is { } old)
        {
            if (name is not null && name != old) throw new UsageException($"--hardware {name} and {deprecated.Name} {old} disagree (use --hardware only)");
            Console.Error.WriteLine($"dyno: warning: {deprecated.Name} is deprecated; use --hardware {old}");
            name = old;
        }
        if (name is null && required) throw new UsageException("--hardware is required (a device from 'dyno hardware list')");
        return name;
    }

    public Precision GetPrecision(ParseResult parse) => HardwareProfile.ParsePrecision(parse.GetValue(Precision)!);
}
