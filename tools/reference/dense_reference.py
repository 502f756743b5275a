#!/usr/bin/python3
"""Independent PyTorch reference of Hugging Face `LlamaForCausalLM`, `Qwen2ForCausalLM` and `Qwen3ForCausalLM`, and
the generator of the tiny checkpoints + reference logits in `packages/core/src/models/dense/__fixtures__/<name>/`.

Run with Debian's torch (`apt-get install -y python3-torch`), not a pyenv python first on PATH:
    /usr/bin/python3 tools/reference/dense_reference.py            # writes every fixture, runs the self-checks
    /usr/bin/python3 tools/reference/dense_reference.py --check    # self-checks only, writes nothing
Written from the semantics of transformers `models/llama/modeling_llama.py`, `models/qwen2/modeling_qwen2.py`,
`models/qwen3/modeling_qwen3.py` and `modeling_rope_utils.py` (read, not copied); needs neither transformers nor
safetensors. CI never runs this script: only the fixtures it writes are committed.

HF semantics followed:
  * embed_tokens -> L pre-norm blocks (x += attn(input_layernorm(x)); x += mlp(post_attention_layernorm(x))) -> norm ->
    lm_head (= embed_tokens when tie_word_embeddings).
  * RMSNorm: w * x / sqrt(mean(x^2) + rms_norm_eps).
  * Attention: q_proj [H*Dh, d], k_proj / v_proj [Hk*Dh, d], o_proj [d, H*Dh]. Biases: Llama q/k/v/o when
    attention_bias; Qwen2 q/k/v always, o never; Qwen3 q/k/v/o when attention_bias. Dh = head_dim if given else d / H.
    Qwen3 only: q_norm / k_norm (RMSNorm over Dh, per head) applied to the [B, T, H, Dh] views before RoPE.
    RoPE rotate-half on the whole head: x*cos + cat(-x2, x1)*sin, cos = cat(f, f), f = position * inv_freq (float32).
    GQA: K/V head j serves query heads j*G .. j*G+G-1 (repeat_kv). Scores q.k^T * Dh^-0.5, causal, softmax, @ v.
  * MLP: down(silu(gate(x)) * up(x)), biases on the three with Llama's mlp_bias.
  * inv_freq (float32, as torch): default 1 / theta^(2i/d); linear: / factor; dynamic: when max(position)+1 = L
    exceeds max_position_embeddings L0, base = theta * (factor*L/L0 - (factor-1))^(d/(d-2)); llama3: wavelen =
    2 pi / inv_freq, > L0/low -> inv/factor, < L0/high -> kept, between: (1-s) * inv/factor + s * inv with
    s = (L0/wavelen - low)/(high - low), L0 = original_max_position_embeddings.
Numbers: float64 forward on the exact stored weight values (bf16 files are rounded first), logits saved as F32.

Self-checks (assert on every run): GQA via repeat_kv == a per-query-head loop against its K/V head; rotate-half RoPE
gives q.k depending only on relative position; causality (changing a later token leaves earlier logits unchanged);
each batch row equals that row alone; llama3 inv_freq has all three bands in its fixture; dynamic RoPE changes the
logits of its fixture (T > L0); files read back bit-exactly; fixtures stay under 120 KB each.
"""

import json
import math
import os
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "packages", "core", "src", "models", "dense", "__fixtures__")

ARCH = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}


def base_config(family, **kw):
    c = {
        "model_type": family,
        "architectures": [ARCH[family]],
        "vocab_size": 64,
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 64,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
        "hidden_act": "silu",
        "bos_token_id": 0,
        "eos_token_id": 1,
        "initializer_range": 0.02,
    }
    c.update(kw)
    return c


