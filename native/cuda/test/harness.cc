// The kernel harness: runs every kernel of native/cuda/kernels on small odd shapes and compares it with a plain CPU
// reference written here in double (the references' own backwards are checked against central finite differences of
// their forwards first, so a kernel backward is compared with a gradient that is known right). Built two ways:
//   - g++ with emu/cuda_emu.h (check.sh, CI): the kernels run on the CPU emulation of the CUDA execution model;
//   - nvcc as a .cu (gpu-check.sh): the same tests launch on the GPU, and `--bench` adds timings.
// Tolerances: bf16 outputs are compared at bf16 resolution (relative 2⁻⁷ plus a small absolute term), f32 outputs
// tightly. Prints one line per check and a final `N passed, N failed`; exit status 1 when any failed.
// Needs no Node.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../kernels/aha_cuda.h"
#include "emu_selftest.h"

using aha_cuda::bf16;
using Vec = std::vector<double>;

namespace {

int passed = 0, failed = 0;
std::mt19937_64 rng(20261207);

// ---- device memory (host memory under the emulation) ----
std::vector<void*> live;
template <class T>
T* devAlloc(size_t n) {
  void* p = nullptr;
#ifdef __CUDACC__
  if (cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T)) != cudaSuccess) {
    std::fprintf(stderr, "cudaMalloc failed\n");
    std::exit(2);
  }
  cudaMemset(p, 0, std::max<size_t>(n, 1) * sizeof(T));
#else
  p = std::calloc(std::max<size_t>(n, 1), sizeof(T));
#endif
  live.push_back(p);
  return static_cast<T*>(p);
}
template <class T>
T* upload(const std::vector<T>& h) {
  T* d = devAlloc<T>(h.size());
#ifdef __CUDACC__
  cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice);
#else
  std::memcpy(d, h.data(), h.size() * sizeof(T));
#endif
  return d;
}
template <class T>
std::vector<T> download(const T* d, size_t n) {
  std::vector<T> h(n);
#ifdef __CUDACC__
  cudaDeviceSynchronize();
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    std::fprintf(stderr, "CUDA error: %s\n", cudaGetErrorString(e));
    std::exit(2);
  }
  cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
#else
  std::memcpy(h.data(), d, n * sizeof(T));
#endif
  return h;
}
void freeAll() {
  for (void* p : live) {
#ifdef __CUDACC__
    cudaFree(p);
#else
    std::free(p);
#endif
  }
  live.clear();
}

// ---- values ----
float bf(double x) { return __bfloat162float(__float2bfloat16(static_cast<float>(x))); }
Vec randn(size_t n, double scale = 1.0) {  // bf16-representable normal values
  std::normal_distribution<double> d(0.0, scale);
  Vec v(n);
  for (auto& x : v) x = bf(d(rng));
  return v;
}
std::vector<bf16> toBf(const Vec& v) {
  std::vector<bf16> o(v.size());
  for (size_t i = 0; i < v.size(); ++i) o[i] = __float2bfloat16(static_cast<float>(v[i]));
  return o;
}
std::vector<float> toF(const Vec& v) { return std::vector<float>(v.begin(), v.end()); }
Vec fromBf(const std::vector<bf16>& v) {
  Vec o(v.size());
  for (size_t i = 0; i < v.size(); ++i) o[i] = __bfloat162float(v[i]);
  return o;
}
template <class T>
Vec fromF(const std::vector<T>& v) {
  return Vec(v.begin(), v.end());
}

// One line per comparison: the largest error relative to atol + rtol·|want|.
void check(const std::string& name, const Vec& got, const Vec& want, double atol, double rtol) {
  double worst = 0, absErr = 0;
  bool ok = got.size() == want.size();
  for (size_t i = 0; ok && i < got.size(); ++i) {
    const double e = std::fabs(got[i] - want[i]), lim = atol + rtol * std::fabs(want[i]);
    if (!(e <= lim)) ok = false;  // NaN fails
    worst = std::max(worst, e / lim);
    absErr = std::max(absErr, e);
  }
  std::printf("%s %-40s n=%-6zu max|err|=%.3g (%.2f of tolerance)\n", ok ? "PASS" : "FAIL", name.c_str(), got.size(),
              absErr, worst);
  (ok ? passed : failed)++;
}
void checkTrue(const std::string& name, bool ok, const std::string& detail) {
  std::printf("%s %-40s %s\n", ok ? "PASS" : "FAIL", name.c_str(), detail.c_str());
  (ok ? passed : failed)++;
}
constexpr double kBfTol = 1.0 / 128;  // one bf16 step (8 bits of mantissa, relative 2⁻⁸ each side, plus slack)

