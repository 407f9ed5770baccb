//! Bodies the sender may have signed, derived from the body as saved by undoing one or more of the
//! changes that commonly happen to a webhook body between the sender and the code that verifies it.

use std::fmt;

use serde_json::Value;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A change made to the body after it was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    BomAdded,
    BomRemoved,
    /// LF line endings became CRLF.
    CrlfLineEndings,
    /// CRLF line endings became LF.
    LfLineEndings,
    TrailingNewlineAdded,
    TrailingNewlineRemoved,
    /// The JSON was re-formatted or re-serialized; it was signed in this form.
    Json(JsonForm),
}

/// How the JSON looked when it was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// Without whitespace, keys and values as saved.
    Compact,
    /// Indented by two spaces, keys and values as saved.
    Pretty,
    /// `serde_json::to_string` of the parsed body (keys sorted, escapes and numbers normalised).
    Reserialized,
    /// `serde_json::to_string_pretty` of the parsed body.
    ReserializedPretty,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BomAdded => "a byte order mark (BOM) was added at the start",
            Self::BomRemoved => "the byte order mark (BOM) at the start was removed",
            Self::CrlfLineEndings => "LF line endings were turned into CRLF",
            Self::LfLineEndings => "CRLF line endings were turned into LF",
            Self::TrailingNewlineAdded => "a trailing newline was added",
            Self::TrailingNewlineRemoved => "the trailing newline was removed",
            Self::Json(JsonForm::Compact) => "the JSON was re-formatted (it was signed compact, without whitespace)",
            Self::Json(JsonForm::Pretty) => "the JSON was re-formatted (it was signed pretty-printed)",
            Self::Json(JsonForm::Reserialized) => {
                "the JSON was parsed and re-serialized (it was signed compact, with its keys, escapes or numbers written differently)"
            }
            Self::Json(JsonForm::ReserializedPretty) => {
                "the JSON was parsed and re-serialized (it was signed pretty-printed, with its keys, escapes or numbers written differently)"
            }
        })
    }
}

/// Every candidate, fewest changes first, each different from `body` and from the others.
pub fn variants(body: &[u8]) -> Vec<(Vec<Change>, Vec<u8>)> {
    let mut out: Vec<(Vec<Change>, Vec<u8>)> = Vec::new();
    let mut push = |changes: Vec<Change>, bytes: Vec<u8>| {
        if bytes != body && !out.iter().any(|(_, seen)| *seen == bytes) {
            out.push((changes, bytes));
        }
    };
    let edits = byte_edits(body);
    let mut subsets: Vec<u32> = (1..1u32 << edits.len()).collect();
    subsets.sort_by_key(|subset| subset.count_ones());
    for subset in subsets {
        let chosen: Vec<Change> =
            edits.iter().enumerate().filter(|(i, _)| subset & (1 << i) != 0).map(|(_, c)| *c).collect();
        let bytes = chosen.iter().fold(body.to_vec(), |bytes, change| undo(*change, &bytes));
        push(chosen, bytes);
    }

    let (json, bom) = body.strip_prefix(BOM).map_or((body, false), |rest| (rest, true));
    let Ok(value) = serde_json::from_slice::<Value>(json) else { return out };
    let forms = [
        (JsonForm::Compact, compact(json)),
        (JsonForm::Pretty, pretty(json)),
        (JsonForm::Reserialized, serde_json::to_vec(&value).unwrap_or_default()),
        (JsonForm::ReserializedPretty, serde_json::to_vec_pretty(&value).unwrap_or_default()),
    ];
    for (form, bytes) in forms {
        for newline in [false, true] {
            let mut changes: Vec<Change> = bom.then_some(Change::BomAdded).into_iter().collect();
            changes.push(Change::Json(form));
            let mut bytes = bytes.clone();
            if newline {
                bytes.push(b'\n');
                if !body.ends_with(b"\n") {
                    changes.push(Change::TrailingNewlineRemoved);
                }
            }
            push(changes, bytes);
        }
    }
    out
}

/// The byte-level changes that may have happened to `body`, each in the one direction it allows.
fn byte_edits(body: &[u8]) -> Vec<Change> {
    let mut edits = vec![if body.starts_with(BOM) { Change::BomAdded } else { Change::BomRemoved }];
    if body.windows(2).any(|pair| pair == b"\r\n") {
        edits.push(Change::CrlfLineEndings);
    } else if body.contains(&b'\n') {
        edits.push(Change::LfLineEndings);
    }
    edits.push(if body.ends_with(b"\n") {
        Change::TrailingNewlineAdded
    } else {
        Change::TrailingNewlineRemoved
    });
    edits
}

