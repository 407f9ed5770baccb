//! The ingest Lambda: API Gateway → authenticate → validate → store → SQS. Wiring only; the logic is in
//! `hookline` and `hookline-api`.

use hookline::app::App;
use hookline::clock::SystemClock;
use hookline_aws::config::Config;
use hookline_aws::dynamo::DynamoStore;
use hookline_aws::http_sender::HttpSender;
use hookline_aws::sqs::SqsQueue;
use hookline_aws::{AwsPorts, function_aws_config, telemetry};
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let aws = function_aws_config().await;
    let app = App::<AwsPorts>::new(
        DynamoStore::from_sdk(&aws, &config.table_name, config.retention_days),
        SqsQueue::from_sdk(&aws, &config.delivery_queue_url),
        // The verification probe's requests go through the same SSRF guard as deliveries.
        HttpSender::new(config.http_settings())?,
        SystemClock,
        config.app_settings(),
    );
    run(service_fn(|request| hookline_ingest::handle(&app, request))).await
}
