// End-to-end tests of the playground in Debian's headless Chromium, driven
// by playwright-core (which never downloads a browser). Run them with
// scripts/test-playground.sh, which starts the server; directly:
//
//   FLASH_URL=http://127.0.0.1:2358 node --test playground.test.mjs
//
// FLASH_URL: the server under test (real `flash serve`, or mock-server.mjs).
// PLAYGROUND_SCREENSHOT: where to save the debugger view (PNG), if set.
// CHROMIUM: the browser (default /usr/bin/chromium).
//
// Every request the page makes must go to FLASH_URL (nothing from the
// internet); uncaught page errors fail the test.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, afterEach, before, beforeEach, test } from "node:test";
import { chromium } from "playwright-core";

const BASE = (process.env.FLASH_URL ?? "").replace(/\/+$/, "");
if (!BASE) throw new Error("set FLASH_URL (scripts/test-playground.sh does)");
const here = path.dirname(new URL(import.meta.url).pathname);
const program = (f) => fs.readFileSync(path.join(here, "programs", f), "utf8");

let browser;
let ctx;
let page;
let problems;

before(async () => {
  // launch() gives Chromium a new, empty --user-data-dir of its own.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
});

beforeEach(async () => {
  ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  problems = [];
  ctx.on("request", (r) => {
    if (!r.url().startsWith(`${BASE}/`) && !r.url().startsWith("data:")) problems.push(`request off the server: ${r.url()}`);
  });
  page = await openPage();
});

afterEach(async () => {
  await ctx.close();
  assert.deepEqual(problems, [], "the page made requests elsewhere or threw");
});

async function openPage(url = `${BASE}/`) {
  const p = await ctx.newPage();
  p.setDefaultTimeout(60_000);
  p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await p.goto(url);
  await p.waitForSelector("#language:not([disabled])");
  return p;
}

async function pickLanguage(prefix, p = page) {
  const value = await p.$eval("#language", (s, pre) => [...s.options].find((o) => o.text.startsWith(pre))?.value, prefix);
  assert.ok(value, `the picker has no language named ${prefix}…`);
  await p.selectOption("#language", value);
}

/** Replaces the editor's text: `typed` presses every key, else the text is inserted at once. */
async function setCode(code, { typed = false } = {}) {
  await page.click(".cm-content");
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Delete");
  if (typed) await page.keyboard.type(code);
  else await page.keyboard.insertText(code);
}

async function editorText(p = page) {
  return p.$$eval(".cm-content .cm-line", (lines) => lines.map((l) => l.textContent).join("\n"));
}

/** Waits for the badge to leave "Running…" and returns its words. */
async function verdict() {
  await page.waitForFunction(() => {
    const b = document.querySelector("#verdict");
    return !b.classList.contains("pending") && !b.classList.contains("idle");
  });
  return page.textContent("#verdict");
}

async function startDebug() {
  await page.click("#debug");
  await page.waitForFunction(() => {
    const b = document.querySelector("#trace-status");
    return !b.classList.contains("pending") && !b.classList.contains("idle");
  });
  return page.textContent("#trace-status");
}

/** What the debugger shows now: step, event, line, and each frame's locals as text. */
async function debuggerState() {
  return page.evaluate(() => {
    const info = document.querySelector("#step-info");
    const frames = [...document.querySelectorAll("#frames > li.frame")].map((li) => ({
      func: li.dataset.func,
      line: Number(li.dataset.line),
      locals: Object.fromEntries(
        [...li.querySelectorAll(":scope > table > tbody > tr")].map((tr) => [tr.dataset.name, tr.querySelector(".val").textContent.trim()]),
      ),
    }));
    const current = document.querySelector(".cm-debug-current");
    return {
      step: Number(info.dataset.step),
      event: info.dataset.event,
      line: Number(info.dataset.line),
      frames,
      highlighted: current ? { line: Number(current.dataset.line), text: current.textContent } : null,
      event_box: document.querySelector("#step-event").hidden ? "" : document.querySelector("#step-event").textContent,
      stdout: document.querySelector("#debug-stdout").textContent,
    };
  });
}

