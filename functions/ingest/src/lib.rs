//! The ingest function's handler: routes an API Gateway request, decodes its body, calls `hookline`
//! and maps the result to an HTTP answer. Client mistakes are 4xx with a JSON error, never a 5xx.

use http::{Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use tracing::{Instrument as _, error, info_span};

use hookline::api::{self, ApiError};
use hookline::clock::Clock;
use hookline::ingest::{IngestDeps, accept_event, create_endpoint};
use hookline::queue::DeliveryQueue;
use hookline::store::{EndpointStore, MessageStore};

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
}

/// Every route, with the methods it answers (for 405 and the `Allow` header).
const ROUTES: &[(&str, &[Method])] = &[("/v1/events", &[Method::POST]), ("/v1/endpoints", &[Method::POST])];

pub async fn handle<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    limits: &Limits,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error>
where
    S: EndpointStore + MessageStore,
    Q: DeliveryQueue,
    C: Clock,
{
    let method = request.method().clone();
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let span = info_span!("request", %method, %path);
    let answer = route(deps, limits, &method, &path, request.body()).instrument(span).await;
    Ok(match answer {
        Ok((status, body)) => json_response(status, body),
        Err(e) => {
            if e.status >= 500 {
                error!(code = e.code, message = %e.message, "request failed");
            }
            let mut response = json_response(e.status, e.body());
            if e.status == 405 {
                let allowed = allowed_methods(&path).join(", ");
                if let Ok(value) = header::HeaderValue::from_str(&allowed) {
                    response.headers_mut().insert(header::ALLOW, value);
                }
            }
            response
        }
    })
}

async fn route<S, Q, C>(
    deps: &IngestDeps<S, Q, C>,
    limits: &Limits,
    method: &Method,
    path: &str,
    body: &Body,
) -> Result<(u16, String), ApiError>
where
    S: EndpointStore + MessageStore,
    Q: DeliveryQueue,
    C: Clock,
{
    let tenant = hookline::default_tenant();
    match (method, path) {
        (&Method::POST, "/v1/events") => {
            let event = api::decode(checked_body(body, limits)?)?;
            let accepted = accept_event(deps, &tenant, event).await?;
            Ok((202, to_json(&accepted)))
        }
        (&Method::POST, "/v1/endpoints") => {
            let request = api::decode(checked_body(body, limits)?)?;
            let created = create_endpoint(deps, &tenant, request).await?;
            Ok((201, to_json(&created)))
        }
        _ if !allowed_methods(path).is_empty() => {
            Err(ApiError::new(405, "method_not_allowed", format!("{path} does not answer {method}")))
        }
        _ => Err(ApiError::new(404, "not_found", format!("no route for {method} {path}"))),
    }
}

fn allowed_methods(path: &str) -> Vec<&'static str> {
    ROUTES
        .iter()
        .filter(|(route, _)| *route == path)
        .flat_map(|(_, methods)| methods.iter().map(Method::as_str))
        .collect()
}

fn checked_body<'b>(body: &'b Body, limits: &Limits) -> Result<&'b [u8], ApiError> {
    let bytes: &[u8] = body.as_ref();
    if bytes.len() > limits.max_body_bytes {
        return Err(ApiError::new(
            413,
            "body_too_large",
            format!("the body is {} bytes; the limit is {}", bytes.len(), limits.max_body_bytes),
        ));
    }
    Ok(bytes)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn json_response(status: u16, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests;
