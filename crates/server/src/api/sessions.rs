//! The session endpoints (see [`crate::sessions`]): a workspace that lives
//! across runs, owned by the API key that made it.
//!
//! - `POST /sessions` `{idle_timeout?, max_age?}` (seconds): 201 and the session.
//! - `GET /sessions`: this key's sessions; `GET /sessions/{id}`: one.
//! - `POST /sessions/{id}/expire` `{after?}`: expire in `after` seconds (0, the default: now).
//! - `DELETE /sessions/{id}`: 204.
//! - `GET /sessions/{id}/files`: the files; `PUT /sessions/{id}/files/{path}`
//!   (the body is the file; `?executable=true`), `GET` (the bytes) and
//!   `DELETE` one file.
//! - `POST /sessions/{id}/run`: `{command}` (a Bash script) or the native
//!   `{language, code}`, with `input`, `args` and the native limits, plus
//!   `copy_out` (paths returned inline after the run). Each run is a fresh
//!   sandbox holding the workspace; what the box holds afterwards becomes the
//!   workspace. One run at a time per session (409 while one runs).
//!
//! Another key's session, an expired one and a malformed id are all 404.

use crate::api::error::ErrorBody;
use crate::api::openapi::{Binary, Refusals};
use crate::api::{json, native, ApiError, AppState, FieldErrors, JsonBody, Params};
use crate::job::{now_ms, WorkspaceOutcome};
use crate::service::Service;
use crate::sessions::{Meta, SessionError, Sessions};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The session routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, delete))
        .routes(routes!(expire))
        .routes(routes!(run))
        .routes(routes!(files))
        .routes(routes!(download, upload, delete_file))
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> ApiError {
        match e {
            SessionError::NotFound | SessionError::NoFile(_) => ApiError::NotFound(e.to_string()),
            SessionError::BadPath(..) => ApiError::field("path", e.to_string()),
            SessionError::Limit(m) => ApiError::Conflict(m),
            SessionError::Io { .. } => ApiError::Internal(e.to_string()),
        }
    }
}

/// The key a request acts for ("" when the server has no keys).
fn owner() -> String {
    crate::keys::current().unwrap_or_default()
}

fn store(svc: &Service) -> Result<Arc<Sessions>, ApiError> {
    svc.sessions.clone().ok_or_else(|| ApiError::NotFound("sessions are turned off on this server".into()))
}

/// Runs a blocking store operation on the blocking pool.
async fn blocking<T: Send + 'static>(
    s: &Arc<Sessions>,
    f: impl FnOnce(&Sessions) -> Result<T, SessionError> + Send + 'static,
) -> Result<T, ApiError> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .map_err(|e| ApiError::Internal(format!("session task failed: {e}")))?
        .map_err(ApiError::from)
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A session and, where shown, its usage.
#[derive(Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    /// Its id.
    id: String,
    /// Unix seconds.
    created_at: f64,
    /// Unix seconds.
    last_used_at: f64,
    /// Unix seconds: the sooner of idle timeout and maximum age.
    expires_at: f64,
    /// Seconds unused after which it expires.
    idle_timeout: u64,
    /// Seconds after creation at which it expires.
    max_age: u64,
    /// Files in the workspace (not shown in a run's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<usize>,
    /// Bytes in the workspace (not shown in a run's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
}

/// `GET /sessions`.
#[derive(Serialize, ToSchema)]
pub struct SessionList {
    /// This key's live sessions.
    sessions: Vec<SessionView>,
}

/// `POST /sessions`: the session's lifetimes (each within the server's
/// maximum, which the served document states); absent: the server's default.
#[derive(ToSchema)]
#[schema(as = SessionCreate)]
#[allow(dead_code)] // A description of the body the handler reads field by field ([`CREATE_FIELDS`]).
pub struct SessionCreateBody {
    /// Seconds unused after which it expires.
    #[schema(minimum = 1)]
    idle_timeout: Option<u64>,
    /// Seconds after creation at which it expires.
    #[schema(minimum = 1)]
    max_age: Option<u64>,
}

/// The fields `POST /sessions` reads (any other is refused).
const CREATE_FIELDS: [&str; 2] = ["idle_timeout", "max_age"];

