//! The endpoint form's authentication fields: none, HTTP Basic or a bearer token. A stored credential is
//! never put back into the page: the form shows its hint, and an empty secret keeps it as it is.

use hookline_api::AuthView;
use hookline_core::endpoint_auth::{Credential, EndpointAuth};

use super::endpoint_form::FieldError;
use crate::form::Form;
use crate::html::Html;

#[derive(Debug, Clone, Default)]
pub struct AuthFields {
    /// `none`, `basic` or `bearer`.
    pub kind: String,
    pub username: String,
    /// The password or token as typed (never filled in from the store).
    pub secret: String,
    /// The stored credential's hint, `…ab12`, when editing.
    pub hint: Option<String>,
}

impl AuthFields {
    pub fn of(view: Option<&AuthView>) -> Self {
        match view {
            Some(auth) => Self {
                kind: auth.kind.clone(),
                username: auth.username.clone().unwrap_or_default(),
                secret: String::new(),
                hint: Some(auth.hint.clone()),
            },
            None => Self { kind: "none".into(), ..Self::default() },
        }
    }

    pub fn read(form: &Form) -> Self {
        Self {
            kind: form.get("auth_type").unwrap_or("none").to_owned(),
            username: form.get("auth_username").unwrap_or_default().to_owned(),
            secret: form.get("auth_secret").unwrap_or_default().to_owned(),
            hint: None,
        }
    }

    fn typed(&self) -> Result<Option<EndpointAuth>, FieldError> {
        let missing =
            |what: &str| FieldError { field: Some("auth_secret"), message: format!("enter the {what}") };
        match self.kind.as_str() {
            "basic" if self.secret.is_empty() => Err(missing("password")),
            "bearer" if self.secret.is_empty() => Err(missing("token")),
            "basic" => Ok(Some(EndpointAuth::Basic {
                username: self.username.clone(),
                password: Credential::new(self.secret.clone()),
            })),
            "bearer" => Ok(Some(EndpointAuth::Bearer { token: Credential::new(self.secret.clone()) })),
            _ => Ok(None),
        }
    }

    pub fn to_create(&self) -> Result<Option<EndpointAuth>, FieldError> {
        self.typed()
    }

    /// `None` keeps what is stored (a kind chosen with no new secret), `Some(None)` removes it.
    pub fn to_update(&self) -> Result<Option<Option<EndpointAuth>>, FieldError> {
        match self.kind.as_str() {
            "basic" | "bearer" if self.secret.is_empty() => Ok(None),
            _ => self.typed().map(Some),
        }
    }

    pub fn render(&self, html: &mut Html, error: Option<&FieldError>) {
        html.raw("<fieldset><legend>Authorization header</legend>");
        for (value, words) in [("none", "None"), ("basic", "HTTP Basic"), ("bearer", "Bearer token")] {
            let checked = if self.kind == value { " checked" } else { "" };
            html.raw("<label><input type=\"radio\" name=\"auth_type\" value=\"")
                .text(value)
                .raw("\"")
                .raw(checked);
            html.raw("> ").text(words).raw("</label>");
        }
        html.raw("<div class=\"field\"><label for=\"auth_username\">Username (Basic)</label>");
        html.raw(
            "<input id=\"auth_username\" name=\"auth_username\" type=\"text\" autocomplete=\"off\" value=\"",
        );
        html.text(&self.username)
            .raw("\"></div><div class=\"field\"><label for=\"auth_secret\">Password or token</label>");
        html.raw("<input id=\"auth_secret\" name=\"auth_secret\" type=\"password\" autocomplete=\"new-password\" aria-describedby=\"auth_secret-hint\">");
        html.raw("<p class=\"hint\" id=\"auth_secret-hint\">");
        match &self.hint {
            Some(hint) => html.text(&format!("Stored, ending in {hint}. Leave empty to keep it.")),
            None => html.text("Sent as the Authorization header with every webhook, beside the signature."),
        };
        html.raw("</p>");
        if let Some(error) = error {
            html.raw("<p class=\"field-error\" role=\"alert\">").text(&error.message).raw("</p>");
        }
        html.raw("</div></fieldset>");
    }
}
