using System.Runtime.InteropServices;
using Dyno.Models.Onnx;
using Dyno.Runtime.Variants.Proto;
using Google.Protobuf;

namespace Dyno.Runtime.Variants;

/// <summary>Options of <see cref="Float16Converter"/>; the defaults are onnxconverter-common's.</summary>
public sealed class Float16Options
{
    /// <summary>onnxconverter-common's <c>DEFAULT_OP_BLOCK_LIST</c>: operators kept in float32.</summary>
    public static IReadOnlyList<string> DefaultOpBlockList { get; } =
    [
        "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer", "FeatureVectorizer", "Imputer",
        "LabelEncoder", "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder", "RandomUniformLike", "SVMClassifier",
        "SVMRegressor", "Scaler", "TreeEnsembleClassifier", "TreeEnsembleRegressor", "ZipMap", "NonMaxSuppression", "TopK",
        "RoiAlign", "Resize", "Range", "CumSum", "Min", "Max", "Upsample",
    ];

    /// <summary>Non-zero magnitudes below this become this (onnxconverter-common: 1e-7).</summary>
    public float MinPositiveValue { get; init; } = 1e-7f;

    /// <summary>Finite magnitudes above this become this (onnxconverter-common: 1e4).</summary>
    public float MaxFiniteValue { get; init; } = 1e4f;

    /// <summary>Keep float32 graph inputs and outputs, with Cast nodes next to them (<c>keep_io_types=True</c>).</summary>
    public bool KeepIoTypes { get; init; } = true;

    /// <summary>Operator types left in float32, with Casts around them.</summary>
    public IReadOnlyCollection<string> OpBlockList { get; init; } = DefaultOpBlockList;

    /// <summary>Node names left in float32.</summary>
    public IReadOnlyCollection<string> NodeBlockList { get; init; } = [];
}

/// <summary>What <see cref="Float16Converter"/> did.</summary>
/// <param name="ConvertedInitializers">Float32 initializers stored as float16.</param>
/// <param name="KeptFloat32Initializers">Float32 initializers only blocked nodes use, kept in float32.</param>
/// <param name="ConvertedConstants">Float32 tensors in node attributes (Constant, ConstantOfShape) converted.</param>
/// <param name="ClampedValues">Values moved into [min_positive, max_finite] before rounding to float16.</param>
/// <param name="BlockedNodes">Nodes kept in float32.</param>
/// <param name="CastsInserted">Cast nodes added (graph inputs/outputs and around blocked nodes).</param>
/// <param name="MaxAbsRoundingError">Largest |float32 - float16| over the converted weights (clamping included).</param>
public sealed record Float16Report(int ConvertedInitializers, int KeptFloat32Initializers, int ConvertedConstants, long ClampedValues,
    int BlockedNodes, int CastsInserted, double MaxAbsRoundingError);

/// <summary>
/// Converts a float32 ONNX model to float16 like onnxconverter-common's
/// <c>convert_float_to_float16(model, keep_io_types=True)</c>: float32 initializers and Constant tensors become
/// float16 (values clamped into the float16-safe range first), <c>Cast(to=float)</c> becomes <c>Cast(to=float16)</c>,
/// graph inputs and outputs stay float32 behind Cast nodes, and the ops of the block list run in float32 between
/// Casts. As in onnxruntime's fork of the converter, an initializer that only blocked nodes read stays float32 and
/// Resize's <c>scales</c> input is always float32. Intermediate <c>value_info</c> entries are dropped (their element
/// types changed; ONNX Runtime infers them again). Models with subgraphs or external data are rejected.
/// </summary>
public static class Float16Converter
{
    // onnxruntime transformers/float16.py ALWAYS_FLOAT_INPUTS: inputs that must stay float32 on non-blocked nodes.
    private static readonly Dictionary<string, int[]> AlwaysFloatInputs = new(StringComparer.Ordinal)
    {
        ["Resize"] = [2], ["GroupNorm"] = [1, 2], ["SkipGroupNorm"] = [1, 2],
    };

    private static readonly HashSet<string> DtypeOps = ["EyeLike", "Multinomial", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "SequenceEmpty", "Bernoulli"];

    /// <summary>Converts the model file <paramref name="input"/> and writes the float16 model to <paramref name="output"/> (atomically).</summary>
    public static Float16Report Convert(string input, string output, Float16Options? options = null)
    {
        var bytes = File.ReadAllBytes(input);
        var converted = Convert(bytes, input, options ?? new Float16Options(), out var report);
        VariantFiles.WriteAtomically(output, converted);
        return report;
    }

