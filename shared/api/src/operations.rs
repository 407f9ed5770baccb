//! The API's operations: a request body in, the service called, a response body out. The ingest
//! function's handler routes to these; the tests call them directly over the in-memory ports.

use hookline::app::App;
use hookline::attempt_log::LogQuery;
use hookline::ports::Ports;
use hookline_core::ids::TenantId;
use hookline_core::tenancy::Tenant;

use crate::{
    ApiError, ApiKeyView, AttemptView, BatchRequest, BatchResult, CreateApiKey, CreateEndpoint, CreateEvent,
    CreateEventType, CreatePortalSession, EndpointView, EventAccepted, EventTypeView, ExchangePortalLink,
    ListPage, MessageDetail, MessageSummary, PortalLinkView, PortalSessionView, ProbeReportView,
    PutTenantRequest, RecoverEndpoint, Recovered, ResendMessage, Resent, RotateSecret, SecretView,
    SourceIpsView, TenantView, TestEventSent, UpdateEndpoint, UpdateTenant, cursor_param,
};

/// A tenant as `PUT` left it, and whether it was created (201) or updated (200).
pub async fn put_tenant<P: Ports>(
    app: &App<P>,
    id: &str,
    request: PutTenantRequest,
) -> Result<(TenantView, bool), ApiError> {
    let put = app.put_tenant(id, request.into()).await?;
    Ok((get_tenant(app, &put.tenant), put.created))
}

pub async fn get_tenant_by_id<P: Ports>(app: &App<P>, id: &str) -> Result<TenantView, ApiError> {
    Ok(get_tenant(app, &app.get_tenant(id).await?))
}

pub async fn list_tenants<P: Ports>(
    app: &App<P>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<ListPage<TenantView>, ApiError> {
    let after = cursor_param(cursor)?;
    let page = app.list_tenants(limit, after.as_deref()).await?;
    let default_rate_limit = app.settings().default_rate_limit;
    Ok(ListPage::of(&page, |tenant| TenantView::of(tenant, default_rate_limit)))
}

pub async fn delete_tenant<P: Ports>(app: &App<P>, id: &str) -> Result<(), ApiError> {
    Ok(app.delete_tenant(id).await?)
}

/// A magic link for the tenant's portal; `portal_url` is where the portal is served.
pub async fn create_portal_session<P: Ports>(
    app: &App<P>,
    tenant: &Tenant,
    request: CreatePortalSession,
    portal_url: &str,
) -> Result<PortalLinkView, ApiError> {
    let offered = app.offer_portal_session(tenant, &request.capabilities, request.expires_in).await?;
    Ok(PortalLinkView::of(&offered, portal_url))
}

pub async fn revoke_portal_sessions<P: Ports>(app: &App<P>, tenant: &Tenant) -> Result<(), ApiError> {
    Ok(app.revoke_portal_sessions(tenant).await?)
}

pub async fn exchange_portal_link<P: Ports>(
    app: &App<P>,
    request: ExchangePortalLink,
) -> Result<PortalSessionView, ApiError> {
    Ok(PortalSessionView::of(&app.exchange_portal_link(&request.token).await?))
}

/// Where webhooks come from, for receivers that allowlist senders.
pub fn get_source_ips<P: Ports>(app: &App<P>) -> SourceIpsView {
    let ips = &app.settings().source_ips;
    SourceIpsView { fixed: !ips.is_empty(), source_ips: ips.iter().map(ToString::to_string).collect() }
}

pub fn get_tenant<P: Ports>(app: &App<P>, tenant: &Tenant) -> TenantView {
    TenantView::of(tenant, app.settings().default_rate_limit)
}

pub async fn update_tenant<P: Ports>(
    app: &App<P>,
    tenant: Tenant,
    request: UpdateTenant,
) -> Result<TenantView, ApiError> {
    let tenant = app.update_tenant(tenant, request.into()).await?;
    Ok(get_tenant(app, &tenant))
}

pub async fn issue_api_key<P: Ports>(
    app: &App<P>,
    tenant: &Tenant,
    request: CreateApiKey,
) -> Result<ApiKeyView, ApiError> {
    Ok(ApiKeyView::issued(&app.issue_api_key(tenant, request.name).await?))
}

/// Every key of the tenant, in one page (a tenant has few).
pub async fn list_api_keys<P: Ports>(
    app: &App<P>,
    tenant: &Tenant,
) -> Result<ListPage<ApiKeyView>, ApiError> {
    let data = app.list_api_keys(tenant).await?.iter().map(ApiKeyView::of).collect();
    Ok(ListPage { data, next_cursor: None })
}

pub async fn revoke_api_key<P: Ports>(app: &App<P>, tenant: &Tenant, id: &str) -> Result<(), ApiError> {
    Ok(app.revoke_api_key(tenant, id).await?)
}

pub async fn create_endpoint<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    request: CreateEndpoint,
) -> Result<EndpointView, ApiError> {
    Ok(EndpointView::created(&app.create_endpoint(tenant, request.into()).await?))
}

