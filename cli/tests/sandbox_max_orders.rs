//! `flitt sandbox --max-orders N`: the ledger keeps at most N orders.

mod common;

use std::io::BufReader;
use std::process::{Child, Command, Stdio};

/// Kills the sandbox process when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn call(url: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_flitt"))
        .arg("call")
        .args(args)
        .env("FLITT_MERCHANT_ID", "1549901")
        .env("FLITT_SECRET_KEY", "test")
        .env("FLITT_API_URL", url)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn max_orders_bounds_the_ledger() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flitt"))
        .args(["sandbox", "--max-orders", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    // Kept open to the end: the sandbox prints more lines, and a closed pipe would end it.
    let mut lines = BufReader::new(stdout);
    let url = common::sandbox_url(&mut lines);
    for id in ["max-1", "max-2", "max-3"] {
        let order = format!("order_id={id}");
        let (code, _, err) = call(
            &url,
            &[
                "checkout/url",
                &order,
                "order_desc=t",
                "amount=100",
                "currency=GEL",
            ],
        );
        assert_eq!(code, Some(0), "{err}");
    }
    // The oldest went to make room for the third.
    let (code, _, err) = call(&url, &["status/order_id", "order_id=max-1"]);
    assert_eq!(code, Some(3));
    assert!(err.contains("1018"), "{err}");
    for id in ["max-2", "max-3"] {
        let (code, out, err) = call(&url, &["status/order_id", &format!("order_id={id}")]);
        assert_eq!(code, Some(0), "{err}");
        assert!(out.contains("created"), "{out}");
    }
    drop(running);
    drop(lines);
}
