// The Result pane: verdict badge, CPU time, memory, exit code, and each
// output in its own labelled block. Line references in compiler and runtime
// messages become links to the editor.

import type { ApiError, Submission } from "./api";
import { byId, h } from "./dom";
import { findLineRefs } from "./lineref";

/** Badge colour class for a Judge0 status id. */
export function tone(statusId: number): string {
  if (statusId <= 2) return "pending";
  if (statusId === 3) return "ok";
  if (statusId === 4) return "bad";
  if (statusId === 5) return "warn";
  if (statusId === 6) return "compile";
  if (statusId <= 12) return "bad";
  return "internal";
}

export function setBadge(el: HTMLElement, text: string, toneClass: string): void {
  el.className = `badge ${toneClass}`;
  el.textContent = text;
  el.dataset.status = text;
}

/** Fills `pre` with `text`; references to lines of the program become buttons calling `goTo`. */
export function fillWithLineLinks(pre: HTMLElement, text: string, goTo: (line: number, col?: number) => void): number[] {
  pre.replaceChildren();
  pre.classList.remove("empty");
  const lines: number[] = [];
  let at = 0;
  for (const r of findLineRefs(text)) {
    pre.append(text.slice(at, r.start));
    const label = text.slice(r.start, r.end);
    pre.append(
      h(
        "button",
        {
          type: "button",
          class: "line-link",
          title: `Show line ${r.line} in the editor`,
          "data-line": r.line,
          onclick: () => goTo(r.line, r.col),
        },
        label,
      ),
    );
    lines.push(r.line);
    at = r.end;
  }
  pre.append(text.slice(at));
  return lines;
}

function fillPlain(pre: HTMLElement, text: string | null, emptyWords: string): void {
  if (text) {
    pre.textContent = text;
    pre.classList.remove("empty");
  } else {
    pre.textContent = emptyWords;
    pre.classList.add("empty");
  }
}

function memoryWords(kb: number | null): string {
  if (kb == null) return "–";
  return kb >= 1024 ? `${(kb / 1024).toFixed(1)} MB` : `${kb} KB`;
}

const SIGNALS: Record<number, string> = { 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 25: "SIGXFSZ" };

function exitWords(s: Submission): string {
  if (s.exit_signal != null && s.exit_signal !== 0) {
    return `signal ${s.exit_signal}${SIGNALS[s.exit_signal] ? ` (${SIGNALS[s.exit_signal]})` : ""}`;
  }
  return s.exit_code == null ? "–" : String(s.exit_code);
}

export class ResultPane {
  readonly badge = byId("verdict");
  private readonly err = byId("run-error");

  constructor(private readonly goTo: (line: number, col?: number) => void) {}

  /** Clears the pane for a new run; returns nothing to mark. */
  start(words: string): void {
    setBadge(this.badge, words, "pending");
    this.err.hidden = true;
    for (const id of ["m-time", "m-memory", "m-exit"]) byId(id).textContent = "–";
    byId("out-compile").hidden = true;
    byId("out-message").hidden = true;
    fillPlain(byId("stdout"), null, "Waiting for the program…");
    fillPlain(byId("stderr"), null, "Waiting for the program…");
  }

  /** Shows a finished submission; returns the lines its messages point at. */
  show(s: Submission): number[] {
    setBadge(this.badge, s.status.description, tone(s.status.id));
    byId("m-time").textContent = s.time != null ? `${s.time} s` : "–";
    byId("m-memory").textContent = memoryWords(s.memory);
    byId("m-exit").textContent = exitWords(s);
    const lines: number[] = [];
    const compile = byId("out-compile");
    compile.hidden = !s.compile_output;
    if (s.compile_output) lines.push(...fillWithLineLinks(byId("compile-output"), s.compile_output, this.goTo));
    byId("out-message").hidden = !s.message;
    byId("message").textContent = s.message ?? "";
    fillPlain(byId("stdout"), s.stdout, "(empty: the program printed nothing)");
    const stderr = byId("stderr");
    if (s.stderr) lines.push(...fillWithLineLinks(stderr, s.stderr, this.goTo));
    else fillPlain(stderr, null, "(empty)");
    return s.status.id === 6 ? lines : [];
  }

  /** Shows why the run did not happen, in words. */
  fail(e: ApiError | Error): void {
    setBadge(this.badge, "Not run", "internal");
    this.err.replaceChildren(h("strong", {}, "The program was not run. "), e.message);
    this.err.hidden = false;
    fillPlain(byId("stdout"), null, "No output: the program was not run.");
    fillPlain(byId("stderr"), null, "No output: the program was not run.");
  }
}