/// `POST /sessions/{id}/expire`.
#[derive(ToSchema)]
#[schema(as = SessionExpire)]
#[allow(dead_code)] // A description of the body the handler reads field by field ([`EXPIRE_FIELDS`]).
pub struct SessionExpireBody {
    /// Seconds from now (0: now; within the server's maximum age).
    #[schema(minimum = 0)]
    after: Option<u64>,
}

/// The fields `POST /sessions/{id}/expire` reads (any other is refused).
const EXPIRE_FIELDS: [&str; 1] = ["after"];

/// `GET /sessions/{id}/files`.
#[derive(Serialize, ToSchema)]
pub struct SessionFiles {
    /// Every file of the workspace, by path.
    files: Vec<crate::sessions::FileInfo>,
}

/// A file stored by `PUT /sessions/{id}/files/{path}`.
#[derive(Serialize, ToSchema)]
pub struct StoredFile {
    /// Its path in the workspace.
    path: String,
    /// Bytes.
    size: usize,
    /// Whether it has mode 755.
    executable: bool,
}

fn meta_view(m: &Meta) -> SessionView {
    SessionView {
        id: m.id.clone(),
        created_at: secs(m.created_at_ms),
        last_used_at: secs(m.last_used_at_ms),
        expires_at: secs(m.expires_at_ms()),
        idle_timeout: m.idle_timeout_secs,
        max_age: m.max_age_secs,
        files: None,
        bytes: None,
    }
}

/// A session with its usage.
async fn with_usage(s: &Arc<Sessions>, m: Meta) -> Result<SessionView, ApiError> {
    let id = m.id.clone();
    let files = blocking(s, move |s| s.list_files(&id)).await?;
    let mut v = meta_view(&m);
    v.files = Some(files.len());
    v.bytes = Some(files.iter().map(|f| f.size).sum::<u64>());
    Ok(v)
}

fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object().ok_or_else(|| ApiError::field("body", "must be a JSON object"))
}

fn seconds(r: &mut crate::api::fields::Reader<'_>, field: &str, max: u64) -> Option<u64> {
    r.raw(field)?;
    let v = r.ranged_int(field, 0, crate::api::fields::Min::AtLeast(1.0), max);
    Some(v)
}

/// Make a session: a workspace that lives across runs.
#[utoipa::path(post, path = "/sessions", tag = "sessions",
    request_body = SessionCreateBody,
    responses((status = 201, description = "The session", body = SessionView),
        (status = 409, description = "The key holds as many sessions as allowed", body = ErrorBody), Refusals))]
async fn create(State(svc): AppState, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let mut r = crate::api::fields::Reader::new(object(&body)?);
    r.unknown(&CREATE_FIELDS);
    let idle = seconds(&mut r, "idle_timeout", s.cfg.max_idle_timeout_secs);
    let age = seconds(&mut r, "max_age", s.cfg.max_max_age_secs);
    if !r.errors.is_empty() {
        return Err(ApiError::Fields(r.errors));
    }
    let who = owner();
    let m = blocking(&s, move |s| s.create(&who, idle, age, now_ms())).await?;
    Ok(json(StatusCode::CREATED, with_usage(&s, m).await?))
}

/// This key's sessions.
#[utoipa::path(get, path = "/sessions", tag = "sessions",
    responses((status = 200, description = "The sessions", body = SessionList), Refusals))]
async fn list(State(svc): AppState) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let who = owner();
    let all = blocking(&s, move |s| s.list(&who, now_ms())).await?;
    let mut out = Vec::new();
    for m in all {
        out.push(with_usage(&s, m).await?);
    }
    Ok(json(StatusCode::OK, SessionList { sessions: out }))
}

/// `owner`'s live session `id`.
async fn session(s: &Arc<Sessions>, id: &str) -> Result<Meta, ApiError> {
    let (who, id) = (owner(), id.to_owned());
    blocking(s, move |s| s.get(&who, &id, now_ms())).await
}

/// One session.
#[utoipa::path(get, path = "/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)")),
    responses((status = 200, description = "The session", body = SessionView), Refusals))]
async fn show(State(svc): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let m = session(&s, &id).await?;
    Ok(json(StatusCode::OK, with_usage(&s, m).await?))
}

/// Delete a session and its files.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)")),
    responses((status = 204, description = "Deleted"), Refusals))]
