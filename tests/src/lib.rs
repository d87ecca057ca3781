//! Helpers shared by the cross-crate tests in `tests/`, and the fuzzer.

pub mod fuzz;

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One HTTP request a [`Recorder`] received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, …
    pub method: String,
    /// The request target, e.g. `/thanks`.
    pub path: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, exactly as received.
    pub body: Vec<u8>,
}

/// How a [`Recorder`] answers: a status line (`"200 OK"`) and an HTML body. A 3xx answer
/// carries a `Location` elsewhere, to prove it is not followed.
pub type Answer = (&'static str, String);

/// A small HTTP/1.1 server on 127.0.0.1 standing in for a merchant's site: it records every
/// request and answers each as its script says.
pub struct Recorder {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A reply of any shape: status line (`"200 OK"`), `Content-Type` and body bytes.
pub struct RawAnswer {
    /// The status line after `HTTP/1.1 `.
    pub status: &'static str,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl Recorder {
    /// Binds a free port and serves until the runtime ends.
    pub async fn start(mut answer: impl FnMut(&Received) -> Answer + Send + 'static) -> Self {
        Self::start_raw(move |request| {
            let (status, html) = answer(request);
            RawAnswer {
                status,
                content_type: "text/html; charset=utf-8",
                body: html.into_bytes(),
            }
        })
        .await
    }

    /// As [`Recorder::start`], answering with any content type and body (a test gateway).
    pub async fn start_raw(answer: impl FnMut(&Received) -> RawAnswer + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        // Each connection is served on its own task, and a request that does not arrive whole
        // within 30 s is dropped: an idle connection a browser opens ahead of time must not
        // hold up the others.
        let answer = Arc::new(Mutex::new(answer));
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (answer, store) = (answer.clone(), store.clone());
                tokio::spawn(async move {
                    let read = read_request(&mut socket);
                    let Ok(Some(request)) =
                        tokio::time::timeout(std::time::Duration::from_secs(30), read).await
                    else {
                        return;
                    };
                    let reply = (answer.lock().unwrap())(&request);
                    store.lock().unwrap().push(request);
                    let location = if reply.status.starts_with('3') {
                        "Location: http://127.0.0.1:9/elsewhere\r\n"
                    } else {
                        ""
                    };
                    let head = format!(
                        "HTTP/1.1 {}\r\n{location}Content-Type: {}\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        reply.status,
                        reply.content_type,
                        reply.body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&reply.body).await;
                });
            }
        });
        Self { url, received }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Reads one request (head and `Content-Length` body); `None` if the peer gave up first.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let header = |name: &str| {
            head.lines().skip(1).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if buf.len() < end + 4 + length {
            continue;
        }
        let mut start = head.lines().next().unwrap_or("").split(' ');
        return Some(Received {
            method: start.next().unwrap_or("").to_owned(),
            path: start.next().unwrap_or("").to_owned(),
            content_type: header("content-type"),
            body: buf[end + 4..end + 4 + length].to_vec(),
        });
    }
}

/// Posts a form as a browser would (`http://` URLs only) and returns the raw reply, head and
/// body, without following anything.
pub async fn post_form(url: &str, body: &str) -> String {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// A client of the sandbox's test merchant (both keys) with `timeout` and quick retries of
/// reads (3 attempts, 5–20 ms apart), as the end-to-end tests use it.
pub fn sandbox_client(
    sandbox: &flitt_sandbox::Sandbox,
    timeout: std::time::Duration,
) -> flitt::Client {
    use std::time::Duration;
    flitt::Client::builder(flitt_sandbox::MERCHANT_ID, flitt_sandbox::SECRET_KEY)
        .credit_key(flitt_sandbox::CREDIT_KEY)
        .api_url(sandbox.url())
        .timeout(timeout)
        .retry_policy(flitt::client::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
        .build()
        .expect("a client of the sandbox")
}

/// An in-memory writer for a `tracing` subscriber: every log line a test produced, to search
/// for leaked secrets.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where `secret` appears in `text` as a whole token: not inside a longer run of letters and
/// digits. A three-digit CVV is otherwise found by chance in a timestamp's microseconds or a
/// port.
pub fn find_token(text: &str, secret: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let alnum = |i: Option<usize>| {
        i.and_then(|i| bytes.get(i))
            .is_some_and(u8::is_ascii_alphanumeric)
    };
    text.match_indices(secret)
        .map(|(at, _)| at)
        .find(|&at| !alnum(at.checked_sub(1)) && !alnum(Some(at + secret.len())))
}

/// An official SDK's flows script, run against a sandbox: the program, the script, and the
/// environment variable that points at the installed SDK (set by `.ci/run`: then the script
/// must run, and a skip is a failure).
pub struct SdkPeer {
    /// For messages: "Python", "Node.js".
    pub name: &'static str,
    /// `python3`, `node`.
    pub program: &'static str,
    /// The script's path; it takes the sandbox URL and exits 0 ("all flows completed") or 3
    /// (the SDK cannot be loaded: skipped).
    pub script: &'static str,
    /// `FLITT_PY_SDK`, `FLITT_NODE_SDK`.
    pub sdk_var: &'static str,
    /// The variable through which the program finds the SDK, and the path under the SDK's
    /// folder it points at (`PYTHONPATH` and `""`; `NODE_PATH` and `node_modules`).
    pub search_path: (&'static str, &'static str),
}

/// Runs `peer`'s flows against the sandbox at `url` (at most 300 s) and asserts they all
/// completed; a skip (no program, no SDK) passes only when `peer.sdk_var` is unset.
pub fn run_sdk_peer(peer: &SdkPeer, url: &str) {
    use std::process::Command;
    let mut cmd = Command::new(peer.program);
    cmd.arg(peer.script).arg(url);
    let required = std::env::var_os(peer.sdk_var);
    if let Some(path) = &required {
        let (var, under) = peer.search_path;
        cmd.env(var, std::path::Path::new(path).join(under));
    }
    let (name, var) = (peer.name, peer.sdk_var);
    let output = match run_bounded(cmd, std::time::Duration::from_secs(300)) {
        Ok(Some(o)) => o,
        Ok(None) => panic!("the {name} flows did not finish within 300 s"),
        Err(e) => {
            assert!(
                required.is_none(),
                "{var} is set but {} fails: {e}",
                peer.program
            );
            eprintln!("skipped: {} is not available ({e})", peer.program);
            return;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    match output.status.code() {
        Some(0) => assert!(text.contains("all flows completed"), "{text}"),
        Some(3) => {
            assert!(required.is_none(), "{var} is set but: {text}");
            eprintln!("skipped: {text}");
        }
        _ => panic!(
            "the official {name} SDK failed against the sandbox:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// Runs `cmd` to its end, or kills it after `limit` (checked every 50 ms): `Ok(None)` then.
fn run_bounded(
    mut cmd: std::process::Command,
    limit: std::time::Duration,
) -> std::io::Result<Option<std::process::Output>> {
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = std::io::Read::read_to_end(&mut p, &mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let step = std::time::Duration::from_millis(50);
    let mut status = None;
    for _ in 0..=limit.as_millis() / step.as_millis() {
        if let Some(s) = child.try_wait()? {
            status = Some(s);
            break;
        }
        std::thread::sleep(step);
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        return Ok(None);
    };
    Ok(Some(std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }))
}
