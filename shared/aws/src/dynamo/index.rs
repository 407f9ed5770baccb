//! Reading through `gsi1`. The index projects only the keys and the attributes its queries filter on
//! (`event_type`, `state`), so an indexed write costs one index write unit whatever the item's size (a
//! message with its payload, an attempt with the response body), instead of as many again as the item.
//! A listing reads the index for the order, then the items themselves with `BatchGetItem`, which is
//! cheap: reads cost a fifth of writes, and a listing is read far less often than an item is written.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::codec::Item;
use super::keys::{PK, SK};
use super::{DynamoStore, s};
use hookline::store::StoreError;

/// Keys per BatchGetItem (DynamoDB's limit).
const BATCH_GET_KEYS: usize = 100;
/// Rounds for keys DynamoDB leaves unprocessed (when throttled) before the listing fails.
const UNPROCESSED_ROUNDS: u32 = 5;

type Key = (String, String);

fn key_of(item: &Item) -> Option<Key> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some((text(PK)?, text(SK)?))
}

impl DynamoStore {
    /// The items behind these index items, in the same order. One deleted meanwhile is left out.
    pub(super) async fn items_behind(
        &self,
        index_items: &[Item],
        operation: &'static str,
    ) -> Result<Vec<Item>, StoreError> {
        let keys: Vec<Key> = index_items.iter().filter_map(key_of).collect();
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_KEYS) {
            let mut wanted: Vec<HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|(pk, sk)| HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))]))
                .collect();
            for round in 0..UNPROCESSED_ROUNDS {
                if wanted.is_empty() {
                    break;
                }
                if round > 0 {
                    tokio::time::sleep(Duration::from_millis(20 << round)).await;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut wanted)))
                    .build()
                    .map_err(|e| StoreError::unavailable(operation, e))?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| StoreError::unavailable(operation, e))?;
                let items = output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default();
                for item in items {
                    if let Some(key) = key_of(&item) {
                        found.insert(key, item);
                    }
                }
                wanted = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
            if !wanted.is_empty() {
                return Err(StoreError::unavailable(operation, Unprocessed(wanted.len())));
            }
        }
        Ok(keys.iter().filter_map(|key| found.remove(key)).collect())
    }
}

/// DynamoDB left keys of a BatchGetItem unprocessed round after round (it was throttling the table).
#[derive(Debug, thiserror::Error)]
#[error("{0} keys were still unprocessed after {UNPROCESSED_ROUNDS} rounds")]
struct Unprocessed(usize);