    /// <summary>Converts serialized model bytes.</summary>
    public static byte[] Convert(byte[] model, string source, Float16Options options, out Float16Report report)
    {
        var m = ProtoModel.Parse(model, source);
        var types = ProtoModel.ElementTypes(model, source);
        report = Convert(m, types, options);
        return ProtoModel.Serialize(m);
    }

    internal static Float16Report Convert(ModelProto m, Dictionary<string, DataType> types, Float16Options o)
    {
        var g = m.Graph;
        var names = new ProtoModel.NameScope(g);
        var opBlock = o.OpBlockList.ToHashSet(StringComparer.Ordinal);
        var nodeBlock = o.NodeBlockList.ToHashSet(StringComparer.Ordinal);
        bool IsFloat(string name) => name.Length > 0 && types.TryGetValue(name, out var t) && t == DataType.Float;

        var initializers = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var mapping = new Dictionary<string, string>(StringComparer.Ordinal);
        var ioSkip = new HashSet<string>(StringComparer.Ordinal);
        var head = new List<NodeProto>();
        var tail = new List<NodeProto>();
        var casts = 0;
        if (o.KeepIoTypes)
        {
            for (var i = 0; i < g.Input.Count; i++)
            {
                var v = g.Input[i];
                if (initializers.ContainsKey(v.Name) || v.Type?.TensorType?.ElemType != (int)DataType.Float) continue;
                var cast = names.Fresh("graph_input_cast_" + i);
                mapping[v.Name] = cast;
                ioSkip.Add(v.Name);
                head.Add(ProtoModel.Node("Cast", names.Fresh("graph_input_cast" + i), [v.Name], [cast], ProtoModel.IntAttr("to", (int)DataType.Float16)));
                casts++;
            }
            for (var i = 0; i < g.Output.Count; i++)
            {
                var v = g.Output[i];
                if (v.Type?.TensorType?.ElemType != (int)DataType.Float) continue;
                var cast = names.Fresh("graph_output_cast_" + i);
                mapping[v.Name] = cast;
                ioSkip.Add(v.Name);
                tail.Add(ProtoModel.Node("Cast", names.Fresh("graph_output_cast" + i), [cast], [v.Name], ProtoModel.IntAttr("to", (int)DataType.Float)));
                casts++;
            }
        }

        // Values that are float16 once converted: every float32 value except the kept graph inputs/outputs
        // and the initializers only float32 consumers read (decided below).
        var fp16Use = new HashSet<string>(StringComparer.Ordinal);
        var fp32Use = new HashSet<string>(StringComparer.Ordinal);
        var blocked = new List<NodeProto>();
        var mixed = new List<NodeProto>();
        long clamped = 0;
        var constants = 0;
        double maxErr = 0;
        foreach (var n in g.Node)
        {
            for (var i = 0; i < n.Input.Count; i++) if (mapping.TryGetValue(n.Input[i], out var r)) n.Input[i] = r;
            for (var i = 0; i < n.Output.Count; i++) if (mapping.TryGetValue(n.Output[i], out var r)) n.Output[i] = r;
            var isBlocked = opBlock.Contains(n.OpType) || nodeBlock.Contains(n.Name);
            for (var i = 0; i < n.Input.Count; i++)
            {
                if (!initializers.TryGetValue(n.Input[i], out var init) || init.DataType != (int)DataType.Float) continue;
                var keep32 = isBlocked || (AlwaysFloatInputs.TryGetValue(n.OpType, out var idx) && idx.Contains(i));
                (keep32 ? fp32Use : fp16Use).Add(init.Name);
            }
            if (isBlocked)
            {
                blocked.Add(n);
                continue;
            }
            if (n.OpType == "Cast")
                foreach (var a in n.Attribute)
                    if (a.Name == "to" && a.I == (int)DataType.Float) a.I = (int)DataType.Float16;
            if (DtypeOps.Contains(n.OpType))
            {
                var hasDtype = false;
                foreach (var a in n.Attribute)
                {
                    if (a.Name != "dtype") continue;
                    hasDtype = true;
                    if (a.I == (int)DataType.Float) a.I = (int)DataType.Float16;
                }
                if (!hasDtype && n.OpType is "RandomNormal" or "RandomUniform" or "SequenceEmpty") n.Attribute.Add(ProtoModel.IntAttr("dtype", (int)DataType.Float16));
            }
            if (AlwaysFloatInputs.ContainsKey(n.OpType))
            {
                mixed.Add(n);
                continue; // as in onnxruntime's converter: the attributes of Resize/GroupNorm stay as they are
            }
            foreach (var a in n.Attribute)
            {
                if (a.T is not null && ToFloat16(a.T, o, ref clamped, ref maxErr)) constants++;
                foreach (var t in a.Tensors) if (ToFloat16(t, o, ref clamped, ref maxErr)) constants++;
            }
        }

        var converted = 0;
        var kept = 0;
        var fp32Initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (t.DataType != (int)DataType.Float) continue;
            if (fp16Use.Contains(t.Name) || !fp32Use.Contains(t.Name))
            {
                ToFloat16(t, o, ref clamped, ref maxErr);
                converted++;
            }
            else
            {
                fp32Initializers.Add(t.Name);
                kept++;
            }
        }
        bool IsFloat16(string name) =>
            name.Length > 0 && !fp32Initializers.Contains(name) && !ioSkip.Contains(name) && (IsFloat(name) || mapping.ContainsValue(name));

