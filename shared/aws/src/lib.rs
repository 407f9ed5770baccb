//! Hookline's adapters to AWS and the network: the DynamoDB store (single table, every key prefixed by
//! the tenant), the SQS delivery queue and dead-letter redrive, the reqwest sender whose only resolver is
//! the SSRF guard, CloudWatch metrics in EMF, configuration from the environment the SAM template sets,
//! and the JSON log setup. [`AwsPorts`] names the production set of ports.

pub mod config;
pub mod dynamo;
pub mod emf;
pub mod http_sender;
pub mod redrive;
pub mod resolver;
pub mod sqs;
pub mod telemetry;

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use hookline::clock::SystemClock;
use hookline::ports::Ports;

/// The ports a deployed function runs on.
#[derive(Debug, Clone, Copy)]
pub struct AwsPorts;

impl Ports for AwsPorts {
    type Store = dynamo::DynamoStore;
    type Queue = sqs::SqsQueue;
    type Sender = http_sender::HttpSender;
    type Clock = SystemClock;
}

/// AWS SDK configuration from the standard environment (`AWS_REGION`, credentials and, locally,
/// `AWS_ENDPOINT_URL` pointing at the emulator): no code path knows whether it runs locally.
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// The longest one DynamoDB or SQS call of a function may take, retries included; a single try gets
/// [`AWS_ATTEMPT_TIMEOUT`]. DynamoDB and SQS answer in milliseconds, so this only cuts off a call that
/// hangs, and it is what bounds a batch inside the ingest function's 10 s
/// ([`hookline::events::BATCH_START_BUDGET`]).
pub const AWS_CALL_TIMEOUT: Duration = Duration::from_millis(1_500);
pub const AWS_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1_000);

/// [`aws_config`] with the functions' call timeouts.
pub async fn function_aws_config() -> aws_config::SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(AWS_CALL_TIMEOUT)
        .operation_attempt_timeout(AWS_ATTEMPT_TIMEOUT)
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts).load().await
}
