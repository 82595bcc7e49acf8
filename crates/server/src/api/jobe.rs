//! The Jobe REST API (trampgeek/jobe), which Moodle's CodeRunner speaks:
//! `GET languages`, `POST runs`, `PUT files/{id}` and `HEAD files/{id}`,
//! under `/jobe/index.php/restapi/` and `/jobe/restapi/`.
//!
//! A run becomes the same [`JobRequest`] as every other API's and is judged
//! synchronously; the answer is Jobe's `{run_id, outcome, cmpinfo, stdout,
//! stderr}` with Jobe's outcome codes. The file cache lives in the job store
//! ([`crate::store::JobStore::put_file`]), so every server and worker sees
//! the same files in split mode. Errors are Jobe's: a JSON string and a 4xx.
//!
//! Jobe's ids: c, cpp, python3, java, nodejs. Java programs name their class
//! (CodeRunner sends `sourcefilename` "Prog.java"): the engine compiles
//! `Main.java`, so a one-line `Main` that calls the named class's `main` is
//! compiled with it. `interpreterargs` are ignored (the interpreter's
//! arguments are fixed by the language table); `linkargs` follow `compileargs`.

use crate::api::fields::listed;
use crate::api::openapi::JobeRefusals;
use crate::api::{json, ApiError, AppState, JsonBody};
use crate::job::{JobRecord, JobRequest, Origin, StoredFile};
use crate::service::Service;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use flash_engine::StatusId;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Jobe's outcome codes.
pub mod outcome {
    /// The program did not compile.
    pub const COMPILE_ERROR: u8 = 11;
    /// Non-zero exit, a signal, or too much output.
    pub const RUNTIME_ERROR: u8 = 12;
    /// CPU or wall time limit.
    pub const TIME_LIMIT: u8 = 13;
    /// Ran and exited 0.
    pub const SUCCESS: u8 = 15;
    /// Memory limit.
    pub const MEMORY_LIMIT: u8 = 17;
    /// Killed by the seccomp filter (SIGSYS).
    pub const ILLEGAL_SYSCALL: u8 = 19;
    /// Flash failed.
    pub const INTERNAL_ERROR: u8 = 20;
    /// The queue is full.
    pub const SERVER_OVERLOAD: u8 = 21;
}

/// The field of a run's body (any other is ignored, as Jobe does).
const RUN_FIELDS: [&str; 1] = ["run_spec"];
/// Every field of `run_spec` [`parse`] reads; [`RunSpec`]'s properties.
const SPEC_FIELDS: [&str; 6] = ["language_id", "sourcecode", "sourcefilename", "input", "file_list", "parameters"];
/// Every field of `run_spec.parameters` [`parse`] reads; [`Parameters`]' properties.
const PARAMETER_FIELDS: [&str; 7] =
    ["cputime", "memorylimit", "numprocs", "compileargs", "linkargs", "interpreterargs", "runargs"];
/// The field of a file's body.
const FILE_FIELDS: [&str; 1] = ["file_contents"];

/// `POST runs`. The served document adds this server's languages.
// [`runs`] and [`parse`] read the JSON field by field (Jobe's messages), so
// these types are never built; a unit test holds them to the lists above.
#[derive(ToSchema)]
#[schema(as = JobeRun)]
#[allow(dead_code)] // Described, never built (see above).
pub struct RunBody {
    /// What to run.
    run_spec: RunSpec,
}

/// A Jobe run.
#[derive(ToSchema)]
#[schema(as = JobeRunSpec)]
#[allow(dead_code)] // Described, never built (see [`RunBody`]).
pub struct RunSpec {
    /// Jobe's language id (GET languages).
    language_id: String,
    /// The program.
    sourcecode: String,
    /// Its file name (Java: the class's).
    #[schema(pattern = "^[A-Za-z0-9_][A-Za-z0-9_.]{0,63}$")]
    sourcefilename: Option<String>,
    /// stdin.
    input: Option<String>,
    /// Files PUT before, as `[id, name]` pairs.
    #[schema(max_items = 100)]
    file_list: Option<Vec<(String, String)>>,
    /// Limits and arguments.
    parameters: Option<Parameters>,
}

