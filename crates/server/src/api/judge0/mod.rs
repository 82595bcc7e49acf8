//! The Judge0 CE 1.13.1 API: the submission endpoints here, the information
//! endpoints in [`info`], request parsing in [`input`], rendering in [`view`].
//! Behaviour follows Judge0's `submissions_controller.rb`: `wait=true` answers
//! 201 with the result, batch create ignores `fields`, batch get answers null
//! for unknown tokens, list and delete need the authorization token, delete
//! must be enabled and refuses unfinished submissions.

pub mod info;
pub mod input;
pub mod view;

use crate::api::error::ErrorBody;
use crate::api::openapi::{BatchRefusals, Refusals};
use crate::api::{authorize, check_token, json, ApiError, AppState, JsonBody, Params};
use crate::service::Service;
use crate::store::board::Seen;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use input::{BatchBody, RequestBody};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use view::SubmissionView;

/// The Judge0 routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new()
        .routes(routes!(create, index))
        .routes(routes!(batch_create, batch_show))
        .routes(routes!(show, destroy))
        .merge(info::routes())
}

/// Create a submission.
#[utoipa::path(post, path = "/submissions", tag = "judge0",
    params(("base64_encoded" = Option<bool>, Query, description = "Text fields are base64"), ("wait" = Option<bool>, Query, description = "Answer with the finished submission"), ("fields" = Option<String>, Query, description = "Comma-separated attributes, or *")),
    request_body = RequestBody,
    responses((status = 201, description = "Token, or the submission with wait=true", body = SubmissionView), Refusals))]
async fn create(State(svc): AppState, q: Params, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let wait = q.flag("wait")?;
    if wait && !svc.cfg.enable_wait_result {
        return Err(ApiError::BadRequest("wait not allowed".into()));
    }
    let b64 = q.flag("base64_encoded")?;
    let fields = view::parse_fields(q.get("fields"))?;
    let req = input::parse(&svc, &body, b64).map_err(ApiError::Fields)?;
    let mut sub = svc.submit(vec![req], wait).await?;
    let (token, rx) = sub.pop().expect("one job submitted");
    let Some(rx) = rx else {
        return Ok(json(StatusCode::CREATED, json!({ "token": token })));
    };
    // A client that hangs up before the answer never learns the token:
    // its job is cancelled (see `Service::cancel_on_drop`).
    let cancel = svc.cancel_on_drop(&token, crate::job::JobKind::Submission);
    let rec = svc.wait_for(&token, rx).await;
    cancel.disarm();
    let rec = rec?.ok_or_else(|| ApiError::Internal(format!("job {token} vanished while waited for")))?;
    Ok(match view::render(&svc, &rec, &fields, b64) {
        Ok(v) => json(StatusCode::CREATED, v),
        Err(_) => json(StatusCode::CREATED, json!({"token": token, "error": view::NOT_UTF8})),
    })
}

/// Get a submission.
#[utoipa::path(get, path = "/submissions/{token}", tag = "judge0",
    params(("token" = String, Path, pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", description = "A submission's token (a UUID)"), ("base64_encoded" = Option<bool>, Query, description = "Text fields are base64"), ("fields" = Option<String>, Query, description = "Comma-separated attributes, or *")),
    responses((status = 200, description = "The submission", body = SubmissionView), Refusals))]
async fn show(State(svc): AppState, Path(token): Path<String>, q: Params) -> Result<Response, ApiError> {
    let b64 = q.flag("base64_encoded")?;
    let fields = view::parse_fields(q.get("fields"))?;
    check_token(&token)?;
    let seen = svc.board.look(std::slice::from_ref(&token), view::needs_record(&fields)).await?;
    match seen.into_iter().next() {
        Some(Seen::Record(rec)) => view::render(&svc, &rec, &fields, b64)
            .map(|v| json(StatusCode::OK, v))
            .map_err(|_| ApiError::BadRequest(view::NOT_UTF8.into())),
        Some(Seen::Unfinished(state)) => Ok(json(StatusCode::OK, view::render_unfinished(&token, state, &fields))),
        _ => Err(not_found()),
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("submission not found".into())
}

/// Most submissions one page may hold.
const MAX_PER_PAGE: u64 = 1000;

/// List submissions (needs the authorization token).
#[utoipa::path(get, path = "/submissions", tag = "judge0",
    params(("base64_encoded" = Option<bool>, Query, description = "Text fields are base64"), ("fields" = Option<String>, Query, description = "Comma-separated attributes, or *"), ("X-Auth-User" = Option<String>, Header, description = "The authorization token"),
        ("page" = Option<u64>, Query, minimum = 1, description = "Page"),
        ("per_page" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "Page size")),
    responses((status = 200, description = "A page", body = Page),
        (status = 403, description = "Authorization required", body = ErrorBody), Refusals))]
