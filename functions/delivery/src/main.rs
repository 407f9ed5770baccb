//! The delivery Lambda: SQS batch → signed POSTs → attempt log → partial batch failures. Wiring only.

use hookline::clock::SystemClock;
use hookline::delivery::Delivery;
use hookline_aws::config::Config;
use hookline_aws::dynamo::DynamoStore;
use hookline_aws::http_sender::HttpSender;
use hookline_aws::sqs::SqsQueue;
use hookline_aws::{AwsPorts, function_aws_config, telemetry};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let aws = function_aws_config().await;
    let delivery = Delivery::<AwsPorts>::new(
        DynamoStore::from_sdk(&aws, &config.table_name, config.retention_days),
        SqsQueue::from_sdk(&aws, &config.delivery_queue_url),
        HttpSender::new(config.http_settings())?,
        SystemClock,
        config.delivery_settings(),
    );
    run(service_fn(|event| hookline_delivery::handle(&delivery, event))).await
}