/// A Jobe run's limits and arguments.
#[derive(ToSchema)]
#[schema(as = JobeParameters)]
#[allow(dead_code)] // Described, never built (see [`RunBody`]).
pub struct Parameters {
    /// CPU seconds (at most the server's maximum).
    #[schema(exclusive_minimum = 0)]
    cputime: Option<f64>,
    /// MB of memory (within the server's bounds).
    #[schema(exclusive_minimum = 0)]
    memorylimit: Option<f64>,
    /// Processes and threads (within the server's bounds).
    #[schema(minimum = 1)]
    numprocs: Option<u64>,
    /// Compiler arguments.
    #[schema(max_items = 256)]
    compileargs: Option<Vec<String>>,
    /// Linker arguments (after the compiler's).
    #[schema(max_items = 256)]
    linkargs: Option<Vec<String>>,
    /// Ignored: the interpreter's arguments are the language table's.
    #[schema(max_items = 256)]
    interpreterargs: Option<Vec<String>>,
    /// The program's arguments.
    #[schema(max_items = 256)]
    runargs: Option<Vec<String>>,
}

/// `PUT files/{id}`.
#[derive(ToSchema)]
#[schema(as = JobeFile)]
#[allow(dead_code)] // Described, never built: `put_file` reads `file_contents`.
pub struct FileBody {
    /// The file, base64.
    #[schema(format = Byte)]
    file_contents: String,
}

/// The Jobe routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    let mut r = OpenApiRouter::new();
    for base in ["/jobe/index.php/restapi", "/jobe/restapi"] {
        r = r
            .routes(crate::api::under(base, routes!(languages)))
            .routes(crate::api::under(base, routes!(runs)))
            .routes(crate::api::under(base, routes!(put_file, head_file)));
    }
    r
}

/// A Jobe refusal: the status and a JSON string.
struct JobeError(StatusCode, String);

fn bad(msg: impl Into<String>) -> JobeError {
    JobeError(StatusCode::BAD_REQUEST, msg.into())
}

impl IntoResponse for JobeError {
    fn into_response(self) -> Response {
        json(self.0, Value::String(self.1))
    }
}

impl From<ApiError> for JobeError {
    fn from(e: ApiError) -> JobeError {
        let code = e.into_response().status();
        let msg = match code {
            StatusCode::PAYLOAD_TOO_LARGE => "request body is too large",
            StatusCode::BAD_REQUEST => "malformed JSON body",
            StatusCode::SERVICE_UNAVAILABLE => "the server is busy or shutting down",
            _ => "internal server error",
        };
        JobeError(code, msg.to_owned())
    }
}

/// `X-API-KEY`: the configured Jobe key, or the server's auth token; nothing
/// is needed when neither is set.
pub fn authenticate(svc: &Service, req: &Request) -> Result<(), ApiError> {
    let keys: Vec<&str> =
        [svc.cfg.jobe_api_key.as_deref(), svc.cfg.auth_token.as_deref()].into_iter().flatten().collect();
    if keys.is_empty()
        || keys.iter().any(|k| super::presented(req, "x-api-key", k) || super::presented(req, "x-auth-token", k))
    {
        return Ok(());
    }
    Err(ApiError::Forbidden)
}

/// Jobe's id for our language, with its version.
/// (`jobe` in the language table).
fn offered(svc: &Service) -> Vec<(&str, &crate::judge::Lang)> {
    svc.langs
        .all()
        .iter()
        .filter(|l| !l.is_alias)
        .filter_map(|l| Some((svc.langs.engine_language(l)?.spec.jobe.as_deref()?, l)))
        .collect()
}

/// Jobe's ids of the languages offered.
pub fn language_ids(svc: &Service) -> Vec<&str> {
    offered(svc).into_iter().map(|(name, _)| name).collect()
}

/// Jobe: the languages, as `[id, version]` pairs.
#[utoipa::path(get, path = "/languages", tag = "jobe",
    responses((status = 200, description = "[id, version] pairs", body = Vec<Vec<String>>), JobeRefusals))]
