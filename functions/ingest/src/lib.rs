//! The ingest function's handler: matches an API Gateway request to its route, authenticates it, decodes
//! its body, calls `hookline` and maps the result to an HTTP answer. Client mistakes are 4xx with a JSON
//! error, never a 5xx.

pub mod routes;

use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt as _, Response};
use serde::Serialize;
use tracing::{Instrument as _, error, info_span};

use hookline::api::{self, ApiError, ListPage, LogQuery, TenantView};
use hookline::clock::Clock;
use hookline::ingest::{IngestDeps, accept_batch, accept_event};
use hookline::queue::DeliveryQueue;
use hookline::store::ApiStore;
use hookline::{attempt_log, auth, catalog, endpoints, probe, recovery};
use routes::{Matched, Operation};

/// The API's OpenAPI document, served at `GET /v1/openapi.yaml`.
pub const OPENAPI: &str = include_str!("../../../openapi/openapi.yaml");
/// A batch may be larger than one event, up to what a synchronous Lambda invocation can carry.
pub const MAX_BATCH_BODY_BYTES: usize = 5 * 1024 * 1024;

/// A successful answer.
struct Reply {
    status: u16,
    body: String,
    content_type: &'static str,
    replayed: bool,
}

impl Reply {
    fn json<T: Serialize>(status: u16, value: &T) -> Self {
        let body = serde_json::to_string(value).unwrap_or_default();
        Self { status, body, content_type: "application/json", replayed: false }
    }

    fn no_content() -> Self {
        Self { status: 204, body: String::new(), content_type: "", replayed: false }
    }
}

pub async fn handle<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error>
where
    S: ApiStore,
    Q: DeliveryQueue,
    C: Clock,
{
    let method = request.method().clone();
    let path = route_path(&request);
    let span = info_span!("request", %method, %path);
    let answer = serve(deps, &request, &method, &path).instrument(span).await;
    Ok(match answer {
        Ok(reply) => {
            let mut response = respond(reply.status, reply.body, reply.content_type);
            if reply.replayed {
                response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            response
        }
        Err(e) => error_response(&e, &path),
    })
}

/// The path the routes are matched on. Behind a named stage, API Gateway passes `/{stage}/v1/...`; the
/// API's paths do not depend on the stage it is deployed to, so the stage is taken off.
fn route_path(request: &Request) -> String {
    let path = request.uri().path();
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.clone(),
        _ => None,
    };
    let unstaged = stage
        .filter(|stage| stage != "$default")
        .and_then(|stage| path.strip_prefix(&format!("/{stage}")).map(str::to_owned))
        .filter(|rest| rest.is_empty() || rest.starts_with('/'));
    unstaged.as_deref().unwrap_or(path).trim_end_matches('/').to_owned()
}

