//! The template's intrinsic functions, evaluated the way CloudFormation would for the local stack.

use std::collections::BTreeMap;

use anyhow::{Context as _, anyhow, bail};
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::{Provisioned, QUEUE, Template};

/// Something the template refers to that provisioning has not made yet (a queue another queue points
/// at); the queue waits for a later pass instead of failing.
#[derive(Debug, thiserror::Error)]
#[error("not yet made: {0}")]
pub(super) struct NotYetMade(pub(super) String);

/// Evaluates the intrinsic functions the template uses, the way CloudFormation would, against the
/// parameters (defaults, or `overrides`) and what was provisioned: `Ref`, `Fn::GetAtt`, `Fn::Sub`,
/// `Fn::Split`, `Fn::Join`, `Fn::Select`, `Fn::Length` (the last from AWS::LanguageExtensions) and `Fn::If`
/// over the template's conditions, in their short (`!Sub`) and long (`Fn::Sub:`) forms.
pub(super) struct Resolver<'a> {
    pub(super) template: &'a Template,
    pub(super) overrides: &'a BTreeMap<String, String>,
    pub(super) made: &'a Provisioned,
    /// `AWS::StackName`: the prefix every local resource name starts with.
    pub(super) stack_name: &'a str,
}

impl Resolver<'_> {
    pub(super) fn resolve(&self, value: &Yaml) -> anyhow::Result<Json> {
        Ok(match value {
            Yaml::Null => Json::Null,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => serde_json::to_value(n)?,
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Sequence(items) => {
                Json::Array(items.iter().map(|i| self.resolve(i)).collect::<Result<_, _>>()?)
            }
            Yaml::Mapping(map) => {
                if let Some((function, argument)) = long_form_intrinsic(map) {
                    return self.intrinsic(function, argument);
                }
                let mut object = serde_json::Map::new();
                for (k, v) in map {
                    let key = k.as_str().ok_or_else(|| anyhow!("non-string key in the template"))?;
                    object.insert(key.to_owned(), self.resolve(v)?);
                }
                Json::Object(object)
            }
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let function = tag.trim_start_matches('!');
                self.intrinsic(function.strip_prefix("Fn::").unwrap_or(function), &tagged.value)?
            }
        })
    }

    /// `function` without its `Fn::` prefix (`Ref`, `Sub`, `Length`, ...).
    fn intrinsic(&self, function: &str, argument: &Yaml) -> anyhow::Result<Json> {
        match function {
            "Ref" => Ok(Json::String(self.reference(plain_name(function, argument)?)?)),
            "GetAtt" => {
                let (logical_id, attribute) = match argument {
                    Yaml::String(text) => text
                        .split_once('.')
                        .ok_or_else(|| anyhow!("!GetAtt {text} needs LogicalId.Attribute"))?,
                    Yaml::Sequence(parts) => match parts.as_slice() {
                        [Yaml::String(id), Yaml::String(attribute)] => (id.as_str(), attribute.as_str()),
                        _ => bail!("Fn::GetAtt takes [LogicalId, Attribute]"),
                    },
                    _ => bail!("Fn::GetAtt takes LogicalId.Attribute or [LogicalId, Attribute]"),
                };
                Ok(Json::String(self.attribute(logical_id, attribute)?))
            }
            "Sub" => {
                let (text, variables) = match argument {
                    Yaml::String(text) => (text.as_str(), None),
                    Yaml::Sequence(parts) => match parts.as_slice() {
                        [Yaml::String(text), Yaml::Mapping(variables)] => (text.as_str(), Some(variables)),
                        _ => bail!("Fn::Sub takes a string or [string, {{variables}}]"),
                    },
                    _ => bail!("Fn::Sub takes a string or [string, {{variables}}]"),
                };
                let mut values = BTreeMap::new();
                for (name, value) in variables.into_iter().flatten() {
                    let name = name.as_str().ok_or_else(|| anyhow!("Fn::Sub variable names are strings"))?;
                    values.insert(name.to_owned(), text_of(&self.resolve(value)?)?);
                }
                Ok(Json::String(self.substitute(text, &values)?))
            }
            "Split" => {
                let [delimiter, source] = two_arguments(function, argument)?;
                let delimiter = text_of(&self.resolve(delimiter)?)?;
                let source = text_of(&self.resolve(source)?)?;
                anyhow::ensure!(!delimiter.is_empty(), "Fn::Split needs a delimiter");
                Ok(Json::Array(
                    source.split(delimiter.as_str()).map(|s| Json::String(s.to_owned())).collect(),
                ))
            }
            "Join" => {
                let [delimiter, list] = two_arguments(function, argument)?;
                let delimiter = text_of(&self.resolve(delimiter)?)?;
                let items = list_of(self.resolve(list)?)?;
                Ok(Json::String(items.iter().map(text_of).collect::<Result<Vec<_>, _>>()?.join(&delimiter)))
            }
            "Select" => {
                let [index, list] = two_arguments(function, argument)?;
                let index: usize = text_of(&self.resolve(index)?)?.parse().context("Fn::Select's index")?;
                let items = list_of(self.resolve(list)?)?;
                items.get(index).cloned().ok_or_else(|| anyhow!("Fn::Select: no item {index}"))
            }
            "Length" => Ok(Json::from(list_of(self.resolve(argument)?)?.len())),
            // Only the branch the condition picks is resolved, as CloudFormation does: the other may name
            // a resource that is not made here (the static-IP VPC's addresses, say).
            "If" => match argument {
                Yaml::Sequence(parts) => match parts.as_slice() {
                    [Yaml::String(condition), when_true, when_false] => {
                        let branch = if self.condition(condition)? { when_true } else { when_false };
                        self.resolve(branch)
                    }
                    _ => bail!("Fn::If takes [ConditionName, value if true, value if false]"),
                },
                _ => bail!("Fn::If takes [ConditionName, value if true, value if false]"),
            },
            other => bail!("the local provisioner cannot resolve Fn::{other} (or !{other})"),
        }
    }

    /// `Fn::Sub`: `${Name}` is a variable, a parameter, a resource or a pseudo parameter; `${Id.Attr}`
    /// a resource attribute; `${!Literal}` stays `${Literal}`.
    fn substitute(&self, text: &str, variables: &BTreeMap<String, String>) -> anyhow::Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| anyhow!("Fn::Sub: unclosed ${{ in {text:?}"))?;
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = variables.get(name) {
                out.push_str(value);
            } else if let Some((logical_id, attribute)) =
                name.split_once('.').filter(|_| !name.starts_with("AWS::"))
            {
                out.push_str(&self.attribute(logical_id, attribute)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A named condition of the template's `Conditions`, evaluated.
    fn condition(&self, name: &str) -> anyhow::Result<bool> {
        let definition =
            self.template.condition(name).ok_or_else(|| anyhow!("the template has no condition {name}"))?;
        self.truth(definition)
    }

    /// `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition`, the condition functions.
    fn truth(&self, value: &Yaml) -> anyhow::Result<bool> {
        let (function, argument) = match value {
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let function = tag.trim_start_matches('!').trim_start_matches("Fn::").to_owned();
                (function, &tagged.value)
            }
            Yaml::Mapping(map) if map.len() == 1 => {
                let (key, argument) = map.iter().next().ok_or_else(|| anyhow!("an empty condition"))?;
                let key = key.as_str().ok_or_else(|| anyhow!("a condition function is named by a string"))?;
                (key.trim_start_matches("Fn::").to_owned(), argument)
            }
            _ => bail!("a condition is Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition"),
        };
        let each = |argument: &Yaml| -> anyhow::Result<Vec<bool>> {
            argument
                .as_sequence()
                .ok_or_else(|| anyhow!("Fn::{function} takes a list"))?
                .iter()
                .map(|c| self.truth(c))
                .collect()
        };
        match function.as_str() {
            "Equals" => {
                let [a, b] = two_arguments("Equals", argument)?;
                Ok(text_of(&self.resolve(a)?)? == text_of(&self.resolve(b)?)?)
            }
            "Not" => {
                Ok(!each(argument)?.first().copied().ok_or_else(|| anyhow!("Fn::Not takes [condition]"))?)
            }
            "And" => Ok(each(argument)?.iter().all(|b| *b)),
            "Or" => Ok(each(argument)?.iter().any(|b| *b)),
            "Condition" => {
                self.condition(argument.as_str().ok_or_else(|| anyhow!("Condition names a condition"))?)
            }
            other => bail!("the local provisioner cannot evaluate the condition function {other}"),
        }
    }

    fn reference(&self, name: &str) -> anyhow::Result<String> {
        if self.template.is_parameter(name) {
            return self
                .template
                .parameter(name, self.overrides)
                .ok_or_else(|| anyhow!("parameter {name} has no default and no value was given"));
        }
        if let Some(url) = self.made.queue_urls.get(name) {
            return Ok(url.clone());
        }
        if let Some(table) = self.made.tables.get(name) {
            return Ok(table.clone());
        }
        match name {
            "AWS::StackName" => return Ok(self.stack_name.to_owned()),
            "AWS::Region" => return Ok(region()),
            "AWS::Partition" => return Ok("aws".to_owned()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".to_owned()),
            _ => {}
        }
        if self.template.is_resource_of_type(name, QUEUE) {
            return Err(NotYetMade(name.to_owned()).into());
        }
        bail!("cannot resolve !Ref {name}")
    }

    fn attribute(&self, logical_id: &str, attribute: &str) -> anyhow::Result<String> {
        if !self.template.is_resource_of_type(logical_id, QUEUE) {
            bail!("the local provisioner resolves !GetAtt of queues only, not {logical_id}.{attribute}");
        }
        let (Some(url), Some(arn)) =
            (self.made.queue_urls.get(logical_id), self.made.queue_arns.get(logical_id))
        else {
            return Err(NotYetMade(logical_id.to_owned()).into());
        };
        match attribute {
            "Arn" => Ok(arn.clone()),
            "QueueUrl" => Ok(url.clone()),
            "QueueName" => Ok(arn.rsplit(':').next().unwrap_or_default().to_owned()),
            _ => bail!("a queue has no attribute {attribute} the local provisioner knows"),
        }
    }
}

/// `{Ref: X}` or `{Fn::Name: argument}`: a mapping with one key that names an intrinsic function.
fn long_form_intrinsic(map: &serde_yaml::Mapping) -> Option<(&str, &Yaml)> {
    if map.len() != 1 {
        return None;
    }
    let (key, argument) = map.iter().next()?;
    let key = key.as_str()?;
    let function = if key == "Ref" { key } else { key.strip_prefix("Fn::")? };
    Some((function, argument))
}

fn plain_name<'y>(function: &str, argument: &'y Yaml) -> anyhow::Result<&'y str> {
    argument.as_str().ok_or_else(|| anyhow!("{function} needs a plain name"))
}

fn two_arguments<'y>(function: &str, argument: &'y Yaml) -> anyhow::Result<[&'y Yaml; 2]> {
    match argument.as_sequence().map(Vec::as_slice) {
        Some([first, second]) => Ok([first, second]),
        _ => bail!("Fn::{function} takes a list of two arguments"),
    }
}

fn text_of(value: &Json) -> anyhow::Result<String> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => bail!("expected a string, got {other}"),
    }
}

fn list_of(value: Json) -> anyhow::Result<Vec<Json>> {
    match value {
        Json::Array(items) => Ok(items),
        other => bail!("expected a list, got {other}"),
    }
}

/// The region the SDK clients use (the same variables `hookline::aws_config` reads).
fn region() -> String {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "us-east-1".to_owned())
}

pub(super) fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn attribute_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}