async fn index(State(svc): AppState, headers: HeaderMap, q: Params) -> Result<Response, ApiError> {
    authorize(&svc, &headers, &q)?;
    let b64 = q.flag("base64_encoded")?;
    let fields = view::parse_fields(q.get("fields"))?;
    let num = |k: &str, default: u64, max: u64| -> Result<u64, ApiError> {
        let Some(v) = q.get(k) else { return Ok(default) };
        match v.trim().parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest(format!("invalid {k}: {v} (expected 1..={max})"))),
        }
    };
    let page = num("page", 1, 1_000_000_000)?;
    let per_page = num("per_page", 20, MAX_PER_PAGE)?;
    let offset = (page - 1).saturating_mul(per_page);
    let (jobs, total) = svc.store.list(offset, per_page).await?;
    let subs = jobs
        .iter()
        .map(|r| view::render(&svc, r, &fields, b64))
        .collect::<Result<Vec<Value>, _>>()
        .map_err(|_| ApiError::BadRequest(view::NOT_UTF8.replace("this submission", "one or more submissions")))?;
    let pages = total.div_ceil(per_page);
    let meta = PageMeta {
        current_page: page,
        next_page: (page < pages).then_some(page + 1),
        prev_page: (page > 1).then_some(page - 1),
        total_pages: pages,
        total_count: total,
    };
    Ok(json(StatusCode::OK, Page { submissions: subs, meta }))
}

/// `GET /submissions`: a page.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0Page)]
pub struct Page {
    /// The page's submissions, newest first.
    #[schema(value_type = Vec<SubmissionView>)]
    submissions: Vec<Value>,
    /// Where the page is.
    meta: PageMeta,
}

/// A page's place among all.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0PageMeta)]
pub struct PageMeta {
    /// This page (from 1).
    current_page: u64,
    /// The next one, if any.
    next_page: Option<u64>,
    /// The previous one, if any.
    prev_page: Option<u64>,
    /// Pages in all.
    total_pages: u64,
    /// Submissions in all.
    total_count: u64,
}

/// `GET /submissions/batch`.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0Submissions)]
pub struct Submissions {
    /// One per token asked, in order: null for an unknown token.
    #[schema(value_type = Vec<Option<SubmissionView>>)]
    submissions: Vec<Value>,
}

/// One entry of a batch create's answer.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = Judge0BatchEntry)]
pub enum BatchEntry {
    /// Accepted: its token.
    Token(Token),
    /// Refused: `{field: [message]}`.
    #[schema(value_type = crate::api::error::FieldErrorsBody)]
    Errors(crate::api::FieldErrors),
}

/// A created submission's token.
#[derive(Serialize, ToSchema)]
#[schema(as = Judge0Token)]
pub struct Token {
    /// Its token.
    token: String,
}

/// Delete a finished submission (when enabled; needs the authorization token).
#[utoipa::path(delete, path = "/submissions/{token}", tag = "judge0",
    params(("token" = String, Path, pattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", description = "A submission's token (a UUID)"), ("fields" = Option<String>, Query, description = "Comma-separated attributes, or *"), ("X-Auth-User" = Option<String>, Header, description = "The authorization token")),
    responses((status = 200, description = "What was deleted", body = SubmissionView),
        (status = 403, description = "Authorization required", body = ErrorBody), Refusals))]
