// Optimizer update kernels, in place over a parameter's contiguous Float32Array and its state, following
// torch.optim.AdamW and torch.optim.SGD (single-tensor "foreach=False" path, float32 state):
//   AdamW (Loshchilov & Hutter, decoupled weight decay), at step t:
//     p ← p − lr·λ·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//     p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
//   SGD: g ← g + λ·p; buf ← g (first step) or μ·buf + (1−τ)·g; g ← nesterov ? g + μ·buf : buf; p ← p − lr·g
// Plus the two pieces of clipGradNorm: a float64 sum of squares and an in-place scale.
// Leaves out: amsgrad, maximize, capturable/fused variants, and an AVX2 clone (it measured no faster: the update is
// bound by streaming four arrays through memory, ~2.6 ms for 4M parameters either way).
#include <cmath>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

struct AdamW {
  // 1 − β is formed in float64 before rounding (as PyTorch passes it from a Python float): 1.0f − 0.999f is off by
  // 1e-5.
  float lr, decay, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay, stepSize, invSqrtBc2;
};

void adamwRange(const AdamW& h, float* p, const float* g, float* m, float* v, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i) {
    const float gi = g[i];
    const float mi = h.beta1 * m[i] + h.oneMinusBeta1 * gi;
    const float vi = h.beta2 * v[i] + h.oneMinusBeta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * h.decay - h.stepSize * mi / (std::sqrt(vi) * h.invSqrtBc2 + h.eps);
  }
}

// (param, grad, expAvg, expAvgSq, n, lr, beta1, beta2, eps, weightDecay, step): step is t >= 1 (already incremented).
Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
  const char* name = "adamwStep";
  const int64_t n = intArg(info, 4, name);
  float* p = f32Arg(info, 0, name, n);
  const float* g = f32Arg(info, 1, name, n);
  float* m = f32Arg(info, 2, name, n);
  float* v = f32Arg(info, 3, name, n);
  const double lr = numArg(info, 5, name), beta1 = numArg(info, 6, name), beta2 = numArg(info, 7, name);
  const double eps = numArg(info, 8, name), wd = numArg(info, 9, name);
  const int64_t t = intArg(info, 10, name, 1);
  // Bias corrections in float64, as PyTorch computes them on Python floats.
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  AdamW h;
  h.lr = static_cast<float>(lr);
  h.decay = static_cast<float>(1.0 - lr * wd);
  h.beta1 = static_cast<float>(beta1);
  h.beta2 = static_cast<float>(beta2);
  h.oneMinusBeta1 = static_cast<float>(1.0 - beta1);
  h.oneMinusBeta2 = static_cast<float>(1.0 - beta2);
  h.eps = static_cast<float>(eps);
  h.weightDecay = static_cast<float>(wd);
  h.stepSize = static_cast<float>(lr / bc1);
  h.invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) { adamwRange(h, p, g, m, v, b, e); });
  return info.Env().Undefined();
}

// (param, grad, momentumBuf|null, n, lr, momentum, dampening, weightDecay, nesterov, firstStep)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  const char* name = "sgdStep";
  const int64_t n = intArg(info, 3, name);
  float* p = f32Arg(info, 0, name, n);
  const float* g = f32Arg(info, 1, name, n);
  float* buf = info.Length() > 2 && info[2].IsNull() ? nullptr : f32Arg(info, 2, name, n);
  const float lr = static_cast<float>(numArg(info, 4, name)), mu = static_cast<float>(numArg(info, 5, name));
  const float damp = static_cast<float>(numArg(info, 6, name)), wd = static_cast<float>(numArg(info, 7, name));
  const bool nesterov = info.Length() > 8 && info[8].ToBoolean().Value();
  const bool first = info.Length() > 9 && info[9].ToBoolean().Value();
  parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float d = g[i] + wd * p[i];
      if (buf) {
        buf[i] = first ? d : mu * buf[i] + (1.0f - damp) * d;
        d = nesterov ? d + mu * buf[i] : buf[i];
      }
      p[i] -= lr * d;
    }
  });
  return info.Env().Undefined();
}

// (x, n) -> Σ x² in float64 (chunk partials added in order).
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  const int64_t n = intArg(info, 1, "sumSquares");
  const float* x = f32Arg(info, 0, "sumSquares", n);
  const int64_t chunk = INT64_C(1) << 15;
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double acc = 0.0;
      for (int64_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) acc += static_cast<double>(x[i]) * x[i];
      partial[static_cast<size_t>(c)] = acc;
    }
  });
  double total = 0.0;
  for (double s : partial) total += s;
  return Napi::Number::New(info.Env(), total);
}

// (x, n, scale) -> x *= scale in place.
Napi::Value ScaleInPlace(const Napi::CallbackInfo& info) {
  const int64_t n = intArg(info, 1, "scaleInPlace");
  float* x = f32Arg(info, 0, "scaleInPlace", n);
  const float s = static_cast<float>(numArg(info, 2, "scaleInPlace"));
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] *= s;
  });
  return info.Env().Undefined();
}

AHA_EXPORT("adamwStep", AdamwStep);
AHA_EXPORT("sgdStep", SgdStep);
AHA_EXPORT("sumSquares", SumSquares);
AHA_EXPORT("scaleInPlace", ScaleInPlace);

}  // namespace
}  // namespace aha
