//! The endpoints: a list with each one's health, create, the endpoint's own page (its chart, the edit
//! form, secrets, testing and recovery), and delete with a confirmation.

use hookline::attempt_log::LogQuery;
use hookline::clock::Clock as _;
use hookline::ports::Ports;
use hookline_api::operations as op;
use hookline_api::{ApiError, AttemptView, EndpointView, EventTypeView};
use hookline_core::model::DeliveryState;
use hookline_core::portal::Capability;
use hookline_core::time::rfc3339;

use super::endpoint_form::{self, FieldError, Fields};
use super::{secrets, testing, words};
use crate::chart;
use crate::form::Form;
use crate::html::Html;
use crate::layout::{self, Section, csrf_field};
use crate::{PortalResponse, Visit};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Attempts read for an endpoint's health and chart: the last day's, up to this many.
const RECENT_ATTEMPTS: u32 = 100;

/// The endpoint's attempts of the last 24 hours, newest first (at most [`RECENT_ATTEMPTS`]).
pub async fn recent_attempts<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<Vec<AttemptView>, ApiError> {
    let since = rfc3339(visit.app.clock().now_ms() - DAY_MS);
    let query = LogQuery { since: Some(&since), until: None, limit: RECENT_ATTEMPTS, cursor: None };
    Ok(op::list_endpoint_attempts(visit.app, &visit.tenant.id, id, &query, None).await?.data)
}

pub async fn catalogue<P: Ports>(visit: &Visit<'_, P>) -> Result<Vec<EventTypeView>, ApiError> {
    Ok(op::list_event_types(visit.app, &visit.tenant.id, 100, None).await?.data)
}

pub async fn list<P: Ports>(visit: &Visit<'_, P>) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::View).await?;
    let cursor = visit.request.param("cursor");
    let page = op::list_endpoints(visit.app, &visit.tenant.id, 50, cursor).await?;
    let mut html = Html::new();
    if visit.may(Capability::ManageEndpoints) {
        html.raw("<p><a class=\"button\" href=\"")
            .text(&visit.link("endpoints/new"))
            .raw("\">Add endpoint</a></p>");
    }
    if page.data.is_empty() {
        html.raw("<p class=\"card\">No endpoints yet. An endpoint is a URL of yours that receives our webhooks.</p>");
    } else {
        html.raw("<div class=\"table\"><table><caption class=\"muted\">Health over the last 24 hours</caption><thead><tr>");
        html.raw("<th scope=\"col\">Endpoint</th><th scope=\"col\">Last answer</th><th scope=\"col\">Success, 24 h</th><th scope=\"col\">Health</th></tr></thead><tbody>");
        for endpoint in &page.data {
            let attempts = recent_attempts(visit, endpoint.id.as_str()).await?;
            health_row(&mut html, visit, endpoint, &attempts);
        }
        html.raw("</tbody></table></div>");
    }
    if let Some(next) = &page.next_cursor {
        html.raw("<p><a href=\"").text(&visit.link(&format!("?cursor={next}"))).raw("\">Next page</a></p>");
    }
    Ok(layout::page(visit, Section::Endpoints, "Endpoints", &html.into_string()))
}

