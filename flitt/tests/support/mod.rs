//! A scripted HTTP/1.1 server on 127.0.0.1 for the client's tests: each request gets the next
//! scripted action (a reply, a hang, a dropped connection, a truncated body, an endless one),
//! and every request is recorded. Real sockets, real HTTP: the client under test is not mocked.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Action {
    /// Replies with this status, content type and body.
    Reply {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// Reads the request, then says nothing for this long (past the client's timeout).
    Hang(Duration),
    /// Reads the request, then closes the connection without a reply.
    Drop,
    /// Announces `body.len() + 100` bytes, sends `body`, and closes.
    Truncate(Vec<u8>),
    /// A 200 JSON reply without end: announced as `declared` bytes, or chunked when `None`;
    /// sent as fast as the client reads, until `budget` bytes or the client goes. What was
    /// sent is added to `sent`.
    Flood {
        declared: Option<u64>,
        budget: usize,
        sent: Arc<AtomicUsize>,
    },
}

impl Action {
    /// A 200 JSON reply.
    pub fn json(body: serde_json::Value) -> Self {
        Action::Reply {
            status: 200,
            content_type: "application/json; charset=utf-8",
            body: body.to_string().into_bytes(),
        }
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }
}

/// A running scripted server.
pub struct ScriptServer {
    pub url: String,
    script: Arc<Mutex<VecDeque<Action>>>,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl ScriptServer {
    /// Starts a server on a free port with these actions, in order. When the script runs out,
    /// requests get HTTP 599 so a test notices an unexpected extra request.
    pub async fn start(actions: impl IntoIterator<Item = Action>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(actions.into_iter().collect::<VecDeque<_>>()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (script.clone(), requests.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (s, r) = (s.clone(), r.clone());
                tokio::spawn(async move {
                    let Some(recorded) = read_request(&mut socket).await else {
                        return;
                    };
                    r.lock().unwrap().push(recorded);
                    let action = s.lock().unwrap().pop_front().unwrap_or(Action::Reply {
                        status: 599,
                        content_type: "text/plain",
                        body: b"script exhausted".to_vec(),
                    });
                    match action {
                        Action::Reply {
                            status,
                            content_type,
                            body,
                        } => {
                            let head = format!(
                                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            let _ = socket.write_all(&body).await;
                        }
                        Action::Hang(d) => tokio::time::sleep(d).await,
                        Action::Drop => {}
                        Action::Truncate(body) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len() + 100
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            let _ = socket.write_all(&body).await;
                        }
                        Action::Flood {
                            declared,
                            budget,
                            sent,
                        } => flood(&mut socket, declared, budget, &sent).await,
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            url,
            script,
            requests,
        }
    }

    /// Requests received so far.
    pub fn received(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn flood(
    socket: &mut tokio::net::TcpStream,
    declared: Option<u64>,
    budget: usize,
    sent: &AtomicUsize,
) {
    let framing = match declared {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n\r\n");
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    const START: &[u8] = b"{\"response\":{\"order_id\":\"";
    let mut piece = vec![b'7'; 64 * 1024];
    piece[..START.len()].copy_from_slice(START);
    let mut total = 0;
    while total < budget {
        let written = match declared {
            Some(_) => socket.write_all(&piece).await,
            None => {
                let frame = [format!("{:x}\r\n", piece.len()).as_bytes(), &piece, b"\r\n"].concat();
                socket.write_all(&frame).await
            }
        };
        if written.is_err() {
            return;
        }
        total += piece.len();
        sent.fetch_add(piece.len(), Ordering::Relaxed);
        piece[..START.len()].fill(b'7');
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        path,
        content_type: header("content-type"),
        body: buf[head_end..].to_vec(),
    })
}
