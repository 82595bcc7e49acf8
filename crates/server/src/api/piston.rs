//! The Piston v2 API (engineer-man/piston): `GET /api/v2/runtimes`,
//! `POST /api/v2/execute`, both also under `/api/v2/piston/` (the public
//! instance's prefix, which clients hard-code). A request becomes the same
//! [`JobRequest`] as every other API's, judged by the same workers; the
//! answer is rendered back in Piston's shape.
//!
//! Where Flash differs from Piston, knowingly:
//! - one version per language (the installed toolchain). A `version` is a
//!   SemVer selector (`*`, `3`, `3.10.0`, `^3.9`, `>=10`); clients send the
//!   versions of Piston's public instance ("10.2.0" for C++), so by default a
//!   selector that matches nothing is served by the installed version
//!   (`piston_strict_versions` refuses it instead, as Piston does);
//! - `output` interleaves stdout and stderr in the order the sandbox read
//!   them from their two pipes (writes close together may swap, as in Piston);
//! - `compile_timeout`, `compile_cpu_time` and `compile_memory_limit` apply
//!   below the engine's own compile limits; a compile served from the cache
//!   counts against the time limits by the time it took, not its memory;
//! - Java's main class is `Main` whatever the file is called.

use crate::api::fields::listed;
use crate::api::openapi::PistonRefusals;
use crate::api::{json, ApiError, AppState, JsonBody};
use crate::job::{JobRecord, JobRequest, Origin, StoredFile};
use crate::judge::Lang;
use crate::service::Service;
use axum::extract::{FromRequest, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use flash_engine::StatusId;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Piston's two prefixes: its own, and its public instance's (which clients hard-code).
pub const PREFIXES: [&str; 2] = ["/api/v2", "/api/v2/piston"];

/// The Piston routes, under both [`PREFIXES`] (the WebSocket `connect` is [`crate::api::live`]'s).
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    let mut r = OpenApiRouter::new();
    for prefix in PREFIXES {
        r = r.routes(crate::api::under(prefix, routes!(runtimes))).routes(crate::api::under(prefix, routes!(execute)));
    }
    r
}

/// A refusal in Piston's shape: `{"message": ...}`.
pub struct PistonError(pub StatusCode, pub String);

impl PistonError {
    fn bad(msg: impl Into<String>) -> PistonError {
        PistonError(StatusCode::BAD_REQUEST, msg.into())
    }
}

impl IntoResponse for PistonError {
    fn into_response(self) -> Response {
        json(self.0, PistonMessage { message: self.1 })
    }
}

/// A Piston refusal's body.
#[derive(Serialize, ToSchema)]
pub struct PistonMessage {
    /// What is wrong.
    message: String,
}

/// A runtime as `GET /api/v2/runtimes` lists it.
#[derive(Serialize, ToSchema)]
pub struct PistonRuntime<'a> {
    /// Piston's language name.
    language: &'a str,
    /// The installed version (SemVer).
    version: String,
    /// Piston's aliases.
    aliases: &'a [String],
    /// Piston's runtime (gcc, node), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime: Option<&'a str>,
}

impl From<ApiError> for PistonError {
    fn from(e: ApiError) -> PistonError {
        let r = e.into_response();
        let code = r.status();
        let msg = match code {
            StatusCode::PAYLOAD_TOO_LARGE => "request body is too large".to_owned(),
            StatusCode::SERVICE_UNAVAILABLE => "queue is full or the server is shutting down".to_owned(),
            StatusCode::BAD_REQUEST => "malformed JSON body".to_owned(),
            _ => "internal server error".to_owned(),
        };
        PistonError(code, msg)
    }
}

/// A language as Piston names it.
pub struct Runtime<'a> {
    /// Piston's language name.
    pub name: &'a str,
    /// Piston's aliases.
    pub aliases: &'a [String],
    /// Piston's runtime (gcc, node), when it has one.
    pub runtime: Option<&'a str>,
    /// The installed version as SemVer ("12.2.0").
    pub version: String,
    /// Ours.
    pub lang: &'a Lang,
}

