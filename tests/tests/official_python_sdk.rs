//! The official Python SDKs, unchanged but for their base URL, complete every call they have
//! against the sandbox, in each protocol and encoding they offer for that call that Flitt
//! speaks (1.0 JSON, 1.0 form, 2.0 JSON), and their own signature checks accept the sandbox's
//! replies and callbacks:
//!
//! - flittpayments 3.0.0, Flitt's: `python_sdk/official_sdk_flows.py`; `.ci/run` installs it
//!   into `target/python-sdk` and points `FLITT_PY_SDK` at it;
//! - cloudipsp 1.0.4, the SDK Flitt published as Fondy, which merchants who moved may still
//!   run (every call but `Order.atol_logs`, which Flitt's documents never name):
//!   `python_sdk/cloudipsp_flows.py`; `.ci/run` installs it into `target/cloudipsp-sdk`
//!   and points `FLITT_CLOUDIPSP_SDK` at it.
//!
//! With the variable set, the test must run; without it, python3 or the SDK, it says it
//! skipped and passes.

use flitt_tests::{SdkPeer, run_sdk_peer};

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_sdk_completes_its_flows() {
    run(SdkPeer {
        name: "Python",
        program: "python3",
        script: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python_sdk/official_sdk_flows.py"
        ),
        sdk_var: "FLITT_PY_SDK",
        search_path: ("PYTHONPATH", ""),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_former_official_python_sdk_completes_its_flows() {
    run(SdkPeer {
        name: "Python (cloudipsp 1.0.4)",
        program: "python3",
        script: concat!(env!("CARGO_MANIFEST_DIR"), "/python_sdk/cloudipsp_flows.py"),
        sdk_var: "FLITT_CLOUDIPSP_SDK",
        search_path: ("PYTHONPATH", ""),
    })
    .await;
}

/// Runs `peer`'s flows against a sandbox of their own.
async fn run(peer: SdkPeer) {
    let sandbox = flitt_sandbox::Sandbox::start().await.unwrap();
    let url = sandbox.url().to_owned();
    tokio::task::spawn_blocking(move || run_sdk_peer(&peer, &url))
        .await
        .unwrap();
}
