// The server, same origin: Judge0's /languages, /config_info and
// /submissions for runs, the native POST /debug for traces. Every failure
// becomes an ApiError whose message a person can act on.

import type { Language } from "./languages";
import type { Trace } from "./trace";

/** A finished (or still running) submission, text fields decoded. */
export interface Submission {
  token?: string;
  status: { id: number; description: string };
  stdout: string | null;
  stderr: string | null;
  compile_output: string | null;
  message: string | null;
  time: string | null;
  wall_time: string | null;
  memory: number | null;
  exit_code: number | null;
  exit_signal: number | null;
}

/** The parts of Judge0's /config_info the page uses. */
export interface ServerConfig {
  cpu_time_limit?: number;
  max_cpu_time_limit?: number;
  wall_time_limit?: number;
  max_wall_time_limit?: number;
  memory_limit?: number;
  max_memory_limit?: number;
}

export interface RunRequest {
  source_code: string;
  language_id: number;
  stdin: string;
  cpu_time_limit: number;
  wall_time_limit?: number;
  memory_limit: number;
}

export interface DebugRequest {
  code: string;
  language: string;
  input: string;
  max_steps?: number;
}

/** What POST /packages and GET /packages/{id} answer. */
export interface PackageInfo {
  id: string;
  name: string;
  type: string;
  format_version: string;
  test_count: number;
  groups: { path: string; tests: number; total_tests: number }[];
}

/** One row of a package report's per-test table. */
export interface TestRow {
  name: string;
  group: string;
  verdict: string;
  detail: string | null;
  time: number;
  memory_kb: number;
  message: string | null;
  score: number | null;
  max_score: number | null;
  /** Interactive tests, when asked for: what each side wrote, in order. */
  transcript?: Transcript;
}

/** The dialogue of an interactive test (at most 64 KiB a side). */
export interface Transcript {
  messages: { side: string; text: string }[];
  solution_truncated: boolean;
  interactor_truncated: boolean;
}

/** One row per scored group. */
export interface GroupRow {
  path: string;
  verdict: string;
  score: number | null;
  max_score: number | null;
  aggregation: string;
}

/** flash-judge's report, as the native API carries it under `package`. */
export interface PackageReport {
  id: string;
  verdict: string;
  message: string | null;
  score: number | null;
  max_score: number | null;
  time_limit: number;
  tests: TestRow[];
  groups: GroupRow[];
}

/** A native submission judged on a package. */
export interface PackageResult extends Submission {
  package?: PackageReport;
}

export type ErrorKind = "network" | "timeout" | "auth" | "invalid" | "too_large" | "queue_full" | "server" | "bad_answer";

/** A failed request, explained. `fields` maps request fields to the server's reasons (422). */
export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly status?: number,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

/** Readable names of request fields, for 422 answers. */
export const FIELD_LABELS: Record<string, string> = {
  source_code: "Code",
  code: "Code",
  language_id: "Language",
  language: "Language",
  stdin: "Input",
  input: "Input",
  cpu_time_limit: "CPU time limit",
  wall_time_limit: "Wall time limit",
  memory_limit: "Memory limit",
  max_steps: "Debug steps",
  package: "Package",
  archive: "Package archive",
};

const RUN_FIELDS = "token,status,stdout,stderr,compile_output,message,time,wall_time,memory,exit_code,exit_signal";
const TOKEN_KEY = "flash-playground:auth-token";

export function authToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

export function setAuthToken(t: string): void {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the token lasts until reload */
  }
}

async function request<T>(method: string, path: string, body: unknown, timeoutSecs: number): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const raw = body instanceof ArrayBuffer;
  if (body !== undefined) headers["Content-Type"] = raw ? "application/octet-stream" : "application/json";
  const token = authToken();
  if (token) headers["X-Auth-Token"] = token;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutSecs * 1000);
  let resp: Response;
  let text: string;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
      signal: ctl.signal,
    });
    text = await resp.text();
  } catch (e) {
    if (ctl.signal.aborted) {
      throw new ApiError("timeout", `The server did not answer ${method} ${path} within ${timeoutSecs} seconds.`);
    }
    throw new ApiError(
      "network",
      `Cannot reach the Flash server at ${location.origin} (${String(e)}). ` +
        "Check that `flash serve` is running and that this page was opened from it.",
    );
  } finally {
    clearTimeout(timer);
  }
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* handled below */
  }
  if (resp.ok) {
    if (json === undefined) {
      throw new ApiError("bad_answer", `${method} ${path} answered ${resp.status} with something that is not JSON.`, resp.status);
    }
    return json as T;
  }
  throw explain(method, path, resp, json, text);
}

function errorText(json: unknown): string | undefined {
  if (json && typeof json === "object" && "error" in json && typeof json.error === "string") return json.error;
  if (json && typeof json === "object" && "message" in json && typeof json.message === "string") return json.message;
  return undefined;
}

