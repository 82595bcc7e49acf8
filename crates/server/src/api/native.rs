//! Flash's own API (ARCHITECTURE section 4): `POST /create` and
//! `GET /check/{token}`. Strict where Judge0's is lenient: unknown fields are
//! refused, `language` is a name, alias or id, and `tests` compile once and run
//! each case. Times are numbers and timestamps unix seconds; statuses include
//! 15 (Memory Limit Exceeded) and 16 (Output Limit Exceeded).

use crate::api::fields::{Min, Reader};
use crate::api::openapi::Refusals;
use crate::api::{check_token, json, ApiError, AppState, FieldErrors, JsonBody, Params};
use crate::job::{JobRecord, JobRequest, Origin, PackageJob, StoredTest};
use crate::service::Service;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use flash_engine::StatusId;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The native routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new().routes(routes!(create)).routes(routes!(check))
}

/// The fields `POST /create` reads (any other is refused).
pub const FIELDS: [&str; 18] = [
    "package",
    "transcript",
    "all_tests",
    "compare",
    "network",
    "code",
    "language",
    "input",
    "expected",
    "time_limit",
    "memory_limit",
    "stack_limit",
    "wall_time_limit",
    "max_processes",
    "output_limit",
    "compiler_options",
    "args",
    "tests",
];

/// A program to judge: its source, language, input and limits, or test
/// cases, or an uploaded package.
// The body as the OpenAPI document describes it. [`parse`] reads the JSON
// field by field instead (strict, every refused field named in one 422), so
// this type is never built: a unit test holds its fields to [`FIELDS`], and
// `openapi::spec` adds the bounds this server enforces (maximum limits,
// languages, network, comparison modes).
#[derive(ToSchema)]
#[schema(as = NativeRequest)]
#[allow(dead_code)] // Described, never built (see above).
pub struct NativeRequestBody {
    /// The program's source.
    #[schema(min_length = 1, pattern = "\\S")]
    code: String,
    /// Name, alias or id (GET /languages).
    language: String,
    /// stdin.
    input: Option<String>,
    /// The expected output; the verdict compares with it.
    expected: Option<String>,
    /// CPU seconds.
    #[schema(exclusive_minimum = 0)]
    time_limit: Option<f64>,
    /// Wall seconds.
    #[schema(exclusive_minimum = 0)]
    wall_time_limit: Option<f64>,
    /// KiB.
    #[schema(minimum = 2048)]
    memory_limit: Option<u64>,
    /// KiB.
    #[schema(minimum = 1)]
    stack_limit: Option<u64>,
    /// Processes and threads.
    #[schema(minimum = 1)]
    max_processes: Option<u64>,
    /// stdout and stderr, KiB.
    #[schema(minimum = 1)]
    output_limit: Option<u64>,
    /// Compiled languages only.
    #[schema(max_length = 512)]
    compiler_options: Option<String>,
    /// The program's arguments.
    #[schema(max_items = 256)]
    args: Option<Vec<String>>,
    /// Hosts the program may reach: true (every host the key may), or a list.
    #[schema(value_type = Option<Object>)]
    network: Option<Value>,
    /// How outputs are compared with the expected ones.
    #[schema(value_type = Option<Object>)]
    compare: Option<Value>,
    /// Test cases: compiled once, each run.
    tests: Option<Vec<NativeTest>>,
    /// Judge on an uploaded package (POST /packages): its tests, checker and
    /// limits replace input, expected, tests and compare; time_limit, when
    /// given, overrides its time limit.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    package: Option<String>,
    /// With package: judge every test even after a failure.
    all_tests: Option<bool>,
    /// With an interactive package: each test's result keeps what each side
    /// wrote (transcript: messages of {side, text} in order, at most 64 KiB a
    /// side, with solution_truncated and interactor_truncated).
    transcript: Option<bool>,
}

/// One test case of a native submission.
#[derive(ToSchema)]
#[allow(dead_code)] // Described, never built: `tests` parses it.
pub struct NativeTest {
    /// stdin.
    input: Option<String>,
    /// The expected output.
    expected: Option<String>,
}

/// A submission accepted: the token to check it with.
#[derive(Serialize, ToSchema)]
#[schema(as = Token)]
pub struct Accepted {
    /// `GET /check/{token}` (a UUID).
    token: String,
}

