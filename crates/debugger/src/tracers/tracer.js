// Flash's JavaScript tracer: `node tracer.js` in a box, settings in the JSON
// file named by $FLASH_DEBUG_CONFIG.
//
// - An in-process `inspector` session: when V8 parses the user's file, every
//   possible breakpoint location in it gets a breakpoint.
//   Pauses arrive synchronously in the `Debugger.paused` handler, which records
//   a step and resumes. Breakpoints (not stepping) also catch timer and promise
//   callbacks. Pauses at `return` locations carry the return value.
// - Several locations on one line make one step: a pause on the line of the
//   previous step, in the same frame, is a new step only when the line was
//   entered at its first location and comes back there (a one-line loop).
// - Each frame's scopes are fetched into this process (Runtime.callFunctionOn
//   with the scope object as `this`) and rendered here, bounded, reading own
//   data properties only: no getter, no proxy trap, no user code runs.
// - process.stdout.write is wrapped to count bytes; stdout and stderr are made
//   blocking, so the count is what has reached the pipe.
'use strict';
const fs = require('fs');
const inspector = require('inspector');
const Module = require('module');
const path = require('path');
const util = require('util');
const vm = require('vm');

const CONFIG = JSON.parse(fs.readFileSync(process.env.FLASH_DEBUG_CONFIG, 'utf8'));
const USER = CONFIG.source;
const MAX_STEPS = CONFIG.max_steps;
const TRACE_BYTES = CONFIG.trace_bytes;
const DEADLINE = Date.now() + CONFIG.deadline * 1000;
const MAX_DEPTH = 3;
const MAX_ITEMS = 50;
const MAX_STR = 200;
const MAX_FRAMES = 64;
const NODE_BUDGET = 2000;
// The CommonJS wrapper's parameters: not the user's variables.
const WRAPPER_NAMES = new Set(['exports', 'require', 'module', '__filename', '__dirname']);

// The trace goes to a descriptor Flash opened for this process alone (no file
// of the box leads to it). The program shares this process, so it could still
// write here itself: its trace is as trustworthy as its output, and bounded.
const traceFd = CONFIG.trace_fd;
let steps = 0;
let bytes = 0;
let done = false;

function writeRecord(obj) {
  fs.writeSync(traceFd, JSON.stringify(obj) + '\n');
}

function finish(record, code) {
  done = true;
  try {
    writeRecord(record);
  } finally {
    if (typeof process.reallyExit === 'function') process.reallyExit(code);
    process.exit(code);
  }
}

// --- stdout -----------------------------------------------------------------

let stdoutCount = 0;
{
  // As in a normal run (languages.toml): Node writes to a pipe asynchronously,
  // queueing in memory when the pipe is full; blocking writes keep a printing
  // loop bounded by the output limit, not the memory limit.
  for (const s of [process.stdout, process.stderr]) {
    if (s._handle && s._handle.setBlocking) s._handle.setBlocking(true);
  }
  const out = process.stdout;
  const write = out.write;
  out.write = function (chunk, encoding) {
    try {
      if (typeof chunk === 'string') {
        stdoutCount += Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8');
      } else if (chunk && typeof chunk.byteLength === 'number') {
        stdoutCount += chunk.byteLength;
      }
    } catch (e) {
      // A bad encoding name: the real write reports it.
    }
    return write.apply(this, arguments);
  };
}

function emit(step) {
  if (done) return;
  if (steps >= MAX_STEPS) finish({ end: 'step_limit' }, 0);
  if (Date.now() > DEADLINE) finish({ end: 'time_limit' }, 0);
  step.stdout_len = stdoutCount;
  const data = JSON.stringify(step) + '\n';
  const size = Buffer.byteLength(data);
  if (bytes + size > TRACE_BYTES) finish({ end: 'trace_size_limit' }, 0);
  fs.writeSync(traceFd, data);
  bytes += size;
  steps += 1;
}

// --- values -------------------------------------------------------------------

// A lone surrogate would make the line invalid JSON for the reader: replaced.
const wf = (s) => (typeof s.toWellFormed === 'function' ? s.toWellFormed() : s);

function cut(type, text) {
  if (text.length > MAX_STR) return { type, value: wf(text.slice(0, MAX_STR)), len: text.length };
  return { type, value: wf(text) };
}