FIXTURES = [
    # Llama 3.1-style rope with all three frequency bands, GQA 4/2, untied.
    dict(name="llama3-gqa-f32", dtype="F32", seed=1, config=base_config(
        "llama", rope_theta=500.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 32})),
    # Dynamic NTK beyond L0 = 8 (T = 10), attention + MLP biases, tied, MHA (Hk = H), two shards.
    dict(name="llama-dynamic-bias-tied-sharded-f32", dtype="F32", seed=2, shards=2, config=base_config(
        "llama", num_key_value_heads=4, max_position_embeddings=8, attention_bias=True, mlp_bias=True,
        tie_word_embeddings=True, rope_scaling={"type": "dynamic", "factor": 2.0})),
    # Qwen2: q/k/v biases, MQA (Hk = 1), tied.
    dict(name="qwen2-mqa-tied-f32", dtype="F32", seed=3, config=base_config(
        "qwen2", num_key_value_heads=1, tie_word_embeddings=True, rope_theta=1000000.0)),
    # Qwen2 with linear rope scaling in bf16.
    dict(name="qwen2-linear-bf16", dtype="BF16", seed=4, config=base_config(
        "qwen2", rope_scaling={"type": "linear", "factor": 2.0})),
    # Qwen3: explicit head_dim (12, so H*Dh = 48 != hidden 32), q/k norms, GQA 4/2, untied.
    dict(name="qwen3-headdim-f32", dtype="F32", seed=5, config=base_config("qwen3", head_dim=12)),
    dict(name="qwen3-tied-bf16", dtype="BF16", seed=6, config=base_config(
        "qwen3", head_dim=8, tie_word_embeddings=True, attention_bias=True)),
]
TOKENS_T = 10


def head_dim(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


def kv_heads(c):
    return c.get("num_key_value_heads") or c["num_attention_heads"]


def biases(c):
    if c["model_type"] == "qwen2":
        return True, False
    b = bool(c.get("attention_bias", False))
    return b, b


def param_shapes(c):
    d, H, Hk, Dh, I = c["hidden_size"], c["num_attention_heads"], kv_heads(c), head_dim(c), c["intermediate_size"]
    qkv_b, o_b = biases(c)
    out = {"model.embed_tokens.weight": ([c["vocab_size"], d], "normal")}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}"
        for proj, n in (("q_proj", H * Dh), ("k_proj", Hk * Dh), ("v_proj", Hk * Dh)):
            out[f"{p}.self_attn.{proj}.weight"] = ([n, d], "normal")
            if qkv_b:
                out[f"{p}.self_attn.{proj}.bias"] = ([n], "bias")
        out[f"{p}.self_attn.o_proj.weight"] = ([d, H * Dh], "normal")
        if o_b:
            out[f"{p}.self_attn.o_proj.bias"] = ([d], "bias")
        if c["model_type"] == "qwen3":
            out[f"{p}.self_attn.q_norm.weight"] = ([Dh], "norm")
            out[f"{p}.self_attn.k_norm.weight"] = ([Dh], "norm")
        for proj, shape in (("gate_proj", [I, d]), ("up_proj", [I, d]), ("down_proj", [d, I])):
            out[f"{p}.mlp.{proj}.weight"] = (shape, "normal")
            if c.get("mlp_bias"):
                out[f"{p}.mlp.{proj}.bias"] = ([shape[0]], "bias")
        out[f"{p}.input_layernorm.weight"] = ([d], "norm")
        out[f"{p}.post_attention_layernorm.weight"] = ([d], "norm")
    out["model.norm.weight"] = ([d], "norm")
    if not c["tie_word_embeddings"]:
        out["lm_head.weight"] = ([c["vocab_size"], d], "normal")
    return out


def make_weights(c, seed):
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, (shape, kind) in param_shapes(c).items():
        if kind == "norm":  # near 1 but not 1, so a missing or misplaced norm weight shows
            t = 1 + 0.2 * torch.randn(shape, generator=g)
        elif kind == "bias":
            t = 0.3 * torch.randn(shape, generator=g)
        else:  # scaled so activations stay O(1) and logits spread out
            t = torch.randn(shape, generator=g) / math.sqrt(shape[-1])
        w[name] = t
    return w


# ------------------------------------------------------------------------------------------------------ safetensors

_DT = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2)}


def round_to(t, dtype):
    return t.to(_DT[dtype][0]).to(torch.float64)