// Central differences of f at x against grad over every element (the shapes here are small).
void fdCheck(const std::string& name, const std::function<double(const Vec&)>& f, Vec x, const Vec& grad) {
  Vec fd(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x[i])), x0 = x[i];
    x[i] = x0 + h;
    const double fp = f(x);
    x[i] = x0 - h;
    const double fm = f(x);
    x[i] = x0;
    fd[i] = (fp - fm) / (2 * h);
  }
  check(name + " (reference vs finite diff.)", grad, fd, 1e-6, 1e-5);
}
double dotv(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// ---- the execution-model primitives (emu_selftest.cu) and bf16 rounding ----
void testPrimitives() {
  {
    const int blocks = 3, threads = 100;  // not a multiple of 32: a partial last warp
    int* d = devAlloc<int>(blocks * threads);
    aha_cuda::selftestBarrier(d, blocks, threads);
    const std::vector<int> got = download(d, blocks * threads);
    int bad = 0;
    for (int b = 0; b < blocks; ++b)
      for (int t = 0; t < threads; ++t) bad += got[b * threads + t] != ((t + 1) % threads) * 7 + b;
    checkTrue("emu.__syncthreads + __shared__", bad == 0, std::to_string(bad) + " wrong");
  }
  {
    const int threads = 64;
    int* d = devAlloc<int>(threads * 8);
    aha_cuda::selftestWarp(d, threads);
    const std::vector<int> got = download(d, threads * 8);
    int bad = 0;
    for (int t = 0; t < threads; ++t) {
      const int lane = t % 32, w = t - lane;
      const int want[8] = {
          w + 3, w + (lane ^ 5), lane + 2 < 32 ? t + 2 : t, lane >= 1 ? t - 1 : t, static_cast<int>(0xaaaaaaaau), 1, 1,
          496};
      for (int i = 0; i < 8; ++i) bad += got[t * 8 + i] != want[i];
    }
    checkTrue("emu.shuffles + votes", bad == 0, std::to_string(bad) + " wrong");
  }
  {
    float* f = devAlloc<float>(1);
    int *i = devAlloc<int>(1), *m = devAlloc<int>(1);
    aha_cuda::selftestAtomics(f, i, m);
    const float fs = download(f, 1)[0];
    const int is = download(i, 1)[0], im = download(m, 1)[0];
    checkTrue("emu.atomics over a 3-D grid", fs == 180.f && is == 360 && im == 11 * 1000 + 29,
              "sum " + std::to_string(fs) + ", count " + std::to_string(is) + ", max " + std::to_string(im));
  }
  {  // round to nearest even at the halfway points, NaN stays NaN, overflow to inf
    const float cases[] = {1.00390625f, 1.01171875f, 1.0039064f, -2.5f, 3.4e38f, NAN};
    const float want[] = {1.f, 1.015625f, 1.0078125f, -2.5f, INFINITY, NAN};
    int bad = 0;
    for (int k = 0; k < 6; ++k) {
      const float g = __bfloat162float(__float2bfloat16(cases[k]));
      bad += !(g == want[k] || (std::isnan(g) && std::isnan(want[k])));
    }
    checkTrue("bf16 round-to-nearest-even", bad == 0, std::to_string(bad) + " of 6 wrong");
  }
  freeAll();
}

// ---- RMSNorm ----
Vec rmsRef(const Vec& x, const Vec& w, int rows, int D, double eps, Vec* rstd = nullptr) {
  Vec y(x.size());
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int j = 0; j < D; ++j) ss += x[r * D + j] * x[r * D + j];
    const double rs = 1 / std::sqrt(ss / D + eps);
    if (rstd) (*rstd)[r] = rs;
    for (int j = 0; j < D; ++j) y[r * D + j] = x[r * D + j] * rs * w[j];
  }
  return y;
}
void testRmsNorm(int rows, int D) {
  const double eps = 1e-6;
  const Vec x = randn(rows * D), w = randn(D, 0.5), g = randn(rows * D);
  Vec rs(rows);
  const Vec y = rmsRef(x, w, rows, D, eps, &rs);
  // Reference backward: dx = r·(g·w − x̂·mean(g·w·x̂)), dw = Σ g·x̂.
  Vec gx(x.size()), gw(D, 0.0);
  for (int r = 0; r < rows; ++r) {
    double dot = 0;
    for (int j = 0; j < D; ++j) dot += g[r * D + j] * w[j] * x[r * D + j] * rs[r];
    for (int j = 0; j < D; ++j) {
      gx[r * D + j] = rs[r] * (g[r * D + j] * w[j] - x[r * D + j] * rs[r] * dot / D);
      gw[j] += g[r * D + j] * x[r * D + j] * rs[r];
    }
  }
  const std::string tag = " " + std::to_string(rows) + "x" + std::to_string(D);
  fdCheck(
      "rmsNorm.backward dx" + tag, [&](const Vec& xx) { return dotv(g, rmsRef(xx, w, rows, D, eps)); }, x, gx);
  fdCheck(
      "rmsNorm.backward dw" + tag, [&](const Vec& ww) { return dotv(g, rmsRef(x, ww, rows, D, eps)); }, w, gw);
  bf16 *dx = upload(toBf(x)), *dw = upload(toBf(w)), *dy = devAlloc<bf16>(x.size());
  float* drs = devAlloc<float>(rows);
  aha_cuda::rmsNormForward(dx, dw, dy, drs, rows, D, static_cast<float>(eps), nullptr);
  check("rmsNorm.forward y" + tag, fromBf(download(dy, x.size())), y, 1e-3, kBfTol);
  check("rmsNorm.forward rstd" + tag, fromF(download(drs, rows)), rs, 0, 1e-5);
  bf16 *dg = upload(toBf(g)), *dgx = devAlloc<bf16>(x.size());
  float* dgw = devAlloc<float>(D);
  float* work = devAlloc<float>(static_cast<size_t>(aha_cuda::rmsNormWorkspace(rows, D)));
  aha_cuda::rmsNormBackward(dg, dx, dw, drs, dgx, dgw, work, rows, D, nullptr);
  check("rmsNorm.backward dx" + tag, fromBf(download(dgx, x.size())), gx, 1e-3, kBfTol);
  check("rmsNorm.backward dw" + tag, fromF(download(dgw, D)), gw, 1e-4, 1e-4);
  freeAll();
}

// ---- SwiGLU ----
double sig(double x) { return 1 / (1 + std::exp(-x)); }
void testSwiglu() {
  const int n = 1237;
  const Vec a = randn(n, 2), u = randn(n), g = randn(n);
  Vec y(n), ga(n), gu(n);
  for (int i = 0; i < n; ++i) {
    const double s = sig(a[i]);
    y[i] = a[i] * s * u[i];
    ga[i] = g[i] * u[i] * s * (1 + a[i] * (1 - s));
    gu[i] = g[i] * a[i] * s;
  }
  auto f = [&](const Vec& aa, const Vec& uu) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += g[i] * aa[i] * sig(aa[i]) * uu[i];
    return s;
  };
  fdCheck(
      "swiglu.backward dgate", [&](const Vec& aa) { return f(aa, u); }, a, ga);
  fdCheck(
      "swiglu.backward dup", [&](const Vec& uu) { return f(a, uu); }, u, gu);
  bf16 *da = upload(toBf(a)), *du = upload(toBf(u)), *dy = devAlloc<bf16>(n);
  aha_cuda::swigluForward(da, du, dy, n, nullptr);
  check("swiglu.forward", fromBf(download(dy, n)), y, 1e-3, kBfTol);
  bf16 *dg = upload(toBf(g)), *dga = devAlloc<bf16>(n), *dgu = devAlloc<bf16>(n);
  aha_cuda::swigluBackward(dg, da, du, dga, dgu, n, nullptr);
  check("swiglu.backward dgate", fromBf(download(dga, n)), ga, 1e-3, kBfTol);
  check("swiglu.backward dup", fromBf(download(dgu, n)), gu, 1e-3, kBfTol);
  freeAll();
}

// ---- RoPE ----
Vec ropeRef(const Vec& x, const Vec& cs, const Vec& sn, int N, int T, int D, bool inter, double sign) {
  Vec y(x.size());
  const int half = D / 2;
  for (int r = 0; r < N * T; ++r) {
    const int t = r % T;
    for (int i = 0; i < half; ++i) {
      const int a = r * D + (inter ? 2 * i : i), b = a + (inter ? 1 : half);
      const double c = cs[t * half + i], s = sign * sn[t * half + i];
      y[a] = x[a] * c - x[b] * s;
      y[b] = x[a] * s + x[b] * c;
    }
  }
  return y;
}
void testRope() {
  const int N = 3, T = 7, D = 18, half = D / 2;
  Vec cs(T * half), sn(T * half);
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < half; ++i) {
      const double th = t * std::pow(10000.0, -2.0 * i / D);
      cs[t * half + i] = static_cast<float>(std::cos(th));
      sn[t * half + i] = static_cast<float>(std::sin(th));
    }
  const Vec x = randn(N * T * D), g = randn(N * T * D);
  for (const bool inter : {true, false}) {
    const std::string tag = inter ? " (interleaved)" : " (half)";
    const Vec y = ropeRef(x, cs, sn, N, T, D, inter, 1), gx = ropeRef(g, cs, sn, N, T, D, inter, -1);
    fdCheck(
        "rope.backward" + tag, [&](const Vec& xx) { return dotv(g, ropeRef(xx, cs, sn, N, T, D, inter, 1)); }, x, gx);
    bf16 *dx = upload(toBf(x)), *dy = devAlloc<bf16>(x.size()), *dg = upload(toBf(g)), *dgx = devAlloc<bf16>(x.size());
    float *dc = upload(toF(cs)), *ds = upload(toF(sn));
    aha_cuda::ropeApply(dx, dc, ds, dy, N, T, D, inter, 1.f, nullptr);
    aha_cuda::ropeApply(dg, dc, ds, dgx, N, T, D, inter, -1.f, nullptr);
    check("rope.forward" + tag, fromBf(download(dy, x.size())), y, 1e-3, kBfTol);
    check("rope.backward" + tag, fromBf(download(dgx, x.size())), gx, 1e-3, kBfTol);
    freeAll();
  }
}

