using Dyno.Models.Onnx;

namespace Dyno.Models.Shapes;

/// <summary>The dense MACs and FLOPs of one node of a custom operator, from its inferred input and output types and shapes.</summary>
public delegate (long Macs, long Flops) OperatorCost(OnnxNode node, IReadOnlyList<TensorInfo?> inputs, IReadOnlyList<TensorInfo?> outputs);

/// <summary>The table of operator shape functions, by domain and op type; open to custom operators through <see cref="Register"/>.</summary>
public static partial class OperatorRegistry
{
    private static readonly Dictionary<string, Action<InferenceContext>> Table = new(StringComparer.Ordinal);
    private static readonly Lock CustomLock = new();
    private static Dictionary<string, (Action<InferenceContext> Shapes, OperatorCost? Cost)> _custom = new(StringComparer.Ordinal);

    static OperatorRegistry()
    {
        RegisterElementwise();
        RegisterTensorOps();
        RegisterNeuralOps();
        RegisterReductionsAndMisc();
        RegisterContribOps();
    }

    internal static bool TryGet(string domain, string opType, out Action<InferenceContext> fn)
    {
        if (Table.TryGetValue(Key(domain, opType), out fn!)) return true;
        if (!_custom.TryGetValue(Key(domain, opType), out var c)) return false;
        fn = c.Shapes;
        return true;
    }

