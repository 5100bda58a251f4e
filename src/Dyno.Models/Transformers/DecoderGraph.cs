using Dyno.Models.Onnx;

namespace Dyno.Models.Transformers;

/// <summary>The shape of a Llama-style decoder-only transformer (RMSNorm, GQA attention, SwiGLU MLP, untied head).</summary>
public sealed record DecoderConfig(int Layers, int Hidden, int Heads, int KvHeads, int Intermediate, int Vocab)
{
    /// <summary>TinyLlama-1.1B's shape (22 layers, hidden 2048, 32 heads, 4 KV heads, 5632, vocab 32000): 1.1 B parameters.</summary>
    public static DecoderConfig TinyLlama1B { get; } = new(22, 2048, 32, 4, 5632, 32000);

    public int HeadDim => Hidden / Heads;
}

/// <summary>
/// Builds a weightless ONNX graph (opset 13, standard ops only) of a decoder for a fixed batch and
/// sequence length: a reference architecture Dyno makes itself for benchmarks and for cross-checking the
/// transformer calculator against graph analysis. Weights are declared as external data in an absent file.
/// </summary>
public static class DecoderGraph
{
    private const int F32 = 1, I64 = 7;

    public static OnnxBuilder Build(DecoderConfig c, int batch, int seq)
    {
        var b = new OnnxBuilder();
        var (h, kv, hd) = (c.Hidden, c.KvHeads * c.HeadDim, c.HeadDim);
        const string data = "decoder.weights";
        void W(string name, params long[] dims) => b.Initializer(name, F32, dims, externalFile: data);
        // Shape operands and scalars are Constant nodes (counted as constant_weights), so `weights` is exactly the parameter count.
        void Shape(string name, params long[] v) =>
            b.Node("Constant", [], [name], name, attributes: OnnxBuilder.TensorAttr("value", OnnxBuilder.Tensor(name, I64, [v.Length], v)));
        void Const(string name, params long[] dims) =>
            b.Node("Constant", [], [name], name, attributes: OnnxBuilder.TensorAttr("value", OnnxBuilder.Tensor(name, F32, dims)));

        b.Input("input_ids", I64, batch, seq);
        W("embed", c.Vocab, h);
        b.Node("Gather", ["embed", "input_ids"], ["x0"], "embed");
        Const("eps", 1);
        Const("scale", 1);
        Const("causal_mask", seq, seq);
        Shape("q_shape", batch, seq, c.Heads, hd);
        Shape("kv_shape", batch, seq, c.KvHeads, hd);
        Shape("kv_rep", batch, c.KvHeads, c.Heads / c.KvHeads, seq, hd);
        Shape("kv_rep_in", batch, c.KvHeads, 1, seq, hd);
        Shape("kv_merged", batch, c.Heads, seq, hd);
        Shape("ctx_shape", batch, seq, h);

        var x = "x0";
        for (var l = 0; l < c.Layers; l++)
        {
            var p = $"l{l}";
            var n1 = RmsNorm(b, x, $"{p}.ln1", h, W);
            foreach (var (proj, width) in new[] { ("q", h), ("k", kv), ("v", kv) })
            {
                W($"{p}.w{proj}", h, width);
                b.Node("MatMul", [n1, $"{p}.w{proj}"], [$"{p}.{proj}"], $"{p}/attn/{proj}_proj");
            }
            b.Node("Reshape", [$"{p}.q", "q_shape"], [$"{p}.q4"], $"{p}/attn/q_reshape");
            b.Node("Transpose", [$"{p}.q4"], [$"{p}.qh"], $"{p}/attn/q_transpose", attributes: OnnxBuilder.IntsAttr("perm", 0, 2, 1, 3));
            foreach (var t in new[] { "k", "v" })
            {
                b.Node("Reshape", [$"{p}.{t}", "kv_shape"], [$"{p}.{t}4"], $"{p}/attn/{t}_reshape");
                b.Node("Transpose", [$"{p}.{t}4"], [$"{p}.{t}t"], $"{p}/attn/{t}_transpose", attributes: OnnxBuilder.IntsAttr("perm", 0, 2, 1, 3));
                b.Node("Reshape", [$"{p}.{t}t", "kv_rep_in"], [$"{p}.{t}5"], $"{p}/attn/{t}_unsqueeze");
                b.Node("Expand", [$"{p}.{t}5", "kv_rep"], [$"{p}.{t}e"], $"{p}/attn/{t}_repeat");
                b.Node("Reshape", [$"{p}.{t}e", "kv_merged"], [$"{p}.{t}h"], $"{p}/attn/{t}_heads");
            }
            b.Node("Transpose", [$"{p}.kh"], [$"{p}.kT"], $"{p}/attn/k_T", attributes: OnnxBuilder.IntsAttr("perm", 0, 1, 3, 2));
            b.Node("MatMul", [$"{p}.qh", $"{p}.kT"], [$"{p}.scores"], $"{p}/attn/qk");
            b.Node("Mul", [$"{p}.scores", "scale"], [$"{p}.scaled"], $"{p}/attn/scale");
            b.Node("Add", [$"{p}.scaled", "causal_mask"], [$"{p}.masked"], $"{p}/attn/mask");
            b.Node("Softmax", [$"{p}.masked"], [$"{p}.probs"], $"{p}/attn/softmax", attributes: OnnxBuilder.IntAttr("axis", -1));
            b.Node("MatMul", [$"{p}.probs", $"{p}.vh"], [$"{p}.ctx"], $"{p}/attn/pv");
            b.Node("Transpose", [$"{p}.ctx"], [$"{p}.ctxT"], $"{p}/attn/ctx_transpose", attributes: OnnxBuilder.IntsAttr("perm", 0, 2, 1, 3));
            b.Node("Reshape", [$"{p}.ctxT", "ctx_shape"], [$"{p}.ctx3"], $"{p}/attn/ctx_reshape");
            W($"{p}.wo", h, h);
            b.Node("MatMul", [$"{p}.ctx3", $"{p}.wo"], [$"{p}.o"], $"{p}/attn/o_proj");
            b.Node("Add", [x, $"{p}.o"], [$"{p}.res1"], $"{p}/attn/residual");

            x = SwiGluBlock(b, p, h, c.Intermediate, W);
        }
        var nf = RmsNorm(b, x, "final_norm", h, W);
        W("lm_head", h, c.Vocab);
        b.Node("MatMul", [nf, "lm_head"], ["logits"], "lm_head");
        b.Output("logits", F32, batch, seq, c.Vocab);
        return b;
    }