/// The fields of a test case (see [`NativeTest`]).
const TEST_FIELDS: [&str; 2] = ["input", "expected"];

/// Submit a program (native API).
#[utoipa::path(post, path = "/create", tag = "native",
    params(("wait" = Option<bool>, Query, description = "Answer 200 with the finished result")),
    request_body = NativeRequestBody,
    responses(
        (status = 200, description = "Finished (wait=true)", body = NativeView),
        (status = 201, description = "Accepted", body = Accepted),
        Refusals,
    ))]
async fn create(State(svc): AppState, q: Params, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let wait = q.flag("wait")?;
    if wait && !svc.cfg.enable_wait_result {
        return Err(ApiError::BadRequest("wait not allowed".into()));
    }
    let req = parse(&svc, &body).map_err(ApiError::Fields)?;
    if let Some(p) = &req.package {
        // Refused now rather than failed by a worker: the package must be stored.
        if !svc.store.file_exists(&crate::packages::store_id(&p.id)).await? {
            return Err(ApiError::field(
                "package",
                format!("unknown package {} (upload it with POST /packages)", p.id),
            ));
        }
    }
    let (token, rx) = svc.submit(vec![req], wait).await?.pop().expect("one job");
    let Some(rx) = rx else {
        return Ok(json(StatusCode::CREATED, Accepted { token }));
    };
    // A client that hangs up before the answer never learns the token:
    // its job is cancelled (see `Service::cancel_on_drop`).
    let cancel = svc.cancel_on_drop(&token, crate::job::JobKind::Submission);
    let rec = svc.wait_for(&token, rx).await;
    cancel.disarm();
    let rec = rec?.ok_or_else(|| ApiError::Internal(format!("job {token} vanished while waited for")))?;
    Ok(json(StatusCode::OK, view(&svc, &rec)))
}

/// A submission's state and result (native API).
#[utoipa::path(get, path = "/check/{token}", tag = "native",
    params(("token" = String, Path, pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", description = "The token POST /create answered (a UUID)")),
    responses((status = 200, description = "The submission", body = NativeView), Refusals))]
async fn check(State(svc): AppState, Path(token): Path<String>) -> Result<Response, ApiError> {
    check_token(&token)?;
    let rec = svc.store.get(&token).await?.ok_or_else(|| ApiError::NotFound("submission not found".into()))?;
    Ok(json(StatusCode::OK, view(&svc, &rec)))
}

/// `network`: absent or false (none), true (every host the key may reach),
/// or a list of hosts within that.
fn network(svc: &Service, r: &mut Reader) -> Vec<String> {
    let asked = match r.raw("network") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => return Vec::new(),
        Some(Value::Bool(true)) => None,
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            Some(a.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>())
        }
        Some(_) => {
            r.err("network", "must be true, false or a list of host names");
            return Vec::new();
        }
    };
    svc.keys.resolve_network(&svc.cfg.network, asked.as_deref()).unwrap_or_else(|e| {
        r.err("network", e);
        Vec::new()
    })
}

/// `compare`: how outputs are held against `expected` and the tests'
/// answers: a mode's name, or `{"mode": ..., "relative": ..., "absolute": ...}`
/// (tolerances for `float`); absent: Judge0's rule.
fn comparison(r: &mut Reader) -> flash_engine::Comparison {
    let value = match r.raw("compare") {
        None | Some(Value::Null) => return flash_engine::Comparison::default(),
        Some(Value::String(mode)) => json!({ "mode": mode }),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            r.err("compare", "must be a mode name or an object with mode (and relative, absolute for float)");
            return flash_engine::Comparison::default();
        }
    };
    serde_json::from_value(value).unwrap_or_else(|e| {
        r.err("compare", e.to_string());
        flash_engine::Comparison::default()
    })
}

