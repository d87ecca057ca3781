//! `flitt sandbox` logs a line per request to stderr, in batches. A log it cannot write (a
//! full disk, a reader gone, a pipe nobody reads) must never stop it answering nor keep it
//! from ending: the lines are dropped, counted when stderr moves again, the requests served.

mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the sandbox process when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `flitt sandbox` with `stderr`; its address, the process, and its stdout (kept open:
/// the sandbox writes more to it).
fn start(stderr: Stdio) -> (String, Running, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flitt"))
        .arg("sandbox")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let running = Running(child);
    let url = common::sandbox_url(&mut lines);
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    (addr.to_owned(), running, lines)
}

/// One status lookup (unsigned, so refused, and logged like any request); the HTTP status.
fn status_lookup(addr: &str) -> String {
    let body = r#"{"request":{"merchant_id":1549901,"order_id":"log-test","signature":"x"}}"#;
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /api/status/order_id HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply.lines().next().unwrap_or_default().to_owned()
}

/// Enough requests to fill the log's batch (64 KiB) several times over, with pauses that let
/// its timer write too; every one must be answered.
fn serves_through_a_failing_log(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for round in 0..4 {
        for _ in 0..400 {
            assert!(Instant::now() < deadline, "too slow: the sandbox stalls");
            assert_eq!(status_lookup(addr), "HTTP/1.1 200 OK", "round {round}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_log_on_a_full_disk_never_stops_the_sandbox() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let (addr, running, stdout) = start(Stdio::from(full));
    serves_through_a_failing_log(&addr);
    drop(running);
    drop(stdout);
}

#[test]
fn a_log_whose_reader_is_gone_never_stops_the_sandbox() {
    let (addr, mut running, stdout) = start(Stdio::piped());
    // The read end closed: every write to stderr now fails (EPIPE).
    drop(running.0.stderr.take());
    serves_through_a_failing_log(&addr);
    assert!(
        running.0.try_wait().unwrap().is_none(),
        "the sandbox exited"
    );
    drop(running);
    drop(stdout);
}

/// Sends SIGTERM and waits (20 s at most) for the process to end; its status.
fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let start = Instant::now();
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    while start.elapsed() < Duration::from_secs(20) {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the sandbox did not end within 20 s of SIGTERM");
}

#[test]
fn a_log_nobody_reads_never_stops_the_sandbox_nor_keeps_it_from_ending() {
    let (addr, mut running, stdout) = start(Stdio::piped());
    // The pipe stays open and unread: once it holds 64 KiB, every write to it waits.
    let _unread = running.0.stderr.take();
    serves_through_a_failing_log(&addr);
    let status = terminate(&mut running.0);
    assert!(status.success(), "{status}");
    drop(stdout);
}

#[test]
fn lines_dropped_while_nobody_read_are_counted_once_stderr_moves_again() {
    let (addr, mut running, stdout) = start(Stdio::piped());
    let mut stderr = running.0.stderr.take().unwrap();
    // More lines than the pipe (Linux's 64 KiB) and the log's buffer (256 KiB) hold together.
    serves_through_a_failing_log(&addr);
    for _ in 0..2_400 {
        assert_eq!(status_lookup(&addr), "HTTP/1.1 200 OK");
    }
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    std::thread::sleep(Duration::from_millis(500));
    let status = terminate(&mut running.0);
    assert!(status.success(), "{status}");
    let log = reader.join().unwrap();
    let dropped = log
        .lines()
        .find_map(|l| {
            l.strip_prefix("flitt sandbox: ")?
                .strip_suffix(" log line(s) dropped: stderr was not being read")
        })
        .unwrap_or_else(|| panic!("no note of dropped lines in {} lines", log.lines().count()));
    let dropped: usize = dropped.parse().unwrap();
    let served = log.matches("POST /api/status/order_id").count();
    assert_eq!(
        served + dropped,
        1_600 + 2_400,
        "every line written or counted"
    );
    assert!(dropped > 0 && served > 0);
    // Whole lines only, and the stop said last.
    assert!(
        log.lines()
            .all(|l| l.contains("INFO flitt_sandbox::access: POST")
                || l.starts_with("flitt sandbox: ")
                || l == "Flitt sandbox stopped (SIGTERM)"),
        "a broken line in the log"
    );
    assert_eq!(log.lines().last(), Some("Flitt sandbox stopped (SIGTERM)"));
    drop(stdout);
}
