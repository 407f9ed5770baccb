//! The route table: every (method, path template) the API answers, named by its OpenAPI operationId, with
//! who may call it. Routes that act for a tenant are also served under `/v1/tenants/{tenant_id}`. The
//! tests hold this table and the OpenAPI document to each other, so neither can drift.

use http::Method;

use hookline::access::Need;
use hookline_core::portal::Capability;

use crate::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetOpenApi,
    GetSourceIps,
    PutTenant,
    GetTenantById,
    ListTenants,
    DeleteTenant,
    ExchangePortalLink,
    CreatePortalSession,
    RevokePortalSessions,
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

/// Who may call a route, and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No key: this document, and the exchange of a portal link (which is its own credential).
    Public,
    /// Managing tenants: a platform key.
    Platform,
    /// Acting for a tenant: served as written for the caller's own tenant, and under
    /// `/v1/tenants/{tenant_id}` for the tenant the path names.
    Tenant(Need),
    /// The caller's own tenant only (`/v1/tenant`; the platform uses `/v1/tenants/{tenant_id}`).
    Own(Need),
}

#[derive(Debug)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub operation_id: &'static str,
    pub operation: Operation,
    pub scope: Scope,
}

/// Where the routes that act for a tenant are also served.
pub const TENANT_PREFIX: &str = "/v1/tenants/{tenant_id}";
/// The operationId suffix of a route's copy under [`TENANT_PREFIX`].
pub const FOR_TENANT_SUFFIX: &str = "ForTenant";

macro_rules! routes {
    ($($method:ident $path:literal $id:literal => $operation:ident, $scope:expr;)*) => {
        pub const ROUTES: &[Route] = &[
            $(Route {
                method: Method::$method,
                path: $path,
                operation_id: $id,
                operation: Operation::$operation,
                scope: $scope,
            },)*
        ];
    };
}

const VIEW: Scope = Scope::Tenant(Need::Capability(Capability::View));
const MANAGE: Scope = Scope::Tenant(Need::Capability(Capability::ManageEndpoints));
const SECRETS: Scope = Scope::Tenant(Need::Capability(Capability::Secrets));
const REPLAY: Scope = Scope::Tenant(Need::Capability(Capability::Replay));
const KEY: Scope = Scope::Tenant(Need::Key);