async fn languages(State(svc): AppState) -> Response {
    let v: Vec<Value> =
        offered(&svc).iter().map(|(name, l)| json!([name, crate::api::piston::semver(&l.version).join(".")])).collect();
    json(StatusCode::OK, v)
}

/// A file id as Jobe allows it (CodeRunner sends MD5 hex digests).
fn check_id(id: &str) -> Result<(), JobeError> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(bad(format!(
            "invalid file id {:?}: letters, digits, - and _ only, at most 128",
            id.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

/// Jobe: keep a file for later runs.
#[utoipa::path(put, path = "/files/{id}", tag = "jobe",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9_-]{1,128}$")),
    request_body = FileBody,
    responses((status = 204, description = "Kept"), JobeRefusals))]
async fn put_file(
    State(svc): AppState,
    Path(id): Path<String>,
    body: Result<JsonBody, ApiError>,
) -> Result<Response, JobeError> {
    check_id(&id)?;
    let JsonBody(body) = body?;
    let Some(Value::String(b64)) = body.as_object().and_then(|b| listed(b, &FILE_FIELDS, "file_contents")) else {
        return Err(bad("file_contents is required as a base64 string"));
    };
    let data = crate::api::fields::decode_b64(b64).ok_or_else(|| bad("file_contents is not valid base64"))?;
    svc.store.put_file(&id, &data, crate::job::now_ms()).await.map_err(ApiError::from)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Jobe: whether a file is kept.
#[utoipa::path(head, path = "/files/{id}", tag = "jobe",
    params(("id" = String, Path, pattern = "^[A-Za-z0-9_-]{1,128}$")),
    responses((status = 204, description = "Kept"), (status = 404, description = "Unknown"), JobeRefusals))]
async fn head_file(State(svc): AppState, Path(id): Path<String>) -> Result<Response, JobeError> {
    check_id(&id)?;
    let found = svc.store.file_exists(&id).await.map_err(ApiError::from)?;
    Ok(if found { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }.into_response())
}

/// Jobe: run a program.
#[utoipa::path(post, path = "/runs", tag = "jobe",
    request_body = RunBody,
    responses((status = 200, description = "The outcome", body = JobeResult),
        (status = 404, description = "A file of file_list is unknown", body = String), JobeRefusals))]
async fn runs(State(svc): AppState, body: Result<JsonBody, ApiError>) -> Result<Response, JobeError> {
    let JsonBody(body) = body?;
    let spec = match body.as_object().and_then(|b| listed(b, &RUN_FIELDS, "run_spec")) {
        Some(Value::Object(m)) => m,
        _ => return Err(bad("run_spec is required as an object")),
    };
    let req = parse(&svc, spec).await?;
    let rec = match crate::api::run_to_end(&svc, req).await {
        Ok(r) => r,
        Err(ApiError::QueueFull) => return Ok(json(StatusCode::OK, result(outcome::SERVER_OVERLOAD, "", "", ""))),
        Err(e) => return Err(e.into()),
    };
    Ok(json(StatusCode::OK, render(&rec)))
}

/// A run's answer, Jobe's shape.
#[derive(Serialize, ToSchema)]
pub struct JobeResult {
    /// Always null: runs are not kept.
    run_id: Option<String>,
    /// Jobe's outcome code (11 compile error, 12 runtime error, 13 time
    /// limit, 15 success, 17 memory limit, 19 illegal system call, 20
    /// internal error, 21 server overload).
    outcome: u8,
    /// The compiler's output, on a compile error.
    cmpinfo: String,
    /// The program's stdout.
    stdout: String,
    /// The program's stderr.
    stderr: String,
}

fn result(outcome: u8, cmpinfo: &str, stdout: &str, stderr: &str) -> JobeResult {
    JobeResult { run_id: None, outcome, cmpinfo: cmpinfo.into(), stdout: stdout.into(), stderr: stderr.into() }
}

