using System.Diagnostics;
using Dyno.Models.Onnx;
using Dyno.Runtime.Variants.Proto;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Dyno.Runtime.Variants;

/// <summary>Element type of quantized activations.</summary>
public enum ActivationType
{
    /// <summary>uint8, asymmetric (onnxruntime's default, QuantType.QUInt8).</summary>
    UInt8,

    /// <summary>int8, asymmetric (QuantType.QInt8 with ActivationSymmetric=False).</summary>
    Int8,
}

/// <summary>Options of <see cref="QdqQuantizer"/>; the defaults are those of onnxruntime's <c>quantize_static</c> in QDQ format.</summary>
public sealed class QuantizeOptions
{
    /// <summary>
    /// onnxruntime's default <c>op_types_to_quantize</c>: the keys of its QLinearOps and QDQ registries.
    /// </summary>
    public static IReadOnlyList<string> DefaultOpTypes { get; } =
    [
        "ArgMax", "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Relu", "Clip", "LeakyRelu", "Sigmoid", "MaxPool",
        "GlobalAveragePool", "Split", "Pad", "Reshape", "Squeeze", "Unsqueeze", "Resize", "AveragePool", "Concat", "Softmax",
        "Where", "Gather", "GatherElements", "Transpose", "EmbedLayerNormalization", "Slice", "InstanceNormalization",
        "LayerNormalization", "BatchNormalization",
    ];

    /// <summary>Activation type: uint8 (default) or int8, both asymmetric.</summary>
    public ActivationType ActivationType { get; init; } = ActivationType.UInt8;

    /// <summary>How ranges are calibrated.</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Percentile kept by <see cref="CalibrationMethod.Percentile"/> (onnxruntime: 99.999).</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Histogram bins of <see cref="CalibrationMethod.Percentile"/> (onnxruntime: 2048).</summary>
    public int HistogramBins { get; init; } = 2048;

    /// <summary>Per-channel weight scales (onnxruntime's per_channel=True); false: one scale per weight tensor.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Operator types that get Q/DQ pairs.</summary>
    public IReadOnlyCollection<string> OpTypes { get; init; } = DefaultOpTypes;

    /// <summary>Node names left in float (onnxruntime's nodes_to_exclude).</summary>
    public IReadOnlyCollection<string> ExcludeNodes { get; init; } = [];

    /// <summary>
    /// Also quantize the post-processing tail: nodes from which no Conv/ConvTranspose/Gemm/MatMul can be reached
    /// (box decoding, score sigmoid, the concatenation of boxes and scores). Off by default, which is where Dyno
    /// differs from onnxruntime: one uint8 scale over [0, 320] px boxes and [0, 1] scores concatenated into one
    /// output leaves every score at 0 or the scale (1.245 on the shapes detectors).
    /// </summary>
    public bool QuantizeTail { get; init; }
}

/// <summary>What <see cref="QdqQuantizer"/> did.</summary>
/// <param name="CalibrationSamples">Samples run through the model.</param>
/// <param name="CalibratedTensors">Tensors whose range was measured.</param>
/// <param name="QuantizedNodes">Nodes that got Q/DQ pairs on their inputs or outputs.</param>
/// <param name="Weights">Weight tensors stored as int8 (per channel when <see cref="QuantizeOptions.PerChannel"/>).</param>
/// <param name="Biases">Biases stored as int32 with scale = input scale × weight scale.</param>
/// <param name="Activations">Activation tensors with a QuantizeLinear/DequantizeLinear pair.</param>
/// <param name="RemovedActivations">Relu/Clip nodes folded into the preceding Q/DQ pair (as onnxruntime does).</param>
/// <param name="TailNodes">Post-processing nodes left in float (see <see cref="QuantizeOptions.QuantizeTail"/>).</param>
/// <param name="CalibrationSeconds">Wall time of the calibration runs.</param>
/// <param name="Notes">What was skipped and why.</param>
public sealed record QuantizeReport(int CalibrationSamples, int CalibratedTensors, int QuantizedNodes, int Weights, int Biases, int Activations,
    int RemovedActivations, int TailNodes, double CalibrationSeconds, IReadOnlyList<string> Notes);

