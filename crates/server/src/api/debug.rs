//! `POST /debug`: a recorded step-by-step trace (ARCHITECTURE section 5).
//!
//! Body `{code, language, input?, max_steps?}`; unknown fields are refused,
//! like the native API. A debug request is a job like any other, of kind
//! [`JobKind::Debug`]: in `flash serve` as in split mode it goes through the
//! queue (same capacity, 503 when full, same reclaim and dead letters), a
//! worker records the trace in a sandbox slot, and the answer waits for it as
//! `wait=true` does. Traces are bounded (steps, bytes, time), so there is
//! nothing to stream or poll. Requests in flight also take turns at
//! [`crate::service::Service::debug_gate`] (a cap, a bounded line, a bounded
//! wait), so debug requests cannot take every worker. A client that hangs up
//! leaves the line, or cancels its job: a worker that has not started it
//! skips it.

use crate::api::openapi::Refusals;
use crate::api::{json, ApiError, AppState, JsonBody};
use crate::job::JobKind;
use axum::http::StatusCode;
use axum::response::Response;
use flash_debugger::{DebugRequest, Trace};
use serde_json::Value;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The debug route.
pub fn routes() -> OpenApiRouter<Arc<crate::service::Service>> {
    OpenApiRouter::new().routes(routes!(debug))
}

const FIELDS: [&str; 4] = ["code", "language", "input", "max_steps"];

/// Record a program's run step by step.
///
/// The trace (every line run, the frames and their variables, the output so
/// far) is answered once recorded; it is bounded in steps, bytes and time.
#[utoipa::path(post, path = "/debug", tag = "debug",
    request_body = DebugRequest,
    responses((status = 200, description = "The recorded trace", body = Trace), Refusals))]
async fn debug(axum::extract::State(svc): AppState, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut req = parse(&body)?;
    // Judge0's alias ids (C++ is listed as 52) name the engine's language.
    if let Some(l) = svc.langs.find(&req.language).filter(|l| l.is_alias) {
        req.language = l.engine_id.to_string();
    }
    let native = serde_json::json!({"code": req.code, "language": req.language, "input": req.input});
    let mut job = crate::api::native::parse(&svc, &native).map_err(ApiError::Fields)?;
    job.kind = JobKind::Debug;
    job.debug = Some(req);
    // A turn first (async: waiting holds no thread); hanging up while
    // waiting leaves the line.
    let _turn = svc.debug_gate.enter().await?;
    let (token, rx) = svc.submit(vec![job], true).await?.pop().expect("one job");
    let rx = rx.ok_or_else(|| ApiError::Internal("no waiter for a debug job".into()))?;
    // Nobody but this request can read the trace: unless it is answered
    // with the trace, the job is cancelled (hang-up, wait limit, failure).
    let cancel = svc.cancel_on_drop(&token, JobKind::Debug);
    // Synchronous: the trace can be read by this request only, so it waits
    // as Piston and Jobe do, not `max_wait_secs` (a 2 s `wait=true` limit cut
    // a C trace short on a cold machine and threw it away).
    let rec = svc
        .wait_at_most(&token, rx, crate::api::sync_wait(&svc))
        .await?
        .ok_or_else(|| ApiError::Internal(format!("debug job {token} vanished while waited for")))?;
    let result = rec.result.ok_or_else(|| {
        ApiError::Unavailable(format!("debug job {token} did not finish within the server's wait limit"))
    })?;
    cancel.disarm();
    if let Some(r) = result.debug_refusal {
        return Err(ApiError::Fields([(r.field, vec![r.message])].into()));
    }
    let trace = result.trace.ok_or_else(|| {
        ApiError::Internal(format!("debug job {token} has no trace: {}", result.run.message.unwrap_or_default()))
    })?;
    Ok(json(StatusCode::OK, trace))
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
    Ok(DebugRequest { code, language, input, max_steps, cancel: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written parser (strict, with per-field 422s) and the type the
    /// OpenAPI document describes must name the same fields: one added to
    /// either alone fails here.
    #[test]
    fn the_parser_reads_exactly_the_fields_the_document_describes() {
        let schema = serde_json::to_value(<DebugRequest as utoipa::PartialSchema>::schema()).unwrap();
        let mut described: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        described.sort_unstable();
        let mut parsed = FIELDS.to_vec();
        parsed.sort_unstable();
        assert_eq!(described, parsed);
        let required = schema["required"].as_array().unwrap();
        assert!(required.contains(&"code".into()) && required.contains(&"language".into()), "{schema}");
    }
}
