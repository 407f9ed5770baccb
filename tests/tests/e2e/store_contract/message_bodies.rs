//! A message's body reads back exactly as it was accepted, whichever way the store keeps it: the
//! DynamoDB store deflates a body at rest and keeps the ids only in the key, and still reads the items
//! earlier versions wrote (ids as attributes, the body as text).

use aws_sdk_dynamodb::types::AttributeValue;
use hookline::store::{MessageStore as _, Store, TimeQuery};
use hookline_aws::dynamo::keys;
use hookline_core::ids::{EndpointId, MessageId, TenantId};
use hookline_core::model::Message;

use super::log_cases::message;
use super::{dynamo, stack};

/// About 1 KiB of an invoice event, with text that is not ASCII and characters JSON escapes.
fn invoice_body() -> String {
    let lines: Vec<String> = (1..=9)
        .map(|n| format!(r#"{{"sku":"SKU-{n:04}","description":"Café seats \"Team\" ✓ {n}","quantity":{n},"unit_amount":{}}}"#, n * 1250))
        .collect();
    format!(
        r#"{{"type":"invoice.paid","timestamp":"2026-12-08T01:00:00.000Z","data":{{"invoice":"in_1","customer":{{"email":"billing@example.com"}},"lines":[{}]}}}}"#,
        lines.join(",")
    )
}

fn invoice(tenant: &TenantId, endpoint: &EndpointId) -> Message {
    Message { body: invoice_body(), ..message(tenant, "invoice.paid", 1_000, &[endpoint]) }
}

pub async fn a_message_body_reads_back_byte_for_byte_by_id_in_its_log_and_in_the_listing<S: Store>(
    store: &S,
) {
    let (tenant, endpoint) = (TenantId::generate(), EndpointId::generate());
    let m = invoice(&tenant, &endpoint);
    assert!(m.body.len() > 900, "a body of {} bytes", m.body.len());
    store.insert_message(&m).await.unwrap();

    assert_eq!(store.get_message(&tenant, &m.id).await.unwrap().as_ref(), Some(&m));
    let log = store.message_log(&tenant, &m.id).await.unwrap().unwrap();
    assert_eq!(log.message, m);
    let listed = store.messages_page(&tenant, None, &TimeQuery::default()).await.unwrap();
    assert_eq!(listed.items, [m]);
}

/// DynamoDB only: the item holds the body deflated and no ids besides the key's, and an item as earlier
/// versions stored it reads all the same.
#[tokio::test]
async fn in_dynamodb_a_body_is_stored_deflated_and_an_earlier_versions_item_still_reads() {
    let stack = stack().await;
    let store = dynamo(&stack);
    let client = aws_sdk_dynamodb::Client::new(&stack.aws);
    let table = &stack.config.table_name;
    let (tenant, endpoint) = (TenantId::generate(), EndpointId::generate());
    let m = invoice(&tenant, &endpoint);
    store.insert_message(&m).await.unwrap();

    let key = |id: &MessageId| {
        [
            (keys::PK.to_owned(), AttributeValue::S(keys::message_pk(&tenant, id))),
            (keys::SK.to_owned(), AttributeValue::S(keys::MESSAGE_SK.to_owned())),
        ]
    };
    let stored = client.get_item().table_name(table).set_key(Some(key(&m.id).into())).send().await.unwrap();
    let mut item = stored.item.unwrap();
    assert!(!item.contains_key("body"), "the text body is not stored as well");
    assert!(!item.contains_key("id") && !item.contains_key("tenant_id"), "the key holds the ids");
    let deflated = item.get("body_deflated").and_then(|b| b.as_b().ok()).map_or(0, |b| b.as_ref().len());
    assert!(
        deflated > 0 && deflated < m.body.len() * 2 / 3,
        "{deflated} bytes for a body of {}",
        m.body.len()
    );

    // The same message as an earlier version stored it, under another id.
    let earlier = Message { id: MessageId::generate(), ..m.clone() };
    item.remove("body_deflated");
    item.insert("body".into(), AttributeValue::S(earlier.body.clone()));
    item.insert("id".into(), AttributeValue::S(earlier.id.to_string()));
    item.insert("tenant_id".into(), AttributeValue::S(tenant.to_string()));
    item.extend(key(&earlier.id));
    client.put_item().table_name(table).set_item(Some(item)).send().await.unwrap();
    assert_eq!(store.get_message(&tenant, &earlier.id).await.unwrap(), Some(earlier));
}