        // Casts before the float32 inputs of blocked nodes (and Resize's scales), after their float outputs.
        var before = new Dictionary<NodeProto, List<NodeProto>>(ReferenceEqualityComparer.Instance);
        var after = new Dictionary<NodeProto, List<NodeProto>>(ReferenceEqualityComparer.Instance);
        var blockedSet = blocked.ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var n in blocked.Concat(mixed))
        {
            var baseName = n.Name.Length > 0 ? n.Name : n.OpType + "_" + g.Node.IndexOf(n);
            var isBlocked = blockedSet.Contains(n);
            for (var i = 0; i < n.Input.Count; i++)
            {
                if (!isBlocked && !AlwaysFloatInputs[n.OpType].Contains(i)) continue;
                var input = n.Input[i];
                if (!IsFloat16(input)) continue;
                var cast = names.Fresh(baseName + "_input_cast_" + i);
                Add(before, n, ProtoModel.Node("Cast", names.Fresh(baseName + "_input_cast" + i), [input], [cast], ProtoModel.IntAttr("to", (int)DataType.Float)));
                n.Input[i] = cast;
                casts++;
            }
            if (!isBlocked) continue;
            for (var i = 0; i < n.Output.Count; i++)
            {
                var output = n.Output[i];
                if (!IsFloat16(output)) continue;
                var cast = names.Fresh(baseName + "_output_cast_" + i);
                Add(after, n, ProtoModel.Node("Cast", names.Fresh(baseName + "_output_cast" + i), [cast], [output], ProtoModel.IntAttr("to", (int)DataType.Float16)));
                n.Output[i] = cast;
                casts++;
            }
        }

        var nodes = new List<NodeProto>(head);
        foreach (var n in g.Node)
        {
            if (before.TryGetValue(n, out var b)) nodes.AddRange(b);
            nodes.Add(n);
            if (after.TryGetValue(n, out var a)) nodes.AddRange(a);
        }
        nodes.AddRange(tail);
        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.ValueInfo.Clear();
        foreach (var v in g.Input.Concat(g.Output))
            if (v.Type?.TensorType is { ElemType: (int)DataType.Float } tt && !ioSkip.Contains(v.Name) && !fp32Initializers.Contains(v.Name))
                tt.ElemType = (int)DataType.Float16;
        return new Float16Report(converted, kept, constants, clamped, blocked.Count, casts, maxErr);
    }

    private static void Add(Dictionary<NodeProto, List<NodeProto>> map, NodeProto key, NodeProto value)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }

    /// <summary>Rewrites a float32 tensor as float16 in place; false when it is not float32.</summary>
    private static bool ToFloat16(TensorProto t, Float16Options o, ref long clamped, ref double maxErr)
    {
        if (t.DataType != (int)DataType.Float) return false;
        var values = ProtoModel.Floats(t);
        var half = new Half[values.Length];
        float lo = o.MinPositiveValue, hi = o.MaxFiniteValue;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            var c = v;
            // onnxconverter-common's convert_np_to_float16: strict comparisons, so 0, ±inf and NaN are unchanged.
            if (0 < c && c < lo) c = lo;
            else if (-lo < c && c < 0) c = -lo;
            else if (hi < c && c < float.PositiveInfinity) c = hi;
            else if (float.NegativeInfinity < c && c < -hi) c = -hi;
            if (c != v) clamped++;
            half[i] = (Half)c;
            if (float.IsFinite(v)) maxErr = Math.Max(maxErr, Math.Abs((double)v - (double)(float)half[i]));
        }
        t.DataType = (int)DataType.Float16;
        t.FloatData.Clear();
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(half.AsSpan()));
        return true;
    }
}
