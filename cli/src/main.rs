//! `hookline`: the command line of Hookline.
//!
//! - A client of the HTTP API, as a tenant: `configure` once, then `send`, `endpoint`, `secret`,
//!   `event-type`. Answers are printed as JSON; errors as `error: <code>: <message>` with exit code 1.
//! - `verify`: checks a saved webhook request against a secret and explains why it fails.
//! - Operator commands against a deployment's table with AWS credentials (`tenant`, `key`): creating the
//!   first tenant and its key is the one step no API key can do; `dlq` counts and redrives dead letters.

mod api;
mod client;
mod config;
mod dlq;
mod endpoints;
mod operator;
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
    /// Check a saved webhook request against a secret and explain exactly why it fails.
    Verify(verify_command::VerifyArgs),
    /// Operator: tenants, written directly to the deployment's table (needs --table and AWS credentials).
    #[command(subcommand)]
    Tenant(operator::TenantCommand),
    /// Operator: API keys, written directly to the deployment's table (shown once, stored hashed).
    #[command(subcommand)]
    Key(operator::KeyCommand),
    /// Operator: the dead-letter queue (count, redrive), with AWS credentials.
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
}

/// What a command printed and how the process ends.
enum Outcome {
    Json(Value),
    Verified(verify_command::Report),
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
    let json = match cli.command {
        Command::Configure(args) => api::configure(args)?,
        Command::Send(args) => api::run(api::Call::Send(args), progress).await?,
        Command::Endpoint(command) => api::run(api::Call::Endpoint(command), progress).await?,
        Command::Secret(command) => api::run(api::Call::Secret(command), progress).await?,
        Command::EventType(command) => api::run(api::Call::EventType(command), progress).await?,
        Command::Verify(args) => return Ok(Outcome::Verified(verify_command::run(args)?)),
        Command::Tenant(command) => operator::run(&cli.table, operator::Operation::Tenant(command)).await?,
        Command::Key(command) => operator::run(&cli.table, operator::Operation::Key(command)).await?,
        Command::Dlq(command) => dlq::run(command).await?,
    };
    Ok(Outcome::Json(json))
}

fn show(outcome: Outcome, compact: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match outcome {
        Outcome::Json(value) => {
            let text =
                if compact { serde_json::to_string(&value)? } else { serde_json::to_string_pretty(&value)? };
            writeln!(out, "{text}")?;
            Ok(ExitCode::SUCCESS)
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
}
