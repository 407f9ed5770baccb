//! The endpoint form, for create and edit: its fields as typed, the API's error shown at the field it
//! concerns, and the event-type picker built from the tenant's catalogue.

use std::collections::BTreeMap;

use hookline_api::{ApiError, CreateEndpoint, EndpointView, EventTypeView, UpdateEndpoint};

use super::auth_fields::AuthFields;
use crate::form::Form;
use crate::html::Html;
use crate::layout::csrf_field;

/// The form's fields as the user typed them.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub other_types: String,
    pub headers: String,
    pub rate_limit: String,
    pub retry_schedule: String,
    pub payload_filter: String,
    pub auth: AuthFields,
    /// `v1`, `v1a` or both, as ticked.
    pub signature_versions: Vec<String>,
    pub enabled: bool,
}

/// An error and the field it belongs to (`None`: the form as a whole).
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: Option<&'static str>,
    pub message: String,
}

impl FieldError {
    /// Where an API error belongs: the field its code or words name.
    pub fn of(error: &ApiError) -> Self {
        let words = error.message.to_ascii_lowercase();
        let field = match error.code {
            _ if words.starts_with("auth") => Some("auth_secret"),
            _ if words.starts_with("signature_versions") => Some("signature_versions"),
            "invalid_url" | "url_not_allowed" => Some("url"),
            "invalid_filter" => Some("payload_filter"),
            _ if words.contains("header") => Some("headers"),
            _ if words.contains("rate") => Some("rate_limit"),
            _ if words.contains("retry") || words.contains("schedule") || words.contains("delay") => {
                Some("retry_schedule")
            }
            _ if words.contains("event type") || words.contains("event_type") => Some("other_types"),
            _ if words.contains("description") => Some("description"),
            _ if words.contains("url") => Some("url"),
            _ => None,
        };
        Self { field, message: error.message.clone() }
    }
}

impl Fields {
    pub fn blank() -> Self {
        Self {
            enabled: true,
            auth: AuthFields::of(None),
            signature_versions: vec!["v1".to_owned()],
            ..Self::default()
        }
    }

    pub fn of(view: &EndpointView, catalogue: &[EventTypeView]) -> Self {
        let (known, other): (Vec<String>, Vec<String>) = view
            .event_types
            .iter()
            .cloned()
            .partition(|name| catalogue.iter().any(|t| t.name.as_str() == name));
        Self {
            url: view.url.clone(),
            description: view.description.clone().unwrap_or_default(),
            event_types: known,
            other_types: other.join(", "),
            headers: view.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n"),
            rate_limit: view.rate_limit.map(|r| r.to_string()).unwrap_or_default(),
            retry_schedule: view.retry_schedule.clone().unwrap_or_default().join(", "),
            payload_filter: view.payload_filter.as_ref().map(ToString::to_string).unwrap_or_default(),
            auth: AuthFields::of(view.auth.as_ref()),
            signature_versions: view.signature_versions.clone(),
            enabled: view.enabled,
        }
    }

    pub fn read(form: &Form) -> Self {
        Self {
            url: form.get("url").unwrap_or_default().to_owned(),
            description: form.get("description").unwrap_or_default().to_owned(),
            event_types: form.all("event_types").into_iter().map(str::to_owned).collect(),
            other_types: form.get("other_types").unwrap_or_default().to_owned(),
            headers: form.get("headers").unwrap_or_default().to_owned(),
            rate_limit: form.get("rate_limit").unwrap_or_default().to_owned(),
            retry_schedule: form.get("retry_schedule").unwrap_or_default().to_owned(),
            payload_filter: form.get("payload_filter").unwrap_or_default().to_owned(),
            auth: AuthFields::read(form),
            signature_versions: form.all("signature_versions").into_iter().map(str::to_owned).collect(),
            enabled: form.checked("enabled"),
        }
    }

    fn types(&self) -> Vec<String> {
        let mut all = self.event_types.clone();
        all.extend(list(&self.other_types));
        if all.is_empty() { vec!["*".to_owned()] } else { all }
    }

