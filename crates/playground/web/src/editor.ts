// The code editor: CodeMirror 6 with only what a playground needs (line
// numbers, highlighting, undo, bracket matching, Tab indents), one language
// mode at a time, and line decorations for the debugger's current line,
// its callers' lines and compile-error lines.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  StreamLanguage,
  syntaxHighlighting,
} from "@codemirror/language";
import { Compartment, EditorState, type Extension, RangeSetBuilder, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  type DecorationSet,
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import type { LanguageFamily } from "./languages";

/** Lines to mark: the debugger's current line, its callers, error lines. */
export interface Marks {
  current?: number;
  callers?: number[];
  errors?: number[];
}

const setMarks = StateEffect.define<Marks>();

const marksField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) if (e.is(setMarks)) deco = buildMarks(tr.state, e.value);
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function buildMarks(state: EditorState, m: Marks): DecorationSet {
  const byLine = new Map<number, string>();
  const add = (n: number | undefined, cls: string) => {
    if (n && n >= 1 && n <= state.doc.lines && !byLine.has(n)) byLine.set(n, cls);
  };
  add(m.current, "cm-debug-current");
  for (const n of m.callers ?? []) add(n, "cm-debug-caller");
  for (const n of m.errors ?? []) add(n, "cm-error-line");
  const b = new RangeSetBuilder<Decoration>();
  for (const n of [...byLine.keys()].sort((a, c) => a - c)) {
    const line = state.doc.line(n);
    b.add(line.from, line.from, Decoration.line({ class: byLine.get(n)!, attributes: { "data-line": String(n) } }));
  }
  return b.finish();
}

// Grammars are loaded when first needed (each is its own chunk in the
// bundle, served by Flash itself), so the page starts with the editor only.
const MODES: Record<LanguageFamily, () => Promise<Extension>> = {
  cpp: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  c: () => import("@codemirror/lang-cpp").then((m) => m.cpp()),
  python: () => import("@codemirror/lang-python").then((m) => m.python()),
  javascript: () => import("@codemirror/lang-javascript").then((m) => m.javascript()),
  java: () => import("@codemirror/lang-java").then((m) => m.java()),
  sql: () => import("@codemirror/legacy-modes/mode/sql").then((m) => StreamLanguage.define(m.sqlite)),
  bash: () => import("@codemirror/legacy-modes/mode/shell").then((m) => StreamLanguage.define(m.shell)),
  other: async () => [],
};

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "14px", backgroundColor: "#fff" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-gutters": { backgroundColor: "#f4f5f7", color: "#5b6270", borderRight: "1px solid #d9dce1" },
  "&.cm-focused": { outline: "none" },
  ".cm-debug-current": { backgroundColor: "#fff0b3", boxShadow: "inset 4px 0 0 #c28a00" },
  ".cm-debug-caller": { backgroundColor: "#eef3fb", boxShadow: "inset 4px 0 0 #8aa4cc" },
  ".cm-error-line": { backgroundColor: "#fde8e8", boxShadow: "inset 4px 0 0 #c62828" },
});

export interface Editor {
  view: EditorView;
  getCode(): string;
  setCode(code: string): void;
  /** Switches the highlighting; resolves when the grammar is loaded and applied. */
  setLanguage(family: LanguageFamily): Promise<void>;
  setReadOnly(ro: boolean): void;
  mark(m: Marks): void;
  /** Puts the cursor on `line`, scrolls it into view and focuses the editor. */
  goToLine(line: number, col?: number): void;
  /** Scrolls `line` into view without moving focus. */
  reveal(line: number): void;
}

export function createEditor(
  parent: HTMLElement,
  doc: string,
  onChange: () => void,
  onRun: () => void,
  label: string,
): Editor {
  const language = new Compartment();
  const readOnly = new Compartment();
  const runKey = { key: "Mod-Enter", preventDefault: true, run: () => (onRun(), true) };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(),
        highlightActiveLine(),
        keymap.of([runKey, ...defaultKeymap, ...historyKeymap, indentWithTab]),
        language.of([]),
        readOnly.of(EditorState.readOnly.of(false)),
        marksField,
        theme,
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange();
        }),
      ],
    }),
  });
  let wanted: LanguageFamily = "other";
  const lineAt = (n: number) => view.state.doc.line(Math.min(Math.max(1, n), view.state.doc.lines));
  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode(code) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } });
    },
    async setLanguage(family) {
      wanted = family;
      let ext: Extension = [];
      try {
        ext = await MODES[family]();
      } catch {
        // The grammar chunk did not load (server gone?): plain text still edits.
      }
      if (wanted === family) view.dispatch({ effects: language.reconfigure(ext) });
    },
    setReadOnly(ro) {
      view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(ro)) });
    },
    mark(m) {
      view.dispatch({ effects: setMarks.of(m) });
    },
    goToLine(n, col) {
      const line = lineAt(n);
      const pos = Math.min(line.from + Math.max(0, (col ?? 1) - 1), line.to);
      view.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: "center" }) });
      view.focus();
    },
    reveal(n) {
      view.dispatch({ effects: EditorView.scrollIntoView(lineAt(n).from, { y: "nearest", yMargin: 60 }) });
    },
  };
}
