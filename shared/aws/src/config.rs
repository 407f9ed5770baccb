//! Typed configuration from the environment the SAM template (or the local provisioner) sets.

use std::sync::Arc;
use std::time::Duration;

use hookline::app::AppSettings;
use hookline::delivery::DeliverySettings;
use hookline::lookup::UrlGuard;
use hookline::metrics::Metrics;
use hookline_core::address_policy::AddressPolicy;
use hookline_core::retry::RetrySchedule;

use crate::emf::{EmfMetrics, MetricsConfig, NAMESPACE};
use crate::http_sender::HttpSettings;
use crate::resolver::SystemLookup;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub delivery_queue_url: String,
    pub retry_schedule: RetrySchedule,
    /// The delivery queue's `maxReceiveCount` (the template derives both from `RetrySchedule`).
    pub max_receive_count: u32,
    pub max_body_bytes: usize,
    pub allow_http: bool,
    pub policy: AddressPolicy,
    pub retention_days: u32,
    pub delivery_concurrency: usize,
    /// Deliveries to one endpoint an instance runs at once.
    pub endpoint_concurrency: usize,
    /// Seconds a delivery instance uses an endpoint it read before reading it again.
    pub endpoint_cache_secs: u64,
    pub access_cache_secs: u64,
    /// The metrics' namespace, and whether also per tenant (a CloudWatch metric per tenant and name).
    pub metrics: MetricsConfig,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub response_body_limit: usize,
    /// Events per second a tenant may send unless it has its own limit.
    pub ingest_rate_limit: u32,
    /// Hours an endpoint may fail without one success before it is disabled.
    pub disable_after_failing_hours: u64,
    /// Where portal links point when the portal is not reached through the API's own address (a custom
    /// domain in front of API Gateway, say). Ends in `/`.
    pub portal_url: Option<String>,
    /// `HOOKLINE_SOURCE_IPS`: the NAT gateways' Elastic IPs when deliveries leave from fixed addresses.
    pub source_ips: Vec<std::net::IpAddr>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required =
            |name: &'static str| lookup(name).filter(|v| !v.is_empty()).ok_or(ConfigError::Missing(name));
        let optional = |name: &'static str| lookup(name).filter(|v| !v.is_empty());
        let config = Self {
            table_name: required("HOOKLINE_TABLE_NAME")?,
            delivery_queue_url: required("HOOKLINE_DELIVERY_QUEUE_URL")?,
            retry_schedule: match optional("HOOKLINE_RETRY_SCHEDULE") {
                Some(text) => retry_schedule(&text)?,
                None => RetrySchedule::standard(),
            },
            max_body_bytes: max_body_bytes(optional("HOOKLINE_MAX_BODY_BYTES"))?,
            max_receive_count: 0,
            source_ips: optional("HOOKLINE_SOURCE_IPS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|ip| !ip.is_empty())
                .map(|ip| {
                    ip.parse()
                        .map_err(|_| invalid("HOOKLINE_SOURCE_IPS", format!("`{ip}` is not an IP address")))
                })
                .collect::<Result<_, _>>()?,
            portal_url: optional("HOOKLINE_PORTAL_URL")
                .map(|url| if url.ends_with('/') { url } else { format!("{url}/") }),
            allow_http: flag(optional("HOOKLINE_ALLOW_HTTP"), "HOOKLINE_ALLOW_HTTP")?,
            metrics: MetricsConfig {
                namespace: optional("HOOKLINE_METRICS_NAMESPACE").unwrap_or_else(|| NAMESPACE.to_owned()),
                by_tenant: flag(optional("HOOKLINE_METRICS_BY_TENANT"), "HOOKLINE_METRICS_BY_TENANT")?,
            },
            policy: AddressPolicy::allowing(&optional("HOOKLINE_ALLOWED_PRIVATE_CIDRS").unwrap_or_default())
                .map_err(|e| invalid("HOOKLINE_ALLOWED_PRIVATE_CIDRS", e))?,
            retention_days: number(
                optional("HOOKLINE_ATTEMPT_RETENTION_DAYS"),
                "HOOKLINE_ATTEMPT_RETENTION_DAYS",
                30,
            )?,
            delivery_concurrency: number(
                optional("HOOKLINE_DELIVERY_CONCURRENCY"),
                "HOOKLINE_DELIVERY_CONCURRENCY",
                10,
            )?,
            endpoint_concurrency: number(
                optional("HOOKLINE_ENDPOINT_CONCURRENCY"),
                "HOOKLINE_ENDPOINT_CONCURRENCY",
                4,
            )?,
            endpoint_cache_secs: number(
                optional("HOOKLINE_ENDPOINT_CACHE_SECS"),
                "HOOKLINE_ENDPOINT_CACHE_SECS",
                5,
            )?,
            access_cache_secs: number(
                optional("HOOKLINE_ACCESS_CACHE_SECS"),
                "HOOKLINE_ACCESS_CACHE_SECS",
                5,
            )?,
            connect_timeout: Duration::from_secs(number(
                optional("HOOKLINE_CONNECT_TIMEOUT_SECS"),
                "HOOKLINE_CONNECT_TIMEOUT_SECS",
                5,
            )?),
            request_timeout: Duration::from_secs(number(
                optional("HOOKLINE_REQUEST_TIMEOUT_SECS"),
                "HOOKLINE_REQUEST_TIMEOUT_SECS",
                15,
            )?),
            response_body_limit: number(
                optional("HOOKLINE_RESPONSE_BODY_LIMIT"),
                "HOOKLINE_RESPONSE_BODY_LIMIT",
                4096,
            )?,
            disable_after_failing_hours: number(
                optional("HOOKLINE_DISABLE_AFTER_FAILING_HOURS"),
                "HOOKLINE_DISABLE_AFTER_FAILING_HOURS",
                120,
            )?,
            ingest_rate_limit: number(
                optional("HOOKLINE_INGEST_RATE_LIMIT"),
                "HOOKLINE_INGEST_RATE_LIMIT",
                100,
            )?,
        };
        // The template's derivation (one receive per attempt, plus 5) when the variable is not set.
        let derived = config.retry_schedule.attempts().saturating_add(5);
        let max_receive_count =
            number(optional("HOOKLINE_MAX_RECEIVE_COUNT"), "HOOKLINE_MAX_RECEIVE_COUNT", derived)?;
        if max_receive_count < 5 {
            return Err(invalid(
                "HOOKLINE_MAX_RECEIVE_COUNT",
                "at least 5, so receives stay in reserve for crashes",
            ));
        }
        Ok(Self { max_receive_count, ..config })
    }

    pub fn app_settings(&self) -> AppSettings {
        AppSettings {
            urls: UrlGuard::new(self.policy.clone(), self.allow_http, Arc::new(SystemLookup)),
            max_attempts: self.retry_schedule.attempts(),
            metrics: self.emf_metrics(),
            default_rate_limit: self.ingest_rate_limit.max(1),
            max_body_bytes: self.max_body_bytes,
            portal_url: self.portal_url.clone(),
            source_ips: self.source_ips.clone(),
            access_cache: Duration::from_secs(self.access_cache_secs),
        }
    }

    pub fn delivery_settings(&self) -> DeliverySettings {
        DeliverySettings {
            schedule: self.retry_schedule.clone(),
            concurrency: self.delivery_concurrency.max(1),
            endpoint_concurrency: self.endpoint_concurrency.max(1),
            metrics: self.emf_metrics(),
            max_receive_count: self.max_receive_count,
            endpoint_cache: Duration::from_secs(self.endpoint_cache_secs),
            disable_after: Duration::from_secs(self.disable_after_failing_hours.max(1) * 3600),
        }
    }

    /// Metrics as CloudWatch EMF on stdout, in the deployment's namespace.
    pub fn emf_metrics(&self) -> Metrics {
        Metrics::new(EmfMetrics::stdout(&self.metrics))
    }

    pub fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            response_body_limit: self.response_body_limit,
            allow_http: self.allow_http,
            policy: self.policy.clone(),
        }
    }
}

