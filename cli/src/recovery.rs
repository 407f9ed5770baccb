//! Getting back what an endpoint missed, and checking an endpoint: `resend`, `recover` (which follows the
//! API's `next_cursor` until the whole recovery is done) and `probe` (exit code 2 when the endpoint does
//! not verify signatures, to gate a pipeline).

use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{ApiError, Client, Reply};
use crate::log::{When, parse_when};

#[derive(Debug, Args)]
pub struct ResendArgs {
    message_id: String,
    /// The endpoint to send it to (it need not be one the message went to before).
    #[arg(long = "endpoint", value_name = "ENDPOINT_ID")]
    endpoint_id: String,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    endpoint_id: String,
    /// Send again what failed for good from this time on: RFC 3339, or a duration ago such as `6h`.
    #[arg(long, value_parser = parse_when, value_name = "TIME")]
    since: When,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    endpoint_id: String,
}

/// A probe's report, and whether the endpoint passed.
#[derive(Debug)]
pub struct Probed {
    pub report: Value,
    pub verifies_signatures: bool,
}

pub async fn resend(api: &Client, args: ResendArgs) -> anyhow::Result<Value> {
    let body = json!({ "endpoint_id": args.endpoint_id });
    let path = ["v1", "messages", &args.message_id, "resend"];
    Ok(api.call(Method::POST, &path, &[], Some(&body)).await?.body)
}

/// Calls `recover` until its `next_cursor` is null; `progress` hears the total so far after each call.
pub async fn recover(
    api: &Client,
    args: RecoverArgs,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Value> {
    let since = args.since.rfc3339();
    let path = ["v1", "endpoints", &args.endpoint_id, "recover"];
    let mut body = json!({ "since": since });
    let (mut resent, mut calls) = (0_u64, 0_u32);
    loop {
        // Repeating a recovery call is safe: each failed delivery is marked before it is sent again.
        let reply = retrying(|| api.call(Method::POST, &path, &[], Some(&body))).await?;
        calls += 1;
        resent += reply.body["resent"].as_u64().context("a recover answer without `resent`")?;
        progress(resent);
        match reply.body["next_cursor"].as_str() {
            Some(next) if body["cursor"].as_str() == Some(next) => bail!("the cursor {next} did not advance"),
            Some(next) => body["cursor"] = json!(next),
            None => break,
        }
    }
    Ok(json!({ "endpoint_id": args.endpoint_id, "since": since, "resent": resent, "calls": calls }))
}

pub async fn probe(api: &Client, args: ProbeArgs) -> anyhow::Result<Probed> {
    let path = ["v1", "endpoints", &args.endpoint_id, "probe"];
    let report = api.call(Method::POST, &path, &[], None).await?.body;
    let verifies_signatures =
        report["verifies_signatures"].as_bool().context("a probe report without `verifies_signatures`")?;
    Ok(Probed { report, verifies_signatures })
}

/// How long to wait before try `n` (from 1) of a call that failed for a passing reason: what the API
/// asked for, else 1 s, 2 s, 4 s.
fn backoff(n: u32, error: &ApiError) -> Duration {
    error.retry_after().unwrap_or(Duration::from_secs(1 << n.saturating_sub(1).min(4)))
}

const TRIES: u32 = 4;

/// One call, tried again after a missing answer, 429 or 5xx, up to [`TRIES`] times in all.
async fn retrying<F: Future<Output = Result<Reply, ApiError>>>(
    mut call: impl FnMut() -> F,
) -> Result<Reply, ApiError> {
    let mut tries = 1;
    loop {
        match call().await {
            Err(e) if e.is_transient() && tries < TRIES => {
                let wait = backoff(tries, &e);
                eprintln!("warning: {e}; trying again in {} s", wait.as_secs());
                tokio::time::sleep(wait).await;
                tries += 1;
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_unless_the_api_says_how_long() {
        let unreachable = ApiError::Transport { url: "u".into(), reason: "r".into() };
        let waits: Vec<u64> = (1..=3).map(|n| backoff(n, &unreachable).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4]);
        let limited = ApiError::Api {
            status: 429,
            code: "rate_limited".into(),
            message: "m".into(),
            retry_after: Some(7),
        };
        assert_eq!(backoff(1, &limited), Duration::from_secs(7));
    }
}