function explain(method: string, path: string, resp: Response, json: unknown, text: string): ApiError {
  const s = resp.status;
  const said = errorText(json);
  const what = `${method} ${path.split("?")[0]}`;
  if (s === 401 || s === 403) {
    return new ApiError(
      "auth",
      `The server refused the request (${s}${said ? `: ${said}` : ""}). ` +
        "It needs an auth token: enter it under “Server settings” and try again.",
      s,
    );
  }
  if (s === 413) {
    const what = path.startsWith("/packages") ? "The package archive" : "The code or its input";
    return new ApiError("too_large", `${what} is larger than this server accepts (413). Make it smaller.`, s);
  }
  if (s === 422 && json && typeof json === "object" && !Array.isArray(json)) {
    const fields: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      fields[k] = Array.isArray(v) ? v.map(String) : [String(v)];
    }
    const parts = Object.entries(fields).map(([k, v]) => `${FIELD_LABELS[k] ?? k} (${k}): ${v.join("; ")}`);
    return new ApiError("invalid", `The server refused these values: ${parts.join(". ")}.`, s, fields);
  }
  if (s === 503) {
    const why = said ?? "unavailable";
    return new ApiError(
      "queue_full",
      why.includes("queue")
        ? "The server's queue is full right now (503). Wait a few seconds and try again."
        : `The server is not taking work right now (503: ${why}). Try again in a moment.`,
      s,
    );
  }
  if (s === 404 && path.startsWith("/debug")) {
    return new ApiError("server", "This server has no debugger (POST /debug answered 404 Not Found).", s);
  }
  if (s >= 400 && s < 500) {
    return new ApiError("invalid", `The server refused ${what} (${s}): ${said ?? snippet(text)}`, s);
  }
  return new ApiError("server", `The server failed on ${what} (${s} ${resp.statusText}): ${said ?? snippet(text)}`, s);
}

function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  if (!t) return "no details were given.";
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

// Base64 of UTF-8 both ways: programs may print bytes that are not UTF-8,
// which Judge0 refuses to send unencoded.
export function toBase64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function fromBase64(s: string | null | undefined): string | null {
  if (s == null) return null;
  try {
    const bin = atob(s.replace(/\s+/g, ""));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8").decode(bytes);
  } catch {
    return s;
  }
}

function decode(raw: Record<string, unknown>): Submission {
  const r = raw as unknown as Submission;
  return {
    ...r,
    stdout: fromBase64(r.stdout),
    stderr: fromBase64(r.stderr),
    compile_output: fromBase64(r.compile_output),
    message: fromBase64(r.message),
  };
}

export function languages(): Promise<Language[]> {
  return request<Language[]>("GET", "/languages", undefined, 15);
}

export function configInfo(): Promise<ServerConfig> {
  return request<ServerConfig>("GET", "/config_info", undefined, 15);
}

/** Runs a program and waits for its verdict (polling if the server answers before it is done). */
export async function run(req: RunRequest, onQueued: (s: Submission) => void): Promise<Submission> {
  const body = { ...req, source_code: toBase64(req.source_code), stdin: toBase64(req.stdin) };
  const q = `base64_encoded=true&wait=true&fields=${RUN_FIELDS}`;
  let sub = decode(await request<Record<string, unknown>>("POST", `/submissions?${q}`, body, 120));
  const deadline = Date.now() + 120_000;
  while (sub.token && (!sub.status || sub.status.id <= 2)) {
    onQueued(sub);
    if (Date.now() > deadline) {
      throw new ApiError("timeout", `The submission ${sub.token} is still ${sub.status?.description ?? "queued"} after two minutes.`);
    }
    await new Promise((r) => setTimeout(r, 400));
    const path = `/submissions/${encodeURIComponent(sub.token)}?base64_encoded=true&fields=${RUN_FIELDS}`;
    sub = decode(await request<Record<string, unknown>>("GET", path, undefined, 30));
  }
  return sub;
}

export function debug(req: DebugRequest): Promise<Trace> {
  return request<Trace>("POST", "/debug", req, 120);
}

/** Uploads a problem package archive (zip, tar or tar.gz) once; answers its id. */
export function uploadPackage(archive: ArrayBuffer): Promise<PackageInfo> {
  return request<PackageInfo>("POST", "/packages", archive, 120);
}

export function packageInfo(id: string): Promise<PackageInfo> {
  return request<PackageInfo>("GET", `/packages/${encodeURIComponent(id)}`, undefined, 30);
}

/** Judges the code on an uploaded package (native API) and waits for the report. */
export function judgePackage(code: string, languageId: number, pkg: string): Promise<PackageResult> {
  const body = { code, language: languageId, package: pkg, all_tests: true, transcript: true };
  return request<PackageResult>("POST", "/create?wait=true", body, 300);
}