function own(obj, key) {
  const d = Reflect.getOwnPropertyDescriptor(obj, key);
  if (d === undefined) return { missing: true };
  if ('value' in d) return { value: d.value };
  return { getter: true };
}

function typeName(v) {
  try {
    const proto = Object.getPrototypeOf(v);
    if (proto === null) return 'Object';
    const ctor = own(proto, 'constructor').value;
    const name = typeof ctor === 'function' ? own(ctor, 'name').value : undefined;
    return typeof name === 'string' && name ? name.slice(0, MAX_STR) : 'Object';
  } catch (e) {
    return 'Object';
  }
}

const sizeOf = (proto) => Reflect.getOwnPropertyDescriptor(proto, 'size').get;
const mapSize = sizeOf(Map.prototype);
const setSize = sizeOf(Set.prototype);
const typedLength = Reflect.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length').get;

function render(v, depth, budget) {
  budget.left -= 1;
  if (v === null) return { type: 'null', value: 'null' };
  switch (typeof v) {
    case 'undefined': return { type: 'undefined', value: 'undefined' };
    case 'number': return { type: 'number', value: Object.is(v, -0) ? '-0' : String(v) };
    case 'bigint': return cut('bigint', v.toString());
    case 'boolean': return { type: 'boolean', value: String(v) };
    case 'string': return cut('string', v);
    case 'symbol': return cut('symbol', Symbol.prototype.toString.call(v));
    case 'function': {
      const name = own(v, 'name').value;
      return { type: 'function', value: (typeof name === 'string' && name ? name : '(anonymous)').slice(0, MAX_STR) };
    }
    default: break;
  }
  if (util.types.isProxy(v)) return { type: 'Proxy', value: 'Proxy' };
  const type = typeName(v);
  if (budget.left < 0) return { type, value: '...' };
  try {
    if (Array.isArray(v)) return renderItems(type, own(v, 'length').value, (i) => element(v, i), depth, budget);
    if (util.types.isTypedArray(v)) {
      return renderItems(type, typedLength.call(v), (i) => render(own(v, i).value, depth + 1, budget), depth, budget);
    }
    if (util.types.isMap(v)) return renderMap(type, v, depth, budget);
    if (util.types.isSet(v)) {
      const it = Set.prototype.values.call(v);
      return renderItems(type, setSize.call(v), () => render(it.next().value, depth + 1, budget), depth, budget);
    }
    if (util.types.isDate(v)) {
      const t = Date.prototype.getTime.call(v);
      return { type, value: Number.isNaN(t) ? 'Invalid Date' : Date.prototype.toISOString.call(v) };
    }
    if (util.types.isRegExp(v)) return cut(type, RegExp.prototype.toString.call(v));
    if (util.types.isNativeError(v)) {
      const msg = own(v, 'message').value;
      return cut(type, typeof msg === 'string' ? msg : '');
    }
    if (util.types.isPromise(v)) return { type, value: 'Promise' };
    return renderFields(type, v, depth, budget);
  } catch (e) {
    return { type, value: '<unavailable>' };
  }

  function element(arr, i) {
    const d = own(arr, i);
    if (d.missing) return { type: 'undefined', value: '<empty>' };
    if (d.getter) return { type: 'getter', value: 'getter' };
    return render(d.value, depth + 1, budget);
  }
}

function renderItems(type, n, item, depth, budget) {
  if (typeof n !== 'number') n = 0;
  if (depth >= MAX_DEPTH) return { type, value: '...', len: n };
  const items = [];
  for (let i = 0; i < n && items.length < MAX_ITEMS && budget.left > 0; i++) items.push(item(i));
  const out = { type, items };
  if (items.length < n) out.len = n;
  return out;
}

function renderMap(type, m, depth, budget) {
  const n = mapSize.call(m);
  if (depth >= MAX_DEPTH) return { type, value: '...', len: n };
  const entries = [];
  const it = Map.prototype.entries.call(m);
  for (let i = 0; i < n && entries.length < MAX_ITEMS && budget.left > 0; i++) {
    const [k, val] = it.next().value;
    entries.push({ key: render(k, depth + 1, budget), value: render(val, depth + 1, budget) });
  }
  const out = { type, entries };
  if (entries.length < n) out.len = n;
  return out;
}

