//! The message log: messages filtered by event type and time, or one endpoint's attempts filtered by
//! status; a message with each endpoint's delivery and every attempt; resend.

use hookline::attempt_log::LogQuery;
use hookline::clock::Clock as _;
use hookline::ports::Ports;
use hookline_api::operations as op;
use hookline_api::{ApiError, AttemptView, ResendMessage};
use hookline_core::portal::Capability;
use hookline_core::time::rfc3339;

use super::{endpoints, words};
use crate::form::Form;
use crate::html::Html;
use crate::layout::{self, Section, csrf_field};
use crate::{PortalResponse, Visit};

const PAGE: u32 = 50;
const SINCE_CHOICES: [(&str, &str, i64); 4] = [
    ("1h", "the last hour", 3600),
    ("24h", "the last 24 hours", 86_400),
    ("7d", "the last 7 days", 7 * 86_400),
    ("", "any time", 0),
];
const STATUSES: [(&str, &str); 5] = [
    ("", "any"),
    ("succeeded", "delivered"),
    ("failed", "failed (any)"),
    ("retrying", "failed, will retry"),
    ("dead_lettered", "failed for good"),
];

pub async fn list<P: Ports>(visit: &Visit<'_, P>) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::View).await?;
    let request = visit.request;
    let (event_type, endpoint, status) =
        (request.param("event_type"), request.param("endpoint"), request.param("status"));
    let since_choice = request.param("since").unwrap_or("");
    let since = SINCE_CHOICES
        .iter()
        .find(|(value, _, _)| *value == since_choice)
        .filter(|(_, _, secs)| *secs > 0)
        .map(|(_, _, secs)| rfc3339(visit.app.clock().now_ms() - secs * 1000));
    let query =
        LogQuery { since: since.as_deref(), until: None, limit: PAGE, cursor: request.param("cursor") };
    let catalogue = endpoints::catalogue(visit).await?;
    let endpoints_page = op::list_endpoints(visit.app, &visit.tenant.id, 100, None).await?;

    let mut html = Html::new();
    html.raw("<form method=\"get\" class=\"filters card\" action=\"")
        .text(&visit.link("messages"))
        .raw("\">");
    select(
        &mut html,
        "event_type",
        "Event type",
        event_type.unwrap_or(""),
        std::iter::once(("", "any")).chain(catalogue.iter().map(|t| (t.name.as_str(), t.name.as_str()))),
    );
    select(&mut html, "since", "Since", since_choice, SINCE_CHOICES.iter().map(|(v, w, _)| (*v, *w)));
    select(
        &mut html,
        "endpoint",
        "Endpoint",
        endpoint.unwrap_or(""),
        std::iter::once(("", "all (messages)"))
            .chain(endpoints_page.data.iter().map(|e| (e.id.as_str(), e.url.as_str()))),
    );
    select(
        &mut html,
        "status",
        "Status (of an endpoint's attempts)",
        status.unwrap_or(""),
        STATUSES.into_iter(),
    );
    html.raw("<button type=\"submit\">Filter</button></form>");

    let next = match endpoint {
        Some(endpoint) => {
            let page =
                op::list_endpoint_attempts(visit.app, &visit.tenant.id, endpoint, &query, status).await?;
            attempts_table(&mut html, visit, &page.data);
            page.next_cursor
        }
        None => {
            if status.is_some() {
                html.raw("<p class=\"hint\">Pick an endpoint to filter by status: a message's status is per endpoint.</p>");
            }
            let page = op::list_messages(visit.app, &visit.tenant.id, &query, event_type).await?;
            html.raw("<div class=\"table\"><table><thead><tr><th scope=\"col\">Message</th><th scope=\"col\">Event type</th><th scope=\"col\">Sent</th><th scope=\"col\">Endpoints</th></tr></thead><tbody>");
            for message in &page.data {
                html.raw("<tr><td><a href=\"")
                    .text(&visit.link(&format!("messages/{}", message.id)))
                    .raw("\"><code>")
                    .text(message.id.as_str())
                    .raw("</code></a></td>");
                html.raw("<td>")
                    .el("code", message.event_type.as_str())
                    .raw("</td><td>")
                    .text(&message.created_at)
                    .raw("</td><td>")
                    .text(&message.endpoints.to_string())
                    .raw("</td></tr>");
            }
            if page.data.is_empty() {
                html.raw("<tr><td colspan=\"4\" class=\"muted\">Nothing here.</td></tr>");
            }
            html.raw("</tbody></table></div>");
            page.next_cursor
        }
    };
    if let Some(cursor) = next {
        let mut query: Vec<(String, String)> =
            request.query.iter().filter(|(k, _)| k != "cursor").cloned().collect();
        query.push(("cursor".into(), cursor));
        let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
        html.raw("<p><a href=\"").text(&visit.link(&format!("messages?{encoded}"))).raw("\">Older</a></p>");
    }
    Ok(layout::page(visit, Section::Messages, "Message log", &html.into_string()))
}

fn select<'v>(
    html: &mut Html,
    name: &str,
    label: &str,
    current: &str,
    options: impl Iterator<Item = (&'v str, &'v str)>,
) {
    html.raw("<div class=\"field\"><label for=\"")
        .text(name)
        .raw("\">")
        .text(label)
        .raw("</label><select id=\"")
        .text(name)
        .raw("\" name=\"")
        .text(name)
        .raw("\">");
    for (value, words) in options {
        let selected = if value == current { " selected" } else { "" };
        html.raw("<option value=\"")
            .text(value)
            .raw("\"")
            .raw(selected)
            .raw(">")
            .text(words)
            .raw("</option>");
    }
    html.raw("</select></div>");
}

