//! `flitt`: sign and verify Flitt payloads, call the API, and run the offline sandbox.

use clap::{Parser, Subcommand, ValueEnum};
use flitt::signature::{self, SecretKey, VerifyError};
use serde_json::Value;
use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use stderr_log::StderrLog;

mod log_time;
mod stderr_log;

/// Exit status of every subcommand when its output cannot be written to stdout (a closed
/// pipe, a full disk). Every write is checked and flushed: none panics, none is dropped.
const OUTPUT_FAILED: u8 = 7;

#[derive(Parser)]
#[command(name = "flitt", version, about = "Sign, verify and call the Flitt payment API", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProtocolArg {
    #[value(name = "1.0")]
    V1,
    #[value(name = "2.0")]
    V2,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Csv,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a JSON object of request parameters read from stdin.
    #[command(
        after_help = "Examples:\n  echo '{\"order_id\":\"test_subscription11\",\"merchant_id\":1549901,\"action\":\"start\"}' | flitt sign --secret test\n  a7adf395dae783a4676abbafe7f2479b2f6cfbca\n\n  echo '{\"order_id\":\"o-1\",\"merchant_id\":1549901,\"amount\":100}' | flitt sign --secret test --protocol 2.0\n\nValues are signed as written: a number by its exact text (10.10 stays 10.10, also inside 2.0 data), the text\nverify checks it by.\n\nExit status: 0 signed; 2 the input cannot be signed (not a JSON object, a nested value under 1.0, a boolean,\n`|` in a value, a number beyond the range of a double); 7 the output could not be written."
    )]
    Sign {
        /// The signing key (payment key, or the credit key for payouts).
        #[arg(long, env = "FLITT_SECRET_KEY", hide_env_values = true)]
        secret: String,
        /// Protocol: 1.0 prints the hex signature, 2.0 the request envelope.
        #[arg(long, value_enum, default_value = "1.0")]
        protocol: ProtocolArg,
        /// One JSON object per input line, one output line each.
        #[arg(long)]
        jsonl: bool,
    },
    /// Verify a response or callback body read from stdin, as received.
    #[command(
        after_help = "Accepts flat JSON, {\"response\": …}, form-urlencoded, or a 2.0 envelope.\n\nExample:\n  echo '{\"order_id\":\"test_subscription11\",\"merchant_id\":1549901,\"action\":\"start\",\"signature\":\"a7adf395dae783a4676abbafe7f2479b2f6cfbca\"}' | flitt verify --secret test\n  valid\n\nExit status: 0 valid; 1 invalid signature; 2 malformed input or no signature; 7 the verdict could not be\nwritten (whatever it was)."
    )]
    Verify {
        /// The key the body was signed with.
        #[arg(long, env = "FLITT_SECRET_KEY", hide_env_values = true)]
        secret: String,
    },
    /// Call an API endpoint with key=value parameters, checked against the spec first.
    #[command(
        after_help = "PATH is the path Flitt documents (checkout/url, status/order_id, capture/order_id, reverse/order_id,\n3dsecure_step1, p2pcredit, …) or the spec's endpoint name (checkout_verification). Credentials come from\nFLITT_MERCHANT_ID, FLITT_SECRET_KEY, FLITT_CREDIT_KEY and FLITT_API_URL (or CLOUDIPSP_MERCHANT_ID and\nCLOUDIPSP_SECRETKEY). merchant_id, signature and version are added for you (giving them is refused); order_id is\ngenerated when not given. Integers and amounts are plain digits: no sign, no leading zero. The verified reply is\nprinted as JSON with its sensitive fields (card data, rectokens, PaReq, MD, …) as [redacted]; --show-secrets prints\nthem. Errors never show them.\n\nExample:\n  flitt call status/order_id order_id=test_order1231\n\nExit status: 0 success or decline (the reply is printed as JSON); 2 a parameter breaks the spec and nothing was\nsent; 3 the gateway refused the request; 4 the reply failed signature verification; 5 transport, HTTP or decode\nerror; 6 the outcome is unknown: the message names the order_id sent (given or generated); look it up with\nstatus/order_id before retrying, never resend blindly; 7 the gateway processed the\nrequest but its reply could not be written to stdout (stderr says so and names the order: do not resend it,\nlook it up with status/order_id)."
    )]
    Call {
        /// Print the reply's sensitive fields (rectoken, card data, PaReq, MD…) as they came,
        /// instead of `[redacted]`.
        #[arg(long)]
        show_secrets: bool,
        /// The endpoint.
        path: String,
        /// Parameters as key=value.
        params: Vec<String>,
    },
    /// Download a Reports API report as CSV or JSON, across every page.
    #[command(
        after_help = report_help()
    )]
    Report {
        /// The report id (500, 528, 745).
        report_id: u32,
        /// A filter, FIELD:OP:VALUE (repeatable).
        #[arg(long = "filter", value_name = "FIELD:OP:VALUE")]
        filters: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
        /// Rows per request (the range the Reports API allows for on_page).
        #[arg(long, default_value_t = 500)]
        page_size: u64,
    },
    /// Run the offline sandbox gateway, with its dashboard and control API, until stopped.
    #[command(after_help = SANDBOX_HELP)]
    Sandbox {
        /// The address to listen on: 127.0.0.1 (this machine only), or e.g. 0.0.0.0 to let
        /// others reach it (a test gateway with published keys: only on a trusted network).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The port (default: a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The base URL the sandbox names in the checkout and ACS URLs it hands out, when
        /// clients reach it by another name than --host (default http://HOST:PORT); the
        /// dashboard's buttons work in a browser at this name too (else only at an IP address
        /// or localhost).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        /// The most orders the ledger keeps; past it the oldest finished orders are evicted
        /// (an evicted order answers 1018).
        #[arg(long, default_value_t = flitt_sandbox::Config::DEFAULT_MAX_ORDERS)]
        max_orders: usize,
        /// Random faults: the share of API requests (0 to 1) that meet one of --fault-kinds.
        #[arg(long, value_name = "RATE", default_value_t = 0.0)]
        fault_rate: f64,
        /// The kinds random faults draw from, comma-separated: KIND or, for hold and
        /// slow_drip, KIND:MILLIS (default: every kind that takes no duration).
        #[arg(
            long,
            value_name = "KINDS",
            value_delimiter = ',',
            requires = "fault_rate"
        )]
        fault_kinds: Vec<String>,
        /// The seed random faults are drawn from: the same seed and the same requests meet
        /// the same faults.
        #[arg(long, default_value_t = 0, requires = "fault_rate")]
        seed: u64,
    },
}

