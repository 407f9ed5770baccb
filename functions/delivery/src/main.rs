//! The delivery Lambda: SQS batch → signed POSTs → attempt log → partial batch failures. Wiring only.

use hookline::config::Config;
use hookline::delivery::DeliveryDeps;
use hookline::sender::HttpSender;
use hookline::{clock::SystemClock, queue::sqs::SqsQueue, store::dynamo::DynamoStore};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    hookline::telemetry::init();
    let config = Config::from_env()?;
    let aws = hookline::aws_config().await;
    let deps = DeliveryDeps::new(
        DynamoStore::from_sdk(&aws, &config.table_name, config.retention_days),
        HttpSender::new(config.http_settings())?,
        SqsQueue::from_sdk(&aws, &config.delivery_queue_url),
        SystemClock,
        config.delivery_settings(),
    );
    run(service_fn(|event| hookline_delivery::handle(&deps, event))).await
}