    /// <summary>
    /// Builds a weightless decoder in the KV-cache layout of Hugging Face Optimum and onnxruntime-genai, one graph for
    /// prefill and decode with symbolic batch and lengths: inputs <c>input_ids</c>, <c>attention_mask</c> [batch,
    /// total_sequence_length], <c>position_ids</c>, <c>past_key_values.{i}.key|value</c> [batch, kv_heads,
    /// past_sequence_length, head_dim]; outputs <c>logits</c> and <c>present.{i}.key|value</c> = concat(past, new).
    /// Positions are a learned table of <paramref name="maxPositions"/> rows (gathered with position_ids); attention
    /// keeps key j for query i when j ≤ past + i and attention_mask[j] ≠ 0 (Where with a large negative value, so a row
    /// with every key masked stays finite); GQA reads kv head h / (heads / kv_heads) as Hugging Face's repeat_kv.
    /// </summary>
    public static OnnxBuilder BuildWithCache(DecoderConfig c, int maxPositions = 512)
    {
        var b = new OnnxBuilder();
        var (h, hd, rep) = (c.Hidden, c.HeadDim, c.Heads / c.KvHeads);
        const string data = "decoder.weights";
        void W(string name, params long[] dims) => b.Initializer(name, F32, dims, externalFile: data);
        void Ints(string name, params long[] v) =>
            b.Node("Constant", [], [name], name, attributes: OnnxBuilder.TensorAttr("value", OnnxBuilder.Tensor(name, I64, [v.Length], v)));
        void Scalar(string name, long v) =>
            b.Node("Constant", [], [name], name, attributes: OnnxBuilder.TensorAttr("value", OnnxBuilder.Tensor(name, I64, [], [v])));
        void Float(string name, float v) =>
            b.Node("Constant", [], [name], name, attributes: OnnxBuilder.TensorAttr("value", OnnxBuilder.Tensor(name, F32, [], floatData: [v])));

        b.Input("input_ids", I64, "batch_size", "sequence_length");
        b.Input("attention_mask", I64, "batch_size", "total_sequence_length");
        b.Input("position_ids", I64, "batch_size", "sequence_length");
        for (var l = 0; l < c.Layers; l++)
            foreach (var t in new[] { "key", "value" })
                b.Input($"past_key_values.{l}.{t}", F32, "batch_size", c.KvHeads, "past_sequence_length", hd);
        b.Output("logits", F32, "batch_size", "sequence_length", c.Vocab);
        for (var l = 0; l < c.Layers; l++)
            foreach (var t in new[] { "key", "value" })
                b.Output($"present.{l}.{t}", F32, "batch_size", c.KvHeads, "total_sequence_length", hd);

        Float("eps", 1e-5f);
        Float("scale", 1 / MathF.Sqrt(hd));
        Float("masked", -1e30f);
        Scalar("zero", 0);
        Scalar("one", 1);
        Ints("axis0", 0);
        Ints("axis1", 1);
        Ints("axes12", 1, 2);
        Ints("axis2", 2);
        Ints("q_shape", 0, 0, c.Heads, hd);
        Ints("kv_shape", 0, 0, c.KvHeads, hd);
        Ints("kv_rep", 1, 1, rep, 1, 1);
        Ints("kv_merged", 0, c.Heads, -1, hd);
        Ints("ctx_shape", 0, 0, h);

        // allowed[b, 1, s, T] = (key j <= past + i) AND attention_mask[b, j] != 0, with past = T - s.
        b.Node("Shape", ["input_ids"], ["ids_shape"], "mask/ids_shape");
        b.Node("Gather", ["ids_shape", "one"], ["s"], "mask/s", attributes: OnnxBuilder.IntAttr("axis", 0));
        b.Node("Shape", ["attention_mask"], ["mask_shape"], "mask/mask_shape");
        b.Node("Gather", ["mask_shape", "one"], ["total"], "mask/total", attributes: OnnxBuilder.IntAttr("axis", 0));
        b.Node("Sub", ["total", "s"], ["past"], "mask/past");
        b.Node("Range", ["zero", "s", "one"], ["q_index"], "mask/q_index");
        b.Node("Add", ["q_index", "past"], ["q_pos"], "mask/q_pos");
        b.Node("Unsqueeze", ["q_pos", "axis1"], ["q_col"], "mask/q_col");
        b.Node("Range", ["zero", "total", "one"], ["k_pos"], "mask/k_pos");
        b.Node("LessOrEqual", ["k_pos", "q_col"], ["causal"], "mask/causal");
        b.Node("Cast", ["attention_mask"], ["keep"], "mask/keep", attributes: OnnxBuilder.IntAttr("to", 9));
        b.Node("Unsqueeze", ["keep", "axes12"], ["keep4"], "mask/keep4");
        b.Node("And", ["causal", "keep4"], ["allowed"], "mask/allowed");

        W("embed", c.Vocab, h);
        W("pos_embed", maxPositions, h);
        b.Node("Gather", ["embed", "input_ids"], ["tok"], "embed");
        b.Node("Gather", ["pos_embed", "position_ids"], ["pos"], "pos_embed");
        b.Node("Add", ["tok", "pos"], ["x0"], "embed_sum");

        var x = "x0";
        for (var l = 0; l < c.Layers; l++)
        {
            var p = $"l{l}";
            var n1 = RmsNorm(b, x, $"{p}.ln1", h, W);
            foreach (var (proj, width) in new[] { ("q", c.Heads * hd), ("k", c.KvHeads * hd), ("v", c.KvHeads * hd) })
            {
                W($"{p}.w{proj}", h, width);
                b.Node("MatMul", [n1, $"{p}.w{proj}"], [$"{p}.{proj}"], $"{p}/attn/{proj}_proj");
            }
            b.Node("Reshape", [$"{p}.q", "q_shape"], [$"{p}.q4"], $"{p}/attn/q_reshape");
            b.Node("Transpose", [$"{p}.q4"], [$"{p}.qh"], $"{p}/attn/q_transpose", attributes: OnnxBuilder.IntsAttr("perm", 0, 2, 1, 3));
            foreach (var (t, name) in new[] { ("k", "key"), ("v", "value") })
            {
                b.Node("Reshape", [$"{p}.{t}", "kv_shape"], [$"{p}.{t}4"], $"{p}/attn/{t}_reshape");
                b.Node("Transpose", [$"{p}.{t}4"], [$"{p}.{t}t"], $"{p}/attn/{t}_transpose", attributes: OnnxBuilder.IntsAttr("perm", 0, 2, 1, 3));
                var present = $"present.{l}.{name}";
                b.Node("Concat", [$"past_key_values.{l}.{name}", $"{p}.{t}t"], [present], $"{p}/attn/{t}_cache", attributes: OnnxBuilder.IntAttr("axis", 2));
                if (rep == 1)
                {
                    b.Node("Identity", [present], [$"{p}.{t}h"], $"{p}/attn/{t}_heads");
                    continue;
                }
                b.Node("Unsqueeze", [present, "axis2"], [$"{p}.{t}5"], $"{p}/attn/{t}_unsqueeze");
                b.Node("Expand", [$"{p}.{t}5", "kv_rep"], [$"{p}.{t}e"], $"{p}/attn/{t}_repeat");
                b.Node("Reshape", [$"{p}.{t}e", "kv_merged"], [$"{p}.{t}h"], $"{p}/attn/{t}_heads");
            }
            b.Node("Transpose", [$"{p}.kh"], [$"{p}.kT"], $"{p}/attn/k_T", attributes: OnnxBuilder.IntsAttr("perm", 0, 1, 3, 2));
            b.Node("MatMul", [$"{p}.qh", $"{p}.kT"], [$"{p}.scores"], $"{p}/attn/qk");
            b.Node("Mul", [$"{p}.scores", "scale"], [$"{p}.scaled"], $"{p}/attn/scale");
            b.Node("Where", ["allowed", $"{p}.scaled", "masked"], [$"{p}.masked"], $"{p}/attn/mask");
            b.Node("Softmax", [$"{p}.masked"], [$"{p}.probs"], $"{p}/attn/softmax", attributes: OnnxBuilder.IntAttr("axis", -1));
            b.Node("MatMul", [$"{p}.probs", $"{p}.vh"], [$"{p}.ctx"], $"{p}/attn/pv");
            b.Node("Transpose", [$"{p}.ctx"], [$"{p}.ctxT"], $"{p}/attn/ctx_transpose", attributes: OnnxBuilder.IntsAttr("perm", 0, 2, 1, 3));
            b.Node("Reshape", [$"{p}.ctxT", "ctx_shape"], [$"{p}.ctx3"], $"{p}/attn/ctx_reshape");
            W($"{p}.wo", c.Heads * hd, h);
            b.Node("MatMul", [$"{p}.ctx3", $"{p}.wo"], [$"{p}.o"], $"{p}/attn/o_proj");
            b.Node("Add", [x, $"{p}.o"], [$"{p}.res1"], $"{p}/attn/residual");

            x = SwiGluBlock(b, p, h, c.Intermediate, W);
        }
        var nf = RmsNorm(b, x, "final_norm", h, W);
        W("lm_head", h, c.Vocab);
        b.Node("MatMul", [nf, "lm_head"], ["logits"], "lm_head");
        return b;
    }

