// The Debugger pane: steps through a recorded trace (buttons, slider,
// arrow keys), marks the current line in the editor, and shows the call
// stack with each frame's locals, the return value or exception of the
// step, and the program's stdout up to the step.

import { byId, h } from "./dom";
import type { Editor } from "./editor";
import { fillWithLineLinks, setBadge } from "./result";
import {
  asValue,
  children,
  eventWords,
  type Frame,
  funcLabel,
  short,
  sizeWords,
  type Step,
  stdoutUpTo,
  type Trace,
  traceEnd,
  trueLen,
  type Value,
  type ValueLike,
  type Var,
} from "./trace";

const STATUS_WORDS: Record<string, string> = {
  ok: "Finished",
  step_limit: "Step limit",
  time_limit: "Time limit",
  output_limit: "Output limit",
  trace_size_limit: "Trace size limit",
  compile_error: "Compilation error",
  runtime_error: "Runtime error",
  internal_error: "Internal error",
};

function typeHint(v: ValueLike | undefined): Node | string {
  const val = v !== undefined ? asValue(v) : undefined;
  return val?.type && val.type !== val.value ? h("span", { class: "type-hint" }, ` (${val.type})`) : "";
}

export class DebugView {
  private trace: Trace | undefined;
  private index = 0;
  /** Paths of expanded values, kept while stepping so they stay open. */
  private readonly open = new Set<string>();
  private readonly slider = byId<HTMLInputElement>("step-slider");

  constructor(private readonly editor: Editor) {
    byId("step-first").addEventListener("click", () => this.go(0));
    byId("step-prev").addEventListener("click", () => this.go(this.index - 1));
    byId("step-next").addEventListener("click", () => this.go(this.index + 1));
    byId("step-last").addEventListener("click", () => this.go(this.steps.length - 1));
    this.slider.addEventListener("input", () => this.go(Number(this.slider.value)));
  }

  get steps(): Step[] {
    return this.trace?.steps ?? [];
  }

  /** Handles ←/→/Home/End when focus is not in a text field; true when used. */
  key(e: KeyboardEvent): boolean {
    if (!this.trace || e.altKey || e.ctrlKey || e.metaKey) return false;
    const moves: Record<string, () => number> = {
      ArrowLeft: () => this.index - 1,
      ArrowRight: () => this.index + 1,
      Home: () => 0,
      End: () => this.steps.length - 1,
    };
    const to = moves[e.key];
    if (!to) return false;
    this.go(to());
    return true;
  }

  pending(): void {
    this.trace = undefined;
    setBadge(byId("trace-status"), "Recording…", "pending");
    byId("trace-end").textContent = "Running the program under the debugger…";
    byId("debug-error").hidden = true;
    byId("debug-compile").hidden = true;
    byId("debug-stderr-box").hidden = true;
    this.setStepper(0);
    byId("step-info").textContent = "";
    byId("step-event").hidden = true;
    byId("frames").replaceChildren();
    this.fillStdout("");
  }

  fail(message: string): void {
    setBadge(byId("trace-status"), "Not traced", "internal");
    byId("trace-end").textContent = "";
    const err = byId("debug-error");
    err.replaceChildren(h("strong", {}, "The program was not traced. "), message);
    err.hidden = false;
    byId("step-info").textContent = "No steps.";
  }

  show(t: Trace): void {
    this.trace = t;
    this.open.clear();
    const end = traceEnd(t);
    setBadge(byId("trace-status"), STATUS_WORDS[t.status] ?? String(t.status), end.tone);
    // The message repeats what the status says for plain exits and signals.
    const extra = t.message && !/^(exited with code|killed by signal) \d+$/.test(t.message) ? t.message : "";
    byId("trace-end").replaceChildren(end.text, extra ? h("span", { class: "hint" }, ` Details: ${extra}`) : "");
    const goTo = (line: number, col?: number) => this.editor.goToLine(line, col);
    const compile = byId("debug-compile");
    compile.hidden = !t.compile_output;
    const errorLines = t.compile_output ? fillWithLineLinks(byId("debug-compile-output"), t.compile_output, goTo) : [];
    const stderr = byId("debug-stderr-box");
    stderr.hidden = !t.stderr;
    if (t.stderr) fillWithLineLinks(byId("debug-stderr"), t.stderr, goTo);
    this.setStepper(this.steps.length);
    if (this.steps.length) {
      this.go(0);
    } else {
      byId("step-info").textContent = "No steps were recorded.";
      this.fillStdout(t.stdout ?? "");
      this.editor.mark({ errors: t.status === "compile_error" ? errorLines : [] });
    }
  }

  private setStepper(n: number): void {
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = "0";
    for (const id of ["step-first", "step-prev", "step-next", "step-last", "step-slider"]) {
      (byId(id) as HTMLButtonElement | HTMLInputElement).disabled = n === 0;
    }
  }

