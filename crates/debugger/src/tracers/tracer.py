# Flash's Python tracer: `python3 -u tracer.py` in a box, settings in the JSON
# file named by $FLASH_DEBUG_CONFIG.
#
# - The user's file is compiled under its own name and run as `__main__`;
#   `sys.settrace` (and `threading.settrace`) records call, line, return and
#   exception events of frames whose code comes from that file only; every
#   other frame gets no local trace function and costs one call per frame.
# - Values are rendered here, bounded (depth, items, string length, a node
#   budget per step), without calling any of the user's code: no __repr__,
#   no __str__, no properties. They are rendered straight to JSON text (no
#   dicts to encode afterwards): that is most of a step's cost.
# - stdout is replaced by a text layer over a raw writer that counts the bytes
#   it writes to fd 1, so `stdout_len` is exact for everything written through
#   `sys.stdout` (print, input's prompt, sys.stdout.buffer).
# - Each step is written at once (one write), so a run the sandbox kills keeps
#   its steps. A limit (steps, trace bytes, time) ends the program at once
#   (os._exit) after an end record; a normal end writes one too, with the exit
#   code. A forked child records nothing.
import collections
import io
import json
import os
import sys
import threading
import time
import types

CONFIG = json.load(open(os.environ["FLASH_DEBUG_CONFIG"], encoding="utf-8"))
USER = CONFIG["source"]
MAX_STEPS = int(CONFIG["max_steps"])
TRACE_BYTES = int(CONFIG["trace_bytes"])
DEADLINE = time.monotonic() + float(CONFIG["deadline"])
MAX_DEPTH = 3
MAX_ITEMS = 50
MAX_STR = 200
MAX_FRAMES = 64
NODE_BUDGET = 2000

# The trace goes to a descriptor Flash opened for this process alone (no file
# of the box leads to it); the program's children do not inherit it. The
# program shares this interpreter, so it could still write here itself: its
# trace is as trustworthy as its output, and bounded like it.
_trace_fd = int(CONFIG["trace_fd"])
os.set_inheritable(_trace_fd, False)
_steps = 0
_bytes = 0
_in_child = False
_enc = json.encoder.encode_basestring  # a str as a JSON string literal (C)
_monotonic = time.monotonic
_os_exit = os._exit
_os_write = os.write


class _CountingStdout(io.RawIOBase):
    """fd 1, counting every byte written."""

    count = 0

    def writable(self):
        return True

    def fileno(self):
        return 1

    def isatty(self):
        return False

    def write(self, b):
        view = memoryview(b).cast("B")
        total = len(view)
        while view:
            n = os.write(1, view)
            _CountingStdout.count += n
            view = view[n:]
        return total


_orig_stdout = sys.stdout
sys.stdout = io.TextIOWrapper(
    _CountingStdout(),
    encoding=_orig_stdout.encoding,
    errors=_orig_stdout.errors,
    write_through=True,
)
sys.__stdout__ = sys.stdout


def _write(data):
    while data:
        data = data[_os_write(_trace_fd, data):]


def _finish(record, code):
    """Writes the end record and leaves at once (no user atexit, no flushes we do not own)."""
    sys.settrace(None)
    threading.settrace(None)
    try:
        if not _in_child:
            _write((json.dumps(record) + "\n").encode("utf-8"))
    finally:
        try:
            sys.stderr.flush()
        except Exception:
            pass
        _os_exit(code)


def _emit(event, line, func, frames, extra=""):
    """Records one step: `frames` and `extra` (",\"return_value\":...") are JSON text."""
    global _steps, _bytes
    if _in_child:
        return
    if _steps >= MAX_STEPS:
        _finish({"end": "step_limit"}, 0)
    if _monotonic() > DEADLINE:
        _finish({"end": "time_limit"}, 0)
    text = '{"event":"%s","line":%d,"func":%s,"frames":[%s]%s,"stdout_len":%d}\n' % (
        event, line, _enc(func[:MAX_STR]), frames, extra, _CountingStdout.count)
    # Lone surrogates (surrogateescape'd bytes) are not UTF-8: replaced.
    data = text.encode("utf-8", "replace")
    if _bytes + len(data) > TRACE_BYTES:
        _finish({"end": "trace_size_limit"}, 0)
    _write(data)
    _bytes += len(data)
    _steps += 1


def _forked():
    """A child of os.fork is not the traced program: it records nothing."""
    global _in_child
    _in_child = True
    sys.settrace(None)
    threading.settrace(None)


os.register_at_fork(after_in_child=_forked)


# --- values (as JSON text) -------------------------------------------------------


class _Budget:
    __slots__ = ("left",)

    def __init__(self):
        self.left = NODE_BUDGET


_type_names = {}


def _tname(t):
    """A type's name as a JSON string literal (cached per type)."""
    name = _type_names.get(t)
    if name is None:
        try:
            name = _enc(type.__getattribute__(t, "__qualname__")[:MAX_STR])
        except Exception:
            name = '"?"'
        if len(_type_names) < 10000:
            _type_names[t] = name
    return name


