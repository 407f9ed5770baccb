//! `hookline tenant`: onboarding tenants through the API with a platform key (`put`, `get`, `list`,
//! `delete`), and the operator's commands that write the table directly (`create`, `show`,
//! `set-rate-limit`). Also `hookline portal-link`.

use std::time::Duration;

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{ListArgs, parse_pair};
use crate::client::Client;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create or update a tenant by your own id (`PUT /v1/tenants/{id}`, platform key). Idempotent: the
    /// flags are the tenant's whole settings, and an absent one takes its default.
    Put(PutArgs),
    /// One tenant (platform key).
    Get { tenant_id: String },
    /// The tenants, by id (platform key).
    List(ListArgs),
    /// Delete a tenant: its endpoints stop, its keys and sessions stop working, its data expires
    /// (platform key).
    Delete { tenant_id: String },
    /// Operator: create a tenant with a generated id and its first API key, in the table.
    Create {
        #[arg(long)]
        name: String,
        /// Events per second this tenant may send (default: the deployment's IngestRateLimit).
        #[arg(long)]
        rate_limit: Option<u32>,
    },
    /// Operator: a tenant as stored (`--tenant ID`), from the table.
    Show,
    /// Operator: change a tenant's ingest rate limit (`--tenant ID`), in the table.
    SetRateLimit {
        #[arg(long)]
        per_second: u32,
    },
}

impl TenantCommand {
    /// Whether the command writes the table with AWS credentials rather than calling the API.
    pub fn is_operator(&self) -> bool {
        matches!(self, Self::Create { .. } | Self::Show | Self::SetRateLimit { .. })
    }
}

#[derive(Debug, Args)]
pub struct PutArgs {
    /// Your own id for the customer: 1 to 64 of A-Z a-z 0-9 _ - . (first a letter or digit).
    tenant_id: String,
    /// A display name (default: the id).
    #[arg(long)]
    name: Option<String>,
    /// A label, `key=value`; repeat for more.
    #[arg(long = "metadata", value_parser = parse_pair)]
    metadata: Vec<(String, String)>,
    /// Events per second this tenant may send (default: the deployment's).
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Refuse events whose type is not in the tenant's catalogue.
    #[arg(long)]
    reject_unregistered_event_types: bool,
}

#[derive(Debug, Args)]
pub struct PortalLinkArgs {
    /// What the session may do besides viewing: manage_endpoints, secrets, replay. Repeat for more.
    #[arg(long = "capability", value_parser = ["manage_endpoints", "secrets", "replay", "view"])]
    capabilities: Vec<String>,
    /// How long the session lasts once opened (1m to 24h; the API's default is 1h).
    #[arg(long, value_parser = humantime::parse_duration)]
    expires_in: Option<Duration>,
}

pub async fn run(
    api: &Client,
    command: TenantCommand,
    progress: impl FnMut(usize, usize),
) -> anyhow::Result<Value> {
    Ok(match command {
        TenantCommand::Put(args) => {
            let mut body = json!({
                "metadata": args.metadata.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
                "reject_unregistered_event_types": args.reject_unregistered_event_types,
            });
            if let Some(name) = args.name {
                body["name"] = json!(name);
            }
            if let Some(limit) = args.rate_limit {
                body["ingest_rate_limit"] = json!(limit);
            }
            api.call(Method::PUT, &["v1", "tenants", &args.tenant_id], &[], Some(&body)).await?.body
        }
        TenantCommand::Get { tenant_id } => {
            api.call(Method::GET, &["v1", "tenants", &tenant_id], &[], None).await?.body
        }
        TenantCommand::List(ListArgs { limit, cursor, all }) => {
            api.list(&["v1", "tenants"], &[], limit, cursor, all, progress).await?
        }
        TenantCommand::Delete { tenant_id } => {
            api.call(Method::DELETE, &["v1", "tenants", &tenant_id], &[], None).await?;
            json!({ "tenant_id": tenant_id, "deleted": true })
        }
        TenantCommand::Create { .. } | TenantCommand::Show | TenantCommand::SetRateLimit { .. } => {
            anyhow::bail!("operator commands write the table: run them with --table")
        }
    })
}

/// A single-use portal link for the tenant (`POST /v1/portal-sessions`).
pub async fn portal_link(api: &Client, args: PortalLinkArgs) -> anyhow::Result<Value> {
    let mut body = json!({ "capabilities": args.capabilities });
    if let Some(expires_in) = args.expires_in {
        body["expires_in"] = json!(expires_in.as_secs());
    }
    Ok(api.call(Method::POST, &["v1", "portal-sessions"], &[], Some(&body)).await?.body)
}
