// A stand-in for `flash serve` while developing the page: serves the built
// page from ../assets and canned answers for /languages, /config_info,
// /submissions, /debug, /packages and /create with a package (fixtures/*.json;
// the traces were recorded with the real debugger, `flash debug --json`, the
// package answers from a real `flash serve` by record-fixtures.mjs). Loopback only.
//
//   node mock-server.mjs [port]     (default 0: any free port)
//
// Prints "mock: listening on http://127.0.0.1:PORT" when ready.

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { randomUUID } from "node:crypto";

const here = path.dirname(new URL(import.meta.url).pathname);
const assets = path.resolve(here, "../assets");
const fixtures = path.join(here, "fixtures");
const readJson = (f) => JSON.parse(fs.readFileSync(path.join(fixtures, f), "utf8"));

const LANGUAGES = [
  { id: 46, name: "Bash (5.2.15)" },
  { id: 50, name: "C (GCC 12.2.0)" },
  { id: 54, name: "C++ (GCC 12.2.0)" },
  { id: 62, name: "Java (OpenJDK 17.0.13)" },
  { id: 63, name: "JavaScript (Node.js 18.19.0)" },
  { id: 71, name: "Python (3.11.2)" },
  { id: 82, name: "SQL (SQLite 3.40.1)" },
];

const CONFIG = {
  cpu_time_limit: 5,
  max_cpu_time_limit: 15,
  wall_time_limit: 10,
  max_wall_time_limit: 20,
  memory_limit: 128000,
  max_memory_limit: 512000,
};

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".txt": "text/plain; charset=utf-8" };

/** Canned runs: the first whose `contains` is in the code (and language matches) answers. */
const RUNS = readJson("runs.json");
/** Canned traces, chosen the same way. */
const TRACES = readJson("traces.json");
/** Canned package answers: the upload's metadata and a judged submission's result. */
const PACKAGES = ["primecount", "guess"].map((name) => ({ name, ...readJson(`package-${name}.json`) }));
const finished = new Map();

function send(res, status, body, type = "application/json") {
  const data = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
  res.end(data);
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}

const b64 = (s) => (s == null ? null : Buffer.from(s, "utf8").toString("base64"));
const unb64 = (s) => (s == null ? "" : Buffer.from(s, "base64").toString("utf8"));

function runAnswer(code, languageId) {
  const hit = RUNS.find((r) => r.language_id === languageId && code.includes(r.contains));
  return (
    hit?.response ?? {
      status: { id: 3, description: "Accepted" },
      stdout: null,
      stderr: null,
      compile_output: null,
      message: "mock server: no canned answer for this program, so nothing ran",
      time: "0.001",
      wall_time: "0.002",
      memory: 1024,
      exit_code: 0,
      exit_signal: null,
    }
  );
}

function view(sub, encoded) {
  if (!encoded) return sub;
  return { ...sub, stdout: b64(sub.stdout), stderr: b64(sub.stderr), compile_output: b64(sub.compile_output), message: b64(sub.message) };
}

async function submissions(req, res, url) {
  const body = await readBody(req);
  const encoded = url.searchParams.get("base64_encoded") === "true";
  const code = encoded ? unb64(body.source_code) : body.source_code ?? "";
  if (!LANGUAGES.some((l) => l.id === body.language_id)) {
    return send(res, 422, { language_id: [`language with id ${body.language_id} doesn't exist`] });
  }
  if (body.cpu_time_limit > CONFIG.max_cpu_time_limit) {
    return send(res, 422, { cpu_time_limit: [`must be less than or equal to ${CONFIG.max_cpu_time_limit}`] });
  }
  const sub = { token: randomUUID(), ...runAnswer(code, body.language_id) };
  finished.set(sub.token, sub);
  if (url.searchParams.get("wait") !== "true") return send(res, 201, { token: sub.token });
  send(res, 201, view(sub, encoded));
}

async function debug(req, res) {
  const body = await readBody(req);
  const lang = LANGUAGES.find((l) => String(l.id) === String(body.language));
  if (!lang) return send(res, 422, { language: [`unknown language ${JSON.stringify(body.language)}`] });
  const hit = TRACES.find((t) => t.language === lang.id && (body.code ?? "").includes(t.contains));
  if (!hit) return send(res, 422, { code: ["the mock server has no canned trace for this program"] });
  send(res, 200, readJson(hit.file));
}

/** Which canned package a tar.gz upload is: by its folder's name. */
async function uploadPackage(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  let tar = "";
  try {
    tar = zlib.gunzipSync(Buffer.concat(chunks)).toString("latin1");
  } catch {
    return send(res, 422, { archive: ["the mock server takes tar.gz archives only"] });
  }
  const hit = PACKAGES.find((p) => tar.startsWith(`${p.name}/`));
  if (!hit) return send(res, 422, { package: ["the mock server has no canned answer for this package"] });
  send(res, 201, hit.info);
}

async function create(req, res) {
  const body = await readBody(req);
  const hit = PACKAGES.find((p) => p.info.id === body.package);
  if (!hit) return send(res, 422, { package: [`unknown package ${body.package}`] });
  send(res, 200, hit.result);
}

function asset(res, name) {
  const file = path.join(assets, name);
  if (!file.startsWith(assets + path.sep) || !fs.existsSync(file)) return send(res, 404, "no such asset\n", "text/plain");
  res.writeHead(200, { "Content-Type": TYPES[path.extname(name)] ?? "application/octet-stream" });
  res.end(fs.readFileSync(file));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://mock");
  const p = url.pathname;
  try {
    if (req.method === "GET" && p === "/") return asset(res, "index.html");
    if (req.method === "GET" && p.startsWith("/assets/")) return asset(res, p.slice("/assets/".length));
    if (req.method === "GET" && p === "/languages") return send(res, 200, LANGUAGES);
    if (req.method === "GET" && p === "/config_info") return send(res, 200, CONFIG);
    if (req.method === "POST" && p === "/submissions") return await submissions(req, res, url);
    if (req.method === "GET" && p.startsWith("/submissions/")) {
      const sub = finished.get(decodeURIComponent(p.slice("/submissions/".length)));
      if (!sub) return send(res, 404, { error: "submission not found" });
      return send(res, 200, view(sub, url.searchParams.get("base64_encoded") === "true"));
    }
    if (req.method === "POST" && p === "/debug") return await debug(req, res);
    if (req.method === "POST" && p === "/packages") return await uploadPackage(req, res);
    if (req.method === "GET" && p.startsWith("/packages/")) {
      const hit = PACKAGES.find((k) => p === `/packages/${k.info.id}`);
      return hit ? send(res, 200, hit.info) : send(res, 404, { error: "no such package" });
    }
    if (req.method === "POST" && p === "/create") return await create(req, res);
    if (req.method === "GET" && p === "/health") return send(res, 200, { status: "ok" });
    send(res, 404, { error: "no such endpoint" });
  } catch (e) {
    send(res, 400, { error: String(e) });
  }
});

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`mock: listening on http://127.0.0.1:${server.address().port}`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
