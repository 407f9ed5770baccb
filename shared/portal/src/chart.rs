//! An endpoint's last 24 hours as an SVG drawn on the server: deliveries per hour by outcome (bars), and
//! the mean latency (a line). No script and no library; the numbers are in the text beside it too.

use std::fmt::Write as _;

use hookline_api::AttemptView;
use hookline_core::model::DeliveryState;
use hookline_core::time::parse_time;

use crate::html::Html;

const HOURS: usize = 24;
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 20.0;

#[derive(Debug, Default, Clone, Copy)]
struct Hour {
    succeeded: u32,
    failed: u32,
    latency_ms: u64,
    answered: u32,
}

/// Attempts per hour, oldest hour first, the last one ending at `now_ms`.
fn by_hour(attempts: &[AttemptView], now_ms: i64) -> [Hour; HOURS] {
    let mut hours = [Hour::default(); HOURS];
    for attempt in attempts {
        let Ok(at) = parse_time("started_at", &attempt.started_at) else { continue };
        let ago = (now_ms - at).div_euclid(3_600_000);
        let Ok(ago) = usize::try_from(ago) else { continue };
        let Some(hour) = HOURS.checked_sub(ago + 1).and_then(|i| hours.get_mut(i)) else { continue };
        match attempt.state {
            DeliveryState::Succeeded => hour.succeeded += 1,
            DeliveryState::Pending => continue,
            _ => hour.failed += 1,
        }
        hour.latency_ms += attempt.latency_ms;
        hour.answered += 1;
    }
    hours
}

pub fn render(html: &mut Html, attempts: &[AttemptView], now_ms: i64) {
    let hours = by_hour(attempts, now_ms);
    let total_ok: u32 = hours.iter().map(|h| h.succeeded).sum();
    let total_failed: u32 = hours.iter().map(|h| h.failed).sum();
    let peak = hours.iter().map(|h| h.succeeded + h.failed).max().unwrap_or(0).max(1);
    let means: Vec<Option<f64>> =
        hours.iter().map(|h| (h.answered > 0).then(|| h.latency_ms as f64 / f64::from(h.answered))).collect();
    let slowest = means.iter().flatten().fold(1.0_f64, |a, b| a.max(*b));
    let plot_h = HEIGHT - BOTTOM - 8.0;
    let slot = (WIDTH - LEFT) / HOURS as f64;
    let summary = format!(
        "{total_ok} delivered and {total_failed} failed attempts in the last 24 hours; slowest hourly mean latency {slowest:.0} ms"
    );
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"chart-title\">Deliveries per hour and latency</title><desc id=\"chart-desc\">{}</desc>",
        crate::html::esc(&summary)
    );
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{}\" x2=\"{WIDTH}\" y2=\"{}\" stroke=\"#d9dee7\"/>",
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM
    );
    let _ = write!(svg, "<text x=\"0\" y=\"14\" font-size=\"11\" fill=\"#5b6474\">{peak}</text>");
    let mut line = Vec::new();
    for (i, hour) in hours.iter().enumerate() {
        let x = LEFT + i as f64 * slot + 2.0;
        let w = slot - 4.0;
        let ok_h = plot_h * f64::from(hour.succeeded) / f64::from(peak);
        let bad_h = plot_h * f64::from(hour.failed) / f64::from(peak);
        let base = HEIGHT - BOTTOM;
        if hour.succeeded > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{ok_h:.1}\" fill=\"#1f7a44\"><title>{} delivered</title></rect>",
                base - ok_h,
                hour.succeeded
            );
        }
        if hour.failed > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{bad_h:.1}\" fill=\"#b42318\"><title>{} failed</title></rect>",
                base - ok_h - bad_h,
                hour.failed
            );
        }
        if let Some(mean) = means[i] {
            line.push(format!("{:.1},{:.1}", x + w / 2.0, base - plot_h * mean / slowest));
        }
    }
    if line.len() > 1 {
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#2450c8\" stroke-width=\"2\"/>",
            line.join(" ")
        );
    }
    for (label, i) in [("24 h ago", 0), ("12 h", 12), ("now", HOURS - 1)] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#5b6474\">{label}</text>",
            LEFT + i as f64 * slot,
            HEIGHT - 4.0
        );
    }
    svg.push_str("</svg>");
    html.raw("<figure class=\"chart card\">").raw(&svg);
    html.raw("<figcaption class=\"legend\"><span class=\"swatch-ok\">■ delivered</span><span class=\"swatch-bad\">■ failed</span><span class=\"swatch-line\">— mean latency (top: ");
    html.text(&format!("{slowest:.0} ms"))
        .raw(")</span></figcaption><p class=\"muted\">")
        .text(&summary)
        .raw("</p></figure>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(state: DeliveryState, started_at: &str, latency_ms: u64) -> AttemptView {
        serde_json::from_value(serde_json::json!({
            "id": "atm_1", "message_id": "msg_1", "endpoint_id": "ep_1", "number": 1,
            "state": state, "latency_ms": latency_ms, "started_at": started_at,
        }))
        .unwrap()
    }

    #[test]
    fn attempts_fall_into_their_hour_and_pending_ones_are_not_counted() {
        let now = parse_time("now", "2026-12-02T12:30:00Z").unwrap();
        let hours = by_hour(
            &[
                attempt(DeliveryState::Succeeded, "2026-12-02T12:10:00Z", 40),
                attempt(DeliveryState::Retrying, "2026-12-02T12:20:00Z", 60),
                attempt(DeliveryState::Succeeded, "2026-12-01T13:00:00Z", 10),
                attempt(DeliveryState::Pending, "2026-12-02T12:00:00Z", 0),
                attempt(DeliveryState::Succeeded, "2026-11-30T12:00:00Z", 10),
            ],
            now,
        );
        assert_eq!((hours[23].succeeded, hours[23].failed, hours[23].latency_ms), (1, 1, 100));
        assert_eq!(hours[0].succeeded, 1, "23.5 hours ago is the first hour");
        assert_eq!(hours.iter().map(|h| h.succeeded + h.failed).sum::<u32>(), 3);
    }

    #[test]
    fn the_chart_states_its_numbers_in_text_too() {
        let mut html = Html::new();
        render(
            &mut html,
            &[attempt(DeliveryState::Succeeded, "2026-12-02T12:10:00Z", 40)],
            parse_time("n", "2026-12-02T12:30:00Z").unwrap(),
        );
        let page = html.into_string();
        assert!(page.contains("<svg") && page.contains("1 delivered and 0 failed"), "{page}");
    }
}
