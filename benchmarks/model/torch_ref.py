#!/usr/bin/python3
"""PyTorch CPU baseline of the model benchmark: the same tiny DeepSeek-V3 config (config.json) and workload
(workload.json) as benchmarks/model/aha.ts, float32, eager mode, the same thread count (torch.set_num_threads).

The forward is tools/reference/deepseek_v3_reference.py (HF DeepseekV3 semantics, written from-scratch) switched to
float32; training = forward + cross-entropy + backward + torch.optim.AdamW step. Decode follows HF's eager generation:
a per-layer cache of the expanded per-head keys/values (HF DynamicCache), one token per step, greedy argmax.
Prints one JSON line, including which BLAS library the process mapped (torch on Debian links the generic
libblas.so.3; run.ts points it at OpenBLAS-openmp through LD_LIBRARY_PATH).
Run: /usr/bin/python3 benchmarks/model/torch_ref.py THREADS   (Debian's torch, not the pyenv python).
Leaves out: MTP (the config has none), torch.compile.
"""

import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "reference"))
import deepseek_v3_reference as ref  # noqa: E402
import torch  # noqa: E402

torch.set_default_dtype(torch.float32)  # the reference module sets float64 on import
ref.CHECK_ABSORB = False
F = torch.nn.functional

base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # interpreter + torch
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
c = ref.full_config(json.load(open(os.path.join(HERE, "config.json"))))
work = json.load(open(os.path.join(HERE, "workload.json")))


def cos_sin(c, T, start=0):
    inv, att = ref.rope_inv_freq(c)
    freqs = torch.arange(start, start + T, dtype=torch.float32)[:, None] * inv[None, :]
    emb = torch.cat([freqs, freqs], -1)
    return emb.cos() * att, emb.sin() * att  # [T, d] float32


ref.cos_sin = cos_sin
w = {k: v.float().requires_grad_(True) for k, v in ref.random_weights(c, 0).items()}
w = {k: (v.detach() if k.endswith("e_score_correction_bias") else v) for k, v in w.items()}
params = [v for v in w.values() if v.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=1e-2)

seed = 12345


def next_token():
    global seed
    seed = (seed * 1103515245 + 12345) % 2147483648
    return 2 + seed % (c["vocab_size"] - 2)


def batch(B, T):
    return torch.tensor([[next_token() for _ in range(T)] for _ in range(B)], dtype=torch.long)


# ---- training
B, T = work["trainBatch"], work["trainSeq"]
times, cpu = [], []  # wall and process CPU seconds (all threads; immune to time lost to other processes)
for s in range(work["trainSteps"] + 1):
    tokens = batch(B, T)
    t0, c0 = time.perf_counter(), time.process_time()
    logits = ref.forward(c, w, tokens)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, c["vocab_size"]), tokens[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    if s > 0:
        times.append(dt)
        cpu.append(dc)
train_s = min(times)


# ---- decode with an HF-style expanded KV cache
def attention_step(c, w, p, x, cos, sin, cache):
    B, T, _ = x.shape
    H, nope, rope, dv = c["num_attention_heads"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    a = p + ".self_attn."
    qa = ref.linear(x, w[a + "q_a_proj.weight"])
    q = ref.linear(ref.rms_norm(qa, w[a + "q_a_layernorm.weight"], ref.LATENT_NORM_EPS), w[a + "q_b_proj.weight"])
    q = q.view(B, T, H, nope + rope).transpose(1, 2)
    q_pass, q_rot = q.split([nope, rope], -1)
    kv = ref.linear(x, w[a + "kv_a_proj_with_mqa.weight"])
    latent, k_rot = kv.split([c["kv_lora_rank"], rope], -1)
    latent = ref.rms_norm(latent, w[a + "kv_a_layernorm.weight"], ref.LATENT_NORM_EPS)
    kvb = ref.linear(latent, w[a + "kv_b_proj.weight"]).view(B, T, H, nope + dv).transpose(1, 2)
    k_pass, v = kvb.split([nope, dv], -1)
    q_rot = ref.apply_rope(q_rot, cos, sin, c["rope_interleave"])
    k_rot = ref.apply_rope(k_rot.view(B, 1, T, rope), cos, sin, c["rope_interleave"]).expand(B, H, T, rope)
    ks, qs = torch.cat([k_pass, k_rot], -1), torch.cat([q_pass, q_rot], -1)
    if p in cache:
        ks = torch.cat([cache[p][0], ks], 2)
        v = torch.cat([cache[p][1], v], 2)
    cache[p] = (ks, v)
    S = ks.shape[2]
    s_ = (qs @ ks.transpose(-1, -2)) * ref.softmax_scale(c)
    if T > 1:
        s_ = s_.masked_fill(torch.triu(torch.ones(T, S, dtype=torch.bool), S - T + 1), float("-inf"))
    o = (torch.softmax(s_, -1) @ v).transpose(1, 2).reshape(B, T, H * dv)
    return ref.linear(o, w[a + "o_proj.weight"])


def decode(tokens, start, cache):
    eps = c["rms_norm_eps"]
    cos, sin = cos_sin(c, tokens.shape[1], start)
    h = w["model.embed_tokens.weight"][tokens]
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d" % i
        h = h + attention_step(c, w, p, ref.rms_norm(h, w[p + ".input_layernorm.weight"], eps), cos, sin, cache)
        y = ref.rms_norm(h, w[p + ".post_attention_layernorm.weight"], eps)
        h = h + (ref.moe(c, w, p, y) if ref.is_moe(c, i) else ref.mlp(w, p + ".mlp", y))
    h = ref.rms_norm(h, w["model.norm.weight"], eps)
    return ref.linear(h[:, -1:], w["lm_head.weight"])


P, N = work["decodePrompt"], work["decodeTokens"]
dtimes, dcpu = [], []
with torch.no_grad():
    for r in range(work["decodeRuns"] + 1):
        cache = {}
        logits = decode(batch(1, P), 0, cache)
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(N):
            nxt = logits[0, -1].argmax().view(1, 1)
            logits = decode(nxt, P + i, cache)
        if r > 0:
            dtimes.append(time.perf_counter() - t0)
            dcpu.append(time.process_time() - c0)
decode_s = min(dtimes)

blas = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line and ".so" in line})
print(json.dumps({
    "side": "torch",
    "threads": threads,
    "torchThreads": torch.get_num_threads(),
    "torch": torch.__version__,
    "blasLibraries": blas,
    "params": sum(p.numel() for p in params),
    "trainTokensPerS": B * T / train_s,
    "trainStepMs": train_s * 1000,
    "lastLoss": float(loss),
    "decodeTokensPerS": N / decode_s,
    "trainTokensPerCpuS": B * T / min(cpu),
    "decodeTokensPerCpuS": N / min(dcpu),
    "baseRssBytes": base_rss,
    "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