def _scalar(tname, text):
    if len(text) > MAX_STR:
        return '{"type":%s,"value":%s,"len":%d}' % (tname, _enc(text[:MAX_STR]), len(text))
    return '{"type":%s,"value":%s}' % (tname, _enc(text))


_SEQUENCES = (list, tuple, set, frozenset, collections.deque)
_INT = _tname(int)
_STR = _tname(str)


def _render(v, depth, budget):
    budget.left -= 1
    t = type(v)
    if t is int:
        try:
            text = int.__repr__(v)
        except ValueError:  # more digits than int->str allows
            return '{"type":%s,"value":"<%d-bit integer>"}' % (_INT, v.bit_length())
        if len(text) > MAX_STR:
            return '{"type":%s,"value":"%s","len":%d}' % (_INT, text[:MAX_STR], len(text))
        return '{"type":%s,"value":"%s"}' % (_INT, text)
    if t is str:
        return _scalar(_STR, v)
    tname = _tname(t)
    if budget.left < 0:
        return '{"type":%s,"value":"..."}' % tname
    if v is None or t is bool:
        return '{"type":%s,"value":"%s"}' % (tname, v)
    if t is float:
        return '{"type":%s,"value":"%s"}' % (tname, float.__repr__(v))
    if t is complex:
        return '{"type":%s,"value":"%s"}' % (tname, complex.__repr__(v))
    if t is bytes or t is bytearray:
        text = _enc(repr(bytes(v[:MAX_STR]))[2:-1])
        if len(v) > MAX_STR:
            return '{"type":%s,"value":%s,"len":%d}' % (tname, text, len(v))
        return '{"type":%s,"value":%s}' % (tname, text)
    if t is range:
        return '{"type":%s,"value":%s}' % (tname, _enc(range.__repr__(v)))
    if isinstance(v, types.FunctionType):
        code = v.__code__
        args = ", ".join(code.co_varnames[: code.co_argcount])
        return _scalar('"function"', "%s(%s)" % (v.__qualname__, args))
    if isinstance(v, (types.BuiltinFunctionType, types.MethodType)):
        return _scalar(tname, str(getattr(v, "__qualname__", "?")))
    if isinstance(v, types.ModuleType):
        return _scalar('"module"', str(v.__name__))
    if isinstance(v, type):
        return '{"type":"type","value":%s}' % _tname(v)
    if isinstance(v, dict):
        return _render_dict(v, tname, depth, budget)
    if isinstance(v, _SEQUENCES):
        return _render_items(v, tname, depth, budget)
    return _render_object(v, tname, depth, budget)


def _render_dict(v, tname, depth, budget):
    n = dict.__len__(v)
    if depth >= MAX_DEPTH:
        return '{"type":%s,"value":"...","len":%d}' % (tname, n)
    parts = []
    for k, val in dict.items(v):
        if len(parts) >= MAX_ITEMS or budget.left <= 0:
            break
        parts.append('{"key":%s,"value":%s}' % (_render(k, depth + 1, budget), _render(val, depth + 1, budget)))
    if len(parts) < n:
        return '{"type":%s,"entries":[%s],"len":%d}' % (tname, ",".join(parts), n)
    return '{"type":%s,"entries":[%s]}' % (tname, ",".join(parts))


def _render_items(v, tname, depth, budget):
    try:
        # The builtin's own methods: a subclass's overrides are user code.
        base = next(b for b in _SEQUENCES if isinstance(v, b))
        n = base.__len__(v)
        it = base.__iter__(v)
    except Exception:
        return '{"type":%s,"value":"?"}' % tname
    if depth >= MAX_DEPTH:
        return '{"type":%s,"value":"...","len":%d}' % (tname, n)
    parts = []
    for x in it:
        if len(parts) >= MAX_ITEMS or budget.left <= 0:
            break
        parts.append(_render(x, depth + 1, budget))
    if len(parts) < n:
        return '{"type":%s,"items":[%s],"len":%d}' % (tname, ",".join(parts), n)
    return '{"type":%s,"items":[%s]}' % (tname, ",".join(parts))


def _named(name, fragment):
    """`fragment` (a JSON object) with a "name" member first."""
    return '{"name":%s,%s' % (_enc(name[:MAX_STR]), fragment[1:])


def _render_object(v, tname, depth, budget):
    """An instance of a user class: its attributes, read without running its code."""
    try:
        attrs = object.__getattribute__(v, "__dict__")
    except Exception:
        attrs = None
    names = []
    if type(attrs) is dict:
        names = [(k, attrs[k]) for k in list(attrs)[: MAX_ITEMS + 1] if type(k) is str]
    else:
        for cls in type(v).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for s in (slots,) if isinstance(slots, str) else slots:
                try:
                    names.append((s, object.__getattribute__(v, s)))
                except Exception:
                    pass
    if not names and attrs is None:
        return '{"type":%s,"value":%s}' % (tname, _enc("<%s object>" % tname.strip('"')))
    if depth >= MAX_DEPTH:
        return '{"type":%s,"value":"..."}' % tname
    parts = []
    for k, val in names[:MAX_ITEMS]:
        if budget.left <= 0:
            break
        parts.append(_named(k, _render(val, depth + 1, budget)))
    return '{"type":%s,"fields":[%s]}' % (tname, ",".join(parts))


