use std::time::Duration;

use super::*;
use crate::access::Caller;
use crate::tenants::create_tenant;
use crate::testing::{MemoryPorts, NoSender, app_settings, memory_app};

type TestApp = App<MemoryPorts<NoSender>>;

async fn tenant(app: &TestApp) -> Tenant {
    create_tenant(app.store(), "Acme", 0).await.unwrap().tenant
}

fn bearer(token: &BearerToken) -> String {
    format!("Bearer {}", token.expose())
}

#[tokio::test]
async fn a_link_opens_one_session_and_a_replay_gets_nothing() {
    let app = memory_app(NoSender, 1_000, app_settings());
    let tenant = tenant(&app).await;
    let offered = app.offer_portal_session(&tenant, &[], Some(600)).await.unwrap();
    let opened = app.exchange_portal_link(offered.link.expose()).await.unwrap();
    assert!(matches!(app.authenticate(Some(&bearer(&opened.token))).await, Ok(Caller::Portal(_))));
    assert!(matches!(app.exchange_portal_link(offered.link.expose()).await, Err(AuthError::Invalid)));
    assert!(matches!(app.authenticate(Some(&bearer(&offered.link))).await, Err(AuthError::Invalid)));
}

#[tokio::test]
async fn an_expired_link_and_an_expired_session_are_refused() {
    let app = memory_app(NoSender, 1_000, app_settings());
    let tenant = tenant(&app).await;
    let late = app.offer_portal_session(&tenant, &[], Some(3600)).await.unwrap();
    let offered = app.offer_portal_session(&tenant, &[], Some(3600)).await.unwrap();
    let opened = app.exchange_portal_link(offered.link.expose()).await.unwrap();
    app.clock().advance(Duration::from_secs(601));
    assert!(matches!(app.exchange_portal_link(late.link.expose()).await, Err(AuthError::Invalid)));
    assert!(app.authenticate(Some(&bearer(&opened.token))).await.is_ok());
    app.clock().advance(Duration::from_secs(3000));
    assert!(matches!(app.authenticate(Some(&bearer(&opened.token))).await, Err(AuthError::Invalid)));
}

#[tokio::test]
async fn revoking_a_tenants_sessions_ends_the_open_ones_and_the_unspent_links() {
    let app = memory_app(NoSender, 1_000, app_settings());
    let tenant = tenant(&app).await;
    let open = app.offer_portal_session(&tenant, &[], None).await.unwrap();
    let opened = app.exchange_portal_link(open.link.expose()).await.unwrap();
    let unspent = app.offer_portal_session(&tenant, &[], None).await.unwrap();
    app.clock().advance(Duration::from_millis(1));
    app.revoke_portal_sessions(&tenant).await.unwrap();
    assert!(matches!(app.authenticate(Some(&bearer(&opened.token))).await, Err(AuthError::Invalid)));
    assert!(matches!(app.exchange_portal_link(unspent.link.expose()).await, Err(AuthError::Invalid)));
    app.clock().advance(Duration::from_millis(1));
    let fresh = app.offer_portal_session(&tenant, &[], None).await.unwrap();
    assert!(
        app.exchange_portal_link(fresh.link.expose()).await.is_ok(),
        "a session offered afterwards works"
    );
}
