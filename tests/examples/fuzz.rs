//! The long fuzz run: `cargo run --release -p flitt-tests --example fuzz -- [INPUTS] [SEED]`
//! (default 1,000,000 inputs, seed 1). Exits 1 on an accepted forgery; a panic in the code
//! under test ends it with the panic's message and the input count so far.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let inputs: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let started = Instant::now();
    // In chunks, so a long run shows progress.
    let chunk = 100_000.min(inputs.max(1));
    let mut total = flitt_tests::fuzz::Counts::default();
    let mut done = 0;
    while done < inputs {
        let n = chunk.min(inputs - done);
        let c = flitt_tests::fuzz::run(n, seed.wrapping_add(done));
        total.inputs += c.inputs;
        total.calls += c.calls;
        total.verified += c.verified;
        total.replies_accepted += c.replies_accepted;
        total.requests_admitted += c.requests_admitted;
        total.forgeries += c.forgeries;
        done += n;
        eprintln!("{done} inputs, {:.1} s", started.elapsed().as_secs_f64());
    }
    println!(
        "inputs {} | calls {} | verified {} | replies accepted {} | requests admitted {} | forgeries {} | {:.1} s",
        total.inputs,
        total.calls,
        total.verified,
        total.replies_accepted,
        total.requests_admitted,
        total.forgeries,
        started.elapsed().as_secs_f64()
    );
    if total.forgeries > 0 {
        std::process::exit(1);
    }
}