// ---- embedding ----
void testEmbedding() {
  const int V = 11, D = 37, n = 23;
  const Vec table = randn(V * D), g = randn(n * D);
  std::vector<int32_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(rng() % V);  // repeats: the atomics are exercised
  Vec out(n * D), gt(V * D, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < D; ++j) {
      out[i * D + j] = table[ids[i] * D + j];
      gt[ids[i] * D + j] += g[i * D + j];
    }
  int32_t* di = upload(ids);
  bf16 *dt = upload(toBf(table)), *dout = devAlloc<bf16>(n * D), *dg = upload(toBf(g));
  float* dgt = devAlloc<float>(V * D);
  aha_cuda::embeddingForward(di, dt, dout, n, D, nullptr);
  aha_cuda::embeddingBackward(di, dg, dgt, n, D, nullptr);
  check("embedding.forward", fromBf(download(dout, n * D)), out, 0, 0);
  check("embedding.backward", fromF(download(dgt, V * D)), gt, 1e-6, 1e-6);
  freeAll();
}

// ---- AdamW: the float arithmetic of native/src/ops/optim.cc, two steps ----
void testAdamw() {
  const int n = 1001;
  const aha_cuda::AdamWParams h0{1e-3, 0.9, 0.999, 1e-8, 0.1, 1};
  std::vector<float> p = toF(randn(n)), m(n, 0.f), v(n, 0.f);
  float *dp = upload(p), *dm = upload(m), *dv = upload(v);
  bf16* dpb = devAlloc<bf16>(n);
  for (int step = 1; step <= 2; ++step) {
    const std::vector<float> g = toF(randn(n));
    aha_cuda::AdamWParams h = h0;
    h.step = step;
    const double bc1 = 1 - std::pow(h.beta1, step), bc2 = 1 - std::pow(h.beta2, step);
    const float decay = static_cast<float>(1 - h.lr * h.weightDecay), b1 = static_cast<float>(h.beta1),
                b2 = static_cast<float>(h.beta2), omb1 = static_cast<float>(1 - h.beta1),
                omb2 = static_cast<float>(1 - h.beta2), stepSize = static_cast<float>(h.lr / bc1),
                isb = static_cast<float>(1 / std::sqrt(bc2)), eps = static_cast<float>(h.eps);
    for (int i = 0; i < n; ++i) {
      m[i] = b1 * m[i] + omb1 * g[i];
      v[i] = b2 * v[i] + omb2 * g[i] * g[i];
      p[i] = p[i] * decay - stepSize * m[i] / (std::sqrt(v[i]) * isb + eps);
    }
    aha_cuda::adamwStep(dp, upload(g), dm, dv, dpb, n, h, nullptr);
  }
  check("adamw.step param (2 steps)", fromF(download(dp, n)), fromF(p), 0, 1e-6);
  check("adamw.step exp_avg_sq", fromF(download(dv, n)), fromF(v), 0, 1e-6);
  Vec pb(n);
  for (int i = 0; i < n; ++i) pb[i] = bf(p[i]);
  check("adamw.step bf16 copy", fromBf(download(dpb, n)), pb, 0, kBfTol);
  freeAll();
}

// ---- MoE routing (moe.ts selectExperts + the router's weights) ----
std::vector<int32_t> selectRef(const Vec& scores, const Vec& bias, int N, const aha_cuda::MoeRouting& r) {
  const int per = r.E / r.nGroup;
  std::vector<int32_t> out(N * r.K);
  for (int n = 0; n < N; ++n) {
    std::vector<double> b(r.E), gs(r.nGroup);
    for (int e = 0; e < r.E; ++e) b[e] = static_cast<float>(static_cast<float>(scores[n * r.E + e]) + bias[e]);
    for (int g = 0; g < r.nGroup; ++g) {
      std::vector<double> v(b.begin() + g * per, b.begin() + (g + 1) * per);
      std::sort(v.rbegin(), v.rend());
      gs[g] = per >= 2 ? v[0] + v[1] : v[0];
    }
    std::vector<int> go(r.nGroup), eo(r.E);
    for (int i = 0; i < r.nGroup; ++i) go[i] = i;
    for (int i = 0; i < r.E; ++i) eo[i] = i;
    std::stable_sort(go.begin(), go.end(), [&](int a, int c) { return gs[a] > gs[c]; });
    std::vector<bool> kept(r.nGroup, false);
    for (int i = 0; i < r.topkGroup; ++i) kept[go[i]] = true;
    for (int e = 0; e < r.E; ++e)
      if (!kept[e / per]) b[e] = 0;
    std::stable_sort(eo.begin(), eo.end(), [&](int a, int c) { return b[a] > b[c]; });
    for (int k = 0; k < r.K; ++k) out[n * r.K + k] = eo[k];
  }
  return out;
}
Vec weightsRef(const Vec& logits, const std::vector<int32_t>& ids, int N, const aha_cuda::MoeRouting& r) {
  Vec w(N * r.K);
  for (int n = 0; n < N; ++n) {
    double S = 0;
    for (int k = 0; k < r.K; ++k) S += sig(logits[n * r.E + ids[n * r.K + k]]);
    for (int k = 0; k < r.K; ++k) {
      const double s = sig(logits[n * r.E + ids[n * r.K + k]]);
      w[n * r.K + k] = (r.normTopk ? s / (S + 1e-20) : s) * r.scaling;
    }
  }
  return w;
}
void testMoeRoute(const std::string& tag, int N, aha_cuda::MoeRouting r, bool ties) {
  Vec logits = randn(N * r.E, 1.5), bias = randn(r.E, 0.1);
  if (ties)  // equal biased scores across groups and inside one: the lower index must win, as in the JS sort
    for (int n = 0; n < N; ++n)
      for (int e = 0; e < r.E; e += 2) logits[n * r.E + e] = logits[n * r.E + 1], bias[e] = bias[1];
  const Vec gw = randn(N * r.K);
  std::vector<float> l32 = toF(logits), b32 = toF(bias);
  float *dl = upload(l32), *db = upload(b32), *ds = devAlloc<float>(N * r.E), *dw = devAlloc<float>(N * r.K);
  int32_t* di = devAlloc<int32_t>(N * r.K);
  aha_cuda::moeRoute(dl, db, ds, di, dw, N, r, nullptr);
  const Vec scores = fromF(download(ds, N * r.E));
  Vec sref(N * r.E);
  for (int i = 0; i < N * r.E; ++i) sref[i] = sig(logits[i]);
  check("moeRoute.scores" + tag, scores, sref, 0, 1e-6);
  const std::vector<int32_t> ids = download(di, N * r.K), want = selectRef(scores, bias, N, r);
  int bad = 0;
  for (size_t i = 0; i < ids.size(); ++i) bad += ids[i] != want[i];
  checkTrue("moeRoute.ids" + tag, bad == 0, std::to_string(bad) + " of " + std::to_string(ids.size()) + " differ");
  check("moeRoute.weights" + tag, fromF(download(dw, N * r.K)), weightsRef(logits, want, N, r), 1e-7, 1e-5);
  // Backward through the weights, selection held fixed.
  auto f = [&](const Vec& ll) { return dotv(gw, weightsRef(ll, want, N, r)); };
  Vec gl(N * r.E, 0.0);
  for (int n = 0; n < N; ++n) {
    double S = 1e-20, dot = 0;
    for (int k = 0; k < r.K; ++k) {
      const double s = sig(logits[n * r.E + want[n * r.K + k]]);
      S += s;
      dot += gw[n * r.K + k] * s;
    }
    for (int k = 0; k < r.K; ++k) {
      const int e = want[n * r.K + k];
      const double s = sig(logits[n * r.E + e]), g = gw[n * r.K + k];
      const double gs = r.normTopk ? r.scaling * (g - dot / S) / S : r.scaling * g;
      gl[n * r.E + e] = gs * s * (1 - s);
    }
  }
  fdCheck("moeRoute.backward" + tag, f, logits, gl);
  float *dgw = upload(toF(gw)), *dgl = devAlloc<float>(N * r.E);
  aha_cuda::moeRouteBackward(dgw, ds, di, dgl, N, r, nullptr);
  check("moeRoute.backward" + tag, fromF(download(dgl, N * r.E)), gl, 1e-6, 1e-4);
  freeAll();
}

