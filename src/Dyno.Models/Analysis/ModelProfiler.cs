using Dyno.Models.Onnx;
using Dyno.Models.Shapes;

namespace Dyno.Models.Analysis;

/// <summary>Options of a static analysis: input shapes and symbolic dims.</summary>
public sealed record ProfileOptions
{
    /// <summary>Input name → concrete shape (overrides the model's declaration).</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Symbolic dim name → value.</summary>
    public IReadOnlyDictionary<string, long>? Dims { get; init; }

    /// <summary>The leading dimension of every input not in <see cref="InputShapes"/> (<see cref="InputShapeRequest.Batch"/>); null keeps the model's.</summary>
    public long? Batch { get; init; }

    /// <summary>
    /// Reproduce onnx's own shape inference (no constant propagation through shape arithmetic). Only
    /// for comparing with tools built on it; shapes it cannot infer count as zero bytes and are listed as unresolved.
    /// </summary>
    public bool OnnxCompatibleShapes { get; init; }
}

/// <summary>
/// Static analysis of an ONNX model: shape inference, then per-node weights, dense MACs, FLOPs and
/// memory traffic, and model totals. Needs no weight bytes.
/// </summary>
public static class ModelProfiler
{
    /// <summary>Profiles <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">The graph is not well-formed (<see cref="OnnxChecker"/>), or a count exceeds 2^63 (it is refused, never wrapped).</exception>
    public static ModelProfile Profile(OnnxModel model, ProfileOptions? options = null)
    {
        OnnxChecker.Check(model);
        try
        {
            return checked(ProfileChecked(model, options));
        }
        catch (OverflowException)
        {
            throw DynoInputException.Naming(new InvalidDataException($"{model.Source}: a tensor's element count, bytes or FLOPs exceed 2^63, more than any real model; " +
                                           "refused rather than reported wrapped (check the input shapes, InputShapes, Dims and Batch)"), "InputShapes", "Dims", "Batch");
        }
    }

