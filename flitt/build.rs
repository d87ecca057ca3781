//! Generates the API types from `../spec` into `$OUT_DIR/api.rs`.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let spec = manifest.join("../spec");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("api.rs");
    if let Err(message) = flitt_codegen::build(&spec, &out) {
        // A bad spec is a build error that names the file, the key and the rule.
        eprintln!("error: invalid Flitt API spec: {message}");
        std::process::exit(1);
    }
}