fn attempts_table<P: Ports>(html: &mut Html, visit: &Visit<'_, P>, attempts: &[AttemptView]) {
    html.raw("<div class=\"table\"><table><thead><tr><th scope=\"col\">Message</th><th scope=\"col\">Attempt</th><th scope=\"col\">State</th><th scope=\"col\">Answer</th><th scope=\"col\">Latency</th></tr></thead><tbody>");
    for attempt in attempts {
        html.raw("<tr><td><a href=\"")
            .text(&visit.link(&format!("messages/{}", attempt.message_id)))
            .raw("\"><code>")
            .text(attempt.message_id.as_str())
            .raw("</code></a><br><span class=\"muted\">")
            .text(&attempt.started_at)
            .raw("</span></td>");
        html.raw("<td>#")
            .text(&attempt.number.to_string())
            .raw("</td><td>")
            .raw(&words::state_badge(attempt.state))
            .raw("</td><td>");
        answer(html, attempt);
        html.raw("</td><td>").text(&format!("{} ms", attempt.latency_ms)).raw("</td></tr>");
    }
    if attempts.is_empty() {
        html.raw("<tr><td colspan=\"5\" class=\"muted\">Nothing here.</td></tr>");
    }
    html.raw("</tbody></table></div>");
}

fn answer(html: &mut Html, attempt: &AttemptView) {
    if let Some(status) = attempt.status_code {
        html.text(&format!("HTTP {status}"));
    }
    if let Some(code) = attempt.error_code {
        html.raw("<br><code>").text(code.as_str()).raw("</code> ").text(words::error_code(code));
    }
}

pub async fn show<P: Ports>(
    visit: &Visit<'_, P>,
    id: &str,
    notice: Option<String>,
) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::View).await?;
    let message = op::get_message(visit.app, &visit.tenant.id, id).await?;
    let mut html = Html::new();
    if let Some(notice) = notice {
        html.raw(&notice);
    }
    html.raw("<dl class=\"facts card\"><dt>Event type</dt><dd><code>")
        .text(message.event_type.as_str())
        .raw("</code></dd><dt>Sent</dt><dd>")
        .text(&message.created_at);
    html.raw("</dd><dt>webhook-id</dt><dd><code>")
        .text(message.id.as_str())
        .raw("</code></dd></dl><h2>Payload</h2><pre><code>");
    html.text(&serde_json::to_string_pretty(&message.payload).unwrap_or_default()).raw("</code></pre>");
    html.raw("<h2>Deliveries</h2>");
    if message.deliveries.is_empty() {
        html.raw("<p class=\"muted\">No endpoint was subscribed to this event.</p>");
    }
    for delivery in &message.deliveries {
        html.raw("<section class=\"card\" aria-label=\"Delivery to ")
            .text(delivery.endpoint_id.as_str())
            .raw("\"><h3>");
        html.raw("<a href=\"")
            .text(&visit.link(&format!("endpoints/{}", delivery.endpoint_id)))
            .raw("\"><code>")
            .text(delivery.endpoint_id.as_str())
            .raw("</code></a> ")
            .raw(&words::state_badge(delivery.state))
            .raw("</h3>");
        for attempt in &delivery.attempts {
            html.raw("<details><summary>Attempt #")
                .text(&attempt.number.to_string())
                .raw(", ")
                .text(&attempt.started_at)
                .raw(" — ")
                .text(words::state(attempt.state).1)
                .raw("</summary><dl class=\"facts\">");
            html.raw("<dt>Answer</dt><dd>");
            answer(&mut html, attempt);
            if attempt.status_code.is_none() && attempt.error_code.is_none() {
                html.raw("<span class=\"muted\">none</span>");
            }
            html.raw("</dd><dt>Latency</dt><dd>").text(&format!("{} ms", attempt.latency_ms)).raw("</dd>");
            if let Some(detail) = &attempt.error_detail {
                html.raw("<dt>Detail</dt><dd>").text(detail).raw("</dd>");
            }
            if let Some(next) = &attempt.next_attempt_at {
                html.raw("<dt>Next attempt</dt><dd>").text(next).raw("</dd>");
            }
            html.raw("</dl>");
            if let Some(body) = &attempt.response_body {
                html.raw("<p>Your server's answer (first bytes):</p><pre class=\"response\"><code>")
                    .text(body)
                    .raw("</code></pre>");
            }
            html.raw("</details>");
        }
        if visit.may(Capability::Replay) {
            html.raw("<form method=\"post\" action=\"")
                .text(&visit.link(&format!("messages/{id}/resend")))
                .raw("\">");
            csrf_field(&mut html, &visit.csrf);
            html.raw("<input type=\"hidden\" name=\"endpoint_id\" value=\"")
                .text(delivery.endpoint_id.as_str())
                .raw("\">");
            html.raw("<button type=\"submit\" class=\"secondary\">Resend to this endpoint</button></form>");
        }
        html.raw("</section>");
    }
    Ok(layout::page(visit, Section::Messages, "Message", &html.into_string()))
}

pub async fn resend<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::Replay).await?;
    let endpoint_id = Form::parse(visit.request.body).get("endpoint_id").unwrap_or_default().to_owned();
    op::resend_message(visit.app, &visit.tenant.id, id, ResendMessage { endpoint_id }).await?;
    let notice = "<p class=\"notice\" role=\"status\">Sent again, with the same webhook-id. Its new attempt appears below once it is made.</p>";
    show(visit, id, Some(notice.into())).await
}
