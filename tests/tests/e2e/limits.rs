//! The sizes that must hold in AWS, not only in the emulator: the queues are provisioned with AWS's
//! defaults except where the template sets a value, and the largest event a deployment accepts, escaped
//! as badly as JSON allows, is stored, queued and delivered.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use hookline_core::limits::MAX_EVENT_BYTES;
use hookline_local::receiver::Behaviour;
use hookline_tests::Stack;
use serde_json::{Value, json};

async fn attributes(stack: &Stack, queue: &str) -> std::collections::HashMap<QueueAttributeName, String> {
    stack
        .sqs()
        .get_queue_attributes()
        .queue_url(stack.made.queue_url(queue).unwrap())
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default()
}

#[tokio::test]
async fn the_queues_get_the_templates_sizes_and_aws_defaults_for_the_rest() {
    let stack = Stack::new(&[("RetrySchedule", "0s,1s,1s")]).await.unwrap();
    let delivery = attributes(&stack, "DeliveryQueue").await;
    let dead_letters = attributes(&stack, "DeadLetterQueue").await;
    for queue in [&delivery, &dead_letters] {
        assert_eq!(queue[&QueueAttributeName::MaximumMessageSize], "1048576", "set, not the default");
        assert_eq!(queue[&QueueAttributeName::MessageRetentionPeriod], "1209600");
        assert_eq!(queue[&QueueAttributeName::DelaySeconds], "0", "AWS's default");
        assert_eq!(queue[&QueueAttributeName::ReceiveMessageWaitTimeSeconds], "0", "AWS's default");
    }
    assert_eq!(delivery[&QueueAttributeName::VisibilityTimeout], "360");
    assert_eq!(dead_letters[&QueueAttributeName::VisibilityTimeout], "30", "AWS's default");
    let redrive: Value = serde_json::from_str(&delivery[&QueueAttributeName::RedrivePolicy]).unwrap();
    let max_receive_count = redrive["maxReceiveCount"].to_string().trim_matches('"').to_owned();
    assert_eq!(max_receive_count, "8", "three attempts plus five");
    assert_eq!(stack.made.env["HOOKLINE_MAX_RECEIVE_COUNT"], max_receive_count, "the function knows it");
    assert_eq!(stack.config.max_receive_count, 8);
}

#[tokio::test]
async fn the_largest_event_full_of_characters_to_escape_is_stored_queued_and_delivered() {
    let max = MAX_EVENT_BYTES.to_string();
    let stack = Stack::new(&[("MaxBodyBytes", max.as_str())]).await.unwrap();
    let receiver = hookline_tests::receiver(Behaviour::default()).await.unwrap();
    stack.subscribe(&receiver, json!({})).await.unwrap();

    // Every character of the padding is a quote: two bytes in the request, four in the task.
    let frame = json!({"event_type": "invoice.paid", "payload": {"pad": ""}}).to_string().len();
    let quotes = (MAX_EVENT_BYTES - frame) / 2;
    let body = json!({"event_type": "invoice.paid", "payload": {"pad": "\"".repeat(quotes)}}).to_string();
    assert!(body.len() <= MAX_EVENT_BYTES && body.len() + 2 > MAX_EVENT_BYTES, "{}", body.len());

    let (status, accepted) = stack.post("/v1/events", &body).await;
    assert_eq!(status, 202, "{accepted}");
    let delivered =
        stack.poll_until(Duration::from_secs(20), async || !receiver.received().is_empty()).await.unwrap();
    assert!(delivered, "the largest event was not delivered");
    let got = &receiver.received()[0];
    assert_eq!(got.verified, Some(Ok(())));
    let envelope: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(envelope["data"]["pad"].as_str().map(str::len), Some(quotes));

    let (status, refused) = stack.post("/v1/events", &format!("{body}  ")).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (413, Some("body_too_large")), "a little more");
}
