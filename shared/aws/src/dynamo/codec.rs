//! Entities travel to DynamoDB as native attributes (maps, lists, numbers) through their serde form,
//! so the table stays readable in the console and attributes can be used in conditions and filters.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use hookline::store::StoreError;

pub type Item = HashMap<String, AttributeValue>;

pub fn to_item<T: Serialize>(entity: &T, entity_name: &'static str) -> Result<Item, StoreError> {
    match serde_json::to_value(entity) {
        Ok(Value::Object(fields)) => Ok(fields.into_iter().map(|(k, v)| (k, to_attribute(v))).collect()),
        Ok(_) => Err(StoreError::Corrupt {
            entity: entity_name,
            source: serde::ser::Error::custom("entities serialize to objects"),
        }),
        Err(source) => Err(StoreError::Corrupt { entity: entity_name, source }),
    }
}

pub fn from_item<T: DeserializeOwned>(item: &Item, entity_name: &'static str) -> Result<T, StoreError> {
    let fields: Map<String, Value> = item.iter().map(|(k, v)| (k.clone(), from_attribute(v))).collect();
    serde_json::from_value(Value::Object(fields))
        .map_err(|source| StoreError::Corrupt { entity: entity_name, source })
}

fn to_attribute(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(items) => AttributeValue::L(items.into_iter().map(to_attribute).collect()),
        Value::Object(fields) => {
            AttributeValue::M(fields.into_iter().map(|(k, v)| (k, to_attribute(v))).collect())
        }
    }
}

fn from_attribute(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => parse_number(n),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(items) => Value::Array(items.iter().map(from_attribute).collect()),
        AttributeValue::M(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), from_attribute(v))).collect())
        }
        AttributeValue::Ss(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
        _ => Value::Null,
    }
}

fn parse_number(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::Number(n.into());
    }
    if let Ok(n) = text.parse::<u64>() {
        return Value::Number(n.into());
    }
    text.parse::<f64>().ok().and_then(Number::from_f64).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        count: u32,
        big: i64,
        ratio: f64,
        flag: bool,
        tags: Vec<String>,
        nested: Option<Box<Sample>>,
    }

    #[test]
    fn entities_round_trip_through_native_attributes() {
        let inner = Sample {
            name: "in".into(),
            count: 0,
            big: -5,
            ratio: 0.5,
            flag: false,
            tags: vec![],
            nested: None,
        };
        let sample = Sample {
            name: "out".into(),
            count: 7,
            big: 1_700_000_000_000,
            ratio: 1.25,
            flag: true,
            tags: vec!["a".into()],
            nested: Some(Box::new(inner)),
        };
        let item = to_item(&sample, "sample").unwrap();
        assert_eq!(item["count"], AttributeValue::N("7".into()));
        assert!(matches!(item["nested"], AttributeValue::M(_)));
        assert_eq!(from_item::<Sample>(&item, "sample").unwrap(), sample);
    }

    #[test]
    fn an_item_missing_a_field_is_reported_as_corrupt() {
        let item: Item = [("name".to_owned(), AttributeValue::S("x".into()))].into();
        assert!(matches!(
            from_item::<Sample>(&item, "sample"),
            Err(StoreError::Corrupt { entity: "sample", .. })
        ));
    }
}