/** Steps forward with the → key (focus outside any text field) until `want` holds. */
async function stepUntil(want, what) {
  await page.focus("#step-next");
  for (let i = 0; i < 200; i++) {
    const s = await debuggerState();
    if (want(s)) return s;
    const before = s.step;
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction((b) => Number(document.querySelector("#step-info").dataset.step) !== b, before, { timeout: 5000 }).catch(() => {
      throw new Error(`the last step came before ${what}`);
    });
  }
  throw new Error(`never reached ${what}`);
}

const isFact = (f) => /^fact\b/.test(f.func);

test("runs a Python program typed into the editor and shows verdict and stdout", async () => {
  await pickLanguage("Python");
  await setCode("print(sum(map(int, input().split())))", { typed: true });
  assert.equal(await editorText(), "print(sum(map(int, input().split())))");
  await page.fill("#stdin", "2 3 4\n");
  await page.click("#run");
  assert.equal(await verdict(), "Accepted");
  assert.equal(await page.textContent("#stdout"), "9\n");
  assert.match(await page.textContent("#m-time"), /^\d+(\.\d+)? s$/);
  assert.match(await page.textContent("#m-memory"), /^\d+(\.\d)? (KB|MB)$/);
  assert.equal(await page.textContent("#m-exit"), "0");
  // Ctrl+Enter in the editor runs it again.
  await page.click(".cm-content");
  await page.keyboard.press("Control+Enter");
  assert.equal(await verdict(), "Accepted");
  assert.equal(await page.textContent("#stdout"), "9\n");
});

test("runs C++, and a compile error links to its line", async () => {
  await pickLanguage("C++ (GCC");
  await setCode(program("sum.cpp"));
  await page.fill("#stdin", "40 2\n");
  await page.click("#run");
  assert.equal(await verdict(), "Accepted");
  assert.equal(await page.textContent("#stdout"), "sum 42\n");

  await setCode(program("broken.cpp"));
  await page.click("#run");
  assert.equal(await verdict(), "Compilation Error");
  assert.ok(await page.isVisible("#out-compile"));
  const link = page.locator('#compile-output .line-link[data-line="5"]').first();
  assert.match(await link.textContent(), /main\.cpp:5/);
  assert.ok(await page.isVisible('.cm-error-line[data-line="5"]'), "the error line is marked in the editor");
  await link.click();
  assert.match(await page.textContent(".cm-activeLine"), /std::cout << x/);
});

test("debugs a recursive Python function: line, locals, return value, stdout", async () => {
  await pickLanguage("Python");
  await setCode(program("fact.py"));
  assert.equal(await startDebug(), "Finished");
  assert.match(await page.textContent("#trace-end"), /ran to its end/);
  let s = await debuggerState();
  assert.equal(s.step, 1);

  // fact(4) -> fact(3) -> fact(2): the first line run in the third call.
  s = await stepUntil((s) => s.event === "line" && s.frames.filter(isFact).length === 3, "the third call's first line");
  assert.equal(s.line, 2);
  assert.deepEqual(s.highlighted, { line: 2, text: "    if n <= 1:" });
  assert.equal(s.frames[0].locals.n, "2");
  assert.equal(s.frames[1].locals.n, "3");
  assert.equal(s.frames[1].line, 4, "the caller waits on its recursive call");
  assert.ok(await page.isVisible('.cm-debug-caller[data-line="4"]'));

  s = await stepUntil((s) => s.event === "return", "the first return");
  assert.equal(s.frames[0].locals.n, "1");
  assert.match(s.event_box, /^Return value: 1 \(int\)$/);
  assert.equal(s.stdout, "(nothing printed yet)");

  await page.keyboard.press("End");
  s = await debuggerState();
  assert.equal(s.stdout, "24\n");
  // The slider covers every step.
  const last = s.step;
  await page.focus("#step-slider");
  await page.keyboard.press("Home");
  assert.equal((await debuggerState()).step, 1);
  assert.equal(await page.getAttribute("#step-slider", "max"), String(last - 1));
  await page.keyboard.press("End");
  assert.equal((await debuggerState()).step, last);
});

