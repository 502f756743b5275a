/**
 * The Python harness: the program the sandboxed interpreter runs (`python3 -I -S -B -c HARNESS`). It runs the solution
 * and its test, and reports the outcome on fd 3 in a form the solution cannot forge. See docs/concepts/sandbox.md.
 *
 * Why a verdict and not the exit status: the solution runs in this same interpreter, so anything it can reach it can
 * fake (`raise SystemExit(0)`, `os._exit(0)`, a printed "all passed", a patched `assert` helper). The host therefore
 * counts a test as passed only when fd 3 carries `<nonce> pass\n`, where the nonce is 128 random bits chosen by the
 * host for this one run. The design keeps the nonce out of the solution's reach:
 * 1. The host sends `{nonce, kind, solution, test}` as one JSON line on fd 3 (a socketpair) before anything runs; the
 *    harness reads it to the end before the solution starts, so reading fd 3 later yields nothing. The nonce is never
 *    in argv, the environment, a file or a module global: only in a local of `_aha_main`'s frame, on the main thread.
 * 2. The solution and the test run in a worker thread, and no solution code ever runs on the main thread. CPython runs
 *    signal handlers (which receive the current frame) only on the main thread and refuses to install one from any
 *    other, so no handler can reach the nonce, however the solution gets hold of `_signal` (`_imp.create_builtin`
 *    needs no import). Frames of the worker thread hold no nonce.
 * 3. The worker's own frames hold its result, so before the solution runs the harness adds an audit hook (PEP 578)
 *    that refuses every Python-level way to a frame or to arbitrary objects: `sys._getframe`, `sys._current_frames`,
 *    `tb_frame` / `gi_frame` / `cr_frame` / `ag_frame`, `gc.get_objects` / `get_referrers` / `get_referents`, trace
 *    and profile hooks, further audit hooks, `ctypes`, importing `signal` / `_signal`, running other programs (`exec`,
 *    `posix_spawn`, `subprocess`, `os.system`: another program could read this process's memory) and any path with a
 *    component named `proc` (`/proc/self/mem`; the bwrap sandbox has no /proc at all). `sys._getframe` raises
 *    ValueError and frame attributes AttributeError, the exceptions the standard library already expects there
 *    (`namedtuple`, `enum`, `typing` keep working). For the nonce this is a second layer, after the thread split.
 * 4. The harness never calls anything the solution could have replaced once the solution ran: builtins and functions
 *    it uses are captured as locals first; the test runs with a copy of the builtins taken before the solution ran, so
 *    a patched `builtins.len` or `print` cannot change what the test sees.
 * 5. The verdict is written last, by the main thread, once no other thread is alive (one could swap fd 3 between the
 *    check and the write): the worker waits for the solution's threads and flushes stdout (a replaced `flush` is
 *    solution code, so not on the main thread); the main thread waits for every thread to end, turns the cyclic GC
 *    off (no finalizers on the main thread), checks that fd 3 is still the socket it started with (same device and inode: not a pipe the solution
 *    dup2'ed there), writes the nonce with `os.write` and leaves with `os._exit` (no atexit handlers, no finalizers).
 *    Messages from the worker are exact `str` objects (a subclass's `encode` would be solution code on this thread).
 * Failures need no proof (a solution that fakes a failure only hurts itself): they are written as `error <message>`.
 *
 * What it does not stop: a solution that escapes the audit hook (a CPython memory-safety bug, or a way to a frame the
 * hook does not know) could reach the worker's result list and mark itself passed: the hook is a CPython mechanism,
 * not a security boundary (the process sandbox is what contains such code); values that lie about themselves other
 * than through `==` / `!=` in an assert (see strict_equal below): truthiness, ordering, arithmetic on a returned object;
 * and modules other than builtins, which are not restored (a solution can patch `math.isclose` for the tests that call
 * it).
 *
 * Needs Python 3.8 or later (audit hooks).
 */

