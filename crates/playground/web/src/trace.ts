// The POST /debug answer (crates/debugger/src/types.rs) and helpers that
// read it. The renderer is tolerant: a value may be a plain string, or an
// object with `value`, `items`, `entries` or `fields`, and `len` when cut.

export type TraceStatus =
  | "ok"
  | "step_limit"
  | "time_limit"
  | "output_limit"
  | "trace_size_limit"
  | "compile_error"
  | "runtime_error"
  | "internal_error";

export type StepEvent = "call" | "line" | "return" | "exception" | "uncaught_exception";

export interface Value {
  type?: string;
  value?: string;
  items?: ValueLike[];
  entries?: { key: ValueLike; value: ValueLike }[];
  fields?: Var[];
  len?: number | string;
}

export type ValueLike = Value | string | number | boolean | null;

export interface Var extends Value {
  name: string;
}

export interface Frame {
  func: string;
  line: number;
  locals?: Var[];
}

export interface Step {
  event: StepEvent;
  line: number;
  func: string;
  frames?: Frame[];
  return_value?: ValueLike;
  exception?: ValueLike;
  stdout_len?: number;
}

export interface Trace {
  status: TraceStatus | string;
  message?: string | null;
  stdout?: string;
  stderr?: string;
  exit?: number | null;
  signal?: number | null;
  compile_output?: string;
  limits?: { max_steps?: number; cpu_time?: number; wall_time?: number; memory_kb?: number; output_kb?: number };
  steps?: Step[];
}

/** How a trace ended, in words, and the badge colour class. */
export function traceEnd(t: Trace): { text: string; tone: string } {
  const steps = t.steps?.length ?? 0;
  const lim = t.limits ?? {};
  switch (t.status) {
    case "ok":
      return { text: `Finished: the program ran to its end (exit code ${t.exit ?? 0}), ${steps} steps recorded.`, tone: "ok" };
    case "step_limit":
      return {
        text: `Stopped at the step limit: the first ${lim.max_steps ?? steps} steps were recorded and the program had more.`,
        tone: "warn",
      };
    case "time_limit":
      return { text: `Stopped by the time limit${lim.cpu_time ? ` (${lim.cpu_time} s of CPU)` : ""} after ${steps} steps.`, tone: "warn" };
    case "output_limit":
      return { text: `Stopped: the program printed more than the output limit${lim.output_kb ? ` (${lim.output_kb} KB)` : ""}.`, tone: "warn" };
    case "trace_size_limit":
      return { text: `Stopped: the trace grew past its size limit after ${steps} steps.`, tone: "warn" };
    case "compile_error":
      return { text: "Compilation error: the program did not compile, so nothing was traced.", tone: "compile" };
    case "runtime_error": {
      const how = t.signal != null ? `signal ${t.signal}` : t.exit != null ? `exit code ${t.exit}` : "an error";
      return { text: `Runtime error: the program ended with ${how}.`, tone: "bad" };
    }
    case "internal_error":
      return { text: "Internal error: Flash itself failed to trace the program.", tone: "internal" };
    default:
      return { text: `Ended with status “${t.status}”.`, tone: "internal" };
  }
}

const EVENT_WORDS: Record<string, string> = {
  call: "Call",
  line: "Line",
  return: "Return",
  exception: "Exception",
  uncaught_exception: "Uncaught exception",
};

/** `fact()` for a function, `<module>` as it is for a pseudo-frame. */
export function funcLabel(func: string | undefined): string {
  if (!func) return "the program";
  return func.startsWith("<") ? func : `${func}()`;
}

export function eventWords(s: Step): string {
  const f = funcLabel(s.func);
  switch (s.event) {
    case "call":
      return `Entering ${f}`;
    case "line":
      return `About to run line ${s.line} in ${f}`;
    case "return":
      return `Returning from ${f}`;
    case "exception":
      return `Exception raised in ${f}`;
    case "uncaught_exception":
      return `Uncaught exception in ${f} ends the program`;
    default:
      return `${EVENT_WORDS[s.event] ?? s.event} in ${f}`;
  }
}

export function asValue(v: ValueLike | undefined): Value {
  if (v === null || v === undefined) return { value: "null" };
  if (typeof v === "object") return v;
  return { value: String(v) };
}

/** Children of a container: [label, value] pairs. */
export function children(v: Value): [string, ValueLike][] | undefined {
  if (Array.isArray(v.items)) return v.items.map((it, i) => [`[${i}]`, it]);
  if (Array.isArray(v.entries)) return v.entries.map((e) => [short(asValue(e.key)), e.value]);
  if (Array.isArray(v.fields)) return v.fields.map((f) => [f.name, f]);
  return undefined;
}

/** The true length when the rendering was cut, else undefined. */
export function trueLen(v: Value): number | undefined {
  if (v.len === undefined || v.len === null) return undefined;
  const n = Number(v.len);
  return Number.isFinite(n) ? n : undefined;
}

/** A one-line rendering: the scalar itself, or a preview of a container. */
export function short(v: Value, budget = 60): string {
  const kids = children(v);
  if (!kids) {
    const s = v.value ?? (v.type ? `<${v.type}>` : "");
    const cut = trueLen(v) !== undefined && typeof v.value === "string" && trueLen(v)! > v.value.length;
    return cut ? `${s}…` : s;
  }
  const [open, close] = v.entries ? ["{", "}"] : v.fields ? ["{", "}"] : ["[", "]"];
  const parts: string[] = [];
  let used = 2;
  for (const [k, c] of kids) {
    const cv = asValue(c);
    const inner = children(cv) ? (cv.entries || cv.fields ? "{…}" : "[…]") : short(cv, 20);
    const piece = v.items ? inner : `${k}: ${inner}`;
    if (used + piece.length > budget) {
      parts.push("…");
      break;
    }
    parts.push(piece);
    used += piece.length + 2;
  }
  const total = trueLen(v);
  if (total !== undefined && total > kids.length && parts[parts.length - 1] !== "…") parts.push("…");
  return `${open}${parts.join(", ")}${close}`;
}

/** Count shown / count in all, e.g. "3 items" or "50 of 1000 items". */
export function sizeWords(v: Value): string {
  const kids = children(v) ?? [];
  const noun = v.entries ? "entries" : v.fields ? "fields" : "items";
  const total = trueLen(v);
  if (total !== undefined && total > kids.length) return `${kids.length} of ${total} ${noun} shown`;
  return `${kids.length} ${kids.length === 1 ? noun.replace(/ies$/, "y").replace(/s$/, "") : noun}`;
}

/** stdout as it was before `step`: `stdout_len` is a byte offset into the UTF-8 stdout. */
export function stdoutUpTo(stdout: string, bytes: number | undefined): string {
  if (bytes === undefined) return stdout;
  const enc = new TextEncoder().encode(stdout);
  return new TextDecoder().decode(enc.subarray(0, Math.min(bytes, enc.length)));
}
