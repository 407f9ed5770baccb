//! What each cause and note says to the person debugging their receiver.

use std::fmt;

use super::*;

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader { name, similar: None } => write!(f, "the {name} header is missing"),
            Self::MissingHeader { name, similar: Some(similar) } => write!(
                f,
                "the {name} header is missing (there is a `{similar}` header: is it the same one, renamed \
                 by a proxy or framework? The name must be exactly {name})"
            ),
            Self::SecretMissingPrefix { matches_with_prefix: true } => f.write_str(
                "the secret does not start with whsec_ (with the prefix, it does sign this request: \
                 pass the whole whsec_… value)",
            ),
            Self::SecretMissingPrefix { matches_with_prefix: false } => {
                f.write_str("the secret does not start with whsec_: pass the whole whsec_… value")
            }
            Self::SecretNotBase64 => {
                f.write_str("the secret is not base64 after whsec_: is it truncated or mistyped?")
            }
            Self::SecretWrongLength { bytes } => write!(
                f,
                "the secret decodes to {bytes} bytes, but a whsec_ secret holds 24 to 64 (Hookline's hold 32): \
                 is it truncated?"
            ),
            Self::SecretUsedUndecoded => f.write_str(
                "the request was signed with the secret's text as the HMAC key, without decoding it: the \
                 key is the base64-decoded part after whsec_, so you passed the secret without decoding",
            ),
            Self::TimestampNotInteger { value } => {
                write!(f, "the webhook-timestamp `{value}` is not an integer number of seconds since 1970")
            }
            Self::TimestampInMilliseconds { value, seconds_from_now } => write!(
                f,
                "the webhook-timestamp {value} is in milliseconds; it must be in seconds (as seconds it \
                 would be {} s {})",
                seconds_from_now.abs(),
                if *seconds_from_now > 0 { "in the future" } else { "ago" }
            ),
            Self::TooOld { age, tolerance } => write!(
                f,
                "the webhook-timestamp is {age} s old{}, {} s more than the {tolerance} s tolerance: a \
                 replay, a request saved earlier (pass --now with the time it arrived) or a slow clock",
                roughly(*age),
                age - tolerance
            ),
            Self::TooNew { ahead, tolerance } => write!(
                f,
                "the webhook-timestamp is {ahead} s in the future{}, {} s more than the {tolerance} s \
                 tolerance: the sender's clock or yours is off",
                roughly(*ahead),
                ahead - tolerance
            ),
            Self::NoV1Signature { found } if found.is_empty() => {
                f.write_str("the webhook-signature header is empty")
            }
            Self::NoV1Signature { found } => write!(
                f,
                "the webhook-signature header has no v1 signature (`v1,<base64>`); it holds: {}",
                found.join(" ")
            ),
            Self::NoV1aSignature { found } => write!(
                f,
                "the webhook-signature header has no v1a signature (`v1a,<base64>`), so a public key cannot \
                 verify it; it holds: {} (is the endpoint set to sign with v1a?)",
                if found.is_empty() { "nothing".to_owned() } else { found.join(" ") }
            ),
            Self::PublicKeyMalformed(why) => write!(f, "the public key is not usable: {why}"),
            Self::BodyChanged(changes) => {
                let which: Vec<String> = changes.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "the body was changed: {}; verify the raw bytes exactly as received",
                    which.join(", and ")
                )
            }
            Self::NoMatch { signatures } => {
                f.write_str("no signature matches: wrong secret, or the id/timestamp/body differ from what was signed")?;
                if *signatures > 1 {
                    write!(
                        f,
                        " (the header carries {signatures} signatures, as during a secret rotation; none matched)"
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// ` (about 2days 3h)` for spans of an hour or more, where a count of seconds is hard to read.
fn roughly(secs: i64) -> String {
    let Ok(secs) = u64::try_from(secs) else { return String::new() };
    if secs < 3600 {
        return String::new();
    }
    let span = humantime::format_duration(std::time::Duration::from_secs(secs)).to_string();
    let first_two: Vec<&str> = span.split(' ').take(2).collect();
    format!(" (about {})", first_two.join(" "))
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alias { alias, standard } => {
                write!(f, "read the {alias} header as {standard} (Svix's name for the same header)")
            }
            Self::ContentLength { declared, actual } => {
                write!(f, "Content-Length says {declared} bytes, but the saved body has {actual}")
            }
            Self::Chunked => f.write_str(
                "the request was sent chunked (Transfer-Encoding: chunked): the body to check is the \
                 de-chunked one your application read",
            ),
        }
    }
}
