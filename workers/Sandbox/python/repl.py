# AgentOps sandbox REPL driver: one persistent interpreter per episode (Jupyter-kernel-like notebook
# semantics: globals, imports and functions survive between cells; a final expression's repr is shown).
# Protocol (line-delimited JSON, one object per line):
#   host -> driver (original fd 0):  {"id": N, "code": "..."}
#   driver -> host (original fd 1):  {"ready": true, ...} once, then one result object per request.
# The cell never sees the protocol fds: fd 0 becomes /dev/null, fds 1 and 2 become pipes drained by
# threads into a per-cell capture capped at AGENTOPS_OUTPUT_BYTES (stdout + stderr together).
# Recycle (zygote, as Android's and CPython's multiprocessing forkserver): the process the runtime starts
# is a supervisor that pre-imports the stdlib, then forks one interpreter per episode. Host -> supervisor
#   {"reset": G}  soft reset first: the interpreter restores and verifies its pristine state in-process
#                 (see "soft reset" below); the supervisor then answers {"ready": true, "generation": G,
#                 "reset": "soft", ...}. Where the interpreter cannot vouch for itself, the hard reset:
#                 kill every other process of the sandbox, wipe AGENTOPS_WIPE (':'-separated folders),
#                 fork a fresh interpreter, whose banner is {"ready": true, "generation": G,
#                 "reset": "fork", "resetReason": "<first difference found>", ...};
#                 on failure the supervisor answers {"resetError": "..."} instead.
# Cell requests are forwarded to the interpreter over a pipe; its result frames go straight to the host.
# When the interpreter dies on its own, the supervisor kills the rest and exits with its status, so the
# host sees the same end of stream as before and restarts the whole sandbox.
import ast
import contextvars
import json
from json import dumps as _json_dumps, loads as _json_loads  # a cell may patch json.*; the protocol must not care
import linecache
import os
import select
import signal
import stat
import sys
import threading
import time
import traceback

OUTPUT_CAP = int(os.environ.get("AGENTOPS_OUTPUT_BYTES", "65536"))
SYNC = b"\x00\x01agentops-sync\x01\x00"
DRIVER_FILE = os.path.abspath(__file__)
MAX_FRAMES = 5


class OutputLimitExceeded(BaseException):
    """Raised inside a cell that prints past the cap; BaseException so `except Exception` does not hide it."""


class Capture:
    def __init__(self, cap):
        self.cap = cap
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:  # in place: the soft reset checks that these objects are the pristine ones
            if not hasattr(self, "parts"):
                self.parts = {"stdout": [], "stderr": []}
            self.parts["stdout"].clear()
            self.parts["stderr"].clear()
            self.size = 0
            self.truncated = False

    def add(self, stream, data):
        """Keeps what fits under the cap; returns False once anything was dropped."""
        with self.lock:
            room = self.cap - self.size
            if len(data) > room:
                if room > 0:
                    self.parts[stream].append(data[:room])
                    self.size = self.cap
                self.truncated = True
                return False
            self.parts[stream].append(data)
            self.size += len(data)
            return True

    def text(self, stream):
        with self.lock:
            return b"".join(self.parts[stream]).decode("utf-8", "replace")


