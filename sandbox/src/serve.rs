//! The accept loop: HTTP/1.1 on 127.0.0.1 with the bounds `axum::serve` does not have.
//!
//! - **Connections**: at most [`Config::max_connections`](crate::Config) at once. When all are
//!   taken the loop stops accepting: a new connection waits in the kernel's listen backlog (its
//!   `connect` succeeds, its request waits) until one closes, and is then served. Nothing is
//!   refused while the backlog has room.
//! - **Request heads**: a request line and headers must arrive within
//!   [`Config::header_read_timeout`](crate::Config), or the connection is closed without a
//!   reply (hyper's `header_read_timeout`, on tokio's timer).
//! - **Idle keep-alive**: between requests hyper waits for the next head under the same
//!   timeout, so an idle kept-alive connection is closed after
//!   [`Config::header_read_timeout`](crate::Config) too.
//! - **Request bodies**: read within [`Config::body_read_timeout`](crate::Config) and up to
//!   [`Config::max_body_bytes`](crate::Config), by [`RequestBody`]; past either, the reply is a
//!   Flitt-style error (1005) and the connection is closed.
//!
//! - **Paths**: trailing slashes are removed before routing, so every route answers with and
//!   without one, as the gateway does (the official SDKs send `/api/checkout/url/`).
//!
//! Dropping the [`Sandbox`](crate::Sandbox) aborts this loop and, with it, every open
//! connection.

use crate::State;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

/// The connection bounds the loop enforces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) max_body_bytes: usize,
}

/// A handle on the connection a request came on, put in each request's extensions: a handler
/// can reset the connection (the `ConnectionReset` fault).
#[derive(Clone, Debug, Default)]
pub(crate) struct Connection {
    reset: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Connection {
    /// Closes the connection at once with a TCP reset, whatever is buffered.
    pub(crate) fn reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
}

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, app: Router, limits: Limits) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = accept(&listener, &permits) => {
                let Some((stream, permit)) = accepted else { continue };
                let app = app.clone();
                connections.spawn(async move {
                    connection(stream, app, limits).await;
                    drop(permit);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Waits for a free slot, then for a connection. `None` after an accept error (out of file
/// descriptors, a connection reset before it was accepted), after a short pause so such
/// errors do not spin the loop.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> Option<(TcpStream, tokio::sync::OwnedSemaphorePermit)> {
    let permit = permits.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => Some((stream, permit)),
        Err(_) => {
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Serves one connection until it closes, times out, or a handler resets it.
async fn connection(stream: TcpStream, app: Router, limits: Limits) {
    let _ = stream.set_nodelay(true);
    let handle = Connection::default();
    let io = TokioIo::new(Resettable {
        stream,
        reset: handle.reset.clone(),
    });
    let per_request = handle.clone();
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(per_request.clone());
        if let Some(uri) = without_trailing_slash(request.uri()) {
            *request.uri_mut() = uri;
        }
        let mut app = app.clone();
        async move { tower_service::Service::call(&mut app, request).await }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        // A reply (head and a body of about 2 KiB) copied into one buffer and written with one
        // `write`, not a `writev` of its pieces: 2.7% less CPU per status lookup (median of 6
        // alternating runs under `wrk -t2 -c32`, 44.5 -> 43.3 us), the same instructions.
        .writev(false);
    let served = http.serve_connection(io, service);
    tokio::select! {
        _ = served => {}
        () = handle.notify.notified() => {
            // Dropping `served` drops the socket; `Resettable` makes that a reset.
        }
    }
}

/// The request's URI with its path's trailing slashes removed (`/api/status/order_id/` →
/// `/api/status/order_id`), or `None` when it has none or is just `/`. Every official SDK
/// ends its paths with `/` (the Python SDK's Reports API token path does not), docs.flitt.com
/// mostly shows them without: the gateway takes both, so every route answers both.
fn without_trailing_slash(uri: &axum::http::Uri) -> Option<axum::http::Uri> {
    let path = uri.path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || trimmed.is_empty() {
        return None;
    }
    let path_and_query = match uri.query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    axum::http::Uri::from_parts(parts).ok()
}

/// A TCP stream that, once asked to, closes with a reset (`SO_LINGER` 0) instead of a FIN.
struct Resettable {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for Resettable {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for Resettable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Resettable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// A request body read within the body timeout and up to the size limit. Past either, the
/// request is refused with a Flitt-style error: `error_code` 1005 (Invalid format, the
/// closest of Flitt's codes: the request could not be read as one), HTTP 200 as Flitt sends
/// refusals, and `Connection: close`, since the rest of the body was not read.
pub(crate) struct RequestBody(pub(crate) Bytes);

impl FromRequest<Arc<State>> for RequestBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<State>) -> Result<Self, Response> {
        let limits = state.limits;
        let max = limits.max_body_bytes;
        let note = request.extensions().get::<crate::access::Note>().cloned();
        let refused = |message: String| {
            if let Some(note) = &note {
                note.result("(body refused)".into());
            }
            refusal(message)
        };
        let declared = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max as u64) {
            return Err(refused(format!(
                "Invalid format: the request body is larger than {max} bytes"
            )));
        }
        let mut stream = request.into_body().into_data_stream();
        let read = async {
            let mut body = Vec::new();
            loop {
                let next = std::future::poll_fn(|cx| {
                    futures_core::Stream::poll_next(Pin::new(&mut stream), cx)
                })
                .await;
                match next {
                    None => return Ok(Bytes::from(body)),
                    Some(Err(_)) => {
                        return Err("Invalid format: the request body could not be read".into());
                    }
                    Some(Ok(chunk)) => {
                        if body.len() + chunk.len() > max {
                            return Err(format!(
                                "Invalid format: the request body is larger than {max} bytes"
                            ));
                        }
                        body.extend_from_slice(&chunk);
                    }
                }
            }
        };
        match tokio::time::timeout(limits.body_read_timeout, read).await {
            Ok(Ok(body)) => Ok(Self(body)),
            Ok(Err(message)) => Err(refused(message)),
            Err(_) => Err(refused(format!(
                "Invalid format: the request body did not arrive within {} ms",
                limits.body_read_timeout.as_millis()
            ))),
        }
    }
}

/// A Flitt-style JSON refusal (1005) that closes the connection.
fn refusal(message: String) -> Response {
    let mut response = crate::http::json_error(flitt::api::ResponseCode::InvalidFormat, message);
    response.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response.into_response()
}
