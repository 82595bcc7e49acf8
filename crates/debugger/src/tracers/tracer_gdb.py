# Flash's C/C++ tracer: runs inside gdb (gdb -nx -batch -x tracer_gdb.py) in a box.
# Reads its settings from the JSON file named by $FLASH_DEBUG_CONFIG.
#
# How it works:
# - The program was compiled with -g -O0. Once the program is exec'd (PIE addresses
#   are then relocated), every address of the user's file's line table gets an internal
#   breakpoint. Line breakpoints record a step in `stop()` and return False, so
#   gdb resumes at once: one `run` of the program, no `step`.
# - A function's entry address gets a breakpoint that really stops: there the
#   main loop adds a FinishBreakpoint for the new frame (breakpoints may not be
#   created inside `stop()`), whose own `stop()` records the return value.
# - The program is started through `/.flash/flash __seccomp-exec`, which
#   installs the strict seccomp filter: gdb may ptrace, the program may not.
# - The program's stdout is a pipe that a thread here relays to the real
#   stdout, counting bytes; at a stop, relayed + FIONREAD(pipe) is exactly what
#   the program has written (it is stopped).
# - gdb's own messages never reach the program's stdout or stderr: after the
#   program is started gdb's fds 1 and 2 point to a log file in /tmp.
# - gdb makes itself non-dumpable first, so the program cannot reach its
#   memory through /proc/<gdb>/mem.
# - The wrapper is gdb's program and gdb stops at its exec (`catch exec`):
#   `set exec-wrapper` with startup-with-shell off loses count of the execs in
#   gdb 13.1 and lets the program run to its end during start-up.
#
# Output: JSON lines in the trace file, one per step, then one end record.
import ctypes
import gdb
import fcntl
import itertools
import json
import os
import re
import struct
import termios
import threading
import time

# gdb and the traced program run as the same user: unless gdb is made
# non-dumpable, the program could open /proc/<gdb>/mem and run code as its
# tracer (which may make calls the program itself is denied). Non-dumpable,
# gdb's /proc files belong to root. The program's exec makes it dumpable
# again, so gdb keeps tracing it. PR_SET_DUMPABLE is 4.
if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:
    raise SystemExit("flash tracer: prctl(PR_SET_DUMPABLE, 0) failed: errno %d" % ctypes.get_errno())

CONFIG = json.load(open(os.environ.get("FLASH_DEBUG_CONFIG", "/box/.flash-debug/config.json")))
SOURCE = os.path.basename(CONFIG["source"])
MAX_STEPS = int(CONFIG["max_steps"])
TRACE_BYTES = int(CONFIG["trace_bytes"])
DEADLINE = time.monotonic() + float(CONFIG["deadline"])
MAX_DEPTH = 3
MAX_ITEMS = 50
MAX_STR = 200
MAX_FRAMES = 64
MAX_COUNT = 100000  # elements counted, past the rendered ones, for a container's true length
# Functions of the user's file that the compiler made, not the user.
SKIP_FUNCS = ("__static_initialization_and_destruction_0", "_GLOBAL__sub_I_")

# The trace goes to a descriptor Flash opened for gdb alone: no file of the
# box leads to it, the program does not inherit it (close-on-exec), and gdb's
# /proc/<pid>/fd is closed to the program (non-dumpable, above).
os.set_inheritable(int(CONFIG["trace_fd"]), False)
trace = open(int(CONFIG["trace_fd"]), "w", encoding="utf-8", errors="replace", closefd=False)
state = {
    "steps": 0,
    "bytes": 0,
    "end": None,  # why tracing stopped early: step_limit, trace_size_limit, time_limit
    "pending": None,  # the frame whose entry breakpoint stopped last (a call)
    "prev": None,  # (frame, line, pc) of the last line step
    "signal": None,
    "exit": None,
    "held": None,  # a line step waiting for the return event at the same address
}
shadow = []  # [frame, func, last frames snapshot] for every traced call still running


def write_record(obj):
    data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
    trace.write(data)
    trace.flush()
    return len(data.encode("utf-8"))


