//! The request timeout: no request waits forever.
//!
//! Every outbound call has its own bound (PostgreSQL acquire and statement
//! timeouts, Redis command timeouts), but a handler can still await
//! something that never completes — a lost wake-up, a bug. Here the whole
//! request is bounded: past the limit its handler is dropped, the client
//! gets a 503 with `Retry-After` at once, and the log names the route.
//!
//! tower-http's `TimeoutLayer` answers with an empty body and no
//! `Retry-After`, and does not say which request it cut off; these few
//! lines do all three.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use app::error::AppError;

/// Seconds a client is asked to wait before trying again.
const RETRY_AFTER_SECS: u64 = 5;

/// Answers 503 when the rest of the stack has not produced a response
/// within `limit`. Streamed bodies (server-sent events) are bounded only
/// until their headers.
pub async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(%method, %path, limit_ms = limit.as_millis() as u64,
                "request timed out; answered 503");
            let mut res = crate::middleware::error_response(&AppError::Unavailable);
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            res
        }
    }
}
