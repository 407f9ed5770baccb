//! DynamoDB capacity units per request, as on-demand billing counts them, from the request and its answer.
//!
//! Sizes follow DynamoDB's rules (attribute names count; a number is about one byte per two digits plus
//! one; a list or map adds 3 bytes and 1 per element). Writes are billed per 1 KB of the larger of the item
//! before and after, reads per 4 KB (half for an eventually consistent read). An `UpdateItem` does not
//! show the item, so the sizes of items seen written or read are remembered by key.
//!
//! A global secondary index bills its own write units, by the size of its own item (the table's key,
//! the index's key and the projected attributes): an item that holds the index's key attributes is
//! written to the index too, a change to such an item writes the index again (twice when the index key
//! changes: a delete and a put), and so does its deletion. An `UpdateItem` writes the index only when its
//! expression names a projected attribute (any, for `ProjectionType: ALL`), and is taken to leave the
//! index key as it was (no update of Hookline's sets it).

use std::collections::HashMap;

use serde_json::Value;

const WRITE_UNIT: f64 = 1024.0;
const READ_UNIT: f64 = 4096.0;

/// Item sizes by key, learnt from the traffic.
#[derive(Debug, Default)]
pub struct ItemSizes {
    key_attributes: Vec<String>,
    indexes: Vec<Index>,
    by_key: HashMap<String, Known>,
}

#[derive(Debug)]
struct Index {
    key_attributes: Vec<String>,
    /// The non-key attributes projected (`INCLUDE`); `None` projects all of them (`ALL`).
    projected: Option<Vec<String>>,
}

/// What is known of a stored item: its size, and in each index it is in, its key there and the size of
/// its index item.
#[derive(Debug, Clone, Default)]
struct Known {
    size: usize,
    in_indexes: Vec<Option<(String, usize)>>,
}