fn health_row<P: Ports>(
    html: &mut Html,
    visit: &Visit<'_, P>,
    endpoint: &EndpointView,
    attempts: &[AttemptView],
) {
    html.raw("<tr><td><a href=\"")
        .text(&visit.link(&format!("endpoints/{}", endpoint.id)))
        .raw("\">")
        .text(&endpoint.url)
        .raw("</a>");
    if let Some(description) = &endpoint.description {
        html.raw("<br><span class=\"muted\">").text(description).raw("</span>");
    }
    html.raw("</td><td>");
    match attempts.first() {
        Some(last) => {
            let answer = last.status_code.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            html.raw(&words::state_badge(last.state)).raw(" ").text(&answer);
        }
        None => {
            html.raw("<span class=\"muted\">nothing sent yet</span>");
        }
    }
    html.raw("</td><td>");
    let settled: Vec<_> = attempts.iter().filter(|a| a.state != DeliveryState::Pending).collect();
    if settled.is_empty() {
        html.raw("<span class=\"muted\">—</span>");
    } else {
        let ok = settled.iter().filter(|a| a.state == DeliveryState::Succeeded).count();
        html.text(&format!("{}% of {}", ok * 100 / settled.len(), settled.len()));
    }
    html.raw("</td><td>");
    match (&endpoint.disabled_reason, &endpoint.failing_since, endpoint.enabled) {
        (Some(reason), _, false) => html.raw("<span class=\"bad\">Disabled: ").text(reason).raw("</span>"),
        (None, _, false) => html.raw("<span class=\"bad\">Disabled</span>"),
        (_, Some(since), true) => html.raw("<span class=\"warn\">Failing since ").text(since).raw("</span>"),
        _ => html.raw("<span class=\"ok\">Healthy</span>"),
    };
    html.raw("</td></tr>");
}

pub async fn new_form<P: Ports>(visit: &Visit<'_, P>) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::ManageEndpoints).await?;
    form_page(visit, &Fields::blank(), None, 200).await
}

async fn form_page<P: Ports>(
    visit: &Visit<'_, P>,
    fields: &Fields,
    error: Option<&FieldError>,
    status: u16,
) -> Result<PortalResponse, ApiError> {
    let catalogue = catalogue(visit).await?;
    let mut html = Html::new();
    endpoint_form::render(&mut html, &visit.link("endpoints"), &visit.csrf, fields, &catalogue, error, false);
    let mut response = layout::page(visit, Section::Endpoints, "Add an endpoint", &html.into_string());
    response.status = status;
    Ok(response)
}

pub async fn create<P: Ports>(visit: &Visit<'_, P>) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::ManageEndpoints).await?;
    let fields = Fields::read(&Form::parse(visit.request.body));
    let request = match fields.to_create() {
        Ok(request) => request,
        Err(error) => return form_page(visit, &fields, Some(&error), 400).await,
    };
    match op::create_endpoint(visit.app, &visit.tenant.id, request).await {
        Ok(created) => {
            Ok(PortalResponse::redirect(visit.link(&format!("endpoints/{}?created=1", created.id))))
        }
        Err(e) if e.status < 500 && e.status != 403 => {
            form_page(visit, &fields, Some(&FieldError::of(&e)), e.status).await
        }
        Err(e) => Err(e),
    }
}

/// The endpoint's page. `notice` is the outcome of the action that led here, already built.
pub async fn show<P: Ports>(
    visit: &Visit<'_, P>,
    id: &str,
    notice: Option<String>,
) -> Result<PortalResponse, ApiError> {
    page(visit, id, notice, None, None).await
}

