//! The endpoint form's authentication fields: none, HTTP Basic, a bearer token, or an OAuth2
//! client-credentials grant. A stored credential is never put back into the page: the form shows its
//! hint, and an empty secret keeps it as it is.

use hookline_api::AuthView;
use hookline_core::endpoint_auth::{ClientCredentials, Credential, EndpointAuth};

use super::endpoint_form::FieldError;
use crate::form::Form;
use crate::html::Html;

const OAUTH2: &str = "oauth2_client_credentials";

#[derive(Debug, Clone, Default)]
pub struct AuthFields {
    /// `none`, `basic`, `bearer` or `oauth2_client_credentials`.
    pub kind: String,
    pub username: String,
    pub token_url: String,
    pub client_id: String,
    pub scope: String,
    /// The password, token or client secret as typed (never filled in from the store).
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
                token_url: auth.token_url.clone().unwrap_or_default(),
                client_id: auth.client_id.clone().unwrap_or_default(),
                scope: auth.scope.clone().unwrap_or_default(),
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
            token_url: form.get("auth_token_url").unwrap_or_default().trim().to_owned(),
            client_id: form.get("auth_client_id").unwrap_or_default().trim().to_owned(),
            scope: form.get("auth_scope").unwrap_or_default().trim().to_owned(),
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
            OAUTH2 if self.secret.is_empty() => Err(missing("client secret")),
            "basic" => Ok(Some(EndpointAuth::Basic {
                username: self.username.clone(),
                password: Credential::new(self.secret.clone()),
            })),
            "bearer" => Ok(Some(EndpointAuth::Bearer { token: Credential::new(self.secret.clone()) })),
            OAUTH2 => Ok(Some(EndpointAuth::OAuth2ClientCredentials(ClientCredentials {
                token_url: self.token_url.clone(),
                client_id: self.client_id.clone(),
                client_secret: Credential::new(self.secret.clone()),
                scope: Some(self.scope.clone()).filter(|s| !s.is_empty()),
            }))),
            _ => Ok(None),
        }
    }

    pub fn to_create(&self) -> Result<Option<EndpointAuth>, FieldError> {
        self.typed()
    }

    /// `None` keeps what is stored (a kind chosen with no new secret), `Some(None)` removes it. A grant's
    /// URL, client or scope cannot change without its secret being typed again: a changed grant is new.
    pub fn to_update(&self) -> Result<Option<Option<EndpointAuth>>, FieldError> {
        match self.kind.as_str() {
            "basic" | "bearer" | OAUTH2 if self.secret.is_empty() => Ok(None),
            _ => self.typed().map(Some),
        }
    }

    pub fn render(&self, html: &mut Html, error: Option<&FieldError>) {
        html.raw("<fieldset><legend>Authorization header</legend>");
        let kinds = [
            ("none", "None"),
            ("basic", "HTTP Basic"),
            ("bearer", "Bearer token"),
            (OAUTH2, "OAuth2 client credentials"),
        ];
        for (value, words) in kinds {
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
        html.text(&self.username).raw("\"></div>");
        for (name, label, value) in [
            ("auth_token_url", "Token URL (OAuth2)", &self.token_url),
            ("auth_client_id", "Client ID (OAuth2)", &self.client_id),
            ("auth_scope", "Scope (OAuth2, optional)", &self.scope),
        ] {
            html.raw("<div class=\"field\"><label for=\"").text(name).raw("\">").text(label).raw("</label>");
            html.raw("<input id=\"").text(name).raw("\" name=\"").text(name);
            html.raw("\" type=\"text\" autocomplete=\"off\" value=\"").text(value).raw("\"></div>");
        }
        html.raw("<div class=\"field\"><label for=\"auth_secret\">Password, token or client secret</label>");
        html.raw("<input id=\"auth_secret\" name=\"auth_secret\" type=\"password\" autocomplete=\"new-password\" aria-describedby=\"auth_secret-hint\">");
        html.raw("<p class=\"hint\" id=\"auth_secret-hint\">");
        match &self.hint {
            Some(hint) => html.text(&format!("Stored, ending in {hint}. Leave empty to keep it.")),
            None => html.text(
                "Sent as the Authorization header with every webhook, beside the signature. With OAuth2, \
                 we fetch a token from your token URL and send it as a bearer token.",
            ),
        };
        html.raw("</p>");
        if let Some(error) = error {
            html.raw("<p class=\"field-error\" role=\"alert\">").text(&error.message).raw("</p>");
        }
        html.raw("</div></fieldset>");
    }
}
