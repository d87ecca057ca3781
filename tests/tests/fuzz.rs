//! A short, seeded run of the fuzzer (`flitt_tests::fuzz`): no panic and no accepted forgery
//! on mutated replies, callbacks and requests. The long run is
//! `cargo run --release -p flitt-tests --example fuzz -- 1000000`; `FLITT_FUZZ_INPUTS` raises
//! this one's count.

#[test]
fn mutated_bodies_never_panic_and_never_verify_as_forgeries() {
    let inputs = std::env::var("FLITT_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let counts = flitt_tests::fuzz::run(inputs, 0x5eed);
    assert_eq!(counts.inputs, inputs);
    assert_eq!(counts.forgeries, 0, "{counts:?}");
    // The accepting paths ran too: pristine seeds verify and are admitted.
    assert!(
        counts.verified > 0 && counts.replies_accepted > 0 && counts.requests_admitted > 0,
        "{counts:?}"
    );
}