def emit(step):
    """Records one step; returns False (and notes why) once a limit is reached."""
    if state["end"]:
        return False
    if state["steps"] >= MAX_STEPS:
        state["end"] = "step_limit"
        return False
    if time.monotonic() > DEADLINE:
        state["end"] = "time_limit"
        return False
    data = json.dumps(step, separators=(",", ":"), ensure_ascii=False) + "\n"
    size = len(data.encode("utf-8"))
    if state["bytes"] + size > TRACE_BYTES:
        state["end"] = "trace_size_limit"
        return False
    trace.write(data)
    trace.flush()
    state["bytes"] += size
    state["steps"] += 1
    return True


# --- stdout relay -----------------------------------------------------------


class Relay(threading.Thread):
    """Copies the program's stdout pipe to the real stdout, counting bytes."""

    def __init__(self, rfd, out_fd):
        super().__init__(daemon=True)
        self.rfd, self.out_fd = rfd, out_fd
        self.lock = threading.Lock()
        self.count = 0
        # Set once the program has exited: copy what is in the pipe, then stop
        # (a child it left behind may hold the pipe open; a normal run would
        # not wait for it either).
        self.stopping = False

    def run(self):
        import select

        while True:
            ready, _, _ = select.select([self.rfd], [], [], 0.05)
            if not ready:
                if self.stopping:
                    return
                continue
            with self.lock:
                data = os.read(self.rfd, 65536)
                self.count += len(data)
            if not data:
                return
            view = memoryview(data)
            while view:
                try:
                    n = os.write(self.out_fd, view)
                except OSError:
                    # The sandbox stopped reading (output limit): keep draining.
                    break
                view = view[n:]

    def written(self):
        with self.lock:
            buf = fcntl.ioctl(self.rfd, termios.FIONREAD, b"\0\0\0\0")
            return self.count + struct.unpack("i", buf)[0]


# --- values -----------------------------------------------------------------


def cut(s):
    if len(s) > MAX_STR:
        return s[:MAX_STR], len(s)
    return s, None


def scalar(tname, text, length=None):
    text, cut_len = cut(text)
    out = {"type": tname[:MAX_STR], "value": text}
    if cut_len is not None or length is not None:
        out["len"] = length if length is not None else cut_len
    return out


LEN_RE = re.compile(r"(?:length|with|size) (\d+)")


def read_std_string(v, tname):
    n = int(v["_M_string_length"])
    ptr = int(v["_M_dataplus"]["_M_p"])
    raw = bytes(gdb.selected_inferior().read_memory(ptr, min(max(n, 0), MAX_STR * 4)))
    text = raw.decode("utf-8", "replace")
    out = {"type": tname, "value": text[:MAX_STR]}
    if n > MAX_STR or len(text) > MAX_STR:
        out["len"] = n
    return out


def render_printer(v, pp, tname, depth):
    hint = pp.display_hint() if hasattr(pp, "display_hint") else None
    summary = pp.to_string() if hasattr(pp, "to_string") else None
    if type(summary).__name__ == "LazyString" or hint == "string":
        if "basic_string" in str(v.type.strip_typedefs()):
            return read_std_string(v, tname)
        text = v.format_string(max_elements=MAX_STR + 1)
        return scalar(tname, text)
    if isinstance(summary, gdb.Value):
        summary = summary.format_string(max_elements=MAX_STR)
    if not hasattr(pp, "children"):
        return scalar(tname, str(summary))
    m = LEN_RE.search(str(summary or ""))
    known = int(m.group(1)) if m else None
    if depth >= MAX_DEPTH:
        out = {"type": tname, "value": "..."}
        if known is not None:
            out["len"] = known
        return out
    items, entries = [], []
    key = None
    per_item = 2 if hint == "map" else 1
    limit = MAX_ITEMS * per_item
    children = iter(pp.children())
    cut_at = None
    for i, (_, child) in enumerate(children):
        if i >= limit:
            cut_at = i
            break
        if not isinstance(child, gdb.Value):
            child = gdb.Value(child)
        if hint == "map":
            if i % 2 == 0:
                key = render(child, depth + 1)
            else:
                entries.append({"key": key, "value": render(child, depth + 1)})
        else:
            items.append(render(child, depth + 1))
    out = {"type": tname}
    if hint == "map":
        out["entries"] = entries
    else:
        out["items"] = items
    if cut_at is not None:
        if known is None:
            # No size in the printer's summary: count the rest (bounded).
            known = cut_at + 1
            for _ in itertools.islice(children, MAX_COUNT):
                known += 1
            known //= per_item
        out["len"] = known
    return out


