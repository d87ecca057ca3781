//! The `flitt` binary's contract: output and exit status, as scripts rely on them.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn flitt(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flitt"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("FLITT_SECRET_KEY")
        .env_remove("FLITT_MERCHANT_ID")
        .env_remove("CLOUDIPSP_MERCHANT_ID")
        .env_remove("CLOUDIPSP_SECRETKEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Where the binary's stdout goes in the output-failure tests.
#[derive(Clone, Copy, Debug)]
enum Sink {
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A pipe whose read end is closed before the binary starts: EPIPE on every write (Rust
    /// ignores SIGPIPE).
    ClosedPipe,
}

/// Runs the binary with stdout going to `sink`; stderr is captured. Bounded: a run that has
/// not ended after 20 s is killed and reported as `None`.
fn flitt_into(
    sink: Sink,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
) -> (Option<std::process::ExitStatus>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flitt"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("FLITT_SECRET_KEY")
        .env_remove("FLITT_MERCHANT_ID");
    for (k, v) in env {
        cmd.env(k, v);
    }
    match sink {
        Sink::Full => {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            cmd.stdout(Stdio::from(full));
        }
        Sink::ClosedPipe => {
            // The read end goes to a process that exits at once, before ours starts, so no
            // write can win a race against the close.
            let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
            let write_end = reader.stdin.take().unwrap();
            reader.wait().unwrap();
            cmd.stdout(Stdio::from(write_end));
        }
    }
    let mut child = cmd.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (status, reader.join().unwrap())
}

/// The binary reported an output failure: ended, with status 7, and without a panic.
fn assert_output_failure(
    what: &str,
    (status, stderr): &(Option<std::process::ExitStatus>, String),
) {
    let status = status.unwrap_or_else(|| panic!("{what}: still running after 20 s"));
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(status.code(), Some(7), "{what}: {stderr}");
    assert!(stderr.contains("cannot write"), "{what}: {stderr}");
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

const START: &str = r#"{"order_id":"test_subscription11","merchant_id":1549901,"action":"start"}"#;
const P2P: &str = r#"{"order_id":"test_1234312142","merchant_id":"1549901","order_desc":"Test order","amount":1000,"currency":"GEL","receiver_rectoken":"I0wh7fBmFIdcY6K3Px2QugVrVR65sPafeZkPmRanOiRnXG","server_callback_url":"https://myserver.com/callback"}"#;

#[test]
fn sign_prints_the_published_vectors() {
    let o = flitt(&["sign", "--secret", "test"], START.as_bytes(), &[]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "a7adf395dae783a4676abbafe7f2479b2f6cfbca")
    );
    let o = flitt(&["sign", "--secret", "testcredit"], P2P.as_bytes(), &[]);
    assert_eq!(stdout(&o), "51e59ffd263d071da8e1a1fc10b981f459dbe6f1");
    let request: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../flitt/tests/fixtures/recurring_request.json"
    ))
    .unwrap();
    let o = flitt(
        &["sign", "--secret", "test"],
        request["request"].to_string().as_bytes(),
        &[],
    );
    assert_eq!(stdout(&o), "34cda2e7a60c5aee343515fde5deef5403f87f86");
}

#[test]
fn sign_jsonl_gives_one_line_per_object() {
    let input = format!("{START}\n{START}\n");
    let o = flitt(
        &["sign", "--secret", "test", "--jsonl"],
        input.as_bytes(),
        &[],
    );
    assert_eq!(stdout(&o).lines().count(), 2);
    assert!(
        stdout(&o)
            .lines()
            .all(|l| l == "a7adf395dae783a4676abbafe7f2479b2f6cfbca")
    );
}

#[test]
fn sign_refuses_what_cannot_be_signed_with_status_2() {
    for bad in [
        &b"[1,2]"[..],
        b"{\"a\":{\"b\":1}}",
        b"{\"a\":\"x|y\"}",
        b"not json",
    ] {
        let o = flitt(&["sign", "--secret", "test"], bad, &[]);
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(bad));
        assert!(!o.stderr.is_empty());
    }
}

