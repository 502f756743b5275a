"""Lower bound of Hugging Face Math-Verify's cost per case, for packages/rewards/bench/verify-math.ts.

Math-Verify parses both answers from LaTeX to SymPy (ANTLR grammar, normalization) and then compares them, at least
with SymPy's simplify of the difference. This script does only the second part, on expressions already printed as
SymPy source (benchmarks/results/sympy-cases.json from sympy-cases.ts): sympify both sides, simplify(a - b) == 0.
Whatever Math-Verify costs per case, it costs more than this. One process, like one verifyMath worker pool call site.
Writes benchmarks/results/sympy-proxy.json.  Run: python3 packages/rewards/bench/sympy-proxy.py [passes]
"""
import json
import signal
import sys
import time
from pathlib import Path

import sympy
from sympy import E, Abs, Integer, Rational, Symbol, ceiling, factorial, floor, log, oo, pi, root, simplify, sqrt  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]
pairs = json.loads((ROOT / "benchmarks/results/sympy-cases.json").read_text())
passes = int(sys.argv[1]) if len(sys.argv) > 1 else 1
names = {k: v for k, v in vars(sympy).items() if not k.startswith("_")}
names["log10"] = lambda x: log(x, 10)

# Math-Verify cuts a comparison off after timeout_seconds (5 s by default); we cut at CAP_S, which only makes this
# bound lower (cheaper) than Math-Verify's real cost.
CAP_S = 1.0


class Cut(Exception):
    pass


def alarm(_sig, _frame):
    raise Cut


signal.signal(signal.SIGALRM, alarm)
cut = 0
times = []
for _ in range(passes):
    for gold, answer in pairs:
        t = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, CAP_S)
        try:
            a = eval(gold, names)  # noqa: S307 - our own printed expressions
            b = eval(answer, names)  # noqa: S307
            simplify(a - b) == 0  # noqa: B015
        except Cut:
            cut += 1
        except Exception:  # noqa: BLE001 - SymPy may refuse (oo - oo); the time still counts
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        times.append(time.perf_counter() - t)
seconds = sum(times)
times.sort()
calls = passes * len(pairs)
result = {
    "sympy": sympy.__version__,
    "cases": len(pairs),
    "calls": calls,
    "cutAtSeconds": CAP_S,
    "cut": cut,
    "medianMs": round(1000 * times[len(times) // 2], 3),
    "casesPerSecond": round(calls / seconds, 1),
}
(ROOT / "benchmarks/results/sympy-proxy.json").write_text(json.dumps(result, indent=2) + "\n")
print(f"SymPy sympify + simplify(a - b): {result['casesPerSecond']} cases/s over {calls} calls")
