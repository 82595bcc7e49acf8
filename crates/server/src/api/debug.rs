//! `POST /debug`: a recorded step-by-step trace (ARCHITECTURE section 5).
//!
//! Body `{code, language, input?, max_steps?}`; unknown fields are refused,
//! like the native API. The trace is recorded in a sandbox slot like any run
//! (on a blocking thread) and answered whole: traces are bounded (steps, bytes,
//! time), so there is nothing to stream or poll. Requests take turns at
//! [`crate::service::Service::debug_gate`] (a cap, a bounded line, a bounded
//! wait), so no crowd of them can hold the blocking pool the store needs.

use crate::api::{json, ApiError, AppState, JsonBody};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use flash_debugger::DebugRequest;
use serde_json::Value;
use std::sync::Arc;

/// The debug route.
pub fn routes() -> Router<Arc<crate::service::Service>> {
    Router::new().route("/debug", post(debug))
}

const FIELDS: [&str; 4] = ["code", "language", "input", "max_steps"];

async fn debug(axum::extract::State(svc): AppState, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut req = parse(&body)?;
    // Judge0's alias ids (C++ is listed as 52) name the engine's language.
    if let Some(l) = svc.langs.find(&req.language).filter(|l| l.is_alias) {
        req.language = l.engine_id.to_string();
    }
    if !svc.judge.can_debug() {
        return queued(&svc, req).await;
    }
    // A turn first (async: waiting holds no thread), then a blocking thread
    // that holds the turn until the trace is recorded. A client that hangs
    // up while waiting leaves the line; one that hangs up before its blocking
    // work starts cancels it.
    let turn = svc.debug_gate.enter().await?;
    let hang_up = crate::admission::HangUp::default();
    let _gone_with_this_request = hang_up.guard();
    let judge = svc.judge.clone();
    let traced = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        (!hang_up.gone()).then(|| judge.debug(&req))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("debug task failed: {e}")))?;
    let trace = traced
        .ok_or_else(|| ApiError::Unavailable("the request was cancelled".into()))?
        .map_err(|e| ApiError::Fields(field_errors(&e)))?;
    let body = serde_json::to_value(&trace).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(json(StatusCode::OK, body))
}

/// A `flash server` has no sandbox: the request becomes a job like any other
/// (same queue, capacity, reclaim and dead letters), a worker records the
/// trace as its result, and the answer waits for it as `wait=true` does.
async fn queued(svc: &Arc<crate::service::Service>, req: DebugRequest) -> Result<Response, ApiError> {
    let native = serde_json::json!({"code": req.code, "language": req.language, "input": req.input});
    let mut job = crate::api::native::parse(svc, &native).map_err(ApiError::Fields)?;
    job.debug = Some(req);
    let (token, rx) = svc.submit(vec![job], true).await?.pop().expect("one job");
    let rx = rx.ok_or_else(|| ApiError::Internal("no waiter for a debug job".into()))?;
    let rec = svc
        .wait_for(&token, rx)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("debug job {token} vanished while waited for")))?;
    let trace = rec
        .result
        .and_then(|r| r.trace)
        .ok_or_else(|| ApiError::Internal(format!("debug job {token} has no trace")))?;
    if let Some(errors) =
        trace.get("error").and_then(|e| serde_json::from_value::<crate::api::FieldErrors>(e.clone()).ok())
    {
        return Err(ApiError::Fields(errors));
    }
    Ok(json(StatusCode::OK, trace))
}

/// The field a debugger refusal is about.
fn field_errors(e: &flash_debugger::Error) -> crate::api::FieldErrors {
    let field = match e {
        flash_debugger::Error::UnknownLanguage(_) | flash_debugger::Error::Unsupported(_) => "language",
        flash_debugger::Error::Invalid(_) => "max_steps",
    };
    [(field.to_owned(), vec![e.to_string()])].into()
}

/// A refusal as a worker stores it in place of a trace.
pub fn error_json(e: &flash_debugger::Error) -> Value {
    serde_json::json!({ "error": field_errors(e) })
}

fn parse(body: &Value) -> Result<DebugRequest, ApiError> {
    let obj = body.as_object().ok_or_else(|| ApiError::BadRequest("the body must be a JSON object".into()))?;
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::field(k, "is not a field of /debug (code, language, input, max_steps)"));
    }
    let code = match obj.get("code") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => return Err(ApiError::field("code", "can't be blank")),
        Some(_) => return Err(ApiError::field("code", "must be a string")),
    };
    let language = match obj.get("language") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        None | Some(Value::Null) => return Err(ApiError::field("language", "can't be blank")),
        Some(_) => return Err(ApiError::field("language", "must be a name, alias or Judge0 id")),
    };
    let input = match obj.get("input") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::field("input", "must be a string")),
    };
    let max_steps = match obj.get("max_steps") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n > 0 => Some(n),
            _ => return Err(ApiError::field("max_steps", "must be a positive integer")),
        },
    };
    Ok(DebugRequest { code, language, input, max_steps })
}
