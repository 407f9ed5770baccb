//! What codes and states mean, in words a receiver's developer understands.

use hookline_core::model::{DeliveryState, ErrorCode};

pub fn error_code(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Timeout => "Your server did not answer in time.",
        ErrorCode::Connect => "We could not connect to your server.",
        ErrorCode::Dns => "The host name did not resolve.",
        ErrorCode::Tls => "The TLS handshake failed (check the certificate).",
        ErrorCode::Blocked => "The address is private or local, so it is not allowed.",
        ErrorCode::HttpStatus => {
            "Your server answered with a status other than 2xx (redirects count as failures)."
        }
        ErrorCode::Io => "The connection broke while sending or reading the answer.",
        ErrorCode::EndpointDisabled => "The endpoint was disabled, so nothing was sent.",
        ErrorCode::EndpointDeleted => "The endpoint was deleted, so nothing was sent.",
        ErrorCode::InvalidUrl => "The endpoint's URL cannot be requested.",
        ErrorCode::TenantDeleted => "The account was deleted, so nothing was sent.",
        ErrorCode::OAuthToken => "Your OAuth2 token endpoint gave no token, so nothing was sent.",
    }
}

pub fn state(state: DeliveryState) -> (&'static str, &'static str) {
    match state {
        DeliveryState::Pending => ("pending", "Waiting for its first attempt"),
        DeliveryState::Succeeded => ("succeeded", "Delivered"),
        DeliveryState::Retrying => ("retrying", "Failed; will be retried"),
        DeliveryState::DeadLettered => ("dead_lettered", "Failed for good"),
        DeliveryState::Abandoned => ("abandoned", "Not sent"),
    }
}

/// `<span class="state …">words</span>`.
pub fn state_badge(state: DeliveryState) -> String {
    let (class, words) = self::state(state);
    format!("<span class=\"state {class}\">{words}</span>")
}
