//! Stderr for `flitt sandbox`'s log, written by a thread of its own so that a request never
//! waits on stderr.
//!
//! A line goes into a buffer; the thread writes the buffer out in one `write` once it holds
//! [`WRITE_AT`] bytes, at least every [`EVERY`], and when the sandbox stops. Only that thread
//! ever writes, outside the buffer's lock, so when stderr stalls (a pipe nobody reads, a
//! stopped terminal) the requests go on: lines that find the buffer full ([`CAPACITY`]) are
//! dropped, and how many is said on stderr once it moves again. Lines come out whole and in
//! order.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Bytes held before the thread is woken to write them.
const WRITE_AT: usize = 64 * 1024;
/// Bytes held at most: about 2,000 access lines waiting on a stalled stderr.
const CAPACITY: usize = 256 * 1024;
/// The longest a line waits in the buffer while stderr keeps up.
const EVERY: Duration = Duration::from_millis(100);

/// The log's handle: cheap to clone, one per writer.
#[derive(Clone)]
pub struct StderrLog(Arc<Shared>);

struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the thread: a full enough buffer, or the stop.
    wake: Condvar,
    /// Wakes [`StderrLog::stop`]: the thread wrote everything after the stop.
    done: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Lines dropped since the thread last took the buffer.
    dropped: u64,
    /// The thread was woken for the bytes it has not taken yet (no second wake-up call).
    woken: bool,
    /// [`StderrLog::stop`] was called: the thread writes what is left and ends.
    stopping: bool,
    /// No thread writes: it ended after the stop, or it could not be started (then, and only
    /// then, lines are written by whoever logs them).
    finished: bool,
}

impl StderrLog {
    /// The log, and its thread. Without a thread (none could be started), lines go out as
    /// they come, on the caller's thread.
    pub fn start() -> Self {
        let log = Self(Arc::new(Shared {
            pending: Mutex::default(),
            wake: Condvar::new(),
            done: Condvar::new(),
        }));
        let writer = log.clone();
        let started = std::thread::Builder::new()
            .name("flitt-log".into())
            .spawn(move || writer.run());
        if started.is_err() {
            log.pending().finished = true;
        }
        log
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.0
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The thread: takes what the buffer holds and writes it, until the stop.
    fn run(&self) {
        loop {
            let (bytes, dropped, stopping) = {
                let mut p = self.pending();
                if !p.stopping && p.bytes.len() < WRITE_AT {
                    p = self
                        .0
                        .wake
                        .wait_timeout(p, EVERY)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                p.woken = false;
                (
                    std::mem::take(&mut p.bytes),
                    std::mem::take(&mut p.dropped),
                    p.stopping,
                )
            };
            write_stderr(&bytes, dropped);
            if stopping {
                let mut p = self.pending();
                if p.bytes.is_empty() {
                    p.finished = true;
                    self.0.done.notify_all();
                    return;
                }
            }
        }
    }

    /// Writes out what is left, and `last` after it, waiting for stderr at most `patience`: a
    /// stalled stderr must not keep the process from ending.
    pub fn stop(&self, last: &str, patience: Duration) {
        let deadline = Instant::now() + patience;
        let mut p = self.pending();
        p.bytes.extend_from_slice(last.as_bytes());
        p.bytes.push(b'\n');
        if p.finished {
            // No thread: write it here.
            let (bytes, dropped) = (std::mem::take(&mut p.bytes), p.dropped);
            drop(p);
            write_stderr(&bytes, dropped);
            return;
        }
        p.stopping = true;
        self.0.wake.notify_all();
        while !p.finished {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            p = self
                .0
                .done
                .wait_timeout(p, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Writes `bytes`, then a note of the `dropped` lines that came after them, when there were
/// any (lines are dropped only once the buffer is full). Best effort: with stderr gone there
/// is nowhere else to say it.
fn write_stderr(bytes: &[u8], dropped: u64) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes);
    if dropped > 0 {
        let _ = writeln!(
            err,
            "flitt sandbox: {dropped} log line(s) dropped: stderr was not being read"
        );
    }
    let _ = err.flush();
}

impl Write for StderrLog {
    /// Takes one whole line (tracing writes each event in one call); drops it when the
    /// buffer is full. Never waits for stderr.
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut p = self.pending();
        if p.finished && !p.stopping {
            drop(p);
            write_stderr(line, 0);
        } else if p.bytes.len() + line.len() > CAPACITY {
            p.dropped += 1;
        } else {
            p.bytes.extend_from_slice(line);
            if p.bytes.len() >= WRITE_AT && !p.woken {
                p.woken = true;
                self.0.wake.notify_one();
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
