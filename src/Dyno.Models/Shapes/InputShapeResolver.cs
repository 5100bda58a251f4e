using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

/// <summary>
/// What a caller asks of a model's input shapes: exact shapes for some inputs, values for symbolic dimensions,
/// and a batch size for the leading dimension of the others. The one request that profiling, shape inference and
/// benchmarking resolve with <see cref="InputShapeResolver"/>.
/// </summary>
public sealed record InputShapeRequest
{
    /// <summary>Input name → exact shape. Taken as given: neither <see cref="Dims"/> nor <see cref="Batch"/> changes it.</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Symbolic dimension name → value, for every input that declares the symbol.</summary>
    public IReadOnlyDictionary<string, long>? Dims { get; init; }

    /// <summary>The leading dimension of every input of rank ≥ 1 not in <see cref="InputShapes"/>, fixed or symbolic; null keeps the model's.</summary>
    public long? Batch { get; init; }
}

/// <summary>One input's resolved shape.</summary>
/// <param name="Input">The model's declaration.</param>
/// <param name="Shape">Every dimension concrete, or null when the model declares no shape and none was given.</param>
/// <param name="Given">The shape came from <see cref="InputShapeRequest.InputShapes"/>.</param>
public sealed record ResolvedInputShape(OnnxValueInfo Input, long[]? Shape, bool Given);

/// <summary>The resolved shapes of a model's inputs, in declaration order, and what was assumed on the way.</summary>
/// <param name="Inputs">One per input resolved (initializer-backed inputs without a given shape are left out).</param>
/// <param name="Notes">One line per assumption or override (a dynamic dimension set to 1, a fixed dimension replaced).</param>
public sealed record ResolvedInputShapes(IReadOnlyList<ResolvedInputShape> Inputs, IReadOnlyList<string> Notes);

/// <summary>
/// The input-shape rule of every Dyno tool. For each input: a shape in <see cref="InputShapeRequest.InputShapes"/> is
/// used as given (its rank must be the declared one); otherwise the declared shape, with the leading dimension set to
/// <see cref="InputShapeRequest.Batch"/> when there is one, each symbolic dimension set from
/// <see cref="InputShapeRequest.Dims"/>, and any other unknown dimension set to 1 (noted). Mistakes are
/// <see cref="DynoInputException"/>s naming the input: a shape for a name that is no input, a rank that differs from the
/// declaration, a dimension value that names no symbol of any input, a symbol's value that disagrees with the batch.
/// </summary>
public static class InputShapeResolver
{
    /// <summary>Resolves <paramref name="inputs"/> (a graph's inputs) under <paramref name="request"/>.</summary>
    /// <param name="inputs">The model's declared inputs.</param>
    /// <param name="request">The shapes, dimension values and batch asked for.</param>
    /// <param name="initializers">Names of inputs that have an initializer (a default value): they keep it unless given a shape.</param>
    public static ResolvedInputShapes Resolve(IReadOnlyList<OnnxValueInfo> inputs, InputShapeRequest request, IReadOnlySet<string>? initializers = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(request);
        var shapes = request.InputShapes;
        var dims = request.Dims;
        if (request.Batch is < 1) throw new DynoInputException($"Batch {request.Batch}: must be at least 1", "Batch");
        bool IsInit(string name) => initializers?.Contains(name) == true;

        if (shapes is not null)
            foreach (var k in shapes.Keys)
                if (!inputs.Any(i => i.Name == k))
                    throw new DynoInputException($"InputShapes names '{k}', which is not an input of the model (inputs: {string.Join(", ", inputs.Where(i => !IsInit(i.Name)).Select(i => i.Name))})", "InputShapes");
        if (dims is not null)
            foreach (var k in dims.Keys)
                if (!inputs.Any(i => i.Shape?.Any(d => !d.IsKnown && d.Symbol == k) == true))
                    throw new DynoInputException($"Dims names '{k}', which is not a symbolic dimension of any model input", "Dims");

        var resolved = new List<ResolvedInputShape>(inputs.Count);
        var notes = new List<string>();
        foreach (var input in inputs)
        {
            var declared = input.Shape;
            if (shapes is not null && shapes.TryGetValue(input.Name, out var given))
            {
                if (declared is not null && declared.Length != given.Length)
                    throw new DynoInputException($"InputShapes {input.Name}={string.Join("x", given)} has rank {given.Length}, but the model declares input '{input.Name}' with rank {declared.Length} ({Format(declared)})", "InputShapes");
                if (declared is not null)
                    for (var i = 0; i < given.Length; i++)
                        if (declared[i].IsKnown && declared[i].Value != given[i])
                            notes.Add($"input '{input.Name}' dim {i} is fixed to {declared[i].Value} in the model; InputShapes sets {given[i]}");
                resolved.Add(new ResolvedInputShape(input, (long[])given.Clone(), true));
                continue;
            }
            if (IsInit(input.Name)) continue; // its initializer is the value
            if (declared is null)
            {
                resolved.Add(new ResolvedInputShape(input, null, false));
                continue;
            }
            var shape = new long[declared.Length];
            for (var i = 0; i < declared.Length; i++)
            {
                var d = declared[i];
                long? fromDims = d is { IsKnown: false, Symbol: { } sym } && dims?.TryGetValue(sym, out var v) == true ? v : null;
                if (i == 0 && request.Batch is { } b)
                {
                    if (fromDims is { } fd && fd != b)
                        throw new DynoInputException($"Dims {d.Symbol}={fd} conflicts with Batch {b} for input '{input.Name}'", "Dims", "Batch");
                    if (d.IsKnown && d.Value != b) notes.Add($"input '{input.Name}' dim 0 is fixed to {d.Value} in the model; Batch sets {b}");
                    shape[i] = b;
                }
                else if (d.IsKnown) shape[i] = d.Value;
                else if (fromDims is { } f) shape[i] = f;
                else
                {
                    shape[i] = 1;
                    notes.Add($"input '{input.Name}' dim {i} ('{d.Symbol ?? "?"}') is dynamic; assumed 1 (set it with Dims {d.Symbol ?? "NAME"}=N or InputShapes {input.Name}=...)");
                }
            }
            resolved.Add(new ResolvedInputShape(input, shape, false));
        }
        return new ResolvedInputShapes(resolved, notes);
    }

    private static string Format(Dim[] s) => "[" + string.Join(",", s.Select(d => d.ToString())) + "]";
}
