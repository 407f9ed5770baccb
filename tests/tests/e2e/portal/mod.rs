//! The subscriber portal: the whole flow in a real browser (`browser.rs`), and each page and refusal over
//! plain HTTP for speed (`pages.rs`).

mod browser;
mod pages;

use hookline_tests::Stack;
use serde_json::{Value, json};

/// Markup a receiver answers with and an event carries: the portal must show it as text.
pub const HOSTILE: &str =
    "<script>window.hooklinePwned = 1; alert('pwned')</script><img src=x onerror=\"alert('img')\">";

/// A magic link for the stack's tenant, asked for over HTTP at `api` (so its host is the one served).
pub async fn link(api: &str, stack: &Stack, capabilities: &[&str]) -> String {
    let text = reqwest::Client::new()
        .post(format!("{api}/v1/portal-sessions"))
        .bearer_auth(&stack.token)
        .header("content-type", "application/json")
        .body(json!({ "capabilities": capabilities }).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&text).unwrap();
    answer["url"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned()
}