    /// <summary>The second half of a layer: RMSNorm of <c>{p}.res1</c>, the SwiGLU MLP and the residual add; returns <c>{p}.out</c>.</summary>
    private static string SwiGluBlock(OnnxBuilder b, string p, int h, int intermediate, Action<string, long[]> W)
    {
        var n2 = RmsNorm(b, $"{p}.res1", $"{p}.ln2", h, W);
        W($"{p}.wg", [h, intermediate]);
        W($"{p}.wu", [h, intermediate]);
        W($"{p}.wd", [intermediate, h]);
        b.Node("MatMul", [n2, $"{p}.wg"], [$"{p}.g"], $"{p}/mlp/gate_proj");
        b.Node("MatMul", [n2, $"{p}.wu"], [$"{p}.u"], $"{p}/mlp/up_proj");
        b.Node("Sigmoid", [$"{p}.g"], [$"{p}.sg"], $"{p}/mlp/sigmoid");
        b.Node("Mul", [$"{p}.g", $"{p}.sg"], [$"{p}.silu"], $"{p}/mlp/silu");
        b.Node("Mul", [$"{p}.silu", $"{p}.u"], [$"{p}.gu"], $"{p}/mlp/gate_mul");
        b.Node("MatMul", [$"{p}.gu", $"{p}.wd"], [$"{p}.d"], $"{p}/mlp/down_proj");
        b.Node("Add", [$"{p}.res1", $"{p}.d"], [$"{p}.out"], $"{p}/mlp/residual");
        return $"{p}.out";
    }

    private static string RmsNorm(OnnxBuilder b, string x, string p, int h, Action<string, long[]> w)
    {
        w($"{p}.g", [h]);
        b.Node("Mul", [x, x], [$"{p}.sq"], $"{p}/square");
        b.Node("ReduceMean", [$"{p}.sq"], [$"{p}.ms"], $"{p}/mean", attributes: OnnxBuilder.IntsAttr("axes", -1));
        b.Node("Add", [$"{p}.ms", "eps"], [$"{p}.mse"], $"{p}/add_eps");
        b.Node("Sqrt", [$"{p}.mse"], [$"{p}.rms"], $"{p}/sqrt");
        b.Node("Div", [x, $"{p}.rms"], [$"{p}.n"], $"{p}/normalize");
        b.Node("Mul", [$"{p}.n", $"{p}.g"], [$"{p}.out"], $"{p}/scale");
        return $"{p}.out";
    }
}
