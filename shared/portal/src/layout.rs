//! The page shell (header, navigation, main), the stylesheet, and the pages for errors.

use hookline::ports::Ports;
use hookline_api::ApiError;
use hookline_core::portal::Capability;

use crate::html::{Html, esc};
use crate::{PortalResponse, Visit};

/// Compiled into the binary: the portal fetches nothing from anywhere else.
pub const STYLESHEET: &str = include_str!("../assets/portal.css");

/// Which part of the portal a page belongs to, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Endpoints,
    Messages,
    Catalogue,
}

/// A whole page: `body` is already-built markup.
pub fn page<P: Ports>(visit: &Visit<'_, P>, section: Section, title: &str, body: &str) -> PortalResponse {
    PortalResponse::html(200, document(visit, section, title, body))
}

pub fn document<P: Ports>(visit: &Visit<'_, P>, section: Section, title: &str, body: &str) -> String {
    let mut html = Html::new();
    head(&mut html, &visit.base, title);
    html.raw("<header class=\"top\"><div class=\"brand\">")
        .text(&visit.tenant.name)
        .raw("<span> · webhooks</span></div>");
    html.raw("<nav aria-label=\"Portal\"><ul>");
    for (target, path, label) in [
        (Section::Endpoints, "", "Endpoints"),
        (Section::Messages, "messages", "Message log"),
        (Section::Catalogue, "event-types", "Event catalogue"),
    ] {
        let current = if target == section { " aria-current=\"page\"" } else { "" };
        html.raw("<li><a href=\"")
            .text(&visit.link(path))
            .raw("\"")
            .raw(current)
            .raw(">")
            .text(label)
            .raw("</a></li>");
    }
    html.raw("</ul></nav>");
    html.raw("<form method=\"post\" action=\"").text(&visit.link("logout")).raw("\" class=\"logout\">");
    csrf_field(&mut html, &visit.csrf);
    html.raw("<button type=\"submit\" class=\"link\">Sign out</button></form></header>");
    html.raw("<main id=\"main\">").el("h1", title).raw(body).raw("</main>");
    let granted: Vec<&str> = visit.session.capabilities.iter().map(|c| capability_words(*c)).collect();
    html.raw("<footer>This session may ").text(&granted.join(", ")).raw(".</footer></body></html>");
    html.into_string()
}

fn head(html: &mut Html, base: &str, title: &str) {
    html.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    html.raw("<title>").text(title).raw(" · Hookline</title>");
    html.raw("<link rel=\"stylesheet\" href=\"").text(base).raw("assets/portal.css\"></head><body>");
    html.raw("<a class=\"skip\" href=\"#main\">Skip to content</a>");
}

pub fn csrf_field(html: &mut Html, csrf: &str) {
    html.raw("<input type=\"hidden\" name=\"csrf\" value=\"").text(csrf).raw("\">");
}

pub fn capability_words(capability: Capability) -> &'static str {
    match capability {
        Capability::View => "view endpoints and the log",
        Capability::ManageEndpoints => "manage endpoints",
        Capability::Secrets => "reveal and rotate secrets",
        Capability::Replay => "resend and recover",
    }
}

/// A page with only a message, outside a session.
pub fn error_page(base: &str, status: u16, message: &str) -> PortalResponse {
    let mut html = Html::new();
    let title = match status {
        401 => "Your session has ended",
        403 => "Not allowed",
        404 => "Not found",
        _ => "Something went wrong",
    };
    head(&mut html, base, title);
    html.raw("<main id=\"main\" class=\"narrow\">")
        .el("h1", title)
        .el("p", message)
        .raw("</main></body></html>");
    PortalResponse::html(status, html.into_string())
}

/// No session (or an ended one).
pub fn ended(base: &str) -> PortalResponse {
    error_page(base, 401, "Open the portal again from the link your provider gives you; links work once.")
}

/// A failed operation, shown in words inside the portal.
pub fn api_error<P: Ports>(visit: &Visit<'_, P>, error: &ApiError) -> PortalResponse {
    if error.status == 401 {
        return ended(&visit.base);
    }
    let words = match error.code {
        "capability_missing" | "api_key_required" => "This session is not allowed to do that.",
        "not_found" => "That does not exist (or no longer does).",
        _ if error.status >= 500 => "The service could not do that just now. Try again in a moment.",
        _ => "That could not be done.",
    };
    let body = format!("<p class=\"error\" role=\"alert\">{} {}</p>", esc(words), esc(&error.message));
    let section =
        if visit.request.path.starts_with("messages") { Section::Messages } else { Section::Endpoints };
    PortalResponse::html(error.status, document(visit, section, "Not done", &body))
}
