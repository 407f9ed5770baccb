//! DynamoDB only: a delivery recorded before the ledger was ordered (a latest-state item `DLV#ep` and
//! attempts under `ATT#…`, as tables deployed earlier hold them) reads as it did, and new entries go
//! after it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use hookline::store::{AttemptStore as _, LogStore as _, MessageStore as _};
use hookline_aws::dynamo::keys;
use hookline_core::delivery::ledger::next_entry;
use hookline_core::ids::{AttemptId, EndpointId, TenantId};
use hookline_core::model::{Attempt, DeliveryState};

use super::log_cases::{attempt, message};
use super::{dynamo, stack};

/// An attempt as the earlier code stored it: its fields, without a place in a ledger.
fn legacy_item(attempt: &Attempt, sk: String) -> HashMap<String, AttributeValue> {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let n = |v: i64| AttributeValue::N(v.to_string());
    HashMap::from([
        (keys::PK.to_owned(), s(&keys::message_pk(&attempt.tenant_id, &attempt.message_id))),
        (keys::SK.to_owned(), s(&sk)),
        ("id".to_owned(), s(attempt.id.as_str())),
        ("tenant_id".to_owned(), s(attempt.tenant_id.as_str())),
        ("message_id".to_owned(), s(attempt.message_id.as_str())),
        ("endpoint_id".to_owned(), s(attempt.endpoint_id.as_str())),
        ("number".to_owned(), n(i64::from(attempt.number))),
        ("started_at_ms".to_owned(), n(attempt.started_at_ms)),
        ("latency_ms".to_owned(), n(7)),
        ("state".to_owned(), s("retrying")),
    ])
}

#[tokio::test]
async fn a_delivery_recorded_before_the_ordered_ledger_reads_as_before_and_continues_after_it() {
    let stack = stack().await;
    let store = dynamo(&stack);
    let client = aws_sdk_dynamodb::Client::new(&stack.aws);
    let (tenant, endpoint) = (TenantId::generate(), EndpointId::generate());
    let m = message(&tenant, "invoice.paid", 1_000, &[&endpoint]);
    store.insert_message(&m).await.unwrap();
    let old = Attempt { ledger_seq: 0, ..attempt(&m, &endpoint, 1, DeliveryState::Retrying, 2_000) };
    let old = Attempt { status_code: None, response_body: None, ..old };
    let legacy_attempt_sk = format!("ATT#{}#0001#{}", endpoint, old.id);
    for sk in [legacy_attempt_sk, keys::delivery_sk(&endpoint)] {
        let item = legacy_item(&old, sk);
        client.put_item().table_name(&stack.config.table_name).set_item(Some(item)).send().await.unwrap();
    }

    let newest = store.latest_delivery(&tenant, &m.id, &endpoint).await.unwrap();
    assert_eq!(newest.as_ref(), Some(&old), "the latest-state item answers while the ledger is empty");
    let log = store.message_log(&tenant, &m.id).await.unwrap().unwrap();
    assert_eq!(
        log.attempts,
        std::slice::from_ref(&old),
        "the latest-state item is not an attempt of its own"
    );

    let second = Attempt {
        id: AttemptId::generate(),
        ledger_seq: next_entry(newest.as_ref()),
        ..attempt(&m, &endpoint, 2, DeliveryState::Succeeded, 9_000)
    };
    store.record_attempt(&second).await.unwrap();
    assert_eq!(store.latest_delivery(&tenant, &m.id, &endpoint).await.unwrap(), Some(second.clone()));
    let log = store.message_log(&tenant, &m.id).await.unwrap().unwrap();
    assert_eq!(log.attempts, [old, second.clone()], "legacy attempts first, then the ledger's");
    assert_eq!(log.deliveries, [second]);
}
