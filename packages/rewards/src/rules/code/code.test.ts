import { describe, expect, it } from 'vitest';
import { createRewardContext, type Sample } from '../../reward.js';
import { scoreRewards } from '../../runner.js';
import { type CodeOptions, codeReward, extractCode } from './code.js';
import { runJavaScriptTests } from './js-sandbox.js';
import { pythonEnvironment, runPythonTests } from './python-sandbox.js';
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

const python = pythonEnvironment();
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

describe.skipIf(!python)('codeReward (Python subprocess)', () => {
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

it('without python3, a Python sample is an error, not a 0', async () => {
  const reward = codeReward({ languages: ['python'] });
  const sample: Sample = { prompt: 'q', completion: answer('python', pySum), tests: sumTests };
  if (python) {
    expect(extractCode(String(sample.completion), ['python'])?.language).toBe('python');
    return; // the error path needs a machine without python3
  }
  const [r] = await scoreRewards(reward, [sample]);
  expect(r.details[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/python3 is not available/) });
});
