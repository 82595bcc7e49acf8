//! The API's error type: every refusal is a value that turns into the
//! status and JSON shape Judge0 clients expect. 5xx details are logged, never
//! sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Field name -> what is wrong with it (Rails' validation error shape).
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// A refusal's body, `{"error": ...}` (the document's `Error`).
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What is wrong, for the client.
    pub error: String,
}

/// The document's `FieldErrors`: each refused field with what is wrong with
/// it (the 422 body).
// The body is a [`FieldErrors`].
#[derive(ToSchema)]
#[schema(as = FieldErrors)]
#[allow(dead_code)] // Described, never built: the 422 serializes a FieldErrors.
pub struct FieldErrorsBody(FieldErrors);

/// Why a request was not served.
#[derive(Debug)]
pub enum ApiError {
    /// 422 `{field: [message, ...]}`.
    Fields(FieldErrors),
    /// 400 `{"error": ...}`.
    BadRequest(String),
    /// 401: missing or wrong `X-Auth-Token`.
    Unauthorized,
    /// 403: missing or wrong `X-Auth-User` (or no authorization token configured).
    Forbidden,
    /// 404 `{"error": ...}`.
    NotFound(String),
    /// 409: the resource is in a state that forbids this now.
    Conflict(String),
    /// 413: body over the configured size.
    TooLarge(usize),
    /// 503 `{"error": "queue is full"}`.
    QueueFull,
    /// 503 with `Retry-After`: no capacity for this request now.
    Busy {
        /// What is full.
        msg: String,
        /// Seconds after which a retry may succeed.
        retry_after: u64,
    },
    /// 429 with `Retry-After` and `RateLimit-*`: an API key's limit.
    Limited(Box<crate::keys::Limited>),
    /// 503 for other temporary refusals (shutting down).
    Unavailable(String),
    /// 500; the detail is logged, the client sees a generic message.
    Internal(String),
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(name: &str, msg: impl Into<String>) -> ApiError {
        ApiError::Fields([(name.to_owned(), vec![msg.into()])].into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = |code: StatusCode, error: String| (code, Json(ErrorBody { error })).into_response();
        match self {
            ApiError::Fields(f) => (StatusCode::UNPROCESSABLE_ENTITY, Json(f)).into_response(),
            ApiError::BadRequest(m) => err(StatusCode::BAD_REQUEST, m),
            ApiError::Unauthorized => {
                err(StatusCode::UNAUTHORIZED, "authentication required: send the X-Auth-Token header".into())
            }
            ApiError::Forbidden => err(
                StatusCode::FORBIDDEN,
                "authorization required: send the X-Auth-User header (and the server must have an authorization token)"
                    .into(),
            ),
            ApiError::NotFound(m) => err(StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => err(StatusCode::CONFLICT, m),
            ApiError::TooLarge(max) => err(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than the server's limit of {max} bytes"),
            ),
            ApiError::QueueFull => err(StatusCode::SERVICE_UNAVAILABLE, "queue is full".into()),
            ApiError::Unavailable(m) => err(StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Limited(l) => {
                let l = *l;
                let mut r = err(StatusCode::TOO_MANY_REQUESTS, l.msg);
                r.headers_mut().extend(l.headers);
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, l.retry_after.into());
                r
            }
            ApiError::Busy { msg, retry_after } => {
                let mut r = err(StatusCode::SERVICE_UNAVAILABLE, msg);
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after.into());
                r
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error answering a request");
                err(StatusCode::INTERNAL_SERVER_ERROR, "internal server error".into())
            }
        }
    }
}

impl From<crate::admission::Refused> for ApiError {
    fn from(r: crate::admission::Refused) -> ApiError {
        ApiError::Busy { msg: r.msg, retry_after: r.retry_after }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        if unavailable(&e) {
            // Redis restarting or unreachable: nothing was accepted, and a
            // retry in a moment will likely work. A 503, not a 500.
            tracing::warn!(error = %e, "the job store is unavailable; answering 503");
            return ApiError::Busy { msg: "the job store is unavailable right now; retry".into(), retry_after: 1 };
        }
        ApiError::Internal(e.to_string())
    }
}

/// Whether the store failed for a while only (Redis down, restarting, loading its data).
fn unavailable(e: &crate::store::StoreError) -> bool {
    use redis::{ErrorKind, ServerErrorKind as S};
    let crate::store::StoreError::Redis { source, .. } = e else { return false };
    source.is_io_error()
        || source.is_connection_dropped()
        || source.is_connection_refusal()
        || source.is_timeout()
        || matches!(source.kind(), ErrorKind::Server(S::BusyLoading | S::TryAgain | S::MasterDown | S::ClusterDown))
}

impl From<crate::service::SubmitError> for ApiError {
    fn from(e: crate::service::SubmitError) -> ApiError {
        use crate::service::SubmitError as S;
        match e {
            S::QueueFull => ApiError::QueueFull,
            S::ShuttingDown => ApiError::Unavailable(e.to_string()),
            S::Store(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    fn answer(e: StoreError) -> Response {
        ApiError::from(e).into_response()
    }

    #[test]
    fn a_store_that_is_down_or_loading_is_a_503_with_retry_after() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let loading = (redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading), "loading the dataset");
        for source in [redis::RedisError::from(refused), redis::RedisError::from(loading)] {
            let r = answer(StoreError::Redis { op: "enqueue", source });
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(r.headers().get("retry-after").unwrap(), "1");
        }
        let broken = (redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError), "WRONGTYPE");
        let r = answer(StoreError::Redis { op: "enqueue", source: broken.into() });
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "a failure that retrying will not fix");
        let r = answer(StoreError::Corrupt { token: "t".into(), why: "bad".into() });
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