/// A finished job as Jobe answers it.
fn render(rec: &JobRecord) -> JobeResult {
    let Some(r) = &rec.result else { return result(outcome::INTERNAL_ERROR, "", "", "") };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let code = jobe_outcome(r.status_id(), r.run.exit_signal);
    let cmpinfo = if code == outcome::COMPILE_ERROR { text(&r.compile_output) } else { String::new() };
    result(code, &cmpinfo, &text(&r.run.stdout), &text(&r.run.stderr))
}

/// Jobe's outcome for our verdict.
pub fn jobe_outcome(s: StatusId, signal: Option<i32>) -> u8 {
    use StatusId as S;
    if signal == Some(libc_sigsys()) {
        return outcome::ILLEGAL_SYSCALL;
    }
    match s {
        S::Accepted | S::WrongAnswer => outcome::SUCCESS,
        S::CompilationError => outcome::COMPILE_ERROR,
        S::TimeLimitExceeded => outcome::TIME_LIMIT,
        S::MemoryLimitExceeded => outcome::MEMORY_LIMIT,
        S::InternalError | S::InQueue | S::Processing => outcome::INTERNAL_ERROR,
        _ => outcome::RUNTIME_ERROR,
    }
}

/// SIGSYS on Linux (every architecture Flash runs on).
const fn libc_sigsys() -> i32 {
    31
}

/// Validates a `run_spec` into a job; unknown keys are ignored, as Jobe does.
async fn parse(svc: &Service, spec: &Map<String, Value>) -> Result<JobRequest, JobeError> {
    let field = |k: &str| listed(spec, &SPEC_FIELDS, k);
    let lang_id = match field("language_id") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(bad("run_spec.language_id is required as a string")),
    };
    let (jobe_name, lang) = offered(svc).into_iter().find(|(n, _)| *n == lang_id).ok_or_else(|| {
        bad(format!("run_spec.language_id: language {lang_id:?} is not available (see GET languages)"))
    })?;
    let source = match field("sourcecode") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(bad("run_spec.sourcecode is required as a string")),
    };
    let filename = match field("sourcefilename") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            flash_sandbox::spec::check_box_path(s).map_err(|e| bad(format!("run_spec.sourcefilename: {e}")))?;
            Some(s.clone())
        }
        Some(_) => return Err(bad("run_spec.sourcefilename must be a string")),
    };
    let input = match field("input") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad("run_spec.input must be a string")),
    };
    let mut files = file_list(svc, field("file_list")).await?;
    let empty = Map::new();
    let params = match field("parameters") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(Value::Array(a)) if a.is_empty() => &empty, // PHP encodes an empty map as []
        Some(_) => return Err(bad("run_spec.parameters must be an object")),
    };
    let mut source = source.into_bytes();
    if jobe_name == "java" {
        if let Some(class) = filename.as_deref().and_then(|f| f.strip_suffix(".java")).filter(|c| *c != "Main") {
            if !class.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
                return Err(bad("run_spec.sourcefilename: a Java file is named after its class"));
            }
            files.push(StoredFile { path: format!("{class}.java"), data: source, executable: false });
            source = format!(
                "public class Main {{ public static void main(String[] a) throws Throwable {{ {class}.main(a); }} }}\n"
            )
            .into_bytes();
        }
    }
    let l = &svc.cfg.limits;
    let num = |k: &str| -> Result<Option<f64>, JobeError> {
        match listed(params, &PARAMETER_FIELDS, k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|n: &f64| n.is_finite() && *n > 0.0)
                .map(Some)
                .ok_or_else(|| bad(format!("run_spec.parameters.{k} must be a positive number"))),
        }
    };
    let cpu = num("cputime")?.unwrap_or(l.cpu_time_limit).min(l.max_cpu_time_limit);
    let mem_kb = num("memorylimit")?.map_or(l.memory_limit, |mb| (mb * 1024.0) as u64).clamp(2048, l.max_memory_limit);
    let procs = num("numprocs")?
        .map_or(l.max_processes_and_or_threads, |n| n as u64)
        .clamp(1, l.max_max_processes_and_or_threads);
    let list = |k: &str| -> Result<Vec<String>, JobeError> {
        match listed(params, &PARAMETER_FIELDS, k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) if a.len() <= 256 => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad(format!("run_spec.parameters.{k} must be a list of strings")))
                })
                .collect::<Result<Vec<_>, _>>(),
            Some(Value::String(s)) => Ok(s.split_whitespace().map(str::to_owned).collect()),
            Some(_) => Err(bad(format!("run_spec.parameters.{k} must be a list of strings"))),
        }
        .and_then(|l| match l.iter().any(|s| s.contains('\0')) {
            true => Err(bad(format!("run_spec.parameters.{k} must not contain NUL characters"))),
            false => Ok(l),
        })
    };
    let mut options = list("compileargs")?;
    options.extend(list("linkargs")?);
    let args = list("runargs")?;
    list("interpreterargs")?;
    let req = JobRequest {
        source_code: Some(source),
        stdin: Some(input.into_bytes()),
        cpu_time_limit: cpu,
        wall_time_limit: (cpu * 2.0).max(cpu + 1.0).min(l.max_wall_time_limit),
        memory_limit: mem_kb,
        stack_limit: l.stack_limit.min(mem_kb),
        max_processes_and_or_threads: procs,
        max_file_size: l.max_file_size,
        output_limit: l.output_limit,
        compiler_options: (lang.compiled && !options.is_empty()).then(|| options.join(" ")),
        args,
        files,
        ..JobRequest::submission(Origin::Jobe, lang.id, lang.engine_id)
    };
    crate::submission::preflight(svc, &req).map_err(|e| bad(format!("run_spec: {e}")))?;
    Ok(req)
}

