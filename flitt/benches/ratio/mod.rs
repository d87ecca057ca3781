//! What both ratio benchmarks share: how many rounds to run, and the median of a set.

/// `full` rounds under `cargo bench`; 3 when `cargo test --benches` runs the target (without
/// `--bench`), to keep that quick.
pub fn rounds(full: usize) -> usize {
    if std::env::args().any(|a| a == "--bench") {
        full
    } else {
        3
    }
}

/// The median (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
