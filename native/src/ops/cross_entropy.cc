// Fused logits → loss kernels for the training hot paths (crossEntropy for SFT / pretraining, tokenLogprobs for GRPO,
// tokenEntropy for metrics). Logits [rows, V] contiguous, z = logits / T. Nothing of size [rows, V] is kept between
// forward and backward: the forward keeps lse = logsumexp(z) per row, and the backward recomputes softmax from the
// logits and lse in the same pass that writes the gradient:  grad[r, v] = scale[r] · (exp(z − lse) − [v = target_r]).
// Each op folds its own factor (1/count, −g/T, ...) into scale. Threads over rows.
#include <algorithm>
#include <cmath>
#include <string>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

struct RowArgs {
  int64_t rows, V;
  float invT;
  const float* logits;
  const int32_t* targets;  // null: no targets; a negative target = ignored row
};

RowArgs readRows(const Napi::CallbackInfo& info, const char* name, bool withTargets) {
  RowArgs a;
  a.rows = intArg(info, 1, name);
  a.V = intArg(info, 2, name, 1);
  a.invT = static_cast<float>(numArg(info, 3, name));
  a.logits = f32Arg(info, 0, name, static_cast<size_t>(a.rows * a.V));
  a.targets = nullptr;
  if (withTargets) {
    a.targets = i32Arg(info, 4, name, static_cast<size_t>(a.rows));
    for (int64_t r = 0; r < a.rows; ++r) {
      if (a.targets[r] >= a.V) {
        throw Napi::RangeError::New(info.Env(), std::string(name) + ": target " + std::to_string(a.targets[r]) +
                                                    " of row " + std::to_string(r) + " is outside [0, " +
                                                    std::to_string(a.V) + ")");
      }
    }
  }
  return a;
}

inline int64_t grain(int64_t V) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(V, 1)); }

// logsumexp of z = x·invT over one row; NaN anywhere gives NaN.
inline float rowLse(const float* x, int64_t V, float invT) {
  float m = -INFINITY;
  bool nan = false;
  for (int64_t v = 0; v < V; ++v) {
    const float z = x[v] * invT;
    nan |= std::isnan(z);
    m = std::max(m, z);
  }
  if (nan) return NAN;
  if (std::isinf(m)) return m;  // all −inf (empty support) or a +inf logit: lse is ±inf
  double s = 0;
  for (int64_t v = 0; v < V; ++v) s += std::exp(x[v] * invT - m);  // float exp, double sum
  return m + static_cast<float>(std::log(s));
}

// (logits, rows, V, invT, targets Int32 [rows], lse out [rows], targetZ out [rows]): targetZ = z[target] (0 if ignored)
Napi::Value LogitsRowStats(const Napi::CallbackInfo& info) {
  const char* name = "logitsRowStats";
  const RowArgs a = readRows(info, name, true);
  float* lse = f32Arg(info, 5, name, static_cast<size_t>(a.rows));
  float* tz = f32Arg(info, 6, name, static_cast<size_t>(a.rows));
  parallel_for(a.rows, grain(a.V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = a.logits + r * a.V;  // [V]
      lse[r] = rowLse(x, a.V, a.invT);
      const int32_t t = a.targets[r];
      tz[r] = t >= 0 ? x[t] * a.invT : 0.f;
    }
  });
  return info.Env().Undefined();
}

// (logits, rows, V, invT, targets Int32 [rows], lse [rows], scale [rows], grad out [rows, V])
Napi::Value LogitsRowGrad(const Napi::CallbackInfo& info) {
  const char* name = "logitsRowGrad";
  const RowArgs a = readRows(info, name, true);
  const float* lse = f32Arg(info, 5, name, static_cast<size_t>(a.rows));
  const float* scale = f32Arg(info, 6, name, static_cast<size_t>(a.rows));
  float* grad = f32Arg(info, 7, name, static_cast<size_t>(a.rows * a.V));
  parallel_for(a.rows, grain(a.V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = a.logits + r * a.V;
      float* gr = grad + r * a.V;
      const float s = scale[r], l = lse[r];
      if (s == 0.f) {  // ignored row (or zero upstream gradient): no softmax to compute
        std::fill(gr, gr + a.V, 0.f);
        continue;
      }
      for (int64_t v = 0; v < a.V; ++v) gr[v] = s * std::exp(x[v] * a.invT - l);
      if (a.targets[r] >= 0) gr[a.targets[r]] -= s;
    }
  });
  return info.Env().Undefined();
}

// (logits, rows, V, invT, _, entropy out [rows]): H = lse − Σ p·z
Napi::Value LogitsRowEntropy(const Napi::CallbackInfo& info) {
  const char* name = "logitsRowEntropy";
  const RowArgs a = readRows(info, name, false);
  float* out = f32Arg(info, 5, name, static_cast<size_t>(a.rows));
  parallel_for(a.rows, grain(a.V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = a.logits + r * a.V;
      const float l = rowLse(x, a.V, a.invT);
      if (!std::isfinite(l)) {
        out[r] = NAN;
        continue;
      }
      double pz = 0;
      for (int64_t v = 0; v < a.V; ++v) {
        const double z = static_cast<double>(x[v]) * a.invT;
        const double p = std::exp(z - l);
        if (p > 0) pz += p * z;  // p = 0 contributes 0 even where z = −inf
      }
      out[r] = static_cast<float>(l - pz);
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("logitsRowStats", LogitsRowStats);
AHA_EXPORT("logitsRowGrad", LogitsRowGrad);
AHA_EXPORT("logitsRowEntropy", LogitsRowEntropy);

}  // namespace
}  // namespace aha
