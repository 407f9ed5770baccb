use hookline_core::portal::Capability;

use super::*;
use crate::tenants::{create_tenant, issue_platform_key, revoke_platform_key};
use crate::testing::{MemoryPorts, NoSender, app_settings, memory_app};

type TestApp = App<MemoryPorts<NoSender>>;

fn app() -> TestApp {
    memory_app(NoSender, 1_000, app_settings())
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn each_kind_of_key_authenticates_as_its_caller_and_a_revoked_one_does_not() {
    let app = app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    let caller = app.authenticate(Some(&bearer(made.token.expose()))).await.unwrap();
    assert!(matches!(caller, Caller::Tenant(t) if t.id == made.tenant.id));

    let (key, token) = issue_platform_key(app.store(), "deploy", 0).await.unwrap();
    assert!(matches!(app.authenticate(Some(&bearer(token.expose()))).await, Ok(Caller::Platform(_))));
    assert!(revoke_platform_key(app.store(), key.id.as_str(), 5).await.unwrap());
    assert!(matches!(app.authenticate(Some(&bearer(token.expose()))).await, Err(AuthError::Invalid)));
    assert!(matches!(app.authenticate(Some("Basic abc")).await, Err(AuthError::Missing)));
    assert!(matches!(app.authenticate(None).await, Err(AuthError::Missing)));
}

#[tokio::test]
async fn a_tenant_key_acts_only_for_its_own_tenant_and_never_manages_tenants() {
    let app = app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    let caller = Caller::Tenant(made.tenant.clone());
    let own = app.act_for(&caller, Some(made.tenant.id.as_str()), Need::Key, "/endpoints").await.unwrap();
    assert_eq!(own.id, made.tenant.id);
    assert_eq!(app.act_for(&caller, None, Need::Key, "/endpoints").await.unwrap().id, made.tenant.id);
    let other = app.act_for(&caller, Some("globex"), Need::Key, "/endpoints").await;
    assert!(matches!(other, Err(AccessError::NoSuchTenant(id)) if id == "globex"));
    assert!(matches!(app.require_platform(&caller), Err(AccessError::PlatformKeyRequired)));
}

#[tokio::test]
async fn a_platform_key_acts_for_any_live_tenant_named_in_the_path() {
    let app = app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    let (key, _) = issue_platform_key(app.store(), "deploy", 0).await.unwrap();
    let caller = Caller::Platform(key);
    let id = made.tenant.id.as_str();
    assert_eq!(app.act_for(&caller, Some(id), Need::Key, "/events").await.unwrap().id, made.tenant.id);
    let unprefixed = app.act_for(&caller, None, Need::Key, "/events").await;
    assert!(matches!(unprefixed, Err(AccessError::TenantPathRequired(route)) if route == "/events"));
    let unknown = app.act_for(&caller, Some("no such tenant"), Need::Key, "/events").await;
    assert!(matches!(unknown, Err(AccessError::NoSuchTenant(_))));
    app.delete_tenant(id).await.unwrap();
    assert!(matches!(
        app.act_for(&caller, Some(id), Need::Key, "/events").await,
        Err(AccessError::NoSuchTenant(_))
    ));
}

#[tokio::test]
async fn a_portal_session_does_only_what_it_was_granted_and_never_what_needs_a_key() {
    let app = app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    let offered = app.offer_portal_session(&made.tenant, &["replay".to_owned()], None).await.unwrap();
    let opened = app.exchange_portal_link(offered.link.expose()).await.unwrap();
    let caller = app.authenticate(Some(&bearer(opened.token.expose()))).await.unwrap();
    let view = Need::Capability(Capability::View);
    assert!(app.act_for(&caller, None, view, "/endpoints").await.is_ok());
    assert!(app.act_for(&caller, None, Need::Capability(Capability::Replay), "/x").await.is_ok());
    let secrets = app.act_for(&caller, None, Need::Capability(Capability::Secrets), "/x").await;
    assert!(matches!(secrets, Err(AccessError::CapabilityMissing(Capability::Secrets))));
    assert!(matches!(app.act_for(&caller, None, Need::Key, "/events").await, Err(AccessError::KeyRequired)));
    assert!(matches!(
        app.act_for(&caller, Some("other"), view, "/x").await,
        Err(AccessError::NoSuchTenant(_))
    ));
}
