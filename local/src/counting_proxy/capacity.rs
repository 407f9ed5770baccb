//! DynamoDB capacity units per request, as on-demand billing counts them, from the request and its answer.
//!
//! Sizes follow DynamoDB's rules (attribute names count; a number is about one byte per two digits plus
//! one; a list or map adds 3 bytes and 1 per element). Writes are billed per 1 KB of the larger of the item
//! before and after, reads per 4 KB (half for an eventually consistent read). An `UpdateItem` does not
//! show the item, so the sizes of items seen written or read are remembered by key.

use std::collections::HashMap;

use serde_json::Value;

const WRITE_UNIT: f64 = 1024.0;
const READ_UNIT: f64 = 4096.0;

/// Item sizes by key, learnt from the traffic.
#[derive(Debug, Default)]
pub struct ItemSizes {
    key_attributes: Vec<String>,
    by_key: HashMap<String, usize>,
}

impl ItemSizes {
    pub fn new(key_attributes: &[&str]) -> Self {
        Self {
            key_attributes: key_attributes.iter().map(|&k| k.to_owned()).collect(),
            by_key: HashMap::new(),
        }
    }

    /// Capacity units of one DynamoDB operation: write units for writes, read units for reads.
    pub fn units(&mut self, operation: &str, request: &Value, answer: &Value) -> f64 {
        match operation {
            "PutItem" => {
                let size = item_size(&request["Item"]);
                let key = self.key_of(&request["Item"]);
                let before = self.by_key.insert(key, size).unwrap_or(0);
                write_units(size.max(before))
            }
            "UpdateItem" => {
                let key = self.key_of(&request["Key"]);
                let before = self.by_key.get(&key).copied().unwrap_or(0);
                // The answer holds the item only when asked for (ALL_NEW); else the known size stands.
                let after =
                    answer.get("Attributes").map_or(before, item_size).max(item_size(&request["Key"]));
                self.by_key.insert(key, after.max(before));
                write_units(after.max(before))
            }
            "DeleteItem" => {
                let key = self.key_of(&request["Key"]);
                write_units(self.by_key.remove(&key).unwrap_or(0))
            }
            "GetItem" => {
                let size = answer.get("Item").map_or(0, item_size);
                if let Some(item) = answer.get("Item") {
                    self.by_key.insert(self.key_of(item), size);
                }
                read_units(size, consistent(request))
            }
            "Query" | "Scan" => {
                let items = answer["Items"].as_array().map_or(&[][..], Vec::as_slice);
                read_units(items.iter().map(item_size).sum(), consistent(request))
            }
            "BatchWriteItem" => request["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|tables| tables.values())
                .filter_map(Value::as_array)
                .flatten()
                .map(|write| match write.get("PutRequest") {
                    Some(put) => self.units("PutItem", put, &Value::Null),
                    None => self.units("DeleteItem", &write["DeleteRequest"], &Value::Null),
                })
                .sum(),
            "TransactWriteItems" => request["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| {
                    // A transaction bills twice the units of its writes.
                    2.0 * match (item.get("Put"), item.get("Update"), item.get("Delete")) {
                        (Some(put), _, _) => self.units("PutItem", put, &Value::Null),
                        (_, Some(update), _) => self.units("UpdateItem", update, &Value::Null),
                        (_, _, Some(delete)) => self.units("DeleteItem", delete, &Value::Null),
                        _ => 0.0,
                    }
                })
                .sum(),
            _ => 0.0,
        }
    }

    fn key_of(&self, item: &Value) -> String {
        self.key_attributes.iter().map(|name| item[name].to_string()).collect::<Vec<_>>().join("\u{1f}")
    }
}

fn consistent(request: &Value) -> bool {
    request["ConsistentRead"].as_bool().unwrap_or(false)
}

fn write_units(size: usize) -> f64 {
    (size as f64 / WRITE_UNIT).ceil().max(1.0)
}

fn read_units(size: usize, consistent: bool) -> f64 {
    let units = (size as f64 / READ_UNIT).ceil().max(1.0);
    if consistent { units } else { units / 2.0 }
}

/// An item's size: its attributes' names and values.
pub fn item_size(item: &Value) -> usize {
    item.as_object()
        .map_or(0, |fields| fields.iter().map(|(name, value)| name.len() + value_size(value)).sum())
}

/// One attribute value in DynamoDB JSON (`{"S": "…"}`, `{"N": "12"}`, `{"M": {…}}`, …).
fn value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|typed| typed.iter().next()) else { return 0 };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => number_size(inner.as_str().unwrap_or("")),
        "B" => inner.as_str().map_or(0, |b| b.len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" => inner.as_array().map_or(0, |v| v.iter().filter_map(Value::as_str).map(str::len).sum()),
        "NS" => inner.as_array().map_or(0, |v| v.iter().filter_map(Value::as_str).map(number_size).sum()),
        "L" => 3 + inner.as_array().map_or(0, |v| v.iter().map(|e| 1 + value_size(e)).sum()),
        "M" => 3 + inner.as_object().map_or(0, |m| m.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum()),
        _ => 0,
    }
}

fn number_size(digits: &str) -> usize {
    let significant = digits.chars().filter(char::is_ascii_digit).count();
    significant.div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_small_write_is_one_unit_and_a_large_one_a_unit_per_kilobyte() {
        let mut sizes = ItemSizes::new(&["pk", "sk"]);
        let small = json!({ "Item": { "pk": {"S": "a"}, "sk": {"S": "b"} } });
        assert_eq!(sizes.units("PutItem", &small, &Value::Null), 1.0);
        let large =
            json!({ "Item": { "pk": {"S": "a"}, "sk": {"S": "c"}, "body": {"S": "x".repeat(1500)} } });
        assert_eq!(sizes.units("PutItem", &large, &Value::Null), 2.0);
    }

    #[test]
    fn an_update_of_a_large_item_costs_what_its_size_does() {
        let mut sizes = ItemSizes::new(&["pk", "sk"]);
        let large =
            json!({ "Item": { "pk": {"S": "a"}, "sk": {"S": "c"}, "body": {"S": "x".repeat(1500)} } });
        sizes.units("PutItem", &large, &Value::Null);
        let update = json!({ "Key": { "pk": {"S": "a"}, "sk": {"S": "c"} } });
        assert_eq!(sizes.units("UpdateItem", &update, &json!({})), 2.0);
    }

    #[test]
    fn reads_are_halved_when_eventually_consistent() {
        let mut sizes = ItemSizes::new(&["pk", "sk"]);
        let answer = json!({ "Item": { "pk": {"S": "a"}, "sk": {"S": "b"} } });
        assert_eq!(sizes.units("GetItem", &json!({ "ConsistentRead": true }), &answer), 1.0);
        assert_eq!(sizes.units("GetItem", &json!({}), &answer), 0.5);
        let query = json!({ "Items": [{ "body": {"S": "x".repeat(5000)} }] });
        assert_eq!(sizes.units("Query", &json!({}), &query), 1.0);
    }
}