/** The argv after `-c HARNESS`: memory bytes, CPU seconds, file-size bytes, open files, processes (0: no limit). */
export const HARNESS = String.raw`
import sys
def _aha_main():
    import os, builtins, _thread, json, gc, time, resource, io
    _write, _read, _fstat, _exit = os.write, os.read, os.fstat, os._exit
    _count, _start, _sleep, _gc_disable = _thread._count, _thread.start_new_thread, time.sleep, gc.disable
    _isinstance, _type, _dict, _exec, _compile = isinstance, type, dict, exec, compile
    _str, _bytes, _int, _len = str, bytes, int, len
    _fspath, _find_str, _split_str, _split_bytes, _partition = os.fspath, str.find, str.split, bytes.split, str.partition
    _BaseException, _SystemExit, _MemoryError = BaseException, SystemExit, MemoryError
    _RuntimeError, _ValueError, _AttributeError = RuntimeError, ValueError, AttributeError
    _flush = io.TextIOWrapper.flush
    CHAN = 3

    def finish(line):
        # the last step: nothing here calls code the solution could have replaced
        try:
            st = _fstat(CHAN)
            if (st.st_dev, st.st_ino) != ident:
                _exit(3)  # fd 3 is no longer our channel: no verdict
            _write(CHAN, line)
        except _BaseException:
            _exit(3)
        _exit(0)

    st = _fstat(CHAN)
    ident = (st.st_dev, st.st_ino)
    chunks = []
    while True:
        chunk = _read(CHAN, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    job = json.loads(b"".join(chunks))
    del chunks, chunk
    nonce = job.pop("nonce").encode("ascii")

    def limit(kind, value):
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY and hard < value:
            value = hard
        resource.setrlimit(kind, (value, value))
    mem, cpu, fsize, nofile, nproc = (int(a) for a in sys.argv[1:6])
    limit(resource.RLIMIT_AS, mem)
    limit(resource.RLIMIT_CPU, cpu)
    limit(resource.RLIMIT_FSIZE, fsize)
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_NOFILE, nofile)
    if nproc > 0:
        limit(resource.RLIMIT_NPROC, nproc)

    def describe(e):
        # exact str objects (a str subclass would run solution code when the main thread encodes the message)
        try:
            name = _str.__str__(_type(e).__name__)
            text = _str.__str__(_str(e))
        except _BaseException:
            name, text = "exception", "(unprintable)"
        return name + ": " + text if text else name

    # Equality in assert tests. 'assert f() == 5' calls the solution's __eq__ when f returns an object of its own, so an
    # object whose __eq__ always answers True would pass every such test. The test's 'assert a == b' / 'a != b' are
    # rewritten to strict_equal, which compares plain data (numbers, str, bytes, None, list, tuple, dict, set) by
    # value and type, recursively, and never lets a non-plain object equal plain data. Two non-plain objects (a
    # ListNode the test built) still compare with their own __eq__. strict_equal reaches the test as the parameter of
    # a function wrapping the test's code: no name the solution could rebind on the way.
    _list, _tuple, _range = list, tuple, range
    numbers = frozenset([int, float, complex, bool])
    plain_types = frozenset([int, float, complex, bool, str, bytes, _type(None), list, tuple, dict, set, frozenset])
    set_types = frozenset([set, frozenset])

    def plain_deep(x):
        t = _type(x)
        if t not in plain_types:
            return False
        if t is _list or t is _tuple or t in set_types:
            for item in x:
                if not plain_deep(item):
                    return False
        elif t is _dict:
            for key, value in _dict.items(x):
                if not (plain_deep(key) and plain_deep(value)):
                    return False
        return True

    def paired(xs, ys):
        # elements that are not plain data cannot be looked up by hash safely: match them one by one
        left = _list(xs)
        for y in ys:
            for i in _range(_len(left)):
                if strict_equal(left[i], y):
                    _list.pop(left, i)
                    break
            else:
                return False
        return _len(left) == 0

    def strict_equal(a, b):
        ta, tb = _type(a), _type(b)
        if ta not in plain_types and tb not in plain_types:
            return a == b  # neither side is plain data: the objects' own equality
        if ta not in plain_types or tb not in plain_types:
            return False
        if ta in numbers and tb in numbers:
            return a == b
        if ta in set_types and tb in set_types:
            if plain_deep(a) and plain_deep(b):
                return a == b
            return _len(a) == _len(b) and paired(_list(a), _list(b))
        if ta is not tb:
            return False  # list vs tuple, str vs bytes: unequal in Python too
        if ta is _list or ta is _tuple:
            if _len(a) != _len(b):
                return False
            for i in _range(_len(a)):
                if not strict_equal(a[i], b[i]):
                    return False
            return True
        if ta is _dict:
            if _len(a) != _len(b):
                return False
            if not (plain_deep(_list(_dict.keys(a))) and plain_deep(_list(_dict.keys(b)))):
                return paired(_list(_dict.items(a)), _list(_dict.items(b)))
            for key in _dict.keys(b):
                if not (_dict.__contains__(a, key) and strict_equal(_dict.__getitem__(a, key), _dict.__getitem__(b, key))):
                    return False
            return True
        return a == b  # str, bytes, None: exact types, built-in equality

    def strict_test(source):
        import ast
        tree = ast.parse(source, "test.py")

        class Strict(ast.NodeTransformer):
            def visit_Assert(self, node):
                self.generic_visit(node)
                t = node.test
                if _isinstance(t, ast.Compare) and _len(t.ops) == 1 and _isinstance(t.ops[0], (ast.Eq, ast.NotEq)):
                    call = ast.Call(ast.Name("__aha_equal__", ast.Load()), [t.left, t.comparators[0]], [])
                    node.test = call if _isinstance(t.ops[0], ast.Eq) else ast.UnaryOp(ast.Not(), call)
                    ast.copy_location(node.test, t)
                return node

        wrapper = ast.parse("def __aha_test__(__aha_equal__):\n    pass\n", "test.py")
        wrapper.body[0].body = Strict().visit(tree).body or [ast.Pass()]
        try:
            wrapped = _compile(ast.fix_missing_locations(wrapper), "test.py", "exec")
            function_code = [c for c in wrapped.co_consts if _type(c) is _type(wrapped)][0]
            if function_code.co_flags & 0x2A0:  # a generator or coroutine would return without running the test
                raise SyntaxError("yield or await at the top level of the test")
            return (wrapped, True)
        except SyntaxError:
            # code that cannot live in a function (a star import): run it as it is, with plain equality
            return (_compile(source, "test.py", "exec"), False)

    try:
        code = _compile(job["solution"], "solution.py", "exec")
        test = strict_test(job["test"]) if job["kind"] == "assert" else None
    except _BaseException as e:
        finish(b"error " + describe(e).encode("utf-8", "replace")[:1000] + b"\n")
    del job

    blocked_events = frozenset([
        "sys._getframe", "sys._current_frames", "sys._current_exceptions", "sys.settrace", "sys.setprofile",
        "sys.addaudithook", "sys.remote_exec", "sys.monitoring.register_callback", "gc.get_objects",
        "gc.get_referrers", "gc.get_referents", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
        "os.startfile", "subprocess.Popen", "_posixsubprocess.fork_exec",
    ])
    frame_attrs = frozenset(["tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "f_locals", "f_globals"])
    blocked_modules = frozenset([
        "ctypes", "_ctypes", "signal", "_signal", "subprocess", "_posixsubprocess", "_testcapi",
        "_testinternalcapi", "_testmultiphase", "_xxsubinterpreters", "_interpreters", "_xxinterpchannels",
    ])
    path_events = frozenset(["open", "os.symlink", "os.link", "os.chdir", "os.rename"])

    def mentions_proc(value):
        # a path (or symlink target) with a component named proc: /proc/self/mem, ../proc, a symlink to /proc
        if _isinstance(value, _str):
            return "proc" in _split_str(value, "/")
        if _isinstance(value, _bytes):
            return b"proc" in _split_bytes(value, b"/")
        if _isinstance(value, _int) or value is None:
            return False
        try:
            return mentions_proc(_fspath(value))
        except _BaseException:
            return False

    def hook(event, args):
        if event in blocked_events:
            if event == "sys._getframe":
                raise _ValueError("the call stack is not available in the aha sandbox")
            raise _RuntimeError(event + " is not allowed in the aha sandbox")
        if event == "object.__getattr__":
            if args[1] in frame_attrs:
                raise _AttributeError("frames are not available in the aha sandbox")
        elif event == "import":
            if _isinstance(args[0], _str) and _partition(args[0], ".")[0] in blocked_modules:
                raise _RuntimeError("module " + _str.__str__(args[0]) + " is not allowed in the aha sandbox")
        elif _find_str(event, "ctypes.") == 0:
            raise _RuntimeError("ctypes is not allowed in the aha sandbox")
        elif event in path_events:
            for value in args[:2]:
                if mentions_proc(value):
                    raise _RuntimeError("/proc is not available in the aha sandbox")

    # exit() and quit() come from site, which -S leaves out; competitive solutions end with them
    def exit(code=None):
        raise _SystemExit(code)
    builtins.exit = builtins.quit = exit
    # builtins as they were before the solution ran, for the test
    pristine = _dict(builtins.__dict__)
    main = _type(sys)("__main__")
    scope = main.__dict__
    scope["__builtins__"] = builtins
    sys.modules["__main__"] = main
    for name in ("signal", "_signal"):
        sys.modules.pop(name, None)
    sys.argv = ["solution.py"]
    stdout, stderr = sys.stdout, sys.stderr
    keep = []  # exceptions stay alive until we exit, so no solution finalizer runs while the verdict is written
    result = []  # the worker's outcome: [None] when the solution and the test returned, [message] otherwise

    # The solution and the test run in a worker thread, never on this one: CPython runs signal handlers only on the
    # main thread and refuses to install them from any other, so no handler can ever see this thread's frames (the
    # nonce is a local here). Nothing the worker can reach holds the nonce.
    def run():
        failure = "the harness's worker failed"
        try:
            failure = attempt()
            # the solution's own threads may still print (the big-stack idiom runs main in one): wait, then flush
            # here, since a replaced flush is solution code (and a new thread might not start at the process limit)
            while _count() > 1:
                _sleep(0.002)
            flush()
        finally:
            result.append(failure)

    def attempt():
        failure = None
        try:
            _exec(code, scope)
        except _SystemExit as e:
            keep.append(e)
            if test is not None:
                failure = "the solution exited (SystemExit) before the test ran"
            elif not (e.code is None or (_type(e.code) is _int and e.code == 0)):
                failure = "SystemExit: " + describe(e)
        except _BaseException as e:
            keep.append(e)
            failure = "MemoryError: memory limit" if _isinstance(e, _MemoryError) else describe(e)
        if failure is None and test is not None:
            scope["__builtins__"] = _dict(pristine)
            test_code, wrapped = test
            try:
                _exec(test_code, scope)
                if wrapped:
                    scope.pop("__aha_test__")(strict_equal)
            except _BaseException as e:
                keep.append(e)
                failure = "MemoryError: memory limit" if _isinstance(e, _MemoryError) else describe(e)
        return failure

    def flush():
        for stream in (stdout, stderr):
            try:
                _flush(stream)
            except _BaseException:
                pass

    sys.addaudithook(hook)
    try:
        _start(run, ())
        # Wait for the worker's result and for every thread to end (a new thread counts only once it runs, hence the
        # result list too). The cyclic GC goes off once no solution thread is left to turn it back on, so no finalizer
        # runs here: this thread runs no solution code at all.
        while _len(result) == 0 or _count() > 0:
            _sleep(0.002)
        _gc_disable()
        if _len(result) == 1 and result[0] is None:
            finish(nonce + b" pass\n")
        failure = result[0]
        if _type(failure) is not _str:
            _exit(3)
        finish(b"error " + failure.encode("utf-8", "replace")[:1000] + b"\n")
    except _BaseException:
        _exit(3)  # e.g. a KeyboardInterrupt sent here: no verdict, and no excepthook (solution code) on this thread

_aha_main()
`;
