/**
 * Runs generated JavaScript in a WebAssembly sandbox (QuickJS compiled to WASM, via quickjs-emscripten). The guest has
 * no `require`, no `fetch`, no file system and no host objects except the few we hand in: `print`/`console.log`
 * (captured stdout), `readline()` (next stdin line or null, as in the d8/SpiderMonkey shells), `input` (all of stdin)
 * and `assert(cond, message)`. Each test gets a fresh runtime with a heap cap (`setMemoryLimit`), a stack cap and an
 * interrupt handler that stops it at its deadline — so an infinite loop in the guest cannot block the host.
 *
 * Verdicts: an output test is judged on the captured stdout; an assert test by the host, never by the guest. The test
 * is compiled as a function that takes `assert` and the built-ins as parameters (so `globalThis.assert = () => {}` or
 * a top-level `let JSON = …` in the solution changes nothing) and is called by the host after the built-ins were put
 * back (GUARD); it passes when the call returns (or its promise fulfils) and the guard's `assert` reported nothing.
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
import { judgeOutput, type SandboxLimits, type TestCase, type TestRun } from './tests.js';

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
  return tests.map((test) => runOne(qjs, code, test, limits));
}

/**
 * Built-ins handed to every `assert` test as parameters (so a solution's top-level `let JSON = ...` or
 * `globalThis.Math = ...` cannot change what the test sees) and restored, with their prototypes, before the test
 * runs (so `Array.prototype.join = ...` cannot either).
 */
const INTRINSICS = [
  'Object',
  'Function',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Symbol',
  'BigInt',
  'Math',
  'JSON',
  'Reflect',
  'Proxy',
  'Date',
  'RegExp',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Promise',
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'ArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
] as const;

/**
 * Runs before the solution, in the guest. Returns [restore, values, assert], held only by the host (nothing on the
 * global object), so the solution cannot reach or replace them. It snapshots each intrinsic's own properties and
 * prototype; `restore()` puts them back (deletes what was added, redefines what changed) using only functions it
 * captured first, and answers '' or what it could not restore. `assert` reports failures to the host through
 * `report`, so a test that swallows the exception still fails.
 */
const GUARD = `(report) => {
  const R = Reflect, ownKeys = R.ownKeys, getDesc = R.getOwnPropertyDescriptor, define = R.defineProperty,
    remove = R.deleteProperty, getProto = R.getPrototypeOf, setProto = R.setPrototypeOf, extensible = R.isExtensible,
    Str = String, Err = Error, create = Object.create;
  const names = ${JSON.stringify(INTRINSICS)};
  const values = [], snaps = [];
  const find = (o) => { for (let i = 0; i < snaps.length; i++) if (snaps[i].o === o) return snaps[i]; return undefined; };
  const has = (keys, key) => { for (let i = 0; i < keys.length; i++) if (keys[i] === key) return true; return false; };
  const snap = (o, name) => {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || find(o)) return;
    const keys = ownKeys(o), descs = [];
    for (let i = 0; i < keys.length; i++) {
      const d = getDesc(o, keys[i]), copy = create(null);
      for (const f of ['value', 'writable', 'get', 'set', 'enumerable', 'configurable']) if (f in d) copy[f] = d[f];
      descs.push(copy);
    }
    const proto = getProto(o);
    snaps.push({ o, name, keys, descs, proto, ext: extensible(o) });
    snap(proto, 'the prototype of ' + name);
  };
  // An added property matters only where it shadows one the original prototype chain had (Array.prototype.sum, a
  // helper some solutions add, stays; Uint8Array.prototype.join, which would hide the inherited join, goes).
  // Protocol keys change how values behave wherever they are added (JSON.stringify reads toJSON, await reads then).
  const protocol = ['toJSON', 'then'];
  const symbolKeys = ownKeys(Symbol);
  for (let i = 0; i < symbolKeys.length; i++)
    if (typeof Symbol[symbolKeys[i]] === 'symbol') protocol.push(Symbol[symbolKeys[i]]);
  const shadows = (s, key) => {
    if (has(protocol, key)) return true;
    for (let p = find(s.proto); p; p = find(p.proto)) if (has(p.keys, key)) return true;
    return false;
  };
  for (let i = 0; i < names.length; i++) {
    values.push(globalThis[names[i]]);
    snap(values[i], names[i]);
    if (typeof values[i] === 'function') snap(values[i].prototype, names[i] + '.prototype');
  }
  const restore = () => {
    for (let i = 0; i < snaps.length; i++) {
      const s = snaps[i];
      if (s.ext && !extensible(s.o)) return s.name + ' was made non-extensible';
      if (getProto(s.o) !== s.proto && !setProto(s.o, s.proto)) return 'the prototype of ' + s.name + ' was changed';
      const now = ownKeys(s.o);
      for (let j = 0; j < now.length; j++)
        if (!has(s.keys, now[j]) && shadows(s, now[j]) && !remove(s.o, now[j]))
          return s.name + '.' + Str(now[j]) + ' hides an inherited property and cannot be removed';
      for (let j = 0; j < s.keys.length; j++)
        if (!define(s.o, s.keys[j], s.descs[j])) return s.name + '.' + Str(s.keys[j]) + ' was changed for good';
    }
    return '';
  };
  const assert = (condition, message) => {
    if (condition) return;
    const text = message === undefined ? 'assertion failed' : Str(message);
    report(text);
    throw new Err(text);
  };
  return [restore, values, assert];
}`;

