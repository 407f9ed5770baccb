//! Signing secrets: revealed only on request (never in a page before that), rotated with a grace period,
//! and how to verify with an official Standard Webhooks library.

use hookline::ports::Ports;
use hookline_api::operations as op;
use hookline_api::{ApiError, RotateSecret};
use hookline_core::portal::Capability;

use super::endpoints;
use crate::form::Form;
use crate::html::Html;
use crate::layout::csrf_field;
use crate::{PortalResponse, Visit};

/// Grace periods offered when rotating, in seconds.
const GRACE_CHOICES: [(u64, &str); 4] =
    [(0, "none: the old secret stops now"), (3600, "1 hour"), (86_400, "24 hours"), (7 * 86_400, "7 days")];

pub fn section<P: Ports>(html: &mut Html, visit: &Visit<'_, P>, id: &str, public_key: Option<&str>) {
    html.raw("<h2>Signing secret</h2><div class=\"card\">");
    if let Some(key) = public_key {
        // A public key is not a secret: shown to everyone who may see the endpoint.
        html.raw(
            "<p>This endpoint signs with v1a (Ed25519). Verify with its public key, no secret needed:</p>",
        );
        html.raw("<p><code id=\"public-key\">").text(key).raw("</code></p>");
    }
    html.raw("<p>Every webhook is signed (Standard Webhooks). Verify it with an official library, for example in Python:</p>");
    html.raw("<pre><code>pip install standardwebhooks\n\nimport os\nfrom standardwebhooks.webhooks import Webhook\n\nwh = Webhook(os.environ[\"WEBHOOK_SECRET\"])  # this endpoint's secret\n# raises if the signature or the timestamp is wrong\npayload = wh.verify(request_body, request_headers)</code></pre>");
    html.raw("<p class=\"hint\">The libraries for Node (<code>standardwebhooks</code> on npm), Go, Ruby, PHP, Java and Rust take the same secret and headers.</p>");
    if visit.may(Capability::Secrets) {
        html.raw("<div class=\"actions\"><form method=\"post\" action=\"")
            .text(&visit.link(&format!("endpoints/{id}/secret")))
            .raw("\">");
        csrf_field(html, &visit.csrf);
        html.raw("<button type=\"submit\" class=\"secondary\">Reveal secret</button></form>");
        html.raw("<form method=\"post\" action=\"")
            .text(&visit.link(&format!("endpoints/{id}/rotate")))
            .raw("\">");
        csrf_field(html, &visit.csrf);
        html.raw(
            "<label for=\"grace\">Old secret keeps signing for</label><select id=\"grace\" name=\"grace\">",
        );
        for (secs, words) in GRACE_CHOICES {
            let selected = if secs == 86_400 { " selected" } else { "" };
            html.raw("<option value=\"")
                .text(&secs.to_string())
                .raw("\"")
                .raw(selected)
                .raw(">")
                .text(words)
                .raw("</option>");
        }
        html.raw("</select> <button type=\"submit\">Rotate secret</button></form></div>");
    } else {
        html.raw("<p class=\"muted\">This session may not reveal or rotate secrets.</p>");
    }
    html.raw("</div>");
}

pub async fn reveal<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::Secrets).await?;
    let secret = op::get_secret(visit.app, &visit.tenant.id, id).await?;
    endpoints::show(visit, id, Some(secret_notice("The endpoint's secret", &secret))).await
}

pub async fn rotate<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::Secrets).await?;
    let grace = Form::parse(visit.request.body).get("grace").and_then(|g| g.parse().ok());
    let secret =
        op::rotate_secret(visit.app, &visit.tenant.id, id, RotateSecret { grace_period_secs: grace }).await?;
    endpoints::show(visit, id, Some(secret_notice("Rotated. The new secret", &secret))).await
}

fn secret_notice(title: &str, secret: &hookline_api::SecretView) -> String {
    let mut html = Html::new();
    html.raw("<div class=\"notice\" role=\"status\"><p>")
        .text(title)
        .raw(":</p><p><code id=\"secret\">")
        .text(&secret.secret)
        .raw("</code></p>");
    for key in &secret.public_keys {
        html.raw("<p class=\"hint\">v1a public key <code>").text(&key.public_key).raw("</code>");
        if let Some(expires_at) = &key.expires_at {
            html.raw(" signs until ").text(expires_at);
        }
        html.raw(".</p>");
    }
    for previous in &secret.previous {
        html.raw("<p class=\"hint\">The previous secret <code>")
            .text(&previous.secret)
            .raw("</code> signs too until ")
            .text(&previous.expires_at)
            .raw(".</p>");
    }
    html.raw("<p class=\"hint\">Keep it on your server only. This page is not stored: reload it and the secret is hidden again.</p></div>");
    html.into_string()
}
