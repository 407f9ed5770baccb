//! Payload filters: an endpoint may receive only the events whose payload matches, evaluated at fan-out
//! next to the event-type filter. The syntax is a small JSON query language:
//!
//! ```json
//! {"customer.tier": "gold", "amount": {"$gte": 100}, "$or": [{"region": {"$in": ["eu", "uk"]}}, {"vip": true}]}
//! ```
//!
//! - A key is a dotted path into the payload (`customer.tier`, `items.0.sku`); its value is either a
//!   literal (equality) or an object of operators: `$eq`, `$neq`, `$in`, `$nin`, `$gt`, `$gte`, `$lt`,
//!   `$lte`, `$exists`, `$startsWith`.
//! - `$and` and `$or` take an array of filters, `$not` one filter. The keys of one object all must hold.
//! - Types compare strictly: `1` is not `"1"`, and `$gt` compares numbers with numbers and strings with
//!   strings only. A path that is missing matches only `$exists: false`, `$neq` and `$nin`.
//!
//! A filter is checked when it is written, and a mistake is refused with the path of the mistake.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Deepest nesting of `$and`/`$or`/`$not` and operator objects.
pub const MAX_DEPTH: usize = 5;
/// Most conditions (path tests and combinators) in one filter.
pub const MAX_NODES: usize = 64;
/// Largest filter, as compact JSON.
pub const MAX_BYTES: usize = 4096;
/// Most values in one `$in` or `$nin`.
pub const MAX_SET: usize = 100;
/// Most segments in one dotted path.
pub const MAX_PATH_SEGMENTS: usize = 10;

/// What is wrong with a filter, and where (`$and.1.amount.$gt`, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payload_filter{}: {message}", if at.is_empty() { String::new() } else { format!(" at {at}") })]
pub struct FilterError {
    pub at: String,
    pub message: String,
}

fn error(at: &[String], message: impl Into<String>) -> FilterError {
    FilterError { at: at.join("."), message: message.into() }
}

/// A checked filter: the JSON as written (stored and returned as given) and its parsed form.
#[derive(Clone, PartialEq, Eq)]
pub struct PayloadFilter {
    source: Value,
    root: Node,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Test { path: Vec<String>, test: Test },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Eq(Value),
    Neq(Value),
    In(Vec<Value>),
    Nin(Vec<Value>),
    Order(Ordering, Value),
    Exists(bool),
    StartsWith(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl PayloadFilter {
    pub fn parse(source: Value) -> Result<Self, FilterError> {
        let size = serde_json::to_vec(&source).map_or(usize::MAX, |bytes| bytes.len());
        if size > MAX_BYTES {
            return Err(error(&[], format!("is {size} bytes; the limit is {MAX_BYTES}")));
        }
        let mut nodes = 0;
        let root = parse_object(&source, &mut Vec::new(), 0, &mut nodes)?;
        Ok(Self { source, root })
    }

    /// Whether the payload passes the filter.
    pub fn matches(&self, payload: &Value) -> bool {
        self.root.matches(payload)
    }

    /// The filter as written.
    pub fn source(&self) -> &Value {
        &self.source
    }
}

impl fmt::Debug for PayloadFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadFilter({})", self.source)
    }
}

impl Serialize for PayloadFilter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.source.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PayloadFilter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::parse(Value::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

fn parse_object(
    value: &Value,
    at: &mut Vec<String>,
    depth: usize,
    nodes: &mut usize,
) -> Result<Node, FilterError> {
    if depth > MAX_DEPTH {
        return Err(error(at, format!("nests deeper than {MAX_DEPTH} levels")));
    }
    let Value::Object(fields) = value else {
        return Err(error(at, "a filter is a JSON object"));
    };
    let mut all = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        at.push(key.clone());
        *nodes += 1;
        if *nodes > MAX_NODES {
            return Err(error(at, format!("a filter has at most {MAX_NODES} conditions")));
        }
        let node = match key.as_str() {
            "$and" | "$or" => {
                let Value::Array(items) = value else {
                    return Err(error(at, format!("{key} takes an array of filters")));
                };
                if items.is_empty() {
                    return Err(error(at, format!("{key} needs at least one filter")));
                }
                let mut parsed = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    at.push(i.to_string());
                    parsed.push(parse_object(item, at, depth + 1, nodes)?);
                    at.pop();
                }
                if key == "$and" { Node::All(parsed) } else { Node::Any(parsed) }
            }
            "$not" => Node::Not(Box::new(parse_object(value, at, depth + 1, nodes)?)),
            op if op.starts_with('$') => {
                return Err(error(
                    at,
                    format!("`{op}` is not an operator here; use a path, $and, $or or $not"),
                ));
            }
            path => parse_path_tests(&split_path(path, at)?, value, at)?,
        };
        all.push(node);
        at.pop();
    }
    Ok(Node::All(all))
}

