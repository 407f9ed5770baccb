//! The event catalogue: the event types the platform publishes, with descriptions and example payloads.

use hookline::ports::Ports;
use hookline_api::ApiError;
use hookline_core::portal::Capability;

use super::endpoints;
use crate::html::Html;
use crate::layout::{self, Section};
use crate::{PortalResponse, Visit};

pub async fn list<P: Ports>(visit: &Visit<'_, P>) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::View).await?;
    let catalogue = endpoints::catalogue(visit).await?;
    let mut html = Html::new();
    html.raw("<p>The events you can subscribe an endpoint to. A pattern like <code>invoice.*</code> picks every type under <code>invoice</code>.</p>");
    if catalogue.is_empty() {
        html.raw("<p class=\"card muted\">No event types are published yet.</p>");
    }
    for event_type in &catalogue {
        html.raw("<section class=\"card\"><h2><code>").text(event_type.name.as_str()).raw("</code></h2>");
        if let Some(description) = &event_type.description {
            html.el("p", description);
        }
        if let Some(example) = &event_type.example {
            html.raw("<p class=\"muted\">Example payload</p><pre><code>")
                .text(&serde_json::to_string_pretty(example).unwrap_or_default())
                .raw("</code></pre>");
        }
        html.raw("</section>");
    }
    Ok(layout::page(visit, Section::Catalogue, "Event catalogue", &html.into_string()))
}
