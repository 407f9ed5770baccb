//! `hookline-local`: the local pipeline's helpers. `provision` creates the template's queues and table
//! in the emulator and writes the functions' env file; `event-source` feeds the delivery function from
//! SQS like Lambda does; `receiver` is a webhook receiver that verifies signatures and prints them;
//! `counting-proxy` counts AWS requests by operation on their way to the emulator (the cost bench).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use clap::{Parser, Subcommand};
use hookline_core::signing::Secret;
use hookline_local::counting_proxy::{CountingProxy, ItemSizes, Upstreams};
use hookline_local::event_source::{EventSource, HttpInvoke};
use hookline_local::provision::{Template, provision};
use hookline_local::receiver::{Behaviour, Received, Receiver};

#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the template's queues and table in the emulator; write the functions' environment.
    Provision {
        #[arg(long, default_value = "infra/template.yaml")]
        template: PathBuf,
        #[arg(long, default_value = "hookline-local")]
        prefix: String,
        /// Parameter or environment override, NAME=VALUE (repeatable).
        #[arg(long = "set", value_parser = parse_pair)]
        overrides: Vec<(String, String)>,
        /// Where to write the env file for `cargo lambda watch --env-file`.
        #[arg(long)]
        env_file: PathBuf,
    },
    /// Long-poll the delivery queue and invoke the delivery function, like Lambda's SQS trigger.
    EventSource {
        #[arg(long, env = "HOOKLINE_DELIVERY_QUEUE_URL")]
        queue_url: String,
        /// Where `cargo lambda watch` serves the Lambda Invoke API.
        #[arg(long, default_value = "http://127.0.0.1:9000")]
        lambda: String,
        #[arg(long, default_value = "delivery")]
        function: String,
        /// Give up an invocation after this many seconds (the function's timeout in the template).
        #[arg(long, default_value_t = 60)]
        invoke_timeout_secs: u64,
        /// Touch this source file when an invocation is given up, so `cargo lambda watch` starts the
        /// function again (it does not after the function's process died).
        #[arg(long)]
        restart_by_touching: Option<PathBuf>,
    },
    /// Receive webhooks on 127.0.0.1, verify their signatures and print them.
    Receiver {
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: SocketAddr,
        /// The endpoint's signing secret; read from this file when it appears (the run script writes it).
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
    /// Forward AWS requests to the emulator with keep-alive, counting them by operation; prints its URL.
    CountingProxy {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// The emulator (every service, unless one of the next two says otherwise).
        #[arg(long, env = "AWS_ENDPOINT_URL")]
        upstream: String,
        #[arg(long)]
        dynamodb_upstream: Option<String>,
        #[arg(long)]
        sqs_upstream: Option<String>,
    },
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hookline_aws::telemetry::init();
    let aws = hookline_aws::aws_config().await;
    match Cli::parse().command {
        Command::Provision { template, prefix, overrides, env_file } => {
            let overrides: BTreeMap<String, String> = overrides.into_iter().collect();
            let made = provision(&aws, &Template::load(&template)?, &prefix, &overrides).await?;
            std::fs::write(&env_file, made.env_file())
                .with_context(|| format!("writing {}", env_file.display()))?;
            eprintln!("provisioned queues {:?} and tables {:?}", made.queue_urls, made.tables);
        }
        Command::EventSource { queue_url, lambda, function, invoke_timeout_secs, restart_by_touching } => {
            let mut source = EventSource::new(&aws, &queue_url).await?;
            source.invoke_timeout = std::time::Duration::from_secs(invoke_timeout_secs);
            source.restart_by_touching = restart_by_touching;
            let invoke = HttpInvoke::new(&lambda, &function);
            eprintln!("event source: {queue_url} → {lambda} ({function})");
            source.run(&invoke, async { tokio::signal::ctrl_c().await.unwrap_or_default() }).await;
        }
        Command::Receiver { listen, secret_file } => {
            let receiver =
                Receiver::start_with(listen, Behaviour::default(), Some(Box::new(print_received))).await?;
            eprintln!("receiver listening on {}", receiver.url("/"));
            if let Some(path) = secret_file {
                let secret = wait_for_secret(&path).await?;
                receiver.set_secret(secret);
                eprintln!("receiver verifies signatures with the endpoint's secret");
            }
            tokio::signal::ctrl_c().await?;
        }
        Command::CountingProxy { listen, upstream, dynamodb_upstream, sqs_upstream } => {
            let upstreams = Upstreams { default: upstream, dynamodb: dynamodb_upstream, sqs: sqs_upstream };
            // The template's table: its key, and `gsi1k` with the attributes it projects.
            let table = ItemSizes::new(&["pk", "sk"])
                .with_index(&["gsi1pk", "gsi1sk"], Some(&["event_type", "state"]));
            let proxy = CountingProxy::start(listen, upstreams, table).await?;
            print_url(&proxy.url());
            tokio::signal::ctrl_c().await?;
        }
    }
    Ok(())
}

async fn wait_for_secret(path: &PathBuf) -> anyhow::Result<Secret> {
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return Secret::parse(text.trim()).map_err(|e| anyhow!("{}: {e}", path.display()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[allow(clippy::print_stdout, reason = "the URL is this command's answer, for the script that starts it")]
fn print_url(url: &str) {
    println!("{url}");
}

#[allow(clippy::print_stdout, reason = "printing what arrived is this command's job")]
fn print_received(received: &Received) {
    let verdict = match &received.verified {
        Some(Ok(())) => "signature verified".to_owned(),
        Some(Err(e)) => format!("signature REJECTED ({e})"),
        None => "signature not checked (no secret yet)".to_owned(),
    };
    println!(
        "webhook {} → {} [{verdict}] answered {}\n  {}",
        received.header("webhook-id").unwrap_or("-"),
        received.path,
        received.answered,
        received.body
    );
}