/// Every runtime this server offers.
pub fn runtimes_of(svc: &Service) -> Vec<Runtime<'_>> {
    // Piston's names are data: `piston` in the language table.
    svc.langs
        .all()
        .iter()
        .filter(|l| !l.is_alias)
        .filter_map(|lang| {
            let p = svc.langs.engine_language(lang)?.spec.piston.as_ref()?;
            Some(Runtime {
                name: &p.name,
                aliases: &p.aliases,
                runtime: p.runtime.as_deref(),
                version: semver(&lang.version).join("."),
                lang,
            })
        })
        .collect()
}

/// Piston: the runtimes.
#[utoipa::path(get, path = "/runtimes", tag = "piston",
    responses((status = 200, description = "The runtimes", body = Vec<PistonRuntime>), PistonRefusals))]
async fn runtimes(State(svc): AppState) -> Response {
    let all = runtimes_of(&svc);
    let v: Vec<PistonRuntime> = all
        .iter()
        .map(|r| PistonRuntime { language: r.name, version: r.version.clone(), aliases: r.aliases, runtime: r.runtime })
        .collect();
    json(StatusCode::OK, v)
}

/// The first three numeric components of a probed version ("v20.1" -> 20.1.0).
pub fn semver(v: &str) -> Vec<String> {
    let first = v.split_whitespace().next().unwrap_or("").trim_start_matches(['v', 'V']);
    let mut parts: Vec<String> = first
        .split(['.', '-', '+', '_'])
        .take(3)
        .map(|p| p.chars().take_while(char::is_ascii_digit).collect::<String>())
        .map(|p| if p.is_empty() { "0".to_owned() } else { p })
        .collect();
    parts.resize(3, "0".to_owned());
    parts
}

/// Whether `installed` (x.y.z) satisfies a SemVer selector: `*`, `x`, `x.y`,
/// `x.y.z` (each part may be `x` or `*`), with `^`, `~`, `=`, `>`, `>=`, `<`, `<=`.
pub fn satisfies(installed: &str, selector: &str) -> bool {
    let have: Vec<u64> = semver(installed).iter().map(|p| p.parse().unwrap_or(0)).collect();
    let sel = selector.trim();
    if sel.is_empty() || sel == "*" || sel.eq_ignore_ascii_case("x") || sel == "latest" {
        return true;
    }
    let (op, rest) = ["^", "~", ">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| sel.strip_prefix(op).map(|r| (*op, r.trim())))
        .unwrap_or(("", sel));
    let rest = rest.trim_start_matches(['v', 'V']);
    let parts: Vec<&str> = rest.split('.').collect();
    let wild = |p: &str| matches!(p, "x" | "X" | "*");
    if parts.len() > 3 || parts.iter().any(|p| p.parse::<u64>().is_err() && !wild(p)) {
        return false;
    }
    // Numbers up to the first wildcard count; the rest match anything.
    let want: Vec<u64> = parts.iter().map_while(|p| p.parse().ok()).collect();
    let n = want.len();
    let full: Vec<u64> = (0..3).map(|i| want.get(i).copied().unwrap_or(0)).collect();
    let prefix = || have[..n] == want[..];
    match op {
        "" | "=" => prefix(),
        "^" => have[0] == full[0] && (full[0] > 0 || n < 2 || have[1] == full[1]) && have >= full,
        "~" => have[0] == full[0] && (n < 2 || have[1] == full[1]) && have >= full,
        ">=" => have >= full,
        ">" => have > full,
        "<=" => have <= full || prefix(),
        "<" => have < full,
        _ => false,
    }
}

/// Finds the runtime for `language` (name or alias, any case) and `version`.
pub fn find<'a>(svc: &'a Service, language: &str, version: &str) -> Result<Runtime<'a>, PistonError> {
    let name = language.trim().to_ascii_lowercase();
    let unknown = || PistonError::bad(format!("{language}-{version} runtime is unknown"));
    let rt = runtimes_of(svc)
        .into_iter()
        .find(|r| r.name == name || r.aliases.contains(&name) || r.lang.id.to_string() == name)
        .or_else(|| {
            // Flash's own names and aliases ("python3", "cpp") too.
            let l = svc.langs.find(&name).filter(|l| !l.is_project)?;
            runtimes_of(svc).into_iter().find(|r| r.lang.engine_id == l.engine_id)
        })
        .ok_or_else(unknown)?;
    if svc.cfg.piston_strict_versions && !satisfies(&rt.version, version) {
        return Err(unknown());
    }
    Ok(rt)
}

