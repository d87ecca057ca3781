//! A hello-world axum server on 127.0.0.1, the baseline `flitt sandbox` is compared with under
//! an outside load generator (`wrk`, in `scripts/measure-throughput.sh`).
//!
//! ```text
//! hello_server SECONDS   # serves POST /hello for SECONDS, after printing its URL
//! ```
//!
//! It runs as `flitt sandbox` does, so the two differ by their handlers only: the same runtime
//! (multi-threaded, a worker per core) and the same global allocator (mimalloc, as the `flitt`
//! binary). The `throughput` example keeps the system allocator: its Rust client is measured
//! as an application that links the SDK and chooses no allocator runs it.

use std::time::Duration;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let seconds = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [s] => s.parse::<u64>().ok().filter(|s| (1..=3600).contains(s)),
        _ => None,
    };
    let Some(seconds) = seconds else {
        eprintln!("usage: hello_server SECONDS (1 to 3600)");
        std::process::exit(2);
    };
    if let Err(e) = serve(seconds).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Serves the hello-world handler for `seconds`, after printing its URL.
async fn serve(seconds: u64) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("http://{}/hello", listener.local_addr()?);
    let app = axum::Router::new().route("/hello", axum::routing::post(|| async { "hello" }));
    let _ = tokio::time::timeout(Duration::from_secs(seconds), axum::serve(listener, app)).await;
    Ok(())
}