class CellWriter:
    """sys.stdout / sys.stderr for cells: writes straight into the capture, stops the cell past the cap."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, capture, stream, fd):
        self.capture, self.stream, self.fd = capture, stream, fd

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not " + type(s).__name__)
        room = self.capture.cap - self.capture.size
        if len(s) > room:
            s = s[:room + 1]  # never encode more than can be kept (a 100 MB string must not double in memory)
        if not self.capture.add(self.stream, s.encode("utf-8", "replace")):
            raise OutputLimitExceeded(
                "cell output exceeded the %d-byte limit (stdout+stderr); the rest was dropped" % OUTPUT_CAP)
        return len(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        return self.fd

    def readable(self):
        return False

    def writable(self):
        return True


class FdDrain:
    """Drains what the cell (or its children) writes to fd 1/2 directly, e.g. os.write(1, ...)."""

    def __init__(self, capture, stream, target_fd):
        self.capture, self.stream, self.target_fd = capture, stream, target_fd
        r, w = os.pipe()
        self.read_fd = r
        self.write_fd = w  # non-inheritable spare, used to restore target_fd if a cell replaced it
        self.seen = 0
        self.cond = threading.Condition()
        self.restore()
        threading.Thread(target=self.run, daemon=True).start()

    def restore(self):
        os.dup2(self.write_fd, self.target_fd)

    def run(self):
        pending = b""
        keep = len(SYNC) - 1
        while True:
            try:
                chunk = os.read(self.read_fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            data = pending + chunk
            while True:
                i = data.find(SYNC)
                if i < 0:
                    break
                if i:
                    self.capture.add(self.stream, data[:i])
                data = data[i + len(SYNC):]
                with self.cond:
                    self.seen += 1
                    self.cond.notify_all()
            if len(data) > keep:
                self.capture.add(self.stream, data[:-keep] if keep else data)
                data = data[-keep:] if keep else b""
            pending = data

    def sync(self, timeout=2.0):
        """Returns once everything written to the fd before this call has been captured."""
        with self.cond:
            target = self.seen + 1
        try:
            os.write(self.target_fd, SYNC)
        except OSError:
            self.restore()
            return
        with self.cond:
            self.cond.wait_for(lambda: self.seen >= target, timeout)


def error_line(e):
    if isinstance(e, SyntaxError):
        where = " (line %s)" % e.lineno if e.lineno else ""
        msg = "%s: %s%s" % (type(e).__name__, e.msg, where)
    else:
        text = str(e)
        msg = type(e).__name__ + (": " + text if text else "")
    msg = " ".join(msg.split())
    return msg[:500]


_exception_traceback = BaseException.__traceback__.__get__


def cell_traceback(e, audit_state=None):
    # Reading tb_frame is an audited, tainting event in cells; the driver's own walk is not.
    if audit_state is not None:
        audit_state["quiet"] = True
    try:
        raw = []
        tb = _exception_traceback(e)
        while tb is not None:
            code = tb.tb_frame.f_code
            raw.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
    finally:
        if audit_state is not None:
            audit_state["quiet"] = False
    frames = [traceback.FrameSummary(f, n, name, lookup_line=False) for f, n, name in raw
              if os.path.abspath(f) != DRIVER_FILE]
    if isinstance(e, SyntaxError) or not frames:
        return "".join(traceback.format_exception_only(type(e), e))[-2000:]
    lines = ["Traceback (most recent call last):\n"] + traceback.format_list(frames[-MAX_FRAMES:])
    lines += traceback.format_exception_only(type(e), e)
    return "".join(lines)[-4000:]


def run_cell(code, n, env):  # runs inside the episode's contextvars.Context
    name = "<cell-%d>" % n
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    tree = ast.parse(code, name, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, name, "exec"), env)
    if last is not None:
        value = eval(compile(last, name, "eval"), env)
        if value is not None:
            sys.stdout.write(repr(value) + "\n")


def main(generation=0, isolated=False, verdict_fd=None, supervisor_pid=None, reset_reason=None):
    # Buffered: readline on a raw pipe reads one byte per syscall (a syscall costs tens of µs in gVisor-ptrace).
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # Small stacks for the two drain threads: under RLIMIT_AS every reserved byte counts (8 MiB by default).
    threading.stack_size(256 * 1024)
    capture = Capture(OUTPUT_CAP)
    drains = [FdDrain(capture, "stdout", 1), FdDrain(capture, "stderr", 2)]
    cell_out = CellWriter(capture, "stdout", 1)
    cell_err = CellWriter(capture, "stderr", 2)
    builtins_module = __builtins__
    env = {"__name__": "__main__", "__builtins__": builtins_module}
    sys.argv = [""]
    # Bound before any cell runs: a cell may patch this module's globals, never these locals.
    loads, dumps, write, pause, new_context = _json_loads, _json_dumps, os.write, signal.pause, contextvars.Context
    stdio = (sys.stdin, sys.stdout, sys.stderr)

    def send(obj):
        # Raw writes may be short (gVisor returns a partial count on a full host pipe): loop until all is out.
        data = memoryview(dumps(obj).encode("ascii") + b"\n")
        while data:
            data = data[proto_out.write(data) or 0:]

    main_pid = os.getpid()
    soft_reset = new_episode = after_cell = audit_state = None
    if verdict_fd is not None and isolated:
        write(verdict_fd, b"up\n")  # the supervisor records our threads (main + 2 drains) now
        wipe_dirs = [d for d in os.environ.get("AGENTOPS_WIPE", "").split(":") if d]
        keep = [("driver capture", capture, ("size", "truncated")), ("driver stdout", cell_out, ()),
                ("driver stderr", cell_err, ()), ("driver stdout drain", drains[0], ("seen",)),
                ("driver stderr drain", drains[1], ("seen",))]
        soft_reset, new_episode, after_cell, audit_state = make_soft_reset(supervisor_pid, keep, wipe_dirs, os.getcwd())
        ctx = new_episode()
    else:
        ctx = new_context()
    banner = {"ready": True, "pid": main_pid, "python": sys.version.split()[0],
              "generation": generation, "isolated": isolated}
    if reset_reason is not None:
        banner["reset"], banner["resetReason"] = "fork", reset_reason
    send(banner)
    reader = proto_in
    while True:
        line = reader.readline()
        if not line:
            return
        req = loads(line)
        if "softReset" in req:
            # Only the supervisor writes here, between cells. It answers the host itself on "soft".
            nonce = int(req["nonce"])
            why = "no soft reset in this interpreter" if soft_reset is None else None
            if why is None:
                env = ctx = None
                why = soft_reset(drains, stdio)
            if why is None:
                env = {"__name__": "__main__", "__builtins__": builtins_module}
                ctx = new_episode()
                write(verdict_fd, b"soft %d\n" % nonce)
                continue
            write(verdict_fd, ("fork %d %s\n" % (nonce, " ".join(why.split())[:300])).encode("utf-8", "replace"))
            while True:
                pause()  # the supervisor kills us and forks a fresh interpreter
        capture.reset()
        for d in drains:
            d.restore()
        sys.stdin = cell_stdin = open(os.devnull)
        sys.stdout, sys.stderr = cell_out, cell_err
        error = tb = None
        output_limit = memory = False
        try:
            ctx.run(run_cell, req["code"], req["id"], env)
        except OutputLimitExceeded as e:
            output_limit = True
            error, tb = error_line(e), None
        except BaseException as e:  # the cell's own failure, including SystemExit and KeyboardInterrupt
            memory = isinstance(e, MemoryError)
            try:
                error, tb = error_line(e), cell_traceback(e, audit_state)
            except BaseException as e2:
                error, tb = "%s (while formatting %s)" % (error_line(e2), type(e).__name__), None
            e = None
        if os.getpid() != main_pid:
            os._exit(0)  # a child the cell forked came back out of the cell: only the driver speaks the protocol
        sys.stdin, sys.stdout, sys.stderr = stdio
        cell_stdin.close()  # closed here: an unclosed one warns (ResourceWarning) into this module's registry
        cell_stdin = None
        if after_cell is not None:
            after_cell()
            if (output_limit or memory) and audit_state["taint"] is None:
                audit_state["taint"] = "a cell hit the %s limit" % ("output" if output_limit else "memory")
        for d in drains:
            d.sync()
        send({
            "id": req["id"],
            "stdout": capture.text("stdout"),
            "stderr": capture.text("stderr"),
            "error": error,
            "traceback": tb,
            "truncated": capture.truncated,
            "outputLimit": output_limit,
            "memory": memory,
        })


# ---- soft reset (verified, in-process) -----------------------------------------------------------
# A recycle first asks the interpreter itself (host -> supervisor {"reset": G} -> interpreter
# {"softReset": G, "nonce": N}). It drops the episode's globals, context variables and the modules the
# episode imported, restores what the driver knows how to restore (os.environ, cwd, umask, import and
# regex caches, random's seed, the writable folders) and then verifies that everything else it can see
# is as it was before the first cell: every module's dict, one level into the classes, instances and
# containers it holds, builtins, sys settings, signal dispositions, rlimits, open fds, threads, memory.
# Clean: it answers "soft N" to the supervisor, which sends the ready banner (no fork, no exec).
# Anything else -- a difference, an extension module it cannot unload, a thread, a cell that reached
# into frames, gc referents or ctypes (audit hook, PEP 578) -- answers "fork N <why>", and the supervisor
# does the hard reset. The supervisor trusts no "soft" on its own: it checks the sandbox's processes and
# the interpreter's threads from outside before it accepts one.

# C extension modules an episode may import and the soft reset may drop: no process-wide state beyond
# immutable types and functions (re-importing them gives what a fresh interpreter would get).
SOFT_SAFE_EXTENSIONS = frozenset((
    "_bisect", "_heapq", "_json", "_struct", "array", "binascii", "zlib", "_datetime", "unicodedata",
    "math", "cmath", "_statistics", "_md5", "_sha1", "_sha256", "_sha512", "_sha3", "_blake2", "_random",
    "_opcode", "_contextvars", "_queue", "_typing", "_string", "_operator", "_collections", "_functools",
    "itertools"))

# Audited events (PEP 578) after which the interpreter's own view cannot be trusted: frames, gc
# referents, ctypes, more audit hooks. The hook tells the supervisor at once (SIGUSR1), which it
# cannot take back, so that episode ends with a fork.
TAINT_EVENTS = frozenset((
    "sys.addaudithook", "sys._getframe", "sys._current_frames", "sys._current_exceptions",
    "gc.get_referents", "gc.get_referrers", "gc.get_objects", "sys.setprofile", "sys.settrace"))
# Attribute reads (event object.__getattr__) that hand out a frame.
FRAME_ATTRS = frozenset(("tb_frame", "gi_frame", "cr_frame", "ag_frame"))

# Caches the driver restores instead of comparing (module, attribute): what is in them is derived
# from immutable inputs, so refilling them differently is not observable.
RESTORED_CACHES = (("linecache", "cache"), ("re", "_cache"), ("sys", "path_importer_cache"),
                   ("encodings", "_cache"))

# /proc/self/status lines that must not change (those gVisor does not show are skipped).
STATUS_KEYS = ("Umask", "SigIgn", "SigCgt", "SigPnd", "ShdPnd", "Uid", "Gid", "Groups", "NoNewPrivs",
               "Seccomp", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "Cpus_allowed", "NSpgid", "NSsid")

# Address space the interpreter may keep after a clean episode (freed memory that malloc or pymalloc
# keeps mapped); past it a fork gives the next episode the whole RLIMIT_AS back.
SOFT_VM_SLACK_KIB = 16 << 10


def make_soft_reset(supervisor_pid, keep, wipe_dirs, home):
    """Snapshots the pristine interpreter (call right before the first cell), installs the audit hook and
    returns (reset, new_episode, after_cell, audit state). Everything the check uses is bound here, so a cell that patches builtins, os or this module
    cannot change how the check runs; only frames or gc referents (audited, tainting) reach it."""
    import contextvars
    import gc
    import operator
    import resource
    import types
    _all, _map, _len, _type, _tuple, _id, _isinstance, _getattr, _sorted = all, map, len, type, tuple, id, isinstance, getattr, sorted
    _is = operator.is_
    _listdir, _fstat = os.listdir, os.fstat
    _kill, _getpid, _chdir, _umask, _putenv, _unsetenv = os.kill, os.getpid, os.chdir, os.umask, os.putenv, os.unsetenv
    _open = open
    _getrlimit, _getsignal, _getitimer, _sigmask, _sigpending = resource.getrlimit, signal.getsignal, signal.getitimer, signal.pthread_sigmask, signal.sigpending
    _collect, _modules, _environ = gc.collect, sys.modules, os.environ
    _FunctionType, _ModuleType = types.FunctionType, types.ModuleType
    _wipe = wipe
    IMMUTABLE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: static and immutable heap types cannot be patched
    CONTAINERS = (list, dict, set)
    restored = [(m, a) for m, a in RESTORED_CACHES]
    # The limits the runtimes set (OCI spec / prlimit) plus the two that shape the interpreter itself.
    rlimits = [getattr(resource, "RLIMIT_" + n) for n in ("AS", "NPROC", "CPU", "FSIZE", "NOFILE", "CORE", "STACK", "DATA")]
    signals = sorted(signal.valid_signals())
    all_signals = set(signals)
    itimers = (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)
    sys_getters = (sys.getrecursionlimit, sys.getswitchinterval, sys.get_int_max_str_digits, sys.getdlopenflags,
                   sys.gettrace, sys.getprofile, sys.get_coroutine_origin_tracking_depth, sys.get_asyncgen_hooks,
                   gc.isenabled, gc.get_threshold, gc.get_debug)  # (not the freeze count: frozen objects still die)
    import abc
    import atexit
    import faulthandler
    import _locale
    extra_getters = (abc.get_cache_token, atexit._ncallbacks, faulthandler.is_enabled,
                     lambda: _locale.setlocale(_locale.LC_ALL, None))
    getters = sys_getters + extra_getters
    state = {"taint": None, "told": False, "quiet": False, "env_keys": set()}

    def hook(event, args):
        # Never raises: an exception here would fail the cell's own call.
        if state["quiet"]:
            return
        if event == "os.putenv" or event == "os.unsetenv":
            state["env_keys"].add(args[0])
            return
        if event in TAINT_EVENTS or event == "signal.handler" or event.startswith("ctypes.") or (
                event == "object.__getattr__" and args[1] in FRAME_ATTRS) or (
                event in ("object.__setattr__", "object.__delattr__") and _id(args[0]) in pristine_ids):
            if state["taint"] is None:
                state["taint"] = "audited event %s" % event
            if not state["told"]:
                state["told"] = True
                try:
                    _kill(supervisor_pid, signal.SIGUSR1)
                except OSError:
                    pass

    def contents(v):
        t = _type(v)
        if t is dict:
            return (*v, *v.values())
        return _tuple(v)

    def status():
        with _open("/proc/self/status") as f:
            lines = f.read().splitlines()
        out, vm = {}, 0
        for line in lines:
            k, _, v = line.partition(":")
            if k in STATUS_KEYS:
                out[k] = v.strip()
            elif k == "VmSize":
                vm = int(v.split()[0])
            elif k == "Threads":
                out[k] = v.strip()
        return out, vm

    def fds():
        out = {}
        for name in _listdir("/proc/self/fd"):
            fd = int(name)
            try:
                st = _fstat(fd)
            except OSError:
                continue  # the listing's own fd
            out[fd] = (st.st_dev, st.st_ino, st.st_mode)  # one syscall per fd: ~0.4 ms each in loaded gVisor-ptrace
        return out

    # -- the snapshot ----------------------------------------------------------------------------
    # Pristine objects go to the permanent generation (as a zygote should before forking): the reset's
    # gc.collect() then walks only what the episode allocated (measured in loaded gVisor: 3-14 ms -> 1-6 ms).
    _collect()
    gc.freeze()
    modules = dict(_modules)
    watches = []      # (description, object, fingerprint-kind, fingerprint)
    pristine_ids = set()
    seen = set()

    def watch(desc, obj, kind, skip_keys=()):
        if _id(obj) in seen:
            return
        seen.add(_id(obj))
        watches.append((desc, obj, (kind, skip_keys), fingerprint(obj, (kind, skip_keys))))

    def fingerprint(obj, how):
        kind, skip_keys = how
        if kind == "dict":       # a module's or instance's namespace
            d = obj.__dict__
            if skip_keys:
                return (_type(obj), *d, *[v for k, v in d.items() if k not in skip_keys])
            return (_type(obj), *d, *d.values())
        if kind == "class":
            d = obj.__dict__
            return (_type(obj), obj.__bases__, *d, *d.values())
        if kind == "closure":
            return _tuple(c.cell_contents if _cell_full(c) else c for c in obj.__closure__)
        return contents(obj)  # "container"

    def _cell_full(c):
        try:
            c.cell_contents
            return True
        except ValueError:
            return False

    skip = {(m, a) for m, a in restored} | {("sys", "modules"), ("os", "environ")}

    def watch_namespace(desc, ns):
        for k, v in list(ns.items()):
            if (desc, k) in skip:
                continue
            t = _type(v)
            if t in CONTAINERS:
                watch(desc + "." + str(k), v, "container")
            elif _isinstance(v, type):
                pristine_ids.add(_id(v))
                if not v.__flags__ & IMMUTABLE:
                    watch(v.__module__ + "." + v.__qualname__, v, "class")
                    for k2, v2 in list(v.__dict__.items()):
                        if _type(v2) in CONTAINERS:
                            watch(v.__qualname__ + "." + str(k2), v2, "container")
                        elif _type(v2) is _FunctionType:
                            pristine_ids.add(_id(v2))
                            if v2.__closure__:
                                watch(v.__qualname__ + "." + str(k2), v2, "closure")
            elif t is _FunctionType:
                pristine_ids.add(_id(v))
                if v.__closure__:
                    watch(desc + "." + str(k), v, "closure")
            elif t is not _ModuleType and _isinstance(_getattr(v, "__dict__", None), dict) and not _isinstance(v, type):
                watch(desc + "." + str(k), v, "dict")
                for k2, v2 in list(v.__dict__.items()):
                    if _type(v2) in CONTAINERS:
                        watch(desc + "." + str(k) + "." + str(k2), v2, "container")

    module_keys = {n: set(m.__dict__) for n, m in modules.items() if _isinstance(m, _ModuleType)}
    for name, m in modules.items():
        if _isinstance(m, _ModuleType):
            watch("module " + name, m, "dict")
            watch_namespace(name, m.__dict__)
    for desc, obj, skip_keys in keep:
        watch(desc, obj, "dict", skip_keys)
        for k2, v2 in list(obj.__dict__.items()):
            if _type(v2) in CONTAINERS:
                watch(desc + "." + str(k2), v2, "container")
    caches = []
    for m, a in restored:
        c = _getattr(modules.get(m), a, None)
        if _type(c) is dict:
            caches.append((c, dict(c)))
    env = dict(_environ)
    env_bytes = dict(_environ._data)
    settings = [g() for g in getters]
    limits = [_getrlimit(r) for r in rlimits]
    handlers = [_getsignal(s) for s in signals]
    status0, vm0 = status()
    fds0 = fds()
    umask0 = _umask(0o077)  # gVisor's /proc/self/status has no Umask line: read it by setting it
    _umask(umask0)
    wipe_stat = [(d, os.stat(d)) for d in wipe_dirs if os.path.isdir(d)]

    def same(a, b):
        return _len(a) == _len(b) and _all(_map(_is, a, b))

    def difference(obj, how, before, now):
        """Names the first key that differs, for the fork's reason (best effort, never raises)."""
        try:
            kind, skip_keys = how
            if kind in ("dict", "class") and not skip_keys:
                offset = 2 if kind == "class" else 1
                n = (_len(before) - offset) // 2
                keys, values, d = before[offset:offset + n], before[offset + n:], obj.__dict__
                for k, v in zip(keys, values):
                    if k not in d:
                        return ": %s removed" % (k,)
                    if d[k] is not v:
                        return ": %s replaced" % (k,)
                for k in d:
                    if k not in keys:
                        return ": %s added" % (k,)
            return ": %d -> %d items" % (_len(before), _len(now))
        except Exception:
            return ""

    def check():
        """Why this interpreter is not pristine, or None."""
        if state["taint"] is not None:
            return state["taint"]
        if _getpid() != keep_pid:
            return "not the interpreter process"
        st, vm = status()
        for k, v in status0.items():
            if k != "Threads" and st.get(k) != v:
                return "process status %s changed: %r -> %r" % (k, v, st.get(k))
        if st.get("Threads", "3") != "3":
            return "threads: %s running (main and the 2 output drains expected)" % st.get("Threads")
        if vm > vm0 + SOFT_VM_SLACK_KIB:
            return "address space grew by %d MiB" % ((vm - vm0) >> 10)
        for r, lim in zip(rlimits, limits):
            if _getrlimit(r) != lim:
                return "rlimit %d changed: %r -> %r" % (r, lim, _getrlimit(r))
        for s, h in zip(signals, handlers):
            if _getsignal(s) is not h:
                return "signal %d handler changed" % s
        for t in itimers:
            if _getitimer(t) != (0.0, 0.0):
                return "interval timer %d armed" % t
        if _sigpending():
            return "signals pending: %s" % _sorted(_sigpending())
        for g, v in zip(getters, settings):
            now = g()
            if now is not v and now != v:
                return "interpreter setting %s changed: %r -> %r" % (g.__name__, v, now)
        now_fds = fds()
        if now_fds != fds0:
            extra = _sorted(set(now_fds) ^ set(fds0)) or [fd for fd in fds0 if now_fds.get(fd) != fds0[fd]]
            return "open fds differ: %s" % extra[:5]
        if _len(_modules) != _len(modules):
            return "sys.modules has %d entries, %d expected" % (_len(_modules), _len(modules))
        for name, m in modules.items():
            if _modules.get(name) is not m:
                return "module %s replaced or removed" % name
        for desc, obj, kind, fp in watches:
            now = fingerprint(obj, kind)
            if not same(now, fp):
                return "%s changed%s" % (desc, difference(obj, kind, fp, now))
        for d, s in wipe_stat:
            now = os.stat(d)
            if (now.st_mode, now.st_uid, now.st_gid) != (s.st_mode, s.st_uid, s.st_gid):
                return "%s mode or owner changed" % d
        return None

    def drop_new_modules():
        """Removes the modules the episode imported; an extension module cannot be unloaded, so one
        outside SOFT_SAFE_EXTENSIONS is a reason to fork."""
        new = [n for n in _modules if n not in modules]
        for n in new:
            m = _modules[n]
            spec = _getattr(m, "__spec__", None)
            origin = _getattr(spec, "origin", None) if spec is not None else None
            if _isinstance(origin, str) and (origin == "built-in" or origin.endswith(".so")):
                if n not in SOFT_SAFE_EXTENSIONS:
                    return "extension module %s was loaded" % n
        for n in new:
            m = _modules.pop(n, None)
            parent, _, child = n.rpartition(".")
            keys = module_keys.get(parent)
            if keys is not None and child not in keys and modules[parent].__dict__.get(child) is m:
                del modules[parent].__dict__[child]  # import a.b set a.b
        return None

    def restore_env():
        for k in list(_environ):
            if k not in env:
                del _environ[k]
        for k, v in env.items():
            if _environ.get(k) != v:
                _environ[k] = v
        for k in state["env_keys"]:  # os.putenv / os.unsetenv behind os.environ's back
            if k in env_bytes:
                _putenv(k, env_bytes[k])
            else:
                _unsetenv(k)
        state["env_keys"].clear()

    def reset(drains, stdio):
        """Soft reset; returns None when the interpreter is pristine again, else why it is not."""
        old_mask = _sigmask(signal.SIG_BLOCK, all_signals)  # no handler runs cell code during the check
        try:
            sys.stdin, sys.stdout, sys.stderr = stdio
            for k in ("last_type", "last_value", "last_traceback"):
                sys.__dict__.pop(k, None)
            why = drop_new_modules()
            if why is not None:
                return why
            for c, saved in caches:
                c.clear()
                c.update(saved)
            restore_env()
            _chdir(home)
            _umask(umask0)
            import random
            random.seed()  # a forked interpreter reseeds too (random's at-fork hook)
            _collect()  # finalizers of the episode's objects run now, before the check
            # (no drain sync: the last cell's result already synced them, and the supervisor checks
            # that their threads are the ones the interpreter started with)
            why = check()
            if why is None and old_mask:
                why = "signals were blocked: %s" % _sorted(old_mask)
            if why is not None:
                return why
            for d in wipe_dirs:
                _wipe(d)
            return None
        except BaseException as e:
            return "soft reset failed: %s" % error_line(e)
        finally:
            _sigmask(signal.SIG_SETMASK, old_mask)

    def after_cell():
        """A Python signal handler gets a frame without an audit event: taint as soon as one is set."""
        for s, h in zip(signals, handlers):
            if _getsignal(s) is not h:
                hook("signal.handler", ())
                if state["taint"] is None or state["taint"] == "audited event signal.handler":
                    state["taint"] = "signal %d handler changed" % s
                return

    def new_episode():
        state["taint"] = None
        state["told"] = False
        return contextvars.Context()

    keep_pid = _getpid()
    sys.addaudithook(hook)
    return reset, new_episode, after_cell, state