/// Every field [`parse`] reads (any other is ignored, as Piston does); a
/// unit test holds [`ExecuteBody`]'s properties to it.
pub const FIELDS: [&str; 11] = [
    "language",
    "version",
    "files",
    "stdin",
    "args",
    "run_timeout",
    "run_cpu_time",
    "compile_timeout",
    "compile_cpu_time",
    "run_memory_limit",
    "compile_memory_limit",
];

/// Every field of a file that [`files`] reads; [`FileBody`]'s properties.
pub const FILE_FIELDS: [&str; 3] = ["name", "content", "encoding"];

/// Most milliseconds `compile_timeout` may ask.
pub const MAX_COMPILE_TIMEOUT_MS: i64 = 20_000;
/// Most milliseconds `compile_cpu_time` may ask.
pub const MAX_COMPILE_CPU_MS: i64 = 10_000;

/// `POST /api/v2/execute`'s body (the WebSocket's `init` too). The served
/// document adds this server's bounds: the languages, the maximum limits.
// [`parse`] reads the JSON field by field (Piston's messages), so this type
// is never built.
#[derive(ToSchema)]
#[schema(as = PistonRequest)]
#[allow(dead_code)] // Described, never built (see above).
pub struct ExecuteBody {
    /// Piston's language name or alias (GET /api/v2/runtimes).
    language: String,
    /// A SemVer selector ("*", "3", "3.10.0", "^3.9"); absent: "*".
    #[schema(example = "*")]
    version: Option<String>,
    /// The files: the first is the program, whatever its name.
    #[schema(min_items = 1, max_items = 100)]
    files: Vec<FileBody>,
    /// stdin.
    stdin: Option<String>,
    /// The program's arguments.
    #[schema(max_items = 256)]
    args: Option<Vec<String>>,
    /// Wall milliseconds to run (default 3000; -1: the server's maximum).
    #[schema(minimum = 1)]
    run_timeout: Option<i64>,
    /// CPU milliseconds to run (default 3000; -1: the server's maximum).
    #[schema(minimum = 1)]
    run_cpu_time: Option<i64>,
    /// Wall milliseconds to compile (-1: the server's maximum).
    #[schema(minimum = 1)]
    compile_timeout: Option<i64>,
    /// CPU milliseconds to compile (-1: the server's maximum).
    #[schema(minimum = 1)]
    compile_cpu_time: Option<i64>,
    /// Bytes of memory to run (-1: the server's maximum).
    #[schema(minimum = 1)]
    run_memory_limit: Option<i64>,
    /// Bytes of memory to compile (-1: the engine's own limit).
    #[schema(minimum = 1)]
    compile_memory_limit: Option<i64>,
}

/// A file of a Piston request.
#[derive(ToSchema)]
#[schema(as = PistonFile)]
#[allow(dead_code)] // Described, never built (see [`ExecuteBody`]).
pub struct FileBody {
    /// Its name in the box (the first file's is the language's own, whatever this says).
    #[schema(pattern = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
    name: Option<String>,
    /// Its content, in `encoding`.
    content: String,
    /// How `content` is written (default utf8).
    encoding: Option<Encoding>,
}