#[test]
fn a_two_point_zero_envelope_verifies_back() {
    let o = flitt(
        &["sign", "--secret", "test", "--protocol", "2.0"],
        br#"{"order_id":"o","merchant_id":1549901}"#,
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    let envelope = stdout(&o);
    assert!(envelope.contains("\"version\":\"2.0\""));
    let o = flitt(&["verify", "--secret", "test"], envelope.as_bytes(), &[]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "valid"));
    let o = flitt(&["verify", "--secret", "other"], envelope.as_bytes(), &[]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(1), "invalid signature")
    );
}

/// Number texts that a parse through f64 or i64/u64 would rewrite.
const NUMBER_TEXTS: &[&str] = &[
    "10.10",
    "1E2",
    "-0",
    "18446744073709551616",
    "123456789012345678901234567890",
    "0.000001",
    "1.5e-7",
];

#[test]
fn sign_and_verify_agree_on_number_text() {
    for text in NUMBER_TEXTS {
        let params = format!(r#"{{"amount":{text},"order_id":"o-1"}}"#);
        let o = flitt(&["sign", "--secret", "test"], params.as_bytes(), &[]);
        assert_eq!(o.status.code(), Some(0), "{text}");
        let expected = {
            let mut s = flitt::signature::Signer::new(&flitt::signature::SecretKey::new("test"));
            s.push(text);
            s.push("o-1");
            s.finish()
        };
        assert_eq!(
            stdout(&o),
            expected.as_str(),
            "signed by its exact text: {text}"
        );
        let body = format!(r#"{{"amount":{text},"order_id":"o-1","signature":"{expected}"}}"#);
        let o = flitt(&["verify", "--secret", "test"], body.as_bytes(), &[]);
        assert_eq!(
            (o.status.code(), stdout(&o).as_str()),
            (Some(0), "valid"),
            "{text}"
        );
    }
}

#[test]
fn a_two_point_zero_envelope_carries_the_exact_number_text() {
    use base64::Engine as _;
    for text in NUMBER_TEXTS {
        let params = format!(r#"{{"amount":{text},"merchant_id":1549901,"order_id":"o-1"}}"#);
        let o = flitt(
            &["sign", "--secret", "test", "--protocol", "2.0"],
            params.as_bytes(),
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{text}");
        let envelope: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let data = base64::engine::general_purpose::STANDARD
            .decode(envelope["data"].as_str().unwrap())
            .unwrap();
        let data = String::from_utf8(data).unwrap();
        assert!(
            data.contains(&format!("\"amount\":{text},")),
            "{text}: {data}"
        );
        let o = flitt(&["verify", "--secret", "test"], stdout(&o).as_bytes(), &[]);
        assert_eq!(
            (o.status.code(), stdout(&o).as_str()),
            (Some(0), "valid"),
            "{text}"
        );
    }
}

#[test]
fn verify_statuses() {
    let body = include_bytes!("../../flitt/tests/fixtures/recurring_response.json");
    let o = flitt(&["verify", "--secret", "test"], body, &[]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "valid"));
    let tampered = String::from_utf8_lossy(body).replace(
        "\"order_status\": \"approved\"",
        "\"order_status\": \"declined\"",
    );
    let o = flitt(&["verify", "--secret", "test"], tampered.as_bytes(), &[]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(1), "invalid signature")
    );
    let o = flitt(
        &["verify", "--secret", "test"],
        b"order_id=1&merchant_id=2",
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "no signature");
    for garbage in [
        &b""[..],
        b"\xff\xfe{",
        b"{\"response\":",
        b"<html>",
        b"{\"a\":[1]}",
    ] {
        let o = flitt(&["verify", "--secret", "test"], garbage, &[]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{:?}",
            String::from_utf8_lossy(garbage)
        );
    }
}

#[test]
fn verify_refuses_a_separator_in_a_value_as_malformed() {
    // Signed as {"a":"x","b":"y"}: the pre-hash text of {"a":"x|y"} too.
    let o = flitt(&["sign", "--secret", "test"], br#"{"a":"x","b":"y"}"#, &[]);
    let sig = stdout(&o);
    let split = format!(r#"{{"a":"x","b":"y","signature":"{sig}"}}"#);
    let o = flitt(&["verify", "--secret", "test"], split.as_bytes(), &[]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "valid"));
    for merged in [
        format!(r#"{{"a":"x|y","signature":"{sig}"}}"#),
        format!("a=x%7Cy&signature={sig}"),
    ] {
        let o = flitt(&["verify", "--secret", "test"], merged.as_bytes(), &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{merged}: {stderr}");
        assert!(
            stderr.contains("malformed") && stderr.contains("\"a\""),
            "{stderr}"
        );
        assert_eq!(stdout(&o), "");
    }
}

#[test]
fn verify_an_empty_signature_is_no_signature() {
    for body in [
        &br#"{"order_id":"o","signature":""}"#[..],
        br#"{"response":{"order_id":"o","signature":""}}"#,
        b"order_id=o&signature=",
    ] {
        let o = flitt(&["verify", "--secret", "test"], body, &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("no signature"), "{stderr}");
    }
}

#[test]
fn call_refuses_bad_parameters_before_sending() {
    // Nothing listens there: a request would fail with status 5, not 2.
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", "http://127.0.0.1:9"),
    ];
    for args in [
        &["call", "status/order_id"][..],
        &["call", "status/order_id", "order_id=a|b"],
        &["call", "status/order_id", "order_id=x", "colour=red"],
        &[
            "call",
            "capture/order_id",
            "order_id=x",
            "amount=ten",
            "currency=GEL",
        ],
        &["call", "no/such/path"],
    ] {
        let o = flitt(args, b"", &env);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = flitt(&["call", "status/order_id", "order_id=x"], b"", &env);
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A 127.0.0.1 server that counts the connections it gets and answers each with an HTTP 400,
/// so a request that does go out fails fast instead of waiting for a timeout.
struct Witness {
    url: String,
    count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Witness {
    fn new() -> Self {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        // Blocked in accept when the test ends; the process exit ends it.
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let _ = stream.read(&mut [0; 4096]);
                let _ = stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        Self { url, count }
    }

    fn connections(&self) -> usize {
        self.count.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[test]
fn call_refuses_client_supplied_parameters_and_sends_nothing() {
    let witness = Witness::new();
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", witness.url.as_str()),
    ];
    for (param, value) in [
        ("signature", "abc"),
        ("merchant_id", "1549901"),
        ("version", "1.0"),
    ] {
        let given = format!("{param}={value}");
        let o = flitt(
            &["call", "status/order_id", "order_id=x", &given],
            b"",
            &env,
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{given}: {stderr}");
        assert!(stderr.contains(&format!("`{param}`")), "{stderr}");
        assert!(stderr.contains("filled in by the client"), "{stderr}");
    }
    assert_eq!(witness.connections(), 0, "nothing was sent");
    // The witness does see a request that is sent.
    let o = flitt(&["call", "status/order_id", "order_id=x"], b"", &env);
    assert_eq!(
        o.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(witness.connections() >= 1);
}

#[test]
fn call_refuses_signed_or_zero_padded_numbers_and_sends_nothing() {
    let witness = Witness::new();
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", witness.url.as_str()),
    ];
    for amount in ["amount=+100", "amount=0100", "amount=-100", "amount= 100"] {
        let o = flitt(
            &[
                "call",
                "capture/order_id",
                "order_id=x",
                amount,
                "currency=GEL",
            ],
            b"",
            &env,
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{amount}: {stderr}");
        assert!(stderr.contains("`amount`"), "{stderr}");
    }
    let o = flitt(
        &[
            "call",
            "checkout/url",
            "order_desc=x",
            "amount=100",
            "currency=GEL",
            "lifetime=+60",
        ],
        b"",
        &env,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(witness.connections(), 0, "nothing was sent");
}

#[test]
fn call_against_the_sandbox() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(flitt_sandbox::Sandbox::start()).unwrap();
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", sandbox.url()),
    ];
    let o = flitt(
        &[
            "call",
            "checkout/url",
            "order_id=cli-1",
            "order_desc=CLI",
            "amount=100",
            "currency=GEL",
        ],
        b"",
        &env,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout(&o).contains("checkout_url"));
    let o = flitt(&["call", "status/order_id", "order_id=cli-1"], b"", &env);
    let reply: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(reply["order_status"], "created");
    let o = flitt(&["call", "status/order_id", "order_id=nope"], b"", &env);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("1018"));
}

#[test]
fn sign_and_verify_report_output_failures() {
    let signed = r#"{"order_id":"test_subscription11","merchant_id":1549901,"action":"start","signature":"a7adf395dae783a4676abbafe7f2479b2f6cfbca"}"#;
    for sink in [Sink::Full, Sink::ClosedPipe] {
        let run = flitt_into(sink, &["sign", "--secret", "test"], START.as_bytes(), &[]);
        assert_output_failure(&format!("sign into {sink:?}"), &run);
        let input = format!("{START}\n{START}\n");
        let run = flitt_into(
            sink,
            &["sign", "--secret", "test", "--jsonl"],
            input.as_bytes(),
            &[],
        );
        assert_output_failure(&format!("sign --jsonl into {sink:?}"), &run);
        let run = flitt_into(
            sink,
            &["verify", "--secret", "test"],
            signed.as_bytes(),
            &[],
        );
        assert_output_failure(&format!("verify into {sink:?}"), &run);
        // An invalid signature is reported as an output failure too: nothing is lost by it,
        // and the status is not 0 either way.
        let run = flitt_into(sink, &["verify", "--secret", "x"], signed.as_bytes(), &[]);
        assert_output_failure(&format!("verify (invalid) into {sink:?}"), &run);
        let run = flitt_into(sink, &["sign", "--help"], b"", &[]);
        assert_output_failure(&format!("sign --help into {sink:?}"), &run);
    }
}

#[test]
fn call_says_the_request_took_effect_when_its_reply_cannot_be_written() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(flitt_sandbox::Sandbox::start()).unwrap();
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", sandbox.url()),
    ];
    for (sink, order_id) in [(Sink::Full, "cli-full"), (Sink::ClosedPipe, "cli-pipe")] {
        let given = format!("order_id={order_id}");
        let run = flitt_into(
            sink,
            &[
                "call",
                "checkout/url",
                &given,
                "order_desc=x",
                "amount=100",
                "currency=GEL",
            ],
            b"",
            &env,
        );
        assert_output_failure(&format!("call into {sink:?}"), &run);
        assert!(run.1.contains("do not resend"), "{}", run.1);
        assert!(run.1.contains(order_id), "{}", run.1);
        // It did take effect.
        let o = flitt(&["call", "status/order_id", &given], b"", &env);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout(&o).contains("\"created\""), "{}", stdout(&o));
    }
}

#[test]
fn sandbox_stops_when_it_cannot_write_its_url() {
    for sink in [Sink::Full, Sink::ClosedPipe] {
        let run = flitt_into(sink, &["sandbox"], b"", &[]);
        assert_output_failure(&format!("sandbox into {sink:?}"), &run);
    }
}

#[test]
fn help_has_examples() {
    for sub in ["sign", "verify", "call"] {
        let o = flitt(&[sub, "--help"], b"", &[]);
        assert!(stdout(&o).contains("Example"), "{sub}");
    }
}

#[test]
fn report_checks_filters_before_sending_and_writes_csv() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(flitt_sandbox::Sandbox::start()).unwrap();
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", sandbox.url()),
        ("FLITT_REPORTS_URL", sandbox.url()),
        ("FLITT_REPORTS_APP_ID", "1019"),
        ("FLITT_REPORTS_KEY", "test"),
    ];
    for i in 0..12 {
        let o = flitt(
            &[
                "call",
                "checkout/url",
                &format!("order_desc=csv, \"row\" {i}"),
                "amount=100",
                "currency=GEL",
            ],
            b"",
            &env,
        );
        assert_eq!(o.status.code(), Some(0));
    }
    // An operator the field's type does not allow, an unknown field, a missing mandatory filter.
    for bad in [
        &["report", "745", "--filter", "amount:like:1"][..],
        &["report", "745", "--filter", "colour:=:red"],
        &["report", "745", "--filter", "order_status:=:created"],
    ] {
        let o = flitt(bad, b"", &env);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(sandbox.report_tokens_issued(), 0, "nothing was sent");
    let o = flitt(
        &[
            "report",
            "745",
            "--filter",
            "order_timestart:from:2000-01-01",
            "--page-size",
            "10",
        ],
        b"",
        &env,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let csv = stdout(&o);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("payment_id,order_timestart,"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 13, "a header and 12 rows over two pages");
    assert!(csv.contains("\"csv, \"\"row\"\" 3\""), "CSV quoting: {csv}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("12 of 12 rows"));
    let o = flitt(
        &[
            "report",
            "745",
            "--filter",
            "order_timestart:from:2000-01-01",
            "--format",
            "json",
        ],
        b"",
        &env,
    );
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 12);
    assert_eq!(rows[0]["order_status"], "created");
    for format in ["csv", "json"] {
        for sink in [Sink::Full, Sink::ClosedPipe] {
            let args = [
                "report",
                "745",
                "--filter",
                "order_timestart:from:2000-01-01",
                "--format",
                format,
            ];
            let run = flitt_into(sink, &args, b"", &env);
            assert_output_failure(&format!("report {format} into {sink:?}"), &run);
        }
    }
}

/// A one-reply-per-connection HTTP server on 127.0.0.1 that answers every request with
/// `reply` (status line, content type, body): a hostile gateway for the CLI.
fn hostile_gateway(status: &'static str, content_type: &'static str, body: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 65536];
            let mut seen = Vec::new();
            // Read the head and the announced body, then answer.
            loop {
                let n = std::io::Read::read(&mut stream, &mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    url
}

#[test]
fn call_never_prints_secrets_from_a_hostile_gateway() {
    const CARD: &str = "4444555511116666";
    let replies = [
        (
            "200 OK",
            "application/json",
            format!(
                r#"{{"response":{{"response_status":"failure","error_code":1007,"error_message":"card {CARD} cvv2=735 rectoken: tok9secret1"}}}}"#
            ),
        ),
        (
            "200 OK",
            "application/json",
            format!(
                r#"{{"response":{{"order_id":"o","rectoken":"tok9secret1","card_number":"{CARD}","cvv2":"7"#
            ),
        ),
        (
            "502 Bad Gateway",
            "text/html",
            "<html><p>Card 4444 5555 1111 6666, CVV2 735, rectoken=tok9secret1</p></html>"
                .to_owned(),
        ),
        (
            "200 OK",
            "application/x-www-form-urlencoded",
            format!("order_id=o&order_status=approved&rectoken=tok9secret1&card_number={CARD}"),
        ),
    ];
    for (status, content_type, body) in replies {
        let url = hostile_gateway(status, content_type, body);
        for args in [
            vec!["call", "status/order_id", "order_id=o"],
            vec![
                "call",
                "3dsecure_step1",
                "amount=100",
                "currency=GEL",
                "order_desc=x",
                "card_number=4444555511116666",
                "cvv2=735",
                "expiry_date=1230",
            ],
        ] {
            let o = flitt(
                &args,
                b"",
                &[
                    ("FLITT_MERCHANT_ID", "1549901"),
                    ("FLITT_SECRET_KEY", "test"),
                    ("FLITT_API_URL", &url),
                ],
            );
            assert_ne!(o.status.code(), Some(0), "{content_type}: refused");
            let printed = format!(
                "{}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(!printed.contains("panicked"), "{printed}");
            for secret in [CARD, "4444 5555 1111 6666", "tok9secret1", "735", "1230"] {
                assert!(!printed.contains(secret), "`{secret}` printed: {printed}");
            }
        }
    }
}

#[test]
fn call_hides_reply_secrets_unless_asked_and_names_the_order_of_an_unknown_outcome() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(flitt_sandbox::Sandbox::start()).unwrap();
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", sandbox.url()),
    ];
    let pay = |card: &'static str, order_id: &'static str| {
        vec![
            "call",
            "3dsecure_step1",
            order_id,
            "amount=4200",
            "currency=GEL",
            "order_desc=x",
            card,
            "cvv2=735",
            "expiry_date=1230",
            "required_rectoken=Y",
        ]
    };
    // A paid order's reply carries its rectoken: redacted, unless --show-secrets.
    let o = flitt(
        &pay("card_number=4444555511116666", "order_id=cli-secret-1"),
        b"",
        &env,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let reply: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(reply["order_status"], "approved");
    assert_eq!(reply["rectoken"], "[redacted]");
    let token = sandbox.order("cli-secret-1").unwrap().rectoken.unwrap();
    assert!(!stdout(&o).contains(&token));
    let mut args = pay("card_number=4444555511116666", "order_id=cli-secret-2");
    args.insert(1, "--show-secrets");
    let o = flitt(&args, b"", &env);
    let token = sandbox.order("cli-secret-2").unwrap().rectoken.unwrap();
    assert!(stdout(&o).contains(&token), "{}", stdout(&o));

    // The adversarial run's case: the reply to a payment is lost. The 3-D Secure card leaves
    // the order unfinished, so the status lookup cannot settle it: exit 6, naming the order
    // id the CLI generated, and exactly one order in the ledger.
    sandbox.inject(flitt_sandbox::FaultRule::on_path(
        "/api/3dsecure_step1",
        flitt_sandbox::Fault::ErrorAfterLedger,
    ));
    let before = sandbox.orders().len();
    let mut args = pay("card_number=4444555566661111", "order_desc=x");
    args.retain(|a| !a.starts_with("order_id="));
    let o = flitt(&args, b"", &env);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(6), "{stderr}");
    let orders = sandbox.orders();
    assert_eq!(orders.len(), before + 1, "applied once");
    let new = orders
        .iter()
        .find(|o| !o.order_id.starts_with("cli-secret"))
        .unwrap();
    assert!(stderr.contains(&new.order_id), "{stderr}");
    // Following the advice settles it.
    let order_id = format!("order_id={}", new.order_id);
    let o = flitt(&["call", "status/order_id", &order_id], b"", &env);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("processing"), "{}", stdout(&o));
}

/// A `flitt sandbox` process, killed when the test ends (pass or fail), its stderr collected
/// by a thread as it comes.
struct SandboxProcess {
    child: std::process::Child,
    url: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    /// Kept open: a closed stdout would end the sandbox at its next line.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl SandboxProcess {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flitt"))
            .arg("sandbox")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = child.stderr.take().unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = std::io::Read::read(&mut err, &mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let url = common::sandbox_url(&mut stdout);
        Self {
            child,
            url,
            stderr,
            _stdout: stdout,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (20 s at most) for the process to end; its status.
    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still running 20 s after the signal"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Waits (20 s at most) until stderr holds `text`; all of stderr.
    fn stderr_with(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let err = self.stderr.lock().unwrap().clone();
            if err.contains(text) {
                return err;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "stderr lacks {text:?}: {err}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 request to `url` (`http://HOST:PORT`); the status code and body.
fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::Read;
    let host = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// The access lines are written without tracing's escaping of control sequences, so the
/// sandbox's own blanking is all that stands between a request and the terminal: an order id
/// holding an escape sequence, a newline or a carriage return must reach the log as one plain
/// line, never as a colour change or a forged second line.
#[test]
fn sandbox_log_lines_carry_no_control_characters_from_requests() {
    let sandbox = SandboxProcess::start(&[]);
    let body = r#"{"request":{"merchant_id":1549901,"order_id":"evil\u001b[31m\nFAKE -> 200 approved\r\u0007","signature":"x"}}"#;
    let (status, _) = http(&sandbox.url, "POST", "/api/status/order_id", body);
    assert_eq!(status, 200);
    let log = sandbox.stderr_with("evil");
    assert!(!log.chars().any(|c| c.is_control() && c != '\n'), "{log:?}");
    let line = log.lines().find(|l| l.contains("evil")).unwrap();
    assert!(line.contains("FAKE -> 200 approved"), "{line:?}");
    assert!(
        !log.lines().any(|l| l.starts_with("FAKE")),
        "a forged line: {log:?}"
    );
}

#[test]
fn sandbox_listens_where_told_logs_each_request_and_ends_with_0_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut sandbox = SandboxProcess::start(&["--host", "127.0.0.1", "--port", &port.to_string()]);
    assert_eq!(sandbox.url, format!("http://127.0.0.1:{port}"));
    let (status, page) = http(&sandbox.url, "GET", "/", "");
    assert_eq!(status, 200);
    assert!(page.contains("<title>Flitt sandbox dashboard</title>"));
    let (status, clock) = http(
        &sandbox.url,
        "POST",
        "/sandbox/control/clock/advance",
        r#"{"seconds": 60}"#,
    );
    // Virtual seconds since start; the time in UTC, from the wall-clock time it started at.
    assert_eq!(status, 200, "{clock}");
    let clock: serde_json::Value = serde_json::from_str(&clock).unwrap();
    assert_eq!(clock["now"], 60, "{clock}");
    let time = clock["time"].as_str().unwrap_or_default();
    let digits = |r: std::ops::Range<usize>| {
        time.get(r)
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    };
    assert!(
        time.len() == 19
            && [0..2, 3..5, 6..10, 11..13, 14..16, 17..19]
                .into_iter()
                .all(digits),
        "{clock}"
    );
    // A payment with a card: its line names the order and the result, never the card.
    let env = [
        ("FLITT_MERCHANT_ID", "1549901"),
        ("FLITT_SECRET_KEY", "test"),
        ("FLITT_API_URL", sandbox.url.as_str()),
    ];
    let o = flitt(
        &[
            "call",
            "3dsecure_step1",
            "order_id=cli-log-1",
            "order_desc=x",
            "amount=100",
            "currency=GEL",
            "card_number=4444555511116666",
            "expiry_date=1230",
            "cvv2=735",
        ],
        b"",
        &env,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let log = sandbox.stderr_with("order_id=cli-log-1");
    assert!(
        log.contains("POST /api/3dsecure_step1 order_id=cli-log-1 -> 200 approved"),
        "{log}"
    );
    assert!(log.contains("GET / order_id=- -> 200"), "{log}");
    assert!(
        log.contains("POST /sandbox/control/clock/advance order_id=- -> 200"),
        "{log}"
    );
    // (Short values like the CVV could turn up in a timestamp: the names say enough.)
    for secret in [
        "4444555511116666",
        "card_number",
        "cvv2",
        "expiry_date",
        "signature",
    ] {
        assert!(!log.contains(secret), "{secret} in the log: {log}");
    }

    sandbox.signal("TERM");
    let status = sandbox.wait();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let err = sandbox.stderr_with("stopped");
    assert!(err.contains("Flitt sandbox stopped (SIGTERM)"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn sandbox_ends_with_0_on_sigint() {
    let mut sandbox = SandboxProcess::start(&[]);
    assert!(
        sandbox.url.starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.url
    );
    sandbox.signal("INT");
    assert_eq!(sandbox.wait().code(), Some(0));
    assert!(sandbox.stderr_with("stopped").contains("(SIGINT)"));
}

#[test]
fn sandbox_random_faults_come_from_the_command_line() {
    let sandbox = SandboxProcess::start(&[
        "--fault-rate",
        "0.5",
        "--fault-kinds",
        "html_body,hold:20",
        "--seed",
        "42",
    ]);
    let (status, faults) = http(&sandbox.url, "GET", "/sandbox/control/faults", "");
    assert_eq!(status, 200);
    let faults: serde_json::Value = serde_json::from_str(&faults).unwrap();
    assert_eq!(
        faults["random"],
        serde_json::json!({"rate": 0.5, "seed": 42, "kinds": ["html_body", "hold:20"]})
    );
    drop(sandbox);
    // Bad settings are refused before anything starts.
    for (args, words) in [
        (
            vec!["--fault-rate", "0.5", "--fault-kinds", "meteor"],
            "unknown fault kind",
        ),
        (
            vec!["--fault-rate", "0.5", "--fault-kinds", "hold"],
            "needs a duration",
        ),
        (
            vec!["--fault-rate", "2"],
            "--fault-rate must be from 0 to 1",
        ),
        (vec!["--seed", "4"], "--fault-rate"),
    ] {
        let mut all = vec!["sandbox"];
        all.extend(&args);
        let o = flitt(&all, b"", &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
    // An address this machine does not have: a clear error, status 1.
    let o = flitt(&["sandbox", "--host", "192.0.2.1", "--port", "1"], b"", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot start the sandbox"));
}
