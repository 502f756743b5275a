#!/usr/bin/python3
"""Independent PyTorch reference of Hugging Face `DeepseekV3ForCausalLM`, and the generator of the tiny checkpoints +
reference logits in `packages/core/src/models/deepseek-v3/__fixtures__/<name>/`.

Run with Debian's torch (`apt-get install -y python3-torch`), not the pyenv python first on PATH:
    /usr/bin/python3 tools/reference/deepseek_v3_reference.py            # writes every fixture, runs the self-checks
    /usr/bin/python3 tools/reference/deepseek_v3_reference.py --check    # self-checks only, writes nothing
Written from the semantics of transformers `models/deepseek_v3/modeling_deepseek_v3.py` +
`modeling_rope_utils._compute_yarn_parameters` (read, not copied), needs neither transformers nor safetensors.

HF semantics followed (each one is something an implementation can get wrong):
  * Embedding -> L decoder layers (pre-norm residual: x += attn(input_layernorm(x)); x += mlp(post_attention_layernorm(x)))
    -> model.norm -> lm_head (lm_head = embed_tokens when tie_word_embeddings). No bias anywhere unless attention_bias,
    which adds a bias to q_a_proj, kv_a_proj_with_mqa and o_proj only (q_proj / q_b_proj / kv_b_proj never have one).
  * RMSNorm: w * x / sqrt(mean(x^2) + eps), computed in float32 in HF (float64 here). eps = rms_norm_eps for the
    layer norms and model.norm, but always 1e-6 for q_a_layernorm and kv_a_layernorm (HF and DeepSeek construct those
    two with the class default, ignoring rms_norm_eps).
  * MLA: q = q_proj(x) or q_b_proj(q_a_layernorm(q_a_proj(x))), viewed [B, T, H, nope + rope], split nope | rope.
    kv_a_proj_with_mqa(x) splits into the latent [kv_lora_rank] | k_rot [rope]; kv_b_proj(kv_a_layernorm(latent)) is
    viewed [B, T, H, nope + v] and split k_nope | v. k_rot is one head shared by all heads.
  * RoPE on the rope dims only. rope_interleave=True: x viewed [..., d/2, 2], transposed to [..., 2, d/2] (pairs
    (x0,x1),(x2,x3).. become halves), then rotate-half RoPE: x*cos + rotate_half(x)*sin with cos = cat(f, f).
    rope_interleave=False: rotate-half RoPE on x as stored. q = cat(q_nope, q_rot), k = cat(k_nope, k_rot) per head.
  * inv_freq: theta^(-2i/d), or with rope_scaling type yarn: interp = extrap / factor, ramp over the correction range
    [floor(low), ceil(high)] from beta_fast/beta_slow and original_max_position_embeddings (clamped to [0, d-1], +0.001
    when equal), inv = interp * ramp + extrap * (1 - ramp); cos/sin multiplied by attention_factor = the config's
    attention_factor if set, else mscale(s, mscale) / mscale(s, mscale_all_dim) if both non-zero, else mscale(s);
    mscale(s, m) = 0.1 m ln s + 1 (s > 1).
    `factor` is read from the config (current HF); every config here has factor = max_pos / original_max_pos as well.
    Angles: positions (float32) * inv_freq (float32) in float32, as HF; the rest in float64.
  * Softmax scale = (nope + rope)^-0.5, times mscale(factor, mscale_all_dim)^2 when rope_scaling has a non-zero
    mscale_all_dim. Causal mask (no padding, positions 0..T-1), softmax over keys, times v, o_proj.
  * MoE layers: layer_idx >= first_k_dense_replace (and layer_idx % moe_layer_freq == 0, DeepSeek's rule; every config
    here has moe_layer_freq = 1 where HF's and DeepSeek's rules agree). Router: scores = sigmoid(x @ gate.weight^T)
    (float32 in HF); choice = scores + e_score_correction_bias (selection only); group score = sum of the top-2 choice
    values in each of n_group groups; keep the topk_group best groups; experts outside them are masked (HF fills 0.0,
    DeepSeek's inference code -inf: the same here because every kept choice value is asserted > 0); top
    num_experts_per_tok experts by masked choice; weights = the *unbiased* scores of those experts, divided by their sum
    (+1e-20) when norm_topk_prob, then times routed_scaling_factor. Output = sum_k w_k expert_k(x) + shared_experts(x),
    shared_experts an MLP of width moe_intermediate_size * n_shared_experts. Experts and dense MLP: SwiGLU
    down(silu(gate(x)) * up(x)).
  * MTP layers (model.layers.{L+k}) are written with DeepSeek-V3's names when num_nextn_predict_layers > 0 but are not
    part of the logits: HF DeepseekV3ForCausalLM ignores them on load. Their forward is covered elsewhere.
Numbers: the forward runs in float64 on the exact stored weight values (bf16/f16 files are rounded first and the
reference uses the rounded values), logits are saved as F32.

Self-checks (run on every invocation, they assert): naive masked attention == a per-query loop over the prefix;
naive MLA (expand k/v with kv_b) == DeepSeek's absorbed MLA (attend in the latent space, kv_b viewed [H, nope+v, r]);
HF interleaved RoPE gives the same q.k as DeepSeek's complex-number RoPE (inference/model.py form); rotated q.k depends
only on the relative position when attention_factor = 1; batched MoE (HF expert-mask loop) == a dense per-token loop;
the bias and the group limit each change at least one routing decision in every MoE fixture; causality (changing a
later token leaves earlier logits unchanged); every batch row equals that row run alone; every written file reads back
bit-exactly with an independent reader; fixtures stay under 300 KB.
"""

