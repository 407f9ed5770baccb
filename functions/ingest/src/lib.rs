//! The ingest function's handler: matches an API Gateway request to its route, authenticates it, decodes
//! its body, calls the operation in `hookline-api` and maps the result to an HTTP answer. Client mistakes
//! are 4xx with a JSON error, never a 5xx.

use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt as _, Response};
use serde::Serialize;
use tracing::{Instrument as _, error, info_span};

use hookline::app::App;
use hookline::ports::Ports;
use hookline_api::operations as op;
use hookline_api::routes::{self, Operation, Scope};
use hookline_api::{self as api, ApiError, OPENAPI};
/// A batch may be larger than one event, up to what a synchronous Lambda invocation can carry.
pub const MAX_BATCH_BODY_BYTES: usize = 5 * 1024 * 1024;

mod tenant_routes;

/// A successful answer.
pub(crate) struct Reply {
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
    if path == "/portal" || path.starts_with("/portal/") {
        let page = portal(app, &request, &method, &path).instrument(info_span!("portal", %method)).await;
        app.settings().metrics.flush();
        return Ok(page);
    }
    let span = info_span!("request", %method, %path);
    let answer = serve(app, &request, &method, &path).instrument(span).await;
    // One metrics document per invocation, written before the answer (Lambda may freeze us after it).
    app.settings().metrics.flush();
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
    let matched = routes::resolve(method, path)?;
    let route = matched.route;
    let id = matched.param.unwrap_or_default();
    let body = || checked_body(request.body(), app.settings().max_body_bytes);
    if route.scope == Scope::Public {
        return Ok(match matched.operation() {
            Operation::ExchangePortalLink => {
                Reply::json(200, &op::exchange_portal_link(app, api::decode(body()?)?).await?)
            }
            Operation::GetSourceIps => Reply::json(200, &op::get_source_ips(app)),
            _ => Reply {
                status: 200,
                body: OPENAPI.to_owned(),
                content_type: "application/yaml",
                replayed: false,
            },
        });
    }
    let caller = app.authenticate(header_text(request, &header::AUTHORIZATION)?).await?;
    let need = match route.scope {
        Scope::Tenant(need) | Scope::Own(need) => need,
        Scope::Public | Scope::Platform => {
            app.require_platform(&caller)?;
            let query = request.query_string_parameters();
            return Ok(match matched.operation() {
                Operation::PutTenant => {
                    let (tenant, created) = op::put_tenant(app, id, api::decode_optional(body()?)?).await?;
                    Reply::json(if created { 201 } else { 200 }, &tenant)
                }
                Operation::ListTenants => {
                    let limit = api::page_limit(query.first("limit"))?;
                    Reply::json(200, &op::list_tenants(app, limit, query.first("cursor")).await?)
                }
                Operation::DeleteTenant => {
                    op::delete_tenant(app, id).await?;
                    Reply::no_content()
                }
                _ => Reply::json(200, &op::get_tenant_by_id(app, id).await?),
            });
        }
    };
    let tenant = app.act_for(&caller, matched.tenant, need, route.path.trim_start_matches("/v1")).await?;
    let span = info_span!("tenant", tenant_id = %tenant.id);
    tenant_routes::serve(app, request, &matched, &tenant).instrument(span).await
}

/// A portal page: the portal answers in HTML, with its own security headers.
async fn portal<P: Ports>(app: &App<P>, request: &Request, method: &Method, path: &str) -> Response<Body> {
    let base = portal_url(app, request);
    let base_path = base
        .find("://")
        .and_then(|at| base[at + 3..].find('/').map(|p| at + 3 + p))
        .map_or("/portal/", |p| &base[p..]);
    let query = request.query_string_parameters();
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let portal_request = hookline_portal::PortalRequest {
        method,
        path: path.strip_prefix("/portal").unwrap_or_default().trim_start_matches('/'),
        query,
        cookie: request.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()),
        body: request.body().as_ref(),
        base: base_path.to_owned(),
        https: base.starts_with("https://"),
    };
    let answer = hookline_portal::serve(app, &portal_request).await;
    let mut response =
        Response::new(if answer.body.is_empty() { Body::Empty } else { Body::Text(answer.body) });
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    for (name, value) in hookline_portal::PortalResponse::security_headers() {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Some(location) = answer.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = answer.set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

/// Where this deployment's portal is served, for the links it hands out: the configured URL, or this
/// API's own address (as the client reached it, behind API Gateway's stage if any) with `/portal/`.
pub(crate) fn portal_url<P: Ports>(app: &App<P>, request: &Request) -> String {
    if let Some(url) = &app.settings().portal_url {
        return url.clone();
    }
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    // API Gateway and function URLs always say; a caller that does not came without a TLS proxy.
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    let host = header("host").unwrap_or("localhost");
    let path = request.uri().path();
    let stage = path.find("/v1/").map_or("", |at| &path[..at]);
    format!("{scheme}://{host}{stage}/portal/")
}

pub(crate) static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

pub(crate) fn header_text<'r>(request: &'r Request, name: &HeaderName) -> Result<Option<&'r str>, ApiError> {
    request
        .headers()
        .get(name)
        .map(|value| {
            value.to_str().map_err(|_| ApiError::invalid(format!("the {name} header must be ASCII")))
        })
        .transpose()
}

pub(crate) fn checked_body(body: &Body, max: usize) -> Result<&[u8], ApiError> {
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