/// How a Piston file's content is written.
#[derive(ToSchema)]
#[schema(as = PistonEncoding, rename_all = "lowercase")]
#[allow(dead_code)] // Described, never built (see [`ExecuteBody`]).
pub enum Encoding {
    /// As is.
    Utf8,
    /// Base64.
    Base64,
    /// Hexadecimal digits.
    Hex,
}

/// A parsed `POST /api/v2/execute` (or the WebSocket's `init`).
pub struct Execute<'a> {
    /// What to run.
    pub runtime: Runtime<'a>,
    /// The job.
    pub request: JobRequest,
}

/// Validates Piston's request body; every message names the field.
pub fn parse<'a>(svc: &'a Service, body: &Value) -> Result<Execute<'a>, PistonError> {
    let b = body.as_object().ok_or_else(|| PistonError::bad("the body must be a JSON object"))?;
    let get = |f: &str| listed(b, &FIELDS, f);
    let language = match get("language") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.as_str(),
        _ => return Err(PistonError::bad("language is required as a string")),
    };
    let version = match get("version") {
        None | Some(Value::Null) => "*",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(PistonError::bad("version is required as a string")),
    };
    let runtime = find(svc, language, version)?;
    let files = files(b, &runtime.lang.source_file)?;
    let stdin = match get("stdin") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return Err(PistonError::bad("stdin must be a string")),
    };
    let args = match get("args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.len() <= 256 => a
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(PistonError::bad("args must be an array of strings")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(PistonError::bad("args must be an array of at most 256 strings")),
    };
    if args.iter().any(|a: &String| a.contains('\0')) {
        return Err(PistonError::bad("args must not contain NUL characters"));
    }
    let l = &svc.cfg.limits;
    let max_wall = (l.max_wall_time_limit * 1000.0) as i64;
    let max_cpu = (l.max_cpu_time_limit * 1000.0) as i64;
    // Piston's defaults: 3 s to run, 10 s to compile.
    let run_timeout = limit(b, "run_timeout", "milliseconds", max_wall)?.unwrap_or(3000.min(max_wall));
    let run_cpu = limit(b, "run_cpu_time", "milliseconds", max_cpu)?.unwrap_or(3000.min(max_cpu));
    let compile_timeout = limit(b, "compile_timeout", "milliseconds", MAX_COMPILE_TIMEOUT_MS)?;
    let compile_cpu = limit(b, "compile_cpu_time", "milliseconds", MAX_COMPILE_CPU_MS)?;
    let run_mem = limit(b, "run_memory_limit", "bytes", l.max_memory_limit as i64 * 1024)?;
    let compile_mem = limit(b, "compile_memory_limit", "bytes", i64::MAX)?;
    let (main, rest) = files.split_first().expect("at least one file");
    let request = JobRequest {
        source_code: Some(main.data.clone()),
        stdin: Some(stdin),
        cpu_time_limit: run_cpu as f64 / 1000.0,
        wall_time_limit: run_timeout as f64 / 1000.0,
        memory_limit: run_mem.map_or(l.max_memory_limit, |m| (m as u64).div_ceil(1024).max(2048)),
        stack_limit: l.stack_limit,
        max_processes_and_or_threads: l.max_processes_and_or_threads,
        max_file_size: l.max_file_size,
        output_limit: l.output_limit,
        args,
        files: rest.to_vec(),
        compile_limits: flash_engine::CompileLimits {
            cpu_time: compile_cpu.map(|ms| ms as f64 / 1000.0),
            wall_time: compile_timeout.map(|ms| ms as f64 / 1000.0),
            memory_kb: compile_mem.map(|b| (b as u64).div_ceil(1024)),
        },
        ..JobRequest::submission(Origin::Piston, runtime.lang.id, runtime.lang.engine_id)
    };
    crate::submission::preflight(svc, &request).map_err(|e| PistonError::bad(format!("files: {e}")))?;
    Ok(Execute { runtime, request })
}