impl ItemSizes {
    pub fn new(key_attributes: &[&str]) -> Self {
        Self {
            key_attributes: key_attributes.iter().map(|&k| k.to_owned()).collect(),
            indexes: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    /// Adds a global secondary index by its key attributes, projecting `projected` non-key attributes
    /// (`INCLUDE`), or all of them (`None`, `ALL`).
    #[must_use]
    pub fn with_index(mut self, key_attributes: &[&str], projected: Option<&[&str]>) -> Self {
        let owned = |names: &[&str]| names.iter().map(|&k| k.to_owned()).collect();
        self.indexes.push(Index { key_attributes: owned(key_attributes), projected: projected.map(owned) });
        self
    }

    /// Capacity units of one DynamoDB operation: write units for writes, read units for reads.
    pub fn units(&mut self, operation: &str, request: &Value, answer: &Value) -> f64 {
        match operation {
            "PutItem" => {
                let item = &request["Item"];
                let after = Known { size: item_size(item), in_indexes: self.in_indexes(item) };
                let before = self.by_key.insert(self.key_of(item), after.clone()).unwrap_or_default();
                write_units(after.size.max(before.size)) + index_units(&before, &after, None)
            }
            "UpdateItem" => {
                let key = self.key_of(&request["Key"]);
                let before = self.by_key.get(&key).cloned().unwrap_or_default();
                // The answer holds the item only when asked for (ALL_NEW); else the known size stands.
                let size = answer
                    .get("Attributes")
                    .map_or(before.size, item_size)
                    .max(item_size(&request["Key"]))
                    .max(before.size);
                let after = Known { size, in_indexes: before.in_indexes.clone() };
                self.by_key.insert(key, after.clone());
                let touched: Vec<bool> =
                    self.indexes.iter().map(|index| index.touched_by(&updated_attributes(request))).collect();
                write_units(size) + index_units(&before, &after, Some(&touched))
            }
            "DeleteItem" => {
                let key = self.key_of(&request["Key"]);
                let before = self.by_key.remove(&key).unwrap_or_default();
                write_units(before.size) + index_units(&before, &Known::default(), None)
            }
            "GetItem" => {
                let size = answer.get("Item").map_or(0, item_size);
                if let Some(item) = answer.get("Item") {
                    let known = Known { size, in_indexes: self.in_indexes(item) };
                    self.by_key.insert(self.key_of(item), known);
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

    /// The item's key and index item size in each index, if it holds that index's key attributes.
    fn in_indexes(&self, item: &Value) -> Vec<Option<(String, usize)>> {
        let fields = item.as_object();
        self.indexes
            .iter()
            .map(|index| {
                let values: Option<Vec<String>> =
                    index.key_attributes.iter().map(|name| item.get(name).map(Value::to_string)).collect();
                let size = fields.map_or(0, |fields| {
                    fields
                        .iter()
                        .filter(|(name, _)| index.projects(name) || self.key_attributes.contains(name))
                        .map(|(name, value)| name.len() + value_size(value))
                        .sum()
                });
                values.map(|values| (values.join("\u{1f}"), size))
            })
            .collect()
    }

    fn key_of(&self, item: &Value) -> String {
        self.key_attributes.iter().map(|name| item[name].to_string()).collect::<Vec<_>>().join("\u{1f}")
    }
}

impl Index {
    fn projects(&self, attribute: &str) -> bool {
        self.key_attributes.iter().any(|k| k == attribute)
            || self.projected.as_ref().is_none_or(|names| names.iter().any(|n| n == attribute))
    }

    /// Whether an update naming these attributes changes this index's item (always, under `ALL`).
    fn touched_by(&self, attributes: &[String]) -> bool {
        self.projected.is_none() || attributes.iter().any(|attribute| self.projects(attribute))
    }
}

/// The attributes an `UpdateItem`'s update expression names (`#name`s resolved).
fn updated_attributes(request: &Value) -> Vec<String> {
    const KEYWORDS: [&str; 7] = ["SET", "REMOVE", "ADD", "DELETE", "if_not_exists", "list_append", "AND"];
    let names = &request["ExpressionAttributeNames"];
    request["UpdateExpression"]
        .as_str()
        .unwrap_or("")
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#' || c == ':'))
        .filter(|word| !word.is_empty() && !word.starts_with(':') && !KEYWORDS.contains(word))
        .filter(|word| !word.chars().all(|c| c.is_ascii_digit()))
        .map(|word| match word.strip_prefix('#') {
            Some(_) => names[word].as_str().unwrap_or(word).to_owned(),
            None => word.to_owned(),
        })
        .collect()
}

/// Write units an item's change bills in the indexes: a put into each index the item enters or stays in
/// (its index item's size after), a delete from each it leaves or moves within (its size before). An
/// update that does not touch an index (`touched`, for updates only) bills nothing there.
fn index_units(before: &Known, after: &Known, touched: Option<&[bool]>) -> f64 {
    let count = before.in_indexes.len().max(after.in_indexes.len());
    (0..count)
        .filter(|&i| touched.is_none_or(|touched| touched.get(i).copied().unwrap_or(true)))
        .map(|i| {
            let old = before.in_indexes.get(i).cloned().flatten();
            let new = after.in_indexes.get(i).cloned().flatten();
            match (old, new) {
                (None, None) => 0.0,
                (None, Some((_, size))) => write_units(size),
                (Some((_, size)), None) => write_units(size),
                (Some((old, old_size)), Some((new, new_size))) if old == new => {
                    write_units(old_size.max(new_size))
                }
                (Some((_, old_size)), Some((_, new_size))) => write_units(old_size) + write_units(new_size),
            }
        })
        .sum()
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
    fn an_item_in_an_index_bills_the_index_for_its_put_its_updates_and_its_delete() {
        let mut sizes = ItemSizes::new(&["pk", "sk"]).with_index(&["gsi1pk", "gsi1sk"], None);
        let indexed = json!({ "Item": {
            "pk": {"S": "a"}, "sk": {"S": "c"}, "gsi1pk": {"S": "g"}, "gsi1sk": {"S": "1"},
            "body": {"S": "x".repeat(1500)},
        } });
        assert_eq!(sizes.units("PutItem", &indexed, &Value::Null), 4.0, "2 in the table, 2 in the index");
        let update = json!({ "Key": { "pk": {"S": "a"}, "sk": {"S": "c"} } });
        assert_eq!(sizes.units("UpdateItem", &update, &json!({})), 4.0);
        assert_eq!(sizes.units("DeleteItem", &update, &json!({})), 4.0);
        let unindexed = json!({ "Item": { "pk": {"S": "a"}, "sk": {"S": "d"} } });
        assert_eq!(sizes.units("PutItem", &unindexed, &Value::Null), 1.0, "not in the index");
    }

    #[test]
    fn moving_an_item_within_an_index_deletes_and_puts_the_index_item() {
        let mut sizes = ItemSizes::new(&["pk", "sk"]).with_index(&["gsi1pk", "gsi1sk"], None);
        let at = |sk: &str| {
            json!({ "Item": {
            "pk": {"S": "a"}, "sk": {"S": "c"}, "gsi1pk": {"S": "g"}, "gsi1sk": {"S": sk},
        } })
        };
        assert_eq!(sizes.units("PutItem", &at("1"), &Value::Null), 2.0);
        assert_eq!(sizes.units("PutItem", &at("2"), &Value::Null), 3.0);
    }

    #[test]
    fn an_index_projecting_a_few_attributes_bills_its_small_item_and_only_updates_that_touch_them() {
        let mut sizes = ItemSizes::new(&["pk", "sk"]).with_index(&["gsi1pk", "gsi1sk"], Some(&["state"]));
        let indexed = json!({ "Item": {
            "pk": {"S": "a"}, "sk": {"S": "c"}, "gsi1pk": {"S": "g"}, "gsi1sk": {"S": "1"},
            "state": {"S": "queued"}, "body": {"S": "x".repeat(1500)},
        } });
        assert_eq!(sizes.units("PutItem", &indexed, &Value::Null), 3.0, "2 in the table, 1 in the index");
        let key = json!({ "pk": {"S": "a"}, "sk": {"S": "c"} });
        let elsewhere = json!({ "Key": key, "UpdateExpression": "SET queue_state = :s" });
        assert_eq!(sizes.units("UpdateItem", &elsewhere, &json!({})), 2.0, "the index is untouched");
        let projected = json!({
            "Key": key, "UpdateExpression": "SET #state = :to", "ExpressionAttributeNames": {"#state": "state"},
        });
        assert_eq!(sizes.units("UpdateItem", &projected, &json!({})), 3.0);
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
