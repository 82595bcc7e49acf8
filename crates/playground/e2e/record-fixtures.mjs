// Records the mock server's canned answers from a real `flash serve`:
//
//   FLASH_URL=http://127.0.0.1:2358 node record-fixtures.mjs
//
// Runs and debugs the programs in programs/ (the ones the tests use) and
// writes fixtures/runs.json, fixtures/traces.json and one trace file each;
// uploads tests/problems/primecount and guess and judges an accepted Python
// solution on each (fixtures/package-NAME.json).

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const base = process.env.FLASH_URL;
if (!base) {
  console.error("set FLASH_URL to a running flash serve");
  process.exit(2);
}
const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.join(here, "fixtures");
const program = (f) => fs.readFileSync(path.join(here, "programs", f), "utf8");
const FIELDS = "status,stdout,stderr,compile_output,message,time,wall_time,memory,exit_code,exit_signal";

/** [file, Judge0 id, a line that picks the program out, stdin] */
const RUNS = [
  ["sum.py", 71, "print(sum(map(int", "2 3 4\n"],
  ["sum.cpp", 54, "std::cin >> a >> b", "40 2\n"],
  ["broken.cpp", 54, "int x = 1\n", ""],
];
const TRACES = [
  ["fact.py", 71, "def fact(n):"],
  ["total.py", 71, "def total(items, seen):"],
  ["fact.cpp", 54, "int fact(int n) {"],
  ["broken.cpp", 54, "int x = 1\n"],
];

async function post(p, body) {
  const r = await fetch(base + p, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  return r.json();
}

fs.mkdirSync(out, { recursive: true });
const runs = [];
for (const [file, id, contains, stdin] of RUNS) {
  const code = program(file);
  if (!code.includes(contains)) throw new Error(`${file} does not contain ${JSON.stringify(contains)}`);
  const response = await post(`/submissions?base64_encoded=false&wait=true&fields=${FIELDS}`, { source_code: code, language_id: id, stdin });
  runs.push({ program: file, language_id: id, contains, stdin, response });
  console.log(`run ${file}: ${response.status.description}`);
}
fs.writeFileSync(path.join(out, "runs.json"), `${JSON.stringify(runs, null, 2)}\n`);
const traces = [];
for (const [file, id, contains] of TRACES) {
  const trace = await post("/debug", { code: program(file), language: String(id), input: "" });
  const name = `trace-${file.replace(".", "-")}.json`;
  fs.writeFileSync(path.join(out, name), `${JSON.stringify(trace)}\n`);
  traces.push({ program: file, language: id, contains, file: name });
  console.log(`debug ${file}: ${trace.status}, ${trace.steps.length} steps`);
}
fs.writeFileSync(path.join(out, "traces.json"), `${JSON.stringify(traces, null, 2)}\n`);

const problems = path.resolve(here, "../../../tests/problems");
for (const [name, solution] of [["primecount", "sieve.py"], ["guess", "binary.py"]]) {
  const archive = execFileSync("tar", ["-C", problems, "-cz", name]);
  const up = await fetch(`${base}/packages`, { method: "POST", body: archive });
  if (!up.ok) throw new Error(`/packages: ${up.status} ${await up.text()}`);
  const info = await up.json();
  const code = fs.readFileSync(path.join(problems, name, "submissions/accepted", solution), "utf8");
  const body = { code, language: 71, package: info.id, all_tests: true, transcript: true };
  const result = await post("/create?wait=true", body);
  fs.writeFileSync(path.join(out, `package-${name}.json`), `${JSON.stringify({ info, result }, null, 2)}\n`);
  console.log(`package ${info.name}: ${result.package.verdict}, score ${result.package.score}`);
}