function renderFields(type, obj, depth, budget) {
  const keys = Reflect.ownKeys(obj).filter((k) => typeof k === 'string');
  if (depth >= MAX_DEPTH) return { type, value: '...', len: keys.length };
  const fields = [];
  for (const k of keys) {
    if (fields.length >= MAX_ITEMS || budget.left <= 0) break;
    const d = own(obj, k);
    const r = d.getter ? { type: 'getter', value: 'getter' } : render(d.value, depth + 1, budget);
    r.name = wf(k.slice(0, MAX_STR));
    fields.push(r);
  }
  const out = { type, fields };
  if (fields.length < keys.length) out.len = keys.length;
  return out;
}

// --- the inspector ------------------------------------------------------------

const session = new inspector.Session();
session.connect();

function post(method, params) {
  let result;
  let error;
  session.post(method, params || {}, (err, res) => {
    error = err;
    result = res;
  });
  if (error) throw error;
  return result;
}

let userScript = null;
let armed = false; // set once Debugger.enable has reported the scripts already parsed
let firstOnLine = new Map(); // line -> first breakable column

session.on('Debugger.scriptParsed', (msg) => {
  const url = msg.params.url;
  if (!armed || userScript !== null || (url !== USER && url !== 'file://' + USER)) return;
  userScript = msg.params.scriptId;
  const locations = post('Debugger.getPossibleBreakpoints', {
    start: { scriptId: userScript, lineNumber: 0, columnNumber: 0 },
  }).locations;
  for (const loc of locations) {
    if (!firstOnLine.has(loc.lineNumber)) firstOnLine.set(loc.lineNumber, loc.columnNumber);
    post('Debugger.setBreakpoint', { location: { scriptId: loc.scriptId, lineNumber: loc.lineNumber, columnNumber: loc.columnNumber } });
  }
});

function funcName(frame) {
  if (frame.functionName) return frame.functionName;
  const fl = frame.functionLocation;
  if (fl && fl.lineNumber === 0 && fl.columnNumber === 0) return '<module>';
  return '(anonymous)';
}

const SCOPES = new Set(['local', 'block', 'catch']);

function frameLocals(frame, budget) {
  const out = [];
  const scopes = frame.scopeChain.filter((s) => SCOPES.has(s.type)).reverse();
  for (const scope of scopes) {
    globalThis.__flashGrab = undefined;
    post('Runtime.callFunctionOn', {
      functionDeclaration: 'function () { globalThis.__flashGrab = this; }',
      objectId: scope.object.objectId,
    });
    const vars = globalThis.__flashGrab;
    globalThis.__flashGrab = undefined;
    if (vars === null || typeof vars !== 'object') continue;
    for (const name of Object.keys(vars)) {
      if (scope.type === 'local' && WRAPPER_NAMES.has(name)) continue;
      if (out.length >= MAX_ITEMS) return out;
      const d = own(vars, name);
      const r = d.getter ? { type: 'getter', value: 'getter' } : render(d.value, 0, budget);
      r.name = wf(name.slice(0, MAX_STR));
      out.push(r);
    }
  }
  return out;
}

function userFrames(callFrames) {
  return callFrames.filter((f) => f.location.scriptId === userScript);
}

function snapshot(frames) {
  const budget = { left: NODE_BUDGET };
  return frames.slice(0, MAX_FRAMES).map((f) => ({
    func: funcName(f),
    line: f.location.lineNumber + 1,
    locals: frameLocals(f, budget),
  }));
}

function exceptionValue(data) {
  if (!data) return { type: 'exception' };
  if (data.type !== 'object') {
    return { type: data.type, value: String(data.value !== undefined ? data.value : data.description || '').slice(0, MAX_STR) };
  }
  const type = String(data.className || 'Error').slice(0, MAX_STR);
  let text = String(data.description || '').split('\n')[0];
  if (text.startsWith(type + ': ')) text = text.slice(type.length + 2);
  return cut(type, text);
}

let depth = 0; // user frames at the last step
let prev = null; // {depth, line, col} of the last step

