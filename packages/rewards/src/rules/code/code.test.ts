/**
 * codeReward tests: scoring, answer extraction, the QuickJS and Python limits, and the table of cheats a policy could
 * learn (exit-status fakes, patched assert helpers and built-ins, forged verdicts, reaching the harness's nonce) that
 * must all score 0 while honest solutions score 1. The attacks on the Python sandbox itself (files, sockets, signals,
 * fork bombs, escaped children) are in python-sandbox.test.ts.
 *
 * Leaves out: values that lie through truthiness, ordering or arithmetic (not defended; docs/concepts/sandbox.md).
 */
import { describe, expect, it } from 'vitest';
import { createRewardContext, type Sample } from '../../reward.js';
import { scoreRewards } from '../../runner.js';
import { type CodeOptions, codeReward, extractCode } from './code.js';
import { runJavaScriptTests } from './js-sandbox.js';
import { type PythonEnvironment, pythonEnvironment, runPythonTests } from './python-sandbox.js';
import type { SandboxLimits, TestCase } from './tests.js';

const limits: SandboxLimits = { timeoutMs: 300, memoryBytes: 32 * 1024 * 1024, maxOutputBytes: 4096 };
const sumTests: TestCase[] = [
  { input: '1 2\n', output: '3' },
  { input: '10 -4\n', output: '6\n' },
];
const answer = (lang: string, code: string) =>
  `<think>plan</think>\n<answer>\n\`\`\`${lang}\n${code}\n\`\`\`\n</answer>`;

const jsSum = 'const [a, b] = readline().split(" ").map(Number);\nconsole.log(a + b);';
// [reason, completion, tests, expected, options?]
const jsCases: [string, string, TestCase[], number, CodeOptions?][] = [
  ['correct stdin → stdout program passes every test', answer('js', jsSum), sumTests, 1],
  ['fraction of tests passed (open-r1 code_reward)', answer('javascript', 'print(3)'), sumTests, 0.5],
  ['all-or-nothing scoring', answer('js', 'print(3)'), sumTests, 0, { scoring: 'all' }],
  [
    'assertion tests call the solution',
    answer('js', 'function add(a, b) { return a + b; }'),
    [{ assert: 'assert(add(2, 3) === 5)' }, { assert: 'assert(add(2, 2) === 5, "2+2")' }],
    0.5,
  ],
  ['an infinite loop is cut by the interrupt handler', answer('js', 'while (true) {}'), [sumTests[0]], 0],
  [
    'unbounded recursion hits the stack cap, not the host stack',
    answer('js', 'function f(n) { return f(n + 1) + 1; }\nf(0);'),
    sumTests,
    0,
  ],
  [
    'an endless promise chain is stopped (time or heap limit)',
    answer('js', 'const spin = () => Promise.resolve().then(spin);\nspin();'),
    [sumTests[0]],
    0,
  ],
  [
    'a memory bomb hits the heap cap',
    answer('js', 'const a = []; for (;;) a.push(new Float64Array(1e6));'),
    sumTests,
    0,
  ],
  [
    'no file system: require is not defined',
    answer('js', 'require("fs").readFileSync("/etc/passwd"); print(3)'),
    sumTests,
    0,
  ],
  ['no network: fetch is not defined', answer('js', 'fetch("http://example.com"); print(3)'), sumTests, 0],
  ['no code fence in the answer → 0', '<think>x</think><answer>console.log(3)</answer>', sumTests, 0],
  [
    'loophole: code only inside the think block → 0',
    `<think>\`\`\`js\n${jsSum}\n\`\`\`</think><answer>see above</answer>`,
    sumTests,
    0,
  ],
  [
    'the last accepted fence wins (a draft before the final code)',
    answer('js', 'print(0)\n```\n```js\n' + jsSum),
    sumTests,
    1,
  ],
  ['a fence in a language not accepted is ignored', answer('ruby', 'puts 3'), sumTests, 0],
];