import json
import math
import os
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)
F = torch.nn.functional
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join(ROOT, "packages", "core", "src", "models", "deepseek-v3", "__fixtures__")

# ----------------------------------------------------------------------------------------------------------- config

HF_DEFAULTS = dict(
    model_type="deepseek_v3", architectures=["DeepseekV3ForCausalLM"], rms_norm_eps=1e-6, rope_theta=10000.0,
    rope_scaling=None, rope_interleave=True, attention_bias=False, attention_dropout=0.0, tie_word_embeddings=False,
    hidden_act="silu", scoring_func="sigmoid", topk_method="noaux_tc", moe_layer_freq=1, norm_topk_prob=True,
    routed_scaling_factor=2.5, n_shared_experts=1, num_nextn_predict_layers=0, initializer_range=0.02,
    bos_token_id=0, eos_token_id=1, pad_token_id=None, use_cache=True, pretraining_tp=1,
)


def full_config(c):
    out = dict(HF_DEFAULTS)
    out.update(c)
    out.setdefault("num_key_value_heads", out["num_attention_heads"])
    return out


def is_moe(c, i):
    return i >= c["first_k_dense_replace"] and i % c["moe_layer_freq"] == 0


# -------------------------------------------------------------------------------------------------- names and shapes


def param_shapes(c):
    """HF module tree of DeepseekV3ForCausalLM -> {name: shape}; written from the module definitions."""
    d, h = c["hidden_size"], c["num_attention_heads"]
    qk = c["qk_nope_head_dim"] + c["qk_rope_head_dim"]
    out = {"model.embed_tokens.weight": (c["vocab_size"], d)}

    def block(p, i):
        a = p + ".self_attn."
        if c["q_lora_rank"] is None:
            out[a + "q_proj.weight"] = (h * qk, d)
        else:
            out[a + "q_a_proj.weight"] = (c["q_lora_rank"], d)
            out[a + "q_a_layernorm.weight"] = (c["q_lora_rank"],)
            out[a + "q_b_proj.weight"] = (h * qk, c["q_lora_rank"])
            if c["attention_bias"]:
                out[a + "q_a_proj.bias"] = (c["q_lora_rank"],)
        out[a + "kv_a_proj_with_mqa.weight"] = (c["kv_lora_rank"] + c["qk_rope_head_dim"], d)
        if c["attention_bias"]:
            out[a + "kv_a_proj_with_mqa.bias"] = (c["kv_lora_rank"] + c["qk_rope_head_dim"],)
            out[a + "o_proj.bias"] = (d,)
        out[a + "kv_a_layernorm.weight"] = (c["kv_lora_rank"],)
        out[a + "kv_b_proj.weight"] = (h * (c["qk_nope_head_dim"] + c["v_head_dim"]), c["kv_lora_rank"])
        out[a + "o_proj.weight"] = (d, h * c["v_head_dim"])

        def mlp(m, w):
            out[m + ".gate_proj.weight"] = (w, d)
            out[m + ".up_proj.weight"] = (w, d)
            out[m + ".down_proj.weight"] = (d, w)

        if is_moe(c, i):
            for j in range(c["n_routed_experts"]):
                mlp(p + ".mlp.experts.%d" % j, c["moe_intermediate_size"])
            out[p + ".mlp.gate.weight"] = (c["n_routed_experts"], d)
            out[p + ".mlp.gate.e_score_correction_bias"] = (c["n_routed_experts"],)
            if c["n_shared_experts"] > 0:
                mlp(p + ".mlp.shared_experts", c["moe_intermediate_size"] * c["n_shared_experts"])
        else:
            mlp(p + ".mlp", c["intermediate_size"])
        out[p + ".input_layernorm.weight"] = (d,)
        out[p + ".post_attention_layernorm.weight"] = (d,)

    L = c["num_hidden_layers"]
    for i in range(L):
        block("model.layers.%d" % i, i)
    for k in range(c["num_nextn_predict_layers"]):  # DeepSeek-V3 MTP module names
        p = "model.layers.%d" % (L + k)
        out[p + ".embed_tokens.weight"] = (c["vocab_size"], d)
        out[p + ".enorm.weight"] = (d,)
        out[p + ".hnorm.weight"] = (d,)
        out[p + ".eh_proj.weight"] = (d, 2 * d)
        block(p, L + k)
        out[p + ".shared_head.norm.weight"] = (d,)
        out[p + ".shared_head.head.weight"] = (c["vocab_size"], d)
    out["model.norm.weight"] = (d,)
    if not c["tie_word_embeddings"]:
        out["lm_head.weight"] = (c["vocab_size"], d)
    return out