// ---- MoE permute → grouped expert GEMM → weighted un-permute ----
void testMoeDispatch(const std::string& tag, int N, int K, int E, int usedE, int Din, int Dout) {
  std::vector<int32_t> ids(N * K);
  for (int n = 0; n < N; ++n) {  // K distinct experts per token, from the first usedE (the rest stay empty)
    std::vector<int32_t> all(usedE);
    for (int e = 0; e < usedE; ++e) all[e] = e;
    std::shuffle(all.begin(), all.end(), rng);
    for (int k = 0; k < K; ++k) ids[n * K + k] = all[k];
  }
  const Vec x = randn(N * Din), W = randn(E * Dout * Din, 0.2), w = randn(N * K);
  // Expected permutation: stable by expert, then token, then slot.
  std::vector<int32_t> offsets(E + 1, 0), rowToken, slotRow(N * K);
  for (int e = 0; e < E; ++e) {
    for (int i = 0; i < N * K; ++i)
      if (ids[i] == e) {
        slotRow[i] = static_cast<int32_t>(rowToken.size());
        rowToken.push_back(i / K);
      }
    offsets[e + 1] = static_cast<int32_t>(rowToken.size());
  }
  auto outRef = [&](const Vec& xx, const Vec& WW, const Vec& ww) {
    Vec o(N * Dout, 0.0);
    for (int n = 0; n < N; ++n)
      for (int k = 0; k < K; ++k) {
        const int e = ids[n * K + k];
        for (int c = 0; c < Dout; ++c) {
          double y = 0;
          for (int i = 0; i < Din; ++i) y += xx[n * Din + i] * WW[(e * Dout + c) * Din + i];
          o[n * Dout + c] += ww[n * K + k] * y;
        }
      }
    return o;
  };
  const Vec dout = randn(N * Dout);
  // Reference backward: dweights[n, k] = dout_n·y_nk, dW_e += w·dout_nᵀ x_n, dx_n = Σ_k w·dout_n·W_e.
  Vec dwt(N * K, 0.0), dW(E * Dout * Din, 0.0), dx(N * Din, 0.0);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const int e = ids[n * K + k];
      const double wk = w[n * K + k];
      for (int c = 0; c < Dout; ++c) {
        const double g = dout[n * Dout + c];
        double y = 0;
        for (int i = 0; i < Din; ++i) {
          y += x[n * Din + i] * W[(e * Dout + c) * Din + i];
          dW[(e * Dout + c) * Din + i] += wk * g * x[n * Din + i];
          dx[n * Din + i] += wk * g * W[(e * Dout + c) * Din + i];
        }
        dwt[n * K + k] += g * y;
      }
    }
  // The same gradients with the kernel path's bf16 storage points (expert outputs ys, row gradients dys and dxs),
  // so the kernels are held to f32-accumulation accuracy rather than to the storage rounding.
  Vec dwtR(N * K, 0.0), dWR(E * Dout * Din, 0.0), dxR(N * Din, 0.0), outR(N * Dout, 0.0);
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const int e = ids[n * K + k];
      Vec dxs(Din, 0.0);
      for (int c = 0; c < Dout; ++c) {
        double y = 0;
        for (int i = 0; i < Din; ++i) y += x[n * Din + i] * W[(e * Dout + c) * Din + i];
        const double g = dout[n * Dout + c], dy = bf(w[n * K + k] * g);
        dwtR[n * K + k] += g * bf(y);
        outR[n * Dout + c] += w[n * K + k] * bf(y);
        for (int i = 0; i < Din; ++i) {
          dWR[(e * Dout + c) * Din + i] += dy * x[n * Din + i];
          dxs[i] += dy * W[(e * Dout + c) * Din + i];
        }
      }
      for (int i = 0; i < Din; ++i) dxR[n * Din + i] += bf(dxs[i]);
    }
  if (N * Din <= 512) {
    fdCheck(
        "moe dispatch backward dx" + tag, [&](const Vec& v) { return dotv(dout, outRef(v, W, w)); }, x, dx);
    fdCheck(
        "moe dispatch backward dW" + tag, [&](const Vec& v) { return dotv(dout, outRef(x, v, w)); }, W, dW);
    fdCheck(
        "moe dispatch backward dweights" + tag, [&](const Vec& v) { return dotv(dout, outRef(x, W, v)); }, w, dwt);
  }
  const int rows = N * K;
  int32_t *di = upload(ids), *doff = devAlloc<int32_t>(E + 1), *drt = devAlloc<int32_t>(rows),
          *dsr = devAlloc<int32_t>(rows);
  bf16 *dx_ = upload(toBf(x)), *dW_ = upload(toBf(W)), *dxs_ = devAlloc<bf16>(rows * Din),
       *dys_ = devAlloc<bf16>(rows * Dout), *dout_ = devAlloc<bf16>(N * Dout);
  float* dw = upload(toF(w));
  aha_cuda::moePermute(di, doff, drt, dsr, N, K, E, nullptr);
  aha_cuda::moeGatherRows(dx_, drt, dxs_, rows, Din, nullptr);
  aha_cuda::moeGroupedGemm(dxs_, dW_, doff, dys_, rows, E, Din, Dout, nullptr);
  aha_cuda::moeUnpermute(dys_, dsr, dw, dout_, N, K, Dout, nullptr);
  const bool permOk =
      download(doff, E + 1) == offsets && download(drt, rows) == rowToken && download(dsr, rows) == slotRow;
  checkTrue("moePermute (stable order)" + tag, permOk, permOk ? "offsets, rowToken, slotRow exact" : "differ");
  // Two bf16 roundings (the expert outputs, then the combined row): twice the tolerance.
  check("moe dispatch + grouped GEMM + combine" + tag, fromBf(download(dout_, N * Dout)), outR, 1e-3, kBfTol);
  bf16 *dg = upload(toBf(dout)), *dys = devAlloc<bf16>(rows * Dout), *dxs = devAlloc<bf16>(rows * Din),
       *ddx = devAlloc<bf16>(N * Din);
  float *ddw = devAlloc<float>(N * K), *ddW = devAlloc<float>(E * Dout * Din);
  aha_cuda::moeUnpermuteBackward(dg, dys_, dsr, dw, dys, ddw, N, K, Dout, nullptr);
  aha_cuda::moeGroupedGemmBackward(dxs_, dW_, doff, dys, dxs, ddW, rows, E, Din, Dout, 0.f, nullptr);
  aha_cuda::moeGatherRowsBackward(dxs, dsr, ddx, N, K, Din, nullptr);
  check("moe dispatch backward dweights" + tag, fromF(download(ddw, N * K)), dwtR, 1e-3, 1e-4);
  check("moe dispatch backward dW" + tag, fromF(download(ddW, E * Dout * Din)), dWR, 1e-4, 1e-4);
  check("moe dispatch backward dx" + tag, fromBf(download(ddx, N * Din)), dxR, 1e-3, kBfTol);
  freeAll();
}