describe('codeReward (JavaScript in QuickJS)', () => {
  it.each(jsCases)('%s', async (_reason, completion, tests, expected, options) => {
    const reward = codeReward({
      timeoutMs: 2000, // generous: a correct program must not time out on a loaded machine
      memoryBytes: 16 * 1024 * 1024,
      ...options,
    });
    const [value] = await reward.score([{ prompt: 'q', completion, tests }], createRewardContext());
    expect(value).toBeCloseTo(expected, 12);
  });

  it('tells timeouts, memory and errors apart', async () => {
    const runs = await runJavaScriptTests(
      'if (input === "loop") for (;;) {} else if (input === "mem") { const a = []; for (;;) a.push(new Float64Array(1e6)); } else undefinedThing();',
      [
        { input: 'loop', output: '' },
        { input: 'mem', output: '' },
        { input: 'err', output: '' },
      ],
      limits,
    );
    expect(runs.map((r) => r.status)).toEqual(['timeout', 'memory', 'error']);
    expect(runs[2].message).toMatch(/ReferenceError/);
  });

  it('caps output floods', async () => {
    const [run] = await runJavaScriptTests('for (let i = 0; i < 1e6; i++) print("spam")', [{ output: '' }], limits);
    expect(run).toMatchObject({ status: 'fail', message: expect.stringMatching(/bytes of output/) });
  });

  it('requires a non-empty tests column', async () => {
    await expect(scoreRewards(codeReward(), [{ prompt: 'q', completion: 'x', tests: [] }])).rejects.toThrow(
      /reward 'code': column 'tests'/,
    );
  });
});

// The Python tests need bubblewrap (CI installs it: tools/setup-sandbox.sh); the cheat table also runs unsandboxed,
// since the harness's verdict, not the sandbox, is what it tests.
let python: PythonEnvironment | undefined;
let noBwrap = '';
try {
  python = pythonEnvironment('bwrap');
  if (!python) noBwrap = 'python3 is not installed';
} catch (err) {
  noBwrap = (err as Error).message;
}
const unsandboxed = python ? undefined : pythonEnvironment('none');
const cheatSandbox = python ? 'bwrap' : 'none';
const pySum = 'a, b = map(int, input().split())\nprint(a + b)';
const pyCases: [string, string, TestCase[], number][] = [
  ['correct stdin → stdout program', answer('python', pySum), sumTests, 1],
  ['assertion tests', answer('py', 'def add(a, b):\n    return a + b'), [{ assert: 'assert add(2, 3) == 5' }], 1],
  ['a wrong answer fails', answer('python', 'print(3)'), sumTests, 0.5],
  ['an infinite loop is killed at the time limit', answer('python', 'while True:\n    pass'), [sumTests[0]], 0],
  ['a memory bomb hits RLIMIT_AS', answer('python', 'x = bytearray(1 << 34)\nprint(3)'), sumTests, 0],
  [
    'no network: a socket cannot be opened',
    answer('python', 'import socket\nsocket.create_connection(("1.1.1.1", 80), timeout=1)\nprint(3)'),
    sumTests,
    0,
  ],
];

describe.skipIf(!python)(`codeReward (Python in bubblewrap)${noBwrap ? ` — skipped: ${noBwrap}` : ''}`, () => {
  it.each(pyCases)('%s', async (_reason, completion, tests, expected) => {
    const reward = codeReward({ timeoutMs: 1000 });
    const [value] = await reward.score([{ prompt: 'q', completion, tests }], createRewardContext());
    expect(value).toBeCloseTo(expected, 12);
  });

  it('reports what happened per test', async () => {
    const runs = await runPythonTests(
      'import sys\nt = sys.stdin.read().strip()\nif t == "loop":\n    while True: pass\nelif t == "mem":\n    x = bytearray(1 << 34)\nelse:\n    raise ValueError("bad input")',
      [
        { input: 'loop', output: '' },
        { input: 'mem', output: '' },
        { input: 'err', output: '' },
      ],
      { ...limits, timeoutMs: 1000, memoryBytes: 256 * 1024 * 1024 },
      python!,
    );
    expect(runs.map((r) => r.status)).toEqual(['timeout', 'memory', 'error']);
    expect(runs[2].message).toMatch(/ValueError: bad input/);
  });
});

it.runIf(process.env.CI)('CI has bubblewrap and python3 (installed by .ci/run)', () => {
  expect(noBwrap).toBe('');
});

it('without python3, a Python sample is an error, not a 0', async () => {
  const reward = codeReward({ languages: ['python'], sandbox: 'none' });
  const sample: Sample = { prompt: 'q', completion: answer('python', pySum), tests: sumTests };
  if (python ?? unsandboxed) {
    expect(extractCode(String(sample.completion), ['python'])?.language).toBe('python');
    return; // the error path needs a machine without python3
  }
  const [r] = await scoreRewards(reward, [sample]);
  expect(r.details[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/python3 is not available/) });
});

