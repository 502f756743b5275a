// moeExperts: the routed-expert compute of DeepSeekMoE (DeepSeek-V3 §2.1.2; HF DeepseekV3MoE.moe), fused.
//   y[n] = Σ_k w[n,k] · down_e(silu(gate_e(x[n])) ⊙ up_e(x[n])),  e = ids[n,k]
// Letters: N tokens, K slots per token, S = N·K routed rows, D hidden, I expert intermediate, E experts.
// Forward:
//   1. counting sort of the S (token, slot) pairs by expert (stable: within an expert, slot order), so each expert's
//      rows are contiguous in the permuted order: offset[e]..offset[e+1]; pos[s] = permuted row of slot s.
//   2. a grouped GEMM: tasks = experts × tiles of kTileRows rows, threaded with parallel_for; each task gathers its
//      rows of x, runs gate/up (sgemm, serial inside the task), the fused SwiGLU and the down projection into Yp [S,
//      D].
//   3. weighted un-permute: each token sums w[n,k] · Yp[pos[n,k]] over its own slots (one writer per output row, no
//      atomics), in permuted order, i.e. in the same order as the unfused indexSelect → cat → scatterAdd path.
// Saved for the backward (when the TS side records a graph): the pre-activations Hg, Hu [S, I] (2·S·I floats);
// the backward re-gathers x and recomputes A = silu(Hg) ⊙ Hu instead of keeping x_p, A or Yp.
// Backward (dy [N, D]): Gu = dy_p @ W_down [S, I] (unweighted), dw[s] = Σ_i Gu·A, dA = w·Gu, (dHg, dHu) by the SwiGLU
// backward, dx_p = dHg @ W_gate + dHu @ W_up, then per expert dW_gate = dHgᵀ x_p, dW_up = dHuᵀ x_p,
// dW_down = dy_pᵀ (w·A) as 3·E independent serial sgemm tasks (no shared accumulators, so results do not depend on
// the thread count); dx sums each token's slots in permuted order. Backward scratch: 3·S·D + 3·S·I floats.
// The SIMD choice (path 0 = auto, 1 = portable) reaches both sgemm and the SwiGLU rows (swiglu.cc).
// Leaves out: expert parallelism, capacity limits / token dropping, quantised weights.
#include <algorithm>
#include <string>
#include <vector>

#include "args.h"
#include "gemm.h"
#include "parallel.h"
#include "registry.h"