/// Validates a native body into a job.
pub fn parse(svc: &Service, body: &Value) -> Result<JobRequest, FieldErrors> {
    let Some(map) = body.as_object() else {
        return Err([("body".to_owned(), vec!["must be a JSON object".to_owned()])].into());
    };
    let mut r = Reader::new(map);
    r.unknown(&FIELDS);
    let code = r.string("code");
    if code.as_deref().is_none_or(|c| c.trim().is_empty()) && !r.errors.contains_key("code") {
        r.err("code", "is required and must not be empty");
    }
    let lang = language(svc, &mut r);
    let input = r.string("input");
    let expected = r.string("expected");
    let compiler_options = r.arg_string("compiler_options", 512);
    if compiler_options.is_some() && lang.is_some_and(|l| !l.compiled) {
        r.err("compiler_options", "only compiled languages take compiler options");
    }
    let args = string_list(&mut r, "args");
    let tests = tests(svc, &mut r);
    let network = network(svc, &mut r);
    let comparison = comparison(&mut r);
    let package = package(&mut r);
    let c = &svc.cfg.limits;
    let gt0 = Min::Above(0.0);
    let req = JobRequest {
        source_code: code.map(String::into_bytes),
        stdin: input.map(String::into_bytes),
        expected_output: expected.map(String::into_bytes),
        tests,
        cpu_time_limit: r.ranged("time_limit", c.cpu_time_limit, gt0, c.max_cpu_time_limit),
        wall_time_limit: r.ranged("wall_time_limit", c.wall_time_limit, gt0, c.max_wall_time_limit),
        memory_limit: r.ranged_int("memory_limit", c.memory_limit, Min::AtLeast(2048.0), c.max_memory_limit),
        stack_limit: r.ranged_int("stack_limit", c.stack_limit, gt0, c.max_stack_limit),
        max_processes_and_or_threads: r.ranged_int(
            "max_processes",
            c.max_processes_and_or_threads,
            gt0,
            c.max_max_processes_and_or_threads,
        ),
        max_file_size: c.max_file_size,
        output_limit: r.ranged_int("output_limit", c.output_limit, gt0, c.max_output_limit),
        compiler_options: compiler_options.filter(|o| !o.trim().is_empty()),
        args,
        enable_network: !network.is_empty(),
        network,
        comparison,
        package,
        ..JobRequest::submission(Origin::Native, lang.map_or(0, |l| l.id), lang.map_or(0, |l| l.engine_id))
    };
    if r.errors.is_empty() {
        if let Err(e) = crate::submission::preflight(svc, &req) {
            r.err("body", e);
        }
    }
    if r.errors.is_empty() {
        Ok(req)
    } else {
        Err(r.errors)
    }
}

/// `package`: the id of an uploaded problem package (`POST /packages`); its
/// tests, checker and limits replace `input`, `expected`, `tests` and
/// `compare`. `time_limit`, when given, overrides the package's; `all_tests`
/// judges every test even after a failure; `transcript` keeps what each side
/// of an interactive problem wrote.
fn package(r: &mut Reader) -> Option<PackageJob> {
    let all_tests = r.boolean("all_tests");
    let transcript = r.boolean("transcript");
    let id = match r.raw("package") {
        None | Some(Value::Null) => {
            for (field, given) in [("all_tests", all_tests), ("transcript", transcript)] {
                if given.is_some() {
                    r.err(field, "is only for a submission with a package");
                }
            }
            return None;
        }
        Some(Value::String(id)) if crate::packages::is_id(id) => id.clone(),
        Some(_) => {
            r.err("package", "must be a package id (64 hex digits) as POST /packages answers");
            return None;
        }
    };
    for field in ["input", "expected", "tests", "compare"] {
        if r.raw(field).is_some() {
            r.err(field, "cannot be given with package (the package holds the tests and how outputs are checked)");
        }
    }
    let time_limit = r.raw("time_limit").and_then(Value::as_f64);
    Some(PackageJob { id, time_limit, all_tests: all_tests.unwrap_or(false), transcript: transcript.unwrap_or(false) })
}

fn language<'s>(svc: &'s Service, r: &mut Reader<'_>) -> Option<&'s crate::judge::Lang> {
    let lang = match r.raw("language") {
        None => {
            r.err("language", "is required");
            return None;
        }
        Some(Value::String(s)) => svc.langs.find(s).filter(|l| !l.is_project),
        Some(Value::Number(n)) => n.as_u64().and_then(|id| svc.langs.by_id(u32::try_from(id).ok()?)),
        Some(_) => {
            r.err("language", "must be a language name, alias or id");
            return None;
        }
    };
    if lang.is_none() {
        r.err("language", "unknown language (see GET /languages)");
    }
    lang
}

