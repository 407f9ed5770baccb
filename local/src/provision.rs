//! Creates the template's queues and table through the real SDK (against `AWS_ENDPOINT_URL`), and
//! resolves the functions' environment the way CloudFormation would. `infra/template.yaml` stays the
//! one source of truth: nothing here repeats a queue attribute or a key schema.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

mod intrinsics;

use intrinsics::{NotYetMade, Resolver, attribute_text, scalar_text};

const QUEUE: &str = "AWS::SQS::Queue";
const TABLE: &str = "AWS::DynamoDB::Table";

#[derive(Debug, Clone)]
pub struct Template {
    root: Yaml,
}

/// What provisioning made, by logical id, and the functions' resolved environment.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    pub queue_urls: BTreeMap<String, String>,
    pub queue_arns: BTreeMap<String, String>,
    pub tables: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
}

impl Provisioned {
    pub fn queue_url(&self, logical_id: &str) -> anyhow::Result<&str> {
        self.queue_urls.get(logical_id).map(String::as_str).ok_or_else(|| anyhow!("no queue {logical_id}"))
    }

    pub fn table(&self, logical_id: &str) -> anyhow::Result<&str> {
        self.tables.get(logical_id).map(String::as_str).ok_or_else(|| anyhow!("no table {logical_id}"))
    }

    /// `KEY=value` lines, the format `cargo lambda watch --env-file` reads.
    pub fn env_file(&self) -> String {
        self.env.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
    }
}

impl Template {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(Self { root: serde_yaml::from_str(text).context("the template is not YAML")? })
    }

    fn resources_of_type(&self, kind: &str) -> Vec<(String, &Yaml)> {
        let Some(resources) = self.root.get("Resources").and_then(Yaml::as_mapping) else { return vec![] };
        resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Yaml::as_str) == Some(kind))
            .filter_map(|(id, r)| Some((id.as_str()?.to_owned(), r.get("Properties").unwrap_or(&Yaml::Null))))
            .collect()
    }

    fn condition(&self, name: &str) -> Option<&Yaml> {
        self.root.get("Conditions")?.get(name)
    }

    fn is_parameter(&self, name: &str) -> bool {
        self.root.get("Parameters").and_then(|p| p.get(name)).is_some()
    }

    fn is_resource_of_type(&self, logical_id: &str, kind: &str) -> bool {
        self.root
            .get("Resources")
            .and_then(|r| r.get(logical_id))
            .and_then(|r| r.get("Type"))
            .and_then(Yaml::as_str)
            == Some(kind)
    }

    /// A parameter's value: the override if one is given, else its default.
    pub fn parameter(&self, name: &str, overrides: &BTreeMap<String, String>) -> Option<String> {
        if let Some(value) = overrides.get(name) {
            return Some(value.clone());
        }
        let default = self.root.get("Parameters")?.get(name)?.get("Default")?;
        scalar_text(default)
    }

    /// A queue's or table's properties with every intrinsic function evaluated, as CloudFormation would
    /// hand them to SQS or DynamoDB. `made` supplies what they refer to (the dead-letter queue's ARN, say).
    pub fn resolved_properties(
        &self,
        logical_id: &str,
        stack_name: &str,
        overrides: &BTreeMap<String, String>,
        made: &Provisioned,
    ) -> anyhow::Result<Json> {
        let properties = self
            .root
            .get("Resources")
            .and_then(|r| r.get(logical_id))
            .ok_or_else(|| anyhow!("the template has no resource {logical_id}"))?
            .get("Properties")
            .unwrap_or(&Yaml::Null);
        Resolver { template: self, overrides, made, stack_name }.resolve(properties)
    }

    fn function_environment(&self) -> Vec<(String, &Yaml)> {
        let mut found = vec![];
        let globals = self.root.get("Globals").and_then(|g| g.get("Function"));
        let functions = self.resources_of_type("AWS::Serverless::Function");
        for holder in globals.into_iter().chain(functions.iter().map(|(_, props)| *props)) {
            if let Some(vars) =
                holder.get("Environment").and_then(|e| e.get("Variables")).and_then(Yaml::as_mapping)
            {
                found.extend(vars.iter().filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v))));
            }
        }
        found
    }
}

/// What AWS gives a standard queue for each attribute that CloudFormation leaves unset.
const AWS_QUEUE_DEFAULTS: &[(&str, &str)] = &[
    ("DelaySeconds", "0"),
    ("MaximumMessageSize", "262144"),
    ("MessageRetentionPeriod", "345600"),
    ("ReceiveMessageWaitTimeSeconds", "0"),
    ("VisibilityTimeout", "30"),
];

