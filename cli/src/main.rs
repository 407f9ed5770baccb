//! `hookline`: the command line of Hookline.
//!
//! - A client of the HTTP API, as a tenant: `configure` once, then `send`, `endpoint`, `secret`,
//!   `event-type`; the attempt log (`message`, `attempts`, `tail`); recovery (`resend`, `recover`); and
//!   `probe`. Answers are printed as JSON; errors as `error: <code>: <message>` with exit code 1; a probe
//!   that finds the endpoint not verifying signatures exits with 2.
//! - `verify`: checks a saved webhook request against a secret and explains why it fails.
//! - With a platform key: `tenant put/get/list/delete`, `portal-link`, and every tenant command with
//!   `--tenant ID`.
//! - Operator commands against a deployment's table with AWS credentials (`platform-key`, `tenant create`,
//!   `key`): issuing the first platform key is the one step no key can do; `dlq` counts and redrives dead
//!   letters.

mod api;
mod client;
mod config;
mod dlq;
mod endpoints;
mod log;
mod operator;
mod recovery;
mod tail;
mod tenants;
mod verify;
mod verify_command;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The deployment's DynamoDB table, for `tenant` and `key` (the stack's `TableName` output).
    #[arg(long, env = "HOOKLINE_TABLE_NAME", global = true, default_value = "")]
    table: String,
    /// The tenant to act for: with a platform key, tenant commands go to `/v1/tenants/{ID}/…`; the
    /// operator's `key` and `tenant show` commands name their tenant with it too.
    #[arg(long, env = "HOOKLINE_TENANT", global = true)]
    tenant: Option<String>,
    /// Print JSON answers on one line instead of indented.
    #[arg(long, global = true)]
    compact: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Save the API URL and key for the other API commands (`HOOKLINE_API_URL`, `HOOKLINE_API_KEY`
    /// override them). The file is readable by you only.
    Configure(api::ConfigureArgs),
    /// Send an event (`POST /v1/events`).
    Send(api::SendArgs),
    /// Endpoints: where events are delivered.
    #[command(subcommand)]
    Endpoint(endpoints::EndpointCommand),
    /// An endpoint's signing secrets.
    #[command(subcommand)]
    Secret(api::SecretCommand),
    /// Registered event types.
    #[command(subcommand)]
    EventType(api::EventTypeCommand),
    /// The attempt log: messages (accepted events), and each one's deliveries and attempts.
    #[command(subcommand)]
    Message(log::MessageCommand),
    /// The attempts made to an endpoint, newest first.
    Attempts(log::AttemptsArgs),
    /// Follow an endpoint's attempts as they are recorded, one line each, until Ctrl-C.
    Tail(tail::TailArgs),
    /// Send a message again to one endpoint, with the same webhook-id.
    Resend(recovery::ResendArgs),
    /// Send again every delivery to an endpoint that failed for good since a time; progress on stderr.
    Recover(recovery::RecoverArgs),
    /// Check that an endpoint verifies signatures: exits 2 if it accepts forged or stale requests.
    Probe(recovery::ProbeArgs),
    /// Check a saved webhook request against a secret and explain exactly why it fails.
    Verify(verify_command::VerifyArgs),
    /// Tenants: `put`, `get`, `list`, `delete` with a platform key; `create`, `show`, `set-rate-limit`
    /// are operator commands on the table (--table and AWS credentials).
    #[command(subcommand)]
    Tenant(tenants::TenantCommand),
    /// A single-use link that opens the tenant's portal (`--tenant ID` with a platform key).
    PortalLink(tenants::PortalLinkArgs),
    /// Operator: platform keys, written directly to the deployment's table (shown once, stored hashed).
    #[command(subcommand)]
    PlatformKey(operator::PlatformKeyCommand),
    /// Operator: API keys, written directly to the deployment's table (shown once, stored hashed).
    #[command(subcommand)]
    Key(operator::KeyCommand),
    /// Operator: the dead-letter queue (count, redrive), with AWS credentials.
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
}

/// `probe`'s exit status when the endpoint does not verify signatures (1 is any other failure).
const NOT_VERIFYING: u8 = 2;

