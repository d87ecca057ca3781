//! Type-state guarantees: each forbidden transition family fails to compile with a readable
//! message (the `.stderr` beside each case), and every allowed flow compiles.
//!
//! After an intended change to a message: `TRYBUILD=overwrite cargo test -p flitt-tests --test type_state`.

#[test]
fn forbidden_transitions_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
