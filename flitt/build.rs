//! Generates the API types from the spec into `$OUT_DIR/api.rs`.
//!
//! The spec is edited in one place, the workspace's top-level `spec/`. `flitt/spec` is a
//! symbolic link to it, which `cargo package` follows, so the published crate carries a real
//! `spec/` directory of its own and builds from it. A checkout without symbolic links (Git on
//! Windows with `core.symlinks=false` writes the link as a small text file) falls back to the
//! workspace's `../spec`.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let own = manifest.join("spec");
    let spec = if own.is_dir() {
        own
    } else {
        manifest.join("../spec")
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("api.rs");
    if let Err(message) = flitt_codegen::build(&spec, &out) {
        // A bad spec is a build error that names the file, the key and the rule.
        eprintln!("error: invalid Flitt API spec: {message}");
        std::process::exit(1);
    }
}