test("debugs a recursive C++ function", async () => {
  await pickLanguage("C++ (GCC");
  await setCode(program("fact.cpp"));
  assert.equal(await startDebug(), "Finished");
  let s = await stepUntil((s) => s.event === "line" && s.frames.filter(isFact).length === 3, "the third call's first line");
  assert.equal(s.line, 4);
  assert.deepEqual(s.highlighted, { line: 4, text: "    if (n <= 1) return 1;" });
  assert.equal(s.frames[0].locals.n, "2");
  assert.equal(s.frames[s.frames.length - 1].func, "main");
  s = await stepUntil((s) => s.event === "return" && s.frames[0].locals.n === "3", "fact(3) returning");
  assert.match(s.event_box, /^Return value: 6 \(int\)$/);
  // Back to editing leaves the debugger and makes the editor writable again.
  await page.click("#debug-close");
  assert.ok(await page.isVisible("#result-view"));
  assert.equal(await page.$(".cm-debug-current"), null);
});

test("debugger view: collections expand, stdout so far (screenshot)", async () => {
  await pickLanguage("Python");
  await setCode(program("total.py"));
  assert.equal(await startDebug(), "Finished");
  const s = await stepUntil(
    (s) => s.event === "line" && s.line === 6 && s.frames.filter((f) => f.func === "total").length === 3,
    "the third call printing",
  );
  assert.equal(s.frames[0].locals.head, "4");
  assert.equal(s.stdout, "adding 3\nadding 1\n");
  const items = page.locator('#frames > li.frame.current tr[data-name="items"] details').first();
  await items.locator("summary").click();
  assert.match(await items.locator("summary").textContent(), /\[4, 1, 5\]\s*3 items/);
  const seen = page.locator('#frames > li.frame.current tr[data-name="seen"] details').first();
  await seen.locator("summary").click();
  assert.match(await seen.textContent(), /\{3: 4, 1: 3, 4: 2\}\s*3 entries/);
  // Expanded values stay open on the next step.
  await page.click("#step-next");
  assert.equal(await items.evaluate((d) => d.open), true);
  await page.click("#step-prev");
  if (process.env.PLAYGROUND_SCREENSHOT) {
    await page.mouse.move(0, 0);
    await page.screenshot({ path: process.env.PLAYGROUND_SCREENSHOT });
  }
});

test("a compile error in debug mode is shown with its line", async () => {
  await pickLanguage("C++ (GCC");
  await setCode(program("broken.cpp"));
  assert.equal(await startDebug(), "Compilation error");
  assert.match(await page.textContent("#step-info"), /No steps/);
  assert.ok(await page.isDisabled("#step-next"));
  await page.click('#debug-compile-output .line-link[data-line="5"]');
  assert.match(await page.textContent(".cm-activeLine"), /std::cout << x/);
});

test("a shared link carries the code and the language; the last program survives a reload", async () => {
  await pickLanguage("C++ (GCC");
  await setCode(program("fact.cpp"));
  await page.click("#share");
  await page.waitForSelector("#share-box:not([hidden])");
  const url = await page.inputValue("#share-url");
  assert.match(await page.textContent("#share-status"), /Copied|Select the link/);
  assert.ok(url.startsWith(`${BASE}/#`), url);
  assert.match(url, /lang=cpp/);

  const other = await openPage(url);
  assert.match(await other.$eval("#language", (s) => s.selectedOptions[0].text), /^C\+\+/);
  assert.equal(await editorText(other), program("fact.cpp"));

  // Local storage: a fresh page (no fragment) shows the last program.
  await setCode("print('kept')\n");
  await pickLanguage("Python");
  await page.waitForTimeout(400);
  const again = await openPage(`${BASE}/`);
  assert.equal(await editorText(again), "print('kept')\n");
  assert.match(await again.$eval("#language", (s) => s.selectedOptions[0].text), /^Python/);
});