routes! {
    GET "/v1/openapi.yaml" "getOpenApi" => GetOpenApi, Scope::Public;
    GET "/v1/source-ips" "getSourceIps" => GetSourceIps, Scope::Public;
    PUT "/v1/tenants/{tenant_id}" "putTenant" => PutTenant, Scope::Platform;
    GET "/v1/tenants/{tenant_id}" "getTenantById" => GetTenantById, Scope::Platform;
    GET "/v1/tenants" "listTenants" => ListTenants, Scope::Platform;
    DELETE "/v1/tenants/{tenant_id}" "deleteTenant" => DeleteTenant, Scope::Platform;
    POST "/v1/portal-sessions/exchange" "exchangePortalLink" => ExchangePortalLink, Scope::Public;
    POST "/v1/portal-sessions" "createPortalSession" => CreatePortalSession, KEY;
    DELETE "/v1/portal-sessions" "revokePortalSessions" => RevokePortalSessions, KEY;
    GET "/v1/tenant" "getTenant" => GetTenant, Scope::Own(Need::Capability(Capability::View));
    PATCH "/v1/tenant" "updateTenant" => UpdateTenant, Scope::Own(Need::Key);
    POST "/v1/api-keys" "createApiKey" => CreateApiKey, KEY;
    GET "/v1/api-keys" "listApiKeys" => ListApiKeys, KEY;
    DELETE "/v1/api-keys/{key_id}" "revokeApiKey" => RevokeApiKey, KEY;
    POST "/v1/endpoints" "createEndpoint" => CreateEndpoint, MANAGE;
    GET "/v1/endpoints" "listEndpoints" => ListEndpoints, VIEW;
    GET "/v1/endpoints/{endpoint_id}" "getEndpoint" => GetEndpoint, VIEW;
    PATCH "/v1/endpoints/{endpoint_id}" "updateEndpoint" => UpdateEndpoint, MANAGE;
    DELETE "/v1/endpoints/{endpoint_id}" "deleteEndpoint" => DeleteEndpoint, MANAGE;
    GET "/v1/endpoints/{endpoint_id}/secret" "getEndpointSecret" => GetEndpointSecret, SECRETS;
    POST "/v1/endpoints/{endpoint_id}/secret/rotate" "rotateEndpointSecret" => RotateEndpointSecret, SECRETS;
    POST "/v1/event-types" "createEventType" => CreateEventType, KEY;
    GET "/v1/event-types" "listEventTypes" => ListEventTypes, VIEW;
    GET "/v1/event-types/{name}" "getEventType" => GetEventType, VIEW;
    DELETE "/v1/event-types/{name}" "deleteEventType" => DeleteEventType, KEY;
    POST "/v1/events" "createEvent" => CreateEvent, KEY;
    POST "/v1/events/batch" "createEventBatch" => CreateEventBatch, KEY;
    GET "/v1/messages" "listMessages" => ListMessages, VIEW;
    GET "/v1/messages/{message_id}" "getMessage" => GetMessage, VIEW;
    POST "/v1/messages/{message_id}/resend" "resendMessage" => ResendMessage, REPLAY;
    GET "/v1/endpoints/{endpoint_id}/attempts" "listEndpointAttempts" => ListEndpointAttempts, VIEW;
    POST "/v1/endpoints/{endpoint_id}/recover" "recoverEndpoint" => RecoverEndpoint, REPLAY;
    POST "/v1/endpoints/{endpoint_id}/test" "sendTestEvent" => SendTestEvent, MANAGE;
    POST "/v1/endpoints/{endpoint_id}/probe" "probeEndpoint" => ProbeEndpoint, MANAGE;
}

/// A request matched to its route: the tenant named by a `/v1/tenants/{tenant_id}` prefix, and the value
/// of the route's own placeholder, if any.
#[derive(Debug, Clone, Copy)]
pub struct Matched<'p> {
    pub route: &'static Route,
    pub tenant: Option<&'p str>,
    pub param: Option<&'p str>,
}

impl Matched<'_> {
    pub fn operation(&self) -> Operation {
        self.route.operation
    }

    /// The path template as the OpenAPI document lists it.
    pub fn template(&self) -> String {
        match self.tenant {
            Some(_) => for_tenant(self.route.path),
            None => self.route.path.to_owned(),
        }
    }
}

/// A route's path under [`TENANT_PREFIX`].
pub fn for_tenant(path: &str) -> String {
    format!("{TENANT_PREFIX}{}", path.trim_start_matches("/v1"))
}

/// Every (method, path, operationId) the API answers, the copies under the tenant prefix included.
pub fn documented() -> Vec<(Method, String, String)> {
    let mut all = Vec::new();
    for route in ROUTES {
        all.push((route.method.clone(), route.path.to_owned(), route.operation_id.to_owned()));
        if matches!(route.scope, Scope::Tenant(_)) {
            let id = format!("{}{FOR_TENANT_SUFFIX}", route.operation_id);
            all.push((route.method.clone(), for_tenant(route.path), id));
        }
    }
    all
}

/// The route for `method path`: 404 when no template fits the path, 405 when one fits but not the method.
pub fn resolve<'p>(method: &Method, path: &'p str) -> Result<Matched<'p>, ApiError> {
    let mut path_known = false;
    for (route, tenant, param) in fits(path) {
        path_known = true;
        if route.method == *method {
            return Ok(Matched { route, tenant, param });
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
    fits(path).map(|(route, _, _)| route.method.as_str()).collect()
}

type Fit<'p> = (&'static Route, Option<&'p str>, Option<&'p str>);

