//! The ingest function's handler: matches an API Gateway request to its route, authenticates it, decodes
//! its body, calls the operation in `hookline-api` and maps the result to an HTTP answer. Client mistakes
//! are 4xx with a JSON error, never a 5xx.

use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt as _, Response};
use serde::Serialize;
use tracing::{Instrument as _, error, info_span};

use hookline::app::App;
use hookline::attempt_log::LogQuery;
use hookline::ports::Ports;
use hookline::tenants::authenticate;
use hookline_api::operations as op;
use hookline_api::routes::{self, Matched, Operation};
use hookline_api::{self as api, ApiError, OPENAPI};
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

pub async fn handle<P: Ports>(app: &App<P>, request: Request) -> Result<Response<Body>, lambda_http::Error> {
    let method = request.method().clone();
    let path = route_path(&request);
    let span = info_span!("request", %method, %path);
    let answer = serve(app, &request, &method, &path).instrument(span).await;
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

async fn serve<P: Ports>(
    app: &App<P>,
    request: &Request,
    method: &Method,
    path: &str,
) -> Result<Reply, ApiError> {
    let Matched { operation, param } = routes::resolve(method, path)?;
    if operation == Operation::GetOpenApi {
        return Ok(Reply {
            status: 200,
            body: OPENAPI.to_owned(),
            content_type: "application/yaml",
            replayed: false,
        });
    }
    let tenant = authenticate(app.store(), header_text(request, &header::AUTHORIZATION)?).await?;
    let id = param.unwrap_or_default();
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
    Ok(match operation {
        Operation::GetOpenApi | Operation::GetTenant => Reply::json(200, &op::get_tenant(app, &tenant)),
        Operation::UpdateTenant => {
            Reply::json(200, &op::update_tenant(app, tenant.clone(), api::decode_optional(body()?)?).await?)
        }
        Operation::CreateApiKey => {
            Reply::json(201, &op::issue_api_key(app, &tenant, api::decode_optional(body()?)?).await?)
        }
        Operation::ListApiKeys => Reply::json(200, &op::list_api_keys(app, &tenant).await?),
        Operation::RevokeApiKey => {
            op::revoke_api_key(app, &tenant, id).await?;
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
            let accepted = op::accept_event(app, &tenant, api::decode(body()?)?, key).await?;
            Reply { replayed: accepted.replayed, ..Reply::json(202, &accepted) }
        }
        Operation::CreateEventBatch => {
            let key = header_text(request, &IDEMPOTENCY_KEY)?;
            let batch = api::decode(checked_body(request.body(), MAX_BATCH_BODY_BYTES)?)?;
            Reply::json(200, &op::accept_batch(app, &tenant, batch, key).await?)
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