/// SQS keeps a message at most 14 days: a schedule that could outlast that would lose messages.
const MAX_QUEUE_RETENTION: Duration = Duration::from_secs(14 * 86_400);

fn retry_schedule(text: &str) -> Result<RetrySchedule, ConfigError> {
    let name = "HOOKLINE_RETRY_SCHEDULE";
    let schedule = RetrySchedule::parse(text).map_err(|e| invalid(name, e))?;
    if schedule.longest_span() >= MAX_QUEUE_RETENTION {
        return Err(invalid(name, "with jitter it could outlast SQS's 14-day message retention"));
    }
    Ok(schedule)
}

/// Larger events could be accepted and then never stored or queued (see `hookline_core::limits`).
const MAX_BODY_BYTES_LIMIT: usize = hookline_core::limits::MAX_EVENT_BYTES;

fn max_body_bytes(value: Option<String>) -> Result<usize, ConfigError> {
    let name = "HOOKLINE_MAX_BODY_BYTES";
    let bytes = number(value, name, 256 * 1024)?;
    if bytes > MAX_BODY_BYTES_LIMIT {
        return Err(invalid(
            name,
            format!("at most {MAX_BODY_BYTES_LIMIT}, so the message item and a delivery task always fit"),
        ));
    }
    Ok(bytes)
}

