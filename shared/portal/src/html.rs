//! Building HTML safely: every value goes through [`esc`], and pages are assembled from escaped parts.
//! There is no template engine to configure wrong: a string reaches the page either as a literal of
//! this crate or escaped.

use std::fmt::Write as _;

/// `text`, escaped for HTML text and double-quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A page being written: trusted markup from this crate, and values escaped on the way in.
#[derive(Debug, Default)]
pub struct Html(String);

impl Html {
    pub fn new() -> Self {
        Self::default()
    }

    /// Markup written in this crate (never a value from a request or the store).
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// A value, escaped.
    pub fn text(&mut self, value: &str) -> &mut Self {
        self.0.push_str(&esc(value));
        self
    }

    /// `<tag>value</tag>`, the value escaped.
    pub fn el(&mut self, tag: &str, value: &str) -> &mut Self {
        let _ = write!(self.0, "<{tag}>{}</{tag}>", esc(value));
        self
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_shown_as_text() {
        assert_eq!(
            esc(r#"<script>alert("x")</script><img src=x onerror='y'>&"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;"
        );
        let mut page = Html::new();
        page.raw("<p>").text("<b>").raw("</p>").el("code", "a<b");
        assert_eq!(page.into_string(), "<p>&lt;b&gt;</p><code>a&lt;b</code>");
    }
}