fn split_path(path: &str, at: &[String]) -> Result<Vec<String>, FilterError> {
    let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
    if segments.iter().any(String::is_empty) {
        return Err(error(at, "a path is dot-separated names, none empty"));
    }
    if segments.len() > MAX_PATH_SEGMENTS {
        return Err(error(at, format!("a path has at most {MAX_PATH_SEGMENTS} segments")));
    }
    Ok(segments)
}

fn parse_path_tests(path: &[String], value: &Value, at: &mut Vec<String>) -> Result<Node, FilterError> {
    let Value::Object(ops) = value else {
        return Ok(Node::Test { path: path.to_vec(), test: Test::Eq(value.clone()) });
    };
    if ops.is_empty() || !ops.keys().all(|k| k.starts_with('$')) {
        // An object with no operators is a literal to compare with.
        return if ops.keys().any(|k| k.starts_with('$')) {
            Err(error(at, "mixes operators and fields; put the operators alone"))
        } else {
            Ok(Node::Test { path: path.to_vec(), test: Test::Eq(value.clone()) })
        };
    }
    let mut tests = Vec::with_capacity(ops.len());
    for (op, operand) in ops {
        at.push(op.clone());
        tests.push(Node::Test { path: path.to_vec(), test: parse_test(op, operand, at)? });
        at.pop();
    }
    Ok(if tests.len() == 1 { tests.remove(0) } else { Node::All(tests) })
}

fn parse_test(op: &str, operand: &Value, at: &[String]) -> Result<Test, FilterError> {
    let set = |operand: &Value| match operand {
        Value::Array(items) if items.len() <= MAX_SET => Ok(items.clone()),
        Value::Array(_) => Err(error(at, format!("takes at most {MAX_SET} values"))),
        _ => Err(error(at, "takes an array of values")),
    };
    let ordered = |ordering| match operand {
        Value::Number(_) | Value::String(_) => Ok(Test::Order(ordering, operand.clone())),
        _ => Err(error(at, "compares with a number or a string")),
    };
    match op {
        "$eq" => Ok(Test::Eq(operand.clone())),
        "$neq" => Ok(Test::Neq(operand.clone())),
        "$in" => Ok(Test::In(set(operand)?)),
        "$nin" => Ok(Test::Nin(set(operand)?)),
        "$gt" => ordered(Ordering::Gt),
        "$gte" => ordered(Ordering::Gte),
        "$lt" => ordered(Ordering::Lt),
        "$lte" => ordered(Ordering::Lte),
        "$exists" => match operand {
            Value::Bool(b) => Ok(Test::Exists(*b)),
            _ => Err(error(at, "takes true or false")),
        },
        "$startsWith" => match operand {
            Value::String(prefix) => Ok(Test::StartsWith(prefix.clone())),
            _ => Err(error(at, "takes a string")),
        },
        other => Err(error(
            at,
            format!(
                "`{other}` is not an operator; use $eq, $neq, $in, $nin, $gt, $gte, $lt, $lte, $exists or $startsWith"
            ),
        )),
    }
}

impl Node {
    fn matches(&self, payload: &Value) -> bool {
        match self {
            Self::All(nodes) => nodes.iter().all(|n| n.matches(payload)),
            Self::Any(nodes) => nodes.iter().any(|n| n.matches(payload)),
            Self::Not(node) => !node.matches(payload),
            Self::Test { path, test } => test.holds(lookup(payload, path)),
        }
    }
}

/// The value at a dotted path: object fields by name, array items by index.
fn lookup<'v>(payload: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(payload, |value, segment| match value {
        Value::Object(fields) => fields.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

impl Test {
    fn holds(&self, found: Option<&Value>) -> bool {
        match (self, found) {
            (Self::Exists(wanted), found) => found.is_some() == *wanted,
            (Self::Neq(value), found) => found != Some(value),
            (Self::Nin(values), found) => found.is_none_or(|f| !values.contains(f)),
            (_, None) => false,
            (Self::Eq(value), Some(found)) => found == value,
            (Self::In(values), Some(found)) => values.contains(found),
            (Self::Order(ordering, bound), Some(found)) => {
                compare(found, bound).is_some_and(|o| match ordering {
                    Ordering::Gt => o.is_gt(),
                    Ordering::Gte => o.is_ge(),
                    Ordering::Lt => o.is_lt(),
                    Ordering::Lte => o.is_le(),
                })
            }
            (Self::StartsWith(prefix), Some(Value::String(text))) => text.starts_with(prefix.as_str()),
            (Self::StartsWith(_), Some(_)) => false,
        }
    }
}

/// Numbers with numbers, strings with strings; anything else does not compare.
fn compare(found: &Value, bound: &Value) -> Option<std::cmp::Ordering> {
    match (found, bound) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        _ => None,
    }
}

/// An empty object: a filter that every payload passes.
pub fn is_everything(value: &Value) -> bool {
    value.as_object().is_some_and(Map::is_empty)
}

#[cfg(test)]
mod tests;