def random_weights(c, seed):
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, shape in param_shapes(c).items():
        if name.endswith("e_score_correction_bias"):
            t = (torch.rand(shape, generator=g) - 0.5) * 0.3  # +-0.15: big enough to change routing
        elif name.endswith("norm.weight"):
            t = 1.0 + 0.2 * torch.randn(shape, generator=g)
        elif name.endswith("mlp.gate.weight"):  # router logits ~N(0, 0.5^2): scores well inside (0, 1)
            t = 0.5 * torch.randn(shape, generator=g) / math.sqrt(shape[-1])
        elif name.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=g)
        else:  # scaled so activations stay O(1) and logits spread out
            t = torch.randn(shape, generator=g) / math.sqrt(shape[-1])
        w[name] = t
    return w


# ------------------------------------------------------------------------------------------------------ safetensors

_DT = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2)}


def round_to(t, dtype):
    return t.to(_DT[dtype][0]).to(torch.float64)


def write_safetensors(path, tensors, dtype):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].to(_DT[dtype][0]).contiguous()
        raw = (t.view(torch.int16) if dtype != "F32" else t).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (len(h) + 8) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


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


LATENT_NORM_EPS = 1e-6  # HF DeepseekV3RMSNorm default, used for q_a_layernorm / kv_a_layernorm
CHECK_ABSORB = True


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def linear(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def mscale_of(scale, m=1.0):
    return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0


def rope_inv_freq(c):
    """HF _compute_default_rope_parameters / _compute_yarn_parameters, float32 like HF. Returns (inv_freq, att)."""
    d, base = c["qk_rope_head_dim"], c["rope_theta"]
    pos_freqs = base ** (torch.arange(0, d, 2, dtype=torch.float32) / d)
    rs = c["rope_scaling"]
    if rs is None:
        return 1.0 / pos_freqs, 1.0
    s = rs["factor"]
    m, mall = rs.get("mscale"), rs.get("mscale_all_dim")
    att = rs.get("attention_factor")
    if att is None:
        att = mscale_of(s, m) / mscale_of(s, mall) if (m and mall) else mscale_of(s)
    bf, bs = rs.get("beta_fast") or 32, rs.get("beta_slow") or 1
    orig = rs["original_max_position_embeddings"]

    def corr_dim(rot):
        return (d * math.log(orig / (rot * 2 * math.pi))) / (2 * math.log(base))

    low, high = corr_dim(bf), corr_dim(bs)
    if rs.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, d - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(d // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    extrap_factor = 1 - ramp
    inv = (1.0 / (s * pos_freqs)) * (1 - extrap_factor) + (1.0 / pos_freqs) * extrap_factor
    return inv, att


def softmax_scale(c):
    scale = (c["qk_nope_head_dim"] + c["qk_rope_head_dim"]) ** -0.5
    rs = c["rope_scaling"]
    if rs is not None and rs.get("mscale_all_dim"):
        m = mscale_of(rs["factor"], rs["mscale_all_dim"])
        scale = scale * m * m
    return scale


def cos_sin(c, T):
    inv, att = rope_inv_freq(c)
    freqs = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]  # [T, d/2] in float32, as HF
    emb = torch.cat([freqs, freqs], -1).to(torch.float64)
    return emb.cos() * att, emb.sin() * att  # [T, d]


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


def apply_rope(x, cos, sin, interleave):
    """x [B, H, T, d]; cos/sin [T, d]."""
    if interleave:
        B, H, T, d = x.shape
        x = x.reshape(B, H, T, d // 2, 2).transpose(3, 4).reshape(B, H, T, d)
    return x * cos + rotate_half(x) * sin


def causal_attention(q, k, v, scale):
    """q, k [B, H, T, Dqk]; v [B, H, T, Dv]: naive masked softmax(q k^T * scale) v."""
    T = q.shape[2]
    s = (q @ k.transpose(-1, -2)) * scale
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    s = s.masked_fill(mask, float("-inf"))
    return torch.softmax(s, -1) @ v


def attention(c, w, p, x, cos, sin):
    B, T, _ = x.shape
    H, nope, rope, dv = c["num_attention_heads"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    a = p + ".self_attn."
    if c["q_lora_rank"] is None:
        q = linear(x, w[a + "q_proj.weight"])
    else:
        qa = linear(x, w[a + "q_a_proj.weight"], w.get(a + "q_a_proj.bias"))
        q = linear(rms_norm(qa, w[a + "q_a_layernorm.weight"], LATENT_NORM_EPS), w[a + "q_b_proj.weight"])
    q = q.view(B, T, H, nope + rope).transpose(1, 2)  # [B, H, T, nope + rope]
    q_pass, q_rot = q.split([nope, rope], -1)
    kv = linear(x, w[a + "kv_a_proj_with_mqa.weight"], w.get(a + "kv_a_proj_with_mqa.bias"))
    latent, k_rot = kv.split([c["kv_lora_rank"], rope], -1)  # [B, T, r], [B, T, rope]
    latent = rms_norm(latent, w[a + "kv_a_layernorm.weight"], LATENT_NORM_EPS)
    kvb = linear(latent, w[a + "kv_b_proj.weight"])
    kvb = kvb.view(B, T, H, nope + dv).transpose(1, 2)
    k_pass, v = kvb.split([nope, dv], -1)
    k_rot = k_rot.view(B, 1, T, rope)
    q_rot = apply_rope(q_rot, cos, sin, c["rope_interleave"])
    k_rot = apply_rope(k_rot, cos, sin, c["rope_interleave"]).expand(B, H, T, rope)
    qs, ks = torch.cat([q_pass, q_rot], -1), torch.cat([k_pass, k_rot], -1)
    o = causal_attention(qs, ks, v, softmax_scale(c))  # [B, H, T, dv]
    if CHECK_ABSORB:  # DeepSeek inference/model.py "absorb" MLA: attend in the latent space, never expand k/v
        wkv_b = w[a + "kv_b_proj.weight"].view(H, nope + dv, c["kv_lora_rank"])  # [H, nope + dv, r]
        q_lat = torch.einsum("bhtd,hdr->bhtr", q_pass, wkv_b[:, :nope])  # [B, H, T, r]
        s_ = torch.einsum("bhtr,bsr->bhts", q_lat, latent) + q_rot @ k_rot[:, 0:1].transpose(-1, -2)
        s_ = (s_ * softmax_scale(c)).masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        o_abs = torch.einsum("bhts,bsr->bhtr", torch.softmax(s_, -1), latent)
        o_abs = torch.einsum("bhtr,hdr->bhtd", o_abs, wkv_b[:, nope:])
        assert torch.allclose(o, o_abs, atol=1e-10), "naive MLA != absorbed MLA"
    o = o.transpose(1, 2).reshape(B, T, H * dv)
    return linear(o, w[a + "o_proj.weight"], w.get(a + "o_proj.bias"))


def mlp(w, p, x):
    return linear(F.silu(linear(x, w[p + ".gate_proj.weight"])) * linear(x, w[p + ".up_proj.weight"]),
                  w[p + ".down_proj.weight"])


def route(c, w, p, x, use_bias=True, use_groups=True):
    """x [N, d] -> (indices [N, K], weights [N, K], kept choice values) following HF DeepseekV3TopkRouter."""
    E, G, K = c["n_routed_experts"], c["n_group"], c["num_experts_per_tok"]
    scores = torch.sigmoid(linear(x, w[p + ".mlp.gate.weight"]))  # [N, E]
    choice = scores + (w[p + ".mlp.gate.e_score_correction_bias"] if use_bias else 0.0)
    if use_groups:
        gs = choice.view(-1, G, E // G).topk(2, -1)[0].sum(-1)  # [N, G]
        gidx = gs.topk(c["topk_group"], -1)[1]
        gmask = torch.zeros_like(gs).scatter_(1, gidx, 1.0)
        emask = gmask.unsqueeze(-1).expand(-1, G, E // G).reshape(-1, E).bool()
        choice = choice.masked_fill(~emask, 0.0)
    else:
        emask = torch.ones_like(choice, dtype=torch.bool)
    idx = choice.topk(K, -1)[1]
    # chosen experts all lie in kept groups with a positive choice value <=> HF's 0.0 fill == DeepSeek's -inf fill
    kept = torch.where(emask.gather(1, idx), choice.gather(1, idx), torch.zeros(idx.shape))
    wts = scores.gather(1, idx)
    if c["norm_topk_prob"]:
        wts = wts / (wts.sum(-1, keepdim=True) + 1e-20)
    return idx, wts * c["routed_scaling_factor"], kept


def moe(c, w, p, x, log=None):
    B, T, d = x.shape
    flat = x.reshape(-1, d)
    idx, wts, kept = route(c, w, p, flat)
    assert bool((kept > 0).all()), "a chosen expert has choice <= 0: HF's 0.0 fill and DeepSeek's -inf would differ"
    if log is not None:
        log.append({"layer": p, "indices": idx.tolist(), "weights": wts.tolist()})
    out = torch.zeros_like(flat)
    onehot = F.one_hot(idx, c["n_routed_experts"]).permute(2, 0, 1)  # [E, N, K]
    for j in range(c["n_routed_experts"]):
        tok, slot = torch.where(onehot[j])
        if tok.numel():
            out.index_add_(0, tok, mlp(w, p + ".mlp.experts.%d" % j, flat[tok]) * wts[tok, slot].unsqueeze(-1))
    out = out.view(B, T, d)
    if c["n_shared_experts"] > 0:
        out = out + mlp(w, p + ".mlp.shared_experts", x)
    return out


def forward(c, w, tokens, log=None):
    """tokens LongTensor [B, T] -> logits [B, T, V] (float64)."""
    eps = c["rms_norm_eps"]
    T = tokens.shape[1]
    cos, sin = cos_sin(c, T)
    h = w["model.embed_tokens.weight"][tokens]
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d" % i
        h = h + attention(c, w, p, rms_norm(h, w[p + ".input_layernorm.weight"], eps), cos, sin)
        y = rms_norm(h, w[p + ".post_attention_layernorm.weight"], eps)
        h = h + (moe(c, w, p, y, log) if is_moe(c, i) else mlp(w, p + ".mlp", y))
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c["tie_word_embeddings"] else w["lm_head.weight"]
    return linear(h, head)


# ------------------------------------------------------------------------------------------------------ self-checks


def check_attention():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 3, 6, 5, generator=g) for _ in range(3))
    fast = causal_attention(q, k, v, 0.37)
    slow = torch.zeros_like(fast)
    for t in range(6):  # each query attends to keys 0..t, no mask
        s = (q[:, :, t:t + 1] @ k[:, :, :t + 1].transpose(-1, -2)) * 0.37
        slow[:, :, t] = (torch.softmax(s, -1) @ v[:, :, :t + 1])[:, :, 0]
    assert torch.allclose(fast, slow, atol=1e-12), "naive attention != per-query loop"


def check_rope():
    c = full_config(dict(BASE, qk_rope_head_dim=8, rope_theta=100.0))
    g = torch.Generator().manual_seed(2)
    q, k = torch.randn(1, 1, 9, 8, generator=g), torch.randn(1, 1, 9, 8, generator=g)
    cos, sin = cos_sin(c, 9)
    inv, _ = rope_inv_freq(c)
    ang = torch.arange(9, dtype=torch.float32)[:, None] * inv[None, :]
    cis = torch.polar(torch.ones_like(ang.double()), ang.double())  # DeepSeek inference/model.py form

    def complex_rope(x):
        xc = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())
        return torch.view_as_real(xc * cis).flatten(-2)

    hf = apply_rope(q, cos, sin, True) @ apply_rope(k, cos, sin, True).transpose(-1, -2)
    ds = complex_rope(q) @ complex_rope(k).transpose(-1, -2)
    assert torch.allclose(hf, ds, atol=1e-10), "interleaved RoPE != DeepSeek complex RoPE"
    # relative position: the same q, k vectors at (m, n) and (m+s, n+s) give the same dot product
    qq, kk = q[:, :, :1].expand(1, 1, 9, 8), k[:, :, :1].expand(1, 1, 9, 8)
    for inter in (True, False):
        dots = apply_rope(qq, cos, sin, inter) @ apply_rope(kk, cos, sin, inter).transpose(-1, -2)
        diag = torch.stack([dots[0, 0, i + 2, i] for i in range(7)])
        assert torch.allclose(diag, diag[0].expand(7), atol=1e-5), "RoPE q.k is not relative"


def check_moe(c, w, p):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 5, c["hidden_size"], generator=g)
    fast = moe(c, w, p, x)
    flat = x.reshape(-1, c["hidden_size"])
    idx, wts, _ = route(c, w, p, flat)
    slow = torch.zeros_like(flat)
    for n in range(flat.shape[0]):  # dense per-token loop
        for s in range(c["num_experts_per_tok"]):
            slow[n] += wts[n, s] * mlp(w, p + ".mlp.experts.%d" % int(idx[n, s]), flat[n])
        if c["n_shared_experts"] > 0:
            slow[n] += mlp(w, p + ".mlp.shared_experts", flat[n])
    assert torch.allclose(fast.reshape(-1, c["hidden_size"]), slow, atol=1e-12), "MoE batched != per-token loop"


def routing_sensitivity(c, w, p, x):
    """Whether dropping the bias / the group limit changes some token's expert set (the fixture must exercise both)."""
    flat = x.reshape(-1, c["hidden_size"])
    sets = lambda i: [frozenset(r) for r in i.tolist()]  # noqa: E731
    base = sets(route(c, w, p, flat)[0])
    no_bias = sets(route(c, w, p, flat, use_bias=False)[0])
    no_group = sets(route(c, w, p, flat, use_groups=False)[0])
    return base != no_bias, base != no_group


# ---------------------------------------------------------------------------------------------------------- fixtures

BASE = dict(vocab_size=64, hidden_size=32, intermediate_size=48, moe_intermediate_size=16, num_hidden_layers=2,
            num_attention_heads=4, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8,
            n_routed_experts=8, n_group=4, topk_group=2, num_experts_per_tok=2, first_k_dense_replace=1,
            q_lora_rank=16, max_position_embeddings=64)

FIXTURE_SPECS = {
    # q_lora path, plain RoPE, interleaved layout, group routing with a correction bias, float32 file.
    "tiny-qlora-f32": dict(dtype="F32", seed=11, config=dict(BASE)),
    # plain q_proj, half (non-interleaved) RoPE, one group, unnormalised top-k weights, bf16 file.
    "tiny-qproj-bf16": dict(dtype="BF16", seed=12, config=dict(
        BASE, q_lora_rank=None, rope_interleave=False, n_group=1, topk_group=1, norm_topk_prob=False,
        routed_scaling_factor=1.5, num_experts_per_tok=3, n_shared_experts=2, rope_theta=500.0)),
    # YaRN (cos/sin factor != 1, softmax mscale^2 != 1, ramp 0, 1/3, 2/3, 1 over the 4 freqs), attention biases, 3 layers, an MTP layer, bf16 file.
    "tiny-yarn-mtp-bf16": dict(dtype="BF16", seed=13, config=dict(
        BASE, num_hidden_layers=3, attention_bias=True, num_nextn_predict_layers=1, n_group=2, topk_group=1,
        max_position_embeddings=4096, rope_scaling=dict(type="yarn", factor=4.0, original_max_position_embeddings=1024,
                                                      beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=0.8))),
    # all-dense layers, tied embeddings, no shared experts, float16 file.
    "tiny-dense-tied-f16": dict(dtype="F16", seed=14, config=dict(
        BASE, first_k_dense_replace=2, tie_word_embeddings=True, n_shared_experts=0, rms_norm_eps=1e-5)),
}


def make_fixture(name, spec, write):
    c = full_config(spec["config"])
    w = {k: round_to(v, spec["dtype"]) for k, v in random_weights(c, spec["seed"]).items()}
    g = torch.Generator().manual_seed(spec["seed"] + 100)
    T = 20 if c["rope_scaling"] else 12
    tokens = torch.randint(0, c["vocab_size"], (2, T), generator=g)
    log = []
    logits = forward(c, w, tokens, log)

    # causality, and batch rows independent
    t2 = tokens.clone()
    t2[:, -3:] = (t2[:, -3:] + 7) % c["vocab_size"]
    assert torch.allclose(forward(c, w, t2)[:, :-3], logits[:, :-3], atol=1e-12), "later tokens changed earlier logits"
    assert torch.allclose(forward(c, w, tokens[1:])[0], logits[1], atol=1e-12), "batch rows interact"
    moe_layers = [i for i in range(c["num_hidden_layers"]) if is_moe(c, i)]
    for i in moe_layers:
        check_moe(c, w, "model.layers.%d" % i)
    for i in moe_layers:  # on random unit-scale inputs: the bias and (when limiting) the groups change routing
        xs = torch.randn(64, c["hidden_size"], generator=g)
        bias_matters, group_matters = routing_sensitivity(c, w, "model.layers.%d" % i, xs)
        assert bias_matters, "fixture %s: the correction bias never changes routing" % name
        assert group_matters or c["topk_group"] == c["n_group"], "fixture %s: group limit never matters" % name
    assert logits.std() > 0.3, "logits too flat to test anything"

    inv, att = rope_inv_freq(c)
    reference = {
        "about": "Generated by tools/reference/deepseek_v3_reference.py (HF DeepseekV3ForCausalLM semantics, float64).",
        "dtype": spec["dtype"],
        "tokens": tokens.tolist(),
        "logits_shape": list(logits.shape),
        "rope": {"inv_freq": inv.tolist(), "attention_factor": att, "softmax_scale": softmax_scale(c)},
        "routing": log,
        "logits_abs_max": float(logits.abs().max()),
    }
    if not write:
        return
    out = os.path.join(FIXTURES, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
        f.write("\n")
    write_safetensors(os.path.join(out, "model.safetensors"), w, spec["dtype"])
    write_safetensors(os.path.join(out, "logits.safetensors"), {"logits": logits}, "F32")
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f)
        f.write("\n")
    back = read_safetensors(os.path.join(out, "model.safetensors"))
    assert set(back) == set(w) and all(torch.equal(back[k], w[k]) for k in w), "safetensors did not read back"
    lg = read_safetensors(os.path.join(out, "logits.safetensors"))["logits"]
    assert torch.equal(lg, logits.float().double())
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    assert size < 300_000, "%s is %d bytes" % (name, size)
    print("%-22s %7d bytes  logits %s  |max| %.3f" % (name, size, list(logits.shape), reference["logits_abs_max"]))


def main():
    write = "--check" not in sys.argv
    check_attention()
    check_rope()
    for name, spec in FIXTURE_SPECS.items():
        make_fixture(name, spec, write)
    print("self-checks passed")


if __name__ == "__main__":
    main()
