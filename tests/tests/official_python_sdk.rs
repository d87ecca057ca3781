//! The official Python SDK (flittpayments 3.0.0), unchanged but for its base URL, completes
//! every call it has against the sandbox, in each protocol and encoding it offers for that
//! call (1.0 JSON, 1.0 form, 2.0 JSON), and its own signature checks accept the sandbox's
//! replies and callbacks: `python_sdk/official_sdk_flows.py`. `.ci/run` installs the SDK into
//! `target/python-sdk` and points `FLITT_PY_SDK` at it, and then the test must run; without
//! `FLITT_PY_SDK`, python3 or the SDK it says it skipped and passes.

use flitt_tests::{SdkPeer, run_sdk_peer};

#[tokio::test(flavor = "multi_thread")]
async fn the_official_python_sdk_completes_its_flows() {
    let sandbox = flitt_sandbox::Sandbox::start().await.unwrap();
    let peer = SdkPeer {
        name: "Python",
        program: "python3",
        script: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python_sdk/official_sdk_flows.py"
        ),
        sdk_var: "FLITT_PY_SDK",
        search_path: ("PYTHONPATH", ""),
    };
    let url = sandbox.url().to_owned();
    tokio::task::spawn_blocking(move || run_sdk_peer(&peer, &url))
        .await
        .unwrap();
}