fn string_list(r: &mut Reader<'_>, field: &str) -> Vec<String> {
    match r.raw(field) {
        None => Vec::new(),
        Some(Value::Array(a)) if a.len() <= 256 && a.iter().all(Value::is_string) => {
            let list: Vec<String> = a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
            if list.iter().any(|s| s.contains('\0')) {
                r.err(field, "must not contain NUL characters");
                return Vec::new();
            }
            list
        }
        Some(_) => {
            r.err(field, "must be a list of at most 256 strings");
            Vec::new()
        }
    }
}

fn tests(svc: &Service, r: &mut Reader<'_>) -> Vec<StoredTest> {
    let Some(v) = r.raw("tests") else {
        return Vec::new();
    };
    let Some(list) = v.as_array() else {
        r.err("tests", "must be a list of {input, expected} objects");
        return Vec::new();
    };
    if list.len() > svc.cfg.max_tests {
        r.err("tests", format!("must have at most {} test cases", svc.cfg.max_tests));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let Some(m) = t.as_object() else {
            r.err(&format!("tests[{i}]"), "must be an {input, expected} object");
            continue;
        };
        let mut tr = Reader::new(m);
        tr.unknown(&TEST_FIELDS);
        let input = tr.string("input").unwrap_or_default().into_bytes();
        let expected = tr.string("expected").map(String::into_bytes);
        for (k, msgs) in tr.errors {
            for m in msgs {
                r.err(&format!("tests[{i}].{k}"), m);
            }
        }
        out.push(StoredTest { input, expected });
    }
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A status as the native API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Status)]
pub struct StatusView {
    /// Judge0's status id, plus 15 (Memory Limit Exceeded) and 16 (Output Limit Exceeded).
    id: u8,
    /// Its name.
    description: &'static str,
}

