"""numpy's bundled OpenBLAS as an sgemm baseline for benchmarks/run.ts (any python3 with numpy >= 2 wheels).

Usage: python3 numpy_sgemm.py SIZE... ; OPENBLAS_NUM_THREADS sets the threads, and the caller decides whether the
environment's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pins reach this process. Prints one JSON line: the numpy version,
the bundled library, the kernel family OpenBLAS picked (its get_corename) and build config, a correctness check
(float32 products, plain and transposed, against a float64 product: max |error| / K), and min seconds of S x S x S
float32 matmuls over repeats after a warm-up. Leaves out: other BLAS builds (the C harness sgemm.c links Debian's).
"""

import ctypes
import glob
import json
import os
import sys
import time

import numpy as np


def bundled_openblas():
    """ctypes handle on the OpenBLAS inside numpy's wheel (numpy.libs/libscipy_openblas*), or None."""
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas*.so*"))):
        return path, ctypes.CDLL(path)
    return None, None


def openblas_info(lib):
    out = {}
    for key, names in (
        ("corename", ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename")),
        ("config", ("scipy_openblas_get_config64_", "scipy_openblas_get_config")),
    ):
        for name in names:
            fn = getattr(lib, name, None) if lib is not None else None
            if fn is not None:
                fn.restype = ctypes.c_char_p
                out[key] = fn().decode()
                break
    return out


def check():
    rng = np.random.default_rng(1)
    worst = 0.0
    for m, n, k in ((257, 129, 300), (64, 515, 1031)):
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        for got in (a @ b, (b.T @ a.T).T, np.ascontiguousarray(a.T).T @ b):
            worst = max(worst, float(np.max(np.abs(got - ref))) / k)
    return worst


def seconds(size):
    rng = np.random.default_rng(2)
    a = rng.uniform(-0.5, 0.5, (size, size)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, (size, size)).astype(np.float32)
    c = np.empty((size, size), np.float32)
    np.matmul(a, b, out=c)
    best, reps, start = float("inf"), 0, time.perf_counter()
    while reps < 3 or time.perf_counter() - start < 0.3:
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - t0)
        reps += 1
    return best


def main():
    path, lib = bundled_openblas()
    result = {
        "python": sys.executable,
        "numpy": np.__version__,
        "library": path,
        **openblas_info(lib),
        "env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
        "maxErrorPerK": check(),
        "rows": [{"size": s, "seconds": seconds(s)} for s in map(int, sys.argv[1:])],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