namespace aha {

// Defined in swiglu.cc: out = silu(g) ⊙ u over n floats on this thread, and its backward (gg / gu may be null).
void swigluRow(const float* g, const float* u, float* out, int64_t n, bool simd);
void swigluBackwardRow(const float* dy, const float* g, const float* u, float* gg, float* gu, int64_t n, bool simd);

namespace {

// Scratch kept across calls (these kernels run on the JS thread, one call at a time): as large as the largest call so
// far, never zero-filled (every element is written before it is read) and never handed back to the OS, so a training
// step does not pay a serial memset and fresh page faults for several MB of scratch per call.
float* scratch(std::vector<float>& buf, int64_t n) {
  if (buf.size() < static_cast<size_t>(n)) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

constexpr int64_t kTileRows =
    256;  // rows per task: fixed (thread-count invariance); 256 beat 64 and 128 (fewer weight packs)

struct Tile {
  int64_t expert, r0, r1;  // rows [r0, r1) of the permuted order, all routed to `expert`
};

struct Routing {
  std::vector<int64_t> offset;  // [E + 1]
  std::vector<int32_t> perm;    // [S]: slot at permuted row p
  std::vector<int32_t> pos;     // [S]: permuted row of slot s
  std::vector<Tile> tiles;
};

Routing route(const Napi::Env& env, const char* name, const int32_t* ids, int64_t S, int64_t E) {
  Routing r;
  r.offset.assign(static_cast<size_t>(E + 1), 0);
  for (int64_t s = 0; s < S; ++s) {
    if (ids[s] < 0 || ids[s] >= E) {
      throw Napi::RangeError::New(env, std::string(name) + ": expert id " + std::to_string(ids[s]) + " at slot " +
                                           std::to_string(s) + " is outside [0, " + std::to_string(E) + ")");
    }
    ++r.offset[ids[s] + 1];
  }
  for (int64_t e = 0; e < E; ++e) r.offset[e + 1] += r.offset[e];
  std::vector<int64_t> fill(r.offset.begin(), r.offset.end() - 1);
  r.perm.resize(static_cast<size_t>(S));
  r.pos.resize(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) {
    const int64_t p = fill[ids[s]]++;
    r.perm[p] = static_cast<int32_t>(s);
    r.pos[s] = static_cast<int32_t>(p);
  }
  for (int64_t e = 0; e < E; ++e) {
    for (int64_t r0 = r.offset[e]; r0 < r.offset[e + 1]; r0 += kTileRows) {
      r.tiles.push_back({e, r0, std::min(r0 + kTileRows, r.offset[e + 1])});
    }
  }
  return r;
}

// E Float32Arrays of at least minLength floats (entries may be null when allowNull; those come back as nullptr).
std::vector<float*> f32ListArg(const Napi::CallbackInfo& info, size_t i, const char* op, int64_t count,
                               size_t minLength, bool allowNull) {
  if (info.Length() <= i || !info[i].IsArray()) throw argError(info.Env(), op, i, "must be an array of Float32Arrays");
  auto arr = info[i].As<Napi::Array>();
  if (static_cast<int64_t>(arr.Length()) != count) {
    throw argError(info.Env(), op, i,
                   "has " + std::to_string(arr.Length()) + " entries, needs " + std::to_string(count));
  }
  std::vector<float*> out(static_cast<size_t>(count), nullptr);
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr[k];
    if (allowNull && v.IsNull()) continue;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
        v.As<Napi::Float32Array>().ElementLength() < minLength) {
      throw argError(
          info.Env(), op, i,
          "entry " + std::to_string(k) + " must be a Float32Array of " + std::to_string(minLength) + " floats");
    }
    out[k] = v.As<Napi::Float32Array>().Data();
  }
  return out;
}

// The K permuted rows of token n, ascending (the order the unfused scatterAdd summed them in).
inline void sortedRows(const Routing& r, int64_t n, int64_t K, std::vector<int64_t>& rows) {
  rows.clear();
  for (int64_t k = 0; k < K; ++k) rows.push_back(r.pos[n * K + k]);
  std::sort(rows.begin(), rows.end());
}

// (x [N, D], ids Int32 [N·K], w [N·K], N, K, D, I, E, gate[E] [I, D], up[E] [I, D], down[E] [D, I], y [N, D],
//  hg [S, I] | null, hu [S, I] | null, path)
Napi::Value MoeExpertsForward(const Napi::CallbackInfo& info) {
  const char* name = "moeExpertsForward";
  const int64_t N = intArg(info, 3, name), K = intArg(info, 4, name), D = intArg(info, 5, name);
  const int64_t I = intArg(info, 6, name), E = intArg(info, 7, name, 1);
  const int64_t S = N * K;
  const float* x = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(N, D)));
  const int32_t* ids = i32Arg(info, 1, name, static_cast<size_t>(S));
  const float* w = f32Arg(info, 2, name, static_cast<size_t>(S));
  const auto Wg = f32ListArg(info, 8, name, E, static_cast<size_t>(sizeOf(I, D)), false);
  const auto Wu = f32ListArg(info, 9, name, E, static_cast<size_t>(sizeOf(I, D)), false);
  const auto Wd = f32ListArg(info, 10, name, E, static_cast<size_t>(sizeOf(I, D)), false);
  float* y = f32Arg(info, 11, name, static_cast<size_t>(sizeOf(N, D)));
  float* hgSaved = info[12].IsNull() ? nullptr : f32Arg(info, 12, name, static_cast<size_t>(sizeOf(S, I)));
  float* huSaved = info[13].IsNull() ? nullptr : f32Arg(info, 13, name, static_cast<size_t>(sizeOf(S, I)));
  const auto path = static_cast<GemmPath>(intArg(info, 14, name, 0, 1));
  const bool simd = path == GemmPath::kAuto;
  const Routing r = route(info.Env(), name, ids, S, E);

  static thread_local std::vector<float> ypBuf;
  float* Yp = scratch(ypBuf, S * D);  // [S, D] expert outputs, permuted, unweighted
  // Decode's few routed rows (S = K) are not worth a hand-off to the pool: 3 products of S x I x D in all (in double:
  // a training batch's S·I·D can pass 2^63).
  const auto work = static_cast<int64_t>(std::min(3.0 * static_cast<double>(S) * static_cast<double>(I) * D, 1e18));
  parallel_for_work(work, static_cast<int64_t>(r.tiles.size()), 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> xp, hg, hu, a;
    for (int64_t t = t0; t < t1; ++t) {
      const Tile& tile = r.tiles[t];
      const int64_t rows = tile.r1 - tile.r0, e = tile.expert;
      xp.resize(static_cast<size_t>(sizeOf(rows, D)));  // [rows, D]
      a.resize(static_cast<size_t>(sizeOf(rows, I)));   // [rows, I]
      for (int64_t i = 0; i < rows; ++i) {
        const float* src = x + (r.perm[tile.r0 + i] / K) * D;
        std::copy(src, src + D, xp.data() + i * D);
      }
      float* Hg =
          hgSaved ? hgSaved + tile.r0 * I : (hg.resize(static_cast<size_t>(sizeOf(rows, I))), hg.data());  // [rows, I]
      float* Hu =
          huSaved ? huSaved + tile.r0 * I : (hu.resize(static_cast<size_t>(sizeOf(rows, I))), hu.data());  // [rows, I]
      sgemm(false, true, rows, I, D, 1.0f, xp.data(), D, Wg[e], D, 0.0f, Hg, I, path);
      sgemm(false, true, rows, I, D, 1.0f, xp.data(), D, Wu[e], D, 0.0f, Hu, I, path);
      swigluRow(Hg, Hu, a.data(), rows * I, simd);
      sgemm(false, true, rows, D, I, 1.0f, a.data(), I, Wd[e], I, 0.0f, Yp + tile.r0 * D, D, path);
    }
  });
  parallel_for(N, std::max<int64_t>(1, 4096 / std::max<int64_t>(D * K, 1)), [&](int64_t n0, int64_t n1) {
    std::vector<int64_t> rows;
    for (int64_t n = n0; n < n1; ++n) {
      float* yr = y + n * D;  // [D]
      std::fill(yr, yr + D, 0.0f);
      sortedRows(r, n, K, rows);
      for (int64_t p : rows) {
        const float wp = w[r.perm[p]];
        const float* yp = Yp + p * D;
        for (int64_t d = 0; d < D; ++d) yr[d] += yp[d] * wp;
      }
    }
  });
  return info.Env().Undefined();
}

