using Dyno.Models.Onnx;
using Dyno.Models.Shapes;

namespace Dyno.Models.Analysis;

/// <summary>
/// Per-operator arithmetic cost: dense multiply-accumulates for products, FLOPs for everything.
/// The conventions are stated in <see cref="Conventions"/> and docs/conventions.md.
/// </summary>
public static class CostModel
{
    /// <summary>The counting conventions, as printed with every profile.</summary>
    public static IReadOnlyDictionary<string, string> Conventions { get; } = new Dictionary<string, string>
    {
        ["dense_macs"] = "multiply-accumulates of Conv, ConvTranspose, Gemm, MatMul and Einsum products (and their integer, quantized and fused variants); no bias, norm, activation or pooling",
        ["flops"] = "2 x dense_macs for products, plus the bias add (1 per output element), plus per-element costs for other ops (docs/conventions.md): 1 for arithmetic and comparisons, 4 for Sigmoid/Swish-like, 5 for Softmax, 8 for LayerNorm-like, kernel size per output for pooling",
        ["memory_access_bytes"] = "bytes of every input read (activations and weights, at their element width) plus every output written; Shape/Size read no data",
        ["weights"] = "initializer elements, each tensor counted once even when shared; Constant-node tensors are counted separately as constant_weights",
        ["activation_bytes"] = "sum over nodes of the byte size of every output tensor",
    };

    private static readonly Dictionary<string, double> PerElement = new(StringComparer.Ordinal)
    {
        ["Add"] = 1, ["Sub"] = 1, ["Mul"] = 1, ["Div"] = 1, ["Pow"] = 1, ["Mod"] = 1, ["Neg"] = 1, ["Abs"] = 1, ["Relu"] = 1,
        ["Sqrt"] = 1, ["Reciprocal"] = 1, ["Exp"] = 1, ["Log"] = 1, ["Erf"] = 1, ["Floor"] = 1, ["Ceil"] = 1, ["Round"] = 1,
        ["Sign"] = 1, ["Equal"] = 1, ["Less"] = 1, ["Greater"] = 1, ["LessOrEqual"] = 1, ["GreaterOrEqual"] = 1, ["And"] = 1,
        ["Or"] = 1, ["Xor"] = 1, ["Not"] = 1, ["Where"] = 1, ["Sin"] = 1, ["Cos"] = 1, ["Tan"] = 1, ["Atan"] = 1, ["Asin"] = 1,
        ["Acos"] = 1, ["IsNaN"] = 1, ["IsInf"] = 1, ["BitShift"] = 1, ["BitwiseAnd"] = 1, ["BitwiseOr"] = 1, ["BitwiseXor"] = 1,
        ["BitwiseNot"] = 1, ["PRelu"] = 2, ["LeakyRelu"] = 2, ["Clip"] = 2, ["ThresholdedRelu"] = 1, ["Shrink"] = 2,
        ["Sigmoid"] = 4, ["Tanh"] = 5, ["HardSigmoid"] = 3, ["HardSwish"] = 4, ["Swish"] = 5, ["Softplus"] = 3, ["Softsign"] = 3,
        ["Elu"] = 3, ["Selu"] = 4, ["Celu"] = 4, ["Mish"] = 7, ["Gelu"] = 8, ["FastGelu"] = 8, ["BiasGelu"] = 9, ["QuickGelu"] = 5,
        ["Sinh"] = 3, ["Cosh"] = 3, ["Asinh"] = 3, ["Acosh"] = 3, ["Atanh"] = 3,
        ["Softmax"] = 5, ["LogSoftmax"] = 5, ["Hardmax"] = 1,
        ["BatchNormalization"] = 2, ["InstanceNormalization"] = 8, ["LayerNormalization"] = 8, ["GroupNormalization"] = 8,
        ["SimplifiedLayerNormalization"] = 5, ["SkipLayerNormalization"] = 9, ["SkipSimplifiedLayerNormalization"] = 6,
        ["LpNormalization"] = 3, ["MeanVarianceNormalization"] = 8, ["LRN"] = 6,
        ["QuantizeLinear"] = 3, ["DequantizeLinear"] = 2, ["DynamicQuantizeLinear"] = 4, ["CumSum"] = 1,
        ["Dropout"] = 0, ["Cast"] = 0, ["CastLike"] = 0,
    };

    private static readonly HashSet<string> Variadic = ["Sum", "Max", "Min", "Mean"];

