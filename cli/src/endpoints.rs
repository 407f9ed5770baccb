//! `hookline endpoint …`: where events are delivered, through the API's endpoint routes.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::api::{ListArgs, json_arg, parse_header, parse_pair};
use crate::client::Client;

/// Endpoint settings that `create` and `update` share.
#[derive(Debug, Args)]
pub struct EndpointFields {
    /// An event type filter: `invoice.paid`, `invoice.*` or `*` (repeatable; default `*`).
    #[arg(long = "event-type", value_name = "FILTER")]
    event_types: Vec<String>,
    /// What the endpoint is for, for people.
    #[arg(long)]
    description: Option<String>,
    /// A header sent with every delivery, `Name: value` (repeatable; replaces all headers on update).
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Most deliveries per second to this endpoint.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// This endpoint's delays before each attempt, e.g. `0s,1m,10m,1h` (default: the deployment's).
    #[arg(long, value_name = "DELAYS", value_delimiter = ',')]
    retry_schedule: Vec<String>,
    /// A label for your own use, `key=value` (repeatable; replaces all metadata on update).
    #[arg(long = "metadata", value_name = "KEY=VALUE", value_parser = parse_pair)]
    metadata: Vec<(String, String)>,
    /// Deliver only events whose payload matches, a JSON filter such as `{"amount": {"$gte": 100}}`:
    /// inline, `@file`, or `-` for stdin (see docs/api.md, Payload filters).
    #[arg(long, value_name = "JSON", value_parser = parse_filter)]
    payload_filter: Option<Value>,
    /// Send `Authorization: Basic …` with every delivery: `user:password` (`-` reads it from stdin).
    #[arg(long, value_name = "USER:PASSWORD", conflicts_with_all = ["bearer_token", "oauth2_token_url"])]
    basic_auth: Option<String>,
    /// Send `Authorization: Bearer <token>` with every delivery (`-` reads it from stdin).
    #[arg(long, value_name = "TOKEN", conflicts_with = "oauth2_token_url")]
    bearer_token: Option<String>,
    /// Fetch an OAuth2 token (client credentials) from this URL and send it as a bearer token.
    #[arg(long, value_name = "URL", requires_all = ["oauth2_client_id", "oauth2_client_secret"])]
    oauth2_token_url: Option<String>,
    /// The OAuth2 client's id.
    #[arg(long, value_name = "ID", requires = "oauth2_token_url")]
    oauth2_client_id: Option<String>,
    /// The OAuth2 client's secret (`-` reads it from stdin).
    #[arg(long, value_name = "SECRET", requires = "oauth2_token_url")]
    oauth2_client_secret: Option<String>,
    /// The scope to ask the token URL for.
    #[arg(long, value_name = "SCOPE", requires = "oauth2_token_url")]
    oauth2_scope: Option<String>,
    /// Which signatures to send: `v1` (HMAC, the default), `v1a` (Ed25519) or `v1,v1a`.
    #[arg(long, value_name = "VERSIONS", value_delimiter = ',')]
    signature_versions: Vec<String>,
}

/// A credential given inline, or `-` to read it from stdin (keeps it out of the shell history).
fn secret_arg(text: String) -> anyhow::Result<String> {
    if text != "-" {
        return Ok(text);
    }
    let mut read = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut read).context("reading stdin")?;
    Ok(read.trim().to_owned())
}

fn parse_filter(text: &str) -> Result<Value, String> {
    json_arg("--payload-filter", text).map_err(|e| format!("{e:#}"))
}

