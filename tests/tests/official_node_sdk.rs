//! The official Node.js SDK (`@flittpayments/flitt-node-js-sdk` 1.0.1), unchanged, completes
//! every call it has against the sandbox, in protocol 1.0 JSON, 1.0 form and 2.0, and the
//! sequences in which its sticky protocol state changes what it sends:
//! `node_sdk/official_sdk_flows.js`.
//!
//! The SDK hard-codes `https` and port 443; the script replaces `https.request` in its own
//! process with one that sends the same request over `http` to the sandbox: the one change,
//! equivalent to a base URL. `.ci/run` installs the SDK into `target/node-sdk` and points
//! `FLITT_NODE_SDK` at it, and then the test must run; without `FLITT_NODE_SDK`, node or the
//! SDK it says it skipped and passes.

use flitt_tests::{SdkPeer, run_sdk_peer};

#[tokio::test(flavor = "multi_thread")]
async fn the_official_node_sdk_completes_its_flows() {
    let sandbox = flitt_sandbox::Sandbox::start().await.unwrap();
    let peer = SdkPeer {
        name: "Node.js",
        program: "node",
        script: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/node_sdk/official_sdk_flows.js"
        ),
        sdk_var: "FLITT_NODE_SDK",
        search_path: ("NODE_PATH", "node_modules"),
    };
    let url = sandbox.url().to_owned();
    tokio::task::spawn_blocking(move || run_sdk_peer(&peer, &url))
        .await
        .unwrap();
}
