use std::time::Duration;

use hookline_core::portal::Capability;

use super::*;
use crate::app::AppSettings;
use crate::tenants::{TenantChanges, create_tenant, issue_platform_key, revoke_platform_key};
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

/// An instance that keeps what it read to authenticate for 5 s.
fn caching_app() -> TestApp {
    memory_app(NoSender, 1_000, AppSettings { access_cache: Duration::from_secs(5), ..app_settings() })
}

#[tokio::test]
async fn with_the_access_cache_a_key_revoked_by_another_instance_works_until_the_bound_and_not_after() {
    let app = caching_app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    let header = bearer(made.token.expose());
    assert!(app.authenticate(Some(&header)).await.is_ok());
    // Another instance revokes it: this one learns of it when its copy is 5 s old.
    assert!(app.store().revoke_api_key(&made.tenant.id, &made.key.id, 1_000).await.unwrap());
    app.clock().advance(Duration::from_millis(4_999));
    assert!(app.authenticate(Some(&header)).await.is_ok(), "within the bound");
    app.clock().advance(Duration::from_millis(1));
    assert!(matches!(app.authenticate(Some(&header)).await, Err(AuthError::Invalid)));
}

#[tokio::test]
async fn a_key_revoked_or_a_tenant_deleted_through_this_instance_stops_working_at_once() {
    let app = caching_app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    let header = bearer(made.token.expose());
    assert!(app.authenticate(Some(&header)).await.is_ok());
    app.revoke_api_key(&made.tenant, made.key.id.as_str()).await.unwrap();
    assert!(matches!(app.authenticate(Some(&header)).await, Err(AuthError::Invalid)));

    let other = create_tenant(app.store(), "Globex", 0).await.unwrap();
    let header = bearer(other.token.expose());
    assert!(app.authenticate(Some(&header)).await.is_ok());
    app.delete_tenant(other.tenant.id.as_str()).await.unwrap();
    assert!(matches!(app.authenticate(Some(&header)).await, Err(AuthError::Invalid)));
}

#[tokio::test]
async fn a_wrong_secret_for_a_cached_key_is_refused_and_a_new_key_works_at_once() {
    let app = caching_app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    assert!(app.authenticate(Some(&bearer(made.token.expose()))).await.is_ok());
    let (_, wrong) = ApiKey::issue(made.tenant.id.clone(), "x".into(), 0);
    // Same key id, another secret: the cached key's hash is checked on every request.
    let real = made.token.expose();
    let id_end = real.find(made.token.id_body()).unwrap() + made.token.id_body().len();
    let forged = format!("{}{}", &real[..id_end], &wrong.expose()[id_end..]);
    assert_ne!(forged, real);
    assert!(matches!(app.authenticate(Some(&bearer(&forged))).await, Err(AuthError::Invalid)));
    let issued = app.issue_api_key(&made.tenant, Some("second".into())).await.unwrap();
    assert!(app.authenticate(Some(&bearer(issued.token.expose()))).await.is_ok());
}

#[tokio::test]
async fn a_settings_change_applies_to_the_stored_tenant_not_to_the_cached_copy() {
    let app = caching_app();
    let made = create_tenant(app.store(), "Acme", 0).await.unwrap();
    let Caller::Tenant(cached) = app.authenticate(Some(&bearer(made.token.expose()))).await.unwrap() else {
        panic!("a tenant key authenticates as its tenant");
    };
    // Another instance renames the tenant after this one cached it.
    let renamed = Tenant { name: "Acme Inc".into(), ..cached.clone() };
    app.store().update_tenant(&renamed).await.unwrap();
    let changes = TenantChanges { reject_unregistered_event_types: Some(true) };
    let updated = app.update_tenant(cached, changes).await.unwrap();
    let stored = app.store().get_tenant(&made.tenant.id).await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.reject_unregistered_event_types), ("Acme Inc", true));
    assert_eq!(updated, stored);
    // And this instance sees its own change at once.
    let Caller::Tenant(seen) = app.authenticate(Some(&bearer(made.token.expose()))).await.unwrap() else {
        panic!("a tenant key authenticates as its tenant");
    };
    assert!(seen.reject_unregistered_event_types);
}