    private static ModelProfile ProfileChecked(OnnxModel model, ProfileOptions? options)
    {
        checked
        {
        options ??= new ProfileOptions();
        var shapes = new ShapeInferenceEngine(model) { PropagateConstants = !options.OnnxCompatibleShapes }.Run(new InputShapeRequest { InputShapes = options.InputShapes, Dims = options.Dims, Batch = options.Batch });
        var g = model.Graph;
        var notes = new List<string>();
        var missing = model.MissingExternalFiles();
        if (missing.Count > 0)
            notes.Add($"weight data is external and absent ({string.Join(", ", missing)}): analysis is shape-only, which is all it needs");
        notes.AddRange(shapes.Notes);

        var nodes = new List<NodeCost>(g.Nodes.Count);
        var counted = new HashSet<string>(StringComparer.Ordinal);
        var initByName = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var byDtype = new Dictionary<DataType, (long E, long B, int N)>();
        long weights = 0, weightBytes = 0;
        void AddInits(OnnxGraph graph)
        {
            foreach (var t in graph.Initializers)
            {
                if (!initByName.TryAdd(t.Name, t)) continue;
                weights += t.ElementCount;
                weightBytes += t.ByteSize;
                var cur = byDtype.GetValueOrDefault(t.DataType);
                byDtype[t.DataType] = (cur.E + t.ElementCount, cur.B + t.ByteSize, cur.N + 1);
            }
        }
        AddInits(g);

        var unresolved = shapes.Unresolved.Select(u => new UnresolvedEntry(u.Node, u.OpType, u.Kind, u.Reason)).ToList();
        var unresolvedNames = unresolved.Select(u => u.Node).ToHashSet(StringComparer.Ordinal);
        long constW = 0, constB = 0;
        var subgraphCount = 0;

        void Walk(OnnxGraph graph, Func<string, TensorInfo?> lookup, string path)
        {
            foreach (var node in graph.Nodes)
            try
            {
                var ins = node.Inputs.Select(n => n.Length == 0 ? null : lookup(n)).ToList();
                var outs = node.Outputs.Select(n => n.Length == 0 ? null : lookup(n)).ToList();
                var (macs, flops) = CostModel.Cost(node, ins, outs);
                long w = 0, wb = 0;
                List<string>? shared = null;
                foreach (var name in node.Inputs)
                {
                    if (!initByName.TryGetValue(name, out var t)) continue;
                    if (counted.Add(name))
                    {
                        w += t.ElementCount;
                        wb += t.ByteSize;
                    }
                    else (shared ??= []).Add(name);
                }
                long cw = 0;
                if (node.OpType == "Constant" && node.Domain.Length == 0 && outs.ElementAtOrDefault(0) is { IsStatic: true } c)
                {
                    cw = c.ElementCount;
                    constW += cw;
                    constB += c.ByteSize;
                }
                var readsData = !CostModel.ReadsNoData(node.OpType);
                long read = 0, write = 0, outBytes = 0, floatElems = 0, otherBytes = 0;
                var resolved = true;
                void Account(TensorInfo t)
                {
                    if (DataTypes.IsFloat(t.ElemType)) floatElems += t.ElementCount;
                    else otherBytes += t.ByteSize;
                }
                if (readsData)
                    foreach (var t in ins)
                        if (t is { IsStatic: true })
                        {
                            read += t.ByteSize;
                            Account(t);
                        }
                        else if (t is not null && t.Kind == ValueKind.Tensor) resolved = false;
                foreach (var t in outs)
                {
                    if (t is { IsStatic: true })
                    {
                        outBytes += t.ByteSize;
                        Account(t);
                    }
                    else if (t is not null && t.Kind == ValueKind.Tensor) resolved = false;
                }
                write = outBytes;
                var label = node.Name.Length > 0 ? node.Name : $"#{node.Index}";
                if (unresolvedNames.Contains(label)) resolved = false;
                nodes.Add(new NodeCost
                {
                    Index = nodes.Count, Name = label, OpType = node.OpType, Domain = node.Domain.Length > 0 ? node.Domain : null,
                    Graph = path.Length > 0 ? path : null,
                    OutputShapes = outs.Select(o => o is null ? "" : o.Shape is null ? "?" : string.Join("x", o.Shape.Select(d => d.ToString()))).ToList(),
                    Weights = w, WeightBytes = wb, SharedWeights = shared, ConstantWeights = cw,
                    DenseMacs = macs, Flops = flops, ReadBytes = read, WriteBytes = write, OutputBytes = outBytes, Resolved = resolved,
                    FloatElementsAccessed = floatElems, OtherBytesAccessed = otherBytes,
                });
                foreach (var (attr, sub) in node.Subgraphs())
                {
                    subgraphCount++;
                    AddInits(sub);
                    var local = shapes.SubgraphValues.GetValueOrDefault(sub);
                    Walk(sub, n => local is not null && local.TryGetValue(n, out var v) ? v : lookup(n), $"{(path.Length > 0 ? path + "/" : "")}{label}/{attr}");
                }
            }
            catch (OverflowException)
            {
                var shapesText = string.Join(", ", node.Inputs.Concat(node.Outputs).Where(n => n.Length > 0).Select(n => $"{n} {lookup(n)?.ShapeText ?? "?"}"));
                throw new InvalidDataException($"{model.Source}: node '{(node.Name.Length > 0 ? node.Name : $"#{node.Index}")}' ({node.OpType}): " +
                                               $"its element counts, bytes or FLOPs exceed 2^63 ({shapesText}); refused rather than reported wrapped");
            }
        }
        Walk(g, n => shapes[n], "");

        var partial = unresolved.Count > 0;
        var histogram = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) histogram[n.QualifiedOp] = histogram.GetValueOrDefault(n.QualifiedOp) + 1;
        if (subgraphCount > 0)
            notes.Add($"{subgraphCount} subgraph bodies (If/Loop/Scan) are counted once each; loop trip counts are not multiplied in");

        var inits = g.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = g.Inputs.Where(i => !inits.Contains(i.Name))
            .Select(i => new ModelInput(i.Name, DataTypes.Name(shapes[i.Name]?.ElemType ?? i.ElemType), shapes[i.Name]?.ShapeText ?? "?")).ToList();

        return new ModelProfile
        {
            Model = new ModelFileInfo
            {
                Source = model.Source, FileBytes = model.FileSize, IrVersion = model.IrVersion, Opsets = model.OpsetImports,
                Producer = (model.ProducerName + " " + model.ProducerVersion).Trim(), GraphName = g.Name,
                ExternalDataMissing = missing.Count > 0, MissingExternalFiles = missing.Count > 0 ? missing : null,
                Functions = model.Functions.Count, Subgraphs = subgraphCount,
            },
            Inputs = inputs,
            Totals = new ProfileTotals
            {
                Weights = weights, WeightBytes = weightBytes, ConstantWeights = constW, ConstantWeightBytes = constB,
                DenseMacs = nodes.Sum(n => n.DenseMacs), Flops = nodes.Sum(n => n.Flops),
                MemoryAccessBytes = nodes.Sum(n => n.MemoryAccessBytes), ActivationBytes = nodes.Sum(n => n.OutputBytes), Partial = partial,
            },
            NodeCount = g.Nodes.Count,
            OpHistogram = histogram,
            WeightsByDtype = byDtype.OrderByDescending(kv => kv.Value.B)
                .Select(kv => new DtypeWeights(DataTypes.Name(kv.Key), kv.Value.E, kv.Value.B, kv.Value.N)).ToList(),
            Nodes = nodes,
            Unresolved = unresolved,
            UnresolvedShare = nodes.Count == 0 ? 0 : (double)nodes.Count(n => !n.Resolved) / nodes.Count,
            Notes = notes,
            Memory = MemoryPlanner.Plan(g, n => shapes[n]),
        };
        }
    }
}
