// CORS for real: a page served from another loopback port (another origin)
// calls the Judge0 API and the Piston API of a real `flash serve` with fetch,
// from Debian's headless Chromium driven by playwright-core. JSON bodies and
// an X-Auth-Token header make every call a preflighted one. Run by
// scripts/clients-compat.sh; directly:
//
//   FLASH_URL=http://127.0.0.1:2358 FLASH_AUTH_TOKEN=... node --test browser.test.mjs

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const BASE = (process.env.FLASH_URL ?? "").replace(/\/+$/, "");
if (!BASE) throw new Error("set FLASH_URL");
const TOKEN = process.env.FLASH_AUTH_TOKEN ?? "";

let browser;
let page;
let site;
let origin;

before(async () => {
  // The page's own origin: a different port than the API's.
  site = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>elsewhere</title><p>a page on another origin</p>");
  });
  await new Promise((ok) => site.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${site.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  page = await (await browser.newContext()).newPage();
  await page.goto(`${origin}/`);
});

after(async () => {
  await browser?.close();
  site?.close();
});

// fetch from the page; a CORS refusal is a TypeError in the page, returned as {error}.
const call = (path, init) =>
  page.evaluate(
    async ({ url, init }) => {
      try {
        const r = await fetch(url, init);
        return { status: r.status, body: await r.json() };
      } catch (e) {
        return { error: String(e) };
      }
    },
    { url: `${BASE}${path}`, init },
  );

const headers = { "content-type": "application/json", ...(TOKEN ? { "x-auth-token": TOKEN } : {}) };

test("the page's origin differs from the API's", () => {
  assert.notEqual(new URL(origin).origin, new URL(BASE).origin);
});

test("Judge0 from another origin: preflighted POST with wait=true, then GET", async () => {
  const body = JSON.stringify({ source_code: "print(input()[::-1])", language_id: 71, stdin: "flash" });
  const made = await call("/submissions/?wait=true", { method: "POST", headers, body });
  assert.equal(made.error, undefined, made.error);
  assert.equal(made.status, 201, JSON.stringify(made));
  assert.equal(made.body.stdout, "hsalf\n");
  const got = await call(`/submissions/${made.body.token}?fields=stdout,status`, { headers });
  assert.equal(got.body.status.id, 3, JSON.stringify(got));
  const langs = await call("/languages", { headers });
  assert.ok(langs.body.some((l) => l.name.startsWith("C++")), JSON.stringify(langs));
});

test("Judge0 errors reach the page too (CORS headers on a 422)", async () => {
  const r = await call("/submissions", { method: "POST", headers, body: JSON.stringify({ language_id: 71 }) });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.status, 422);
  assert.ok(r.body.source_code, JSON.stringify(r.body));
});

test("Piston from another origin: runtimes and execute", async () => {
  const rts = await call("/api/v2/runtimes", { headers });
  assert.ok(rts.body.some((r) => r.language === "python"), JSON.stringify(rts));
  const body = JSON.stringify({ language: "c++", version: "10.2.0", files: [{ name: "a.cpp",
    content: "#include <cstdio>\nint main(){char b[9];scanf(\"%8s\",b);printf(\"<%s>\\n\",b);}" }], stdin: "flash" });
  const r = await call("/api/v2/piston/execute", { method: "POST", headers, body });
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.equal(r.body.run.stdout, "<flash>\n");
  assert.equal(r.body.compile.code, 0);
});