pub async fn list_endpoints<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    limit: u32,
    cursor: Option<&str>,
) -> Result<ListPage<EndpointView>, ApiError> {
    let after = cursor_param(cursor)?;
    let page = app.list_endpoints(tenant, limit, after.as_deref()).await?;
    Ok(ListPage::of(&page, EndpointView::of))
}

pub async fn get_endpoint<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    id: &str,
) -> Result<EndpointView, ApiError> {
    Ok(EndpointView::of(&app.get_endpoint(tenant, id).await?))
}

pub async fn update_endpoint<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    id: &str,
    request: UpdateEndpoint,
) -> Result<EndpointView, ApiError> {
    Ok(EndpointView::of(&app.update_endpoint(tenant, id, request.into()).await?))
}

pub async fn delete_endpoint<P: Ports>(app: &App<P>, tenant: &TenantId, id: &str) -> Result<(), ApiError> {
    Ok(app.delete_endpoint(tenant, id).await?)
}

pub async fn get_secret<P: Ports>(app: &App<P>, tenant: &TenantId, id: &str) -> Result<SecretView, ApiError> {
    Ok(SecretView::of(&app.get_secret(tenant, id).await?))
}

pub async fn rotate_secret<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    id: &str,
    request: RotateSecret,
) -> Result<SecretView, ApiError> {
    Ok(SecretView::of(&app.rotate_secret(tenant, id, request.grace_period_secs).await?))
}

pub async fn create_event_type<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    request: CreateEventType,
) -> Result<EventTypeView, ApiError> {
    Ok(EventTypeView::of(&app.create_event_type(tenant, request.into()).await?))
}

pub async fn list_event_types<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    limit: u32,
    cursor: Option<&str>,
) -> Result<ListPage<EventTypeView>, ApiError> {
    let after = cursor_param(cursor)?;
    let page = app.list_event_types(tenant, limit, after.as_deref()).await?;
    Ok(ListPage::of(&page, EventTypeView::of))
}

pub async fn get_event_type<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    name: &str,
) -> Result<EventTypeView, ApiError> {
    Ok(EventTypeView::of(&app.get_event_type(tenant, name).await?))
}

pub async fn delete_event_type<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    name: &str,
) -> Result<(), ApiError> {
    Ok(app.delete_event_type(tenant, name).await?)
}

pub async fn accept_event<P: Ports>(
    app: &App<P>,
    tenant: &Tenant,
    event: CreateEvent,
    idempotency_key: Option<&str>,
) -> Result<EventAccepted, ApiError> {
    Ok(EventAccepted::of(&app.accept_event(tenant, event.into(), idempotency_key).await?))
}

pub async fn accept_batch<P: Ports>(
    app: &App<P>,
    tenant: &Tenant,
    batch: BatchRequest,
    idempotency_key: Option<&str>,
) -> Result<BatchResult, ApiError> {
    let items = batch.items(app.settings().max_body_bytes);
    Ok(BatchResult::of(app.accept_batch(tenant, items, idempotency_key).await?))
}

pub async fn list_messages<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    query: &LogQuery<'_>,
    event_type: Option<&str>,
) -> Result<ListPage<MessageSummary>, ApiError> {
    let cursor = cursor_param(query.cursor)?;
    let query = LogQuery { cursor: cursor.as_deref(), ..*query };
    let page = app.list_messages(tenant, &query, event_type).await?;
    Ok(ListPage::of(&page, MessageSummary::of))
}

pub async fn get_message<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    id: &str,
) -> Result<MessageDetail, ApiError> {
    Ok(MessageDetail::of(&app.get_message(tenant, id).await?))
}

pub async fn list_endpoint_attempts<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    endpoint_id: &str,
    query: &LogQuery<'_>,
    status: Option<&str>,
) -> Result<ListPage<AttemptView>, ApiError> {
    let cursor = cursor_param(query.cursor)?;
    let query = LogQuery { cursor: cursor.as_deref(), ..*query };
    let page = app.list_endpoint_attempts(tenant, endpoint_id, &query, status).await?;
    Ok(ListPage::of(&page, AttemptView::of))
}

pub async fn resend_message<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    message_id: &str,
    request: ResendMessage,
) -> Result<Resent, ApiError> {
    Ok(Resent::of(&app.resend_message(tenant, message_id, &request.endpoint_id).await?))
}

pub async fn recover_endpoint<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    endpoint_id: &str,
    request: RecoverEndpoint,
) -> Result<Recovered, ApiError> {
    let cursor = cursor_param(request.cursor.as_deref())?;
    let recovered = app.recover_endpoint(tenant, endpoint_id, &request.since, cursor.as_deref()).await?;
    Ok(Recovered::of(&recovered))
}

pub async fn send_test_event<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    endpoint_id: &str,
) -> Result<TestEventSent, ApiError> {
    Ok(TestEventSent::of(&app.send_test_event(tenant, endpoint_id).await?))
}

pub async fn probe_endpoint<P: Ports>(
    app: &App<P>,
    tenant: &TenantId,
    endpoint_id: &str,
) -> Result<ProbeReportView, ApiError> {
    Ok(ProbeReportView::of(&app.probe_endpoint(tenant, endpoint_id).await?))
}

#[cfg(test)]
mod tests;