def _value(v):
    """A value on its own (a return value), as JSON text."""
    try:
        return _render(v, 0, _Budget())
    except Exception as e:
        return '{"type":"?","value":%s}' % _enc("<unavailable: %s>" % type(e).__name__)


# --- frames -------------------------------------------------------------------


def _locals(frame, budget):
    parts = []
    try:
        items = list(frame.f_locals.items())
    except Exception:
        return ""
    for name, v in items:
        if type(name) is not str or (name[:2] == "__" and name[-2:] == "__"):
            continue
        if len(parts) >= MAX_ITEMS:
            break
        try:
            r = _render(v, 0, budget)
        except Exception as e:
            r = '{"type":"?","value":%s}' % _enc("<unavailable: %s>" % type(e).__name__)
        parts.append(_named(name, r))
    return ",".join(parts)


def _frames(frame, first_line=None):
    """The user's frames from `frame` outwards, as JSON text."""
    budget = _Budget()
    parts = []
    while frame is not None and len(parts) < MAX_FRAMES:
        code = frame.f_code
        if code.co_filename == USER:
            line = first_line if first_line is not None and not parts else (frame.f_lineno or 0)
            parts.append('{"func":%s,"line":%d,"locals":[%s]}' % (
                _enc(code.co_name[:MAX_STR]), line, _locals(frame, budget)))
        frame = frame.f_back
    return ",".join(parts)


def _exception_value(exc):
    """The exception's type and message, from its args (no user __str__), as JSON text."""
    tname = _tname(type(exc))
    try:
        args = BaseException.__getattribute__(exc, "args")
        if len(args) == 1 and type(args[0]) is str:
            return _scalar(tname, args[0])
        if args:
            shown = [str(a) if type(a) in (str, int, float, bool) else type(a).__name__ for a in args[:5]]
            return _scalar(tname, ", ".join(shown))
    except Exception:
        pass
    return '{"type":%s}' % tname


def _local_trace(frame, event, arg):
    try:
        if event == "line":
            _emit("line", frame.f_lineno or 0, frame.f_code.co_name, _frames(frame))
        elif event == "return":
            extra = ',"return_value":' + _value(arg)
            _emit("return", frame.f_lineno or 0, frame.f_code.co_name, _frames(frame), extra)
        elif event == "exception":
            extra = ',"exception":' + _exception_value(arg[1])
            _emit("exception", frame.f_lineno or 0, frame.f_code.co_name, _frames(frame), extra)
    except Exception:
        pass
    return _local_trace


def _global_trace(frame, event, arg):
    if frame.f_code.co_filename != USER:
        return None
    try:
        line = frame.f_lineno or frame.f_code.co_firstlineno
        _emit("call", line, frame.f_code.co_name, _frames(frame, line))
    except Exception:
        pass
    return _local_trace


# --- running the program -------------------------------------------------------


def _uncaught(exc):
    """Records the uncaught exception at the innermost user frame and prints the
    traceback as Python would (without this file's frames)."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != USER:
        tb = tb.tb_next
    last = tb
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    if last is not None:
        frame = last.tb_frame
        extra = ',"exception":' + _exception_value(exc)
        _emit("uncaught_exception", last.tb_lineno, frame.f_code.co_name, _frames(frame, last.tb_lineno), extra)
    traceback.print_exception(type(exc), exc, tb, file=sys.stderr)


def _exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def main():
    with open(USER, "rb") as f:
        source = f.read()
    try:
        code = compile(source, USER, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        import traceback

        text = "".join(traceback.format_exception_only(type(e), e))
        _finish({"end": "compile_error", "message": text[:65536]}, 1)
    module = types.ModuleType("__main__")
    module.__file__ = USER
    module.__builtins__ = __builtins__
    module.__spec__ = None
    sys.modules["__main__"] = module
    sys.argv = [os.path.basename(USER)]
    sys.path[0] = os.path.dirname(USER)
    status = 0
    threading.settrace(_global_trace)
    sys.settrace(_global_trace)
    try:
        exec(code, module.__dict__)
    except SystemExit as e:
        sys.settrace(None)
        status = _exit_code(e)
    except BaseException as e:
        sys.settrace(None)
        _uncaught(e)
        status = 1
    sys.settrace(None)
    # What the interpreter does at exit: wait for threads, run atexit handlers.
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join()
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except Exception:
        pass
    _finish({"end": "done", "exit": status}, status)


main()