/// `files`: at least one; the first is the program whatever its name.
fn files(b: &Map<String, Value>, source: &str) -> Result<Vec<StoredFile>, PistonError> {
    let Some(Value::Array(list)) = listed(b, &FIELDS, "files") else {
        return Err(PistonError::bad("files is required as an array"));
    };
    if list.is_empty() || list.len() > 100 {
        return Err(PistonError::bad("files must hold 1 to 100 files"));
    }
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let f = f.as_object().ok_or_else(|| PistonError::bad(format!("files[{i}] must be an object")))?;
        let field = |k: &str| listed(f, &FILE_FIELDS, k);
        let content = match field("content") {
            Some(Value::String(s)) => s,
            _ => return Err(PistonError::bad(format!("files[{i}].content is required as a string"))),
        };
        let data = match field("encoding").and_then(Value::as_str).unwrap_or("utf8") {
            "utf8" => content.clone().into_bytes(),
            "base64" => crate::api::fields::decode_b64(content)
                .ok_or_else(|| PistonError::bad(format!("files[{i}].content is not valid base64")))?,
            "hex" => hex(content).ok_or_else(|| PistonError::bad(format!("files[{i}].content is not valid hex")))?,
            e => {
                return Err(PistonError::bad(format!(
                    "files[{i}].encoding must be one of utf8, base64, hex (got {:?})",
                    e.chars().take(20).collect::<String>()
                )))
            }
        };
        let path = match field("name") {
            _ if i == 0 => source.to_owned(),
            Some(Value::String(n)) if !n.is_empty() => n.clone(),
            None | Some(Value::Null) | Some(Value::String(_)) => format!("file{i}.code"),
            Some(_) => return Err(PistonError::bad(format!("files[{i}].name must be a string"))),
        };
        flash_sandbox::spec::check_box_path(&path).map_err(|e| PistonError::bad(format!("files[{i}].name: {e}")))?;
        if i > 0 && path == source {
            return Err(PistonError::bad(format!("files[{i}].name: {source} is the program's own file name here")));
        }
        out.push(StoredFile { path, data, executable: false });
    }
    Ok(out)
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A limit: positive, at most `max`, in `unit`s; `None` when absent or -1
/// (Piston's "as much as the server allows").
fn limit(b: &Map<String, Value>, field: &str, unit: &str, max: i64) -> Result<Option<i64>, PistonError> {
    let Some(v) = listed(b, &FIELDS, field).filter(|v| !v.is_null()) else { return Ok(None) };
    let n =
        v.as_f64().filter(|n| n.is_finite()).ok_or_else(|| PistonError::bad(format!("{field} must be a number")))?;
    if n == -1.0 {
        return Ok(None);
    }
    if n <= 0.0 {
        return Err(PistonError::bad(format!("{field} must be a positive number of {unit} (or -1)")));
    }
    if n > max as f64 {
        return Err(PistonError::bad(format!("{field} cannot exceed the configured limit of {max}")));
    }
    Ok(Some(n.ceil() as i64))
}

/// Piston: run a program and answer its result.
///
/// The body is JSON, or a form (`application/x-www-form-urlencoded`, as the
/// pistonapi library sends).
#[utoipa::path(post, path = "/execute", tag = "piston",
    request_body = ExecuteBody,
    responses((status = 200, description = "compile (compiled languages) and run stages", body = PistonResult), PistonRefusals))]
async fn execute(State(svc): AppState, req: axum::extract::Request) -> Result<Response, PistonError> {
    let form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let body = if form {
        let bytes = axum::body::Bytes::from_request(req, &())
            .await
            .map_err(|e| PistonError(e.status(), "cannot read the body".into()))?;
        from_form(&bytes)?
    } else {
        JsonBody::from_request(req, &()).await?.0
    };
    let ex = parse(&svc, &body)?;
    let rec = crate::api::run_to_end(&svc, ex.request).await?;
    Ok(json(StatusCode::OK, render(&ex.runtime, &rec)))
}

