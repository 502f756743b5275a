/**
 * Runs generated JavaScript in a WebAssembly sandbox (QuickJS compiled to WASM, via quickjs-emscripten). The guest has
 * no `require`, no `fetch`, no file system and no host objects except the few we hand in: `print`/`console.log`
 * (captured stdout), `readline()` (next stdin line or null, as in the d8/SpiderMonkey shells), `input` (all of stdin)
 * and `assert(cond, message)`. Each test gets a fresh runtime with a heap cap (`setMemoryLimit`), a stack cap and an
 * interrupt handler that stops it at its deadline — so an infinite loop in the guest cannot block the host.
 *
 * Fragile: QuickJS checks the interrupt handler between bytecodes, not inside one builtin call, so a single long native
 * call (e.g. a huge `Array.prototype.fill` thrashing the GC near the heap cap) can overrun the deadline by seconds.
 * The heap cap bounds how long that can last; for a hard wall-clock guarantee, run the reward in a worker
 * (`defineReward({ worker })`), where the runner terminates the thread.
 *
 * Leaves out: ES modules / `import` in the guest (scripts only), TypeScript, Node APIs (`process.stdin`): programs that
 * need them fail their tests. QuickJS is a different engine from V8: exotic built-ins may differ.
 */
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
  shouldInterruptAfterDeadline,
} from 'quickjs-emscripten-core';
import { judgeOutput, programFor, type SandboxLimits, type TestCase, type TestRun } from './tests.js';

let modulePromise: Promise<QuickJSWASMModule> | undefined;

/** The QuickJS WASM module, compiled once per process. */
export function quickjs(): Promise<QuickJSWASMModule> {
  modulePromise ??= newQuickJSWASMModuleFromVariant(import('@jitl/quickjs-wasmfile-release-sync'));
  return modulePromise;
}

/** Runs `code` against every test (each in a fresh QuickJS runtime), in order. */
export async function runJavaScriptTests(
  code: string,
  tests: readonly TestCase[],
  limits: SandboxLimits,
): Promise<TestRun[]> {
  const qjs = await quickjs();
  return tests.map((test) =>
    runOne(qjs, programFor(code, test), 'input' in test ? (test.input ?? '') : '', test, limits),
  );
}

function runOne(
  qjs: QuickJSWASMModule,
  program: string,
  input: string,
  test: TestCase,
  limits: SandboxLimits,
): TestRun {
  const runtime = qjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(1024 * 1024);
  const deadline = Date.now() + limits.timeoutMs;
  runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadline));
  const vm = runtime.newContext();
  let stdout = '';
  let overflow = false;
  const lines = input.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let line = 0;
  try {
    const print = vm.newFunction('print', (...args: QuickJSHandle[]) => {
      const text = args.map((a) => stringify(vm, a)).join(' ');
      if (stdout.length + text.length + 1 > limits.maxOutputBytes) {
        overflow = true;
        throw new Error('output limit'); // surfaces in the guest and stops the flood
      }
      stdout += `${text}\n`;
    });
    const readline = vm.newFunction('readline', () => (line < lines.length ? vm.newString(lines[line++]) : vm.null));
    const consoleObj = vm.newObject();
    vm.setProp(consoleObj, 'log', print);
    vm.setProp(vm.global, 'console', consoleObj);
    vm.setProp(vm.global, 'print', print);
    vm.setProp(vm.global, 'readline', readline);
    vm.setProp(vm.global, 'input', vm.newString(input));
    for (const h of [print, readline, consoleObj]) h.dispose();
    const setup = vm.evalCode(
      'globalThis.assert = (c, m) => { if (!c) throw new Error(m === undefined ? "assertion failed" : String(m)); };',
    );
    vm.unwrapResult(setup).dispose();

    const result = vm.evalCode(program, 'solution.js');
    if (overflow) {
      if (result.error) result.error.dispose();
      else result.value.dispose();
      return { status: 'fail', message: `more than ${limits.maxOutputBytes} bytes of output` };
    }
    if (result.error) {
      const failure = describeError(vm, result.error, deadline);
      result.error.dispose();
      return failure;
    }
    result.value.dispose();
    const jobs = runtime.executePendingJobs(); // let promise-based programs finish
    if (jobs.error) {
      const failure = describeError(vm, jobs.error, deadline);
      jobs.error.dispose();
      return failure;
    }
    if (overflow) return { status: 'fail', message: `more than ${limits.maxOutputBytes} bytes of output` };
    return judgeOutput(test, stdout);
  } finally {
    vm.dispose();
    runtime.dispose();
  }
}

function stringify(vm: QuickJSContext, handle: QuickJSHandle): string {
  const t = vm.typeof(handle);
  if (t === 'string') return vm.getString(handle);
  if (t === 'object') {
    const dumped = vm.dump(handle);
    return typeof dumped === 'object' ? JSON.stringify(dumped) : String(dumped);
  }
  return String(vm.dump(handle));
}

function describeError(vm: QuickJSContext, error: QuickJSHandle, deadline: number): TestRun {
  const dumped = vm.dump(error) as { name?: string; message?: string } | string;
  const message = typeof dumped === 'object' && dumped ? `${dumped.name}: ${dumped.message}` : String(dumped);
  if (/interrupted/.test(message) && Date.now() >= deadline) return { status: 'timeout', message: 'time limit' };
  if (/out of memory/.test(message)) return { status: 'memory', message: 'memory limit' };
  return { status: 'error', message };
}
