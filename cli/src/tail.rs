//! `hookline tail ep_…`: follows an endpoint's attempts as they are recorded, one line each.
//!
//! Attempts are listed by when they started but recorded when they end, so one that started before the
//! newest shown may still appear. Each poll therefore asks for `since` = the newest shown minus
//! `--lookback`, and drops the attempts already shown (by id).

use std::collections::HashMap;
use std::io::Write as _;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use hookline_core::time::rfc3339;
use serde_json::Value;

use crate::client::{ApiError, Client};
use crate::log::{Status, When, now_ms, parse_when};

#[derive(Debug, Args)]
pub struct TailArgs {
    endpoint_id: String,
    /// Only attempts in this state.
    #[arg(long, value_enum)]
    status: Option<Status>,
    /// Start with the attempts from this time on (RFC 3339, or a duration ago such as `10m`); default: now.
    #[arg(long, value_parser = parse_when, value_name = "TIME")]
    since: Option<When>,
    /// How often to ask for new attempts.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    interval: Duration,
    /// Stop after this many polls (the first is at once).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_polls: Option<u64>,
    /// Stop after this long, e.g. `30s` or `10m`.
    #[arg(long = "for", value_name = "DURATION", value_parser = humantime::parse_duration)]
    run_for: Option<Duration>,
    /// How far before the newest attempt shown each poll looks again, for attempts that started earlier
    /// but took longer (at least the deployment's connect plus request timeout).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    lookback: Duration,
    /// Print each attempt as a line of JSON (as the API shows it) instead of a summary.
    #[arg(long)]
    json: bool,
}

/// The fields of an attempt a line shows, read leniently (a state or error code this CLI does not know
/// is shown as it is), with the attempt as the API sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: String,
    pub started_ms: i64,
    pub raw: Value,
}

impl Attempt {
    pub fn of(raw: Value) -> Option<Self> {
        let id = raw["id"].as_str()?.to_owned();
        let started_ms = hookline_core::time::parse_time("started_at", raw["started_at"].as_str()?).ok()?;
        Some(Self { id, started_ms, raw })
    }

    /// `<started_at>  <message id>  #<n>  <state>  <status or error code>  <latency> ms`
    pub fn line(&self) -> String {
        let text = |name: &str| self.raw[name].as_str().unwrap_or("-").to_owned();
        let outcome = match (&self.raw["status_code"], &self.raw["error_code"]) {
            (Value::Number(status), _) => status.to_string(),
            (_, Value::String(code)) => code.clone(),
            _ => "-".to_owned(),
        };
        let number = format!("#{}", self.raw["number"].as_u64().unwrap_or(0));
        let latency = self.raw["latency_ms"].as_u64().unwrap_or(0);
        let (started, message, state) = (text("started_at"), text("message_id"), text("state"));
        format!("{started}  {message}  {number:<3} {state:<13}  {outcome:<19}  {latency} ms")
    }
}

/// What has been shown, so each attempt is shown once.
#[derive(Debug)]
pub struct Follow {
    from_ms: i64,
    lookback_ms: i64,
    newest_ms: Option<i64>,
    /// The attempts shown that a poll may return again (started at or after its `since`).
    shown: HashMap<String, i64>,
}

impl Follow {
    pub fn new(from_ms: i64, lookback: Duration) -> Self {
        let lookback_ms = i64::try_from(lookback.as_millis()).unwrap_or(i64::MAX);
        Self { from_ms, lookback_ms, newest_ms: None, shown: HashMap::new() }
    }

    /// The next poll's `since`: the lookback before the newest attempt shown, never before the start.
    pub fn since_ms(&self) -> i64 {
        self.newest_ms
            .map_or(self.from_ms, |newest| newest.saturating_sub(self.lookback_ms).max(self.from_ms))
    }

    /// The attempts of a poll not shown yet, oldest first; from now on they count as shown.
    pub fn fresh(&mut self, polled: Vec<Attempt>) -> Vec<Attempt> {
        let mut fresh: Vec<Attempt> = polled
            .into_iter()
            .filter(|a| a.started_ms >= self.from_ms && !self.shown.contains_key(&a.id))
            .collect();
        fresh.sort_by(|a, b| {
            let number = |a: &Attempt| a.raw["number"].as_u64();
            (a.started_ms, number(a), &a.id).cmp(&(b.started_ms, number(b), &b.id))
        });
        // Pages read while new attempts arrive may hold one twice.
        fresh.dedup_by(|a, b| a.id == b.id);
        for attempt in &fresh {
            self.shown.insert(attempt.id.clone(), attempt.started_ms);
            self.newest_ms = self.newest_ms.max(Some(attempt.started_ms));
        }
        let since = self.since_ms();
        self.shown.retain(|_, started_ms| *started_ms >= since);
        fresh
    }
}