fn flag(value: Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match value.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(invalid(name, format!("`{other}` is not true or false"))),
    }
}

fn invalid(name: &'static str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid { name, reason: reason.to_string() }
}

fn number<T: std::str::FromStr>(
    value: Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| invalid(name, format!("`{text}` is not a whole number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const REQUIRED: [(&str, &str); 2] =
        [("HOOKLINE_TABLE_NAME", "t"), ("HOOKLINE_DELIVERY_QUEUE_URL", "http://q")];

    #[test]
    fn defaults_are_production_safe() {
        let config = config(&REQUIRED).unwrap();
        assert_eq!(config.retry_schedule, RetrySchedule::standard());
        assert_eq!(config.max_body_bytes, 262_144);
        assert!(!config.allow_http);
        assert!(!config.policy.permits("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn the_source_ips_are_read_as_addresses_and_empty_means_not_fixed() {
        assert!(config(&REQUIRED).unwrap().source_ips.is_empty());
        let vars = [REQUIRED[0], REQUIRED[1], ("HOOKLINE_SOURCE_IPS", "203.0.113.10, 2001:db8::1")];
        let ips: Vec<String> = config(&vars).unwrap().source_ips.iter().map(ToString::to_string).collect();
        assert_eq!(ips, vec!["203.0.113.10", "2001:db8::1"]);
        let bad = [REQUIRED[0], REQUIRED[1], ("HOOKLINE_SOURCE_IPS", "nat-gateway")];
        assert!(matches!(config(&bad), Err(ConfigError::Invalid { name: "HOOKLINE_SOURCE_IPS", .. })));
    }

    #[test]
    fn a_missing_table_name_is_named_in_the_error() {
        let err = config(&[("HOOKLINE_DELIVERY_QUEUE_URL", "http://q")]).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("HOOKLINE_TABLE_NAME")));
    }

    #[test]
    fn invalid_values_are_refused_not_defaulted() {
        let longer_than_retention = format!("0s{}", ",12h".repeat(30));
        for (name, value) in [
            ("HOOKLINE_RETRY_SCHEDULE", "later"),
            ("HOOKLINE_RETRY_SCHEDULE", &longer_than_retention),
            ("HOOKLINE_ENDPOINT_CONCURRENCY", "-1"),
            ("HOOKLINE_METRICS_BY_TENANT", "1"),
            ("HOOKLINE_MAX_BODY_BYTES", "big"),
            ("HOOKLINE_MAX_BODY_BYTES", "1048576"),
            ("HOOKLINE_MAX_BODY_BYTES", "358401"),
            ("HOOKLINE_MAX_RECEIVE_COUNT", "4"),
            ("HOOKLINE_ALLOW_HTTP", "yes"),
            ("HOOKLINE_ALLOWED_PRIVATE_CIDRS", "localhost"),
        ] {
            let mut vars = REQUIRED.to_vec();
            vars.push((name, value));
            assert!(
                matches!(config(&vars), Err(ConfigError::Invalid { name: n, .. }) if n == name),
                "{name}"
            );
        }
    }

    #[test]
    fn local_development_settings_are_read() {
        let mut vars = REQUIRED.to_vec();
        vars.extend([
            ("HOOKLINE_ALLOW_HTTP", "true"),
            ("HOOKLINE_ALLOWED_PRIVATE_CIDRS", "127.0.0.0/8"),
            ("HOOKLINE_RETRY_SCHEDULE", "0s,1s"),
        ]);
        let config = config(&vars).unwrap();
        assert!(config.allow_http);
        assert!(config.policy.permits("127.0.0.1".parse().unwrap()));
        assert_eq!(config.retry_schedule.attempts(), 2);
    }

    #[test]
    fn max_receive_count_is_the_templates_or_derived_like_it() {
        let mut vars = REQUIRED.to_vec();
        vars.push(("HOOKLINE_RETRY_SCHEDULE", "0s,1s,1s"));
        assert_eq!(
            config(&vars).unwrap().max_receive_count,
            8,
            "attempts plus five, as the template derives"
        );
        vars.push(("HOOKLINE_MAX_RECEIVE_COUNT", "9"));
        assert_eq!(config(&vars).unwrap().delivery_settings().max_receive_count, 9);
    }

    #[test]
    fn the_largest_accepted_event_is_the_one_that_fits_the_item_and_the_task() {
        let mut vars = REQUIRED.to_vec();
        let largest = hookline_core::limits::MAX_EVENT_BYTES.to_string();
        vars.push(("HOOKLINE_MAX_BODY_BYTES", largest.as_str()));
        assert_eq!(config(&vars).unwrap().max_body_bytes, hookline_core::limits::MAX_EVENT_BYTES);
    }
}
