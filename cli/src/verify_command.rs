//! `hookline verify`: reads a saved request and a secret, and prints whether it verifies and, if not,
//! exactly why (the diagnosis is in [`crate::verify`]).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::{ArgGroup, Args};
use hookline_core::signing::DEFAULT_TOLERANCE_SECS;

use crate::verify::{Window, diagnose, input};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("secret_source").required(true).args(["secret", "secret_file", "public_key"])))]
pub struct VerifyArgs {
    /// The endpoint's signing secret, `whsec_…` (`hookline secret show <endpoint>` prints it).
    #[arg(long, env = "HOOKLINE_WEBHOOK_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Check the `v1a` (Ed25519) signatures with the endpoint's public key, `whpk_…` (in
    /// `hookline endpoint get`'s `public_key`).
    #[arg(long)]
    public_key: Option<String>,
    /// A file holding the secret.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// A file of `Name: value` header lines; a raw HTTP request dump works (its body is ignored).
    #[arg(long, conflicts_with = "request")]
    headers: Option<PathBuf>,
    /// A header, `Name: value` (repeatable; added to the others).
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = input::parse_header_arg)]
    header: Vec<(String, String)>,
    /// The raw body exactly as received (`-` for stdin).
    #[arg(long, conflicts_with = "request", required_unless_present = "request")]
    body: Option<PathBuf>,
    /// A whole raw HTTP request: request line and headers, a blank line, the body (`-` for stdin).
    #[arg(long)]
    request: Option<PathBuf>,
    /// Check as of this time (Unix seconds) instead of now, e.g. when the request arrived.
    #[arg(long, allow_negative_numbers = true)]
    now: Option<i64>,
    /// How far the timestamp may be from now, in seconds.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE_SECS)]
    tolerance: i64,
}

/// The verdict and what to print: `valid`, or `invalid` and one line per cause; notes go to stderr.
#[derive(Debug)]
pub struct Report {
    pub valid: bool,
    pub text: String,
    pub notes: Vec<String>,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<Report> {
    let secret = match (&args.public_key, &args.secret, &args.secret_file) {
        (Some(key), ..) => key.clone(),
        (None, Some(secret), _) => secret.clone(),
        (None, None, Some(path)) => String::from_utf8(read(path)?).context("the secret file is not text")?,
        (None, None, None) => bail!("give the secret with --secret or --secret-file, or a --public-key"),
    };
    // Pasted secrets often carry a newline or the quotes of the JSON they were copied from.
    let secret = secret.trim().trim_matches(['"', '\'']);

    let (mut headers, body) = match (&args.request, &args.headers, &args.body) {
        (Some(path), ..) => {
            let raw = read(path)?;
            let (head, body) = input::split_request(&raw);
            (input::parse_headers(&String::from_utf8_lossy(head))?, body.to_vec())
        }
        (None, headers, Some(body)) => {
            let headers = match headers {
                Some(path) => input::parse_headers(&String::from_utf8_lossy(&read(path)?))
                    .with_context(|| format!("reading headers from {}", path.display()))?,
                None => Vec::new(),
            };
            (headers, read(body)?)
        }
        (None, _, None) => bail!("give the body with --body FILE, or the whole request with --request FILE"),
    };
    headers.extend(args.header);
    if headers.is_empty() {
        bail!("give the headers: --headers FILE, --header 'webhook-id: …' (repeatable), or --request FILE");
    }

    let now = match args.now {
        Some(now) => now,
        None => SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs().try_into()?,
    };
    let diagnosis = diagnose(secret, &headers, &body, Window { now, tolerance: args.tolerance });
    let text = if diagnosis.is_valid() {
        "valid\n".to_owned()
    } else {
        let causes: String = diagnosis.causes.iter().map(|cause| format!("- {cause}\n")).collect();
        format!("invalid\n{causes}")
    };
    let notes = diagnosis.notes.iter().map(ToString::to_string).collect();
    Ok(Report { valid: diagnosis.is_valid(), text, notes })
}

/// A file's bytes, or stdin's for `-`.
fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).context("reading stdin")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}
