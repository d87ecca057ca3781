//! `flitt-sandbox [--port N]`: runs the offline Flitt gateway until interrupted.

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = match args.next().and_then(|p| p.parse().ok()) {
                    Some(p) => p,
                    None => {
                        eprintln!("error: --port needs a number");
                        std::process::exit(2);
                    }
                };
            }
            "-h" | "--help" => {
                println!(
                    "flitt-sandbox [--port N]\n\nRuns an offline Flitt gateway on 127.0.0.1 (a free port unless --port is given)."
                );
                return;
            }
            other => {
                eprintln!("error: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let sandbox = match flitt_sandbox::Sandbox::start_on(port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the sandbox: {e}");
            std::process::exit(1);
        }
    };
    println!("Flitt sandbox listening on {}", sandbox.url());
    println!("FLITT_API_URL={}", sandbox.url());
    println!("FLITT_MERCHANT_ID={}", flitt_sandbox::MERCHANT_ID);
    println!("FLITT_SECRET_KEY={}", flitt_sandbox::SECRET_KEY);
    println!("FLITT_CREDIT_KEY={}", flitt_sandbox::CREDIT_KEY);
    println!(
        "Reports API: application {} key {}",
        flitt_sandbox::REPORTS_APP_ID,
        flitt_sandbox::REPORTS_KEY
    );
    let _ = tokio::signal::ctrl_c().await;
}
