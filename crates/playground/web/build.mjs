// Bundles the playground into ../assets (committed; the Rust crate embeds it).
//
//   node build.mjs           build: app-<hash>.js, app-<hash>.css, index.html,
//                            licenses.txt, and a .gz beside each of them
//   node build.mjs --check   fail if a committed .gz does not decompress to
//                            its file, or, after a build into a temporary
//                            folder, if ../assets differs from it, .gz
//                            included (the committed bundle is stale)
//   node build.mjs --test    bundle test/*.test.ts for Node and run them
//
// Names carry a hash of their content, so the server can let browsers cache
// them for good; index.html is the only file that names them.

import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

const here = path.dirname(new URL(import.meta.url).pathname);
const assetsDir = path.resolve(here, "../assets");

async function bundle() {
  const js = await esbuild.build({
    entryPoints: { app: path.join(here, "src/main.ts") },
    bundle: true,
    minify: true,
    format: "esm",
    splitting: true,
    outdir: path.join(here, "out"), // nothing is written there (write: false)
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    target: ["chrome100", "firefox100", "safari16"],
    legalComments: "none",
    metafile: true,
    write: false,
    logLevel: "warning",
  });
  const css = await esbuild.build({
    entryPoints: [path.join(here, "style.css")],
    bundle: true,
    minify: true,
    target: ["chrome100", "firefox100", "safari16"],
    write: false,
    logLevel: "warning",
  });
  const files = {};
  let entry;
  for (const f of js.outputFiles) {
    const name = path.basename(f.path);
    files[name] = Buffer.from(f.contents);
    // Grammar chunks are entry points too (dynamic imports); the page's is main.ts.
    const meta = js.metafile.outputs[path.relative(process.cwd(), f.path)];
    if (meta?.entryPoint && path.resolve(meta.entryPoint) === path.join(here, "src/main.ts")) entry = name;
  }
  if (!entry) throw new Error("esbuild named no entry chunk");
  return { entry, files, css: css.outputFiles[0].contents, inputs: Object.keys(js.metafile.inputs) };
}

/** The licence texts of every npm package that ended up in the bundle. */
function licenses(inputs) {
  const pkgs = new Map();
  for (const input of inputs) {
    const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (m) pkgs.set(m[1], true);
  }
  const parts = ["Flash playground: third-party software bundled into app-*.js.\n"];
  for (const dir of [...pkgs.keys()].sort()) {
    const meta = JSON.parse(fs.readFileSync(path.join(here, dir, "package.json"), "utf8"));
    const file = fs.readdirSync(path.join(here, dir)).find((f) => /^licen[cs]e/i.test(f));
    const text = file ? fs.readFileSync(path.join(here, dir, file), "utf8").trim() : `License: ${meta.license}`;
    parts.push(`${"=".repeat(72)}\n${meta.name} ${meta.version} (${meta.license})\n${"=".repeat(72)}\n${text}\n`);
  }
  return parts.join("\n");
}

function hashed(name, ext, bytes) {
  return `${name}-${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}.${ext}`;
}

async function build(outDir) {
  const { entry, files: chunks, css, inputs } = await bundle();
  const cssName = hashed("app", "css", css);
  const html = fs
    .readFileSync(path.join(here, "index.html"), "utf8")
    .replace("{{app.js}}", entry)
    .replace("{{app.css}}", cssName);
  const files = {
    "index.html": Buffer.from(html),
    ...chunks,
    [cssName]: Buffer.from(css),
    "licenses.txt": Buffer.from(licenses(inputs)),
  };
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const sizes = [];
  for (const [name, bytes] of Object.entries(files)) {
    fs.writeFileSync(path.join(outDir, name), bytes);
    const gz = zlib.gzipSync(bytes, { level: 9 });
    fs.writeFileSync(path.join(outDir, `${name}.gz`), gz);
    sizes.push(`${name.padEnd(24)} ${String(bytes.length).padStart(8)} bytes, gzip ${String(gz.length).padStart(7)}`);
  }
  return sizes;
}

/** The files of `dir` by name, .gz twins included. */
function contents(dir) {
  const out = {};
  for (const f of fs.readdirSync(dir).sort()) out[f] = fs.readFileSync(path.join(dir, f));
  return out;
}

/**
 * What is wrong with the .gz twins of `files` (name -> bytes), which browsers
 * receive instead of the files: each file has its twin and each twin its file,
 * and a twin decompresses to exactly its file.
 */
function twinProblems(files) {
  const problems = [];
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith(".gz")) {
      const plain = name.slice(0, -3);
      if (!files[plain]) {
        problems.push(`${name} has no ${plain}`);
        continue;
      }
      let inflated;
      try {
        inflated = zlib.gunzipSync(bytes);
      } catch (e) {
        problems.push(`${name} does not decompress (${e.message})`);
        continue;
      }
      if (!inflated.equals(files[plain])) problems.push(`${name} does not decompress to ${plain}`);
    } else if (!files[`${name}.gz`]) {
      problems.push(`${name} has no ${name}.gz`);
    }
  }
  return problems;
}

async function check() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flash-playground-"));
  try {
    await build(tmp);
    const want = contents(tmp);
    const have = fs.existsSync(assetsDir) ? contents(assetsDir) : {};
    // The committed twins first: that check needs no rebuild to be right.
    const broken = twinProblems(have);
    if (broken.length) {
      console.error(`crates/playground/assets has bad .gz twins: ${broken.join("; ")}: run scripts/build-playground.sh`);
      process.exit(1);
    }
    // Then every file, twins included, is what this build makes: gzip output
    // is deterministic for one zlib version.
    const names = new Set([...Object.keys(want), ...Object.keys(have)]);
    const stale = [...names].filter((n) => !want[n] || !have[n] || !want[n].equals(have[n]));
    if (stale.length) {
      console.error(
        `crates/playground/assets is stale (${stale.join(", ")}; gzip by zlib ${process.versions.zlib}): ` +
          "run scripts/build-playground.sh",
      );
      process.exit(1);
    }
    console.log("crates/playground/assets matches the sources, and each .gz decompresses to its file");
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function test() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flash-playground-test-"));
  try {
    const tests = fs.readdirSync(path.join(here, "test")).filter((f) => f.endsWith(".test.ts"));
    await esbuild.build({
      entryPoints: tests.map((f) => path.join(here, "test", f)),
      bundle: true,
      platform: "node",
      format: "esm",
      outdir: tmp,
      outExtension: { ".js": ".mjs" },
      logLevel: "warning",
    });
    const files = fs.readdirSync(tmp).map((f) => path.join(tmp, f));
    const r = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
    process.exitCode = r.status ?? 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const arg = process.argv[2];
if (arg === "--check") await check();
else if (arg === "--test") await test();
else {
  const sizes = await build(assetsDir);
  console.log(`wrote ${path.relative(process.cwd(), assetsDir) || assetsDir}:\n  ${sizes.join("\n  ")}`);
}
