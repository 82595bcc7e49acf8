// Shareable state: a link carries the language, the code and the input in
// its fragment (`#lang=python&z=...`, never sent to the server), and the
// last program is kept in local storage.
//
// The code is deflated (CompressionStream) and base64url-encoded under `z`;
// `code` holds it uncompressed for hand-written links and old browsers.

export interface Program {
  lang?: string;
  code?: string;
  stdin?: string;
}

export interface Saved extends Program {
  cpu?: string;
  mem?: string;
  steps?: string;
}

const STORE_KEY = "flash-playground:v1";

function b64url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s: string): Uint8Array {
  const b = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b + "=".repeat((4 - (b.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

async function packText(s: string): Promise<[string, string]> {
  const raw = new TextEncoder().encode(s);
  if (typeof CompressionStream === "function") {
    return ["z", b64url(await pipe(raw, new CompressionStream("deflate-raw")))];
  }
  return ["code", b64url(raw)];
}

async function unpackText(key: string, v: string): Promise<string> {
  const bytes = unb64url(v);
  const raw = key === "z" ? await pipe(bytes, new DecompressionStream("deflate-raw")) : bytes;
  return new TextDecoder().decode(raw);
}

/** The fragment for `p`: `lang=...&z=...&in=...`. */
export async function toFragment(p: Program): Promise<string> {
  const params = new URLSearchParams();
  if (p.lang) params.set("lang", p.lang);
  if (p.code) {
    const [k, v] = await packText(p.code);
    params.set(k, v);
  }
  if (p.stdin) {
    const [k, v] = await packText(p.stdin);
    params.set(k === "z" ? "zin" : "in", v);
  }
  return params.toString();
}

/** The program a fragment carries; throws with a readable message when it is damaged. */
export async function fromFragment(hash: string): Promise<Program | undefined> {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  if (![...params.keys()].some((k) => ["lang", "z", "code", "in", "zin"].includes(k))) return undefined;
  const p: Program = {};
  if (params.has("lang")) p.lang = params.get("lang")!;
  try {
    if (params.has("z")) p.code = await unpackText("z", params.get("z")!);
    else if (params.has("code")) p.code = await unpackText("code", params.get("code")!);
    if (params.has("zin")) p.stdin = await unpackText("z", params.get("zin")!);
    else if (params.has("in")) p.stdin = await unpackText("in", params.get("in")!);
  } catch {
    throw new Error("The link's code could not be read (it may have been cut short when it was copied).");
  }
  return p;
}

export function load(): Saved | undefined {
  try {
    const s = localStorage.getItem(STORE_KEY);
    return s ? (JSON.parse(s) as Saved) : undefined;
  } catch {
    return undefined;
  }
}

export function save(s: Saved): void {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(s));
  } catch {
    /* storage full or disabled: nothing to keep */
  }
}