    /// <summary>
    /// Teaches every later shape inference and profile a custom operator (one a model's own domain or
    /// runtime extension defines): how its outputs' types and shapes follow from its inputs, and
    /// optionally what it costs. Without it, <c>profile</c> reports the op as unknown and its totals as
    /// partial. Built-in operators cannot be replaced; registering the same custom op again replaces it.
    /// Thread-safe; the registration is process-wide.
    /// </summary>
    /// <param name="domain">The op's domain, as in the model's <c>NodeProto.domain</c> (e.g. <c>com.acme</c>).</param>
    /// <param name="opType">The op type.</param>
    /// <param name="inferShapes">Sets each output through <see cref="InferenceContext.Out(int, TensorInfo)"/> from the inputs and attributes.</param>
    /// <param name="cost">Dense MACs and FLOPs of one node; null counts none (a data-movement op).</param>
    /// <exception cref="ArgumentException">The op is built in.</exception>
    public static void Register(string domain, string opType, Action<InferenceContext> inferShapes, OperatorCost? cost = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inferShapes);
        var key = Key(domain ?? "", opType);
        if (Table.ContainsKey(key)) throw new ArgumentException($"{domain}::{opType} is a built-in operator; its shape and cost rules are Dyno's", nameof(opType));
        lock (CustomLock)
        {
            // Copy on write: readers (parallel shape inference) never see a dictionary being changed.
            _custom = new Dictionary<string, (Action<InferenceContext>, OperatorCost?)>(_custom, StringComparer.Ordinal) { [key] = (inferShapes, cost) };
        }
    }

    /// <summary>The cost function of a registered custom operator, if it has one.</summary>
    internal static bool TryGetCustomCost(string domain, string opType, out OperatorCost cost)
    {
        cost = null!;
        return _custom.TryGetValue(Key(domain, opType), out var c) && (cost = c.Cost!) is not null;
    }

    private static string Key(string domain, string op) => (domain == "ai.onnx" ? "" : domain) + "::" + op;

    private static void Add(string op, Action<InferenceContext> fn) => Table[Key("", op)] = fn;

    private static void Add(string domain, string op, Action<InferenceContext> fn) => Table[Key(domain, op)] = fn;

    private static void AddAll(IEnumerable<string> ops, Action<InferenceContext> fn)
    {
        foreach (var op in ops) Add(op, fn);
    }

    // ---------------------------------------------------------------- elementwise

    private static readonly Dictionary<string, Func<double, double>> UnaryMath = new()
    {
        ["Abs"] = Math.Abs, ["Neg"] = x => -x, ["Floor"] = Math.Floor, ["Ceil"] = Math.Ceiling, ["Sqrt"] = Math.Sqrt,
        ["Reciprocal"] = x => 1 / x, ["Exp"] = Math.Exp, ["Log"] = Math.Log, ["Relu"] = x => Math.Max(0, x),
        ["Sign"] = x => Math.Sign(x), ["Round"] = x => Math.Round(x, MidpointRounding.ToEven), ["Sin"] = Math.Sin,
        ["Cos"] = Math.Cos, ["Tan"] = Math.Tan, ["Asin"] = Math.Asin, ["Acos"] = Math.Acos, ["Atan"] = Math.Atan,
        ["Sinh"] = Math.Sinh, ["Cosh"] = Math.Cosh, ["Tanh"] = Math.Tanh, ["Asinh"] = Math.Asinh, ["Acosh"] = Math.Acosh,
        ["Atanh"] = Math.Atanh, ["Sigmoid"] = x => 1 / (1 + Math.Exp(-x)), ["Identity"] = x => x, ["Not"] = x => x == 0 ? 1 : 0,
        ["Softplus"] = x => Math.Log(1 + Math.Exp(x)), ["Softsign"] = x => x / (1 + Math.Abs(x)),
    };

    private static readonly string[] SameShapeOps =
    [
        "Erf", "Elu", "Selu", "LeakyRelu", "ThresholdedRelu", "HardSigmoid", "HardSwish", "Mish", "Celu", "Gelu", "Shrink",
        "Softmax", "LogSoftmax", "Hardmax", "LpNormalization", "MeanVarianceNormalization", "InstanceNormalization", "LRN",
        "CumSum", "Trilu", "ReverseSequence", "BitwiseNot", "Clip", "FastGelu", "BiasGelu", "QuickGelu", "Bernoulli",
        "ScatterElements", "Scatter", "ScatterND", "Swish", "SimplifiedLayerNormalization",
    ];

    private static void RegisterElementwise()
    {
        foreach (var (op, f) in UnaryMath)
        {
            var fn = f;
            Add(op, ctx =>
            {
                var x = ctx.Input(0);
                var v = ShapeMath.FoldElementwise(ctx, x.Shape, x.ElemType, a => fn(a[0]),
                    op is "Abs" or "Neg" or "Identity" or "Relu" or "Sign" or "Not" or "Floor" or "Ceil" or "Round"
                        ? a => (long)fn(a[0]) : null);
                ctx.Out(0, x.ElemType, x.Shape, v);
            });
        }
        AddAll(SameShapeOps, ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, x.ElemType, x.Shape);
        });
        Add("Bernoulli", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, ctx.HasAttr("dtype") ? (DataType)ctx.Int("dtype", 1) : x.ElemType, x.Shape);
        });
        AddAll(["IsNaN", "IsInf"], ctx => ctx.Out(0, DataType.Bool, ctx.Input(0).Shape));
        Add("Dropout", ctx =>
        {
            var x = ctx.Input(0);
            ctx.Out(0, x.ElemType, x.Shape, x.Value);
            ctx.Out(1, DataType.Bool, x.Shape);
        });
        Add("Cast", ctx =>
        {
            var x = ctx.Input(0);
            var to = (DataType)ctx.Int("to", 1);
            ctx.Out(0, x.ElemType == DataType.Undefined && x.Shape is null ? TensorInfo.Unknown(to) : Cast(x, to));
        });
        Add("CastLike", ctx => ctx.Out(0, Cast(ctx.Input(0), ctx.Input(1).ElemType)));

        var binary = new Dictionary<string, (Func<double[], double> F, Func<long[], long>? I)>
        {
            ["Add"] = (a => a[0] + a[1], a => a[0] + a[1]),
            ["Sub"] = (a => a[0] - a[1], a => a[0] - a[1]),
            ["Mul"] = (a => a[0] * a[1], a => a[0] * a[1]),
            ["Div"] = (a => a[0] / a[1], a => a[1] == 0 ? 0 : a[0] / a[1]),
            ["Pow"] = (a => Math.Pow(a[0], a[1]), null),
            ["BitShift"] = (_ => double.NaN, null),
            ["BitwiseAnd"] = (_ => double.NaN, a => a[0] & a[1]),
            ["BitwiseOr"] = (_ => double.NaN, a => a[0] | a[1]),
            ["BitwiseXor"] = (_ => double.NaN, a => a[0] ^ a[1]),
            ["PRelu"] = (a => a[0] < 0 ? a[0] * a[1] : a[0], null),
        };
        foreach (var (op, (f, fi)) in binary)
        {
            var (ff, ffi) = (f, fi);
            Add(op, ctx =>
            {
                var a = ctx.Input(0);
                var shape = ShapeMath.Broadcast(ctx, [a.Shape, ctx.Input(1).Shape]);
                var type = a.ElemType != DataType.Undefined ? a.ElemType : ctx.Input(1).ElemType;
                ctx.Out(0, type, op == "PRelu" ? a.Shape ?? shape : shape, ShapeMath.FoldElementwise(ctx, shape, type, ff, ffi));
            });
        }
        Add("Mod", ctx =>
        {
            var a = ctx.Input(0);
            var shape = ShapeMath.Broadcast(ctx, [a.Shape, ctx.Input(1).Shape]);
            var fmod = ctx.Int("fmod", 0) == 1;
            ctx.Out(0, a.ElemType, shape, ShapeMath.FoldElementwise(ctx, shape, a.ElemType,
                x => fmod ? x[0] % x[1] : x[0] - x[1] * Math.Floor(x[0] / x[1]),
                x => x[1] == 0 ? 0 : fmod ? x[0] % x[1] : ((x[0] % x[1]) + x[1]) % x[1]));
        });
        var variadic = new Dictionary<string, (Func<double[], double> F, Func<long[], long> I)>
        {
            ["Max"] = (a => a.Max(), a => a.Max()),
            ["Min"] = (a => a.Min(), a => a.Min()),
            ["Sum"] = (a => a.Sum(), a => a.Sum()),
            ["Mean"] = (a => a.Average(), a => a.Sum() / a.Length),
        };
        foreach (var (op, (f, fi)) in variadic)
        {
            var (ff, ffi) = (f, fi);
            Add(op, ctx =>
            {
                var shapes = Enumerable.Range(0, ctx.InputCount).Where(ctx.Has).Select(i => ctx.Input(i).Shape);
                var shape = ShapeMath.Broadcast(ctx, shapes);
                var type = ctx.Input(0).ElemType;
                ctx.Out(0, type, shape, ShapeMath.FoldElementwise(ctx, shape, type, ff, ffi));
            });
        }
        var compare = new Dictionary<string, Func<double, double, bool>>
        {
            ["Equal"] = (a, b) => a == b, ["Less"] = (a, b) => a < b, ["Greater"] = (a, b) => a > b,
            ["LessOrEqual"] = (a, b) => a <= b, ["GreaterOrEqual"] = (a, b) => a >= b,
            ["And"] = (a, b) => a != 0 && b != 0, ["Or"] = (a, b) => a != 0 || b != 0, ["Xor"] = (a, b) => (a != 0) ^ (b != 0),
        };
        foreach (var (op, f) in compare)
        {
            var ff = f;
            Add(op, ctx =>
            {
                var shape = ShapeMath.Broadcast(ctx, [ctx.Input(0).Shape, ctx.Input(1).Shape]);
                ctx.Out(0, DataType.Bool, shape, ShapeMath.FoldElementwise(ctx, shape, DataType.Bool,
                    a => ff(a[0], a[1]) ? 1 : 0, a => ff(a[0], a[1]) ? 1 : 0));
            });
        }
        Add("Where", ctx =>
        {
            var shape = ShapeMath.Broadcast(ctx, [ctx.Input(0).Shape, ctx.Input(1).Shape, ctx.Input(2).Shape]);
            var type = ctx.Input(1).ElemType;
            ctx.Out(0, type, shape, ShapeMath.FoldElementwise(ctx, shape, type, a => a[0] != 0 ? a[1] : a[2], a => a[0] != 0 ? a[1] : a[2]));
        });
    }

    private static TensorInfo Cast(TensorInfo x, DataType to)
    {
        ConstValue? v = null;
        if (x.Value is not null)
        {
            if (to == DataType.Bool) v = ConstValue.OfInts(x.Value.AsDoubles().Select(d => d != 0 ? 1L : 0L).ToArray());
            else if (ConstValue.UsesInts(to)) v = ConstValue.OfInts(x.Value.IsInteger ? x.Value.Ints! : x.Value.Floats!.Select(d => (long)Math.Truncate(d)).ToArray());
            else v = ConstValue.OfFloats(x.Value.AsDoubles());
        }
        return new TensorInfo(to, x.Shape, v);
    }
}