async fn destroy(
    State(svc): AppState,
    Path(token): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    authorize(&svc, &headers, &q)?;
    if !svc.cfg.enable_submission_delete {
        return Err(ApiError::BadRequest("delete not allowed".into()));
    }
    let fields = view::parse_fields(q.get("fields"))?;
    check_token(&token)?;
    use crate::store::Deleted;
    match svc.store.delete(&token).await? {
        Deleted::NotFound => Err(not_found()),
        Deleted::NotFinished(state) => {
            let s = if state == crate::job::JobState::Queued {
                flash_engine::StatusId::InQueue
            } else {
                flash_engine::StatusId::Processing
            };
            Err(ApiError::BadRequest(format!(
                "submission cannot be deleted because its status is {} ({})",
                s.id(),
                s.description()
            )))
        }
        // Always base64, so whatever the submission held comes back (as Judge0 does).
        Deleted::Deleted(rec) => {
            Ok(json(StatusCode::OK, view::render(&svc, &rec, &fields, true).unwrap_or(Value::Null)))
        }
    }
}

fn batch_size(svc: &Service, n: usize) -> Result<(), ApiError> {
    let max = svc.cfg.max_submission_batch_size;
    if n > max {
        return Err(ApiError::BadRequest(format!(
            "number of submissions in a batch should be less than or equal to {max}"
        )));
    }
    if n == 0 {
        return Err(ApiError::BadRequest("there should be at least one submission in a batch".into()));
    }
    Ok(())
}

/// Create several submissions: each entry is a token or its own errors.
#[utoipa::path(post, path = "/submissions/batch", tag = "judge0",
    params(("base64_encoded" = Option<bool>, Query, description = "Text fields are base64")),
    request_body = BatchBody,
    responses((status = 201, description = "A token or errors per submission", body = Vec<BatchEntry>), BatchRefusals))]
async fn batch_create(State(svc): AppState, q: Params, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let b64 = q.flag("base64_encoded")?;
    let items = match body.get("submissions") {
        Some(Value::Array(a)) => a.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => return Err(ApiError::field("submissions", "must be an array")),
    };
    batch_size(&svc, items.len())?;
    let parsed: Vec<_> = items.iter().map(|i| input::parse(&svc, i, b64)).collect();
    let valid: Vec<_> = parsed.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
    let mut tokens = if valid.is_empty() { Vec::new() } else { svc.submit(valid, false).await? }.into_iter();
    let mut any = false;
    let out: Vec<BatchEntry> = parsed
        .into_iter()
        .map(|p| match p {
            Ok(_) => {
                any = true;
                BatchEntry::Token(Token { token: tokens.next().map(|t| t.0).unwrap_or_default() })
            }
            Err(e) => BatchEntry::Errors(e),
        })
        .collect();
    let code = if any { StatusCode::CREATED } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(json(code, out))
}

/// Get several submissions (unknown tokens are null).
#[utoipa::path(get, path = "/submissions/batch", tag = "judge0",
    params(("base64_encoded" = Option<bool>, Query, description = "Text fields are base64"), ("fields" = Option<String>, Query, description = "Comma-separated attributes, or *"),
        ("tokens" = String, Query, min_length = 1, description = "Comma-separated tokens (or a tokens header)")),
    responses((status = 200, description = "Submissions", body = Submissions), Refusals))]
async fn batch_show(State(svc): AppState, headers: HeaderMap, q: Params) -> Result<Response, ApiError> {
    let b64 = q.flag("base64_encoded")?;
    let fields = view::parse_fields(q.get("fields"))?;
    let raw = headers.get("tokens").and_then(|v| v.to_str().ok()).or(q.get("tokens")).unwrap_or("");
    let tokens: Vec<String> = raw.trim().split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    batch_size(&svc, tokens.len())?;
    // Polled every few tenths of a second while a batch runs: finished jobs,
    // and unfinished ones when their records are not needed, come from memory.
    let found = svc.board.look(&tokens, view::needs_record(&fields)).await?;
    let subs = found
        .iter()
        .zip(&tokens)
        .map(|(r, token)| match r {
            Seen::Record(r) => view::render(&svc, r, &fields, b64),
            Seen::Unfinished(state) => Ok(view::render_unfinished(token, *state, &fields)),
            Seen::Unknown => Ok(Value::Null),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::BadRequest(view::NOT_UTF8.replace("this submission", "one or more submissions")))?;
    Ok(json(StatusCode::OK, Submissions { submissions: subs }))
}