/// `file_list`: `[[id, name], ...]`, each id PUT before; 404 when one is missing.
async fn file_list(svc: &Service, v: Option<&Value>) -> Result<Vec<StoredFile>, JobeError> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) if a.len() <= 100 => a,
        Some(_) => return Err(bad("run_spec.file_list must be a list of at most 100 [id, name] pairs")),
    };
    let mut out = Vec::new();
    for (i, pair) in list.iter().enumerate() {
        let (id, name) = match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(id), Value::String(name)]) => (id, name),
            _ => return Err(bad(format!("run_spec.file_list[{i}] must be [id, name]"))),
        };
        check_id(id)?;
        flash_sandbox::spec::check_box_path(name).map_err(|e| bad(format!("run_spec.file_list[{i}]: {e}")))?;
        let data = svc.store.get_file(id).await.map_err(ApiError::from)?.ok_or_else(|| {
            JobeError(StatusCode::NOT_FOUND, "One or more of the specified files is missing/unavailable".into())
        })?;
        out.push(StoredFile { path: name.clone(), data, executable: false });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::openapi::{properties, sorted};

    /// The descriptions and the parser name the same fields: one added to
    /// either alone fails here (the parser cannot read one not listed).
    #[test]
    fn the_descriptions_list_exactly_the_fields_the_parser_reads() {
        assert_eq!(properties::<RunBody>(), sorted(&RUN_FIELDS));
        assert_eq!(properties::<RunSpec>(), sorted(&SPEC_FIELDS));
        assert_eq!(properties::<Parameters>(), sorted(&PARAMETER_FIELDS));
        assert_eq!(properties::<FileBody>(), sorted(&FILE_FIELDS));
    }

    #[test]
    fn outcomes_are_jobes() {
        assert_eq!(jobe_outcome(StatusId::Accepted, None), 15);
        assert_eq!(jobe_outcome(StatusId::CompilationError, None), 11);
        assert_eq!(jobe_outcome(StatusId::RuntimeNzec, None), 12);
        assert_eq!(jobe_outcome(StatusId::RuntimeSigsegv, Some(11)), 12);
        assert_eq!(jobe_outcome(StatusId::TimeLimitExceeded, Some(9)), 13);
        assert_eq!(jobe_outcome(StatusId::MemoryLimitExceeded, None), 17);
        assert_eq!(jobe_outcome(StatusId::RuntimeOther, Some(31)), 19);
        assert_eq!(jobe_outcome(StatusId::InternalError, None), 20);
    }
}
