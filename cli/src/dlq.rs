//! Operator: the dead-letter queue, with the operator's AWS credentials. Redrive uses SQS's message
//! move task by default; `--copy` moves messages one by one instead, and can pick a tenant or a count.

use std::time::Duration;

use anyhow::bail;
use clap::{Args, Subcommand};
use hookline_aws::redrive::Redrive;
use hookline_core::ids::TenantId;
use serde_json::{Value, json};

#[derive(Debug, Args)]
pub struct Queues {
    /// The dead-letter queue (the stack's `DeadLetterQueueUrl` output).
    #[arg(long, env = "HOOKLINE_DEAD_LETTER_QUEUE_URL")]
    dlq_url: String,
    /// The delivery queue (the stack's `DeliveryQueueUrl` output).
    #[arg(long, env = "HOOKLINE_DELIVERY_QUEUE_URL")]
    queue_url: String,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// How many messages wait in the dead-letter queue.
    Count {
        #[command(flatten)]
        queues: Queues,
    },
    /// Move dead letters back to the delivery queue, where they get a fresh run of attempts.
    Redrive {
        #[command(flatten)]
        queues: Queues,
        /// Move messages one by one from here instead of starting SQS's move task.
        #[arg(long)]
        copy: bool,
        /// With --copy: only this tenant's messages.
        #[arg(long, requires = "copy")]
        tenant: Option<TenantId>,
        /// With --copy: at most this many messages.
        #[arg(long, requires = "copy", default_value_t = usize::MAX)]
        limit: usize,
        /// Without --copy: SQS moves at most this many messages a second.
        #[arg(long, conflicts_with = "copy")]
        max_per_second: Option<i32>,
        /// Without --copy: wait for the move task to finish, reporting progress.
        #[arg(long, conflicts_with = "copy")]
        wait: bool,
    },
}

pub async fn run(command: DlqCommand) -> anyhow::Result<Value> {
    let aws = hookline_aws::aws_config().await;
    let redrive = |queues: &Queues| Redrive::from_sdk(&aws, &queues.dlq_url, &queues.queue_url);
    Ok(match command {
        DlqCommand::Count { queues } => json!({ "waiting": redrive(&queues).waiting().await? }),
        DlqCommand::Redrive { queues, copy: true, tenant, limit, .. } => {
            let redrive = redrive(&queues);
            let outcome = redrive
                .copy(tenant.as_ref(), limit, |so_far| {
                    eprintln!("moved {} (passed over {})", so_far.moved, so_far.skipped);
                })
                .await?;
            json!({ "moved": outcome.moved, "skipped": outcome.skipped })
        }
        DlqCommand::Redrive { queues, max_per_second, wait, .. } => {
            let redrive = redrive(&queues);
            let handle = redrive.start_move_task(max_per_second).await?;
            eprintln!("started move task {handle}");
            if !wait {
                return Ok(json!({ "task_handle": handle, "status": "RUNNING" }));
            }
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let Some(task) = redrive.move_task().await? else { bail!("the move task disappeared") };
                eprintln!("{}: moved {} of {}", task.status, task.moved, task.to_move.unwrap_or(task.moved));
                if task.status != "RUNNING" {
                    break json!({ "task_handle": handle, "status": task.status, "moved": task.moved });
                }
            }
        }
    })
}