def render(v, depth=0):
    """A bounded rendering of a gdb.Value (see the crate docs for the shape)."""
    try:
        tname = str(v.type)[:MAX_STR]
        pp = gdb.default_visualizer(v)
        if pp is not None:
            return render_printer(v, pp, tname, depth)
        t = v.type.strip_typedefs()
        code = t.code
        if code in (gdb.TYPE_CODE_REF, gdb.TYPE_CODE_RVALUE_REF):
            return render(v.referenced_value(), depth)
        if code == gdb.TYPE_CODE_INT:
            if t.sizeof == 1:
                return scalar(tname, v.format_string())
            return scalar(tname, str(int(v)))
        if code == gdb.TYPE_CODE_CHAR:
            return scalar(tname, v.format_string())
        if code == gdb.TYPE_CODE_BOOL:
            return scalar(tname, "true" if bool(v) else "false")
        if code == gdb.TYPE_CODE_FLT:
            return scalar(tname, repr(float(v)))
        if code == gdb.TYPE_CODE_ENUM:
            return scalar(tname, v.format_string())
        if code == gdb.TYPE_CODE_PTR:
            target = t.target().strip_typedefs()
            if target.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR) and target.sizeof == 1 and int(v):
                return scalar(tname, v.format_string(max_elements=MAX_STR + 1))
            return scalar(tname, hex(int(v)))
        if code == gdb.TYPE_CODE_ARRAY:
            lo, hi = t.range()
            n = hi - lo + 1
            elem = t.target().strip_typedefs()
            if elem.sizeof == 1 and elem.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR) and n > 0:
                # A char array reads as the string it holds (up to its NUL).
                raw = bytes(gdb.selected_inferior().read_memory(v.address, min(n, MAX_STR * 4)))
                text = raw.split(b"\0")[0].decode("utf-8", "replace")
                return scalar(tname, text)
            if depth >= MAX_DEPTH:
                return {"type": tname, "value": "...", "len": n}
            items = [render(v[lo + i], depth + 1) for i in range(min(n, MAX_ITEMS))]
            out = {"type": tname, "items": items}
            if n > MAX_ITEMS:
                out["len"] = n
            return out
        if code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
            if depth >= MAX_DEPTH:
                return {"type": tname, "value": "..."}
            fields = []
            for f in t.fields():
                if len(fields) >= MAX_ITEMS:
                    break
                if not hasattr(f, "bitpos"):  # static member
                    continue
                name = f.name or ""
                if f.is_base_class:
                    val = render(v.cast(f.type), depth + 1)
                else:
                    val = render(v[f], depth + 1)
                val = dict(val)
                val["name"] = name[:MAX_STR]
                fields.append(val)
            return {"type": tname, "fields": fields}
        if code == gdb.TYPE_CODE_FUNC:
            return scalar(tname, "function")
        return scalar(tname, v.format_string(max_elements=MAX_STR))
    except Exception as e:  # unreadable memory, a printer's error: say so, go on
        return {"type": str(getattr(v, "type", "?"))[:MAX_STR], "value": "<unavailable: %s>" % str(e)[:80]}


# --- frames -----------------------------------------------------------------


def in_user_file(frame):
    try:
        sal = frame.find_sal()
        return sal.symtab is not None and os.path.basename(sal.symtab.filename) == SOURCE
    except Exception:
        return False