/// The `sandbox` help: what it serves and the control API.
const SANDBOX_HELP: &str = "\
Prints the URL and the test credentials, then one line per request on stderr (method, path, order_id, HTTP
status and the Flitt result: never a body, a card or a key). Point the SDK (FLITT_API_URL) or the official SDKs
at it.

In a browser: the dashboard at / (orders, their history and callbacks, buttons to advance the clock, inject
faults, resend callbacks and reset), the hosted checkout and ACS pages.

Control API (JSON in and out; errors are {\"error\": \"...\"} with 400 or 404, nothing changed):
  GET    /sandbox/control/clock                     {\"now\": SECONDS, \"time\": \"DD.MM.YYYY hh:mm:ss\"} (UTC,
                                                    from the wall-clock time it started at)
  POST   /sandbox/control/clock/advance             {\"seconds\": 3600}: expire orders, charge subscriptions,
                                                    retry due callbacks
  GET    /sandbox/control/faults                    the armed faults
  POST   /sandbox/control/faults                    {\"kind\": \"error_after_ledger\", \"path\": \"/api/capture/order_id\",
                                                    \"order_id\": \"o-1\", \"times\": 2, \"millis\": 1500 (hold, slow_drip)}
  DELETE /sandbox/control/faults                    clear them all
  POST   /sandbox/control/faults/random             {\"rate\": 0.1, \"seed\": 7, \"kinds\": [\"html_body\", \"hold:1500\"]}
  GET    /sandbox/control/orders?limit=100          newest first, amounts in minor units and as text
  GET    /sandbox/control/orders/ORDER_ID           with its history (each transition and refund with its
                                                    reverse_id and time) and its callbacks
  GET    /sandbox/control/callbacks?order_id=O      each try: time, HTTP status, the merchant's answer (redacted)
  POST   /sandbox/control/callbacks/ID/resend       one more try now
  POST   /sandbox/control/reset                     empty ledger, callbacks and faults; clock back to 0
Fault kinds: error_before_ledger error_after_ledger hold drop_connection truncated_body html_body bad_signature
missing_signature slow_drip connection_reset.

Example:
  flitt sandbox --port 8080
  curl -s localhost:8080/sandbox/control/clock/advance -d '{\"seconds\": 36000}'

Exit status: 0 stopped by SIGINT (Ctrl-C) or SIGTERM; 1 the sandbox cannot start or cannot wait for a signal; 2
bad arguments; 7 the URL could not be written (the sandbox stops at once rather than serve where nobody can find
it).";

/// The `report` help: the operators each field type allows come from the one table in
/// `flitt::reports::operators`, the page sizes from the spec.
fn report_help() -> String {
    let ops: Vec<String> = flitt::request::FilterFamily::ALL
        .iter()
        .map(|f| {
            format!(
                "  {}: {}",
                f.name(),
                flitt::reports::operators(*f).join(" ")
            )
        })
        .collect();
    let sizes = flitt::reports::page_size_range();
    format!(
        "Credentials: FLITT_REPORTS_URL (default https://portal.flitt.com), FLITT_REPORTS_APP_ID,\n\
         FLITT_REPORTS_KEY, FLITT_MERCHANT_ID. A filter is FIELD:OP:VALUE; the operators a field allows\n\
         depend on its type:\n{}\nAn unknown field, or an operator its type does not allow, is refused and nothing is\n\
         sent. --page-size is {} to {}.\n\n\
         Example:\n  flitt report 745 --filter order_timestart:from:2026-11-01 --filter order_status:=:approved --format csv\n\n\
         Exit status: 0 written; 2 bad arguments (nothing sent); 3 the API refused; 5 transport or decode error; 7 the\n\
         output could not be written.",
        ops.join("\n"),
        sizes.start(),
        sizes.end()
    )
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    match cli.command {
        Command::Sign {
            secret,
            protocol,
            jsonl,
        } => sign(&SecretKey::new(secret), protocol, jsonl),
        Command::Verify { secret } => verify(&SecretKey::new(secret)),
        Command::Call {
            path,
            params,
            show_secrets,
        } => run_async(call(path, params, show_secrets)),
        Command::Report {
            report_id,
            filters,
            format,
            page_size,
        } => run_async(report(report_id, filters, format, page_size)),
        Command::Sandbox {
            host,
            port,
            public_url,
            max_orders,
            fault_rate,
            fault_kinds,
            seed,
        } => {
            let random = match random_faults(fault_rate, &fault_kinds, seed) {
                Ok(r) => r,
                Err(e) => return fail(2, e),
            };
            let mut builder = flitt_sandbox::Sandbox::builder()
                .host(host)
                .port(port)
                .max_orders(max_orders);
            if let Some(url) = public_url {
                builder = builder.public_url(url);
            }
            run_server(sandbox(builder, random))
        }
    }
}

/// Prints clap's help, version or usage error. `clap::Error::exit` swallows write errors; a
/// help that cannot be written is an output failure here.
fn usage(e: &clap::Error) -> ExitCode {
    let printed = e
        .print()
        .and_then(|()| std::io::stdout().flush())
        .and_then(|()| std::io::stderr().flush());
    match (printed, e.exit_code()) {
        (Err(err), 0) => output_failed(&err),
        (_, code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
    }
}

/// Runs a server (the sandbox) on a runtime with a worker per core: it serves many connections
/// at once, where a one-shot command needs one thread.
fn run_server(f: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f),
        Err(e) => fail(5, format!("cannot start the runtime: {e}")),
    }
}

fn run_async(f: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f),
        Err(e) => fail(5, format!("cannot start the runtime: {e}")),
    }
}

/// Writes a line to stderr, best effort: when stderr itself is gone there is nowhere left to
/// report to, and the exit status still tells.
fn note(line: impl std::fmt::Display) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    note(format_args!("error: {message}"));
    ExitCode::from(code)
}

/// Writes `text` and a newline to stdout and flushes, so a failure shows here and not in a
/// buffer dropped at exit.
fn emit(text: impl std::fmt::Display) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

fn output_failed(e: &std::io::Error) -> ExitCode {
    fail(OUTPUT_FAILED, format!("cannot write the output: {e}"))
}

/// Signs one JSON object given as text. Values are signed (1.0) or carried in `data` (2.0)
/// by their exact text, the text `verify` checks them by: `10.10` stays `10.10`.
fn sign_one(key: &SecretKey, protocol: ProtocolArg, text: &str) -> Result<String, String> {
    match protocol {
        ProtocolArg::V1 => signature::sign_v1_json(key, text)
            .map(|s| s.as_str().to_owned())
            .map_err(|e| e.to_string()),
        ProtocolArg::V2 => signature::envelope_v2_json(key, text)
            .map_err(|e| e.to_string())
            .and_then(|env| serde_json::to_string(&env).map_err(|e| e.to_string())),
    }
}

fn sign(key: &SecretKey, protocol: ProtocolArg, jsonl: bool) -> ExitCode {
    let stdin = std::io::stdin();
    if jsonl {
        for (n, line) in stdin.lock().lines().enumerate() {
            let line = match line {
                Ok(l) => l,
                Err(e) => return fail(2, format!("cannot read stdin: {e}")),
            };
            if line.trim().is_empty() {
                continue;
            }
            match sign_one(key, protocol, &line) {
                Ok(s) => {
                    if let Err(e) = emit(s) {
                        return output_failed(&e);
                    }
                }
                Err(e) => return fail(2, format!("line {}: {e}", n + 1)),
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut text = String::new();
    if let Err(e) = stdin.lock().read_to_string(&mut text) {
        return fail(2, format!("cannot read stdin: {e}"));
    }
    match sign_one(key, protocol, &text) {
        Ok(s) => match emit(s) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => output_failed(&e),
        },
        Err(e) => fail(2, e),
    }
}

fn verify(key: &SecretKey) -> ExitCode {
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut body) {
        return fail(2, format!("cannot read stdin: {e}"));
    }
    // Bodies are often piped with a trailing newline; it is not part of the payload.
    while body.last().is_some_and(u8::is_ascii_whitespace) {
        body.pop();
    }
    let (verdict, code) = match signature::verify_body(key, &body, None) {
        Ok(_) => ("valid", ExitCode::SUCCESS),
        Err(VerifyError::Mismatch) => ("invalid signature", ExitCode::from(1)),
        Err(e) => return fail(2, e),
    };
    match emit(verdict) {
        Ok(()) => code,
        Err(e) => output_failed(&e),
    }
}

async fn call(path: String, raw: Vec<String>, show_secrets: bool) -> ExitCode {
    let mut params = Vec::new();
    for p in raw {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => params.push((k.to_owned(), v.to_owned())),
            _ => return fail(2, format!("`{p}` is not key=value")),
        }
    }
    let given = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(endpoint) = flitt::request::find_endpoint(&path, given) else {
        let known: Vec<_> = flitt::api::ENDPOINTS.iter().map(|e| e.call_path).collect();
        return fail(
            2,
            format!("unknown endpoint `{path}`; known: {}", known.join(", ")),
        );
    };
    // Check before anything else, so bad input never needs credentials or the network.
    if let Err(e) = endpoint.validate_raw(params.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        return fail(2, format!("{e} (nothing was sent)"));
    }
    let client = match flitt::Client::from_env() {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    match client.send_raw(endpoint, &params).await {
        Ok(reply) => {
            let mut shown = reply.clone();
            if !show_secrets {
                // A terminal's scrollback and a CI log are logs too.
                flitt::redact::redact_json(&mut shown);
            }
            let written = serde_json::to_string_pretty(&shown)
                .map_err(std::io::Error::other)
                .and_then(emit);
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => applied_but_unwritten(&params, &reply, &e),
            }
        }
        Err(e) => {
            let code = match &e {
                flitt::Error::InvalidInput(_) | flitt::Error::Config(_) => 2,
                flitt::Error::Gateway(_) => 3,
                flitt::Error::Signature(_) => 4,
                flitt::Error::OutcomeUnknown(_) => 6,
                _ => 5,
            };
            fail(code, format!("{} ({})", e, e.kind()))
        }
    }
}

/// The gateway processed the request, but its reply could not be written: say so (on stderr,
/// best effort), with the order to look up, so nobody resends a request that took effect.
fn applied_but_unwritten(
    params: &[(String, String)],
    reply: &Value,
    e: &std::io::Error,
) -> ExitCode {
    let order_id = params
        .iter()
        .find(|(k, _)| k == "order_id")
        .map(|(_, v)| v.as_str())
        .or_else(|| reply.get("order_id").and_then(Value::as_str))
        .or_else(|| reply.pointer("/order/order_id").and_then(Value::as_str));
    let lookup = match order_id {
        Some(id) => format!("look it up with `flitt call status/order_id order_id={id}`"),
        None => "look it up with status/order_id".to_owned(),
    };
    fail(
        OUTPUT_FAILED,
        format!(
            "cannot write the output: {e}. The gateway processed the request and answered; \
             do not resend it, {lookup}"
        ),
    )
}

fn csv_cell(v: &Value) -> String {
    let text = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

async fn report(
    report_id: u32,
    raw: Vec<String>,
    format: ReportFormat,
    page_size: u64,
) -> ExitCode {
    let Some(info) = flitt::api::REPORTS.iter().find(|r| r.id == report_id) else {
        let known: Vec<String> = flitt::api::REPORTS
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        return fail(
            2,
            format!("unknown report {report_id}; known: {}", known.join(", ")),
        );
    };
    let mut filters = Vec::new();
    for f in &raw {
        let mut parts = f.splitn(3, ':');
        let (Some(field), Some(op)) = (parts.next(), parts.next()) else {
            return fail(2, format!("`{f}` is not FIELD:OP:VALUE"));
        };
        let value = parts.next().unwrap_or("");
        if let Err(e) = flitt::reports::check_text_filter(info, field, op) {
            return fail(2, format!("{e} (nothing was sent)"));
        }
        filters.push((field, op, value));
    }
    if let Err(e) = flitt::reports::check_mandatory(info, filters.iter().map(|(f, _, _)| *f)) {
        return fail(2, format!("{e} (nothing was sent)"));
    }
    let sizes = flitt::reports::page_size_range();
    if !sizes.contains(&page_size) {
        return fail(
            2,
            format!("--page-size must be {} to {}", sizes.start(), sizes.end()),
        );
    }
    let client = match flitt::reports::ReportsClient::from_env() {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    let mut out = std::io::stdout().lock();
    let mut header_done = false;
    let mut json_rows = Vec::new();
    let (mut page, mut seen) = (1u64, 0u64);
    loop {
        let reply = match client.page_raw(info, &filters, page, page_size).await {
            Ok(r) => r,
            Err(e) => {
                let code = if matches!(e, flitt::Error::Gateway(_)) {
                    3
                } else if matches!(e, flitt::Error::InvalidInput(_)) {
                    2
                } else {
                    5
                };
                return fail(code, format!("{e} ({})", e.kind()));
            }
        };
        let fields: Vec<String> = reply
            .fields
            .as_ref()
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|f| f.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let rows = match reply.data {
            Some(serde_json::Value::Array(rows)) => rows,
            _ => Vec::new(),
        };
        let total = reply
            .rows_count
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        match format {
            ReportFormat::Csv => {
                let mut text = String::new();
                if !header_done {
                    text.push_str(&fields.join(","));
                    text.push('\n');
                    header_done = true;
                }
                for row in &rows {
                    let cells: Vec<String> = row
                        .as_array()
                        .map(|r| r.iter().map(csv_cell).collect())
                        .unwrap_or_default();
                    text.push_str(&cells.join(","));
                    text.push('\n');
                }
                // Each page is written as it comes; no point fetching pages nobody can read.
                if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                    return output_failed(&e);
                }
            }
            ReportFormat::Json => {
                for row in &rows {
                    let object: serde_json::Map<String, Value> = fields
                        .iter()
                        .cloned()
                        .zip(row.as_array().cloned().unwrap_or_default())
                        .collect();
                    json_rows.push(Value::Object(object));
                }
            }
        }
        seen += rows.len() as u64;
        if total > page_size {
            note(format_args!("report {report_id}: {seen} of {total} rows"));
        }
        if rows.is_empty() || seen >= total {
            break;
        }
        page += 1;
    }
    if let ReportFormat::Json = format {
        let written = serde_json::to_string_pretty(&json_rows)
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(out, "{text}"))
            .and_then(|()| out.flush());
        if let Err(e) = written {
            return output_failed(&e);
        }
    }
    ExitCode::SUCCESS
}

/// Random faults as `flitt sandbox` takes them: a rate from 0 to 1 (0: none), the kinds
/// (default: every kind that takes no duration) and the seed.
fn random_faults(
    rate: f64,
    kinds: &[String],
    seed: u64,
) -> Result<Option<(f64, u64, Vec<flitt_sandbox::Fault>)>, String> {
    if !(0.0..=1.0).contains(&rate) {
        return Err("--fault-rate must be from 0 to 1".to_owned());
    }
    if rate == 0.0 {
        return Ok(None);
    }
    let kinds = if kinds.is_empty() {
        flitt_sandbox::Fault::KINDS
            .iter()
            .filter_map(|k| k.parse().ok())
            .collect()
    } else {
        kinds
            .iter()
            .map(|k| k.trim().parse())
            .collect::<Result<Vec<flitt_sandbox::Fault>, String>>()
            .map_err(|e| format!("--fault-kinds: {e}"))?
    };
    Ok(Some((rate, seed, kinds)))
}

/// SIGINT and SIGTERM, caught from the moment this is made (their default would end the
/// process with no cleanup and a status that is not 0).
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn catch() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for one; its name.
    async fn wait(&mut self) -> std::io::Result<&'static str> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => Ok("SIGTERM"),
                _ = self.int.recv() => Ok("SIGINT"),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
        }
    }
}