// Cheats: each completion is wrong, and each tries to pass anyway. [reason, code, tests?]
const addTest: TestCase[] = [{ assert: 'assert(add(2, 3) === 5)' }, { assert: 'assert(add(1, 1) === 2, "1+1")' }];
const jsWrongAdd = 'function add(a, b) { return 0; }\n';
const jsCheats: [string, string, TestCase[]?][] = [
  ['globalThis.assert = () => {}', `${jsWrongAdd}globalThis.assert = () => {};`],
  ['a top-level let assert shadows the global', `let assert = () => {};\n${jsWrongAdd}`],
  ['a function declaration named assert', `function assert() {}\n${jsWrongAdd}`],
  ['var assert', `var assert = function () {};\n${jsWrongAdd}`],
  ['throwing a non-Error at the end', `${jsWrongAdd}throw 0;`],
  ['throwing undefined', `${jsWrongAdd}throw undefined;`],
  [
    'console.log replaced and a fake "all passed" line',
    `${jsWrongAdd}print("all tests passed"); console.log = () => {};`,
  ],
  ['process.exit(0) (not reachable in QuickJS)', `${jsWrongAdd}process.exit(0);`],
  ['the function throws a non-Error the test could mistake for success', 'function add() { throw null; }'],
  [
    'JSON.stringify patched',
    'function sort(a) { return a; }\nJSON.stringify = () => "[1,2,3]";',
    [{ assert: 'assert(JSON.stringify(sort([3, 1, 2])) === "[1,2,3]")' }],
  ],
  [
    'JSON shadowed by a top-level let',
    'function sort(a) { return a; }\nlet JSON = { stringify: () => "[1,2,3]" };',
    [{ assert: 'assert(JSON.stringify(sort([3, 1, 2])) === "[1,2,3]")' }],
  ],
  [
    'Array.prototype.toJSON added',
    'function sort(a) { return a; }\nArray.prototype.toJSON = function () { return [1, 2, 3]; };',
    [{ assert: 'assert(JSON.stringify(sort([3, 1, 2])) === "[1,2,3]")' }],
  ],
  [
    'Array.prototype.join replaced for good (non-configurable)',
    'function sort(a) { return a; }\nObject.defineProperty(Array.prototype, "join", { value: () => "1,2,3", configurable: false, writable: false });',
    [{ assert: 'assert(sort([3, 1, 2]).join() === "1,2,3")' }],
  ],
  [
    'the returned promise swallows the failure',
    'async function add() { return 0; }',
    [{ assert: 'return add(2, 3).then((v) => assert(v === 5)).catch(() => {});' }],
  ],
];
const jsHonest: [string, string, TestCase[]?][] = [
  ['a plain solution', 'function add(a, b) { return a + b; }'],
  [
    'a solution that uses the global assert itself',
    'function add(a, b) { assert(typeof a === "number"); return a + b; }',
  ],
  [
    'a solution that adds its own prototype helper',
    'Array.prototype.sum = function () { return this.reduce((s, x) => s + x, 0); };\nfunction add(a, b) { return [a, b].sum(); }',
  ],
  [
    'an async solution with a promise-returning test',
    'async function add(a, b) { return a + b; }',
    [{ assert: 'return add(2, 3).then((v) => assert(v === 5));' }],
  ],
  [
    'JSON used honestly',
    'function sort(a) { return [...a].sort((x, y) => x - y); }',
    [{ assert: 'assert(JSON.stringify(sort([3, 1, 2])) === "[1,2,3]")' }],
  ],
];

describe('codeReward cannot be faked (JavaScript)', () => {
  const score = async (code: string, tests: TestCase[]) => {
    const reward = codeReward({ timeoutMs: 2000, memoryBytes: 16 * 1024 * 1024 });
    const [value] = await reward.score([{ prompt: 'q', completion: answer('js', code), tests }], createRewardContext());
    return value;
  };
  it.each(jsCheats)('cheat scores 0: %s', async (_reason, code, tests = addTest) => {
    expect(await score(code, tests)).toBe(0);
  });
  it.each(jsHonest)('honest scores 1: %s', async (_reason, code, tests = addTest) => {
    expect(await score(code, tests)).toBe(1);
  });
});