// ---- GEMM ----
void testGemm(const std::string& tag, int M, int N, int K, bool transA, bool bf16Out, float beta) {
  const Vec A = randn(M * K), B = randn(N * K), C0 = randn(M * N);
  // op(A)(m, k): A stored [M, K] or, transposed, [K, M]; B stored as a linear weight [N, K] (B(k, n) = W[n, k]).
  const int64_t sam = transA ? 1 : K, sak = transA ? M : 1, sbk = 1, sbn = K;
  Vec C(M * N);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += A[m * sam + k * sak] * B[k * sbk + n * sbn];
      C[m * N + n] = 0.5 * s + beta * (bf16Out ? bf(C0[m * N + n]) : C0[m * N + n]);
    }
  bf16 *dA = upload(toBf(A)), *dB = upload(toBf(B));
  if (bf16Out) {
    bf16* dC = upload(toBf(C0));
    aha_cuda::gemm(dA, sam, sak, dB, sbk, sbn, dC, M, N, K, 0.5f, beta, nullptr);
    check("gemm" + tag, fromBf(download(dC, M * N)), C, 1e-2, kBfTol);
    if (!transA) {  // the tensor-core path takes linear's layout only
      bf16* dC2 = upload(toBf(C0));
      aha_cuda::gemmTensorCore(dA, K, dB, K, dC2, M, N, K, 0.5f, beta, nullptr);
      check("gemmTensorCore" + tag, fromBf(download(dC2, M * N)), C, 1e-2, kBfTol);
    }
  } else {
    float* dC = upload(toF(C0));
    aha_cuda::gemm(dA, sam, sak, dB, sbk, sbn, dC, M, N, K, 0.5f, beta, nullptr);
    check("gemm" + tag, fromF(download(dC, M * N)), C, 1e-4, 1e-4);
    if (!transA) {
      float* dC2 = upload(toF(C0));
      aha_cuda::gemmTensorCore(dA, K, dB, K, dC2, M, N, K, 0.5f, beta, nullptr);
      // Looser than the CUDA-core path: tensor cores may add the products in an order and with a rounding of their own.
      check("gemmTensorCore" + tag, fromF(download(dC2, M * N)), C, 1e-3, 1e-3);
    }
  }
  freeAll();
}

// ---- log-probs ----
void testLogProbs() {
  const int N = 5, V = 1003;
  const Vec x = randn(N * V, 3), g = randn(N);
  std::vector<int32_t> t(N);
  for (int i = 0; i < N; ++i) t[i] = static_cast<int32_t>(rng() % V);
  Vec lse(N), lp(N), ent(N), gx(N * V);
  auto lpRef = [&](const Vec& xx) {
    Vec o(N);
    for (int n = 0; n < N; ++n) {
      double mx = -INFINITY, s = 0;
      for (int j = 0; j < V; ++j) mx = std::max(mx, xx[n * V + j]);
      for (int j = 0; j < V; ++j) s += std::exp(xx[n * V + j] - mx);
      o[n] = xx[n * V + t[n]] - (mx + std::log(s));
    }
    return o;
  };
  lp = lpRef(x);
  for (int n = 0; n < N; ++n) {
    lse[n] = x[n * V + t[n]] - lp[n];
    double px = 0;
    for (int j = 0; j < V; ++j) {
      const double p = std::exp(x[n * V + j] - lse[n]);
      px += p * x[n * V + j];
      gx[n * V + j] = g[n] * ((j == t[n]) - p);
    }
    ent[n] = lse[n] - px;
  }
  fdCheck(
      "logProbs.backward", [&](const Vec& xx) { return dotv(g, lpRef(xx)); }, x, gx);
  bf16* dx = upload(toBf(x));
  int32_t* dt = upload(t);
  float *dlse = devAlloc<float>(N), *dlp = devAlloc<float>(N), *dent = devAlloc<float>(N);
  aha_cuda::logProbsForward(dx, dt, dlse, dlp, dent, N, V, nullptr);
  check("logProbs.forward lse", fromF(download(dlse, N)), lse, 1e-5, 1e-5);
  check("logProbs.forward logp", fromF(download(dlp, N)), lp, 1e-4, 1e-5);
  check("logProbs.forward entropy", fromF(download(dent, N)), ent, 1e-4, 1e-4);
  float* dg = upload(toF(g));
  bf16* dgx = devAlloc<bf16>(N * V);
  aha_cuda::logProbsBackward(dx, dt, dlse, dg, dgx, N, V, nullptr);
  check("logProbs.backward", fromBf(download(dgx, N * V)), gx, 1e-4, kBfTol);
  freeAll();
}

// ---- LM head fused with the log-probs ----
void testLmHead(int N, int V, int Dm, int chunk) {
  const Vec h = randn(N * Dm), W = randn(V * Dm, 0.5), g = randn(N);
  std::vector<int32_t> t(N);
  for (int i = 0; i < N; ++i) t[i] = static_cast<int32_t>(rng() % V);
  auto logitsOf = [&](const Vec& hh) {
    Vec x(N * V);
    for (int n = 0; n < N; ++n)
      for (int v = 0; v < V; ++v) {
        double d = 0;
        for (int i = 0; i < Dm; ++i) d += hh[n * Dm + i] * W[v * Dm + i];
        x[n * V + v] = d;
      }
    return x;
  };
  auto lpOf = [&](const Vec& x, Vec* lse, Vec* ent) {
    Vec lp(N);
    for (int n = 0; n < N; ++n) {
      double mx = -INFINITY, s = 0, px = 0;
      for (int v = 0; v < V; ++v) mx = std::max(mx, x[n * V + v]);
      for (int v = 0; v < V; ++v) s += std::exp(x[n * V + v] - mx);
      const double L = mx + std::log(s);
      for (int v = 0; v < V; ++v) px += std::exp(x[n * V + v] - L) * x[n * V + v];
      lp[n] = x[n * V + t[n]] - L;
      if (lse) (*lse)[n] = L;
      if (ent) (*ent)[n] = L - px;
    }
    return lp;
  };
  const Vec x = logitsOf(h);
  Vec lse(N), ent(N);
  const Vec lp = lpOf(x, &lse, &ent);
  Vec dh(N * Dm, 0.0), dW(V * Dm, 0.0);
  for (int n = 0; n < N; ++n)
    for (int v = 0; v < V; ++v) {
      const double dl = g[n] * ((v == t[n]) - std::exp(x[n * V + v] - lse[n]));
      for (int i = 0; i < Dm; ++i) {
        dh[n * Dm + i] += dl * W[v * Dm + i];
        dW[v * Dm + i] += dl * h[n * Dm + i];
      }
    }
  const std::string tag = " N=" + std::to_string(N) + " V=" + std::to_string(V) + " Dm=" + std::to_string(Dm) +
                          " chunk=" + std::to_string(chunk);
  fdCheck(
      "lmHeadLogProbs.backward dh" + tag, [&](const Vec& hh) { return dotv(g, lpOf(logitsOf(hh), nullptr, nullptr)); },
      h, dh);
  bf16 *dhh = upload(toBf(h)), *dWW = upload(toBf(W));
  int32_t* dt = upload(t);
  float *dlse = devAlloc<float>(N), *dlp = devAlloc<float>(N), *dent = devAlloc<float>(N),
        *work = devAlloc<float>(static_cast<size_t>(aha_cuda::lmHeadWorkspace(N, chunk)));
  aha_cuda::lmHeadLogProbsForward(dhh, dWW, dt, dlse, dlp, dent, work, N, V, Dm, chunk, nullptr);
  check("lmHeadLogProbs.forward lse" + tag, fromF(download(dlse, N)), lse, 1e-4, 1e-5);
  check("lmHeadLogProbs.forward logp" + tag, fromF(download(dlp, N)), lp, 1e-4, 1e-5);
  check("lmHeadLogProbs.forward entropy" + tag, fromF(download(dent, N)), ent, 1e-4, 1e-4);
  float *dg = upload(toF(g)), *ddh = devAlloc<float>(N * Dm), *ddW = devAlloc<float>(V * Dm);
  aha_cuda::lmHeadLogProbsBackward(dhh, dWW, dt, dlse, dg, ddh, ddW, work, N, V, Dm, chunk, nullptr);
  // d logits pass through bf16 (the GEMM operands): bf16-level tolerances.
  check("lmHeadLogProbs.backward dh" + tag, fromF(download(ddh, N * Dm)), dh, 1e-2, kBfTol);
  check("lmHeadLogProbs.backward dW" + tag, fromF(download(ddW, V * Dm)), dW, 1e-2, kBfTol);
  freeAll();
}