def frame_locals(frame, line):
    """Arguments, then locals from the outermost block inwards, in declaration
    order; variables declared below the current line are not shown yet."""
    try:
        block = frame.block()
    except RuntimeError:
        return []
    blocks = []
    while block is not None:
        blocks.append(block)
        if block.function is not None:
            break
        block = block.superblock
    out = []
    for b in reversed(blocks):
        for sym in b:
            if not (sym.is_variable or sym.is_argument):
                continue
            if not sym.is_argument and sym.line > line:
                continue
            if sym.name.startswith("__"):  # __in_chrg, __vtt_parm: the compiler's
                continue
            if len(out) >= MAX_ITEMS:
                return out
            val = dict(render(sym.value(frame)))
            val["name"] = sym.name[:MAX_STR]
            out.append(val)
    return out


def frames_now():
    """The user's frames, innermost first (other code's frames are skipped)."""
    out = []
    f = gdb.newest_frame()
    while f is not None and len(out) < MAX_FRAMES:
        if in_user_file(f):
            line = f.find_sal().line
            out.append({"func": f.name() or "?", "line": line, "locals": frame_locals(f, line)})
        if f.name() == "main":
            break
        f = f.older()
    return out


def innermost_user_frame():
    f = gdb.newest_frame()
    while f is not None:
        if in_user_file(f):
            return f
        f = f.older()
    return None


# --- breakpoints --------------------------------------------------------------


def stop_now(step):
    """Records `step` (after any step held back); True when a limit was reached
    and the program must stop."""
    held = state["held"]
    if held is not None:
        state["held"] = None
        if not emit(held):
            return True
    if step is None:
        return False
    step["stdout_len"] = relay.written()
    return not emit(step)


# Return addresses of the calls still running: pc -> [call line, ...]. A line
# breakpoint there is either the rest of the call's line (no new step) or the
# next line, which must come after the callee's return event.
returns_at = {}


class LineBp(gdb.Breakpoint):
    def __init__(self, pc, line):
        super().__init__("*%d" % pc, internal=True)
        self.line = line
        self.pc = pc

    def stop(self):
        try:
            return self.hit()
        except Exception as e:
            state["end"] = "error"
            state["error"] = "line breakpoint: %s" % e
            return True

    def hit(self):
        frame = gdb.newest_frame()
        prev = state["prev"]
        state["prev"] = (frame, self.line, self.pc)
        # Further addresses of the line just recorded (a `for` header's
        # condition, the rest of an expression) are not new steps.
        if prev is not None and prev[1] == self.line and self.pc > prev[2] and prev[0] == frame:
            return False
        calls = returns_at.get(self.pc)
        if calls and self.line in calls:
            return False
        func = frame.name() or "?"
        frames = frames_now()
        if shadow and shadow[-1][0] == frame:
            shadow[-1][2] = frames
        pending = state["pending"]
        if pending is not None and pending == frame:
            state["pending"] = None
            fn = frame.function()
            call = {"event": "call", "line": fn.line if fn else self.line, "func": func, "frames": frames}
            if stop_now(call):
                return True
        step = {"event": "line", "line": self.line, "func": func, "frames": frames}
        if calls:
            # The callee's finish breakpoint at this address reports first.
            step["stdout_len"] = relay.written()
            stop_now(None)
            state["held"] = step
            return False
        return stop_now(step)


class EntryBp(gdb.Breakpoint):
    """A function's first address: stops for real, so the main loop can add a finish breakpoint."""

    def __init__(self, pc):
        super().__init__("*%d" % pc, internal=True)

    def stop(self):
        return not state["end"]


class ReturnBp(gdb.FinishBreakpoint):
    def __init__(self, frame, func):
        caller = frame.older()
        super().__init__(frame, internal=True)
        self.entry = [frame, func, []]
        self.ret_pc = caller.pc()
        self.call_line = caller.find_sal().line
        returns_at.setdefault(self.ret_pc, []).append(self.call_line)
        self.done = False
        shadow.append(self.entry)

    def pop(self):
        if self.done:
            return
        self.done = True
        calls = returns_at.get(self.ret_pc, [])
        if self.call_line in calls:
            calls.remove(self.call_line)
        if not calls:
            returns_at.pop(self.ret_pc, None)
        while shadow:
            if shadow.pop() is self.entry:
                break

    def stop(self):
        try:
            self.pop()
            # The caller goes on in the middle of the call's line: not a new step.
            state["prev"] = (gdb.newest_frame(), self.call_line, self.ret_pc)
            frames = self.entry[2]
            line = frames[0]["line"] if frames else 0
            step = {"event": "return", "line": line, "func": self.entry[1], "frames": frames}
            rv = self.return_value
            if rv is not None:
                step["return_value"] = render(rv)
            held, state["held"] = state["held"], None
            if stop_now(step):
                return True
            if held is not None and not emit(held):
                return True
            return False
        except Exception as e:
            state["end"] = "error"
            state["error"] = "finish breakpoint: %s" % e
            return True

    def out_of_scope(self):
        self.pop()


