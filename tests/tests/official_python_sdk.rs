//! The official Python SDK (flittpayments 3.0.0), unchanged, completes its flows against the
//! sandbox: `python_sdk/official_sdk_flows.py`. `.ci/run` installs the SDK into
//! `target/python-sdk` and points `FLITT_PY_SDK` at it, and then the test must run; without
//! `FLITT_PY_SDK`, python3 or the SDK it says it skipped and passes.

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
    let required = std::env::var_os("FLITT_PY_SDK");
    if let Some(path) = &required {
        cmd.env("PYTHONPATH", path);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap();
    let output = match output {
        Ok(o) => o,
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