// ---- causal attention ----
Vec attnRef(const Vec& q, const Vec& k, const Vec& v, int BH, int T, int D, double scale, Vec* lse = nullptr);

void testFlash(int BH, int T, int D) {
  const Vec q = randn(BH * T * D), k = randn(BH * T * D), v = randn(BH * T * D);
  const double scale = 1 / std::sqrt(static_cast<double>(D));
  Vec lse(BH * T);
  const Vec o = attnRef(q, k, v, BH, T, D, scale, &lse);
  bf16 *dq = upload(toBf(q)), *dk = upload(toBf(k)), *dv = upload(toBf(v)), *dout = devAlloc<bf16>(o.size());
  float* dl = devAlloc<float>(BH * T);
  aha_cuda::flashAttentionForward(dq, dk, dv, dout, dl, BH, T, D, static_cast<float>(scale), nullptr);
  const std::string tag = " BH=" + std::to_string(BH) + " T=" + std::to_string(T) + " D=" + std::to_string(D);
  check("flashAttention.forward o" + tag, fromBf(download(dout, o.size())), o, 2e-3, kBfTol);
  check("flashAttention.forward lse" + tag, fromF(download(dl, BH * T)), lse, 1e-4, 1e-5);
  freeAll();
}

// Causal attention in double: o [BH, T, D] (and lse [BH, T] when asked).
Vec attnRef(const Vec& q, const Vec& k, const Vec& v, int BH, int T, int D, double scale, Vec* lse) {
  Vec o(BH * T * D);
  for (int b = 0; b < BH; ++b)
    for (int i = 0; i < T; ++i) {
      std::vector<double> s(i + 1);
      double mx = -INFINITY, sum = 0;
      for (int j = 0; j <= i; ++j) {
        double d = 0;
        for (int c = 0; c < D; ++c) d += q[(b * T + i) * D + c] * k[(b * T + j) * D + c];
        s[j] = d * scale;
        mx = std::max(mx, s[j]);
      }
      for (int j = 0; j <= i; ++j) sum += (s[j] = std::exp(s[j] - mx));
      if (lse) (*lse)[b * T + i] = mx + std::log(sum);
      for (int c = 0; c < D; ++c) {
        double a = 0;
        for (int j = 0; j <= i; ++j) a += s[j] * v[(b * T + j) * D + c];
        o[(b * T + i) * D + c] = a / sum;
      }
    }
  return o;
}

void testFlashBackward(int BH, int T, int D, bool fd) {
  const Vec q = randn(BH * T * D), k = randn(BH * T * D), v = randn(BH * T * D), dO = randn(BH * T * D);
  const double scale = 1 / std::sqrt(static_cast<double>(D));
  Vec lse(BH * T);
  const Vec o = attnRef(q, k, v, BH, T, D, scale, &lse);
  Vec dq(q.size(), 0.0), dk(q.size(), 0.0), dv(q.size(), 0.0);
  for (int b = 0; b < BH; ++b)
    for (int i = 0; i < T; ++i) {
      const double* qi = &q[(b * T + i) * D];
      const double* gi = &dO[(b * T + i) * D];
      double delta = 0;
      for (int c = 0; c < D; ++c) delta += gi[c] * o[(b * T + i) * D + c];
      for (int j = 0; j <= i; ++j) {
        const double* kj = &k[(b * T + j) * D];
        double s = 0, dp = 0;
        for (int c = 0; c < D; ++c) {
          s += qi[c] * kj[c];
          dp += gi[c] * v[(b * T + j) * D + c];
        }
        const double p = std::exp(s * scale - lse[b * T + i]), ds = p * (dp - delta);
        for (int c = 0; c < D; ++c) {
          dq[(b * T + i) * D + c] += scale * ds * kj[c];
          dk[(b * T + j) * D + c] += scale * ds * qi[c];
          dv[(b * T + j) * D + c] += p * gi[c];
        }
      }
    }
  const std::string tag = " BH=" + std::to_string(BH) + " T=" + std::to_string(T) + " D=" + std::to_string(D);
  if (fd) {
    fdCheck(
        "flashAttention.backward dq" + tag, [&](const Vec& x) { return dotv(dO, attnRef(x, k, v, BH, T, D, scale)); },
        q, dq);
    fdCheck(
        "flashAttention.backward dk" + tag, [&](const Vec& x) { return dotv(dO, attnRef(q, x, v, BH, T, D, scale)); },
        k, dk);
    fdCheck(
        "flashAttention.backward dv" + tag, [&](const Vec& x) { return dotv(dO, attnRef(q, k, x, BH, T, D, scale)); },
        v, dv);
  }
  const size_t n = q.size();
  bf16 *dq_ = upload(toBf(q)), *dk_ = upload(toBf(k)), *dv_ = upload(toBf(v)), *dout = devAlloc<bf16>(n),
       *dgo = upload(toBf(dO)), *gq = devAlloc<bf16>(n), *gk = devAlloc<bf16>(n), *gv = devAlloc<bf16>(n);
  float *dl = devAlloc<float>(BH * T), *delta = devAlloc<float>(BH * T);
  aha_cuda::flashAttentionForward(dq_, dk_, dv_, dout, dl, BH, T, D, static_cast<float>(scale), nullptr);
  aha_cuda::flashAttentionBackward(dq_, dk_, dv_, dout, dl, dgo, gq, gk, gv, delta, BH, T, D, static_cast<float>(scale),
                                   nullptr);
  // The kernel's delta uses the bf16 o of the forward, so dq / dk carry that rounding too: an absolute term of 1e-2.
  check("flashAttention.backward dq" + tag, fromBf(download(gq, n)), dq, 1e-2, kBfTol);
  check("flashAttention.backward dk" + tag, fromBf(download(gk, n)), dk, 1e-2, kBfTol);
  check("flashAttention.backward dv" + tag, fromBf(download(gv, n)), dv, 1e-2, kBfTol);
  freeAll();
}