/// <summary>
/// Static post-training quantization to the QDQ format, following onnxruntime's <c>quantize_static</c>
/// (QuantFormat.QDQ, per_channel=True, reduce_range=False, ActivationSymmetric=False, symmetric int8 weights):
/// weights of Conv/ConvTranspose/Gemm/MatMul become int8 initializers with per-channel scales (zero point 0,
/// range ±127) read through DequantizeLinear; biases become int32 with scale = input scale × weight scale;
/// activations get a QuantizeLinear/DequantizeLinear pair with scale and zero point from the calibrated range
/// (zero always representable). Operator coverage: Conv, ConvTranspose, Gemm, MatMul (weights), Relu/Clip
/// (removed when the producer's Q/DQ can take their range), Reshape/Transpose/Squeeze/Unsqueeze/Slice/
/// AveragePool/MaxPool/Resize/Split/Gather (output shares the input's scale), and every other default op type
/// with all its float inputs and outputs quantized. Pad, Where and the normalization ops stay float.
/// </summary>
public static class QdqQuantizer
{
    private static readonly HashSet<string> WeightedOps = ["Conv", "ConvTranspose", "Gemm", "MatMul"];
    private static readonly HashSet<string> SameAsInputOps = ["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Slice", "AveragePool", "MaxPool", "Resize"];
    private static readonly HashSet<string> NotCovered = ["Pad", "Where", "InstanceNormalization", "LayerNormalization", "BatchNormalization", "EmbedLayerNormalization"];

    /// <summary>Quantizes the model file <paramref name="input"/> and writes the QDQ model to <paramref name="output"/> (atomically).</summary>
    public static QuantizeReport Quantize(string input, string output, IEnumerable<IReadOnlyDictionary<string, DenseTensor<float>>> calibration,
        QuantizeOptions? options = null, Action<string>? progress = null)
    {
        var bytes = File.ReadAllBytes(input);
        var q = Quantize(bytes, input, calibration, options ?? new QuantizeOptions(), progress, out var report);
        VariantFiles.WriteAtomically(output, q);
        return report;
    }

    /// <summary>Quantizes serialized model bytes.</summary>
    public static byte[] Quantize(byte[] model, string source, IEnumerable<IReadOnlyDictionary<string, DenseTensor<float>>> calibration,
        QuantizeOptions options, Action<string>? progress, out QuantizeReport report)
    {
        var m = ProtoModel.Parse(model, source);
        var opset = ProtoModel.Opset(m);
        if (opset < 13)
            throw new InvalidDataException($"{source}: opset {opset}; QDQ quantization with per-channel weights needs opset 13 or later (re-export the model with a newer opset)");
        var types = ProtoModel.ElementTypes(model, source);
        report = new Run(m, types, options, source).Execute(calibration, progress);
        return ProtoModel.Serialize(m);
    }

    private sealed class QParams(string scale, string zeroPoint)
    {
        public string Scale { get; } = scale;
        public string ZeroPoint { get; } = zeroPoint;
        public float ScaleValue { get; init; }
    }

    private sealed class Run(ModelProto m, Dictionary<string, DataType> types, QuantizeOptions o, string source)
    {
        private readonly GraphProto _g = m.Graph;
        private readonly Dictionary<string, TensorProto> _inits = m.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        private readonly HashSet<string> _ops = o.OpTypes.ToHashSet(StringComparer.Ordinal);
        private readonly HashSet<string> _exclude = o.ExcludeNodes.ToHashSet(StringComparer.Ordinal);
        private readonly List<string> _notes = [];

        // Registration, in node order, as onnxruntime's QDQQuantizer does it.
        private readonly List<string> _activations = [];
        private readonly HashSet<string> _activationSet = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _sharedWith = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int?> _weights = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string Input, string Weight, float Beta, NodeProto Node)> _biases = new(StringComparer.Ordinal);
        private readonly HashSet<NodeProto> _removed = new(ReferenceEqualityComparer.Instance);
        private HashSet<NodeProto> _tail = new(ReferenceEqualityComparer.Instance);
        private int _tailInputs;


