//! The end-to-end harness: a fresh stack per test (queues and table provisioned from
//! `infra/template.yaml` into the emulator at `AWS_ENDPOINT_URL`), the real handlers wired to the real
//! SDK clients, and the local SQS event source feeding the delivery handler in-process.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use aws_lambda_events::event::sqs::SqsEvent;
use hookline::app::{App, AppSettings};
use hookline::clock::{Clock as _, SystemClock};
use hookline::delivery::{Delivery, DeliverySettings};
use hookline::metrics::Metrics;
use hookline::store::AttemptStore as _;
use hookline::tenants::{NewTenant, create_tenant, issue_platform_key};
use hookline::testing::RecordedMetrics;
use hookline_aws::AwsPorts;
use hookline_aws::config::Config;
use hookline_aws::dynamo::DynamoStore;
use hookline_aws::http_sender::HttpSender;
use hookline_aws::sqs::SqsQueue;
use hookline_core::model::Attempt;
use hookline_core::signing::Secret;
use hookline_core::tenancy::Tenant;
use hookline_local::event_source::{EventSource, Invoke, PollOutcome};
use hookline_local::provision::{Provisioned, Template, provision};
use hookline_local::receiver::{Behaviour, Receiver};
use lambda_http::RequestExt as _;
use serde_json::Value;

pub type Ingest = App<AwsPorts>;
pub type Deliveries = Delivery<AwsPorts>;

#[derive(Debug)]
pub struct Stack {
    pub aws: aws_config::SdkConfig,
    pub made: Provisioned,
    pub config: Config,
    pub ingest: Ingest,
    pub delivery: Deliveries,
    /// What both functions emitted (recorded, not printed, so tests can read them and the output stays
    /// readable).
    pub metrics: RecordedMetrics,
    pub source: EventSource,
    /// A tenant made for the test, whose key [`Stack::post`] and friends send.
    pub tenant: Tenant,
    pub token: String,
}