// ---- MLA decode over a paged latent cache ----
void testMlaDecode(int B, int H, int Dc, int Dr, int pageSize, const std::vector<int32_t>& lens) {
  const int row = Dc + Dr, maxPages = (*std::max_element(lens.begin(), lens.end()) + pageSize - 1) / pageSize;
  const int pages = B * maxPages;
  std::vector<int32_t> table(B * maxPages);  // a shuffled page order, so the block table is really followed
  for (int i = 0; i < pages; ++i) table[i] = i;
  std::shuffle(table.begin(), table.end(), rng);
  const Vec cache = randn(static_cast<size_t>(pages) * pageSize * row), ql = randn(B * H * Dc), qr = randn(B * H * Dr);
  const double scale = 1 / std::sqrt(static_cast<double>(row));
  Vec out(B * H * Dc), lse(B * H);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h) {
      const int qh = b * H + h;
      std::vector<double> s(lens[b]);
      double mx = -INFINITY, sum = 0;
      for (int t = 0; t < lens[b]; ++t) {
        const double* kv =
            &cache[(static_cast<size_t>(table[b * maxPages + t / pageSize]) * pageSize + t % pageSize) * row];
        double d = 0;
        for (int c = 0; c < Dc; ++c) d += ql[qh * Dc + c] * kv[c];
        for (int c = 0; c < Dr; ++c) d += qr[qh * Dr + c] * kv[Dc + c];
        s[t] = d * scale;
        mx = std::max(mx, s[t]);
      }
      for (int t = 0; t < lens[b]; ++t) sum += (s[t] = std::exp(s[t] - mx));
      lse[qh] = mx + std::log(sum);
      for (int c = 0; c < Dc; ++c) {
        double a = 0;
        for (int t = 0; t < lens[b]; ++t)
          a += s[t] *
               cache[(static_cast<size_t>(table[b * maxPages + t / pageSize]) * pageSize + t % pageSize) * row + c];
        out[qh * Dc + c] = a / sum;
      }
    }
  bf16 *dc = upload(toBf(cache)), *dql = upload(toBf(ql)), *dqr = upload(toBf(qr)), *dout = devAlloc<bf16>(out.size());
  int32_t *dt = upload(table), *dlen = upload(lens);
  float* dl = devAlloc<float>(B * H);
  aha_cuda::mlaDecode(dql, dqr, dc, dt, dlen, dout, dl, B, H, Dc, Dr, pageSize, maxPages, static_cast<float>(scale),
                      nullptr);
  const std::string tag = " B=" + std::to_string(B) + " H=" + std::to_string(H) + " Dc=" + std::to_string(Dc) +
                          " Dr=" + std::to_string(Dr) + " page=" + std::to_string(pageSize);
  check("mlaDecode o" + tag, fromBf(download(dout, out.size())), out, 2e-3, kBfTol);
  check("mlaDecode lse" + tag, fromF(download(dl, B * H)), lse, 1e-4, 1e-5);
  freeAll();
}