async fn delete(State(svc): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let lock = s.lock(&id);
    let _held = lock.lock().await;
    let who = owner();
    blocking(&s, move |s| s.delete(&who, &id, now_ms())).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Expire a session in `after` seconds (0: now).
#[utoipa::path(post, path = "/sessions/{id}/expire", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)")), request_body = SessionExpireBody,
    responses((status = 200, description = "The session", body = SessionView), (status = 204, description = "Deleted"), Refusals))]
async fn expire(State(svc): AppState, Path(id): Path<String>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let mut r = crate::api::fields::Reader::new(object(&body)?);
    r.unknown(&EXPIRE_FIELDS);
    let after = r.ranged_int("after", 0, crate::api::fields::Min::AtLeast(0.0), s.cfg.max_max_age_secs);
    if !r.errors.is_empty() {
        return Err(ApiError::Fields(r.errors));
    }
    let lock = s.lock(&id);
    let _held = lock.lock().await;
    let who = owner();
    match blocking(&s, move |s| s.expire(&who, &id, after, now_ms())).await? {
        Some(m) => Ok(json(StatusCode::OK, with_usage(&s, m).await?)),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// The workspace's files.
#[utoipa::path(get, path = "/sessions/{id}/files", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)")),
    responses((status = 200, description = "The files", body = SessionFiles), Refusals))]
async fn files(State(svc): AppState, Path(id): Path<String>) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let m = session(&s, &id).await?;
    let list = blocking(&s, move |s| {
        let l = s.list_files(&m.id)?;
        s.touch(m, now_ms())?;
        Ok(l)
    })
    .await?;
    Ok(json(StatusCode::OK, SessionFiles { files: list }))
}

/// Download a file.
#[utoipa::path(get, path = "/sessions/{id}/files/{*path}", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)"), ("path" = String, Path, pattern = "^[^/]+(/[^/]+)*$", max_length = 1024, description = "A file's path in the workspace (relative, no '.' or '..')")),
    responses((status = 200, description = "The file's bytes", body = Binary, content_type = "application/octet-stream"), Refusals))]
async fn download(State(svc): AppState, Path((id, path)): Path<(String, String)>) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let m = session(&s, &id).await?;
    let data = blocking(&s, move |s| {
        let d = s.read_file(&m.id, &path)?;
        s.touch(m, now_ms())?;
        Ok(d)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], data).into_response())
}

/// Upload a file (the body is its bytes).
#[utoipa::path(put, path = "/sessions/{id}/files/{*path}", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)"), ("path" = String, Path, pattern = "^[^/]+(/[^/]+)*$", max_length = 1024, description = "A file's path in the workspace (relative, no '.' or '..')"), ("executable" = Option<bool>, Query, description = "Mode 755")),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses((status = 201, description = "Stored", body = StoredFile),
        (status = 409, description = "Over a bound of the workspace", body = ErrorBody), Refusals))]
async fn upload(
    State(svc): AppState,
    Path((id, path)): Path<(String, String)>,
    q: Params,
    req: Request,
) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let executable = q.flag("executable")?;
    let data = match axum::body::Bytes::from_request(req, &()).await {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(ApiError::TooLarge(svc.cfg.max_body_size)),
        Err(e) => return Err(ApiError::BadRequest(format!("cannot read the body: {e}"))),
    };
    let lock = s.lock(&id);
    let _held = lock.lock().await;
    let m = session(&s, &id).await?;
    let size = data.len();
    let shown = path.clone();
    blocking(&s, move |s| {
        s.put_file(&m.id, &path, &data, executable)?;
        s.touch(m, now_ms())?;
        Ok(())
    })
    .await?;
    Ok(json(StatusCode::CREATED, StoredFile { path: shown, size, executable }))
}

/// Delete a file.
#[utoipa::path(delete, path = "/sessions/{id}/files/{*path}", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)"), ("path" = String, Path, pattern = "^[^/]+(/[^/]+)*$", max_length = 1024, description = "A file's path in the workspace (relative, no '.' or '..')")),
    responses((status = 204, description = "Deleted"), Refusals))]