// (dy [N, D], x [N, D], ids [N·K], w [N·K], N, K, D, I, E, gate[E], up[E], down[E], hg [S, I], hu [S, I],
//  gx [N, D] | null, gw [N·K] | null, gGate[E] ([I, D] | null), gUp[E] ([I, D] | null), gDown[E] ([D, I] | null), path)
Napi::Value MoeExpertsBackward(const Napi::CallbackInfo& info) {
  const char* name = "moeExpertsBackward";
  const int64_t N = intArg(info, 4, name), K = intArg(info, 5, name), D = intArg(info, 6, name);
  const int64_t I = intArg(info, 7, name), E = intArg(info, 8, name, 1);
  const int64_t S = N * K;
  const size_t nd = static_cast<size_t>(sizeOf(N, D)), si = static_cast<size_t>(sizeOf(S, I)),
               id = static_cast<size_t>(sizeOf(I, D));
  const float* dy = f32Arg(info, 0, name, nd);
  const float* x = f32Arg(info, 1, name, nd);
  const int32_t* ids = i32Arg(info, 2, name, static_cast<size_t>(S));
  const float* w = f32Arg(info, 3, name, static_cast<size_t>(S));
  const auto Wg = f32ListArg(info, 9, name, E, id, false);
  const auto Wu = f32ListArg(info, 10, name, E, id, false);
  const auto Wd = f32ListArg(info, 11, name, E, id, false);
  const float* hg = f32Arg(info, 12, name, si);
  const float* hu = f32Arg(info, 13, name, si);
  float* gx = info[14].IsNull() ? nullptr : f32Arg(info, 14, name, nd);
  float* gw = info[15].IsNull() ? nullptr : f32Arg(info, 15, name, static_cast<size_t>(S));
  const auto gGate = f32ListArg(info, 16, name, E, id, true);
  const auto gUp = f32ListArg(info, 17, name, E, id, true);
  const auto gDown = f32ListArg(info, 18, name, E, id, true);
  const auto path = static_cast<GemmPath>(intArg(info, 19, name, 0, 1));
  const bool simd = path == GemmPath::kAuto;
  const Routing r = route(info.Env(), name, ids, S, E);

  static thread_local std::vector<float> xpBuf, dypBuf, dxpBuf, dHgBuf, dHuBuf, awBuf, dwBuf;
  float* xp = scratch(xpBuf, S * D);                   // [S, D] gathered, permuted
  float* dyp = scratch(dypBuf, S * D);                 // [S, D]
  float* dxp = gx ? scratch(dxpBuf, S * D) : nullptr;  // [S, D]
  float* dHg = scratch(dHgBuf, S * I);                 // [S, I]
  float* dHu = scratch(dHuBuf, S * I);                 // [S, I]
  float* aw = scratch(awBuf, S * I);                   // [S, I]
  float* dw = scratch(dwBuf, S);                       // [S]
  parallel_for(static_cast<int64_t>(r.tiles.size()), 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> gu;
    for (int64_t t = t0; t < t1; ++t) {
      const Tile& tile = r.tiles[t];
      const int64_t rows = tile.r1 - tile.r0, e = tile.expert, p0 = tile.r0;
      for (int64_t i = 0; i < rows; ++i) {
        const int64_t n = r.perm[p0 + i] / K;
        std::copy(x + n * D, x + (n + 1) * D, xp + (p0 + i) * D);
        std::copy(dy + n * D, dy + (n + 1) * D, dyp + (p0 + i) * D);
      }
      gu.resize(
          static_cast<size_t>(sizeOf(rows, I)));  // [rows, I] = dy_p @ W_down: the gradient of A before the gate weight
      sgemm(false, false, rows, I, D, 1.0f, dyp + p0 * D, D, Wd[e], I, 0.0f, gu.data(), I, path);
      float* A = aw + p0 * I;  // [rows, I]: A, then w·A in place
      swigluRow(hg + p0 * I, hu + p0 * I, A, rows * I, simd);
      for (int64_t i = 0; i < rows; ++i) {
        const float wp = w[r.perm[p0 + i]];
        float* g = gu.data() + i * I;
        float* a = A + i * I;
        double dot = 0;
        for (int64_t j = 0; j < I; ++j) dot += static_cast<double>(g[j]) * a[j];
        dw[p0 + i] = static_cast<float>(dot);
        for (int64_t j = 0; j < I; ++j) {
          g[j] *= wp;  // dA
          a[j] *= wp;  // w·A, the input of dW_down
        }
      }
      swigluBackwardRow(gu.data(), hg + p0 * I, hu + p0 * I, dHg + p0 * I, dHu + p0 * I, rows * I, simd);
      if (gx) {
        float* out = dxp + p0 * D;  // [rows, D]
        sgemm(false, false, rows, D, I, 1.0f, dHg + p0 * I, I, Wg[e], D, 0.0f, out, D, path);
        sgemm(false, false, rows, D, I, 1.0f, dHu + p0 * I, I, Wu[e], D, 1.0f, out, D, path);
      }
    }
  });
  // Weight gradients: one serial sgemm per (expert, projection) over all of the expert's rows.
  std::vector<std::pair<int64_t, int>> jobs;
  for (int64_t e = 0; e < E; ++e) {
    if (r.offset[e + 1] == r.offset[e]) continue;
    if (gGate[e]) jobs.push_back({e, 0});
    if (gUp[e]) jobs.push_back({e, 1});
    if (gDown[e]) jobs.push_back({e, 2});
  }
  parallel_for(static_cast<int64_t>(jobs.size()), 1, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t e = jobs[j].first, off = r.offset[e], rows = r.offset[e + 1] - off;
      switch (jobs[j].second) {
        case 0:  // dW_gate [I, D] = dHgᵀ [I, rows] @ x_p [rows, D]
          sgemm(true, false, I, D, rows, 1.0f, dHg + off * I, I, xp + off * D, D, 0.0f, gGate[e], D, path);
          break;
        case 1:  // dW_up [I, D] = dHuᵀ @ x_p
          sgemm(true, false, I, D, rows, 1.0f, dHu + off * I, I, xp + off * D, D, 0.0f, gUp[e], D, path);
          break;
        default:  // dW_down [D, I] = dy_pᵀ [D, rows] @ (w·A) [rows, I]
          sgemm(true, false, D, I, rows, 1.0f, dyp + off * D, D, aw + off * I, I, 0.0f, gDown[e], I, path);
      }
    }
  });
  if (gw) {
    for (int64_t s = 0; s < S; ++s) gw[s] = dw[r.pos[s]];
  }
  if (gx) {
    parallel_for(N, std::max<int64_t>(1, 4096 / std::max<int64_t>(D * K, 1)), [&](int64_t n0, int64_t n1) {
      std::vector<int64_t> rows;
      for (int64_t n = n0; n < n1; ++n) {
        float* gr = gx + n * D;  // [D]
        std::fill(gr, gr + D, 0.0f);
        sortedRows(r, n, K, rows);
        for (int64_t p : rows) {
          const float* src = dxp + p * D;
          for (int64_t d = 0; d < D; ++d) gr[d] += src[d];
        }
      }
    });
  }
  return info.Env().Undefined();
}

AHA_EXPORT("moeExpertsForward", MoeExpertsForward);
AHA_EXPORT("moeExpertsBackward", MoeExpertsBackward);

}  // namespace
}  // namespace aha