#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Create an endpoint; the answer holds its signing secret.
    Create {
        /// Where to POST the events (https).
        #[arg(long)]
        url: String,
        #[command(flatten)]
        fields: EndpointFields,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
    },
    List(ListArgs),
    Get {
        endpoint_id: String,
    },
    /// Change the fields given; leave the others as they are.
    Update {
        endpoint_id: String,
        /// The new URL.
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        fields: EndpointFields,
        /// Remove the description.
        #[arg(long, conflicts_with = "description")]
        clear_description: bool,
        /// Remove the rate limit.
        #[arg(long, conflicts_with = "rate_limit")]
        clear_rate_limit: bool,
        /// Go back to the deployment's retry schedule.
        #[arg(long, conflicts_with = "retry_schedule")]
        clear_retry_schedule: bool,
        /// Send no extra headers.
        #[arg(long, conflicts_with = "headers")]
        clear_headers: bool,
        /// Remove all metadata.
        #[arg(long, conflicts_with = "metadata")]
        clear_metadata: bool,
        /// Deliver every payload again (remove the payload filter).
        #[arg(long, conflicts_with = "payload_filter")]
        clear_payload_filter: bool,
        /// Send no Authorization header any more.
        #[arg(long, conflicts_with_all = ["basic_auth", "bearer_token", "oauth2_token_url"])]
        clear_auth: bool,
    },
    /// Delete an endpoint; deliveries still pending to it are dropped.
    Delete {
        endpoint_id: String,
    },
    /// Enable an endpoint (also clears why it was disabled).
    Enable {
        endpoint_id: String,
    },
    /// Stop delivering to an endpoint.
    Disable {
        endpoint_id: String,
    },
    /// Send the endpoint a `hookline.test` event (signed, retried and logged like any event).
    Test {
        endpoint_id: String,
    },
}

pub async fn run(
    api: &Client,
    command: EndpointCommand,
    progress: impl FnMut(usize, usize),
) -> anyhow::Result<Value> {
    let patch = async |id: &str, body: Value| {
        api.call(Method::PATCH, &["v1", "endpoints", id], &[], Some(&body)).await
    };
    let reply = match command {
        EndpointCommand::Create { url, fields, disabled } => {
            let mut body = fields.into_json(Some(url))?;
            if disabled {
                body.insert("enabled".into(), json!(false));
            }
            api.call(Method::POST, &["v1", "endpoints"], &[], Some(&Value::Object(body))).await?
        }
        EndpointCommand::List(ListArgs { limit, cursor, all }) => {
            return Ok(api.list(&["v1", "endpoints"], &[], limit, cursor, all, progress).await?);
        }
        EndpointCommand::Get { endpoint_id } => {
            api.call(Method::GET, &["v1", "endpoints", &endpoint_id], &[], None).await?
        }
        EndpointCommand::Update {
            endpoint_id,
            url,
            fields,
            clear_description,
            clear_rate_limit,
            clear_retry_schedule,
            clear_headers,
            clear_metadata,
            clear_payload_filter,
            clear_auth,
        } => {
            let mut body = fields.into_json(url)?;
            let clears = [
                (clear_description, "description", Value::Null),
                (clear_rate_limit, "rate_limit", Value::Null),
                (clear_retry_schedule, "retry_schedule", Value::Null),
                (clear_headers, "headers", json!({})),
                (clear_metadata, "metadata", json!({})),
                (clear_payload_filter, "payload_filter", Value::Null),
                (clear_auth, "auth", Value::Null),
            ];
            body.extend(clears.into_iter().filter(|(clear, ..)| *clear).map(|(_, k, v)| (k.to_owned(), v)));
            if body.is_empty() {
                bail!("nothing to change: give at least one field to update (see --help)");
            }
            patch(&endpoint_id, Value::Object(body)).await?
        }
        EndpointCommand::Delete { endpoint_id } => {
            api.call(Method::DELETE, &["v1", "endpoints", &endpoint_id], &[], None).await?;
            return Ok(json!({ "id": endpoint_id, "deleted": true }));
        }
        EndpointCommand::Enable { endpoint_id } => patch(&endpoint_id, json!({ "enabled": true })).await?,
        EndpointCommand::Disable { endpoint_id } => patch(&endpoint_id, json!({ "enabled": false })).await?,
        EndpointCommand::Test { endpoint_id } => {
            api.call(Method::POST, &["v1", "endpoints", &endpoint_id, "test"], &[], None).await?
        }
    };
    Ok(reply.body)
}

