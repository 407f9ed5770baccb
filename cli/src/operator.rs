//! Operator commands against a deployment's table, with the operator's AWS credentials. Issuing the first
//! platform key (or a first tenant and its key) is the one step no key can do, so it lives here.

use anyhow::{Context as _, bail};
use clap::Subcommand;
use hookline::clock::{Clock as _, SystemClock};
use hookline::store::{ApiKeyStore as _, PlatformKeyStore as _, TenantStore as _};
use hookline::tenants::{NewTenant, create_tenant, issue_platform_key, revoke_platform_key};
use hookline_api::{ApiKeyView, TenantView};
use hookline_aws::dynamo::DynamoStore;
use hookline_core::ids::{ApiKeyId, TenantId};
use hookline_core::tenancy::ApiKey;
use hookline_core::time::rfc3339;

use crate::tenants::TenantCommand;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum PlatformKeyCommand {
    /// Issue a platform key (printed once): it manages tenants and acts for any of them.
    Create {
        #[arg(long, default_value = "platform")]
        name: String,
    },
    List,
    /// Revoke a platform key: requests with it are refused with 401 from now on.
    Revoke {
        #[arg(long)]
        key: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Issue another key for a tenant (`--tenant ID`; printed once).
    Create {
        #[arg(long, default_value = "operator")]
        name: String,
    },
    /// A tenant's keys (`--tenant ID`).
    List,
    /// Revoke a key of a tenant (`--tenant ID`): requests with it are refused with 401 from now on.
    Revoke {
        #[arg(long)]
        key: ApiKeyId,
    },
}

/// One operator command, against the table the caller named.
#[derive(Debug)]
pub enum Operation {
    Tenant(TenantCommand),
    Key(KeyCommand),
    PlatformKey(PlatformKeyCommand),
}

pub async fn run(table: &str, tenant: Option<&str>, operation: Operation) -> anyhow::Result<Value> {
    if table.is_empty() {
        bail!("give the table with --table or HOOKLINE_TABLE_NAME (the stack's TableName output)");
    }
    let aws = hookline_aws::aws_config().await;
    // Retention only matters for messages and attempts, which the CLI does not write.
    let store = DynamoStore::from_sdk(&aws, table, 30);
    let now = SystemClock.now_ms();
    let tenant = || -> anyhow::Result<TenantId> {
        let id = tenant.context("name the tenant with --tenant ID")?;
        TenantId::parse(id).with_context(|| format!("`{id}` is not a tenant id"))
    };
    Ok(match operation {
        Operation::Tenant(TenantCommand::Create { name, rate_limit }) => {
            let NewTenant { mut tenant, key, token } = create_tenant(&store, &name, now).await?;
            if rate_limit.is_some() {
                tenant.ingest_rate_limit = rate_limit;
                store.update_tenant(&tenant).await?;
            }
            json!({ "tenant_id": tenant.id, "name": tenant.name, "key_id": key.id, "api_key": token.expose() })
        }
        Operation::Tenant(TenantCommand::Show) => {
            let tenant = store.get_tenant(&tenant()?).await?.context("no such tenant")?;
            let mut view = serde_json::to_value(TenantView::of(&tenant, 0))?;
            view["ingest_rate_limit"] = json!(tenant.ingest_rate_limit);
            view
        }
        Operation::Tenant(TenantCommand::SetRateLimit { per_second }) => {
            let mut tenant = store.get_tenant(&tenant()?).await?.context("no such tenant")?;
            tenant.ingest_rate_limit = Some(per_second.max(1));
            store.update_tenant(&tenant).await?;
            json!({ "tenant_id": tenant.id, "ingest_rate_limit": tenant.ingest_rate_limit })
        }
        Operation::Tenant(command) => anyhow::bail!("{command:?} calls the API: run it without --table"),
        Operation::Key(KeyCommand::Create { name }) => {
            let tenant = tenant()?;
            store.get_tenant(&tenant).await?.context("no such tenant")?;
            let (key, token) = ApiKey::issue(tenant, name, now);
            store.put_api_key(&key).await?;
            json!({ "key_id": key.id, "api_key": token.expose() })
        }
        Operation::Key(KeyCommand::List) => {
            let keys: Vec<ApiKeyView> =
                store.list_api_keys(&tenant()?).await?.iter().map(ApiKeyView::of).collect();
            serde_json::to_value(keys)?
        }
        Operation::Key(KeyCommand::Revoke { key }) => {
            let tenant = tenant()?;
            if !store.revoke_api_key(&tenant, &key, now).await? {
                bail!("tenant {tenant} has no key {key}");
            }
            json!({ "revoked": key })
        }
        Operation::PlatformKey(PlatformKeyCommand::Create { name }) => {
            let (key, token) = issue_platform_key(&store, &name, now).await?;
            json!({ "key_id": key.id, "name": key.name, "platform_key": token.expose() })
        }
        Operation::PlatformKey(PlatformKeyCommand::List) => {
            let keys: Vec<Value> = store
                .list_platform_keys()
                .await?
                .iter()
                .map(|key| {
                    json!({
                        "key_id": key.id,
                        "name": key.name,
                        "created_at": rfc3339(key.created_at_ms),
                        "revoked_at": key.revoked_at_ms.map(rfc3339),
                    })
                })
                .collect();
            Value::Array(keys)
        }
        Operation::PlatformKey(PlatformKeyCommand::Revoke { key }) => {
            if !revoke_platform_key(&store, &key, now).await? {
                bail!("there is no platform key {key}");
            }
            json!({ "revoked": key })
        }
    })
}