test("errors are explained in words: queue full, a refused field, an unreachable server", async () => {
  await pickLanguage("Python");
  await setCode("print(1)\n");

  await page.route("**/submissions?*", (r) => r.fulfill({ status: 503, contentType: "application/json", body: '{"error":"queue is full"}' }));
  await page.click("#run");
  assert.equal(await verdict(), "Not run");
  assert.match(await page.textContent("#run-error"), /queue is full.*try again/i);
  await page.unroute("**/submissions?*");

  await page.route("**/submissions?*", (r) =>
    r.fulfill({ status: 422, contentType: "application/json", body: '{"cpu_time_limit":["must be less than or equal to 15"]}' }),
  );
  await page.fill("#cpu-limit", "14");
  await page.click("#run");
  await verdict();
  assert.match(await page.textContent("#run-error"), /CPU time limit \(cpu_time_limit\): must be less than or equal to 15/);
  assert.equal(await page.getAttribute("#cpu-limit", "aria-invalid"), "true");
  assert.match(await page.textContent("#cpu-limit-error"), /less than or equal to 15/);
  await page.unroute("**/submissions?*");

  await page.route("**/submissions?*", (r) => r.abort("connectionrefused"));
  await page.click("#run");
  await verdict();
  assert.match(await page.textContent("#run-error"), /Cannot reach the Flash server/);
  await page.unroute("**/submissions?*");

  await page.route("**/debug", (r) => r.fulfill({ status: 401, contentType: "application/json", body: '{"error":"unauthorized"}' }));
  await page.click("#debug");
  await page.waitForSelector("#debug-error:not([hidden])");
  assert.match(await page.textContent("#debug-error"), /auth token/);
  assert.equal(await page.$eval("#settings", (d) => d.open), true);

  // A page whose language list cannot load says so and offers to retry.
  const p = await ctx.newPage();
  p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await p.route("**/languages", (r) => r.abort("connectionrefused"));
  await p.goto(`${BASE}/`);
  await p.waitForSelector("#banner:not([hidden])");
  assert.match(await p.textContent("#banner"), /languages could not be loaded.*Cannot reach/);
  await p.unroute("**/languages");
  await p.click("#banner button");
  await p.waitForSelector("#language:not([disabled])");
  assert.equal(await p.isHidden("#banner"), true);
});

test("a problem package: upload it, judge on it, read the per-test table and the group scores", async () => {
  const problems = path.resolve(here, "../../../tests/problems");
  const archive = execFileSync("tar", ["-C", problems, "-cz", "primecount"]);
  await page.click("#package-box summary");
  assert.equal(await page.isDisabled("#judge-package"), true, "no package yet");
  await page.setInputFiles("#package-file", { name: "primecount.tgz", mimeType: "application/gzip", buffer: archive });
  await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#package-id").value));
  assert.match(await page.textContent("#package-info"), /scoring.*11 tests/);
  await pickLanguage("Python");
  await setCode(fs.readFileSync(path.join(problems, "primecount/submissions/accepted/sieve.py"), "utf8"));
  await page.click("#judge-package");
  assert.equal(await verdict(), "Accepted");
  const rows = await page.$$eval("#package-tests tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, 11);
  assert.deepEqual(rows[0].slice(0, 3), ["sample/1", "sample", "AC"]);
  assert.ok(rows.every((r) => r[2] === "AC"), JSON.stringify(rows));
  assert.match(await page.textContent("#package-summary"), /AC, score 100 \/ 100/);
  const groups = await page.$$eval("#package-groups tbody tr", (trs) => trs.map((tr) => tr.cells[0].textContent));
  assert.ok(groups.includes("secret/1-small"), JSON.stringify(groups));
  // A plain run hides the package's table again.
  await page.click("#run");
  await verdict();
  assert.equal(await page.isHidden("#out-package"), true);
});

test("an interactive package: the dialogue of a test is shown", async () => {
  const problems = path.resolve(here, "../../../tests/problems");
  const archive = execFileSync("tar", ["-C", problems, "-cz", "guess"]);
  await page.click("#package-box summary");
  await page.setInputFiles("#package-file", { name: "guess.tgz", mimeType: "application/gzip", buffer: archive });
  await page.waitForFunction(() => /interactive/.test(document.querySelector("#package-info").textContent));
  await pickLanguage("Python");
  await setCode(fs.readFileSync(path.join(problems, "guess/submissions/accepted/binary.py"), "utf8"));
  await page.click("#judge-package");
  assert.equal(await verdict(), "Accepted");
  await page.waitForSelector("#package-dialogue:not([hidden])");
  const said = await page.$$eval("#package-transcript .say", (ds) => ds.map((d) => d.textContent));
  assert.ok(said.length >= 2, JSON.stringify(said));
  assert.match(said[0], /^solution: \d+/);
  assert.match(said[1], /^interactor: /);
  assert.match(await page.textContent("#dialogue-test"), /test sample\//);
});