# ---- supervisor (zygote) -------------------------------------------------------------------------

# Modules every interpreter would import anyway (the driver's own) plus the ones agent code uses most,
# imported once in the zygote so a forked interpreter starts with them loaded.
PREIMPORT = ("math", "re", "random", "collections", "itertools", "functools", "string", "subprocess", "time")


def wipe(folder):
    """Deletes everything inside folder (not folder itself); opens each folder up first, since the agent
    may have chmod-ed it shut. Raises when something could not be removed."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        remove_tree(os.path.join(folder, name))
    left = os.listdir(folder)
    if left:
        raise OSError("could not empty %s: %s left" % (folder, left[:5]))


def remove_tree(path):
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        os.chmod(path, 0o700)
        for name in os.listdir(path):
            remove_tree(os.path.join(path, name))
        os.rmdir(path)
    else:
        os.unlink(path)


# How long the supervisor waits for the interpreter's soft-reset verdict before it forks instead.
SOFT_RESET_TIMEOUT = 5.0


def tasks(pid):
    """The thread ids of pid. One listing, no per-thread stat (each read is a few syscalls, ~0.4 ms apiece
    in loaded gVisor-ptrace): a tid comes back only after the PID space wraps around."""
    return frozenset(os.listdir("/proc/%d/task" % pid))


class Supervisor:
    def __init__(self):
        self.proto_out = os.dup(1)
        self.isolated = os.getpid() == 1  # init of our own PID namespace: kill(-1) reaches only the sandbox
        self.wipe_dirs = [d for d in os.environ.get("AGENTOPS_WIPE", "").split(":") if d]
        self.child = None
        self.child_in = None
        self.verdict = None
        self.tasks = None
        self.tainted = None
        self.exited = None  # the interpreter's wait status when a wait for its verdict reaped it
        self.pid = os.getpid()
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        # The interpreter's audit hook: the episode touched something the soft reset cannot vouch for.
        signal.signal(signal.SIGUSR1, self.on_taint)
        self.home = os.getcwd()

    def on_taint(self, *_):
        self.tainted = self.tainted or "the interpreter reported an audited event (frames, gc referents, ctypes, hooks)"

    def send(self, obj):
        data = memoryview(b"\n" + json.dumps(obj).encode("ascii") + b"\n")
        while data:
            data = data[os.write(self.proto_out, data):]

    def spawn(self, generation, reason=None):
        r, w = os.pipe()
        vr, vw = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(w)
                os.close(vr)
                os.close(self.wake_r)
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGUSR1, signal.SIG_DFL)
                os.setsid()
                os.dup2(r, 0)
                os.close(r)
                os.close(self.proto_out)
                os.chdir(self.home)
                main(generation, self.isolated, vw, self.pid, reason)
            finally:
                os._exit(0)
        os.close(r)
        os.close(vw)
        self.child, self.child_in, self.verdict = pid, w, vr
        self.tainted = self.exited = None
        self.tasks = None
        if self.isolated and self.read_verdict(10.0) == "up":
            self.tasks = tasks(pid)  # main + the 2 output drains, before any cell ran

    def read_verdict(self, timeout):
        """One line from the interpreter's verdict pipe, or None when it died or said nothing in time."""
        deadline = time.monotonic() + timeout
        buf = b""
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.verdict, self.wake_r], [], [], left)
            if self.wake_r in ready:
                self.drain_wake()
                if self.child_died():
                    return None
            if self.verdict in ready:
                chunk = os.read(self.verdict, 4096)
                if not chunk:
                    return None
                buf += chunk
        return buf.decode("utf-8", "replace").strip()

    def drain_wake(self):
        try:
            os.read(self.wake_r, 4096)
        except BlockingIOError:
            pass

    def child_died(self):
        try:
            pid, status = os.waitpid(self.child, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid != 0:
            self.exited = status
        return pid != 0

    def try_soft(self, generation):
        """Asks the interpreter to reset itself; None when it did and everything checks out from here."""
        if not self.isolated:
            return "no PID namespace of its own"
        if self.child is None or self.child_in is None or self.tasks is None:
            return "no interpreter to reset"
        if self.tainted:
            return self.tainted
        why = self.outside_check("before")
        if why:
            return why
        os.set_blocking(self.verdict, False)
        try:
            while os.read(self.verdict, 4096):
                pass  # whatever a cell wrote there: only a line with this reset's nonce counts
        except BlockingIOError:
            pass
        os.set_blocking(self.verdict, True)
        nonce = int.from_bytes(os.urandom(8), "little") >> 1
        data = memoryview(json.dumps({"softReset": generation, "nonce": nonce}).encode("ascii") + b"\n")
        try:
            while data:
                data = data[os.write(self.child_in, data):]
        except BrokenPipeError:
            return "interpreter gone"
        deadline = time.monotonic() + SOFT_RESET_TIMEOUT
        while True:
            line = self.read_verdict(max(deadline - time.monotonic(), 0.001))
            if line is None:
                return "interpreter gave no soft-reset verdict within %.0f s" % SOFT_RESET_TIMEOUT
            kind, _, rest = line.partition(" ")
            seen, _, why = rest.partition(" ")
            if seen != str(nonce):
                continue
            if kind != "soft":
                return why or "interpreter refused"
            break
        if self.tainted:
            return self.tainted
        return self.outside_check("after")

    def outside_check(self, when):
        """What the supervisor sees itself: no process but us and the interpreter, and the interpreter's
        threads are still the three it started with."""
        if self.reap() is not None or self.exited is not None:
            return "interpreter exited %s the soft reset" % when
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (self.pid, self.child)]
        if others:
            return "%d other process(es) in the sandbox %s the soft reset" % (len(others), when)
        now = tasks(self.child)
        if now != self.tasks:
            return "interpreter threads changed (%d, expected %d) %s the soft reset" % (len(now), len(self.tasks), when)
        return None

    def kill_all(self):
        """SIGKILL the interpreter and everything it started (background processes, double-forked or
        setsid-ed children included), then reap them all."""
        if self.child_in is not None:
            os.close(self.child_in)
            self.child_in = None
        if self.verdict is not None:
            os.close(self.verdict)
            self.verdict = None
        if self.isolated:
            while True:
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break
        else:
            # No PID namespace of our own (unprivileged process runtime): only the interpreter's session.
            try:
                os.killpg(self.child, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.child, 0)
            except ChildProcessError:
                pass
        self.child = None

    def reset(self, generation):
        try:
            why = self.try_soft(generation)
        except Exception as e:
            why = "soft reset failed in the supervisor: %s" % error_line(e)
        if why is None:
            self.tainted = None
            self.send({"ready": True, "pid": self.child, "python": sys.version.split()[0],
                       "generation": generation, "isolated": self.isolated, "reset": "soft"})
            return
        self.kill_all()
        try:
            for d in self.wipe_dirs:
                wipe(d)
        except Exception as e:
            self.send({"resetError": "wipe failed: %s" % error_line(e)})
            return
        self.spawn(generation, why)

    def reap(self):
        """Reaps exited processes; returns the interpreter's wait status when it was among them."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid == 0:
                return None
            if pid == self.child:
                self.exited = status
                return status

    def exit_if_child_exited(self):
        status = self.exited
        if status is not None:
            self.kill_all_quietly()
            if os.WIFSIGNALED(status):
                os._exit(128 + os.WTERMSIG(status))
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)

    def run(self):
        stdin = 0
        self.spawn(0)
        pending = b""
        while True:
            self.exit_if_child_exited()  # also when a wait for the interpreter's verdict reaped it
            ready, _, _ = select.select([stdin, self.wake_r], [], [])
            if self.wake_r in ready:
                self.drain_wake()
                self.reap()
                self.exit_if_child_exited()
            if stdin not in ready:
                continue
            chunk = os.read(stdin, 1 << 16)
            if not chunk:
                self.kill_all_quietly()
                os._exit(0)
            pending += chunk
            while True:
                nl = pending.find(b"\n")
                if nl < 0:
                    break
                line, pending = pending[:nl + 1], pending[nl + 1:]
                if line.startswith(b'{"reset":'):
                    self.reset(int(json.loads(line)["reset"]))
                elif self.child_in is not None:
                    data = memoryview(line)
                    try:
                        while data:
                            data = data[os.write(self.child_in, data):]
                    except BrokenPipeError:
                        pass  # the interpreter is dying; its end of stream is reported through SIGCHLD

    def kill_all_quietly(self):
        try:
            if self.child is not None:
                self.kill_all()
        except Exception:
            pass  # on the way out: the runtime's own kill (namespace/container teardown) follows anyway


def supervise():
    for name in PREIMPORT:
        try:
            __import__(name)
        except ImportError:
            pass
    Supervisor().run()


if __name__ == "__main__":
    if os.environ.get("AGENTOPS_SUPERVISOR") == "1":
        supervise()
    else:
        main()
