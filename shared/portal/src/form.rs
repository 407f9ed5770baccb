//! Reading `application/x-www-form-urlencoded` bodies, the only kind the portal's forms send.

/// Every `name=value` pair of the body, in order (checkbox groups repeat a name).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The first value of `name`.
pub fn field(body: &[u8], name: &str) -> Option<String> {
    pairs(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A form's fields, read by name.
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Self(pairs(body))
    }

    /// The trimmed value, `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_repeat_and_blank_ones_count_as_absent() {
        let form =
            Form::parse(b"url=https%3A%2F%2Fa.example%2Fh&types=a.b&types=c.*&description=+&enabled=on");
        assert_eq!(form.get("url"), Some("https://a.example/h"));
        assert_eq!(form.all("types"), vec!["a.b", "c.*"]);
        assert_eq!(form.get("description"), None);
        assert!(form.checked("enabled") && !form.checked("missing"));
        assert_eq!(field(b"csrf=abc&x=1", "csrf").as_deref(), Some("abc"));
    }
}