#ifdef __CUDACC__
// ---- GPU timings (gpu-check.sh --bench): cudaEvent around repeated launches, after a warm-up ----
float timeMs(const std::function<void()>& f, int reps = 20) {
  f();
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  cudaEventRecord(a);
  for (int i = 0; i < reps; ++i) f();
  cudaEventRecord(b);
  cudaEventSynchronize(b);
  float ms = 0;
  cudaEventElapsedTime(&ms, a, b);
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / reps;
}
void bench() {
  {  // RMSNorm: bytes moved = read x + write y (bf16)
    const int rows = 16384, D = 7168;
    bf16 *x = devAlloc<bf16>(size_t(rows) * D), *w = devAlloc<bf16>(D), *y = devAlloc<bf16>(size_t(rows) * D);
    float* rs = devAlloc<float>(rows);
    const float ms = timeMs([&] { aha_cuda::rmsNormForward(x, w, y, rs, rows, D, 1e-6f, nullptr); });
    std::printf("BENCH rmsNorm.forward %dx%d: %.3f ms, %.0f GB/s\n", rows, D, ms, 4.0 * rows * D / ms / 1e6);
  }
  {  // RMSNorm backward: reads g, x, writes gx (bf16) plus the dw passes
    const int rows = 16384, D = 7168;
    bf16 *x = devAlloc<bf16>(size_t(rows) * D), *w = devAlloc<bf16>(D), *g = devAlloc<bf16>(size_t(rows) * D),
         *gx = devAlloc<bf16>(size_t(rows) * D);
    float *rs = devAlloc<float>(rows), *gw = devAlloc<float>(D),
          *work = devAlloc<float>(size_t(aha_cuda::rmsNormWorkspace(rows, D)));
    const float ms = timeMs([&] { aha_cuda::rmsNormBackward(g, x, w, rs, gx, gw, work, rows, D, nullptr); });
    std::printf("BENCH rmsNorm.backward %dx%d: %.3f ms, %.0f GB/s (gx pass + dw passes)\n", rows, D, ms,
                10.0 * rows * D / ms / 1e6);
  }
  {  // SwiGLU: 3 bf16 streams
    const int64_t n = int64_t(1) << 27;
    bf16 *g = devAlloc<bf16>(n), *u = devAlloc<bf16>(n), *y = devAlloc<bf16>(n);
    const float ms = timeMs([&] { aha_cuda::swigluForward(g, u, y, n, nullptr); });
    std::printf("BENCH swiglu.forward n=%lld: %.3f ms, %.0f GB/s\n", static_cast<long long>(n), ms, 6.0 * n / ms / 1e6);
  }
  {  // GEMM (CUDA-core path): 2·M·N·K flops
    const int M = 4096, N = 4096, K = 4096;
    bf16 *A = devAlloc<bf16>(size_t(M) * K), *B = devAlloc<bf16>(size_t(N) * K), *C = devAlloc<bf16>(size_t(M) * N);
    const float ms = timeMs([&] { aha_cuda::gemm(A, K, 1, B, 1, K, C, M, N, K, 1.f, 0.f, nullptr); }, 5);
    std::printf("BENCH gemm %dx%dx%d (CUDA cores): %.3f ms, %.1f TFLOPS\n", M, N, K, ms, 2.0 * M * N * K / ms / 1e9);
    const float tc = timeMs([&] { aha_cuda::gemmTensorCore(A, K, B, K, C, M, N, K, 1.f, 0.f, nullptr); }, 5);
    std::printf("BENCH gemmTensorCore %dx%dx%d (WMMA): %.3f ms, %.1f TFLOPS (H100 SXM dense bf16 peak ~989)\n", M, N, K,
                tc, 2.0 * M * N * K / tc / 1e9);
  }
  {  // grouped expert GEMM at DeepSeek-V3 expert shapes: 4096 tokens × 8 of 256 experts, 7168 → 2048
    const int N = 4096, K = 8, E = 256, Din = 7168, Dout = 2048, rows = N * K;
    std::vector<int32_t> ids(rows);
    for (int i = 0; i < rows; ++i) ids[i] = (i / K * 37 + i % K * 32) % E;  // K distinct experts per token, balanced
    int32_t *di = upload(ids), *off = devAlloc<int32_t>(E + 1), *rt = devAlloc<int32_t>(rows),
            *sr = devAlloc<int32_t>(rows);
    bf16 *xs = devAlloc<bf16>(size_t(rows) * Din), *W = devAlloc<bf16>(size_t(E) * Dout * Din),
         *ys = devAlloc<bf16>(size_t(rows) * Dout);
    aha_cuda::moePermute(di, off, rt, sr, N, K, E, nullptr);
    const float pm = timeMs([&] { aha_cuda::moePermute(di, off, rt, sr, N, K, E, nullptr); });
    const float ms = timeMs([&] { aha_cuda::moeGroupedGemm(xs, W, off, ys, rows, E, Din, Dout, nullptr); }, 3);
    std::printf("BENCH moePermute N=%d K=%d E=%d: %.3f ms\n", N, K, E, pm);
    std::printf("BENCH moeGroupedGemm rows=%d E=%d %d->%d (WMMA): %.3f ms, %.1f TFLOPS (target: 60%% of dense peak)\n",
                rows, E, Din, Dout, ms, 2.0 * rows * double(Din) * Dout / ms / 1e9);
    freeAll();
  }
  {  // MLA decode, DeepSeek-V3 dims: bytes = the cache rows read once per batch item (FlashMLA's accounting)
    const int B = 128, H = 128, Dc = 512, Dr = 64, page = 64, len = 4096, maxPages = len / page;
    const size_t rows = size_t(B) * len;
    std::vector<int32_t> table(size_t(B) * maxPages), lens(B, len);
    for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<int32_t>(i);
    bf16 *cache = devAlloc<bf16>(rows * (Dc + Dr)), *ql = devAlloc<bf16>(size_t(B) * H * Dc),
         *qr = devAlloc<bf16>(size_t(B) * H * Dr), *o = devAlloc<bf16>(size_t(B) * H * Dc);
    int32_t *dt = upload(table), *dlen = upload(lens);
    float* l = devAlloc<float>(size_t(B) * H);
    const float ms = timeMs(
        [&] { aha_cuda::mlaDecode(ql, qr, cache, dt, dlen, o, l, B, H, Dc, Dr, page, maxPages, 0.04f, nullptr); }, 3);
    const double gbs = rows * (Dc + Dr) * 2.0 / ms / 1e6;
    std::printf("BENCH mlaDecode B=%d H=%d len=%d: %.3f ms, %.0f GB/s (%.0f%% of H100 SXM's 3350 GB/s; target 70%%)\n",
                B, H, len, ms, gbs, gbs / 33.5);
    freeAll();
  }
  {  // log-probs over a DeepSeek-V3-sized vocab row
    const int N = 2048, V = 129280;
    bf16* x = devAlloc<bf16>(size_t(N) * V);
    int32_t* t = devAlloc<int32_t>(N);
    float *lse = devAlloc<float>(N), *lp = devAlloc<float>(N);
    const float ms = timeMs([&] { aha_cuda::logProbsForward(x, t, lse, lp, nullptr, N, V, nullptr); });
    std::printf("BENCH logProbs.forward %dx%d: %.3f ms, %.0f GB/s\n", N, V, ms, 2.0 * N * V / ms / 1e6);
  }
  {  // LM head + log-probs, DeepSeek-V3 vocab and width, vocab chunks of 8192
    const int N = 2048, V = 129280, Dm = 7168, chunk = 8192;
    bf16 *h = devAlloc<bf16>(size_t(N) * Dm), *W = devAlloc<bf16>(size_t(V) * Dm);
    int32_t* t = devAlloc<int32_t>(N);
    float *lse = devAlloc<float>(N), *lp = devAlloc<float>(N),
          *work = devAlloc<float>(size_t(aha_cuda::lmHeadWorkspace(N, chunk)));
    const float ms =
        timeMs([&] { aha_cuda::lmHeadLogProbsForward(h, W, t, lse, lp, nullptr, work, N, V, Dm, chunk, nullptr); }, 3);
    std::printf("BENCH lmHeadLogProbs.forward N=%d V=%d Dm=%d: %.3f ms, %.1f TFLOPS\n", N, V, Dm, ms,
                2.0 * N * double(V) * Dm / ms / 1e9);
    freeAll();
  }
  {  // causal attention: 2·2·T²·D/2 flops per head
    const int BH = 64, T = 4096, D = 128;
    const size_t n = size_t(BH) * T * D;
    bf16 *q = devAlloc<bf16>(n), *k = devAlloc<bf16>(n), *v = devAlloc<bf16>(n), *o = devAlloc<bf16>(n);
    float* l = devAlloc<float>(size_t(BH) * T);
    const float ms = timeMs([&] { aha_cuda::flashAttentionForward(q, k, v, o, l, BH, T, D, 0.088f, nullptr); }, 3);
    std::printf("BENCH flashAttention.forward BH=%d T=%d D=%d: %.3f ms, %.1f TFLOPS\n", BH, T, D, ms,
                2.0 * BH * double(T) * T * D / ms / 1e9);
    bf16 *dO = devAlloc<bf16>(n), *dq = devAlloc<bf16>(n), *dk = devAlloc<bf16>(n), *dv = devAlloc<bf16>(n);
    float* delta = devAlloc<float>(size_t(BH) * T);
    const float bw = timeMs(
        [&] { aha_cuda::flashAttentionBackward(q, k, v, o, l, dO, dq, dk, dv, delta, BH, T, D, 0.088f, nullptr); }, 3);
    std::printf("BENCH flashAttention.backward BH=%d T=%d D=%d: %.3f ms, %.1f TFLOPS (2.5x the forward's flops)\n", BH,
                T, D, bw, 5.0 * BH * double(T) * T * D / bw / 1e9);
  }
  freeAll();
}
#endif

}  // namespace

int main(int argc, char** argv) {
#ifdef __CUDACC__
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "harness: no CUDA device visible\n");
    return 2;
  }
  cudaDeviceProp prop;
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
#endif
  testPrimitives();
  testRmsNorm(7, 301);
  testRmsNorm(131, 45);  // more rows than dw chunks
  testSwiglu();
  testRope();
  testEmbedding();
  testAdamw();
  testMoeRoute(" E=16 G=4 k=4", 13, {16, 4, 4, 2, true, 2.5f}, false);
  testMoeRoute(" E=12 G=3 k=3 ties, no norm", 9, {12, 3, 3, 2, false, 1.f}, true);
  testMoeRoute(" E=64 G=8 k=6", 5, {64, 6, 8, 3, true, 2.5f}, false);
  testMoeDispatch(" N=13 K=3 E=5", 13, 3, 5, 5, 24, 37);
  testMoeDispatch(" N=110 K=2 E=4, one empty, >64 rows", 110, 2, 4, 3, 40, 70);
  testGemm(" 37x29x45 f32", 37, 29, 45, false, false, 0.f);
  testGemm(" 70x67x33 Aᵀ f32 beta=1", 70, 67, 33, true, false, 1.f);
  testGemm(" 65x3x17 bf16 beta=0.5", 65, 3, 17, false, true, 0.5f);
  testGemm(" 70x131x77 f32 beta=1", 70, 131, 77, false, false, 1.f);
  testLogProbs();
  testLmHead(9, 300, 40, 128);
  testLmHead(70, 97, 24, 97);
  testFlash(3, 45, 40);
  testFlash(2, 37, 128);
  testMlaDecode(3, 10, 64, 16, 16, {1, 37, 50});
  testMlaDecode(2, 3, 512, 64, 64, {70, 5});
  testFlashBackward(1, 19, 24, true);
  testFlashBackward(2, 45, 40, false);
  testFlashBackward(1, 37, 128, false);
#ifdef __CUDACC__
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--bench") bench();
#else
  (void)argc;
  (void)argv;
#endif
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
