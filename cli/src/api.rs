//! The commands that call the HTTP API (see `openapi/openapi.yaml`): `configure` saves where and as whom,
//! the others send one request (or, for `--all`, one per page) and print the answer.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{ArgGroup, Args, Subcommand};
use hookline_core::tenancy::{ApiKey, PlatformKey};
use hookline_core::tokens::{BearerToken, TokenKind};
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{Client, parse_base_url};
use crate::config::{self, FileConfig};
use crate::endpoints::{self, EndpointCommand};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("setting").required(true).multiple(true).args(["api_url", "api_key"])))]
pub struct ConfigureArgs {
    /// The API's base URL (a deployment's `ApiUrl` output).
    #[arg(long)]
    api_url: Option<String>,
    /// An API key, `hlk_…`, or a platform key, `hlp_…`; `-` reads it from stdin (keeps it out of the shell
    /// history).
    #[arg(long)]
    api_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The event type, e.g. `invoice.paid`.
    #[arg(long = "type")]
    event_type: String,
    /// The payload, a JSON object: inline, `@file`, or `-` for stdin.
    #[arg(long)]
    payload: String,
    /// Your id for the event: a retry with the same id is answered as the first and not delivered twice.
    #[arg(long)]
    id: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Page size (1 to 100; the API's default is 50).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: Option<u32>,
    /// Start at this page (a `next_cursor` from an earlier answer).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Fetch every page (following `next_cursor`) and print them as one list.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// The endpoint's current signing secret and any previous ones still signing.
    Show { endpoint_id: String },
    /// Generate a new secret; the old one keeps signing during the grace period.
    Rotate {
        endpoint_id: String,
        /// How long the old secret keeps signing, e.g. `24h`, `30m`, `0s` (the API's default: 24 h).
        #[arg(long, value_parser = humantime::parse_duration)]
        grace: Option<Duration>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventTypeCommand {
    /// Register an event type.
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// An example payload, a JSON object: inline, `@file`, or `-` for stdin.
        #[arg(long)]
        example: Option<String>,
    },
    List(ListArgs),
    Get {
        name: String,
    },
    Delete {
        name: String,
    },
}

/// One API command.
#[derive(Debug)]
pub enum Call {
    Send(SendArgs),
    Endpoint(Box<EndpointCommand>),
    Secret(SecretCommand),
    EventType(EventTypeCommand),
}

/// Writes the config file, keeping what is not given; prints where, never the key.
pub fn configure(args: ConfigureArgs) -> anyhow::Result<Value> {
    let env = |name: &str| std::env::var(name).ok();
    let path = config::path(env)?;
    let mut file: FileConfig = config::load(&path)?;
    if let Some(url) = args.api_url {
        file.api_url = Some(parse_base_url(&url)?.to_string());
    }
    let mut key_id = None;
    if let Some(key) = args.api_key {
        let key = if key == "-" { read_stdin()?.trim().to_owned() } else { key };
        let token = BearerToken::parse(&key)
            .filter(|token| matches!(token.kind(), TokenKind::ApiKey | TokenKind::PlatformKey))
            .context("that is not a Hookline API key (hlk_…) or platform key (hlp_…)")?;
        key_id = ApiKey::id_of(&token)
            .map(|id| id.to_string())
            .or_else(|| PlatformKey::id_of(&token).map(|id| id.to_string()));
        file.api_key = Some(key);
    }
    config::save(&path, &file)?;
    let mut shown = json!({ "config": path, "api_url": file.api_url, "api_key_set": file.api_key.is_some() });
    if let Some(id) = key_id {
        shown["api_key_id"] = json!(id);
    }
    Ok(shown)
}

/// A client of the configured API (the config file, or `HOOKLINE_API_URL` and `HOOKLINE_API_KEY`),
/// acting for `tenant` if named.
pub fn client(tenant: Option<&str>) -> anyhow::Result<Client> {
    let mut settings = config::settings()?;
    if let Some(tenant) = tenant {
        settings.tenant = Some(tenant.to_owned());
    }
    Client::new(&settings)
}

pub async fn run(api: &Client, call: Call, progress: impl FnMut(usize, usize)) -> anyhow::Result<Value> {
    let reply = match call {
        Call::Send(args) => return send(api, args).await,
        Call::Endpoint(command) => return endpoints::run(api, *command, progress).await,
        Call::Secret(SecretCommand::Show { endpoint_id }) => {
            api.call(Method::GET, &["v1", "endpoints", &endpoint_id, "secret"], &[], None).await?
        }
        Call::Secret(SecretCommand::Rotate { endpoint_id, grace }) => {
            let body = grace.map_or_else(|| json!({}), |g| json!({ "grace_period_secs": g.as_secs() }));
            let path = ["v1", "endpoints", &endpoint_id, "secret", "rotate"];
            api.call(Method::POST, &path, &[], Some(&body)).await?
        }
        Call::EventType(EventTypeCommand::Create { name, description, example }) => {
            let mut body = json!({ "name": name });
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            if let Some(example) = example {
                body["example"] = json_arg("--example", &example)?;
            }
            api.call(Method::POST, &["v1", "event-types"], &[], Some(&body)).await?
        }
        Call::EventType(EventTypeCommand::List(ListArgs { limit, cursor, all })) => {
            return Ok(api.list(&["v1", "event-types"], &[], limit, cursor, all, progress).await?);
        }
        Call::EventType(EventTypeCommand::Get { name }) => {
            api.call(Method::GET, &["v1", "event-types", &name], &[], None).await?
        }
        Call::EventType(EventTypeCommand::Delete { name }) => {
            api.call(Method::DELETE, &["v1", "event-types", &name], &[], None).await?;
            return Ok(json!({ "name": name, "deleted": true }));
        }
    };
    Ok(reply.body)
}

async fn send(api: &Client, args: SendArgs) -> anyhow::Result<Value> {
    let mut body = json!({ "event_type": args.event_type, "payload": json_arg("--payload", &args.payload)? });
    if let Some(id) = args.id {
        body["id"] = json!(id);
    }
    let reply = api.call(Method::POST, &["v1", "events"], &[], Some(&body)).await?;
    if reply.replayed {
        eprintln!(
            "note: an event with this id was already accepted; this is its answer, nothing was sent again"
        );
    }
    Ok(reply.body)
}

/// A JSON argument: inline, `@file`, or `-` for stdin.
pub fn json_arg(flag: &str, text: &str) -> anyhow::Result<Value> {
    let source = if text == "-" {
        read_stdin()?
    } else if let Some(path) = text.strip_prefix('@') {
        let path = PathBuf::from(path);
        std::fs::read_to_string(&path).with_context(|| format!("{flag}: reading {}", path.display()))?
    } else {
        text.to_owned()
    };
    serde_json::from_str(&source).with_context(|| format!("{flag} is not JSON"))
}

fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("reading stdin")?;
    Ok(text)
}

/// `Name: value` (also `Name=value`, which people type too) for `--header`.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let at = text.find([':', '=']).ok_or("expected `Name: value`")?;
    let (name, value) = (text[..at].trim(), &text[at + 1..]);
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("`{name}` is not a header name"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or("expected `key=value`")?;
    Ok((key.trim().to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_pairs_parse_and_nonsense_is_refused() {
        assert_eq!(parse_header("X-Team: billing"), Ok(("X-Team".into(), "billing".into())));
        assert_eq!(parse_header("X-Team=a:b"), Ok(("X-Team".into(), "a:b".into())));
        assert!(parse_header("no separator").is_err());
        assert!(parse_header("two words: x").is_err());
        assert_eq!(parse_pair("owner=a=b"), Ok(("owner".into(), "a=b".into())));
    }

    #[test]
    fn json_arguments_come_inline_or_from_a_file_and_must_be_json() {
        assert_eq!(json_arg("--payload", r#"{"n":1}"#).unwrap(), json!({ "n": 1 }));
        let path = std::env::temp_dir().join(format!("hookline-cli-payload-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"from":"file"}"#).unwrap();
        assert_eq!(
            json_arg("--payload", &format!("@{}", path.display())).unwrap(),
            json!({ "from": "file" })
        );
        std::fs::remove_file(&path).ok();
        let error = json_arg("--payload", "{nope").unwrap_err().to_string();
        assert_eq!(error, "--payload is not JSON");
    }
}
