// Unit tests of the page's pure helpers (run by `node build.mjs --test`).

import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBase64, toBase64 } from "../src/api";
import { canDebug, dedupe, family, findLanguage, isStarter, pickerLabel, starter } from "../src/languages";
import { findLineRefs } from "../src/lineref";
import { fromFragment, toFragment } from "../src/share";
import { short, sizeWords, stdoutUpTo, traceEnd } from "../src/trace";

const LANGS = [
  { id: 46, name: "Bash (5.2.15)" },
  { id: 50, name: "C (GCC 12.2.0)" },
  { id: 48, name: "C (GCC 12.2.0)" },
  { id: 53, name: "C++ (GCC 12.2.0)" },
  { id: 54, name: "C++ (GCC 12.2.0)" },
  { id: 62, name: "Java (OpenJDK 17.0.15)" },
  { id: 63, name: "JavaScript (Node.js 20.20.2)" },
  { id: 71, name: "Python (3.11.2)" },
  { id: 82, name: "SQL (SQLite 3.40.1)" },
];

test("line references in compiler and runtime messages", () => {
  const refs = (t: string) => findLineRefs(t).map((r) => [t.slice(r.start, r.end), r.line, r.col]);
  assert.deepEqual(refs("main.cpp: In function ‘int main()’:\nmain.cpp:5:5: error: expected ‘;’"), [["main.cpp:5:5", 5, 5]]);
  assert.deepEqual(refs('  File "/box/main.py", line 3, in <module>'), [['File "/box/main.py", line 3', 3, undefined]]);
  assert.deepEqual(refs("Main.java:7: error: ';' expected"), [["Main.java:7", 7, undefined]]);
  assert.deepEqual(refs("/box/main.js:2\n  foo(\n"), [["/box/main.js:2", 2, undefined]]);
  assert.deepEqual(refs("main.sh: line 4: nope: command not found"), [["main.sh: line 4", 4, undefined]]);
  assert.deepEqual(refs("Parse error near line 2: no such table"), [["near line 2", 2, undefined]]);
  assert.deepEqual(refs("other.cpp:3: not ours; main.cpp:0: no line zero"), []);
});

test("languages: families, dedupe, links, starters", () => {
  assert.equal(family({ id: 54, name: "C++ (GCC 12.2.0)" }), "cpp");
  assert.equal(family({ id: 50, name: "C (GCC 12.2.0)" }), "c");
  assert.equal(family({ id: 999, name: "Java (OpenJDK 21)" }), "java");
  assert.equal(family({ id: 63, name: "JavaScript (Node.js 20)" }), "javascript");
  assert.deepEqual(
    dedupe(LANGS).map((l) => l.id),
    [46, 50, 54, 62, 63, 71, 82],
  );
  assert.equal(findLanguage(LANGS, "cpp")?.name, "C++ (GCC 12.2.0)");
  assert.equal(findLanguage(LANGS, "71")?.id, 71);
  assert.equal(findLanguage(LANGS, "Python")?.id, 71);
  assert.equal(findLanguage(LANGS, "cobol"), undefined);
  assert.ok(canDebug({ id: 62, name: "Java (OpenJDK 17)" }));
  assert.ok(!canDebug({ id: 46, name: "Bash (5.2.15)" }));
  // Issue #16's languages: Clang's C and C++ and C# are not the debugger's.
  assert.ok(!canDebug({ id: 75, name: "C (Clang 14.0.6)" }));
  assert.ok(!canDebug({ id: 76, name: "C++ (Clang 14.0.6)" }));
  assert.ok(!canDebug({ id: 51, name: "C# (Mono 6.8.0.105)" }));
  assert.equal(family({ id: 51, name: "C# (Mono 6.8.0.105)" }), "other");
  assert.equal(family({ id: 75, name: "C (Clang 14.0.6)" }), "c");
  assert.equal(pickerLabel({ id: 71, name: "Python (3.11.2)" }), "Python (3.11.2) · debugger");
  assert.equal(pickerLabel({ id: 60, name: "Go (1.19.8)" }), "Go (1.19.8)");
  assert.ok(isStarter(starter({ id: 71, name: "Python (3.11.2)" })));
  assert.ok(isStarter("  \n"));
  assert.ok(!isStarter("print(1)"));
});

test("links round-trip code, language and input", async () => {
  const code = "print('héllo')\n# ünïcode ✓\n".repeat(20);
  const frag = await toFragment({ lang: "python", code, stdin: "1 2\n" });
  assert.match(frag, /^lang=python&z=[\w-]+&zin=[\w-]+$/);
  assert.deepEqual(await fromFragment(`#${frag}`), { lang: "python", code, stdin: "1 2\n" });
  // Hand-written links may carry plain base64url.
  assert.deepEqual(await fromFragment("#lang=cpp&code=aW50IG1haW4oKXt9"), { lang: "cpp", code: "int main(){}" });
  assert.equal(await fromFragment("#something-else"), undefined);
  await assert.rejects(fromFragment("#z=AAAA"), /could not be read/);
});

test("base64 of UTF-8 both ways", () => {
  assert.equal(toBase64("héllo ✓"), Buffer.from("héllo ✓").toString("base64"));
  assert.equal(fromBase64(Buffer.from("ünïcode\n").toString("base64")), "ünïcode\n");
  assert.equal(fromBase64(null), null);
});

test("values render tolerantly", () => {
  assert.equal(short({ type: "int", value: "42" }), "42");
  assert.equal(short({ type: "str", value: "'abc", len: 5000 }), "'abc…");
  assert.equal(short({ type: "list", items: [{ value: "1" }, "2", 3] }), "[1, 2, 3]");
  assert.equal(short({ type: "list", items: [{ value: "1" }], len: 10 }), "[1, …]");
  assert.equal(short({ type: "dict", entries: [{ key: { value: "'a'" }, value: { value: "1" } }] }), "{'a': 1}");
  assert.equal(short({ type: "Point", fields: [{ name: "x", value: "1" }, { name: "y", value: "2" }] }), "{x: 1, y: 2}");
  assert.equal(short({ type: "list", items: [{ type: "list", items: [] }] }), "[[…]]");
  assert.equal(sizeWords({ items: [{ value: "1" }] }), "1 item");
  assert.equal(sizeWords({ items: [{ value: "1" }], len: "1000" }), "1 of 1000 items shown");
  assert.equal(sizeWords({ entries: [] }), "0 entries");
});

test("stdout up to a step counts bytes, not characters", () => {
  assert.equal(stdoutUpTo("héllo\nworld\n", 7), "héllo\n");
  assert.equal(stdoutUpTo("abc", undefined), "abc");
  assert.equal(stdoutUpTo("abc", 99), "abc");
});

test("every trace status is said in words", () => {
  const words = (status: string) => traceEnd({ status, steps: [], limits: { max_steps: 1000 } }).text;
  assert.match(words("ok"), /ran to its end/);
  assert.match(words("step_limit"), /step limit.*1000 steps/);
  assert.match(words("time_limit"), /time limit/);
  assert.match(words("output_limit"), /output limit/);
  assert.match(words("trace_size_limit"), /size limit/);
  assert.match(words("compile_error"), /did not compile/);
  assert.match(traceEnd({ status: "runtime_error", signal: 11 }).text, /signal 11/);
  assert.match(words("internal_error"), /Flash itself failed/);
  assert.match(words("something_new"), /something_new/);
});
