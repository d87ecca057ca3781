//! The official Python SDK (flittpayments 3.0.0), unchanged but for its base URL, completes
//! every call it has against the sandbox, in each protocol and encoding it offers for that
//! call (1.0 JSON, 1.0 form, 2.0 JSON), and its own signature checks accept the sandbox's
//! replies and callbacks: `python_sdk/official_sdk_flows.py`. `.ci/run` installs the SDK into
//! `target/python-sdk` and points `FLITT_PY_SDK` at it, and then the test must run; without
//! `FLITT_PY_SDK`, python3 or the SDK it says it skipped and passes.

use std::io::Read as _;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs `cmd` to its end, or kills it after `limit` (checked every 50 ms): `Ok(None)` then.
fn run_bounded(mut cmd: Command, limit: Duration) -> std::io::Result<Option<Output>> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let step = Duration::from_millis(50);
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
    Ok(Some(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_sdk_completes_its_flows() {
    let sandbox = flitt_sandbox::Sandbox::start().await.unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python_sdk/official_sdk_flows.py"
    );
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(sandbox.url());
    let required = std::env::var_os("FLITT_PY_SDK");
    if let Some(path) = &required {
        cmd.env("PYTHONPATH", path);
    }
    let output = tokio::task::spawn_blocking(move || run_bounded(cmd, Duration::from_secs(300)))
        .await
        .unwrap();
    let output = match output {
        Ok(Some(o)) => o,
        Ok(None) => panic!("the Python flows did not finish within 300 s"),
        Err(e) => {
            assert!(
                required.is_none(),
                "FLITT_PY_SDK is set but python3 fails: {e}"
            );
            eprintln!("skipped: python3 is not available ({e})");
            return;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    match output.status.code() {
        Some(0) => assert!(text.contains("all flows completed"), "{text}"),
        Some(3) => {
            assert!(required.is_none(), "FLITT_PY_SDK is set but: {text}");
            eprintln!("skipped: {text}");
        }
        _ => panic!(
            "the official SDK failed against the sandbox:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
