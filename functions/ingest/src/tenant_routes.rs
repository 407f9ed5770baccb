//! The routes that act for one tenant: the tenant is already authorized, from the path or the key.

use lambda_http::{Request, RequestExt as _};

use hookline::app::App;
use hookline::attempt_log::LogQuery;
use hookline::ports::Ports;
use hookline_api::operations as op;
use hookline_api::routes::{Matched, Operation};
use hookline_api::{self as api, ApiError};
use hookline_core::tenancy::Tenant;

use crate::{IDEMPOTENCY_KEY, MAX_BATCH_BODY_BYTES, Reply, checked_body, header_text, portal_url};

pub(crate) async fn serve<P: Ports>(
    app: &App<P>,
    request: &Request,
    matched: &Matched<'_>,
    tenant: &Tenant,
) -> Result<Reply, ApiError> {
    let id = matched.param.unwrap_or_default();
    let max = app.settings().max_body_bytes;
    let body = || checked_body(request.body(), max);
    let query = request.query_string_parameters();
    let limit = || api::page_limit(query.first("limit"));
    let log_query = || -> Result<LogQuery<'_>, ApiError> {
        Ok(LogQuery {
            since: query.first("since"),
            until: query.first("until"),
            limit: limit()?,
            cursor: query.first("cursor"),
        })
    };
    let t = &tenant.id;
    let cursor = query.first("cursor");
    Ok(match matched.operation() {
        Operation::GetTenant => Reply::json(200, &op::get_tenant(app, tenant)),
        Operation::UpdateTenant => {
            Reply::json(200, &op::update_tenant(app, tenant.clone(), api::decode_optional(body()?)?).await?)
        }
        Operation::CreatePortalSession => {
            let request_body = api::decode_optional(body()?)?;
            let url = portal_url(app, request);
            Reply::json(201, &op::create_portal_session(app, tenant, request_body, &url).await?)
        }
        Operation::RevokePortalSessions => {
            op::revoke_portal_sessions(app, tenant).await?;
            Reply::no_content()
        }
        Operation::CreateApiKey => {
            Reply::json(201, &op::issue_api_key(app, tenant, api::decode_optional(body()?)?).await?)
        }
        Operation::ListApiKeys => Reply::json(200, &op::list_api_keys(app, tenant).await?),
        Operation::RevokeApiKey => {
            op::revoke_api_key(app, tenant, id).await?;
            Reply::no_content()
        }
        Operation::CreateEndpoint => {
            Reply::json(201, &op::create_endpoint(app, t, api::decode(body()?)?).await?)
        }
        Operation::ListEndpoints => Reply::json(200, &op::list_endpoints(app, t, limit()?, cursor).await?),
        Operation::GetEndpoint => Reply::json(200, &op::get_endpoint(app, t, id).await?),
        Operation::UpdateEndpoint => {
            Reply::json(200, &op::update_endpoint(app, t, id, api::decode(body()?)?).await?)
        }
        Operation::DeleteEndpoint => {
            op::delete_endpoint(app, t, id).await?;
            Reply::no_content()
        }
        Operation::GetEndpointSecret => Reply::json(200, &op::get_secret(app, t, id).await?),
        Operation::RotateEndpointSecret => {
            Reply::json(200, &op::rotate_secret(app, t, id, api::decode_optional(body()?)?).await?)
        }
        Operation::CreateEventType => {
            Reply::json(201, &op::create_event_type(app, t, api::decode(body()?)?).await?)
        }
        Operation::ListEventTypes => Reply::json(200, &op::list_event_types(app, t, limit()?, cursor).await?),
        Operation::GetEventType => Reply::json(200, &op::get_event_type(app, t, id).await?),
        Operation::DeleteEventType => {
            op::delete_event_type(app, t, id).await?;
            Reply::no_content()
        }
        Operation::CreateEvent => {
            let key = header_text(request, &IDEMPOTENCY_KEY)?;
            let accepted = op::accept_event(app, tenant, api::decode(body()?)?, key).await?;
            Reply { replayed: accepted.replayed, ..Reply::json(202, &accepted) }
        }
        Operation::CreateEventBatch => {
            let key = header_text(request, &IDEMPOTENCY_KEY)?;
            let batch = api::decode(checked_body(request.body(), MAX_BATCH_BODY_BYTES)?)?;
            Reply::json(200, &op::accept_batch(app, tenant, batch, key).await?)
        }
        Operation::ListMessages => {
            let event_type = query.first("event_type");
            Reply::json(200, &op::list_messages(app, t, &log_query()?, event_type).await?)
        }
        Operation::GetMessage => Reply::json(200, &op::get_message(app, t, id).await?),
        Operation::ResendMessage => {
            Reply::json(202, &op::resend_message(app, t, id, api::decode(body()?)?).await?)
        }
        Operation::ListEndpointAttempts => {
            let status = query.first("status");
            Reply::json(200, &op::list_endpoint_attempts(app, t, id, &log_query()?, status).await?)
        }
        Operation::RecoverEndpoint => {
            Reply::json(202, &op::recover_endpoint(app, t, id, api::decode(body()?)?).await?)
        }
        Operation::SendTestEvent => Reply::json(202, &op::send_test_event(app, t, id).await?),
        Operation::ProbeEndpoint => Reply::json(200, &op::probe_endpoint(app, t, id).await?),
        // Routed elsewhere by scope: public and platform routes never reach a tenant.
        Operation::GetOpenApi
        | Operation::GetSourceIps
        | Operation::ExchangePortalLink
        | Operation::PutTenant
        | Operation::GetTenantById
        | Operation::ListTenants
        | Operation::DeleteTenant => return Err(ApiError::new(404, "not_found", "no such tenant route")),
    })
}
