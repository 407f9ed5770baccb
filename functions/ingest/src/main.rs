//! The ingest Lambda: API Gateway → authenticate → validate → store → SQS. Wiring only; the logic is in
//! `hookline`.

use hookline::config::Config;
use hookline::ingest::IngestDeps;
use hookline::sender::HttpSender;
use hookline::{clock::SystemClock, queue::sqs::SqsQueue, store::dynamo::DynamoStore};
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hookline::telemetry::init();
    let config = Config::from_env()?;
    let aws = hookline::aws_config().await;
    let deps = IngestDeps {
        store: DynamoStore::from_sdk(&aws, &config.table_name, config.retention_days),
        queue: SqsQueue::from_sdk(&aws, &config.delivery_queue_url),
        clock: SystemClock,
        // The verification probe's requests go through the same SSRF guard as deliveries.
        sender: HttpSender::new(config.http_settings())?,
        settings: config.ingest_settings(),
    };
    run(service_fn(|request| hookline_ingest::handle(&deps, request))).await
}
