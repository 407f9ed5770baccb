//! Testing an endpoint (a test event, the verification probe) and recovering what it missed.

use hookline::clock::Clock as _;
use hookline::ports::Ports;
use hookline_api::operations as op;
use hookline_api::{ApiError, ProbeCaseView, RecoverEndpoint};
use hookline_core::portal::Capability;
use hookline_core::time::rfc3339;

use super::{endpoints, words};
use crate::form::Form;
use crate::html::Html;
use crate::layout::csrf_field;
use crate::{PortalResponse, Visit};

/// How far back "recover" may reach, as offered.
const RECOVER_CHOICES: [(i64, &str); 4] = [
    (3600, "the last hour"),
    (6 * 3600, "the last 6 hours"),
    (86_400, "the last 24 hours"),
    (7 * 86_400, "the last 7 days"),
];

pub fn section<P: Ports>(html: &mut Html, visit: &Visit<'_, P>, id: &str) {
    let manage = visit.may(Capability::ManageEndpoints);
    let replay = visit.may(Capability::Replay);
    if !manage && !replay {
        return;
    }
    html.raw("<h2>Test and recover</h2><div class=\"card actions\">");
    if manage {
        for (action, label, class) in [
            ("test", "Send a test event", "secondary"),
            ("probe", "Check signature verification", "secondary"),
        ] {
            html.raw("<form method=\"post\" action=\"")
                .text(&visit.link(&format!("endpoints/{id}/{action}")))
                .raw("\">");
            csrf_field(html, &visit.csrf);
            html.raw("<button type=\"submit\" class=\"")
                .raw(class)
                .raw("\">")
                .text(label)
                .raw("</button></form>");
        }
    }
    if replay {
        html.raw("<form method=\"post\" action=\"")
            .text(&visit.link(&format!("endpoints/{id}/recover")))
            .raw("\">");
        csrf_field(html, &visit.csrf);
        html.raw("<label for=\"since\">Send again what failed for good in</label><select id=\"since\" name=\"since\">");
        for (secs, words) in RECOVER_CHOICES {
            html.raw("<option value=\"").text(&secs.to_string()).raw("\">").text(words).raw("</option>");
        }
        html.raw("</select> <button type=\"submit\">Recover</button></form>");
    }
    html.raw("</div>");
}

pub async fn send_test<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::ManageEndpoints).await?;
    let sent = op::send_test_event(visit.app, &visit.tenant.id, id).await?;
    let mut html = Html::new();
    html.raw("<p class=\"notice\" role=\"status\">A test event is on its way (");
    html.raw("<a href=\"")
        .text(&visit.link(&format!("messages/{}", sent.id)))
        .raw("\">")
        .text(sent.id.as_str())
        .raw("</a>).</p>");
    endpoints::show(visit, id, Some(html.into_string())).await
}

pub async fn probe<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::ManageEndpoints).await?;
    let report = op::probe_endpoint(visit.app, &visit.tenant.id, id).await?;
    let mut html = Html::new();
    let class = if report.verifies_signatures { "notice" } else { "notice error" };
    html.raw("<div class=\"").raw(class).raw("\" role=\"status\"><p><strong>");
    html.text(if report.verifies_signatures {
        "Your endpoint verifies signatures."
    } else {
        "Your endpoint does not verify signatures."
    });
    html.raw("</strong> ").text(&report.verdict).raw("</p><ul>");
    for check in &report.checks {
        let case = match check.case {
            ProbeCaseView::Valid => "A correctly signed request",
            ProbeCaseView::BadSignature => "A request with a wrong signature",
            ProbeCaseView::StaleTimestamp => "A request with an old timestamp",
        };
        let answer = match (check.status, check.error_code) {
            (Some(status), _) => {
                format!("answered {status} ({})", if check.accepted { "accepted" } else { "refused" })
            }
            (None, Some(code)) => words::error_code(code).to_owned(),
            (None, None) => "got no answer".to_owned(),
        };
        html.raw("<li>").text(case).raw(": ").text(&answer).raw("</li>");
    }
    html.raw("</ul></div>");
    endpoints::show(visit, id, Some(html.into_string())).await
}

pub async fn recover<P: Ports>(visit: &Visit<'_, P>, id: &str) -> Result<PortalResponse, ApiError> {
    visit.require(Capability::Replay).await?;
    let back =
        Form::parse(visit.request.body).get("since").and_then(|s| s.parse::<i64>().ok()).unwrap_or(3600);
    let since = rfc3339(visit.app.clock().now_ms() - back.clamp(60, 14 * 86_400) * 1000);
    let recovered =
        op::recover_endpoint(visit.app, &visit.tenant.id, id, RecoverEndpoint { since, cursor: None })
            .await?;
    let mut html = Html::new();
    html.raw("<p class=\"notice\" role=\"status\">")
        .text(&format!("{} failed deliveries are being sent again.", recovered.resent));
    if recovered.next_cursor.is_some() {
        html.raw(" There are more: recover again to continue.");
    }
    html.raw("</p>");
    endpoints::show(visit, id, Some(html.into_string())).await
}
