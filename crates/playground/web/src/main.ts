// Flash playground: wires the editor, the language picker, the Run and
// Debug actions, sharing and local storage together.
//
// Layout of web/src: api.ts (requests, errors in words), editor.ts
// (CodeMirror), languages.ts (families, starters, link names), result.ts
// (Result pane), packageview.ts (uploads, the per-test table of a package),
// debugview.ts + trace.ts (Debugger pane), share.ts (links,
// local storage), lineref.ts (line references in messages), dom.ts.

import * as api from "./api";
import { ApiError, type ServerConfig } from "./api";
import { DebugView } from "./debugview";
import { byId, h } from "./dom";
import { createEditor } from "./editor";
import {
  canDebug,
  dedupe,
  family,
  findLanguage,
  isStarter,
  type Language,
  pickerLabel,
  shortName,
  starter,
} from "./languages";
import { hidePackage, packageId, showPackage, wirePackageBox } from "./packageview";
import { ResultPane } from "./result";
import * as share from "./share";

const langSelect = byId<HTMLSelectElement>("language");
const runBtn = byId<HTMLButtonElement>("run");
const debugBtn = byId<HTMLButtonElement>("debug");
const stdinBox = byId<HTMLTextAreaElement>("stdin");
const cpuInput = byId<HTMLInputElement>("cpu-limit");
const memInput = byId<HTMLInputElement>("mem-limit");
const stepsInput = byId<HTMLInputElement>("max-steps");
const banner = byId("banner");
const judgeBtn = byId<HTMLButtonElement>("judge-package");

let langs: Language[] = [];
let config: ServerConfig = {};
let busy = false;
let debugging = false;
/** Set while the page shows a shared link's program, until the first edit. */
let fromLink = false;
/** Set while start() fills the page: those changes are not the user's. */
let loading = true;
/** The language the editor is set up for (the picker's value before a change). */
let shownLanguage = "";

const editor = createEditor(byId("editor"), "", () => changed(), () => void runProgram(), "Code editor");
const result = new ResultPane((line, col) => editor.goToLine(line, col));
const debugView = new DebugView(editor);

function currentLanguage(): Language | undefined {
  return langs.find((l) => String(l.id) === langSelect.value);
}

// ---- persistence -------------------------------------------------------

let saveTimer: number | undefined;

function changed(): void {
  if (loading) return;
  if (fromLink) {
    // The link no longer describes what is on screen; a reload shows the
    // stored program (the latest) instead of the link's.
    fromLink = false;
    history.replaceState(null, "", location.pathname + location.search);
  }
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => {
    share.save({
      lang: langSelect.value,
      code: editor.getCode(),
      stdin: stdinBox.value,
      cpu: cpuInput.value,
      mem: memInput.value,
      steps: stepsInput.value,
    });
  }, 250);
}

// ---- messages ----------------------------------------------------------

function showBanner(message: string, retry?: () => void): void {
  banner.replaceChildren(h("span", {}, message));
  if (retry) banner.append(" ", h("button", { type: "button", onclick: retry }, "Try again"));
  banner.hidden = false;
}

function hideBanner(): void {
  banner.hidden = true;
}

const FIELD_INPUTS: Record<string, HTMLElement> = {
  cpu_time_limit: cpuInput,
  wall_time_limit: cpuInput,
  memory_limit: memInput,
  max_steps: stepsInput,
  language_id: langSelect,
  language: langSelect,
  stdin: stdinBox,
  input: stdinBox,
};

function clearFieldErrors(): void {
  for (const input of [cpuInput, memInput, stepsInput, langSelect, stdinBox]) input.removeAttribute("aria-invalid");
  for (const id of ["cpu-limit-error", "mem-limit-error", "max-steps-error"]) byId(id).textContent = "";
}

function markField(input: HTMLElement, message: string): void {
  input.setAttribute("aria-invalid", "true");
  const errEl = document.getElementById(`${input.id}-error`);
  if (errEl) errEl.textContent = message;
}

function markFields(e: unknown): void {
  if (!(e instanceof ApiError)) return;
  for (const [field, msgs] of Object.entries(e.fields)) {
    const input = FIELD_INPUTS[field];
    if (input) markField(input, `${field}: ${msgs.join("; ")}`);
  }
  if (e.kind === "auth") byId<HTMLDetailsElement>("settings").open = true;
}

/** Reads a limit field: undefined when empty (the server's default applies). */
function limit(input: HTMLInputElement, what: string, max?: number): number | undefined {
  const raw = input.value.trim();
  if (!raw) return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) {
    markField(input, `${what} must be a positive number.`);
    throw new Error(`${what} must be a positive number (or empty for the server's default).`);
  }
  if (max !== undefined && v > max) {
    markField(input, `${what} must be at most ${max}.`);
    throw new Error(`${what} must be at most ${max} on this server.`);
  }
  return v;
}

