use serde_json::json;

use super::*;

fn filter(value: Value) -> PayloadFilter {
    PayloadFilter::parse(value).unwrap()
}

fn refused(value: Value) -> FilterError {
    PayloadFilter::parse(value).unwrap_err()
}

#[test]
fn a_literal_is_equality_and_every_key_of_an_object_must_hold() {
    let f = filter(json!({ "customer.tier": "gold", "amount": 100 }));
    assert!(f.matches(&json!({ "customer": { "tier": "gold" }, "amount": 100 })));
    assert!(!f.matches(&json!({ "customer": { "tier": "gold" }, "amount": 99 })));
    assert!(!f.matches(&json!({ "amount": 100 })));
    assert!(filter(json!({})).matches(&json!({ "anything": 1 })), "an empty filter passes everything");
    assert!(
        filter(json!({ "address": { "city": "Oslo" } })).matches(&json!({ "address": { "city": "Oslo" } }))
    );
}

#[test]
fn types_compare_strictly() {
    assert!(!filter(json!({ "n": 1 })).matches(&json!({ "n": "1" })));
    assert!(!filter(json!({ "n": { "$gt": 0 } })).matches(&json!({ "n": "5" })));
    assert!(filter(json!({ "n": { "$gt": 0 } })).matches(&json!({ "n": 0.5 })));
    assert!(filter(json!({ "s": { "$lt": "b" } })).matches(&json!({ "s": "a" })));
    assert!(!filter(json!({ "s": { "$lt": "b" } })).matches(&json!({ "s": 1 })));
    assert!(!filter(json!({ "flag": true })).matches(&json!({ "flag": 1 })));
}

#[test]
fn each_operator_does_what_it_says() {
    let p = json!({ "n": 5, "s": "order.paid", "tags": ["a", "b"], "nested": { "x": null } });
    let holds = |f: Value| filter(f).matches(&p);
    assert!(holds(json!({ "n": { "$eq": 5 } })) && !holds(json!({ "n": { "$eq": 6 } })));
    assert!(holds(json!({ "n": { "$neq": 6 } })) && !holds(json!({ "n": { "$neq": 5 } })));
    assert!(holds(json!({ "n": { "$in": [4, 5] } })) && !holds(json!({ "n": { "$in": ["5"] } })));
    assert!(holds(json!({ "n": { "$nin": [1, 2] } })) && !holds(json!({ "n": { "$nin": [5] } })));
    assert!(holds(json!({ "n": { "$gt": 4, "$lte": 5 } })) && !holds(json!({ "n": { "$gte": 6 } })));
    assert!(holds(json!({ "n": { "$lt": 6 } })) && !holds(json!({ "n": { "$lt": 5 } })));
    assert!(
        holds(json!({ "s": { "$startsWith": "order." } })) && !holds(json!({ "n": { "$startsWith": "5" } }))
    );
    assert!(holds(json!({ "nested.x": { "$exists": true } })), "null is a value that exists");
    assert!(
        holds(json!({ "missing": { "$exists": false } })) && !holds(json!({ "n": { "$exists": false } }))
    );
    assert!(holds(json!({ "tags.1": "b" })), "array items by index");
    assert!(holds(json!({ "missing": { "$neq": 1 } })) && holds(json!({ "missing": { "$nin": [1] } })));
    assert!(!holds(json!({ "missing": { "$in": [1] } })) && !holds(json!({ "missing": { "$gt": 0 } })));
}

#[test]
fn and_or_and_not_combine_filters() {
    let f = filter(json!({
        "$or": [{ "region": { "$in": ["eu", "uk"] } }, { "vip": true }],
        "$not": { "status": "test" },
        "$and": [{ "amount": { "$gte": 10 } }],
    }));
    assert!(f.matches(&json!({ "region": "eu", "status": "live", "amount": 10 })));
    assert!(f.matches(&json!({ "region": "us", "vip": true, "amount": 50 })));
    assert!(!f.matches(&json!({ "region": "us", "amount": 50 })));
    assert!(!f.matches(&json!({ "region": "eu", "status": "test", "amount": 50 })));
    assert!(!f.matches(&json!({ "region": "eu", "amount": 5 })));
}

#[test]
fn a_bad_filter_is_refused_with_the_path_of_the_mistake() {
    assert_eq!(refused(json!([1])).at, "");
    assert_eq!(refused(json!({ "$and": [{ "a": 1 }, { "b": { "$gt": true } }] })).at, "$and.1.b.$gt");
    assert_eq!(refused(json!({ "a": { "$like": "x" } })).at, "a.$like");
    assert_eq!(refused(json!({ "$nor": [] })).at, "$nor");
    assert_eq!(refused(json!({ "$or": [] })).at, "$or");
    assert_eq!(refused(json!({ "a..b": 1 })).at, "a..b");
    assert_eq!(refused(json!({ "a": { "$in": 1 } })).at, "a.$in");
    assert_eq!(refused(json!({ "a": { "$exists": "yes" } })).at, "a.$exists");
    assert_eq!(refused(json!({ "a": { "$gt": 1, "b": 2 } })).at, "a");
    let message = refused(json!({ "$and": [{ "b": { "$gt": [] } }] })).to_string();
    assert_eq!(message, "payload_filter at $and.0.b.$gt: compares with a number or a string");
}

#[test]
fn filters_are_bounded_in_depth_size_and_sets() {
    let mut deep = json!({ "a": 1 });
    for _ in 0..=MAX_DEPTH {
        deep = json!({ "$not": deep });
    }
    assert!(refused(deep).message.contains("deeper"));
    let many: Map<String, Value> = (0..=MAX_NODES).map(|i| (format!("f{i}"), json!(i))).collect();
    assert!(refused(Value::Object(many)).message.contains("at most"));
    assert!(
        refused(json!({ "a": { "$in": (0..=MAX_SET).collect::<Vec<_>>() } })).message.contains("at most")
    );
    assert!(refused(json!({ "a": "x".repeat(MAX_BYTES) })).message.contains("bytes"));
    assert!(refused(json!({ "a.b.c.d.e.f.g.h.i.j.k": 1 })).message.contains("segments"));
}

#[test]
fn a_filter_is_stored_and_returned_as_written() {
    let written = json!({ "amount": { "$gte": 100 }, "$or": [{ "a": 1 }] });
    let f = filter(written.clone());
    assert_eq!(serde_json::to_value(&f).unwrap(), written);
    let back: PayloadFilter = serde_json::from_value(written.clone()).unwrap();
    assert_eq!(back, f);
    assert!(serde_json::from_value::<PayloadFilter>(json!({ "a": { "$bad": 1 } })).is_err());
}