async fn delete_file(State(svc): AppState, Path((id, path)): Path<(String, String)>) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let lock = s.lock(&id);
    let _held = lock.lock().await;
    let m = session(&s, &id).await?;
    blocking(&s, move |s| {
        s.delete_file(&m.id, &path)?;
        s.touch(m, now_ms())?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The fields a run body reads besides the native API's.
const RUN_FIELDS: [&str; 2] = ["command", "copy_out"];

/// The native API's fields a session run refuses (it runs once, judges nothing:
/// a package job would be judged on the package, away from the workspace).
const RUN_REFUSED: [&str; 5] = ["tests", "expected", "package", "all_tests", "transcript"];

/// `POST /sessions/{id}/run`: `command` (a Bash script), or `language` and
/// `code`; the native API's input, arguments and limits (each within the
/// server's maximum, which the served document states); `copy_out`. Unknown
/// fields are refused.
// [`parse_run`] reads [`RUN_FIELDS`] and hands the rest to the native parser,
// so the schema is the native request's (less [`RUN_REFUSED`], none
// required) with [`RunOwnFields`]: a unit test holds it to those lists.
pub struct SessionRunBody;

/// A run body's own fields.
#[derive(ToSchema)]
#[allow(dead_code)] // Described, never built (see [`SessionRunBody`]).
struct RunOwnFields {
    /// A Bash script (instead of language and code).
    #[schema(required = false, min_length = 1, pattern = "\\S")]
    command: String,
    /// Workspace paths whose content the answer carries after the run.
    #[schema(required = false, inline, max_items = 64)]
    copy_out: Vec<WorkspacePath>,
}

/// A path in the workspace: relative, without empty, `.` or `..` components.
// As [`crate::sessions::check_path`] takes it.
#[derive(ToSchema)]
#[schema(
    pattern = "^(?:[^/.\\x00][^/\\x00]*|\\.[^/.\\x00][^/\\x00]*|\\.\\.[^/\\x00]+)(?:/(?:[^/.\\x00][^/\\x00]*|\\.[^/.\\x00][^/\\x00]*|\\.\\.[^/\\x00]+))*$"
)]
#[allow(dead_code)] // Described, never built (see [`SessionRunBody`]).
struct WorkspacePath(String);

impl utoipa::PartialSchema for SessionRunBody {
    fn schema() -> RefOr<Schema> {
        let (RefOr::T(Schema::Object(mut run)), RefOr::T(Schema::Object(own))) =
            (native::NativeRequestBody::schema(), RunOwnFields::schema())
        else {
            // Not objects: the unit test on the properties fails.
            return RefOr::T(Schema::Object(Default::default()));
        };
        run.properties.retain(|k, _| !RUN_REFUSED.contains(&k.as_str()));
        run.required.clear();
        run.properties.extend(own.properties);
        let doc = "A Bash script as command, or language and code; the native API's input, arguments and \
            limits; copy_out: workspace paths whose content the answer carries.";
        run.description = Some(doc.into());
        RefOr::T(Schema::Object(run))
    }
}

impl ToSchema for SessionRunBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "SessionRun".into()
    }
}

/// A run body: `command` becomes a Bash script; the rest is the native
/// API's, less what a session run does not do (test cases, expected output).
fn parse_run(svc: &Service, body: &Value) -> Result<(crate::job::JobRequest, Vec<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut err = |f: &str, m: &str| errors.entry(f.to_owned()).or_default().push(m.to_owned());
    let Some(map) = body.as_object() else {
        err("body", "must be a JSON object");
        return Err(errors);
    };
    let mut map = map.clone();
    // This parser's own fields, taken out before the native parser sees the rest.
    let mut take = |f: &str| {
        debug_assert!(RUN_FIELDS.contains(&f), "{f} is read but not in RUN_FIELDS");
        map.remove(f)
    };
    let (copy_out, command) = (take("copy_out"), take("command"));
    let copy_out = match copy_out {
        None => Vec::new(),
        Some(Value::Array(a)) if a.len() <= 64 && a.iter().all(Value::is_string) => {
            a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        }
        Some(_) => {
            err("copy_out", "must be a list of at most 64 workspace paths");
            Vec::new()
        }
    };
    for f in copy_out.iter().filter(|p| crate::sessions::check_path(p).is_err()) {
        err("copy_out", &format!("{f:?} is not a workspace path (relative, no '..')"));
    }
    for f in RUN_REFUSED {
        if map.contains_key(f) {
            err(f, "is not taken by a session run (it runs once; use POST /create to judge)");
        }
    }
    match command {
        None => {}
        Some(Value::String(c)) if map.contains_key("code") || map.contains_key("language") => {
            let _ = c;
            err("command", "give either command or language and code, not both");
        }
        Some(Value::String(c)) => {
            map.insert("language".into(), json!("bash"));
            map.insert("code".into(), Value::String(c));
        }
        Some(_) => err("command", "must be a string (a Bash script)"),
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let req = native::parse(svc, &Value::Object(map))?;
    Ok((req, copy_out))
}

/// Run a command (Bash) or a program in a fresh sandbox holding the workspace.
#[utoipa::path(post, path = "/sessions/{id}/run", tag = "sessions",
    params(("id" = String, Path, description = "A session id (a UUID)")), request_body = SessionRunBody,
    responses((status = 200, description = "The run, the workspace saved or why not, and the files copied out", body = RunView),
        (status = 409, description = "Another run of this session is under way", body = ErrorBody), Refusals))]