fn status(id: u8) -> StatusView {
    let s = StatusId::from_id(id).unwrap_or(StatusId::InternalError);
    StatusView { id: s.id(), description: s.description() }
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A submission's language: its id and name.
#[derive(Serialize, ToSchema)]
pub struct NativeLanguage {
    /// The language id (`GET /languages`).
    id: u32,
    /// Its name, when this server still offers it.
    name: Option<String>,
}

/// One test case's result (a submission with `tests`).
#[derive(Serialize, ToSchema)]
pub struct NativeTestResult {
    /// Its verdict.
    status: StatusView,
    /// What the program wrote (UTF-8, invalid bytes replaced).
    stdout: String,
    /// What the program wrote to stderr.
    stderr: String,
    /// Details of the verdict.
    message: Option<String>,
    /// Exit code, when the program ended by itself.
    exit_code: Option<i32>,
    /// Signal that ended the program.
    exit_signal: Option<i32>,
    /// CPU seconds.
    time: f64,
    /// Wall seconds.
    wall_time: f64,
    /// Peak memory, KiB.
    memory: u64,
}

/// A job in the native shape: `GET /check/{token}`, `POST /create?wait=true`,
/// a live run's `result`.
#[derive(Serialize, ToSchema)]
#[schema(as = NativeResult)]
pub struct NativeView {
    /// The submission's token.
    token: String,
    /// The rest (all a session run answers of its job).
    #[serde(flatten)]
    run: NativeRun,
}

/// A job's state or outcome in the native shape, without its token.
#[derive(Serialize, ToSchema)]
pub struct NativeRun {
    /// Its state or verdict.
    status: StatusView,
    /// The program's stdout (UTF-8, invalid bytes replaced); null until finished.
    stdout: Option<String>,
    /// The program's stderr.
    stderr: Option<String>,
    /// The compiler's diagnostics.
    compile_output: Option<String>,
    /// Details of the verdict.
    message: Option<String>,
    /// CPU seconds.
    time: Option<f64>,
    /// Wall seconds.
    wall_time: Option<f64>,
    /// Peak memory, KiB.
    memory: Option<u64>,
    /// Exit code, when the program ended by itself.
    exit_code: Option<i32>,
    /// Signal that ended the program.
    exit_signal: Option<i32>,
    /// Unix seconds.
    created_at: f64,
    /// Unix seconds.
    started_at: Option<f64>,
    /// Unix seconds.
    finished_at: Option<f64>,
    /// The language.
    language: NativeLanguage,
    /// With `package`: the package's id and, once judged, flash-judge's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<NativePackage>)]
    package: Option<Value>,
    /// With `tests`: each test case's result, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    tests: Option<Vec<NativeTestResult>>,
}

/// A package submission's `package`: the package's id and, once judged,
/// flash-judge's report.
// [`view_of`] builds it from the report the worker stored
// (`flash_judge::Report` as JSON) and the package's id, so these types
// describe it and are never built.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Described, never built (see above).
pub enum NativePackage {
    /// Judged.
    Judged(PackageReportBody),
    /// Not judged yet.
    Pending(PackagePendingBody),
}

/// flash-judge's report on a submission judged on a package (docs/grading.md),
/// with the package's id.
#[derive(Serialize, ToSchema)]
#[schema(as = PackageReport)]
#[allow(dead_code)] // Described, never built (see [`NativePackage`]).
pub struct PackageReportBody {
    /// The package's id.
    id: String,
    #[serde(flatten)]
    report: flash_judge::Report,
}

/// A package submission not judged yet: the package's id alone.
#[derive(Serialize, ToSchema)]
#[schema(as = PackagePending)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Described, never built (see [`NativePackage`]).
pub struct PackagePendingBody {
    /// The package's id.
    id: String,
}

/// A job in the native shape, as JSON.
pub fn view(svc: &Service, rec: &JobRecord) -> Value {
    serde_json::to_value(view_of(svc, rec)).unwrap_or(Value::Null)
}

/// A job in the native shape.
pub fn view_of(svc: &Service, rec: &JobRecord) -> NativeView {
    NativeView { token: rec.token.clone(), run: run_of(svc, rec) }
}

/// A job in the native shape, without its token.
pub fn run_of(svc: &Service, rec: &JobRecord) -> NativeRun {
    let q = &rec.request;
    let r = rec.result.as_ref();
    let package = q.package.as_ref().map(|p| {
        let mut report = r.and_then(|r| r.package.clone()).unwrap_or(Value::Null);
        if let Some(m) = report.as_object_mut() {
            m.insert("id".into(), json!(p.id));
        }
        if report.is_null() {
            json!({"id": p.id})
        } else {
            report
        }
    });
    let tests = (!q.tests.is_empty()).then(|| {
        r.map(|r| r.tests.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|t| NativeTestResult {
                status: status(t.status.id()),
                stdout: text(&t.stdout),
                stderr: text(&t.stderr),
                message: t.message.clone(),
                exit_code: t.exit_code,
                exit_signal: t.exit_signal,
                // A test case always ran: its times are always there.
                time: t.time.unwrap_or_default(),
                wall_time: t.wall_time.unwrap_or_default(),
                memory: t.memory.unwrap_or_default(),
            })
            .collect()
    });
    NativeRun {
        status: status(rec.status().id()),
        stdout: r.map(|r| text(&r.run.stdout)),
        stderr: r.map(|r| text(&r.run.stderr)),
        compile_output: r.map(|r| text(&r.compile_output)),
        message: r.and_then(|r| r.run.message.clone()),
        time: r.and_then(|r| r.run.time),
        wall_time: r.and_then(|r| r.run.wall_time),
        memory: r.and_then(|r| r.run.memory),
        exit_code: r.and_then(|r| r.run.exit_code),
        exit_signal: r.and_then(|r| r.run.exit_signal),
        created_at: secs(rec.created_at_ms),
        started_at: rec.started_at_ms.map(secs),
        finished_at: rec.finished_at_ms.map(secs),
        language: NativeLanguage { id: q.language_id, name: svc.langs.by_id(q.language_id).map(|l| l.name.clone()) },
        package,
        tests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::openapi::{properties, sorted};

    /// The strict parser and the described type must name the same fields:
    /// one added to either alone fails here.
    #[test]
    fn the_parser_reads_exactly_the_fields_the_document_describes() {
        assert_eq!(properties::<NativeRequestBody>(), sorted(&FIELDS));
        assert_eq!(properties::<NativeTest>(), sorted(&TEST_FIELDS));
    }
}
