# AgentOps sandbox REPL driver: one persistent interpreter per episode (Jupyter-kernel-like notebook
# semantics: globals, imports and functions survive between cells; a final expression's repr is shown).
# Protocol (line-delimited JSON, one object per line):
#   host -> driver (original fd 0):  {"id": N, "code": "..."}
#   driver -> host (original fd 1):  {"ready": true, ...} once, then one result object per request.
# The cell never sees the protocol fds: fd 0 becomes /dev/null, fds 1 and 2 become pipes drained by
# threads into a per-cell capture capped at AGENTOPS_OUTPUT_BYTES (stdout + stderr together).
# Recycle (zygote, as Android's and CPython's multiprocessing forkserver): the process the runtime starts
# is a supervisor that pre-imports the stdlib, then forks one interpreter per episode. Host -> supervisor
#   {"reset": G}  kill every other process of the sandbox, wipe AGENTOPS_WIPE (':'-separated folders),
#                 fork a fresh interpreter, whose banner is {"ready": true, "generation": G, ...};
#                 on failure the supervisor answers {"resetError": "..."} instead.
# Cell requests are forwarded to the interpreter over a pipe; its result frames go straight to the host.
# When the interpreter dies on its own, the supervisor kills the rest and exits with its status, so the
# host sees the same end of stream as before and restarts the whole sandbox.
import ast
import json
from json import dumps as _json_dumps, loads as _json_loads  # a cell may patch json.*; the protocol must not care
import linecache
import os
import select
import signal
import stat
import sys
import threading
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
        with self.lock:
            self.parts = {"stdout": [], "stderr": []}
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


def cell_traceback(e):
    frames = [f for f in traceback.extract_tb(e.__traceback__) if os.path.abspath(f.filename) != DRIVER_FILE]
    if isinstance(e, SyntaxError) or not frames:
        return "".join(traceback.format_exception_only(type(e), e))[-2000:]
    lines = ["Traceback (most recent call last):\n"] + traceback.format_list(frames[-MAX_FRAMES:])
    lines += traceback.format_exception_only(type(e), e)
    return "".join(lines)[-4000:]


def run_cell(code, n, env):
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


def main(generation=0, isolated=False):
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
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
    env = {"__name__": "__main__", "__builtins__": __builtins__}
    sys.argv = [""]

    def send(obj):
        # Raw writes may be short (gVisor returns a partial count on a full host pipe): loop until all is out.
        data = memoryview(_json_dumps(obj).encode("ascii") + b"\n")
        while data:
            data = data[proto_out.write(data) or 0:]

    main_pid = os.getpid()
    send({"ready": True, "pid": main_pid, "python": sys.version.split()[0],
          "generation": generation, "isolated": isolated})
    reader = proto_in
    while True:
        line = reader.readline()
        if not line:
            return
        req = _json_loads(line)
        capture.reset()
        for d in drains:
            d.restore()
        sys.stdin = open(os.devnull)
        sys.stdout, sys.stderr = cell_out, cell_err
        error = tb = None
        output_limit = memory = False
        try:
            run_cell(req["code"], req["id"], env)
        except OutputLimitExceeded as e:
            output_limit = True
            error, tb = error_line(e), None
        except BaseException as e:  # the cell's own failure, including SystemExit and KeyboardInterrupt
            memory = isinstance(e, MemoryError)
            try:
                error, tb = error_line(e), cell_traceback(e)
            except BaseException as e2:
                error, tb = "%s (while formatting %s)" % (error_line(e2), type(e).__name__), None
            e = None
        if os.getpid() != main_pid:
            os._exit(0)  # a child the cell forked came back out of the cell: only the driver speaks the protocol
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
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


class Supervisor:
    def __init__(self):
        self.proto_out = os.dup(1)
        self.isolated = os.getpid() == 1  # init of our own PID namespace: kill(-1) reaches only the sandbox
        self.wipe_dirs = [d for d in os.environ.get("AGENTOPS_WIPE", "").split(":") if d]
        self.child = None
        self.child_in = None
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.home = os.getcwd()

    def send(self, obj):
        data = memoryview(b"\n" + json.dumps(obj).encode("ascii") + b"\n")
        while data:
            data = data[os.write(self.proto_out, data):]

    def spawn(self, generation):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(w)
                os.close(self.wake_r)
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.setsid()
                os.dup2(r, 0)
                os.close(r)
                os.close(self.proto_out)
                os.chdir(self.home)
                main(generation, self.isolated)
            finally:
                os._exit(0)
        os.close(r)
        self.child, self.child_in = pid, w

    def kill_all(self):
        """SIGKILL the interpreter and everything it started (background processes, double-forked or
        setsid-ed children included), then reap them all."""
        if self.child_in is not None:
            os.close(self.child_in)
            self.child_in = None
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
        self.kill_all()
        try:
            for d in self.wipe_dirs:
                wipe(d)
        except Exception as e:
            self.send({"resetError": "wipe failed: %s" % error_line(e)})
            return
        self.spawn(generation)

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
                return status

    def run(self):
        stdin = 0
        self.spawn(0)
        pending = b""
        while True:
            ready, _, _ = select.select([stdin, self.wake_r], [], [])
            if self.wake_r in ready:
                try:
                    os.read(self.wake_r, 4096)
                except BlockingIOError:
                    pass
                status = self.reap()
                if status is not None:
                    self.kill_all_quietly()
                    if os.WIFSIGNALED(status):
                        os._exit(128 + os.WTERMSIG(status))
                    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
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
