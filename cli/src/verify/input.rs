//! Reading a saved request: header lines (`Name: value`, as in a raw HTTP request dump, `curl -v` output
//! or a JSON object of headers) and the raw body, split from the headers at the first blank line.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("line {line}: `{text}` is not a `Name: value` header")]
    NotAHeader { line: usize, text: String },
    #[error("the headers are a JSON object, but `{0}` is not a string")]
    NotAString(String),
}

/// Splits a raw HTTP request at its first blank line (CRLF CRLF or LF LF) into the head and the body, the
/// body byte for byte. Without a blank line it is all head.
pub fn split_request(raw: &[u8]) -> (&[u8], &[u8]) {
    let crlf = find(raw, b"\r\n\r\n").map(|at| (at, at + 4));
    let lf = find(raw, b"\n\n").map(|at| (at, at + 2));
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match end {
        Some((head_end, body_start)) => (&raw[..head_end], &raw[body_start..]),
        None => (raw, &[]),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The headers in `text`, in order. A request line (`POST /hook HTTP/1.1`), HTTP/2 pseudo-headers
/// (`:method`), `curl -v`'s `> ` prefixes and a leading JSON object form are understood; reading stops at
/// the first blank line after a header, where a body would start.
pub fn parse_headers(text: &str) -> Result<Vec<(String, String)>, InputError> {
    if text.trim_start().starts_with('{')
        && let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text)
    {
        return map
            .into_iter()
            .map(|(name, value)| match value {
                Value::String(value) => Ok((name, value)),
                _ => Err(InputError::NotAString(name)),
            })
            .collect();
    }
    let mut headers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_prefix("> ").unwrap_or(line);
        if line.trim().is_empty() {
            if headers.is_empty() {
                continue;
            }
            break;
        }
        if (headers.is_empty() && is_request_line(line)) || line.starts_with(':') || line == ">" {
            continue;
        }
        headers.push(parse_line(line).ok_or_else(|| InputError::NotAHeader {
            line: index + 1,
            text: line.chars().take(60).collect(),
        })?);
    }
    Ok(headers)
}

/// `Name: value`, for `--header`.
pub fn parse_header_arg(text: &str) -> Result<(String, String), String> {
    parse_line(text).ok_or_else(|| format!("`{text}` is not `Name: value`"))
}

fn parse_line(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    (!name.is_empty() && name.chars().all(token)).then(|| (name.to_owned(), value.trim().to_owned()))
}

fn is_request_line(line: &str) -> bool {
    let parts: Vec<&str> = line.split_whitespace().collect();
    matches!(parts.as_slice(), [method, _, version]
        if version.starts_with("HTTP/") && method.chars().all(|c| c.is_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_raw_request_splits_at_its_first_blank_line_keeping_the_body_exact() {
        let raw = b"POST /hook HTTP/1.1\r\nwebhook-id: msg_1\r\n\r\n{\"a\":1}\r\n\r\n";
        let (head, body) = split_request(raw);
        assert_eq!(head, b"POST /hook HTTP/1.1\r\nwebhook-id: msg_1");
        assert_eq!(body, b"{\"a\":1}\r\n\r\n");
        assert_eq!(split_request(b"a: b\n\nbody\n"), (&b"a: b"[..], &b"body\n"[..]));
        assert_eq!(split_request(b"a: b\n"), (&b"a: b\n"[..], &b""[..]));
    }

    #[test]
    fn header_lines_skip_the_request_line_and_stop_at_the_body() {
        let text = "POST /hook HTTP/1.1\r\nHost: x\r\nWebhook-Id:  msg_1 \r\n\r\nnot: a header";
        assert_eq!(parse_headers(text).unwrap(), pairs(&[("Host", "x"), ("Webhook-Id", "msg_1")]));
    }

    #[test]
    fn curl_verbose_output_and_http2_pseudo_headers_are_understood() {
        let text = "> POST /hook HTTP/2\n> :authority: x\n> webhook-id: msg_1\n>\n";
        assert_eq!(parse_headers(text).unwrap(), pairs(&[("webhook-id", "msg_1")]));
    }

    #[test]
    fn a_json_object_of_headers_is_understood() {
        let text = r#"{"webhook-id": "msg_1", "webhook-timestamp": "1"}"#;
        assert_eq!(
            parse_headers(text).unwrap(),
            pairs(&[("webhook-id", "msg_1"), ("webhook-timestamp", "1")])
        );
        assert_eq!(parse_headers(r#"{"n": 1}"#), Err(InputError::NotAString("n".into())));
    }

    #[test]
    fn a_line_that_is_not_a_header_is_reported_with_its_number() {
        let error = parse_headers("webhook-id: msg_1\nthis is not one\n").unwrap_err();
        assert_eq!(error, InputError::NotAHeader { line: 2, text: "this is not one".into() });
        assert!(parse_header_arg("webhook-id msg_1").is_err());
        assert_eq!(parse_header_arg("webhook-id:msg_1"), Ok(("webhook-id".into(), "msg_1".into())));
    }
}