async fn page<P: Ports>(
    visit: &Visit<'_, P>,
    id: &str,
    notice: Option<String>,
    edited: Option<(&Fields, &FieldError)>,
    status: Option<u16>,
) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::View).await?;
    let endpoint = op::get_endpoint(visit.app, &visit.tenant.id, id).await?;
    let attempts = recent_attempts(visit, id).await?;
    let mut html = Html::new();
    if let Some(notice) = notice {
        html.raw(&notice);
    } else if visit.request.param("created").is_some() {
        html.raw("<p class=\"notice\" role=\"status\">Endpoint created. Reveal its signing secret below to verify our webhooks.</p>");
    }
    html.raw("<dl class=\"facts card\"><dt>URL</dt><dd>")
        .text(&endpoint.url)
        .raw("</dd><dt>Id</dt><dd><code>")
        .text(endpoint.id.as_str());
    html.raw("</code></dd><dt>Event types</dt><dd>").text(&endpoint.event_types.join(", ")).raw("</dd>");
    if let Some(filter) = &endpoint.payload_filter {
        html.raw("<dt>Payload filter</dt><dd><code>").text(&filter.to_string()).raw("</code></dd>");
    }
    html.raw("<dt>Status</dt><dd>");
    match (&endpoint.disabled_reason, &endpoint.failing_since, endpoint.enabled) {
        (reason, _, false) => {
            html.raw("<span class=\"bad\">Disabled</span> ").text(reason.as_deref().unwrap_or(""))
        }
        (_, Some(since), true) => html.raw("<span class=\"warn\">Failing since ").text(since).raw("</span>"),
        _ => html.raw("<span class=\"ok\">Enabled</span>"),
    };
    html.raw("</dd></dl>");
    html.raw("<h2>The last 24 hours</h2>");
    chart::render(&mut html, &attempts, visit.app.clock().now_ms());
    html.raw("<p><a href=\"")
        .text(&visit.link(&format!("messages?endpoint={id}")))
        .raw("\">See this endpoint's attempts in the log</a></p>");

    if visit.may(Capability::ManageEndpoints) {
        html.raw("<h2>Settings</h2>");
        let catalogue = catalogue(visit).await?;
        let (fields, error) = match edited {
            Some((fields, error)) => (fields.clone(), Some(error)),
            None => (Fields::of(&endpoint, &catalogue), None),
        };
        let action = visit.link(&format!("endpoints/{id}"));
        endpoint_form::render(&mut html, &action, &visit.csrf, &fields, &catalogue, error, true);
    }
    secrets::section(&mut html, visit, id, endpoint.public_key.as_deref());
    testing::section(&mut html, visit, id);
    if visit.may(Capability::ManageEndpoints) {
        html.raw("<h2>Delete</h2><p><a class=\"button secondary\" href=\"")
            .text(&visit.link(&format!("endpoints/{id}/delete")));
        html.raw("\">Delete this endpoint…</a></p>");
    }
    let title = endpoint.description.clone().unwrap_or_else(|| "Endpoint".to_owned());
    let mut response = layout::page(visit, Section::Endpoints, &title, &html.into_string());
    if let Some(status) = status {
        response.status = status;
    }
    Ok(response)
}

pub async fn update<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::ManageEndpoints).await?;
    let fields = Fields::read(&Form::parse(visit.request.body));
    let request = match fields.to_update() {
        Ok(request) => request,
        Err(error) => return page(visit, id, None, Some((&fields, &error)), Some(400)).await,
    };
    match op::update_endpoint(visit.app, &visit.tenant.id, id, request).await {
        Ok(_) => show(visit, id, Some("<p class=\"notice\" role=\"status\">Saved.</p>".into())).await,
        Err(e) if e.status < 500 && e.status != 403 && e.status != 404 => {
            page(visit, id, None, Some((&fields, &FieldError::of(&e))), Some(e.status)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn confirm_delete<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::ManageEndpoints).await?;
    let endpoint = op::get_endpoint(visit.app, &visit.tenant.id, id).await?;
    let mut html = Html::new();
    html.raw("<div class=\"card\"><p>Delete the endpoint <strong>").text(&endpoint.url);
    html.raw("</strong>? Nothing more is sent to it, and deliveries still waiting are dropped. This cannot be undone.</p>");
    html.raw("<form method=\"post\" action=\"")
        .text(&visit.link(&format!("endpoints/{id}/delete")))
        .raw("\">");
    csrf_field(&mut html, &visit.csrf);
    html.raw("<button type=\"submit\" class=\"danger\">Delete it</button> <a href=\"")
        .text(&visit.link(&format!("endpoints/{id}")));
    html.raw("\">Keep it</a></form></div>");
    Ok(layout::page(visit, Section::Endpoints, "Delete the endpoint?", &html.into_string()))
}

pub async fn delete<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::ManageEndpoints).await?;
    op::delete_endpoint(visit.app, &visit.tenant.id, id).await?;
    Ok(PortalResponse::redirect(visit.base.clone()))
}
