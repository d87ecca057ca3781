//! Prints the code generated from a spec folder: `cargo run -p flitt-codegen --example generate -- spec`.
fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "spec".into());
    match flitt_codegen::generate(std::path::Path::new(&dir)) {
        Ok(g) => print!("{}", g.code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