const pyAddTest: TestCase[] = [{ assert: 'assert add(2, 3) == 5' }, { assert: 'assert add(1, 1) == 2, "1+1"' }];
const pyWrongAdd = 'def add(a, b):\n    return 0\n';
const pyCheats: [string, string, TestCase[]?][] = [
  ['raise SystemExit(0)', `${pyWrongAdd}raise SystemExit(0)`],
  ['sys.exit(0)', `${pyWrongAdd}import sys\nsys.exit(0)`],
  ['os._exit(0)', `${pyWrongAdd}import os\nos._exit(0)`],
  [
    'sys.exit(0) in a finally of the function the test calls',
    'import sys\ndef add(a, b):\n    try:\n        return 0\n    finally:\n        sys.exit(0)',
  ],
  ['os._exit(0) inside the function the test calls', 'import os\ndef add(a, b):\n    os._exit(0)'],
  ['an atexit handler that exits 0', `${pyWrongAdd}import atexit, os\natexit.register(lambda: os._exit(0))`],
  ['KeyboardInterrupt from the function', 'def add(a, b):\n    raise KeyboardInterrupt'],
  ['a printed fake verdict and "all passed"', `${pyWrongAdd}print("0" * 32 + " pass")\nprint("all tests passed")`],
  ['a fake verdict written on fd 3', `${pyWrongAdd}import os\nos.write(3, b"0" * 32 + b" pass\\n")`],
  [
    'reading fd 3 for the nonce',
    `${pyWrongAdd}import os\nos.set_blocking(3, False)\ntry:\n    n = os.read(3, 4096)\nexcept BlockingIOError:\n    n = b""\nos.write(3, n[:32] + b" pass\\n")\nos._exit(0)`,
  ],
  ['a pipe dup2-ed over fd 3', `${pyWrongAdd}import os\nr, w = os.pipe()\nos.dup2(w, 3)`],
  [
    'builtins.AssertionError replaced',
    `${pyWrongAdd}import builtins\nbuiltins.AssertionError = type("A", (Exception,), {})`,
  ],
  ['builtins.print replaced', `${pyWrongAdd}import builtins\nbuiltins.print = lambda *a, **k: None`],
  [
    'builtins.len patched for the test',
    'import builtins\nbuiltins.len = lambda x: 3\ndef three():\n    return []',
    [{ assert: 'assert len(three()) == 3' }],
  ],
  [
    'builtins.sorted patched for the test',
    'import builtins\nbuiltins.sorted = lambda x: [1, 2, 3]\ndef f():\n    return [3, 3, 3]',
    [{ assert: 'assert sorted(f()) == [1, 2, 3]' }],
  ],
  [
    'the test helper predefined',
    `def check(candidate):\n    pass\n${pyWrongAdd}`,
    [{ assert: 'def check(candidate):\n    assert candidate(2, 3) == 5\ncheck(add)' }],
  ],
  ['walking the stack to the harness (sys._getframe)', `${pyWrongAdd}import sys\nprint(sys._getframe(1).f_locals)`],
  [
    'walking a traceback to the harness',
    `${pyWrongAdd}try:\n    raise ValueError\nexcept ValueError as e:\n    print(e.__traceback__.tb_frame.f_back.f_locals)`,
  ],
  ['scanning the heap for the nonce', `${pyWrongAdd}import gc\nprint(len(gc.get_objects()))`],
  ['ctypes', `${pyWrongAdd}import ctypes`],
  ['a signal handler (it receives the current frame)', `${pyWrongAdd}import signal`],
  [
    'a signal handler from _imp.create_builtin (no import event) that walks to the nonce',
    `import _imp, os\nfrom importlib.machinery import ModuleSpec\nsig = _imp.create_builtin(ModuleSpec("_signal", None))\n_imp.exec_builtin(sig)\ndef handler(n, frame):\n    while frame is not None:\n        if "nonce" in frame.f_locals:\n            os.write(3, frame.f_locals["nonce"] + b" pass\\n")\n            os._exit(0)\n        frame = frame.f_back\nsig.signal(sig.SIGALRM, handler)\nsig.setitimer(sig.ITIMER_REAL, 0.001, 0.001)\nfor _ in range(100000):\n    pass\n${pyWrongAdd}`,
  ],
  ['a trace function', `${pyWrongAdd}import sys\nsys.settrace(lambda *a: None)`],
  ['an audit hook of its own', `${pyWrongAdd}import sys\nsys.addaudithook(lambda *a: None)`],
  ['running another program', `${pyWrongAdd}import os\nos.system("true")`],
  ['reading /proc/self/mem', `${pyWrongAdd}open("/proc/self/mem", "rb")`],
  [
    'an object whose __eq__ always answers True',
    'class Eq:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\ndef add(a, b):\n    return Eq()',
  ],
  [
    'an int subclass whose __eq__ always answers True',
    'class Int(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\ndef add(a, b):\n    return Int(0)',
  ],
  [
    'an always-equal object inside a list',
    'class Eq:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return [Eq()]',
    [{ assert: 'assert add(2, 3) == [5]' }],
  ],
  [
    'an always-equal object through a check(candidate) helper',
    'class Eq:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Eq()',
    [{ assert: 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(1, 1) == 2\ncheck(add)' }],
  ],
  [
    'an always-equal key in a dict',
    'class Eq:\n    def __eq__(self, other):\n        return True\n    def __hash__(self):\n        return hash("a")\ndef f():\n    return {Eq(): 1}',
    [{ assert: 'assert f() == {"a": 1}' }],
  ],
  [
    'a thread left running (it could swap fd 3 while the verdict is written)',
    'import threading, time\ndef add(a, b):\n    return a + b\nthreading.Thread(target=lambda: time.sleep(100), daemon=True).start()',
  ],
];
const pyHonest: [string, string, TestCase[]?][] = [
  ['a plain solution', 'def add(a, b):\n    return a + b'],
  [
    'namedtuple, enum, dataclasses, typing (they look at the caller frame)',
    'from collections import namedtuple\nimport enum, dataclasses, typing\nP = namedtuple("P", "x y")\nColor = enum.Enum("Color", "RED GREEN")\nT = typing.TypeVar("T")\n@dataclasses.dataclass\nclass D:\n    x: int\ndef add(a, b):\n    return P(a, b).x + D(b).x',
  ],
  [
    'a main guard and sys.exit(0) at the end of a stdin program',
    'import sys\ndef main():\n    a, b = map(int, sys.stdin.read().split())\n    print(a + b)\nif __name__ == "__main__":\n    main()\n    sys.exit(0)',
    sumTests,
  ],
  [
    'the big-stack thread idiom of competitive programming',
    'import sys, threading\nsys.setrecursionlimit(10000)\nthreading.stack_size(1 << 25)\ndef main():\n    a, b = map(int, input().split())\n    print(a + b)\nthreading.Thread(target=main).start()',
    sumTests,
  ],
  ['stdin read through open(0)', 'a, b = map(int, open(0).read().split())\nprint(a + b)', sumTests],
  [
    'exit() at the end of a stdin program (a site builtin)',
    'a, b = map(int, input().split())\nprint(a + b)\nexit()',
    sumTests,
  ],
  ['a scratch file in the working folder', 'open("process.txt", "w").write("x")\ndef add(a, b):\n    return a + b'],
  [
    'numbers of mixed types, sets against frozensets, != and objects the test builds',
    'import dataclasses\n@dataclasses.dataclass(frozen=True)\nclass P:\n    x: int\ndef add(a, b):\n    return (a + b) / 1\ndef points():\n    return {P(1)}',
    [
      { assert: 'assert add(2, 3) == 5' },
      { assert: 'assert add(2, 3) != 6' },
      { assert: 'assert points() == {P(1)}' },
      { assert: 'assert {1, 2} == frozenset([add(1, 0), 2])' },
    ],
  ],
  [
    'a test that needs the module level (a star import)',
    'def add(a, b):\n    return a + b',
    [{ assert: 'from math import *\nassert add(2, 3) == floor(5.5)' }],
  ],
  ['output on stderr', 'import sys\nprint("debug", file=sys.stderr)\ndef add(a, b):\n    return a + b'],
];

describe.skipIf(!(python ?? unsandboxed))(`codeReward cannot be faked (Python, sandbox '${cheatSandbox}')`, () => {
  const score = async (code: string, tests: TestCase[]) => {
    const reward = codeReward({ timeoutMs: 1000, sandbox: cheatSandbox });
    const [value] = await reward.score(
      [{ prompt: 'q', completion: answer('python', code), tests }],
      createRewardContext(),
    );
    return value;
  };
  it.each(pyCheats)('cheat scores 0: %s', async (_reason, code, tests = pyAddTest) => {
    expect(await score(code, tests)).toBe(0);
  });
  it.each(pyHonest)('honest scores 1: %s', async (_reason, code, tests = pyAddTest) => {
    expect(await score(code, tests)).toBe(1);
  });
});
