//! The route table: every (method, path template) the API answers, named by its OpenAPI operationId.
//! The tests hold this table and `openapi/openapi.yaml` to each other, so neither can drift.

use http::Method;

use crate::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetOpenApi,
    GetTenant,
    UpdateTenant,
    CreateApiKey,
    ListApiKeys,
    RevokeApiKey,
    CreateEndpoint,
    ListEndpoints,
    GetEndpoint,
    UpdateEndpoint,
    DeleteEndpoint,
    GetEndpointSecret,
    RotateEndpointSecret,
    CreateEventType,
    ListEventTypes,
    GetEventType,
    DeleteEventType,
    CreateEvent,
    CreateEventBatch,
    ListMessages,
    GetMessage,
    ResendMessage,
    ListEndpointAttempts,
    RecoverEndpoint,
    SendTestEvent,
    ProbeEndpoint,
}

#[derive(Debug)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub operation_id: &'static str,
    pub operation: Operation,
}

macro_rules! routes {
    ($($method:ident $path:literal $id:literal => $operation:ident,)*) => {
        pub const ROUTES: &[Route] = &[
            $(Route { method: Method::$method, path: $path, operation_id: $id, operation: Operation::$operation },)*
        ];
    };
}

routes! {
    GET "/v1/openapi.yaml" "getOpenApi" => GetOpenApi,
    GET "/v1/tenant" "getTenant" => GetTenant,
    PATCH "/v1/tenant" "updateTenant" => UpdateTenant,
    POST "/v1/api-keys" "createApiKey" => CreateApiKey,
    GET "/v1/api-keys" "listApiKeys" => ListApiKeys,
    DELETE "/v1/api-keys/{key_id}" "revokeApiKey" => RevokeApiKey,
    POST "/v1/endpoints" "createEndpoint" => CreateEndpoint,
    GET "/v1/endpoints" "listEndpoints" => ListEndpoints,
    GET "/v1/endpoints/{endpoint_id}" "getEndpoint" => GetEndpoint,
    PATCH "/v1/endpoints/{endpoint_id}" "updateEndpoint" => UpdateEndpoint,
    DELETE "/v1/endpoints/{endpoint_id}" "deleteEndpoint" => DeleteEndpoint,
    GET "/v1/endpoints/{endpoint_id}/secret" "getEndpointSecret" => GetEndpointSecret,
    POST "/v1/endpoints/{endpoint_id}/secret/rotate" "rotateEndpointSecret" => RotateEndpointSecret,
    POST "/v1/event-types" "createEventType" => CreateEventType,
    GET "/v1/event-types" "listEventTypes" => ListEventTypes,
    GET "/v1/event-types/{name}" "getEventType" => GetEventType,
    DELETE "/v1/event-types/{name}" "deleteEventType" => DeleteEventType,
    POST "/v1/events" "createEvent" => CreateEvent,
    POST "/v1/events/batch" "createEventBatch" => CreateEventBatch,
    GET "/v1/messages" "listMessages" => ListMessages,
    GET "/v1/messages/{message_id}" "getMessage" => GetMessage,
    POST "/v1/messages/{message_id}/resend" "resendMessage" => ResendMessage,
    GET "/v1/endpoints/{endpoint_id}/attempts" "listEndpointAttempts" => ListEndpointAttempts,
    POST "/v1/endpoints/{endpoint_id}/recover" "recoverEndpoint" => RecoverEndpoint,
    POST "/v1/endpoints/{endpoint_id}/test" "sendTestEvent" => SendTestEvent,
    POST "/v1/endpoints/{endpoint_id}/probe" "probeEndpoint" => ProbeEndpoint,
}

/// A request matched to its route, with the value of the path's one placeholder, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched<'p> {
    pub operation: Operation,
    pub param: Option<&'p str>,
}

/// The route for `method path`: 404 when no template fits the path, 405 when one fits but not the method.
pub fn resolve<'p>(method: &Method, path: &'p str) -> Result<Matched<'p>, ApiError> {
    let mut path_known = false;
    for route in ROUTES {
        if let Some(param) = fit(route.path, path) {
            path_known = true;
            if route.method == *method {
                return Ok(Matched { operation: route.operation, param });
            }
        }
    }
    Err(if path_known {
        ApiError::new(405, "method_not_allowed", format!("{path} does not answer {method}"))
    } else {
        ApiError::new(404, "not_found", format!("no route for {method} {path}"))
    })
}

/// The methods answered at `path`, for the `Allow` header of a 405.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    ROUTES.iter().filter(|route| fit(route.path, path).is_some()).map(|route| route.method.as_str()).collect()
}

/// Whether `path` fits `template`: `Some(placeholder value)` (or `Some(None)` without one).
fn fit<'p>(template: &str, path: &'p str) -> Option<Option<&'p str>> {
    let mut param = None;
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(param),
            (Some(w), Some(g)) if w.starts_with('{') && !g.is_empty() => param = Some(g),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_a_placeholder_capture_its_value() {
        let matched = resolve(&Method::GET, "/v1/endpoints/ep_1/secret").unwrap();
        assert_eq!(matched, Matched { operation: Operation::GetEndpointSecret, param: Some("ep_1") });
        let matched = resolve(&Method::POST, "/v1/events/batch").unwrap();
        assert_eq!(matched, Matched { operation: Operation::CreateEventBatch, param: None });
        let matched = resolve(&Method::POST, "/v1/messages/msg_1/resend").unwrap();
        assert_eq!(matched, Matched { operation: Operation::ResendMessage, param: Some("msg_1") });
        let matched = resolve(&Method::GET, "/v1/endpoints/ep_1/attempts").unwrap();
        assert_eq!(matched, Matched { operation: Operation::ListEndpointAttempts, param: Some("ep_1") });
    }

    #[test]
    fn an_unknown_path_is_404_and_a_known_path_with_another_method_is_405() {
        assert_eq!(resolve(&Method::GET, "/v1/nope").unwrap_err().status, 404);
        assert_eq!(resolve(&Method::GET, "/v1/endpoints//secret").unwrap_err().status, 404);
        assert_eq!(resolve(&Method::PUT, "/v1/endpoints/ep_1").unwrap_err().status, 405);
        assert_eq!(allowed_methods("/v1/endpoints/ep_1"), vec!["GET", "PATCH", "DELETE"]);
    }

    /// Every route the handler answers is in `openapi/openapi.yaml` with the same operationId, and the
    /// document has no operation the handler does not answer.
    #[test]
    fn the_route_table_and_the_openapi_document_agree() {
        let spec: serde_yaml::Value = serde_yaml::from_str(crate::OPENAPI).unwrap();
        let mut documented = Vec::new();
        for (path, item) in spec["paths"].as_mapping().unwrap() {
            for (method, operation) in item.as_mapping().unwrap() {
                let method = method.as_str().unwrap();
                if ["get", "post", "put", "patch", "delete", "head", "options"].contains(&method) {
                    let id = operation["operationId"].as_str().unwrap();
                    documented.push((
                        method.to_ascii_uppercase(),
                        path.as_str().unwrap().to_owned(),
                        id.to_owned(),
                    ));
                }
            }
        }
        let mut routed: Vec<_> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_owned(), r.operation_id.to_owned()))
            .collect();
        documented.sort();
        routed.sort();
        assert_eq!(routed, documented);
    }
}