        private bool IsFloat(string name) => name.Length > 0 &&
            (_inits.TryGetValue(name, out var t) ? t.DataType == (int)DataType.Float : types.TryGetValue(name, out var d) && d == DataType.Float);

        private bool ShouldQuantize(NodeProto n) => _ops.Contains(n.OpType) && !_exclude.Contains(n.Name) && !_tail.Contains(n) && n.Domain is "" or "ai.onnx";

        private bool IsQuantized(string name) => _activationSet.Contains(name) || _sharedWith.ContainsKey(name) || _biases.ContainsKey(name);

        public QuantizeReport Execute(IEnumerable<IReadOnlyDictionary<string, DenseTensor<float>>> calibration, Action<string>? progress)
        {
            foreach (var name in o.ExcludeNodes)
                if (!_g.Node.Any(n => n.Name == name)) throw DynoInputException.Naming(new InvalidDataException($"QuantizeOptions.ExcludeNodes: {source} has no node named '{name}'"), "QuantizeOptions.ExcludeNodes");
            if (!o.QuantizeTail) _tail = TailNodes();

            // 1. Calibrate every float input and output of the nodes to quantize (onnxruntime's select_tensors_to_calibrate).
            var toCalibrate = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var n in _g.Node.Where(ShouldQuantize))
                foreach (var t in n.Input.Concat(n.Output))
                    if (IsFloat(t) && !_inits.ContainsKey(t)) toCalibrate.Add(t);
            var sw = Stopwatch.StartNew();
            var ranges = Calibrator.Run(m, toCalibrate, calibration, o.Method, o.Percentile, o.HistogramBins, progress, out var samples);
            var calibSeconds = sw.Elapsed.TotalSeconds;
            AdjustRanges(ranges);

            // 2. Decide what gets quantized (this may remove Relu/Clip nodes and rename tensors).
            var quantizedNodes = 0;
            foreach (var n in _g.Node.ToList())
            {
                if (!ShouldQuantize(n)) continue;
                if (NotCovered.Contains(n.OpType)) continue;
                quantizedNodes++;
                Register(n, ranges);
            }
            foreach (var n in _g.Node.Where(n => ShouldQuantize(n) && NotCovered.Contains(n.OpType)).Select(n => n.OpType).Distinct())
                _notes.Add($"{n} nodes are left in float (Dyno does not implement onnxruntime's QDQ handler for {n})");