function onPause(params) {
  const frames = userFrames(params.callFrames);
  if (frames.length === 0) return;
  const top = frames[0];
  const line = top.location.lineNumber + 1;
  const col = top.location.columnNumber;
  const d = frames.length;
  const atTop = params.callFrames[0].location.scriptId === userScript;
  if (params.reason === 'exception' || params.reason === 'promiseRejection') {
    const uncaught = params.data && params.data.uncaught;
    // Thrown by the user's code or a builtin it called (natives have no frame);
    // Node's own code throws and catches internally all the time.
    if (!atTop && !uncaught) return;
    const step = { event: uncaught ? 'uncaught_exception' : 'exception', line, func: funcName(top), frames: snapshot(frames) };
    step.exception = exceptionValue(params.data);
    emit(step);
    return;
  }
  if (!atTop) return;
  if (d > depth) {
    const fl = top.functionLocation;
    const snap = snapshot(frames);
    emit({ event: 'call', line: fl ? fl.lineNumber + 1 : line, func: funcName(top), frames: snap });
    depth = d;
    prev = null;
  }
  const ret = params.callFrames[0].returnValue;
  if (ret !== undefined) {
    const step = { event: 'return', line, func: funcName(top), frames: snapshot(frames) };
    step.return_value = renderRemote(ret);
    emit(step);
    depth = d - 1;
    const caller = frames[1];
    prev = caller
      ? { depth: d - 1, line: caller.location.lineNumber + 1, col: caller.location.columnNumber, anchor: -1 }
      : null;
    return;
  }
  if (prev && prev.depth === d && prev.line === line) {
    // Back at the line's first location, having come in there too: the next
    // iteration of a one-line loop. Anything else on the same line is part
    // of the step already recorded (a for header's test and update, a
    // for-of's binding after its iterable).
    const first = firstOnLine.get(line - 1);
    if (!(col === first && prev.anchor === first)) {
      prev.col = col;
      return;
    }
  }
  depth = d;
  prev = { depth: d, line, col, anchor: col };
  emit({ event: 'line', line, func: funcName(top), frames: snapshot(frames) });
}

// A return value as the inspector describes it; objects are fetched and rendered here.
function renderRemote(ro) {
  if (ro.objectId) {
    globalThis.__flashGrab = undefined;
    post('Runtime.callFunctionOn', {
      functionDeclaration: 'function () { globalThis.__flashGrab = this; }',
      objectId: ro.objectId,
    });
    const v = globalThis.__flashGrab;
    globalThis.__flashGrab = undefined;
    return render(v, 0, { left: NODE_BUDGET });
  }
  if (ro.unserializableValue !== undefined) {
    const text = String(ro.unserializableValue);
    return cut(ro.type, ro.type === 'bigint' ? text.replace(/n$/, '') : text);
  }
  return render(ro.value, 0, { left: NODE_BUDGET });
}

session.on('Debugger.paused', (msg) => {
  try {
    if (!done) onPause(msg.params);
  } catch (e) {
    try {
      finish({ end: 'error', message: ('tracer: ' + (e && e.stack ? e.stack : e)).slice(0, 500) }, 0);
    } catch (e2) {
      // nothing more to do
    }
  } finally {
    if (!done) session.post('Debugger.resume');
  }
});

// --- running the program --------------------------------------------------------

process.on('exit', (code) => {
  if (done) return;
  done = true;
  try {
    session.post('Debugger.disable');
  } catch (e) {
    // leaving anyway
  }
  writeRecord({ end: 'done', exit: code });
});

function start() {
  const source = fs.readFileSync(USER, 'utf8');
  try {
    vm.compileFunction(source, [...WRAPPER_NAMES], { filename: USER });
  } catch (e) {
    if (e instanceof SyntaxError) {
      const text = String(e.stack || e).split('\n').filter((l) => !l.startsWith('    at ')).join('\n').trimEnd();
      finish({ end: 'compile_error', message: text.slice(0, 65536) }, 1);
    }
  }
  post('Debugger.enable');
  post('Debugger.setPauseOnExceptions', { state: 'all' });
  armed = true;
  process.argv = [process.argv[0], USER, ...process.argv.slice(2)];
  // The user's file as the main CommonJS module, run from an immediate: a pause
  // costs in proportion to the stack under it, and here that stack is two
  // frames deep instead of Node's dozen loader frames (three times faster).
  const dir = path.dirname(USER);
  const mod = new Module(USER, null);
  mod.filename = USER;
  mod.id = '.';
  mod.paths = Module._nodeModulePaths(dir);
  process.mainModule = mod;
  const req = Module.createRequire(USER);
  setImmediate(function main() {
    const fn = vm.compileFunction(source, [...WRAPPER_NAMES], { filename: USER });
    fn.call(mod.exports, mod.exports, req, mod, USER, dir);
    mod.loaded = true;
  });
}

start();