// ---- actions ------------------------------------------------------------

function setBusy(b: boolean, what?: "run" | "debug"): void {
  busy = b;
  runBtn.disabled = b || !langs.length;
  judgeBtn.disabled = b || !langs.length || !packageId();
  debugBtn.disabled = b || !canDebug(currentLanguage());
  runBtn.firstChild!.textContent = b && what === "run" ? "Running… " : "Run ";
  debugBtn.textContent = b && what === "debug" ? "Recording…" : "Debug";
  byId("result-view").setAttribute("aria-busy", String(b && what === "run"));
  byId("debug-view").setAttribute("aria-busy", String(b && what === "debug"));
}

function setDebugging(on: boolean): void {
  debugging = on;
  byId("result-view").hidden = on;
  byId("debug-view").hidden = !on;
  editor.setReadOnly(on);
  byId("editor-note").textContent = on
    ? "Read-only while debugging. ← → step (outside the editor)."
    : "Ctrl+Enter runs. Esc then Tab leaves the editor.";
  if (!on) editor.mark({});
}

async function runProgram(): Promise<void> {
  const lang = currentLanguage();
  if (busy || !lang) return;
  setDebugging(false);
  clearFieldErrors();
  let cpu: number | undefined;
  let memMb: number | undefined;
  try {
    cpu = limit(cpuInput, "CPU time", config.max_cpu_time_limit);
    memMb = limit(memInput, "Memory", config.max_memory_limit ? Math.floor(config.max_memory_limit / 1024) : undefined);
  } catch (e) {
    result.fail(e as Error);
    return;
  }
  const req: api.RunRequest = {
    source_code: editor.getCode(),
    language_id: lang.id,
    stdin: stdinBox.value,
    ...(cpu !== undefined && { cpu_time_limit: cpu }),
    ...(memMb !== undefined && { memory_limit: Math.round(memMb * 1024) }),
  } as api.RunRequest;
  // A CPU limit above the default wall limit needs a wall limit to match.
  if (cpu !== undefined && config.wall_time_limit !== undefined && cpu * 1.5 > config.wall_time_limit) {
    req.wall_time_limit = Math.min(config.max_wall_time_limit ?? cpu * 2, Math.max(cpu * 2, config.wall_time_limit));
  }
  setBusy(true, "run");
  result.start("Running…");
  hidePackage();
  try {
    const sub = await api.run(req, (s) => result.start(s.status?.description ? `${s.status.description}…` : "Queued…"));
    editor.mark({ errors: result.show(sub) });
  } catch (e) {
    markFields(e);
    result.fail(e as Error);
  } finally {
    setBusy(false);
  }
}

/** Judges the code on the uploaded package: the per-test table and the scores. */
async function judgeOnPackage(): Promise<void> {
  const lang = currentLanguage();
  const pkg = packageId();
  if (busy || !lang || !pkg) return;
  setDebugging(false);
  clearFieldErrors();
  setBusy(true, "run");
  result.start("Judging on the package…");
  try {
    const sub = await api.judgePackage(editor.getCode(), lang.id, pkg);
    editor.mark({ errors: result.show(sub) });
    if (sub.package) showPackage(sub.package);
  } catch (e) {
    markFields(e);
    result.fail(e as Error);
  } finally {
    setBusy(false);
  }
}

async function debugProgram(): Promise<void> {
  const lang = currentLanguage();
  if (busy || !lang || !canDebug(lang)) return;
  clearFieldErrors();
  let steps: number | undefined;
  setDebugging(true);
  debugView.pending();
  try {
    steps = limit(stepsInput, "Debug steps");
  } catch (e) {
    debugView.fail((e as Error).message);
    return;
  }
  setBusy(true, "debug");
  try {
    const trace = await api.debug({
      code: editor.getCode(),
      language: String(lang.id),
      input: stdinBox.value,
      ...(steps !== undefined && { max_steps: Math.round(steps) }),
    });
    debugView.show(trace);
  } catch (e) {
    markFields(e);
    debugView.fail((e as Error).message);
  } finally {
    setBusy(false);
  }
}

async function shareLink(): Promise<void> {
  const lang = currentLanguage();
  const frag = await share.toFragment({
    lang: lang ? shortName(lang) : undefined,
    code: editor.getCode(),
    stdin: stdinBox.value,
  });
  history.replaceState(null, "", `#${frag}`);
  fromLink = true;
  const url = location.href;
  const box = byId("share-box");
  const input = byId<HTMLInputElement>("share-url");
  const status = byId("share-status");
  input.value = url;
  box.hidden = false;
  input.focus();
  input.select();
  try {
    await navigator.clipboard.writeText(url);
    status.textContent = "Copied to the clipboard.";
  } catch {
    status.textContent = "Select the link and copy it (Ctrl+C).";
  }
}

// ---- languages and start-up ----------------------------------------------