/// Creates every queue and table of the template, named `{prefix}-{LogicalId}`, and resolves the
/// functions' environment. `overrides` replace parameter values (a shorter retry schedule, say).
pub async fn provision(
    aws: &aws_config::SdkConfig,
    template: &Template,
    prefix: &str,
    overrides: &BTreeMap<String, String>,
) -> anyhow::Result<Provisioned> {
    let sqs = aws_sdk_sqs::Client::new(aws);
    let dynamodb = aws_sdk_dynamodb::Client::new(aws);
    let mut made = Provisioned::default();

    // Queues can point at each other (redrive); make them in as many passes as the references need.
    let mut pending = template.resources_of_type(QUEUE);
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = vec![];
        for (logical_id, properties) in pending {
            let resolved =
                Resolver { template, overrides, made: &made, stack_name: prefix }.resolve(properties);
            let properties = match resolved {
                Ok(Json::Object(properties)) => properties,
                Ok(Json::Null) => serde_json::Map::new(),
                Ok(other) => bail!("queue {logical_id}: Properties must be a mapping, not {other}"),
                Err(e) if e.is::<NotYetMade>() => {
                    waiting.push((logical_id, properties));
                    continue;
                }
                Err(e) => return Err(e.context(format!("resolving queue {logical_id}"))),
            };
            let mut request = sqs.create_queue().queue_name(format!("{prefix}-{logical_id}"));
            // AWS's defaults first, so the emulator's own (a 1 MiB message size, say) cannot hide a
            // setting the template forgot; then what the template sets.
            for (name, value) in AWS_QUEUE_DEFAULTS {
                if !properties.contains_key(*name) {
                    request = request.attributes(QueueAttributeName::from(*name), (*value).to_owned());
                }
            }
            for (name, value) in
                properties.iter().filter(|(name, _)| !matches!(name.as_str(), "QueueName" | "Tags"))
            {
                request = request.attributes(QueueAttributeName::from(name.as_str()), attribute_text(value));
            }
            let url = request
                .send()
                .await
                .with_context(|| format!("creating queue {logical_id}"))?
                .queue_url
                .unwrap_or_default();
            let attributes = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .with_context(|| format!("reading queue {logical_id}"))?;
            let arn = attributes
                .attributes
                .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
                .unwrap_or_default();
            made.queue_urls.insert(logical_id.clone(), url);
            made.queue_arns.insert(logical_id, arn);
        }
        if waiting.len() == before {
            bail!(
                "queues refer to each other in a way that cannot be resolved: {:?}",
                waiting.iter().map(|(id, _)| id).collect::<Vec<_>>()
            );
        }
        pending = waiting;
    }

    for (logical_id, properties) in template.resources_of_type(TABLE) {
        let properties = Resolver { template, overrides, made: &made, stack_name: prefix }
            .resolve(properties)
            .with_context(|| format!("resolving table {logical_id}"))?;
        let name = format!("{prefix}-{logical_id}");
        create_table(&dynamodb, &name, &properties)
            .await
            .with_context(|| format!("creating table {logical_id}"))?;
        made.tables.insert(logical_id, name);
    }

    for (name, value) in template.function_environment() {
        let value = Resolver { template, overrides, made: &made, stack_name: prefix }
            .resolve(value)
            .with_context(|| format!("resolving the functions' {name}"))?;
        made.env.insert(name, attribute_text(&value));
    }
    for (name, value) in
        overrides.iter().filter(|(name, _)| name.starts_with("HOOKLINE_") || *name == "RUST_LOG")
    {
        made.env.insert(name.clone(), value.clone());
    }
    Ok(made)
}

fn key_schema(value: &Json) -> anyhow::Result<Vec<KeySchemaElement>> {
    let elements = value.as_array().ok_or_else(|| anyhow!("KeySchema must be a list"))?;
    elements
        .iter()
        .map(|e| {
            Ok(KeySchemaElement::builder()
                .attribute_name(e["AttributeName"].as_str().unwrap_or_default())
                .key_type(KeyType::from(e["KeyType"].as_str().unwrap_or_default()))
                .build()?)
        })
        .collect()
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    properties: &Json,
) -> anyhow::Result<()> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::from(properties["BillingMode"].as_str().unwrap_or("PAY_PER_REQUEST")))
        .set_key_schema(Some(key_schema(&properties["KeySchema"])?));
    for definition in properties["AttributeDefinitions"].as_array().into_iter().flatten() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(definition["AttributeName"].as_str().unwrap_or_default())
                .attribute_type(ScalarAttributeType::from(
                    definition["AttributeType"].as_str().unwrap_or_default(),
                ))
                .build()?,
        );
    }
    for index in properties["GlobalSecondaryIndexes"].as_array().into_iter().flatten() {
        let projection = &index["Projection"];
        let included: Option<Vec<String>> = projection["NonKeyAttributes"]
            .as_array()
            .map(|names| names.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect());
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(projection["ProjectionType"].as_str().unwrap_or("ALL")))
            .set_non_key_attributes(included)
            .build();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index["IndexName"].as_str().unwrap_or_default())
                .set_key_schema(Some(key_schema(&index["KeySchema"])?))
                .projection(projection)
                .build()?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    let ttl = &properties["TimeToLiveSpecification"];
    if ttl["Enabled"].as_bool() == Some(true) {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl["AttributeName"].as_str().unwrap_or_default())
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