def read_cstring(addr, limit=256):
    inf = gdb.selected_inferior()
    for n in (limit, 32):
        try:
            return bytes(inf.read_memory(addr, n)).split(b"\0")[0].decode("ascii", "replace")
        except Exception:
            continue
    return ""


class ThrowBp(gdb.Breakpoint):
    """`__cxa_throw`: a C++ exception is thrown; recorded at the innermost user frame."""

    def stop(self):
        try:
            f = innermost_user_frame()
            if f is None:
                return False
            tname = "exception"
            try:
                # __cxa_throw(obj, tinfo, dest): a std::type_info is a vtable
                # pointer, then the mangled name.
                inf = gdb.selected_inferior()
                tinfo = int(gdb.newest_frame().read_register("rsi"))
                name_ptr = struct.unpack("<Q", bytes(inf.read_memory(tinfo + 8, 8)))[0]
                raw = read_cstring(name_ptr).lstrip("*")
                text = gdb.execute("demangle _ZTS" + raw, to_string=True).strip()
                tname = text.replace("typeinfo name for ", "", 1) or raw
            except Exception:
                pass
            frames = frames_now()
            line = f.find_sal().line
            step = {"event": "exception", "line": line, "func": f.name() or "?", "frames": frames}
            step["exception"] = {"type": tname[:MAX_STR]}
            return stop_now(step)
        except Exception as e:
            state["end"] = "error"
            state["error"] = "throw breakpoint: %s" % e
            return True


CLASS_RE = re.compile(r"\b(?:struct|class|union)\b")


def compiler_made(fn, lines):
    """An implicit constructor, destructor or assignment: the compiler wrote it
    and it sits on the class's head line."""
    name = fn.name or ""
    if not ("::~" in name or "operator=" in name or re.search(r"(\w+)::\1\(", name)):
        return False
    text = lines[fn.line - 1] if 0 < fn.line <= len(lines) else ""
    return bool(CLASS_RE.search(text))