            // Dyno: a tensor only the float tail reads keeps full precision (no Q/DQ pair whose value nothing quantized uses).
            if (_tail.Count > 0)
            {
                var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
                foreach (var n in _g.Node)
                    foreach (var i in n.Input)
                    {
                        if (!readers.TryGetValue(i, out var l)) readers[i] = l = [];
                        l.Add(n);
                    }
                var graphOutputs = _g.Output.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var t in _activations.ToList())
                {
                    var rs = readers.GetValueOrDefault(t) ?? [];
                    if ((rs.Count > 0 || graphOutputs.Contains(t)) && rs.All(_tail.Contains))
                    {
                        _activations.Remove(t);
                        _activationSet.Remove(t);
                        _tailInputs++;
                    }
                }
            }

            // 3. Rewrite the graph.
            var (weights, biases, activations) = Build(ranges);
            if (_tail.Count > 0)
                _notes.Add($"{_tail.Count} post-processing nodes after the last Conv/Gemm/MatMul stay float, and so do the {_tailInputs} tensors only they read (QuantizeOptions.QuantizeTail quantizes them as onnxruntime would)");
            return new QuantizeReport(samples, ranges.Count, quantizedNodes, weights, biases, activations, _removed.Count, _tail.Count, calibSeconds, _notes);
        }

        /// <summary>Nodes from which no weighted op can be reached, and which are not weighted themselves.</summary>
        private HashSet<NodeProto> TailNodes()
        {
            var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
            foreach (var n in _g.Node)
                foreach (var i in n.Input)
                {
                    if (!consumers.TryGetValue(i, out var l)) consumers[i] = l = [];
                    l.Add(n);
                }
            var reaches = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
            for (var k = _g.Node.Count - 1; k >= 0; k--)
            {
                var n = _g.Node[k];
                if (WeightedOps.Contains(n.OpType) || n.Output.Any(o => consumers.TryGetValue(o, out var cs) && cs.Any(reaches.Contains)))
                    reaches.Add(n);
            }
            // Nodes are topologically sorted, so one backward sweep suffices.
            return new HashSet<NodeProto>(_g.Node.Where(n => !reaches.Contains(n)), ReferenceEqualityComparer.Instance);
        }

        // onnxruntime BaseQuantizer.adjust_tensor_ranges: a Relu/Clip input read only by it takes the output's range; Softmax outputs [0, 1].
        private void AdjustRanges(Dictionary<string, TensorRange> ranges)
        {
            var readers = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var n in _g.Node) foreach (var i in n.Input) readers[i] = readers.GetValueOrDefault(i) + 1;
            foreach (var n in _g.Node)
            {
                if (!ShouldQuantize(n)) continue;
                if (n.OpType is "Clip" or "Relu")
                {
                    if (readers.GetValueOrDefault(n.Input[0]) != 1) continue;
                    if (ranges.ContainsKey(n.Input[0]) && ranges.TryGetValue(n.Output[0], out var r)) ranges[n.Input[0]] = r;
                }
                else if (n.OpType == "Softmax") ranges[n.Output[0]] = new TensorRange(0, 1);
            }
        }

        private void Activation(string name)
        {
            if (!IsFloat(name) || _sharedWith.ContainsKey(name)) return;
            if (_activationSet.Add(name)) _activations.Add(name);
        }

        private void SameAsInput(string output, string input)
        {
            if (!IsFloat(output) || _activationSet.Contains(output) || _sharedWith.ContainsKey(output)) return;
            _sharedWith[output] = input;
        }

        private void Weight(string name, int axis)
        {
            if (!_inits.TryGetValue(name, out var w) || w.DataType != (int)DataType.Float)
            {
                Activation(name); // a computed weight is quantized like an activation
                return;
            }
            int? a = null;
            if (o.PerChannel)
            {
                var rank = w.Dims.Count;
                var norm = axis < 0 ? axis + rank : axis;
                if (norm >= 0 && norm < rank) a = norm;
            }
            _weights.TryAdd(name, a);
        }

        private void Register(NodeProto n, Dictionary<string, TensorRange> ranges)
        {
            switch (n.OpType)
            {
                case "Conv" or "ConvTranspose":
                    Activation(n.Input[0]);
                    Activation(n.Output[0]);
                    Weight(n.Input[1], n.OpType == "Conv" ? 0 : 1);
                    if (n.Input.Count > 2 && n.Input[2].Length > 0) Bias(n, n.Input[2], n.Input[0], n.Input[1], 1f);
                    break;
                case "Gemm":
                {
                    Activation(n.Input[0]);
                    Activation(n.Output[0]);
                    var transB = n.Attribute.FirstOrDefault(a => a.Name == "transB")?.I ?? 0;
                    if (_inits.ContainsKey(n.Input[1])) Weight(n.Input[1], transB != 0 ? 0 : 1);
                    else Activation(n.Input[1]);
                    if (n.Input.Count > 2 && n.Input[2].Length > 0 && _inits.ContainsKey(n.Input[2]))
                        Bias(n, n.Input[2], n.Input[0], n.Input[1], n.Attribute.FirstOrDefault(a => a.Name == "beta")?.F ?? 1f);
                    break;
                }
                case "MatMul":
                    foreach (var t in n.Input.Concat(n.Output))
                        if (_inits.ContainsKey(t)) Weight(t, 1);
                        else Activation(t);
                    break;
                case "Relu" or "Clip":
                {
                    if (!IsQuantized(n.Input[0])) return;
                    var upstream = n.Input[0];
                    var output = n.Output[0];
                    var readers = _g.Node.Count(x => !_removed.Contains(x) && x.Input.Contains(upstream));
                    var isGraphIo = _g.Output.Any(v => v.Name == upstream) || _g.Input.Any(v => v.Name == upstream);
                    // onnxruntime try_replacing_upstream_output: the producer writes the activation's output directly.
                    if (ranges.ContainsKey(output) && readers == 1 && !isGraphIo && _activationSet.Contains(upstream))
                    {
                        foreach (var x in _g.Node)
                            for (var i = 0; i < x.Output.Count; i++)
                                if (x.Output[i] == upstream) x.Output[i] = output;
                        _activationSet.Remove(upstream);
                        _activations.Remove(upstream);
                        _removed.Add(n);
                    }
                    else Activation(upstream);
                    Activation(output);
                    break;
                }
                case "Split":
                    if (!IsQuantized(n.Input[0])) Activation(n.Input[0]);
                    foreach (var t in n.Output) SameAsInput(t, n.Input[0]);
                    break;
                case "Gather" or "GatherElements":
                    if (_inits.ContainsKey(n.Input[0]))
                    {
                        Activation(n.Input[0]);
                        SameAsInput(n.Output[0], n.Input[0]);
                    }
                    else if (IsQuantized(n.Input[0])) SameAsInput(n.Output[0], n.Input[0]);
                    break;
                default:
                    if (SameAsInputOps.Contains(n.OpType))
                    {
                        if (IsQuantized(n.Input[0])) SameAsInput(n.Output[0], n.Input[0]);
                    }
                    else
                        foreach (var t in n.Input.Concat(n.Output)) Activation(t);
                    break;
            }
        }

        private void Bias(NodeProto n, string bias, string input, string weight, float beta)
        {
            if (!_inits.TryGetValue(bias, out var b) || b.DataType != (int)DataType.Float) return;
            _biases.TryAdd(bias, (input, weight, beta, n));
        }

        private (int Weights, int Biases, int Activations) Build(Dictionary<string, TensorRange> ranges)
        {
            var qType = o.ActivationType == ActivationType.UInt8 ? DataType.UInt8 : DataType.Int8;
            var names = new ProtoModel.NameScope(_g);
            var newInits = new List<TensorProto>();
            var head = new List<NodeProto>();
            var afterProducer = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
            var replace = new Dictionary<string, string>(StringComparer.Ordinal);
            var renameOutput = new Dictionary<string, string>(StringComparer.Ordinal);
            var graphOutputs = _g.Output.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
            var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
            foreach (var n in _g.Node) if (!_removed.Contains(n)) foreach (var t in n.Output) producers[t] = n;
            var paramsOf = new Dictionary<string, QParams>(StringComparer.Ordinal);

            // Per-tensor activation parameters (weights stored as activations are quantized from their own data).
            foreach (var t in _activations)
            {
                float scale;
                int zp;
                if (_inits.TryGetValue(t, out var init))
                {
                    var data = ProtoModel.Floats(init);
                    var symmetric = qType == DataType.Int8; // onnxruntime: symmetric when the type equals the weight type (int8)
                    var (lo, hi) = data.Length > 0 ? (data.Min(), data.Max()) : (0f, 0f);
                    (scale, zp) = QuantMath.ScaleZeroPoint(lo, hi, qType, symmetric);
                    var q = QuantMath.Quantize(data, scale, zp, qType);
                    var qName = names.Fresh(t + "_quantized");
                    newInits.Add(QuantMath.IntTensor(qName, qType, ProtoModel.Dims(init), q));
                    var p = AddParams(t, scale, zp, qType, names, newInits);
                    paramsOf[t] = p;
                    var dqOut = names.Fresh(t + "_DequantizeLinear_Output");
                    head.Add(ProtoModel.Node("DequantizeLinear", names.Fresh(t + "_DequantizeLinear"), [qName, p.Scale, p.ZeroPoint], [dqOut]));
                    replace[t] = dqOut;
                    continue;
                }
                if (!ranges.TryGetValue(t, out var r))
                    throw new InvalidDataException($"{source}: tensor '{t}' has no calibrated range; it is not produced by any node ONNX Runtime ran");
                (scale, zp) = QuantMath.ScaleZeroPoint(r.Min, r.Max, qType, symmetric: false);
                paramsOf[t] = AddParams(t, scale, zp, qType, names, newInits);
            }
            foreach (var (t, from) in _sharedWith)
            {
                var root = from;
                while (_sharedWith.TryGetValue(root, out var up)) root = up;
                if (paramsOf.TryGetValue(root, out var p)) paramsOf[t] = p;
            }

            var activations = 0;
            foreach (var t in _activations.Concat(_sharedWith.Keys.Where(paramsOf.ContainsKey)))
            {
                if (_inits.ContainsKey(t)) { activations++; continue; }
                var p = paramsOf[t];
                string qIn, dqOut;
                if (graphOutputs.Contains(t))
                {
                    qIn = names.Fresh(t + "_QuantizeLinear_Input");
                    dqOut = t;
                    renameOutput[t] = qIn;
                }
                else
                {
                    qIn = t;
                    dqOut = names.Fresh(t + "_DequantizeLinear_Output");
                    replace[t] = dqOut;
                }
                var qOut = names.Fresh(t + "_QuantizeLinear_Output");
                var pair = new List<NodeProto>
                {
                    ProtoModel.Node("QuantizeLinear", names.Fresh(t + "_QuantizeLinear"), [qIn, p.Scale, p.ZeroPoint], [qOut]),
                    ProtoModel.Node("DequantizeLinear", names.Fresh(t + "_DequantizeLinear"), [qOut, p.Scale, p.ZeroPoint], [dqOut]),
                };
                if (producers.ContainsKey(t)) afterProducer[t] = pair;
                else head.AddRange(pair);
                activations++;
            }

            // Weights: int8, symmetric, per channel.
            var weightScales = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var (w, axis) in _weights)
            {
                var init = _inits[w];
                var data = ProtoModel.Floats(init);
                var dims = ProtoModel.Dims(init);
                var (q, scales) = QuantMath.QuantizeWeight(data, dims, axis);
                weightScales[w] = scales;
                var qName = names.Fresh(w + "_quantized");
                var sName = names.Fresh(w + "_scale");
                var zName = names.Fresh(w + "_zero_point");
                newInits.Add(QuantMath.IntTensor(qName, DataType.Int8, dims, q));
                long[] pDims = axis is null ? [] : [scales.Length];
                newInits.Add(ProtoModel.Tensor<float>(sName, DataType.Float, pDims, scales));
                newInits.Add(QuantMath.IntTensor(zName, DataType.Int8, pDims, new int[scales.Length]));
                var dqOut = names.Fresh(w + "_DequantizeLinear_Output");
                var attrs = axis is { } ax ? new[] { ProtoModel.IntAttr("axis", ax) } : [];
                head.Add(ProtoModel.Node("DequantizeLinear", names.Fresh(w + "_DequantizeLinear"), [qName, sName, zName], [dqOut], attrs));
                replace[w] = dqOut;
            }

            // Biases: int32, scale = input scale × weight scale (× beta for Gemm), zero point 0.
            var biases = 0;
            foreach (var (b, (input, weight, beta, node)) in _biases)
            {
                var inputParams = paramsOf.GetValueOrDefault(input);
                if (inputParams is null || !weightScales.TryGetValue(weight, out var ws))
                {
                    _notes.Add($"bias '{b}' stays float: its node's input or weight is not quantized");
                    continue;
                }
                var init = _inits[b];
                var data = ProtoModel.Floats(init);
                if (ws.Length != 1 && ws.Length != data.Length)
                {
                    _notes.Add($"bias '{b}' stays float: {data.Length} values for {ws.Length} weight scales");
                    continue;
                }
                var scales = new float[data.Length];
                var q = new int[data.Length];
                for (var i = 0; i < data.Length; i++)
                {
                    scales[i] = inputParams.ScaleValue * ws[ws.Length == 1 ? 0 : i] * beta;
                    var v = Math.Round((double)data[i] / scales[i], MidpointRounding.ToEven);
                    q[i] = (int)Math.Clamp(double.IsNaN(v) ? 0 : v, int.MinValue, int.MaxValue);
                }
                var qName = names.Fresh(b + "_quantized");
                var sName = names.Fresh(b + "_quantized_scale");
                var zName = names.Fresh(b + "_quantized_zero_point");
                newInits.Add(QuantMath.IntTensor(qName, DataType.Int32, ProtoModel.Dims(init), q));
                newInits.Add(ProtoModel.Tensor<float>(sName, DataType.Float, [scales.Length], scales));
                newInits.Add(QuantMath.IntTensor(zName, DataType.Int32, [scales.Length], new int[scales.Length]));
                var dqOut = names.Fresh(b + "_DequantizeLinear_Output");
                head.Add(ProtoModel.Node("DequantizeLinear", names.Fresh(b + "_DequantizeLinear"), [qName, sName, zName], [dqOut], ProtoModel.IntAttr("axis", 0)));
                replace[b] = dqOut;
                if (node.OpType == "Gemm")
                {
                    var betaAttr = node.Attribute.FirstOrDefault(a => a.Name == "beta");
                    if (betaAttr is not null) betaAttr.F = 1f; // beta is folded into the bias scale
                }
                biases++;
            }

            // Assemble: parameter/weight DQs first, each activation pair right after its producer.
            var nodes = new List<NodeProto>(head);
            foreach (var n in _g.Node)
            {
                if (_removed.Contains(n)) continue;
                for (var i = 0; i < n.Input.Count; i++)
                    if (replace.TryGetValue(n.Input[i], out var r)) n.Input[i] = r;
                var outs = n.Output.ToArray();
                for (var i = 0; i < n.Output.Count; i++)
                    if (renameOutput.TryGetValue(n.Output[i], out var r)) n.Output[i] = r;
                nodes.Add(n);
                foreach (var t in outs)
                    if (afterProducer.TryGetValue(t, out var pair)) nodes.AddRange(pair);
            }
            // Activation pairs read the original tensor, never its replacement.
            foreach (var pair in afterProducer.Values.Concat([head]))
                foreach (var n in pair.Where(x => x.OpType == "QuantizeLinear"))
                    if (renameOutput.TryGetValue(n.Input[0], out var r)) n.Input[0] = r;
            _g.Node.Clear();
            _g.Node.AddRange(nodes);

            // Drop the float initializers nothing reads any more, add the new ones.
            var read = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
            var keep = _g.Initializer.Where(t => read.Contains(t.Name) || graphOutputs.Contains(t.Name)).ToList();
            _g.Initializer.Clear();
            _g.Initializer.AddRange(keep);
            _g.Initializer.AddRange(newInits.Where(t => read.Contains(t.Name)));
            var initNames = _g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            var inputs = _g.Input.Where(v => !_inits.ContainsKey(v.Name) || initNames.Contains(v.Name)).ToList();
            _g.Input.Clear();
            _g.Input.AddRange(inputs);
            _g.ValueInfo.Clear();
            return (_weights.Count, biases, activations);
        }

        private static QParams AddParams(string t, float scale, int zp, DataType qType, ProtoModel.NameScope names, List<TensorProto> inits)
        {
            var s = names.Fresh(t + "_scale");
            var z = names.Fresh(t + "_zero_point");
            inits.Add(ProtoModel.Tensor<float>(s, DataType.Float, [], [scale]));
            inits.Add(QuantMath.IntTensor(z, qType, [], [zp]));
            return new QParams(s, z) { ScaleValue = scale };
        }
    }
}