/// Logs events at INFO and above, each on one line in `log`. The sandbox's access lines are made
/// fit for one line by the sandbox itself (control characters blanked), so their layer skips
/// tracing's character-by-character escaping of terminal control sequences, which would
/// change nothing in them and was a fifth of their cost (issue #14); every other event keeps
/// it.
fn init_logging(log: &StderrLog) {
    use tracing_subscriber::filter::{LevelFilter, filter_fn};
    use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
    use tracing_subscriber::util::SubscriberInitExt as _;
    const ACCESS: &str = "flitt_sandbox::access";
    let (access, other) = (log.clone(), log.clone());
    let _ = tracing_subscriber::registry()
        .with(LevelFilter::INFO)
        .with(
            tracing_subscriber::fmt::layer()
                .with_timer(log_time::LogTime)
                .with_writer(move || access.clone())
                .with_ansi_sanitization(false)
                .with_filter(filter_fn(|m| m.target() == ACCESS)),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_timer(log_time::LogTime)
                .with_writer(move || other.clone())
                .with_filter(filter_fn(|m| m.target() != ACCESS)),
        )
        .try_init();
}

/// How long a stopping sandbox waits for stderr to take its last lines.
const LOG_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

async fn sandbox(
    builder: flitt_sandbox::SandboxBuilder,
    random: Option<(f64, u64, Vec<flitt_sandbox::Fault>)>,
) -> ExitCode {
    // The per-request lines (target flitt_sandbox::access) go to stderr, at INFO, in batches
    // written by a thread of their own: a stalled stderr never holds a request up.
    let log = StderrLog::start();
    init_logging(&log);
    // Signals are caught before the URL is out, so one sent as soon as it is read is handled.
    let mut stop = match StopSignals::catch() {
        Ok(s) => s,
        Err(e) => return fail(1, format!("cannot catch SIGINT and SIGTERM: {e}")),
    };
    let sandbox = match builder.start().await {
        Ok(s) => s,
        Err(e) => return fail(1, format!("cannot start the sandbox: {e}")),
    };
    if let Some((rate, seed, kinds)) = random {
        sandbox.random_faults(rate, seed, kinds);
    }
    let banner = format!(
        "Flitt sandbox listening on {url}\nFLITT_API_URL={url}\nFLITT_MERCHANT_ID={}\nFLITT_SECRET_KEY={}\nFLITT_CREDIT_KEY={}\nDashboard: {url}/\nControl API: {url}/sandbox/control",
        flitt_sandbox::MERCHANT_ID,
        flitt_sandbox::SECRET_KEY,
        flitt_sandbox::CREDIT_KEY,
        url = sandbox.url(),
    );
    // Nobody can find a sandbox whose URL was lost: stop (dropping it) rather than serve.
    if let Err(e) = emit(banner) {
        return output_failed(&e);
    }
    match stop.wait().await {
        Ok(name) => {
            drop(sandbox);
            log.stop(&format!("Flitt sandbox stopped ({name})"), LOG_PATIENCE);
            ExitCode::SUCCESS
        }
        Err(e) => {
            log.stop(
                &format!("error: cannot wait for a signal: {e}"),
                LOG_PATIENCE,
            );
            ExitCode::from(1)
        }
    }
}