async fn run(State(svc): AppState, Path(id): Path<String>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let s = store(&svc)?;
    let (mut req, copy_out) = parse_run(&svc, &body).map_err(ApiError::Fields)?;
    let lock = s.lock(&id);
    let Ok(_held) = lock.try_lock() else {
        return Err(ApiError::Conflict(format!("session {id} is running another program; retry when it ends")));
    };
    let m = session(&s, &id).await?;
    let sid = m.id.clone();
    let files = blocking(&s, move |s| s.snapshot(&sid)).await?;
    let before = crate::sessions::Sessions::digests(&files);
    req.session = Some(crate::job::SessionJob { id: m.id.clone(), files, max_file_kb: s.cfg.max_file_kb });
    let rec = crate::api::run_to_end(&svc, req).await?;
    // The job held a copy of the workspace: it is not kept once applied.
    if let Err(e) = svc.store.delete(&rec.token).await {
        tracing::warn!(error = %e, token = %rec.token, "cannot delete a session run's job; it expires with the others");
    }
    let outcome = rec.result.as_ref().and_then(|r| r.workspace.clone());
    let (saved, note, changed) = save(&s, &m.id, outcome, &before).await?;
    let sid = m.id.clone();
    let (meta, copied) = blocking(&s, move |s| {
        let meta = s.touch(m, now_ms())?;
        let max = s.cfg.max_copy_out_kb * 1024;
        let copied: Vec<CopiedFile> = match saved {
            true => copy_out.iter().map(|p| copy_one(s, &sid, p, max)).collect(),
            false => copy_out
                .iter()
                .map(|p| {
                    CopiedFile::failed(p, "not copied: the run's files were not saved (see workspace.note)".into())
                })
                .collect(),
        };
        Ok((meta, copied))
    })
    .await?;
    let [created, modified, deleted] = changed;
    let v = RunView {
        run: native::run_of(&svc, &rec),
        session: meta_view(&meta),
        workspace: Workspace { saved, note },
        copy_out: copied,
        files: Changes { created, modified, deleted },
    };
    Ok(json(StatusCode::OK, v))
}

/// `POST /sessions/{id}/run`'s answer: the run (the native API's result,
/// without a token: the job is not kept), the session, the workspace saved or
/// why not, and the files asked for in `copy_out`.
#[derive(Serialize, ToSchema)]
#[schema(as = SessionRunResult)]
pub struct RunView {
    /// The run.
    #[serde(flatten)]
    run: native::NativeRun,
    /// The session after the run.
    session: SessionView,
    /// Whether the run's files became the workspace.
    workspace: Workspace,
    /// One per path of `copy_out`, in order.
    copy_out: Vec<CopiedFile>,
    /// What the run created, modified and deleted in the workspace (all
    /// empty when it saved nothing).
    files: Changes,
}

/// Whether a run's files became the workspace.
#[derive(Serialize, ToSchema)]
#[schema(as = SessionWorkspace)]
pub struct Workspace {
    /// They did.
    saved: bool,
    /// Why not.
    note: Option<String>,
}

