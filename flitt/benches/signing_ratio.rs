//! The signing target as a ratio measured side by side: signing the typical checkout request
//! against a raw SHA-1 + hex of the same bytes, in alternating rounds, so that whatever else
//! the machine does falls on both alike.
//!
//! `cargo bench -p flitt --bench signing_ratio`
//!
//! Each round times 20 000 signatures and 20 000 raw hashes back to back; 101 rounds. It prints
//! the median of each and the median of the per-round ratios. Run it several times: on a
//! shared VM whole runs fall into a fast and a slow state (the raw hash slows too, signing
//! more), so report the spread across runs, not one run.

use flitt::request::ApiRequest;
use std::hint::black_box;
use std::time::Instant;

mod common;
use common::{Case, raw_sha1_hex};

mod ratio;

const ROUNDS: usize = 101;
const PER_ROUND: u32 = 20_000;

fn main() {
    let rounds = ratio::rounds(ROUNDS);
    let Case {
        key,
        request,
        merchant,
        pre_hash: joined,
    } = Case::checked();
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(PER_ROUND)
    };
    let sign = || {
        black_box(black_box(&request).sign_v1(black_box(merchant), &key));
    };
    let raw = || {
        black_box(raw_sha1_hex(black_box(joined.as_bytes())));
    };
    // Warm up both.
    time(&sign);
    time(&raw);
    let (mut signed, mut raws, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first.
        let (s, r) = if round % 2 == 0 {
            (time(&sign), time(&raw))
        } else {
            let r = time(&raw);
            (time(&sign), r)
        };
        signed.push(s);
        raws.push(r);
        ratios.push(s / r);
    }
    println!(
        "{} bytes hashed; generated checkout sign {:.1} ns, raw SHA-1 + hex {:.1} ns, \
         ratio {:.3} (median of {rounds} alternating rounds of {PER_ROUND})",
        joined.len(),
        ratio::median(signed),
        ratio::median(raws),
        ratio::median(ratios)
    );
}
