using System.Text.Json.Serialization;

namespace Dyno.Models.Analysis;

/// <summary>Static cost of one node. Counts are at the analysed input shapes (batch as given).</summary>
public sealed record NodeCost
{
    public required int Index { get; init; }
    public required string Name { get; init; }
    public required string OpType { get; init; }
    public string? Domain { get; init; }

    /// <summary>The graph the node belongs to: "" for the main graph, else the subgraph's path (e.g. <c>If_0/then_branch</c>).</summary>
    public string? Graph { get; init; }

    /// <summary>Output shapes as text, e.g. <c>1x64x112x112</c>; "?" where unresolved.</summary>
    public required IReadOnlyList<string> OutputShapes { get; init; }

    /// <summary>Initializer elements this node is the first consumer of.</summary>
    public long Weights { get; init; }
    public long WeightBytes { get; init; }

    /// <summary>Names of initializers this node reads that an earlier node already counted.</summary>
    public IReadOnlyList<string>? SharedWeights { get; init; }

    /// <summary>Elements of the tensor a Constant node holds.</summary>
    public long ConstantWeights { get; init; }

    public long DenseMacs { get; init; }
    public long Flops { get; init; }
    public long ReadBytes { get; init; }
    public long WriteBytes { get; init; }
    public long MemoryAccessBytes => ReadBytes + WriteBytes;

    /// <summary>FLOPs per byte of memory access (0 when there is no access).</summary>
    public double ArithmeticIntensity => MemoryAccessBytes > 0 ? (double)Flops / MemoryAccessBytes : 0;

    /// <summary>Sum of output tensor bytes (the activation this node produces).</summary>
    public long OutputBytes { get; init; }

    /// <summary>False when an input or output shape is unknown: the node's counts are then lower bounds.</summary>
    public bool Resolved { get; init; } = true;

    /// <summary>Floating-point elements read and written (re-priced when a roofline asks for another precision).</summary>
    [JsonIgnore] public long FloatElementsAccessed { get; init; }

    /// <summary>Bytes of non-floating tensors read and written (indices, shapes, quantized data): unchanged by precision.</summary>
    [JsonIgnore] public long OtherBytesAccessed { get; init; }

    /// <summary>Memory traffic if every floating-point tensor had <paramref name="bits"/> bits per element.</summary>
    public long MemoryAccessBytesAt(int bits) => FloatElementsAccessed * bits / 8 + OtherBytesAccessed;
}

/// <summary>Model-wide totals. When <see cref="Partial"/> is true, some nodes were not counted and totals are lower bounds.</summary>
public sealed record ProfileTotals
{
    /// <summary>Initializer elements (each tensor counted once).</summary>
    public long Weights { get; init; }
    public long WeightBytes { get; init; }

    /// <summary>Elements held by Constant nodes (counted separately from initializers).</summary>
    public long ConstantWeights { get; init; }
    public long ConstantWeightBytes { get; init; }

    public long DenseMacs { get; init; }
    public long Flops { get; init; }
    public long MemoryAccessBytes { get; init; }

    /// <summary>Sum over nodes of their output tensor bytes.</summary>
    public long ActivationBytes { get; init; }

    public double ArithmeticIntensity => MemoryAccessBytes > 0 ? (double)Flops / MemoryAccessBytes : 0;
    public bool Partial { get; init; }
}

/// <summary>A graph input as analysed.</summary>
public sealed record ModelInput(string Name, string Dtype, string Shape);

/// <summary>Weights grouped by element type.</summary>
public sealed record DtypeWeights(string Dtype, long Elements, long Bytes, int Tensors);

/// <summary>A node whose cost could not be fully counted.</summary>
public sealed record UnresolvedEntry(string Node, string OpType, Dyno.Models.Shapes.UnresolvedKind Kind, string Reason);

/// <summary>Facts about the model file.</summary>
public sealed record ModelFileInfo
{
    public required string Source { get; init; }
    public long FileBytes { get; init; }
    public long IrVersion { get; init; }
    public required IReadOnlyDictionary<string, long> Opsets { get; init; }
    public string Producer { get; init; } = "";
    public required string GraphName { get; init; }

    /// <summary>True when weights are declared as external data whose file is absent: analysis is shape-only.</summary>
    public bool ExternalDataMissing { get; init; }
    public IReadOnlyList<string>? MissingExternalFiles { get; init; }
    public int Functions { get; init; }
    public int Subgraphs { get; init; }
}

/// <summary>The result of <see cref="ModelProfiler"/>: the JSON contract of <c>dyno profile</c> (see docs/profile.md).</summary>
public sealed record ModelProfile
{
    public required ModelFileInfo Model { get; init; }
    public required IReadOnlyList<ModelInput> Inputs { get; init; }
    public required ProfileTotals Totals { get; init; }

    /// <summary>Number of nodes in the main graph.</summary>
    public int NodeCount { get; init; }

    /// <summary>Op type → count, over the main graph.</summary>
    public required IReadOnlyDictionary<string, int> OpHistogram { get; init; }

    public required IReadOnlyList<DtypeWeights> WeightsByDtype { get; init; }
    public required IReadOnlyList<NodeCost> Nodes { get; init; }
    public required IReadOnlyList<UnresolvedEntry> Unresolved { get; init; }

    /// <summary>Share of nodes that are unresolved (0 when complete).</summary>
    public double UnresolvedShare { get; init; }

    /// <summary>Assumptions made during analysis (dynamic dims set to 1, declared shapes used, missing weights).</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Peak activation memory from liveness over the execution order.</summary>
    public MemoryPlan? Memory { get; init; }

    /// <summary>Roofline against a hardware profile (only when one is given).</summary>
    public Roofline.RooflineReport? Roofline { get; init; }

    /// <summary>The counting conventions, stated with every result.</summary>
    [JsonPropertyName("conventions")]
    public IReadOnlyDictionary<string, string> Conventions { get; init; } = CostModel.Conventions;
}