/// The body as it was before `change`.
fn undo(change: Change, body: &[u8]) -> Vec<u8> {
    match change {
        Change::BomAdded => body.strip_prefix(BOM).unwrap_or(body).to_vec(),
        Change::BomRemoved => [BOM, body].concat(),
        Change::CrlfLineEndings => replace(body, b"\r\n", b"\n"),
        Change::LfLineEndings => replace(body, b"\n", b"\r\n"),
        Change::TrailingNewlineAdded => {
            let rest = body.strip_suffix(b"\n").unwrap_or(body);
            rest.strip_suffix(b"\r").unwrap_or(rest).to_vec()
        }
        Change::TrailingNewlineRemoved => [body, b"\n"].concat(),
        Change::Json(_) => body.to_vec(),
    }
}

fn replace(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    let mut rest = body;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(from) {
            out.extend_from_slice(to);
            rest = after;
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// Valid JSON without the whitespace between its tokens; strings, keys, their order and numbers as given.
pub fn compact(json: &[u8]) -> Vec<u8> {
    reformat(json, None)
}

/// Valid JSON indented by two spaces the way `serde_json::to_string_pretty` writes it, but with
/// strings, keys, their order and numbers as given.
pub fn pretty(json: &[u8]) -> Vec<u8> {
    reformat(json, Some(b"  "))
}

fn reformat(json: &[u8], indent: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        if let Some(indent) = indent {
            out.push(b'\n');
            (0..depth).for_each(|_| out.extend_from_slice(indent));
        }
    };
    let mut i = 0;
    while let Some(&byte) = json.get(i) {
        match byte {
            b'"' => {
                let end = string_end(json, i);
                out.extend_from_slice(&json[i..end]);
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let close = if byte == b'{' { b'}' } else { b']' };
                let next = i + 1 + json[i + 1..].iter().take_while(|b| b.is_ascii_whitespace()).count();
                out.push(byte);
                if json.get(next) == Some(&close) {
                    out.push(close);
                    i = next + 1;
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(b',');
                newline(&mut out, depth);
            }
            b':' if indent.is_some() => out.extend_from_slice(b": "),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => out.push(byte),
        }
        i += 1;
    }
    out
}

/// The index just past the string that starts with the quote at `start`.
fn string_end(json: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&byte) = json.get(i) {
        match byte {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    json.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACED: &str = "{ \"b\": [1, 2.50, {}], \"a\" : {\"s\": \"x, y: \\\"z\\\"\", \"e\": [ ]} }";

    #[test]
    fn compact_json_keeps_key_order_strings_and_numbers() {
        let expected = r#"{"b":[1,2.50,{}],"a":{"s":"x, y: \"z\"","e":[]}}"#;
        assert_eq!(String::from_utf8(compact(SPACED.as_bytes())).unwrap(), expected);
    }

    #[test]
    fn pretty_json_matches_serde_json_when_keys_are_already_sorted() {
        let sorted = r#"{"a":{"e":[],"s":"x, y: \"z\""},"b":[1,2.5,{}]}"#;
        let value: Value = serde_json::from_str(sorted).unwrap();
        assert_eq!(pretty(sorted.as_bytes()), serde_json::to_vec_pretty(&value).unwrap());
    }

    #[test]
    fn candidates_come_fewest_changes_first_and_never_repeat_the_body() {
        let found = variants(b"{\"a\":1}\n");
        assert_eq!(found[0], (vec![Change::BomRemoved], b"\xEF\xBB\xBF{\"a\":1}\n".to_vec()));
        assert_eq!(found[1], (vec![Change::LfLineEndings], b"{\"a\":1}\r\n".to_vec()));
        assert_eq!(found[2], (vec![Change::TrailingNewlineAdded], b"{\"a\":1}".to_vec()));
        assert_eq!(found[3].0, vec![Change::BomRemoved, Change::LfLineEndings]);
        assert!(found.iter().all(|(_, bytes)| bytes != b"{\"a\":1}\n"));
        let mut distinct: Vec<&Vec<u8>> = found.iter().map(|(_, bytes)| bytes).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), found.len());
    }
}
