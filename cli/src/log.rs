//! `hookline message …` and `hookline attempts`: the attempt log (what was sent, to whom, and how each
//! attempt went), through `GET /v1/messages…` and `GET /v1/endpoints/{id}/attempts`.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};
use hookline_core::time::rfc3339;
use reqwest::Method;
use serde_json::Value;

use crate::api::ListArgs;
use crate::client::Client;

/// A time given on the command line, in milliseconds since the epoch: RFC 3339, or a duration ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When(pub i64);

impl When {
    /// As the API takes it: RFC 3339, UTC, with milliseconds.
    pub fn rfc3339(self) -> String {
        rfc3339(self.0)
    }
}

pub fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// clap's parser for `--since` and `--until`: relative to now.
pub fn parse_when(text: &str) -> Result<When, String> {
    when_at(text, now_ms())
}

/// `2025-01-31T12:00:00Z` (or with an offset), or a duration before `now_ms`: `90s`, `15m`, `1h30m`,
/// `7d`, also written `1h ago`.
pub fn when_at(text: &str, now_ms: i64) -> Result<When, String> {
    let text = text.trim();
    let ago = text.strip_suffix("ago").map_or(text, str::trim_end);
    if let Ok(duration) = humantime::parse_duration(ago) {
        let ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        return Ok(When(now_ms.saturating_sub(ms).max(0)));
    }
    hookline_core::time::parse_time("time", text).map(When).map_err(|_| {
        format!("`{text}` is neither an RFC 3339 time (2025-01-31T12:00:00Z) nor a duration ago (90s, 15m, 1h, 7d)")
    })
}

/// A time window of a listing.
#[derive(Debug, Args)]
pub struct Window {
    /// From this time on (inclusive): RFC 3339, or a duration ago such as `15m`, `1h` or `7d`.
    #[arg(long, value_parser = parse_when, value_name = "TIME")]
    since: Option<When>,
    /// Before this time (exclusive): RFC 3339, or a duration ago.
    #[arg(long, value_parser = parse_when, value_name = "TIME")]
    until: Option<When>,
}

impl Window {
    fn query(&self) -> Vec<(&'static str, String)> {
        let since = self.since.map(|at| ("since", at.rfc3339()));
        since.into_iter().chain(self.until.map(|at| ("until", at.rfc3339()))).collect()
    }
}

#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Messages (accepted events), newest first, without their payloads.
    List {
        #[command(flatten)]
        window: Window,
        /// Only messages of this exact event type.
        #[arg(long)]
        event_type: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// One message: its payload, and per endpoint where it stands and every attempt.
    Get { message_id: String },
}

/// An attempt's state, as `--status` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    /// Every attempt that did not succeed: retrying, dead_lettered and abandoned.
    Failed,
    Succeeded,
    Retrying,
    #[value(name = "dead_lettered")]
    DeadLettered,
    Abandoned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Succeeded => "succeeded",
            Self::Retrying => "retrying",
            Self::DeadLettered => "dead_lettered",
            Self::Abandoned => "abandoned",
        }
    }
}

#[derive(Debug, Args)]
pub struct AttemptsArgs {
    endpoint_id: String,
    /// Only attempts in this state.
    #[arg(long, value_enum)]
    status: Option<Status>,
    #[command(flatten)]
    window: Window,
    #[command(flatten)]
    list: ListArgs,
}

pub async fn message(
    api: &Client,
    command: MessageCommand,
    progress: impl FnMut(usize, usize),
) -> anyhow::Result<Value> {
    match command {
        MessageCommand::List { window, event_type, list } => {
            let mut filters = window.query();
            filters.extend(event_type.map(|t| ("event_type", t)));
            listing(api, &["v1", "messages"], &filters, list, progress).await
        }
        MessageCommand::Get { message_id } => {
            Ok(api.call(Method::GET, &["v1", "messages", &message_id], &[], None).await?.body)
        }
    }
}

pub async fn attempts(
    api: &Client,
    args: AttemptsArgs,
    progress: impl FnMut(usize, usize),
) -> anyhow::Result<Value> {
    let mut filters = args.window.query();
    filters.extend(args.status.map(|status| ("status", status.as_str().to_owned())));
    let path = ["v1", "endpoints", &args.endpoint_id, "attempts"];
    listing(api, &path, &filters, args.list, progress).await
}

/// A filtered listing. Filters are applied after the API reads a stretch of the log, so one page may be
/// empty while more follow: say so, or a user would think there is nothing.
async fn listing(
    api: &Client,
    path: &[&str],
    filters: &[(&str, String)],
    ListArgs { limit, cursor, all }: ListArgs,
    progress: impl FnMut(usize, usize),
) -> anyhow::Result<Value> {
    let page = api.list(path, filters, limit, cursor, all, progress).await?;
    if let Some(next) = more_after_empty_page(&page) {
        eprintln!(
            "note: nothing matched in this stretch of the log, but it goes on: --cursor {next}, or --all"
        );
    }
    Ok(page)
}

fn more_after_empty_page(page: &Value) -> Option<&str> {
    let empty = page["data"].as_array().is_some_and(Vec::is_empty);
    page["next_cursor"].as_str().filter(|_| empty)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOON: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z

    #[test]
    fn times_are_rfc3339_or_a_duration_ago() {
        let at = |text: &str| when_at(text, NOON).map(When::rfc3339);
        assert_eq!(at("2025-01-31T12:00:00Z").as_deref(), Ok("2025-01-31T12:00:00.000Z"));
        assert_eq!(at("2025-01-31T13:30:00+01:30").as_deref(), Ok("2025-01-31T12:00:00.000Z"));
        assert_eq!(at("1h").as_deref(), Ok("2025-01-31T11:00:00.000Z"));
        assert_eq!(at("1h30m").as_deref(), Ok("2025-01-31T10:30:00.000Z"));
        assert_eq!(at("90s ago").as_deref(), Ok("2025-01-31T11:58:30.000Z"));
        assert_eq!(at("2d").as_deref(), Ok("2025-01-29T12:00:00.000Z"));
        assert_eq!(when_at("100y", NOON), Ok(When(0)), "before the epoch is the epoch");
    }

    #[test]
    fn anything_else_is_refused_with_both_forms_named() {
        for text in ["last tuesday", "", "2025-01-31", "-1h"] {
            let error = when_at(text, NOON).unwrap_err();
            assert!(error.contains("RFC 3339") && error.contains("duration ago"), "{text}: {error}");
        }
    }

    #[test]
    fn statuses_are_spelled_as_the_api_spells_them() {
        for status in Status::value_variants() {
            let name = status.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(name.as_deref(), Some(status.as_str()));
        }
    }

    #[test]
    fn an_empty_page_with_a_cursor_is_pointed_out() {
        assert_eq!(more_after_empty_page(&json!({ "data": [], "next_cursor": "c2" })), Some("c2"));
        assert_eq!(more_after_empty_page(&json!({ "data": [1], "next_cursor": "c2" })), None);
        assert_eq!(more_after_empty_page(&json!({ "data": [], "next_cursor": null })), None);
    }
}