/// An HTTP answer from the ingest handler: status, JSON body (`Null` when empty) and headers.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: http::HeaderMap,
    /// The body as text (a portal page's HTML, say).
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The stable error code, when the answer is an error.
    pub fn code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Stack {
    /// A fresh, uniquely named stack. `parameters` override the template's parameters; local
    /// development's opt-ins (plain http, loopback receivers) are always on.
    pub async fn new(parameters: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::with_metrics(parameters, None).await
    }

    /// A fresh stack whose functions emit to `metrics` (a benchmark's EMF writer) instead of recording.
    pub async fn with_metrics(parameters: &[(&str, &str)], metrics: Option<Metrics>) -> anyhow::Result<Self> {
        anyhow::ensure!(
            std::env::var("AWS_ENDPOINT_URL").is_ok_and(|url| url.starts_with("http://127.0.0.1")),
            "AWS_ENDPOINT_URL must point at the local emulator: run the tests with scripts/test.sh"
        );
        let aws = hookline_aws::aws_config().await;
        let mut overrides: BTreeMap<String, String> = [
            ("AllowHttpEndpoints", "true"),
            ("AllowedPrivateCidrs", "127.0.0.0/8"),
            ("HOOKLINE_REQUEST_TIMEOUT_SECS", "5"),
            // Tests change endpoints and deliver at once; the tests that measure the cache set it.
            ("HOOKLINE_ENDPOINT_CACHE_SECS", "0"),
            ("HOOKLINE_ACCESS_CACHE_SECS", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        overrides.extend(parameters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let prefix =
            format!("t{}", hookline_core::ids::EndpointId::generate().as_str().trim_start_matches("ep_"));
        let template = Template::load(&repo_root().join("infra/template.yaml"))?;
        let made = provision(&aws, &template, &prefix, &overrides).await.context("provisioning")?;
        let config = Config::from_lookup(|name| made.env.get(name).cloned())?;

        let store = DynamoStore::from_sdk(&aws, &config.table_name, config.retention_days);
        let queue = SqsQueue::from_sdk(&aws, &config.delivery_queue_url);
        let sender = HttpSender::new(config.http_settings())?;
        let recorded = RecordedMetrics::default();
        let emitted = metrics.unwrap_or_else(|| recorded.metrics());
        let ingest = App::new(
            store.clone(),
            queue.clone(),
            sender.clone(),
            SystemClock,
            AppSettings { metrics: emitted.clone(), ..config.app_settings() },
        );
        let delivery = Delivery::new(
            store,
            queue,
            sender,
            SystemClock,
            DeliverySettings { metrics: emitted, ..config.delivery_settings() },
        );
        let mut source = EventSource::new(&aws, &config.delivery_queue_url).await?;
        source.wait_seconds = 0;
        let NewTenant { tenant, token, .. } =
            create_tenant(ingest.store(), "test", SystemClock.now_ms()).await?;
        let token = token.expose().to_owned();
        Ok(Self { aws, made, config, ingest, delivery, metrics: recorded, source, tenant, token })
    }

    /// Another tenant on the same stack, and its key.
    pub async fn other_tenant(&self, name: &str) -> anyhow::Result<(Tenant, String)> {
        let NewTenant { tenant, token, .. } =
            create_tenant(self.ingest.store(), name, SystemClock.now_ms()).await?;
        Ok((tenant, token.expose().to_owned()))
    }

    /// A new platform key on this stack's table, as `hookline platform-key create` makes one.
    pub async fn platform_key(&self) -> anyhow::Result<String> {
        let (_, token) = issue_platform_key(self.ingest.store(), "test", SystemClock.now_ms()).await?;
        Ok(token.expose().to_owned())
    }

    /// Calls the ingest handler as API Gateway would, with any key (or none) and extra headers.
    pub async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let mut builder =
            http::Request::builder().method(method).uri(path).header("content-type", "application/json");
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let query: std::collections::HashMap<String, Vec<String>> =
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), vec![v.into_owned()]))
                .collect();
        let request = builder
            .body(lambda_http::Body::from(body))
            .unwrap_or_default()
            .with_query_string_parameters(query);
        let response = hookline_ingest::handle(&self.ingest, request).await.unwrap_or_default();
        let status = response.status().as_u16();
        let text = match response.body() {
            lambda_http::Body::Text(text) => text.clone(),
            _ => String::new(),
        };
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Err(undocumented) = check_documented(method, path, status, &body) {
            panic!("{undocumented}");
        }
        Answer { status, body, headers: response.headers().clone(), text }
    }

    /// Registers `receiver` as an endpoint of the stack's tenant (with any `extra` fields) and gives it the
    /// secret to verify with; the endpoint as the API answered.
    pub async fn subscribe(&self, receiver: &Receiver, extra: Value) -> anyhow::Result<Value> {
        let mut body = serde_json::json!({ "url": receiver.url("/hooks") });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, endpoint) = self.post("/v1/endpoints", &body.to_string()).await;
        anyhow::ensure!(status == 201, "creating the endpoint answered {status}: {endpoint}");
        let secret = endpoint["secret"].as_str().context("no secret in the answer")?;
        receiver.set_secret(Secret::parse(secret)?);
        Ok(endpoint)
    }

    /// Sends one event as the stack's tenant; its message id.
    pub async fn send_event(&self, event_type: &str, payload: Value) -> anyhow::Result<String> {
        let event = serde_json::json!({ "event_type": event_type, "payload": payload });
        let (status, accepted) = self.post("/v1/events", &event.to_string()).await;
        anyhow::ensure!(status == 202, "sending the event answered {status}: {accepted}");
        Ok(accepted["id"].as_str().context("no id in the answer")?.to_owned())
    }

    /// `POST` as the stack's tenant.
    pub async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let answer = self.call("POST", path, Some(&self.token), &[], body).await;
        (answer.status, answer.body)
    }

    /// Any method as the stack's tenant.
    pub async fn send(&self, method: &str, path: &str, body: &str) -> Answer {
        self.call(method, path, Some(&self.token), &[], body).await
    }

    /// One round of the event source, with the delivery handler invoked in-process.
    pub async fn poll(&self) -> anyhow::Result<PollOutcome> {
        self.source.poll_once(&InProcess(&self.delivery)).await
    }

    /// Polls until `done` says so or `timeout` passes; returns whether `done` was reached.
    pub async fn poll_until(
        &self,
        timeout: Duration,
        mut done: impl AsyncFnMut() -> bool,
    ) -> anyhow::Result<bool> {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            self.poll().await?;
            if done().await {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(false)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.aws)
    }

    /// Bodies of the messages waiting in the dead-letter queue (received without deleting them).
    pub async fn dead_letters(&self) -> anyhow::Result<Vec<String>> {
        let received = self
            .sqs()
            .receive_message()
            .queue_url(self.made.queue_url("DeadLetterQueue")?)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await?;
        Ok(received.messages.unwrap_or_default().into_iter().filter_map(|m| m.body).collect())
    }

    pub async fn attempts(&self, message_id: &str) -> anyhow::Result<Vec<Attempt>> {
        let id = hookline_core::ids::MessageId::parse(message_id)?;
        Ok(self.delivery.store().attempts_for_message(&self.tenant.id, &id).await?)
    }
}

/// A receiver on 127.0.0.1, on a free port.
pub async fn receiver(behaviour: Behaviour) -> anyhow::Result<Receiver> {
    Receiver::start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), behaviour).await
}

/// Holds every answer the tests see to `openapi/openapi.yaml`: its status must be documented for the
/// operation, and an error must have the documented shape. Unrouted paths (404/405) are documented once,
/// for every path, in the document's description.
fn check_documented(method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
    static SPEC: std::sync::OnceLock<serde_yaml::Value> = std::sync::OnceLock::new();
    let spec = SPEC.get_or_init(|| serde_yaml::from_str(hookline_api::OPENAPI).unwrap_or_default());
    let method: http::Method = method.parse().map_err(|_| format!("bad method {method}"))?;
    let path = path.trim_end_matches('/');
    let Ok(matched) = hookline_api::routes::resolve(&method, path) else { return Ok(()) };
    let responses = &spec["paths"][matched.template()][method.as_str().to_ascii_lowercase()]["responses"];
    if responses.get(status.to_string()).is_none() {
        return Err(format!("{method} {path} answered {status}, which openapi.yaml does not document"));
    }
    let is_error_shape = body["error"]["code"].is_string() && body["error"]["message"].is_string();
    if status >= 400 && !is_error_shape {
        return Err(format!("{method} {path} answered {status} without the documented error shape: {body}"));
    }
    Ok(())
}

/// Invokes the delivery handler in this process with the event JSON the event source built.
#[derive(Debug)]
pub struct InProcess<'a>(pub &'a Deliveries);

impl Invoke for InProcess<'_> {
    async fn invoke(&self, event: Value) -> anyhow::Result<Value> {
        let event: SqsEvent = serde_json::from_value(event)?;
        let event = lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default());
        let answer = hookline_delivery::handle(self.0, event).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(serde_json::to_value(answer)?)
    }
}
