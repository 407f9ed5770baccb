//! The subscriber portal, served by the ingest function under `/portal/`: server-rendered HTML over the
//! same operations as the API, with no JavaScript at all (the Content-Security-Policy forbids scripts),
//! one stylesheet compiled into the binary, and nothing fetched from anywhere else.
//!
//! A portal session's magic link (`/portal/login?token=hll_…`) is exchanged once for a session whose
//! token goes into an HttpOnly, SameSite=Strict cookie; the browser is sent on to a clean URL at once.
//! Every request is authorized like an API request (`App::act_for` with the route's capability), and
//! every form that changes something carries the session's CSRF token.

mod chart;
mod form;
pub mod html;
mod layout;
mod pages;
pub mod session;

use hookline::access::{Caller, Need};
use hookline::app::App;
use hookline::ports::Ports;
use hookline_api::ApiError;
use hookline_core::portal::{Capability, PortalSession};
use hookline_core::tenancy::Tenant;

pub use layout::STYLESHEET;

/// A request to the portal, as the ingest function received it.
#[derive(Debug)]
pub struct PortalRequest<'r> {
    pub method: &'r http::Method,
    /// The path below the portal's base, without a leading `/` (`""`, `endpoints/ep_1`, …).
    pub path: &'r str,
    pub query: Vec<(String, String)>,
    pub cookie: Option<&'r str>,
    pub body: &'r [u8],
    /// Where the portal is served, ending in `/` (`/portal/`, `/prod/portal/`): links and the cookie's path.
    pub base: String,
    /// Whether the browser reached it over https (the cookie is `Secure` then).
    pub https: bool,
}

impl PortalRequest<'_> {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

/// The portal's answer.
#[derive(Debug)]
pub struct PortalResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// `Location` of a redirect.
    pub location: Option<String>,
    pub set_cookie: Option<String>,
}

impl PortalResponse {
    fn html(status: u16, body: String) -> Self {
        Self { status, content_type: "text/html; charset=utf-8", body, location: None, set_cookie: None }
    }

    fn redirect(location: String) -> Self {
        Self { location: Some(location), ..Self::html(303, String::new()) }
    }

    /// The headers every portal answer carries, whatever its status.
    pub fn security_headers() -> [(&'static str, &'static str); 6] {
        [
            // No script at all, styles from this origin only, forms only back here, never framed.
            (
                "content-security-policy",
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            // Keeps the magic link, and every other portal URL, out of any Referer.
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
            ("cross-origin-opener-policy", "same-origin"),
        ]
    }
}

/// A signed-in request: the session's tenant, and what the session may do.
pub(crate) struct Visit<'a, P: Ports> {
    pub app: &'a App<P>,
    pub caller: Caller,
    pub tenant: Tenant,
    pub session: PortalSession,
    pub csrf: String,
    pub base: String,
    pub request: &'a PortalRequest<'a>,
}

impl<P: Ports> Visit<'_, P> {
    pub fn may(&self, capability: Capability) -> bool {
        self.session.may(capability)
    }

    /// The capability, checked on the server whatever the page showed.
    pub async fn require(&self, capability: Capability) -> Result<(), ApiError> {
        self.app.act_for(&self.caller, None, Need::Capability(capability), "/portal").await?;
        Ok(())
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

pub async fn serve<P: Ports>(app: &App<P>, request: &PortalRequest<'_>) -> PortalResponse {
    if request.path == "assets/portal.css" {
        return PortalResponse {
            content_type: "text/css; charset=utf-8",
            ..PortalResponse::html(200, STYLESHEET.into())
        };
    }
    if request.path == "login" {
        return login(app, request).await;
    }
    let Some(token) = session::from_cookie_header(request.cookie) else {
        return layout::ended(&request.base);
    };
    let caller = match app.authenticate(Some(&format!("Bearer {token}"))).await {
        Ok(caller @ Caller::Portal(_)) => caller,
        Ok(_) | Err(_) => return layout::ended(&request.base),
    };
    let Caller::Portal(portal) = &caller else { return layout::ended(&request.base) };
    let (session, tenant) = portal.as_ref().clone();
    let changes = request.method != http::Method::GET && request.method != http::Method::HEAD;
    if changes && !session::csrf_matches(token, form::field(request.body, "csrf").as_deref()) {
        return layout::error_page(
            &request.base,
            403,
            "This form has expired. Go back, reload the page and try again.",
        );
    }
    if request.path == "logout" && changes {
        // Ends it in this browser; the platform revokes every session of the tenant with the API.
        let mut response = PortalResponse::redirect(format!("{}login", request.base));
        response.set_cookie = Some(session::clear_cookie(&request.base, request.https));
        return response;
    }
    let visit = Visit {
        app,
        caller: caller.clone(),
        tenant,
        session,
        csrf: session::csrf_token(token),
        base: request.base.clone(),
        request,
    };
    match pages::route(&visit).await {
        Ok(response) => response,
        Err(e) => layout::api_error(&visit, &e),
    }
}

/// Spends the magic link and moves the browser to a URL without it: the token never stays in the
/// address bar, and `Referrer-Policy: no-referrer` keeps it out of every Referer.
async fn login<P: Ports>(app: &App<P>, request: &PortalRequest<'_>) -> PortalResponse {
    let Some(token) = request.param("token") else {
        return layout::ended(&request.base);
    };
    match app.exchange_portal_link(token).await {
        Ok(opened) => {
            let now_ms = opened.session.exchanged_at_ms.unwrap_or(opened.session.created_at_ms);
            let max_age = (opened.session.expires_at_ms - now_ms) / 1000;
            let mut response = PortalResponse::redirect(request.base.clone());
            response.set_cookie =
                Some(session::set_cookie(opened.token.expose(), &request.base, request.https, max_age));
            response
        }
        Err(_) => layout::error_page(
            &request.base,
            401,
            "This link has already been used or has expired. Ask for a new one where you found it.",
        ),
    }
}