    fn headers(&self) -> Result<BTreeMap<String, String>, FieldError> {
        let mut headers = BTreeMap::new();
        for line in self.headers.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':').ok_or_else(|| FieldError {
                field: Some("headers"),
                message: format!("`{line}` is not `Name: value`"),
            })?;
            headers.insert(name.trim().to_owned(), value.trim().to_owned());
        }
        Ok(headers)
    }

    fn rate_limit(&self) -> Result<Option<u32>, FieldError> {
        if self.rate_limit.is_empty() {
            return Ok(None);
        }
        self.rate_limit.parse().map(Some).map_err(|_| FieldError {
            field: Some("rate_limit"),
            message: "the rate limit is a whole number of deliveries per second".into(),
        })
    }

    fn payload_filter(&self) -> Result<Option<serde_json::Value>, FieldError> {
        if self.payload_filter.is_empty() {
            return Ok(None);
        }
        serde_json::from_str(&self.payload_filter).map(Some).map_err(|e| FieldError {
            field: Some("payload_filter"),
            message: format!("the payload filter is not JSON: {e}"),
        })
    }

    fn schedule(&self) -> Option<Vec<String>> {
        let delays = list(&self.retry_schedule);
        (!delays.is_empty()).then_some(delays)
    }

    pub fn to_create(&self) -> Result<CreateEndpoint, FieldError> {
        Ok(CreateEndpoint {
            url: self.url.clone(),
            event_types: self.types(),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            enabled: true,
            headers: self.headers()?,
            rate_limit: self.rate_limit()?,
            retry_schedule: self.schedule(),
            metadata: BTreeMap::new(),
            payload_filter: self.payload_filter()?,
            auth: self.auth.to_create()?,
            signature_versions: Some(self.signature_versions.clone()),
        })
    }

    pub fn to_update(&self) -> Result<UpdateEndpoint, FieldError> {
        Ok(UpdateEndpoint {
            url: Some(self.url.clone()),
            event_types: Some(self.types()),
            description: Some(Some(self.description.clone()).filter(|d| !d.is_empty())),
            enabled: Some(self.enabled),
            headers: Some(self.headers()?),
            rate_limit: Some(self.rate_limit()?),
            retry_schedule: Some(self.schedule()),
            metadata: None,
            payload_filter: Some(self.payload_filter()?),
            auth: self.auth.to_update()?,
            signature_versions: Some(self.signature_versions.clone()),
        })
    }
}