async fn serve<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    request: &Request,
    method: &Method,
    path: &str,
) -> Result<Reply, ApiError>
where
    S: ApiStore,
    Q: DeliveryQueue,
    C: Clock,
{
    let Matched { operation, param } = routes::resolve(method, path)?;
    if operation == Operation::GetOpenApi {
        return Ok(Reply {
            status: 200,
            body: OPENAPI.to_owned(),
            content_type: "application/yaml",
            replayed: false,
        });
    }
    let tenant = auth::authenticate(&deps.store, header_text(request, &header::AUTHORIZATION)?).await?;
    let id = param.unwrap_or_default();
    let max = deps.settings.max_body_bytes;
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
    Ok(match operation {
        Operation::GetOpenApi | Operation::GetTenant => {
            Reply::json(200, &TenantView::of(&tenant, deps.settings.default_rate_limit))
        }
        Operation::UpdateTenant => Reply::json(
            200,
            &auth::update_tenant(deps, tenant.clone(), api::decode_optional(body()?)?).await?,
        ),
        Operation::CreateApiKey => {
            Reply::json(201, &auth::issue_api_key(deps, &tenant, api::decode_optional(body()?)?).await?)
        }
        Operation::ListApiKeys => {
            let data = auth::list_api_keys(deps, &tenant).await?;
            Reply::json(200, &ListPage { data, next_cursor: None })
        }
        Operation::RevokeApiKey => {
            auth::revoke_api_key(deps, &tenant, id).await?;
            Reply::no_content()
        }
        Operation::CreateEndpoint => {
            Reply::json(201, &endpoints::create_endpoint(deps, t, api::decode(body()?)?).await?)
        }
        Operation::ListEndpoints => {
            Reply::json(200, &endpoints::list_endpoints(deps, t, limit()?, query.first("cursor")).await?)
        }
        Operation::GetEndpoint => Reply::json(200, &endpoints::get_endpoint(deps, t, id).await?),
        Operation::UpdateEndpoint => {
            Reply::json(200, &endpoints::update_endpoint(deps, t, id, api::decode(body()?)?).await?)
        }
        Operation::DeleteEndpoint => {
            endpoints::delete_endpoint(deps, t, id).await?;
            Reply::no_content()
        }
        Operation::GetEndpointSecret => Reply::json(200, &endpoints::get_secret(deps, t, id).await?),
        Operation::RotateEndpointSecret => {
            let request = api::decode_optional(body()?)?;
            Reply::json(200, &endpoints::rotate_secret(deps, t, id, request).await?)
        }
        Operation::CreateEventType => {
            Reply::json(201, &catalog::create_event_type(deps, t, api::decode(body()?)?).await?)
        }
        Operation::ListEventTypes => {
            Reply::json(200, &catalog::list_event_types(deps, t, limit()?, query.first("cursor")).await?)
        }
        Operation::GetEventType => Reply::json(200, &catalog::get_event_type(deps, t, id).await?),
        Operation::DeleteEventType => {
            catalog::delete_event_type(deps, t, id).await?;
            Reply::no_content()
        }
        Operation::CreateEvent => {
            let key = header_text(request, &IDEMPOTENCY_KEY)?;
            let accepted = accept_event(deps, &tenant, api::decode(body()?)?, key).await?;
            Reply { replayed: accepted.replayed, ..Reply::json(202, &accepted) }
        }
        Operation::CreateEventBatch => {
            let key = header_text(request, &IDEMPOTENCY_KEY)?;
            let batch = api::decode(checked_body(request.body(), MAX_BATCH_BODY_BYTES)?)?;
            Reply::json(200, &accept_batch(deps, &tenant, batch, key).await?)
        }
        Operation::ListMessages => {
            let page = attempt_log::list_messages(deps, t, &log_query()?, query.first("event_type")).await?;
            Reply::json(200, &page)
        }
        Operation::GetMessage => Reply::json(200, &attempt_log::get_message(deps, t, id).await?),
        Operation::ResendMessage => {
            Reply::json(202, &recovery::resend_message(deps, t, id, api::decode(body()?)?).await?)
        }
        Operation::ListEndpointAttempts => {
            let status = query.first("status");
            Reply::json(200, &attempt_log::list_endpoint_attempts(deps, t, id, &log_query()?, status).await?)
        }
        Operation::RecoverEndpoint => {
            Reply::json(202, &recovery::recover_endpoint(deps, t, id, api::decode(body()?)?).await?)
        }
        Operation::SendTestEvent => Reply::json(202, &recovery::send_test_event(deps, t, id).await?),
        Operation::ProbeEndpoint => Reply::json(200, &probe::probe_endpoint(deps, t, id).await?),
    })
}

static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

fn header_text<'r>(request: &'r Request, name: &HeaderName) -> Result<Option<&'r str>, ApiError> {
    request
        .headers()
        .get(name)
        .map(|value| {
            value.to_str().map_err(|_| ApiError::invalid(format!("the {name} header must be ASCII")))
        })
        .transpose()
}

fn checked_body(body: &Body, max: usize) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = body.as_ref();
    if bytes.len() > max {
        return Err(ApiError::new(
            413,
            "body_too_large",
            format!("the body is {} bytes; the limit is {max}", bytes.len()),
        ));
    }
    Ok(bytes)
}

fn error_response(e: &ApiError, path: &str) -> Response<Body> {
    if e.status >= 500 {
        error!(code = e.code, message = %e.message, "request failed");
    }
    let mut response = respond(e.status, e.body(), "application/json");
    let headers = response.headers_mut();
    match e.status {
        401 => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        405 => {
            if let Ok(value) = HeaderValue::from_str(&routes::allowed_methods(path).join(", ")) {
                headers.insert(header::ALLOW, value);
            }
        }
        _ => {}
    }
    if let Some(seconds) = e.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn respond(status: u16, body: String, content_type: &'static str) -> Response<Body> {
    let mut response = Response::new(if body.is_empty() { Body::Empty } else { Body::Text(body) });
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !content_type.is_empty() {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

#[cfg(test)]
mod tests;