/// What a command printed and how the process ends.
enum Outcome {
    Json(Value),
    Verified(verify_command::Report),
    /// Printed as it went.
    Streamed,
    Probed(recovery::Probed),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let compact = cli.compact;
    match run(cli).await.and_then(|outcome| show(outcome, compact)) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` shows the causes too; an API error is already `<code>: <message>`.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let progress = |pages: usize, items: usize| eprintln!("fetched page {pages} ({items} items so far)");
    let tenant = cli.tenant.as_deref();
    let client = || api::client(tenant);
    let operator = |operation| operator::run(&cli.table, tenant, operation);
    let json = match cli.command {
        Command::Configure(args) => api::configure(args)?,
        Command::Send(args) => api::run(&client()?, api::Call::Send(args), progress).await?,
        Command::Endpoint(command) => {
            api::run(&client()?, api::Call::Endpoint(Box::new(command)), progress).await?
        }
        Command::Secret(command) => api::run(&client()?, api::Call::Secret(command), progress).await?,
        Command::EventType(command) => api::run(&client()?, api::Call::EventType(command), progress).await?,
        Command::Message(command) => log::message(&client()?, command, progress).await?,
        Command::Attempts(args) => log::attempts(&client()?, args, progress).await?,
        Command::Tail(args) => {
            tail::run(&client()?, args).await?;
            return Ok(Outcome::Streamed);
        }
        Command::Resend(args) => recovery::resend(&client()?, args).await?,
        Command::Recover(args) => {
            let progress = |resent| eprintln!("resent {resent} so far");
            recovery::recover(&client()?, args, progress).await?
        }
        Command::Probe(args) => return Ok(Outcome::Probed(recovery::probe(&client()?, args).await?)),
        Command::Verify(args) => return Ok(Outcome::Verified(verify_command::run(args)?)),
        Command::Tenant(command) if command.is_operator() => {
            operator(operator::Operation::Tenant(command)).await?
        }
        Command::Tenant(command) => tenants::run(&client()?, command, progress).await?,
        Command::PortalLink(args) => tenants::portal_link(&client()?, args).await?,
        Command::Key(command) => operator(operator::Operation::Key(command)).await?,
        Command::PlatformKey(command) => operator(operator::Operation::PlatformKey(command)).await?,
        Command::Dlq(command) => dlq::run(command).await?,
    };
    Ok(Outcome::Json(json))
}

fn show(outcome: Outcome, compact: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let json = |value: &Value| {
        if compact { serde_json::to_string(value) } else { serde_json::to_string_pretty(value) }
    };
    match outcome {
        Outcome::Json(value) => {
            writeln!(out, "{}", json(&value)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Streamed => Ok(ExitCode::SUCCESS),
        Outcome::Probed(probed) => {
            writeln!(out, "{}", json(&probed.report)?)?;
            if probed.verifies_signatures {
                return Ok(ExitCode::SUCCESS);
            }
            let verdict = probed.report["verdict"].as_str().unwrap_or("verifies_signatures is false");
            eprintln!("probe failed: {verdict}");
            Ok(ExitCode::from(NOT_VERIFYING))
        }
        Outcome::Verified(report) => {
            out.write_all(report.text.as_bytes())?;
            out.flush()?;
            for note in &report.notes {
                eprintln!("note: {note}");
            }
            Ok(if report.valid { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_operator_commands_keep_their_flags_in_either_position() {
        let before = Cli::try_parse_from(["hookline", "--table", "t", "tenant", "create", "--name", "acme"]);
        let after = Cli::try_parse_from(["hookline", "key", "list", "--tenant", "ten_1", "--table", "t"]);
        assert_eq!(before.map(|cli| cli.table).ok().as_deref(), Some("t"));
        assert_eq!(after.map(|cli| cli.table).ok().as_deref(), Some("t"));
    }

    #[test]
    fn the_attempt_log_and_recovery_commands_take_their_documented_flags() {
        let parses = |args: &[&str]| Cli::try_parse_from([&["hookline"], args].concat()).is_ok();
        assert!(parses(&["attempts", "ep_1", "--status", "dead_lettered", "--since", "1h", "--all"]));
        assert!(parses(&[
            "message",
            "list",
            "--since",
            "2025-01-31T00:00:00Z",
            "--until",
            "10m",
            "--limit",
            "5"
        ]));
        assert!(parses(&["tail", "ep_1", "--status", "failed", "--interval", "500ms", "--for", "1m"]));
        assert!(parses(&["recover", "ep_1", "--since", "6h"]));
        assert!(parses(&["resend", "msg_1", "--endpoint", "ep_1"]));
        assert!(!parses(&["recover", "ep_1"]), "recover needs --since");
        assert!(!parses(&["attempts", "ep_1", "--status", "dead-lettered"]));
        assert!(!parses(&["tail", "ep_1", "--max-polls", "0"]));
        assert!(!parses(&["message", "list", "--since", "yesterday"]));
        assert!(parses(&["--tenant", "acme", "endpoint", "list"]));
        assert!(parses(&["send", "--type", "a.b", "--payload", "{}", "--tenant", "cus_1"]));
        assert!(parses(&[
            "tenant",
            "put",
            "acme",
            "--name",
            "Acme",
            "--metadata",
            "plan=pro",
            "--rate-limit",
            "50"
        ]));
        assert!(parses(&["portal-link", "--tenant", "acme", "--capability", "replay", "--expires-in", "2h"]));
        assert!(parses(&["platform-key", "create", "--name", "deploy", "--table", "t"]));
        assert!(!parses(&["portal-link", "--capability", "admin"]));
    }
}
