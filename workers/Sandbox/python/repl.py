# AgentOps sandbox REPL driver: one persistent interpreter per episode (Jupyter-kernel-like notebook
# semantics: globals, imports and functions survive between cells; a final expression's repr is shown).
# Protocol (line-delimited JSON, one object per line):
#   host -> driver (original fd 0):  {"id": N, "code": "..."}
#   driver -> host (original fd 1):  {"ready": true, ...} once, then one result object per request.
# The cell never sees the protocol fds: fd 0 becomes /dev/null, fds 1 and 2 become pipes drained by
# threads into a per-cell capture capped at AGENTOPS_OUTPUT_BYTES (stdout + stderr together).
import ast
import json
import linecache
import os
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


def main():
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
        data = memoryview(json.dumps(obj).encode("ascii") + b"\n")
        while data:
            data = data[proto_out.write(data) or 0:]

    main_pid = os.getpid()
    send({"ready": True, "pid": main_pid, "python": sys.version.split()[0]})
    reader = proto_in
    while True:
        line = reader.readline()
        if not line:
            return
        req = json.loads(line)
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


if __name__ == "__main__":
    main()
