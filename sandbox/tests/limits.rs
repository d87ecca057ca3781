//! The server's bounds over real sockets on 127.0.0.1: slow heads and bodies are cut, idle
//! kept-alive connections are closed, the connection limit makes newcomers wait, and oversized
//! bodies get a Flitt-style refusal.

mod common;

use common::*;
use flitt_sandbox::Sandbox;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (`limit` at most, else panics). Returns what
/// was read and how long it took.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server did not close the connection within {limit:?}"));
    (got, start.elapsed())
}

fn json_body(reply: &[u8]) -> Value {
    serde_json::from_slice(body_of(reply)).unwrap_or_else(|_| {
        panic!("a JSON body: {:?}", String::from_utf8_lossy(reply));
    })
}

#[tokio::test]
async fn a_stalled_request_head_is_closed_within_the_header_timeout() {
    let sandbox = Sandbox::builder()
        .header_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut s = TcpStream::connect(addr(sandbox.url())).await.unwrap();
    s.write_all(b"POST /api/status/order_id HTT").await.unwrap();
    let (got, took) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(
        took >= Duration::from_millis(250),
        "closed too early: {took:?}"
    );
    // Nothing useful is sent back: at most a 408 head, never a served request.
    assert!(!got.starts_with(b"HTTP/1.1 200"), "{got:?}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let sandbox = Sandbox::builder()
        .header_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut s = TcpStream::connect(addr(sandbox.url())).await.unwrap();
    // A whole request on a kept-alive connection, served normally.
    let body = status_body("nope");
    let req = format!(
        "POST /api/status/order_id HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let (got, took) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
    assert_eq!(json_body(&got)["response"]["error_code"], json!(1018));
    // Then idle: closed after about the header timeout.
    assert!(took >= Duration::from_millis(250), "{took:?}");
}

#[tokio::test]
async fn a_body_that_stalls_is_cut_with_a_flitt_error() {
    let sandbox = Sandbox::builder()
        .body_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut s = TcpStream::connect(addr(sandbox.url())).await.unwrap();
    s.write_all(
        b"POST /api/status/order_id HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000\r\n\r\n{\"request\": {",
    )
    .await
    .unwrap();
    let (got, took) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(took >= Duration::from_millis(250), "{took:?}");
    let r = &json_body(&got)["response"];
    assert_eq!(r["response_status"], json!("failure"));
    assert_eq!(r["error_code"], json!(1005));
}

#[tokio::test]
async fn an_oversized_body_gets_a_flitt_error() {
    let sandbox = Sandbox::builder()
        .max_body_bytes(1024)
        .start()
        .await
        .unwrap();
    let addr = addr(sandbox.url());
    let big = format!(r#"{{"request": {{"order_id": "{}"}}}}"#, "x".repeat(4000));
    // Declared by Content-Length.
    let (got, _) = raw(&addr, "/api/status/order_id", &big).await;
    assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
    let r = &json_body(&got)["response"];
    assert_eq!(r["response_status"], json!("failure"));
    assert_eq!(r["error_code"], json!(1005));
    assert!(r["error_message"].as_str().unwrap().contains("1024 bytes"));
    assert!(r["request_id"].as_str().is_some_and(|id| !id.is_empty()));
    // Chunked, with no length up front.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let chunked = format!(
        "POST /api/status/order_id HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    s.write_all(chunked.as_bytes()).await.unwrap();
    let (got, _) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert_eq!(json_body(&got)["response"]["error_code"], json!(1005));
    // A body under the limit is served as before.
    let (got, _) = raw(&addr, "/api/status/order_id", &status_body("small")).await;
    assert_eq!(json_body(&got)["response"]["error_code"], json!(1018));
}

#[tokio::test]
async fn past_the_connection_limit_a_client_waits_until_one_closes() {
    let sandbox = Sandbox::builder()
        .max_connections(8)
        .header_read_timeout(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let addr = addr(sandbox.url());
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Let the server accept all eight.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ninth = tokio::spawn({
        let addr = addr.clone();
        async move {
            let started = Instant::now();
            let (got, _) = raw(&addr, "/api/status/order_id", &status_body("n")).await;
            (got, started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !ninth.is_finished(),
        "served while eight connections were open"
    );
    drop(idle.pop());
    let (got, took) = tokio::time::timeout(Duration::from_secs(3), ninth)
        .await
        .expect("served within 3 s of a slot freeing")
        .unwrap();
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert_eq!(json_body(&got)["response"]["error_code"], json!(1018));
}