def safetensors_bytes(tensors, dtype):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].to(_DT[dtype][0]).contiguous()
        raw = (t.view(torch.int16) if dtype != "F32" else t).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (len(h) + 8) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = bytearray(buf[8 + n + a:8 + n + b])
        if e["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32)
        else:
            t = torch.frombuffer(raw, dtype=torch.int16).view(_DT[e["dtype"]][0])
        out[name] = t.to(torch.float64).reshape(e["shape"])
    return out


# -------------------------------------------------------------------------------------------------------- the model

def inv_freq(c, seq_len):
    dim = head_dim(c)
    base = c["rope_theta"]
    rs = c.get("rope_scaling")
    kind = None if rs is None else rs.get("rope_type", rs.get("type"))
    if kind == "dynamic":
        L0 = c["max_position_embeddings"]
        L = seq_len if seq_len > L0 else L0
        base = base * ((rs["factor"] * L / L0) - (rs["factor"] - 1)) ** (dim / (dim - 2))
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(torch.float32) / dim))
    if kind == "linear":
        inv = inv / rs["factor"]
    elif kind == "llama3":
        f, low, high, L0 = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs[
            "original_max_position_embeddings"]
        low_wl, high_wl = L0 / low, L0 / high
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_wl, inv / f, inv)
        smooth = (L0 / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / f + smooth * scaled
        medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
        inv = torch.where(medium, smoothed, scaled)
    assert inv.dtype == torch.float32
    return inv


def rms(x, w, eps):
    return w * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


def rope_cos_sin(c, T):
    pos = torch.arange(T, dtype=torch.float32)
    f = torch.outer(pos, inv_freq(c, T))  # float32 angles, as HF
    emb = torch.cat([f, f], -1).to(torch.float64)
    return emb.cos(), emb.sin()


def lin(x, w, name):
    y = x @ w[name + ".weight"].T
    if name + ".bias" in w:
        y = y + w[name + ".bias"]
    return y


def repeat_kv(x, G):  # [B, Hk, T, D] -> [B, Hk*G, T, D], head j*G+g = kv head j
    B, Hk, T, D = x.shape
    return x[:, :, None].expand(B, Hk, G, T, D).reshape(B, Hk * G, T, D)


def attention(q, k, v):
    T = q.shape[2]
    s = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
    s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
    return s.softmax(-1) @ v


def forward(c, w, tokens):
    B, T = tokens.shape
    H, Hk, Dh, eps = c["num_attention_heads"], kv_heads(c), head_dim(c), c["rms_norm_eps"]
    cos, sin = rope_cos_sin(c, T)
    x = w["model.embed_tokens.weight"][tokens]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}"
        h = rms(x, w[f"{p}.input_layernorm.weight"], eps)
        q = lin(h, w, f"{p}.self_attn.q_proj").view(B, T, H, Dh)
        k = lin(h, w, f"{p}.self_attn.k_proj").view(B, T, Hk, Dh)
        v = lin(h, w, f"{p}.self_attn.v_proj").view(B, T, Hk, Dh).transpose(1, 2)
        if c["model_type"] == "qwen3":
            q = rms(q, w[f"{p}.self_attn.q_norm.weight"], eps)
            k = rms(k, w[f"{p}.self_attn.k_norm.weight"], eps)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        o = attention(q, repeat_kv(k, H // Hk), repeat_kv(v, H // Hk))
        x = x + lin(o.transpose(1, 2).reshape(B, T, H * Dh), w, f"{p}.self_attn.o_proj")
        h = rms(x, w[f"{p}.post_attention_layernorm.weight"], eps)
        g = lin(h, w, f"{p}.mlp.gate_proj")
        x = x + lin(torch.nn.functional.silu(g) * lin(h, w, f"{p}.mlp.up_proj"), w, f"{p}.mlp.down_proj")
    x = rms(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T


# ---------------------------------------------------------------------------------------------------- self-checks

def check_gqa_loop():
    g = torch.Generator().manual_seed(0)
    B, H, Hk, T, D = 2, 6, 2, 5, 4
    q, k, v = (torch.randn(s, generator=g) for s in ((B, H, T, D), (B, Hk, T, D), (B, Hk, T, D)))
    got = attention(q, repeat_kv(k, H // Hk), repeat_kv(v, H // Hk))
    for b in range(B):
        for h in range(H):
            j = h // (H // Hk)
            for t in range(T):
                s = (q[b, h, t] @ k[b, j, :t + 1].T) * D ** -0.5
                ref = s.softmax(-1) @ v[b, j, :t + 1]
                assert torch.allclose(got[b, h, t], ref, atol=1e-12)


def check_relative_rope():
    c = base_config("llama")
    cos, sin = rope_cos_sin(c, 20)
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(8, generator=g), torch.randn(8, generator=g)
    rot = lambda x, p: x * cos[p] + rotate_half(x) * sin[p]
    a = rot(q, 7) @ rot(k, 3)
    b = rot(q, 14) @ rot(k, 10)
    assert abs(a - b) < 1e-5, (a, b)


def build(spec, write):
    c = spec["config"]
    w = {n: round_to(t, spec["dtype"]) for n, t in make_weights(c, spec["seed"]).items()}
    g = torch.Generator().manual_seed(100 + spec["seed"])
    tokens = torch.randint(0, c["vocab_size"], (2, TOKENS_T), generator=g)
    logits = forward(c, w, tokens)
    # causality and batch independence
    t2 = tokens.clone()
    t2[:, -1] = (t2[:, -1] + 1) % c["vocab_size"]
    assert torch.allclose(forward(c, w, t2)[:, :-1], logits[:, :-1], atol=1e-12)
    assert torch.allclose(forward(c, w, tokens[1:]), logits[1:], atol=1e-12)
    rs = c.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type"))
    if kind == "llama3":
        wl = 2 * math.pi / inv_freq(dict(c, rope_scaling=None), TOKENS_T)  # bands of the unscaled frequencies
        L0 = rs["original_max_position_embeddings"]
        assert (wl < L0 / rs["high_freq_factor"]).any() and (wl > L0 / rs["low_freq_factor"]).any()
        assert ((wl >= L0 / rs["high_freq_factor"]) & (wl <= L0 / rs["low_freq_factor"])).any()
    if kind == "dynamic":
        plain = dict(c, rope_scaling=None)
        assert TOKENS_T > c["max_position_embeddings"]
        assert not torch.allclose(forward(plain, w, tokens), logits, atol=1e-4)
    if not write:
        return
    out = os.path.join(OUT, spec["name"])
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
    shards = spec.get("shards", 1)
    names = sorted(w)
    if shards == 1:
        write_file(os.path.join(out, "model.safetensors"), safetensors_bytes(w, spec["dtype"]))
    else:
        per = math.ceil(len(names) / shards)
        weight_map, total = {}, 0
        for s in range(shards):
            part = {n: w[n] for n in names[s * per:(s + 1) * per]}
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            write_file(os.path.join(out, fname), safetensors_bytes(part, spec["dtype"]))
            for n in part:
                weight_map[n] = fname
                total += part[n].numel() * _DT[spec["dtype"]][1]
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    write_file(os.path.join(out, "logits.safetensors"), safetensors_bytes({"logits": logits}, "F32"))
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"tokens": tokens.tolist(), "logits_shape": list(logits.shape), "dtype": spec["dtype"]}, f)
    back = {}
    for fn in os.listdir(out):
        if fn.startswith("model") and fn.endswith(".safetensors"):
            back.update(read_safetensors(os.path.join(out, fn)))
    assert sorted(back) == names and all(torch.equal(back[n], w[n]) for n in names)
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    assert size < 120_000, (spec["name"], size)
    print(f"{spec['name']}: {size} bytes, logits {list(logits.shape)}")


def main():
    write = "--check" not in sys.argv
    check_gqa_loop()
    check_relative_rope()
    for spec in FIXTURES:
        build(spec, write)
    print("self-checks passed")


if __name__ == "__main__":
    main()