/// A form-encoded body (`requests.post(url, dict)`, as the pistonapi
/// library sends) as the JSON object it stands for: each `files` value is a
/// file's content, repeated keys and `args` are lists, numeric limits numbers.
fn from_form(bytes: &[u8]) -> Result<Value, PistonError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|e| PistonError::bad(format!("malformed form body: {e}")))?;
    let mut m = Map::new();
    for (k, v) in pairs {
        let k = k.trim_end_matches("[]").to_owned();
        let v = match k.as_str() {
            "files" => json!({ "content": v }),
            _ if k.ends_with("_timeout") || k.ends_with("_cpu_time") || k.ends_with("_memory_limit") => {
                v.trim().parse::<f64>().map_or(Value::String(v), |n| json!(n))
            }
            _ => Value::String(v),
        };
        match m.get_mut(&k) {
            Some(Value::Array(a)) => a.push(v),
            Some(old) => *old = Value::Array(vec![old.take(), v]),
            None if k == "files" || k == "args" => {
                m.insert(k, Value::Array(vec![v]));
            }
            None => {
                m.insert(k, v);
            }
        }
    }
    Ok(Value::Object(m))
}

/// `POST /api/v2/execute`'s answer: the compile stage (compiled languages)
/// and the run stage (unless the compile failed).
#[derive(Serialize, ToSchema)]
pub struct PistonResult<'a> {
    /// Piston's language name.
    language: &'a str,
    /// The installed version (SemVer).
    version: &'a str,
    /// The compile (compiled languages).
    #[serde(skip_serializing_if = "Option::is_none")]
    compile: Option<PistonStage>,
    /// The run (not after a failed compile).
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<PistonStage>,
}

/// A stage (compile or run) of a Piston execution.
#[derive(Serialize, ToSchema)]
pub struct PistonStage {
    /// What it wrote to stdout (invalid UTF-8 replaced).
    pub stdout: String,
    /// What it wrote to stderr.
    pub stderr: String,
    /// stdout and stderr in the order written (as far as the two pipes tell it).
    pub output: String,
    /// Exit code (null when killed).
    pub code: Option<i32>,
    /// The signal that ended it ("SIGKILL").
    pub signal: Option<String>,
    /// Details of a failure.
    pub message: Option<String>,
    /// Piston's status: RE, SG, TO, OL, XX; null when it exited 0.
    pub status: Option<&'static str>,
    /// CPU milliseconds.
    pub cpu_time: Option<i64>,
    /// Wall milliseconds.
    pub wall_time: Option<i64>,
    /// Peak memory, bytes.
    pub memory: Option<u64>,
}

/// A finished job in Piston's shape.
pub fn render<'a>(rt: &'a Runtime<'_>, rec: &JobRecord) -> PistonResult<'a> {
    let mut out = PistonResult { language: rt.name, version: &rt.version, compile: None, run: None };
    let Some(r) = &rec.result else { return out };
    let status = r.status_id();
    if rt.lang.compiled {
        let failed = status == StatusId::CompilationError;
        let text = String::from_utf8_lossy(&r.compile_output).into_owned();
        let ms = (r.compile_time * 1000.0).round() as i64;
        out.compile = Some(PistonStage {
            stdout: String::new(),
            stderr: text.clone(),
            output: text,
            code: Some(i32::from(failed)),
            signal: None,
            message: failed.then(|| "compilation failed".to_owned()),
            status: failed.then_some("RE"),
            cpu_time: Some(ms),
            wall_time: Some(ms),
            memory: None,
        });
        if failed {
            return out;
        }
    }
    out.run = Some(stage(r));
    out
}