pub async fn run(api: &Client, args: TailArgs) -> anyhow::Result<()> {
    if args.interval.is_zero() {
        bail!("--interval must be more than 0s");
    }
    let mut follow = Follow::new(args.since.map_or_else(now_ms, |at| at.0), args.lookback);
    eprintln!(
        "following attempts to {} from {} (Ctrl-C to stop)",
        args.endpoint_id,
        rfc3339(follow.since_ms())
    );
    let deadline = args.run_for.map(|d| tokio::time::Instant::now() + d);
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    let (mut polls, mut shown) = (0_u64, 0_u64);
    let mut out = std::io::stdout();
    'polls: loop {
        let polled = tokio::select! {
            polled = poll(api, &args, follow.since_ms()) => polled,
            _ = &mut stop => break,
        };
        polls += 1;
        match polled {
            Ok(polled) => {
                for attempt in follow.fresh(polled) {
                    let line = if args.json { attempt.raw.to_string() } else { attempt.line() };
                    // A closed pipe (`| head`) ends the tail quietly.
                    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                        break 'polls;
                    }
                    shown += 1;
                }
            }
            Err(e) if e.is_transient() => eprintln!("warning: {e}; trying again"),
            Err(e) => return Err(e.into()),
        }
        if args.max_polls.is_some_and(|max| polls >= max) {
            break;
        }
        let mut pause = args.interval;
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            pause = pause.min(left);
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = &mut stop => break,
        }
    }
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    eprintln!("stopped after {polls} poll{}: {shown} attempt{} shown", plural(polls), plural(shown));
    Ok(())
}

/// Every attempt from `since_ms` on, all pages.
async fn poll(api: &Client, args: &TailArgs, since_ms: i64) -> Result<Vec<Attempt>, ApiError> {
    let mut filters = vec![("since", rfc3339(since_ms))];
    filters.extend(args.status.map(|status| ("status", status.as_str().to_owned())));
    let path = ["v1", "endpoints", &args.endpoint_id, "attempts"];
    let mut page = api.list(&path, &filters, Some(100), None, true, |_, _| {}).await?;
    let Value::Array(items) = page["data"].take() else {
        return Err(ApiError::InvalidResponse("an attempt list without `data`".into()));
    };
    items
        .into_iter()
        .map(|item| {
            Attempt::of(item).ok_or_else(|| ApiError::InvalidResponse("an attempt without id".into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const T0: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z

    fn attempt(id: &str, started_ms: i64, number: u32) -> Attempt {
        Attempt::of(json!({
            "id": id, "message_id": "msg_1", "endpoint_id": "ep_1", "number": number,
            "state": "succeeded", "status_code": 200, "error_code": null, "error_detail": null,
            "latency_ms": 84, "started_at": rfc3339(started_ms), "response_body": null,
            "next_attempt_at": null,
        }))
        .unwrap()
    }

    fn ids(attempts: &[Attempt]) -> Vec<&str> {
        attempts.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn a_line_shows_time_message_number_state_outcome_and_latency() {
        let ok = attempt("atm_1", T0 + 123, 1);
        assert_eq!(
            ok.line(),
            "2025-01-31T12:00:00.123Z  msg_1  #1  succeeded      200                  84 ms"
        );
        let mut failed = attempt("atm_2", T0, 3);
        failed.raw["state"] = json!("dead_lettered");
        failed.raw["status_code"] = json!(null);
        failed.raw["error_code"] = json!("E_TIMEOUT");
        failed.raw["latency_ms"] = json!(15000);
        assert_eq!(
            failed.line(),
            "2025-01-31T12:00:00.000Z  msg_1  #3  dead_lettered  E_TIMEOUT            15000 ms"
        );
    }

    #[test]
    fn each_attempt_is_shown_once_oldest_first_and_only_from_the_start() {
        let mut follow = Follow::new(T0, Duration::from_secs(30));
        assert_eq!(follow.since_ms(), T0);
        let first = follow.fresh(vec![attempt("atm_b", T0 + 2_000, 1), attempt("atm_a", T0 + 1_000, 1)]);
        assert_eq!(ids(&first), ["atm_a", "atm_b"]);
        assert_eq!(follow.since_ms(), T0, "the lookback never reaches before the start");

        let early = attempt("atm_early", T0 - 1, 1);
        let again =
            follow.fresh(vec![attempt("atm_b", T0 + 2_000, 1), early, attempt("atm_c", T0 + 40_000, 2)]);
        assert_eq!(ids(&again), ["atm_c"]);
        assert_eq!(follow.since_ms(), T0 + 10_000);
        assert_eq!(follow.shown.len(), 1, "what no later poll can return is forgotten");

        // Started before the newest shown, recorded after it: still shown, once.
        let late = follow.fresh(vec![attempt("atm_c", T0 + 40_000, 2), attempt("atm_late", T0 + 39_000, 1)]);
        assert_eq!(ids(&late), ["atm_late"]);
        let twice = follow.fresh(vec![attempt("atm_d", T0 + 41_000, 1), attempt("atm_d", T0 + 41_000, 1)]);
        assert_eq!(ids(&twice), ["atm_d"]);
        assert!(follow.fresh(vec![attempt("atm_late", T0 + 39_000, 1)]).is_empty());
    }
}
