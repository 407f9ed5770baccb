//! The portal's session: the session token lives in an HttpOnly, SameSite=Strict cookie scoped to the
//! portal's path, and every form carries a CSRF token derived from it. Deriving the CSRF token (instead of
//! storing one) keeps the session one item, and it is as unguessable as the session token itself.

use sha2::{Digest as _, Sha256};

pub const COOKIE: &str = "hookline_portal";

/// The session token in a `Cookie` header, if any.
pub fn from_cookie_header(header: Option<&str>) -> Option<&str> {
    header?.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE && !value.is_empty()).then_some(value)
    })
}

/// The CSRF token of a session: bound to it, useless without it, never the session token itself.
pub fn csrf_token(session_token: &str) -> String {
    Sha256::new()
        .chain_update(b"hookline-portal-csrf\0")
        .chain_update(session_token.as_bytes())
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a form's CSRF token is the session's, compared without an early exit.
pub fn csrf_matches(session_token: &str, presented: Option<&str>) -> bool {
    let expected = csrf_token(session_token);
    let presented = presented.unwrap_or_default();
    expected.len() == presented.len()
        && expected.bytes().zip(presented.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The `Set-Cookie` value that starts a session: Secure over https, gone when the session ends.
pub fn set_cookie(token: &str, path: &str, secure: bool, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={token}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age_secs.max(0)
    )
}

/// The `Set-Cookie` value that ends it in the browser.
pub fn clear_cookie(path: &str, secure: bool) -> String {
    set_cookie("", path, secure, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        assert_eq!(from_cookie_header(Some("a=1; hookline_portal=hls_x; b=2")), Some("hls_x"));
        assert_eq!(from_cookie_header(Some("hookline_portal=")), None);
        assert_eq!(from_cookie_header(None), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_https() {
        let cookie = set_cookie("hls_x", "/portal/", true, 60);
        assert_eq!(
            cookie,
            "hookline_portal=hls_x; Path=/portal/; HttpOnly; SameSite=Strict; Max-Age=60; Secure"
        );
        assert!(!set_cookie("hls_x", "/portal/", false, 60).contains("Secure"));
    }

    #[test]
    fn a_csrf_token_matches_only_its_session() {
        let token = csrf_token("hls_a");
        assert!(csrf_matches("hls_a", Some(&token)));
        assert!(!csrf_matches("hls_b", Some(&token)));
        assert!(!csrf_matches("hls_a", None));
        assert_ne!(token, "hls_a");
    }
}