function onLanguageChange(prev: Language | undefined): void {
  const lang = currentLanguage();
  void editor.setLanguage(family(lang));
  if (lang && prev && prev.id !== lang.id && isStarter(editor.getCode())) editor.setCode(starter(lang));
  debugBtn.disabled = busy || !canDebug(lang);
  debugBtn.title = canDebug(lang)
    ? "Record a step-by-step trace"
    : `${lang?.name ?? "This language"} cannot be debugged (the debugger supports C, C++, Python, JavaScript and Java).`;
  if (debugging) setDebugging(false);
  changed();
}

function fillLanguages(list: Language[], pick: Language | undefined): void {
  langs = dedupe(list.filter((l) => !/^multi-file/i.test(l.name))).sort((a, b) => a.name.localeCompare(b.name));
  langSelect.replaceChildren(...langs.map((l) => h("option", { value: l.id }, pickerLabel(l))));
  const chosen = pick ?? findLanguage(langs, "python") ?? langs[0];
  if (chosen) langSelect.value = String(chosen.id);
  langSelect.disabled = !langs.length;
  shownLanguage = langSelect.value;
  runBtn.disabled = !langs.length;
  void editor.setLanguage(family(currentLanguage()));
  debugBtn.disabled = !canDebug(currentLanguage());
}

function applyConfig(c: ServerConfig): void {
  config = c;
  if (c.cpu_time_limit !== undefined) cpuInput.placeholder = String(c.cpu_time_limit);
  if (c.max_cpu_time_limit !== undefined) cpuInput.max = String(c.max_cpu_time_limit);
  if (c.memory_limit !== undefined) memInput.placeholder = String(Math.round(c.memory_limit / 1024));
  if (c.max_memory_limit !== undefined) memInput.max = String(Math.floor(c.max_memory_limit / 1024));
}

async function loadLanguages(wanted: string | undefined): Promise<void> {
  langSelect.replaceChildren(h("option", {}, "Loading languages…"));
  try {
    const [list, cfg] = await Promise.all([api.languages(), api.configInfo().catch(() => ({}))]);
    if (!list.length) {
      showBanner("The server offers no languages: no toolchain was found on it (see `flash check`).");
    } else {
      hideBanner();
    }
    fillLanguages(list, findLanguage(dedupe(list), wanted));
    applyConfig(cfg);
    if (!loading && !editor.getCode().trim()) editor.setCode(starter(currentLanguage()));
  } catch (e) {
    langSelect.replaceChildren(h("option", {}, "Languages could not be loaded"));
    showBanner(`The list of languages could not be loaded. ${(e as Error).message}`, () => void loadLanguages(wanted));
  }
}

async function start(): Promise<void> {
  const saved = share.load();
  let program: share.Program | undefined;
  try {
    program = await share.fromFragment(location.hash);
  } catch (e) {
    showBanner((e as Error).message);
  }
  const p = program ?? saved ?? {};
  editor.setCode(p.code ?? "");
  stdinBox.value = p.stdin ?? "";
  if (saved) {
    cpuInput.value = saved.cpu ?? "";
    memInput.value = saved.mem ?? "";
    stepsInput.value = saved.steps ?? stepsInput.value;
  } else {
    cpuInput.value = "";
    memInput.value = "";
  }
  await loadLanguages(p.lang);
  if (!p.code) editor.setCode(starter(currentLanguage()));
  fromLink = program !== undefined;
  loading = false;
}

langSelect.addEventListener("change", () => {
  const prev = langs.find((l) => String(l.id) === shownLanguage);
  shownLanguage = langSelect.value;
  onLanguageChange(prev);
});
runBtn.addEventListener("click", () => void runProgram());
debugBtn.addEventListener("click", () => void debugProgram());
judgeBtn.addEventListener("click", () => void judgeOnPackage());
wirePackageBox(() => (judgeBtn.disabled = busy || !langs.length || !packageId()));
byId("debug-close").addEventListener("click", () => {
  setDebugging(false);
  editor.view.focus();
});
byId("share").addEventListener("click", () => void shareLink());
byId("share-close").addEventListener("click", () => (byId("share-box").hidden = true));
for (const input of [stdinBox, cpuInput, memInput, stepsInput]) input.addEventListener("input", changed);
byId("settings-form").addEventListener("submit", (e) => e.preventDefault());
const tokenInput = byId<HTMLInputElement>("auth-token");
tokenInput.value = api.authToken();
tokenInput.addEventListener("change", () => api.setAuthToken(tokenInput.value.trim()));

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented) return;
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
    e.preventDefault();
    void runProgram();
    return;
  }
  const t = e.target as HTMLElement;
  const typing = t.closest("input, textarea, select, .cm-editor, [contenteditable=true]") !== null;
  if (debugging && !typing && debugView.key(e)) e.preventDefault();
});

void start();