    /// <summary>Dense MACs and FLOPs of one node, from its inferred input/output infos.</summary>
    /// <exception cref="OverflowException">A count exceeds 2^63: refused rather than wrapped.</exception>
    public static (long Macs, long Flops) Cost(OnnxNode node, IReadOnlyList<TensorInfo?> ins, IReadOnlyList<TensorInfo?> outs)
    {
        checked
        {
        var op = node.OpType;
        if (OperatorRegistry.TryGetCustomCost(node.Domain, op, out var custom))
        {
            var (m, f) = custom(node, ins, outs);
            if (m < 0 || f < 0) throw new InvalidOperationException($"{node.QualifiedOp}: the registered cost function returned negative counts ({m} MACs, {f} FLOPs)");
            return (m, f);
        }
        long OutElems(int i = 0) => i < outs.Count && outs[i] is { IsStatic: true } o ? o.ElementCount : 0;
        long InElems(int i) => i < ins.Count && ins[i] is { IsStatic: true } t ? t.ElementCount : 0;
        long[]? Dims(TensorInfo? t) => t is { IsStatic: true } ? t.Dims : null;

        switch (op)
        {
            case "Conv" or "ConvInteger" or "QLinearConv" or "FusedConv" or "DeformConv":
            {
                var wIndex = op == "QLinearConv" ? 3 : 1;
                var w = Dims(ins.ElementAtOrDefault(wIndex));
                var y = Dims(outs.ElementAtOrDefault(0));
                if (w is null || y is null) return (0, 0);
                // Each output element: Cin/group x kernel MACs = prod(w.shape[1:]).
                var macs = y.Aggregate(1L, (a, b) => a * b) * w.Skip(1).Aggregate(1L, (a, b) => a * b);
                var biasIndex = op == "QLinearConv" ? 8 : 2;
                var bias = ins.ElementAtOrDefault(biasIndex) is not null ? OutElems() : 0;
                return (macs, 2 * macs + bias);
            }
            case "ConvTranspose":
            {
                var x = Dims(ins.ElementAtOrDefault(0));
                var w = Dims(ins.ElementAtOrDefault(1));
                if (x is null || w is null) return (0, 0);
                // Each input element scatters into Cout/group x kernel outputs = prod(w.shape[1:]).
                var macs = x.Aggregate(1L, (a, b) => a * b) * w.Skip(1).Aggregate(1L, (a, b) => a * b);
                var bias = ins.ElementAtOrDefault(2) is not null ? OutElems() : 0;
                return (macs, 2 * macs + bias);
            }
            case "Gemm":
            {
                var a = Dims(ins.ElementAtOrDefault(0));
                var y = Dims(outs.ElementAtOrDefault(0));
                if (a is null || y is null) return (0, 0);
                var k = node.Attributes.TryGetValue("transA", out var t) && t.I == 1 ? a[0] : a[1];
                var macs = y[0] * y[1] * k;
                var bias = ins.ElementAtOrDefault(2) is not null ? OutElems() : 0;
                return (macs, 2 * macs + bias);
            }
            case "MatMul" or "MatMulInteger" or "QLinearMatMul" or "FusedMatMul" or "MatMulNBits":
            {
                var a = Dims(ins.ElementAtOrDefault(0));
                if (a is null || a.Length == 0) return (0, 0);
                var k = op == "FusedMatMul" && node.Attributes.TryGetValue("transA", out var ta) && ta.I == 1 && a.Length >= 2 ? a[^2] : a[^1];
                var macs = OutElems() * k;
                var bias = op == "MatMulNBits" && ins.ElementAtOrDefault(5) is not null ? OutElems() : 0;
                return (macs, 2 * macs + bias);
            }
            case "Einsum":
            {
                if (ins.Count < 2) return (0, OutElems());
                var eq = node.Attributes.TryGetValue("equation", out var e) ? e.S.Replace(" ", "", StringComparison.Ordinal) : "";
                var parsed = Einsum.Parse(eq, ins.Select(t => t?.Rank ?? -1).ToArray());
                if (parsed is null || ins.Any(t => t is not { IsStatic: true })) return (0, 0);
                var sizes = parsed.LetterSizes(ins.Select(t => t!.Shape!).ToArray());
                var macs = sizes.Values.Aggregate(1L, (acc, d) => acc * Math.Max(1, d.Value));
                return (macs, 2 * macs);
            }
            case "Attention":
            {
                // com.microsoft.Attention: QKV projection, Q·Kᵀ and P·V.
                var x = Dims(ins.ElementAtOrDefault(0));
                var w = Dims(ins.ElementAtOrDefault(1));
                if (x is null || w is null) return (0, 0);
                long b = x[0], s = x[1], d = x[2], n3 = w[1];
                var hidden = n3 / 3;
                var macs = b * s * d * n3 + 2 * b * s * s * hidden;
                return (macs, 2 * macs + b * s * n3 + 5 * b * s * s * (node.Attributes.TryGetValue("num_heads", out var h) ? h.I : 1));
            }
            case "MaxPool" or "AveragePool" or "LpPool":
            {
                var k = node.Attributes.TryGetValue("kernel_shape", out var ks) ? ks.Ints.Aggregate(1L, (a, b) => a * b) : 1;
                return (0, OutElems() * k + (op == "MaxPool" ? 0 : OutElems()));
            }
            case "GlobalAveragePool" or "GlobalLpPool":
                return (0, InElems(0) + OutElems());
            case "GlobalMaxPool":
                return (0, InElems(0));
            case "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceSumSquare" or "ArgMax" or "ArgMin":
                return (0, InElems(0));
            case "ReduceMean" or "ReduceL2" or "ReduceLogSum" or "ReduceLogSumExp":
                return (0, InElems(0) + OutElems());
            case "Resize" or "Upsample":
            {
                var mode = node.Attributes.TryGetValue("mode", out var m) ? m.S : "nearest";
                var spatial = Math.Max(0, (outs.ElementAtOrDefault(0)?.Rank ?? 2) - 2);
                var perOut = mode switch { "linear" or "bilinear" => (1 << spatial) * 2 - 1, "cubic" => (1 << (2 * spatial)) * 2 - 1, _ => 0 };
                return (0, OutElems() * perOut);
            }
        }
        if (Variadic.Contains(op))
        {
            var n = ins.Count(t => t is not null);
            return (0, OutElems() * Math.Max(1, op == "Mean" ? n : n - 1));
        }
        if (PerElement.TryGetValue(op, out var per)) return (0, (long)Math.Round(OutElems() * per));
        return (0, 0);
        }
    }

    /// <summary>Ops whose output is metadata only (they read no tensor data).</summary>
    public static bool ReadsNoData(string op) => op is "Shape" or "Size" or "Constant" or "ConstantOfShape" or "EyeLike"
        or "RandomNormal" or "RandomUniform" or "RandomNormalLike" or "RandomUniformLike";
}
