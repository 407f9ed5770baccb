//! A message at rest: its ids only in the key, its body deflated when that makes the item smaller.
//!
//! DynamoDB bills a write by the item's size in whole kilobytes, and the body is nearly all of a message
//! item. Webhook payloads are JSON, whose repeated keys deflate to about half, so a 1 KiB event stored
//! deflated fits one write unit where it took two (and a larger one half as many); the ids, which the
//! partition key already holds, would be 70 bytes more. The bytes sent to endpoints are the body
//! exactly as it was accepted: deflate is lossless, and the tasks on the queue carry the body as it is.
//! Items written earlier (ids as attributes, `body` as text) still read.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::codec::{Item, from_item};
use super::corrupt;
use super::keys::{self, PK};
use hookline::store::StoreError;
use hookline_core::limits::{ENVELOPE_OVERHEAD, MAX_EVENT_BYTES};
use hookline_core::model::Message;

/// The body as text: the message's own field, and what items written before deflating hold.
const BODY: &str = "body";
/// The body deflated (raw DEFLATE, RFC 1951), in place of `body`.
const DEFLATED_BODY: &str = "body_deflated";
/// Below this the body is kept as text: deflating saves too little to cross a kilobyte.
const MIN_TO_DEFLATE: usize = 128;
/// miniz's fastest level: JSON of a few kilobytes deflates nearly as well as at the default (6).
const LEVEL: u8 = 1;
/// The message's ids, which its partition key names.
const IDS: [&str; 2] = ["tenant_id", "id"];
/// The largest body a message holds; a deflated one that would inflate past it is corrupt.
const MAX_BODY_BYTES: usize = MAX_EVENT_BYTES + ENVELOPE_OVERHEAD;

/// Makes a message's item (its fields and key) what is stored: no ids besides the key's, and the body
/// deflated if that is smaller.
pub(super) fn compact(item: &mut Item) {
    for id in IDS {
        item.remove(id);
    }
    let Some(AttributeValue::S(body)) = item.get(BODY) else { return };
    if body.len() < MIN_TO_DEFLATE {
        return;
    }
    let deflated = miniz_oxide::deflate::compress_to_vec(body.as_bytes(), LEVEL);
    // The attribute's name is longer too: a saving smaller than that is no saving.
    if deflated.len() + DEFLATED_BODY.len() - BODY.len() < body.len() {
        item.remove(BODY);
        item.insert(DEFLATED_BODY.into(), AttributeValue::B(Blob::new(deflated)));
    }
}

/// The message a stored item holds: ids from its key, its body inflated if it was stored deflated.
pub(super) fn message_of(item: &Item) -> Result<Message, StoreError> {
    let has_ids = IDS.iter().all(|id| item.contains_key(*id));
    if has_ids && !item.contains_key(DEFLATED_BODY) {
        return from_item(item, "message");
    }
    let mut item = item.clone();
    if let Some(deflated) = item.remove(DEFLATED_BODY) {
        let deflated = deflated.as_b().map_err(|_| corrupt("message", "the deflated body is not binary"))?;
        let body = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated.as_ref(), MAX_BODY_BYTES)
            .map_err(|_| corrupt("message", "the deflated body does not inflate"))?;
        let body =
            String::from_utf8(body).map_err(|_| corrupt("message", "the inflated body is not UTF-8"))?;
        item.insert(BODY.into(), AttributeValue::S(body));
    }
    if !has_ids {
        let pk = item.get(PK).and_then(|pk| pk.as_s().ok()).map(String::as_str).unwrap_or_default();
        let (tenant, id) = keys::ids_of_message_pk(pk).ok_or_else(|| corrupt("message", "no message key"))?;
        let (tenant, id) = (AttributeValue::S(tenant.to_owned()), AttributeValue::S(id.to_owned()));
        item.insert(IDS[0].into(), tenant);
        item.insert(IDS[1].into(), id);
    }
    from_item(&item, "message")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item_with_body(body: &str) -> Item {
        Item::from([(BODY.to_owned(), AttributeValue::S(body.to_owned()))])
    }

    fn inflated(item: &Item) -> String {
        let bytes = item.get(DEFLATED_BODY).and_then(|b| b.as_b().ok()).unwrap().as_ref();
        String::from_utf8(miniz_oxide::inflate::decompress_to_vec(bytes).unwrap()).unwrap()
    }

    #[test]
    fn a_json_body_is_stored_deflated_and_inflates_to_the_same_bytes() {
        let line = r#"{"sku":"SKU-1","description":"Team seats, annual","quantity":3,"unit_amount":1200},"#;
        let body = format!(r#"{{"type":"invoice.paid","data":{{"lines":[{}]}}}}"#, line.repeat(12));
        let mut item = item_with_body(&body);
        compact(&mut item);
        assert!(!item.contains_key(BODY));
        assert_eq!(inflated(&item), body);
        let stored = item.get(DEFLATED_BODY).and_then(|b| b.as_b().ok()).map_or(0, |b| b.as_ref().len());
        assert!(stored < body.len() / 2, "{stored} bytes for {}", body.len());
    }

    #[test]
    fn a_compacted_message_item_keeps_its_ids_only_in_the_key_and_reads_back_whole() {
        use hookline_core::event_types::EventType;
        use hookline_core::ids::{EndpointId, MessageId, TenantId};
        use hookline_core::model::QueueState;

        let (tenant, id) = (TenantId::generate(), MessageId::generate());
        let message = Message {
            id: id.clone(),
            tenant_id: tenant.clone(),
            event_type: EventType::parse("invoice.paid").unwrap(),
            body: format!(r#"{{"type":"invoice.paid","data":{{"note":"{}"}}}}"#, "café ✓ ".repeat(40)),
            request_hash: "ab".repeat(32),
            created_at_ms: 1_000,
            queue_state: QueueState::Queueing,
            claimed_at_ms: 1_000,
            endpoint_ids: vec![EndpointId::generate()],
        };
        let mut item = super::super::codec::to_item(&message, "message").unwrap();
        item.insert(PK.into(), AttributeValue::S(keys::message_pk(&tenant, &id)));
        compact(&mut item);
        assert!(IDS.iter().all(|field| !item.contains_key(*field)), "{:?}", item.keys());
        assert!(item.contains_key(DEFLATED_BODY));
        assert_eq!(message_of(&item).unwrap(), message);
    }

    #[test]
    fn a_short_body_stays_text() {
        let body = r#"{"type":"ping","timestamp":"2026-12-08T01:00:00.000Z","data":{}}"#;
        let mut item = item_with_body(body);
        compact(&mut item);
        assert_eq!(item.get(BODY).and_then(|b| b.as_s().ok()).map(String::as_str), Some(body));
        assert!(!item.contains_key(DEFLATED_BODY));
    }

    #[test]
    fn a_deflated_body_that_does_not_inflate_is_corrupt_not_a_panic() {
        let item = Item::from([(DEFLATED_BODY.to_owned(), AttributeValue::B(Blob::new(vec![0xff; 16])))]);
        assert!(matches!(message_of(&item), Err(StoreError::Corrupt { entity: "message", .. })));
    }
}