/** Ends a test early with its outcome (a guest exception, the output limit). */
class Stop {
  constructor(readonly run: TestRun) {}
}

function runOne(qjs: QuickJSWASMModule, code: string, test: TestCase, limits: SandboxLimits): TestRun {
  const runtime = qjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(1024 * 1024);
  const deadline = Date.now() + limits.timeoutMs;
  runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadline));
  const vm = runtime.newContext();
  const input = 'input' in test ? (test.input ?? '') : '';
  let stdout = '';
  let overflow = false;
  let assertFailure: string | undefined;
  const lines = input.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let line = 0;
  const handles: QuickJSHandle[] = [];
  const keep = <T extends QuickJSHandle>(h: T): T => {
    handles.push(h);
    return h;
  };
  const outputLimit = (): TestRun => ({
    status: 'fail',
    message: `more than ${limits.maxOutputBytes} bytes of output`,
  });
  /** The value of a guest call, kept for disposal; a guest exception (or the output limit) ends the test instead. */
  const take = (result: { value?: QuickJSHandle; error?: QuickJSHandle }): QuickJSHandle => {
    if (result.error) {
      const failure = overflow
        ? outputLimit()
        : assertFailure !== undefined
          ? { status: 'fail' as const, message: assertFailure }
          : describeError(vm, result.error, deadline);
      result.error.dispose();
      throw new Stop(failure);
    }
    if (overflow) throw new Stop(outputLimit());
    return keep(result.value!);
  };
  try {
    const print = keep(
      vm.newFunction('print', (...args: QuickJSHandle[]) => {
        const text = args.map((a) => stringify(vm, a)).join(' ');
        if (stdout.length + text.length + 1 > limits.maxOutputBytes) {
          overflow = true;
          throw new Error('output limit'); // surfaces in the guest and stops the flood
        }
        stdout += `${text}\n`;
      }),
    );
    const readline = keep(
      vm.newFunction('readline', () => (line < lines.length ? vm.newString(lines[line++]) : vm.null)),
    );
    const consoleObj = keep(vm.newObject());
    vm.setProp(consoleObj, 'log', print);
    vm.setProp(vm.global, 'console', consoleObj);
    vm.setProp(vm.global, 'print', print);
    vm.setProp(vm.global, 'readline', readline);
    vm.setProp(vm.global, 'input', vm.newString(input));
    // A plain assert for solutions that call it themselves; tests get the guard's own (reporting) one.
    vm.unwrapResult(
      vm.evalCode(
        'globalThis.assert = (c, m) => { if (!c) throw new Error(m === undefined ? "assertion failed" : String(m)); };',
      ),
    ).dispose();
    const report = keep(
      vm.newFunction('report', (message: QuickJSHandle) => {
        assertFailure ??= vm.typeof(message) === 'string' ? vm.getString(message) : 'assertion failed';
      }),
    );
    const factory = keep(vm.unwrapResult(vm.evalCode(GUARD, 'harness.js')));
    const guard = keep(vm.unwrapResult(vm.callFunction(factory, vm.undefined, report)));
    const restore = keep(vm.getProp(guard, 0));
    const valuesHandle = keep(vm.getProp(guard, 1));
    const assertFn = keep(vm.getProp(guard, 2));
    const values = INTRINSICS.map((_, i) => keep(vm.getProp(valuesHandle, i)));

    take(vm.evalCode(code, 'solution.js'));
    const jobs = runtime.executePendingJobs(); // let promise-based programs finish
    if (jobs.error) take({ error: jobs.error });
    if (!('assert' in test)) return overflow ? outputLimit() : judgeOutput(test, stdout);

    // The verdict of an assert test is the host's: the test function returned (or its promise fulfilled) and no
    // assert reported a failure. The solution's globals, console and exceptions it caught play no part.
    const unrestored = vm.getString(take(vm.callFunction(restore, vm.undefined)));
    if (unrestored) return { status: 'fail', message: `the solution changed a built-in: ${unrestored}` };
    const wrapped = `(function (assert, ${INTRINSICS.join(', ')}) {\n${test.assert}\n})`;
    const testFn = take(vm.evalCode(wrapped, 'test.js'));
    const returned = take(vm.callFunction(testFn, vm.undefined, assertFn, ...values));
    let state = vm.getPromiseState(returned);
    if (state.type === 'pending') {
      const settled = runtime.executePendingJobs();
      if (settled.error) take({ error: settled.error });
      state = vm.getPromiseState(returned);
    }
    if (state.type === 'pending') return { status: 'fail', message: 'the test returned a promise that never settled' };
    if (state.type === 'rejected') take({ error: state.error });
    else if (!state.notAPromise) state.value.dispose();
    if (assertFailure !== undefined) return { status: 'fail', message: assertFailure };
    return overflow ? outputLimit() : { status: 'pass' };
  } catch (err) {
    if (err instanceof Stop) return err.run;
    throw err;
  } finally {
    for (const h of handles.reverse()) if (h.alive) h.dispose();
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