/// A file of `copy_out`: its content, or why not.
#[derive(Serialize, ToSchema)]
#[schema(as = SessionCopiedFile)]
pub struct CopiedFile {
    /// Its path in the workspace.
    path: String,
    /// Bytes (when the file is there).
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<usize>,
    /// Its content, base64 (when it is small enough).
    #[serde(skip_serializing_if = "Option::is_none")]
    content_base64: Option<String>,
    /// Why it is not copied.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl CopiedFile {
    fn failed(path: &str, error: String) -> CopiedFile {
        CopiedFile { path: path.to_owned(), size: None, content_base64: None, error: Some(error) }
    }
}

/// The paths a run created, modified and deleted in the workspace.
#[derive(Serialize, ToSchema)]
#[schema(as = SessionChanges)]
pub struct Changes {
    /// Created.
    created: Vec<String>,
    /// Modified.
    modified: Vec<String>,
    /// Deleted.
    deleted: Vec<String>,
}

/// Applies what a run left to the workspace; says whether it did, and why not.
/// With what it saved: the paths it created, modified and deleted (all
/// empty when it saved nothing).
async fn save(
    s: &Arc<Sessions>,
    id: &str,
    outcome: Option<WorkspaceOutcome>,
    before: &[(String, u64)],
) -> Result<(bool, Option<String>, [Vec<String>; 3]), ApiError> {
    let (saved, note, files) = save_files(s, id, outcome).await?;
    let changed = match (saved, files) {
        (true, Some(f)) => crate::sessions::changes(before, &f),
        _ => Default::default(),
    };
    Ok((saved, note, changed))
}

type Saved = (bool, Option<String>, Option<Vec<crate::job::WorkspaceFile>>);

async fn save_files(s: &Arc<Sessions>, id: &str, outcome: Option<WorkspaceOutcome>) -> Result<Saved, ApiError> {
    let Some(o) = outcome else {
        return Ok((false, Some("the run did not finish in the sandbox; the workspace is unchanged".into()), None));
    };
    let Some(files) = o.files else {
        return Ok((false, Some("the program did not run; the workspace is unchanged".into()), None));
    };
    if let Some((path, size)) = o.refused.first() {
        let msg = format!(
            "not saved: the run left {path} of {size} bytes, over the limit of {} KiB per file; the workspace is unchanged",
            s.cfg.max_file_kb
        );
        return Ok((false, Some(msg), None));
    }
    if o.truncated {
        return Ok((false, Some("not saved: the run left too many files; the workspace is unchanged".into()), None));
    }
    let id = id.to_owned();
    match blocking(s, move |s| s.replace(&id, &files).map(|()| files)).await {
        Ok(files) => Ok((true, None, Some(files))),
        Err(ApiError::Conflict(m)) => Ok((false, Some(format!("not saved: {m}; the workspace is unchanged")), None)),
        Err(e) => Err(e),
    }
}

fn copy_one(s: &Sessions, id: &str, path: &str, max: u64) -> CopiedFile {
    match s.read_file(id, path) {
        Ok(d) if d.len() as u64 > max => CopiedFile {
            size: Some(d.len()),
            ..CopiedFile::failed(
                path,
                format!("larger than {} KiB: download it from /sessions/{id}/files/{path}", max / 1024),
            )
        },
        Ok(d) => CopiedFile {
            path: path.to_owned(),
            size: Some(d.len()),
            content_base64: Some(base64::engine::general_purpose::STANDARD.encode(&d)),
            error: None,
        },
        Err(SessionError::NoFile(_)) | Err(SessionError::BadPath(..)) => {
            CopiedFile::failed(path, "no such file in the workspace after the run".into())
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read a file to copy out");
            CopiedFile::failed(path, "cannot read the file".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::openapi::{properties, sorted};

    /// The strict parsers and the described types name the same fields: one
    /// added to either alone fails here.
    #[test]
    fn the_parsers_read_exactly_the_fields_the_document_describes() {
        assert_eq!(properties::<SessionCreateBody>(), sorted(&CREATE_FIELDS));
        assert_eq!(properties::<SessionExpireBody>(), sorted(&EXPIRE_FIELDS));
        let native = native::FIELDS.iter().filter(|f| !RUN_REFUSED.contains(f));
        let run: Vec<&str> = RUN_FIELDS.iter().chain(native).copied().collect();
        assert_eq!(properties::<SessionRunBody>(), sorted(&run));
    }
}