  /** Shows step `i` (clamped). */
  go(i: number): void {
    const steps = this.steps;
    if (!steps.length) return;
    this.index = Math.min(Math.max(0, i), steps.length - 1);
    const s = steps[this.index];
    const frames = s.frames ?? [];
    this.slider.value = String(this.index);
    const where = `Step ${this.index + 1} of ${steps.length}, line ${s.line}`;
    this.slider.setAttribute("aria-valuetext", where);
    byId<HTMLButtonElement>("step-prev").disabled = this.index === 0;
    byId<HTMLButtonElement>("step-first").disabled = this.index === 0;
    byId<HTMLButtonElement>("step-next").disabled = this.index === steps.length - 1;
    byId<HTMLButtonElement>("step-last").disabled = this.index === steps.length - 1;
    const info = byId("step-info");
    info.replaceChildren(h("strong", {}, `Step ${this.index + 1} of ${steps.length}`), ` · ${eventWords(s)}`);
    info.dataset.step = String(this.index + 1);
    info.dataset.line = String(s.line);
    info.dataset.event = s.event;
    this.showEvent(s);
    this.showFrames(frames);
    this.fillStdout(stdoutUpTo(this.trace?.stdout ?? "", s.stdout_len));
    this.editor.mark({ current: s.line, callers: frames.slice(1).map((f) => f.line) });
    this.editor.reveal(s.line);
  }

  private showEvent(s: Step): void {
    const box = byId("step-event");
    const path = `event/${this.index}`;
    if (s.event === "return") {
      box.className = "step-event ret";
      box.replaceChildren(
        h("strong", {}, "Return value: "),
        s.return_value === undefined
          ? h("span", { class: "hint" }, "none (the function returns no value)")
          : this.valueNode(asValue(s.return_value), path),
        typeHint(s.return_value),
      );
      box.hidden = false;
    } else if (s.exception !== undefined || s.event.includes("exception")) {
      box.className = "step-event exc";
      box.replaceChildren(
        h("strong", {}, s.event === "uncaught_exception" ? "Uncaught exception: " : "Exception: "),
        s.exception === undefined ? h("span", { class: "hint" }, "no details recorded") : this.valueNode(asValue(s.exception), path),
        typeHint(s.exception),
      );
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  private showFrames(frames: Frame[]): void {
    const list = byId("frames");
    list.replaceChildren(
      ...frames.map((f, i) => {
        // A frame is known by its depth from the outermost one, so expanded
        // values stay open while the same call runs.
        const key = `${frames.length - i}:${f.func}`;
        const locals = f.locals ?? [];
        return h(
          "li",
          { class: i === 0 ? "frame current" : "frame", "data-func": f.func, "data-line": f.line },
          h(
            "div",
            { class: "frame-head" },
            h("strong", {}, funcLabel(f.func)),
            ` line ${f.line}`,
            i === 0 ? h("span", { class: "tag" }, "current") : "",
          ),
          locals.length
            ? h(
                "table",
                { class: "locals" },
                h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Value"), h("th", { scope: "col" }, "Type"))),
                h("tbody", {}, ...locals.map((v) => this.varRow(v, `${key}/${v.name}`))),
              )
            : h("p", { class: "hint" }, "No local variables."),
        );
      }),
    );
    if (!frames.length) list.append(h("li", { class: "hint" }, "No frames at this step."));
  }

  private varRow(v: Var, path: string): HTMLTableRowElement {
    return h(
      "tr",
      { "data-name": v.name },
      h("th", { scope: "row", class: "name" }, v.name),
      h("td", { class: "val" }, this.valueNode(v, path)),
      h("td", { class: "type" }, v.type ?? ""),
    );
  }

  /** A scalar as text; a container as a <details> that expands to its elements. */
  private valueNode(v: Value, path: string): Node {
    const kids = children(v);
    if (!kids) {
      if (v.value === "...") return h("span", { class: "cut", title: "Deeper levels are not recorded" }, "… (not expanded)");
      const total = trueLen(v);
      const cut = total !== undefined && typeof v.value === "string" && total > v.value.length;
      return h("span", {}, h("code", {}, short(v)), cut ? h("span", { class: "cut" }, ` (cut: ${total} in all)`) : "");
    }
    const total = trueLen(v);
    if (!kids.length && !total) return h("span", {}, h("code", {}, short(v)), h("span", { class: "size" }, " empty"));
    const details = h("details", { "data-path": path });
    details.open = this.open.has(path);
    details.addEventListener("toggle", () => (details.open ? this.open.add(path) : this.open.delete(path)));
    const rows = kids.map(([label, c]: [string, ValueLike]) => {
      const cv = asValue(c);
      return h(
        "tr",
        {},
        h("th", { scope: "row", class: "name" }, label),
        h("td", { class: "val" }, this.valueNode(cv, `${path}/${label}`)),
        h("td", { class: "type" }, cv.type ?? ""),
      );
    });
    if (total !== undefined && total > kids.length) {
      rows.push(h("tr", { class: "more" }, h("td", { colspan: 3, class: "cut" }, `… ${total - kids.length} more not shown`)));
    }
    details.append(
      h("summary", {}, h("code", {}, short(v)), h("span", { class: "size" }, ` ${sizeWords(v)}`)),
      h("table", { class: "locals nested" }, h("tbody", {}, ...rows)),
    );
    return details;
  }

  private fillStdout(text: string): void {
    const pre = byId("debug-stdout");
    pre.textContent = text || "(nothing printed yet)";
    pre.classList.toggle("empty", !text);
  }
}