impl EndpointFields {
    /// The fields given, as the API's JSON names; absent ones are left out.
    fn into_json(self, url: Option<String>) -> anyhow::Result<Map<String, Value>> {
        let mut body = Map::new();
        let mut set = |name: &str, value: Value| {
            body.insert(name.to_owned(), value);
        };
        if let Some(url) = url {
            set("url", json!(url));
        }
        if !self.event_types.is_empty() {
            set("event_types", json!(self.event_types));
        }
        if let Some(description) = self.description {
            set("description", json!(description));
        }
        if !self.headers.is_empty() {
            set("headers", json!(self.headers.into_iter().collect::<BTreeMap<_, _>>()));
        }
        if let Some(rate_limit) = self.rate_limit {
            set("rate_limit", json!(rate_limit));
        }
        if !self.retry_schedule.is_empty() {
            set("retry_schedule", json!(self.retry_schedule));
        }
        if !self.metadata.is_empty() {
            set("metadata", json!(self.metadata.into_iter().collect::<BTreeMap<_, _>>()));
        }
        if let Some(filter) = self.payload_filter {
            set("payload_filter", filter);
        }
        if let Some(pair) = self.basic_auth {
            let pair = secret_arg(pair)?;
            let (username, password) = pair.split_once(':').context("--basic-auth is `user:password`")?;
            set("auth", json!({ "type": "basic", "username": username, "password": password }));
        }
        if let Some(token) = self.bearer_token {
            set("auth", json!({ "type": "bearer", "token": secret_arg(token)? }));
        }
        if let (Some(token_url), Some(client_id), Some(secret)) =
            (self.oauth2_token_url, self.oauth2_client_id, self.oauth2_client_secret)
        {
            let mut grant = json!({ "type": "oauth2_client_credentials", "token_url": token_url,
                                    "client_id": client_id, "client_secret": secret_arg(secret)? });
            if let Some(scope) = self.oauth2_scope {
                grant["scope"] = json!(scope);
            }
            set("auth", grant);
        }
        if !self.signature_versions.is_empty() {
            set("signature_versions", json!(self.signature_versions));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_fields_become_the_apis_json_and_absent_ones_stay_absent() {
        let fields = EndpointFields {
            event_types: vec!["invoice.*".into()],
            description: None,
            headers: vec![("X-Team".into(), "billing".into())],
            rate_limit: Some(5),
            retry_schedule: vec!["0s".into(), "1m".into()],
            metadata: vec![],
            payload_filter: Some(json!({ "amount": { "$gte": 100 } })),
            basic_auth: Some("hook:s3cret".into()),
            bearer_token: None,
            oauth2_token_url: None,
            oauth2_client_id: None,
            oauth2_client_secret: None,
            oauth2_scope: None,
            signature_versions: vec![],
        };
        let body = Value::Object(fields.into_json(Some("https://x.example.com".into())).unwrap());
        let expected = json!({ "url": "https://x.example.com", "event_types": ["invoice.*"],
                               "headers": { "X-Team": "billing" }, "rate_limit": 5,
                               "retry_schedule": ["0s", "1m"], "payload_filter": { "amount": { "$gte": 100 } },
                               "auth": { "type": "basic", "username": "hook", "password": "s3cret" } });
        assert_eq!(body, expected);
    }

    #[test]
    fn an_oauth2_grant_and_signature_versions_become_the_apis_json() {
        let fields = EndpointFields {
            event_types: vec![],
            description: None,
            headers: vec![],
            rate_limit: None,
            retry_schedule: vec![],
            metadata: vec![],
            payload_filter: None,
            basic_auth: None,
            bearer_token: None,
            oauth2_token_url: Some("https://auth.example.com/token".into()),
            oauth2_client_id: Some("hookline".into()),
            oauth2_client_secret: Some("cs".into()),
            oauth2_scope: Some("hooks".into()),
            signature_versions: vec!["v1".into(), "v1a".into()],
        };
        let body = Value::Object(fields.into_json(None).unwrap());
        let expected = json!({ "signature_versions": ["v1", "v1a"],
                               "auth": { "type": "oauth2_client_credentials", "token_url": "https://auth.example.com/token",
                                         "client_id": "hookline", "client_secret": "cs", "scope": "hooks" } });
        assert_eq!(body, expected);
    }
}