fn list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The form, posting to `action`.
pub fn render(
    html: &mut Html,
    action: &str,
    csrf: &str,
    fields: &Fields,
    catalogue: &[EventTypeView],
    error: Option<&FieldError>,
    editing: bool,
) {
    let error_at = |field: &str| error.filter(|e| e.field == Some(field));
    if let Some(e) = error.filter(|e| e.field.is_none()) {
        html.raw("<p class=\"error\" role=\"alert\">").text(&e.message).raw("</p>");
    }
    html.raw("<form method=\"post\" class=\"stack card\" action=\"").text(action).raw("\" novalidate>");
    csrf_field(html, csrf);
    input(
        html,
        "url",
        "URL",
        "url",
        &fields.url,
        "Where we POST each webhook. https:// required.",
        error_at("url"),
    );
    input(
        html,
        "description",
        "Description",
        "text",
        &fields.description,
        "For you; shown in lists.",
        error_at("description"),
    );

    html.raw("<fieldset><legend>Event types</legend>");
    if catalogue.is_empty() {
        html.raw("<p class=\"hint\">No event types are published yet; type names or patterns below.</p>");
    }
    for event_type in catalogue {
        let name = event_type.name.as_str();
        let checked = if fields.event_types.iter().any(|t| t == name) { " checked" } else { "" };
        html.raw("<label><input type=\"checkbox\" name=\"event_types\" value=\"")
            .text(name)
            .raw("\"")
            .raw(checked)
            .raw("> ");
        html.el("code", name).raw("</label>");
    }
    html.raw("</fieldset>");
    input(
        html,
        "other_types",
        "Other event types or patterns",
        "text",
        &fields.other_types,
        "Comma-separated. ‘invoice.*’ is every type under invoice; ‘*’ is every type. Nothing picked means every type.",
        error_at("other_types"),
    );
    html.raw("<div class=\"field\"><label for=\"headers\">Extra headers</label>");
    html.raw("<textarea id=\"headers\" name=\"headers\" aria-describedby=\"headers-hint\">")
        .text(&fields.headers)
        .raw("</textarea>");
    html.raw(
        "<p class=\"hint\" id=\"headers-hint\">One ‘Name: value’ per line, sent with every delivery.</p>",
    );
    field_error(html, error_at("headers"));
    html.raw("</div>");
    input(
        html,
        "rate_limit",
        "Rate limit",
        "number",
        &fields.rate_limit,
        "Deliveries per second at most; empty for no limit.",
        error_at("rate_limit"),
    );
    input(
        html,
        "retry_schedule",
        "Retry schedule",
        "text",
        &fields.retry_schedule,
        "Delays before each attempt, e.g. ‘0s, 1m, 10m, 1h’; empty for the default.",
        error_at("retry_schedule"),
    );
    html.raw("<div class=\"field\"><label for=\"payload_filter\">Payload filter (JSON)</label>");
    html.raw(
        "<textarea id=\"payload_filter\" name=\"payload_filter\" aria-describedby=\"payload_filter-hint\">",
    );
    html.text(&fields.payload_filter).raw("</textarea><p class=\"hint\" id=\"payload_filter-hint\">");
    html.text("Only events whose payload matches, e.g. {\"amount\": {\"$gte\": 100}, \"customer.tier\": \"gold\"}. Operators: $eq $neq $in $nin $gt $gte $lt $lte $exists $startsWith, combined with $and $or $not. Empty: every payload.");
    html.raw("</p>");
    field_error(html, error_at("payload_filter"));
    html.raw("</div>");
    fields.auth.render(html, error_at("auth_secret"));
    signature_versions(html, &fields.signature_versions, error_at("signature_versions"));
    if editing {
        let checked = if fields.enabled { " checked" } else { "" };
        html.raw("<p><label><input type=\"checkbox\" name=\"enabled\" value=\"on\"")
            .raw(checked)
            .raw("> Enabled</label></p>");
    }
    let label = if editing { "Save changes" } else { "Create endpoint" };
    html.raw("<p><button type=\"submit\">").text(label).raw("</button></p></form>");
}

fn signature_versions(html: &mut Html, ticked: &[String], error: Option<&FieldError>) {
    html.raw("<fieldset><legend>Signatures</legend>");
    for (value, words) in [
        ("v1", "v1: HMAC-SHA256 with your signing secret"),
        ("v1a", "v1a: Ed25519, verified with a public key (no shared secret)"),
    ] {
        let checked = if ticked.iter().any(|t| t == value) { " checked" } else { "" };
        html.raw("<label><input type=\"checkbox\" name=\"signature_versions\" value=\"").text(value);
        html.raw("\"").raw(checked).raw("> ").text(words).raw("</label>");
    }
    html.raw("<p class=\"hint\">Tick both while your receiver moves from one to the other.</p>");
    field_error(html, error);
    html.raw("</fieldset>");
}

fn input(
    html: &mut Html,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    hint: &str,
    error: Option<&FieldError>,
) {
    html.raw("<div class=\"field\"><label for=\"").text(name).raw("\">").text(label).raw("</label>");
    html.raw("<input id=\"")
        .text(name)
        .raw("\" name=\"")
        .text(name)
        .raw("\" type=\"")
        .text(kind)
        .raw("\" value=\"")
        .text(value);
    html.raw("\" aria-describedby=\"").text(name).raw("-hint\"");
    if error.is_some() {
        html.raw(" aria-invalid=\"true\"");
    }
    html.raw("><p class=\"hint\" id=\"").text(name).raw("-hint\">").text(hint).raw("</p>");
    field_error(html, error);
    html.raw("</div>");
}

fn field_error(html: &mut Html, error: Option<&FieldError>) {
    if let Some(error) = error {
        html.raw("<p class=\"field-error\" role=\"alert\">").text(&error.message).raw("</p>");
    }
}
