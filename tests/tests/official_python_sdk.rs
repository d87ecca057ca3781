//! The official Python SDK (flittpayments 3.0.0), unchanged, completes its flows against the
//! sandbox: `python_sdk/official_sdk_flows.py`. `.ci/run` installs the SDK into
//! `target/python-sdk` and points `FLITT_PY_SDK` at it; without python3 or the SDK the test
//! says it skipped and passes.

use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_sdk_completes_its_flows() {
    let sandbox = flitt_sandbox::Sandbox::start().await.unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python_sdk/official_sdk_flows.py"
    );
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(sandbox.url());
    if let Some(path) = std::env::var_os("FLITT_PY_SDK") {
        cmd.env("PYTHONPATH", path);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipped: python3 is not available ({e})");
            return;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    match output.status.code() {
        Some(0) => assert!(text.contains("all flows completed"), "{text}"),
        Some(3) => eprintln!("skipped: {text}"),
        _ => panic!(
            "the official SDK failed against the sandbox:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