def set_breakpoints():
    main = gdb.lookup_global_symbol("main")
    if main is None or main.symtab is None:
        raise RuntimeError("no main() with debug information")
    try:
        with open(CONFIG["source"], encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
    except OSError:
        lines = []
    table = main.symtab.linetable()
    seen = set()
    skip = {}
    for entry in table:
        if entry.line <= 0 or entry.pc in seen:
            continue
        seen.add(entry.pc)
        block = gdb.block_for_pc(entry.pc)
        while block is not None and block.function is None:
            block = block.superblock
        if block is None or block.function is None:
            continue
        fn = block.function
        if block.start not in skip:
            skip[block.start] = fn.name.startswith(SKIP_FUNCS) or compiler_made(fn, lines)
        if skip[block.start]:
            continue
        if block.start == entry.pc:
            EntryBp(entry.pc)
        else:
            LineBp(entry.pc, entry.line)
    gdb.execute("set breakpoint pending on", to_string=True)
    ThrowBp("__cxa_throw", internal=True)


# --- events -----------------------------------------------------------------


last_stop = {"kind": None}


def on_stop(ev):
    if isinstance(ev, gdb.SignalEvent):
        last_stop["kind"] = "signal"
        last_stop["signal"] = ev.stop_signal
    elif isinstance(ev, gdb.BreakpointEvent):
        last_stop["kind"] = "breakpoint"
        last_stop["bps"] = ev.breakpoints
    else:
        last_stop["kind"] = "other"


def on_exit(ev):
    if hasattr(ev, "exit_code"):
        state["exit"] = int(ev.exit_code)
        state["signal"] = None  # it handled the signal and went on to exit


# Signals that end a program by default and mean a crash (or a limit); others
# (SIGALRM, SIGUSR1, ...) are passed on without a step.
FATAL = {"SIGSEGV": 11, "SIGABRT": 6, "SIGFPE": 8, "SIGBUS": 7, "SIGILL": 4, "SIGSYS": 31, "SIGXCPU": 24, "SIGXFSZ": 25}


def alive():
    inf = gdb.selected_inferior()
    return inf is not None and inf.pid != 0


def main():
    for cmd in [
        "set pagination off",
        "set confirm off",
        "set width 0",
        "set height 0",
        "set print pretty off",
        "set startup-with-shell off",
        "set backtrace past-main on",
        "set breakpoint always-inserted off",
        "set auto-load safe-path /usr/share/gdb/auto-load:/usr/lib/debug",
    ]:
        gdb.execute(cmd, to_string=True)
    # The program starts through the seccomp wrapper, which execs it; gdb stops at
    # that exec. (`set exec-wrapper` with startup-with-shell off loses count of the
    # execs in gdb 13.1 and lets the program run to its end during start-up.)
    wrapper = CONFIG["wrapper"]
    gdb.execute("exec-file " + wrapper[0], to_string=True)
    gdb.execute("set args " + " ".join(wrapper[1:] + CONFIG["program"]), to_string=True)
    gdb.execute("catch exec", to_string=True)
    for b in gdb.breakpoints():
        b.silent = True  # its stop would print while fd 1 is still the program's pipe
    gdb.events.stop.connect(on_stop)
    gdb.events.exited.connect(on_exit)

    # The program gets a pipe as stdout and the real stderr; gdb keeps neither.
    real_out = os.dup(1)
    rfd, wfd = os.pipe()
    os.dup2(wfd, 1)
    os.close(wfd)
    gdb.execute("run", to_string=True)
    gdb.execute("delete", to_string=True)
    log = os.open("/tmp/flash-gdb.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    global relay
    relay = Relay(rfd, real_out)
    relay.start()

    set_breakpoints()
    while alive() and not state["end"]:
        last_stop["kind"] = None
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error as e:
            # e.g. a breakpoint that cannot be re-inserted after the program exec'd something else
            state["end"] = "error"
            state["error"] = "gdb: %s" % e
            break
        if not alive() or state["end"]:
            break
        kind = last_stop["kind"]
        if kind == "breakpoint" and any(isinstance(b, EntryBp) for b in last_stop["bps"]):
            frame = gdb.newest_frame()
            state["pending"] = frame
            try:
                ReturnBp(frame, frame.name() or "?")
            except (ValueError, RuntimeError):
                pass
        elif kind == "signal" and last_stop["signal"] in FATAL:
            # Passed on by `continue`: the program dies of it (unless it handles it).
            name = last_stop["signal"]
            f = innermost_user_frame()
            if f is not None:
                line = f.find_sal().line
                step = {"event": "uncaught_exception", "line": line, "func": f.name() or "?", "frames": frames_now()}
                step["exception"] = {"type": "signal", "value": name}
                stop_now(step)
            state["signal"] = FATAL[name]
    stop_now(None)
    if alive():
        gdb.execute("kill", to_string=True)
    relay.stopping = True
    relay.join(5)
    end = {"end": state["end"] or "done"}
    if state.get("error"):
        end["message"] = state["error"][:500]
    if not state["end"]:
        if state["exit"] is not None:
            end["exit"] = state["exit"]
        elif state["signal"] is not None:
            end["signal"] = state["signal"]
    write_record(end)
    trace.close()
    os._exit(state["exit"] if state["exit"] is not None and not state["end"] else 0)


relay = None
try:
    main()
except Exception as e:
    try:
        write_record({"end": "error", "message": ("tracer: %s" % e)[:500]})
        trace.close()
    finally:
        os._exit(0)