/// The run stage: Piston's status codes from our verdict.
pub fn stage(r: &crate::job::JobResult) -> PistonStage {
    let (code, status) = piston_status(r.status_id(), r.run.exit_code);
    let signal = r.run.exit_signal.map(signal_name).or_else(|| {
        matches!(r.status_id(), StatusId::TimeLimitExceeded | StatusId::MemoryLimitExceeded).then(|| "SIGKILL".into())
    });
    let output = flash_sandbox::interleave(&r.run.stdout, &r.run.stderr, &r.run.interleave);
    PistonStage {
        stdout: String::from_utf8_lossy(&r.run.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&r.run.stderr).into_owned(),
        output: String::from_utf8_lossy(&output).into_owned(),
        code,
        signal,
        message: r.run.message.clone(),
        status,
        cpu_time: r.run.time.map(|t| (t * 1000.0).round() as i64),
        wall_time: r.run.wall_time.map(|t| (t * 1000.0).round() as i64),
        memory: r.run.memory.map(|k| k * 1024),
    }
}

/// Exit code (null when killed) and Piston's status (null when it exited 0).
pub fn piston_status(s: StatusId, exit: Option<i32>) -> (Option<i32>, Option<&'static str>) {
    use StatusId as S;
    match s {
        S::Accepted | S::WrongAnswer => (exit.or(Some(0)), None),
        S::RuntimeNzec => (exit, Some("RE")),
        S::TimeLimitExceeded => (None, Some("TO")),
        S::OutputLimitExceeded => (None, Some("OL")),
        S::InternalError | S::ExecFormatError | S::CompilationError | S::InQueue | S::Processing => (exit, Some("XX")),
        _ => (None, Some("SG")),
    }
}

/// "SIGSEGV" for 11.
pub fn signal_name(sig: i32) -> String {
    let names = [
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    names.get(sig as usize).filter(|n| !n.is_empty()).map_or_else(|| format!("SIG{sig}"), |n| (*n).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::openapi::{properties, sorted};

    /// The description and the parser name the same fields: one added to
    /// either alone fails here (the parser cannot read one not listed).
    #[test]
    fn the_description_lists_exactly_the_fields_the_parser_reads() {
        assert_eq!(properties::<ExecuteBody>(), sorted(&FIELDS));
        assert_eq!(properties::<FileBody>(), sorted(&FILE_FIELDS));
    }

    #[test]
    fn versions_are_semver() {
        assert_eq!(semver("12.2.0"), ["12", "2", "0"]);
        assert_eq!(semver("v20.20.2"), ["20", "20", "2"]);
        assert_eq!(semver("3.40.1 2022-12-28 14:03:47"), ["3", "40", "1"]);
        assert_eq!(semver("17.0.13"), ["17", "0", "13"]);
        assert_eq!(semver("5.2.15(1)-release"), ["5", "2", "15"]);
    }

    #[test]
    fn selectors_match_like_semver() {
        for (sel, ok) in [
            ("*", true),
            ("3", true),
            ("3.11", true),
            ("3.11.2", true),
            ("3.11.x", true),
            ("3.10.0", false),
            ("^3.9", true),
            ("^3.12", false),
            ("~3.11.0", true),
            (">=3", true),
            ("<3", false),
            ("4", false),
            ("banana", false),
        ] {
            assert_eq!(satisfies("3.11.2", sel), ok, "{sel}");
        }
    }

    #[test]
    fn statuses_and_signals() {
        assert_eq!(piston_status(StatusId::Accepted, Some(0)), (Some(0), None));
        assert_eq!(piston_status(StatusId::RuntimeNzec, Some(3)), (Some(3), Some("RE")));
        assert_eq!(piston_status(StatusId::TimeLimitExceeded, None).1, Some("TO"));
        assert_eq!(piston_status(StatusId::RuntimeSigsegv, None).1, Some("SG"));
        assert_eq!(signal_name(11), "SIGSEGV");
        assert_eq!(signal_name(64), "SIG64");
        assert_eq!(hex("48690a"), Some(b"Hi\n".to_vec()));
        assert_eq!(hex("4"), None);
    }
}
