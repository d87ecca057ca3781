use flitt::flows::{Captured, Payment};

async fn void_after_capture(client: &flitt::Client, captured: Payment<Captured>) {
    let _ = captured.void(client, "void-1").await;
}

fn main() {}