/// Every route whose template fits `path`, as written or under the tenant prefix.
fn fits(path: &str) -> impl Iterator<Item = Fit<'_>> {
    let prefixed = path.strip_prefix("/v1/tenants/").and_then(|rest| rest.split_once('/'));
    let direct =
        ROUTES.iter().filter_map(move |route| fit(route.path, path).map(|param| (route, None, param)));
    let for_tenant = ROUTES.iter().filter_map(move |route| {
        let (tenant, rest) = prefixed?;
        let scoped = matches!(route.scope, Scope::Tenant(_)) && !tenant.is_empty();
        let param = fit(route.path.trim_start_matches("/v1"), &path[path.len() - rest.len() - 1..])?;
        scoped.then_some((route, Some(tenant), param))
    });
    direct.chain(for_tenant)
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

    fn matched(method: Method, path: &str) -> (Operation, Option<&str>, Option<&str>) {
        let m = resolve(&method, path).unwrap();
        (m.operation(), m.tenant, m.param)
    }

    #[test]
    fn paths_with_a_placeholder_capture_its_value() {
        assert_eq!(
            matched(Method::GET, "/v1/endpoints/ep_1/secret"),
            (Operation::GetEndpointSecret, None, Some("ep_1"))
        );
        assert_eq!(matched(Method::POST, "/v1/events/batch"), (Operation::CreateEventBatch, None, None));
        assert_eq!(
            matched(Method::POST, "/v1/messages/msg_1/resend"),
            (Operation::ResendMessage, None, Some("msg_1"))
        );
        assert_eq!(matched(Method::PUT, "/v1/tenants/acme"), (Operation::PutTenant, None, Some("acme")));
        assert_eq!(
            matched(Method::POST, "/v1/portal-sessions/exchange"),
            (Operation::ExchangePortalLink, None, None)
        );
    }

    #[test]
    fn tenant_routes_are_served_under_the_tenant_prefix_with_the_tenant_captured() {
        assert_eq!(
            matched(Method::GET, "/v1/tenants/cus_1/endpoints/ep_1/attempts"),
            (Operation::ListEndpointAttempts, Some("cus_1"), Some("ep_1"))
        );
        assert_eq!(
            matched(Method::POST, "/v1/tenants/acme/events"),
            (Operation::CreateEvent, Some("acme"), None)
        );
        assert_eq!(
            matched(Method::POST, "/v1/tenants/acme/portal-sessions"),
            (Operation::CreatePortalSession, Some("acme"), None)
        );
        let m = resolve(&Method::GET, "/v1/tenants/acme/endpoints/ep_1").unwrap();
        assert_eq!(m.template(), "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}");
        // Only routes that act for a tenant have the prefixed form.
        assert_eq!(resolve(&Method::GET, "/v1/tenants/acme/tenant").unwrap_err().status, 404);
        assert_eq!(resolve(&Method::GET, "/v1/tenants/acme/openapi.yaml").unwrap_err().status, 404);
        assert_eq!(
            resolve(&Method::POST, "/v1/tenants/acme/portal-sessions/exchange").unwrap_err().status,
            404
        );
    }

    #[test]
    fn an_unknown_path_is_404_and_a_known_path_with_another_method_is_405() {
        assert_eq!(resolve(&Method::GET, "/v1/nope").unwrap_err().status, 404);
        assert_eq!(resolve(&Method::GET, "/v1/endpoints//secret").unwrap_err().status, 404);
        assert_eq!(resolve(&Method::PUT, "/v1/endpoints/ep_1").unwrap_err().status, 405);
        assert_eq!(resolve(&Method::PUT, "/v1/tenants/a/endpoints/ep_1").unwrap_err().status, 405);
        assert_eq!(allowed_methods("/v1/endpoints/ep_1"), vec!["GET", "PATCH", "DELETE"]);
        assert_eq!(allowed_methods("/v1/tenants/acme"), vec!["PUT", "GET", "DELETE"]);
    }

    /// Every route the handler answers is in the OpenAPI document with the same operationId, and the
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
        let mut routed: Vec<_> =
            super::documented().into_iter().map(|(m, path, id)| (m.to_string(), path, id)).collect();
        documented.sort();
        routed.sort();
        assert_eq!(routed, documented);
    }
}
