//! Operator commands against a deployment's table, with the operator's AWS credentials. Creating the
//! first tenant and its key is the one step no API key can do, so it lives here.

use anyhow::{Context as _, bail};
use clap::Subcommand;
use hookline::clock::{Clock as _, SystemClock};
use hookline::store::{ApiKeyStore as _, TenantStore as _};
use hookline::tenants::{NewTenant, create_tenant};
use hookline_api::{ApiKeyView, TenantView};
use hookline_aws::dynamo::DynamoStore;
use hookline_core::ids::{ApiKeyId, TenantId};
use hookline_core::tenancy::ApiKey;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and its first API key (printed once).
    Create {
        #[arg(long)]
        name: String,
        /// Events per second this tenant may send (default: the deployment's IngestRateLimit).
        #[arg(long)]
        rate_limit: Option<u32>,
    },
    Show {
        #[arg(long)]
        tenant: TenantId,
    },
    /// Change a tenant's ingest rate limit.
    SetRateLimit {
        #[arg(long)]
        tenant: TenantId,
        #[arg(long)]
        per_second: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Issue another key for a tenant (printed once).
    Create {
        #[arg(long)]
        tenant: TenantId,
        #[arg(long, default_value = "operator")]
        name: String,
    },
    List {
        #[arg(long)]
        tenant: TenantId,
    },
    /// Revoke a key: requests with it are refused with 401 from now on.
    Revoke {
        #[arg(long)]
        tenant: TenantId,
        #[arg(long)]
        key: ApiKeyId,
    },
}

/// One operator command, against the table the caller named.
#[derive(Debug)]
pub enum Operation {
    Tenant(TenantCommand),
    Key(KeyCommand),
}

pub async fn run(table: &str, operation: Operation) -> anyhow::Result<Value> {
    if table.is_empty() {
        bail!("give the table with --table or HOOKLINE_TABLE_NAME (the stack's TableName output)");
    }
    let aws = hookline_aws::aws_config().await;
    // Retention only matters for messages and attempts, which the CLI does not write.
    let store = DynamoStore::from_sdk(&aws, table, 30);
    let now = SystemClock.now_ms();
    Ok(match operation {
        Operation::Tenant(TenantCommand::Create { name, rate_limit }) => {
            let NewTenant { mut tenant, key, token } = create_tenant(&store, &name, now).await?;
            if rate_limit.is_some() {
                tenant.ingest_rate_limit = rate_limit;
                store.update_tenant(&tenant).await?;
            }
            json!({ "tenant_id": tenant.id, "name": tenant.name, "key_id": key.id, "api_key": token.expose() })
        }
        Operation::Tenant(TenantCommand::Show { tenant }) => {
            let tenant = store.get_tenant(&tenant).await?.context("no such tenant")?;
            let mut view = serde_json::to_value(TenantView::of(&tenant, 0))?;
            view["ingest_rate_limit"] = json!(tenant.ingest_rate_limit);
            view
        }
        Operation::Tenant(TenantCommand::SetRateLimit { tenant, per_second }) => {
            let mut tenant = store.get_tenant(&tenant).await?.context("no such tenant")?;
            tenant.ingest_rate_limit = Some(per_second.max(1));
            store.update_tenant(&tenant).await?;
            json!({ "tenant_id": tenant.id, "ingest_rate_limit": tenant.ingest_rate_limit })
        }
        Operation::Key(KeyCommand::Create { tenant, name }) => {
            store.get_tenant(&tenant).await?.context("no such tenant")?;
            let (key, token) = ApiKey::issue(tenant, name, now);
            store.put_api_key(&key).await?;
            json!({ "key_id": key.id, "api_key": token.expose() })
        }
        Operation::Key(KeyCommand::List { tenant }) => {
            let keys: Vec<ApiKeyView> =
                store.list_api_keys(&tenant).await?.iter().map(ApiKeyView::of).collect();
            serde_json::to_value(keys)?
        }
        Operation::Key(KeyCommand::Revoke { tenant, key }) => {
            if !store.revoke_api_key(&tenant, &key, now).await? {
                bail!("tenant {tenant} has no key {key}");
            }
            json!({ "revoked": key })
        }
    })
}
