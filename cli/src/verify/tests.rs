//! One test per cause the diagnosis names, built on the published Standard Webhooks test vector.

use super::variants::JsonForm;
use super::*;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const TS: i64 = 1_649_367_553;
const BODY: &str = r#"{"email":"test@example.com","username":"test_user"}"#;
const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn signed_headers(signature: &str) -> Vec<(String, String)> {
    let ts = TS.to_string();
    headers(&[("webhook-id", ID), ("webhook-timestamp", &ts), ("webhook-signature", signature)])
}

fn at(now: i64) -> Window {
    Window { now, tolerance: 300 }
}

/// The vector's id and timestamp with `body` as received, signed over `signed`.
fn received(signed: &[u8], body: &[u8]) -> Diagnosis {
    let signature = Secret::parse(SECRET).unwrap().sign(ID, TS, signed);
    diagnose(SECRET, &signed_headers(&signature), body, at(TS))
}

fn causes(diagnosis: &Diagnosis) -> &[Cause] {
    &diagnosis.causes
}

#[test]
fn the_published_test_vector_is_valid() {
    let diagnosis = diagnose(SECRET, &signed_headers(SIGNATURE), BODY.as_bytes(), at(TS));
    assert_eq!(diagnosis, Diagnosis { causes: vec![], notes: vec![] });
    assert!(diagnosis.is_valid());
}

#[test]
fn a_body_with_an_added_trailing_newline_is_reported_as_changed() {
    let diagnosis = received(BODY.as_bytes(), format!("{BODY}\n").as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::TrailingNewlineAdded])]);
    assert_eq!(
        diagnosis.causes[0].to_string(),
        "the body was changed: a trailing newline was added; verify the raw bytes exactly as received"
    );
}

#[test]
fn a_body_whose_trailing_newline_was_removed_is_reported_as_changed() {
    let diagnosis = received(format!("{BODY}\n").as_bytes(), BODY.as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::TrailingNewlineRemoved])]);
}

#[test]
fn lf_line_endings_turned_into_crlf_are_reported_as_changed() {
    let signed = "{\n  \"a\": 1,\n  \"b\": 2\n}";
    let diagnosis = received(signed.as_bytes(), signed.replace('\n', "\r\n").as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::CrlfLineEndings])]);
}

#[test]
fn crlf_line_endings_turned_into_lf_are_reported_as_changed() {
    let signed = "{\r\n\"a\": 1\r\n}";
    let diagnosis = received(signed.as_bytes(), signed.replace("\r\n", "\n").as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::LfLineEndings])]);
}

#[test]
fn a_byte_order_mark_added_to_the_body_is_reported_as_changed() {
    let diagnosis = received(BODY.as_bytes(), format!("\u{feff}{BODY}").as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::BomAdded])]);
}

#[test]
fn several_changes_at_once_are_all_named() {
    let diagnosis = received(BODY.as_bytes(), format!("\u{feff}{BODY}\r\n").as_bytes());
    assert_eq!(
        causes(&diagnosis),
        [Cause::BodyChanged(vec![Change::BomAdded, Change::TrailingNewlineAdded])]
    );
    assert!(diagnosis.causes[0].to_string().contains("added at the start, and a trailing newline was added"));
}

#[test]
fn json_pretty_printed_after_signing_is_reported_as_reformatted() {
    let value: serde_json::Value = serde_json::from_str(BODY).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let diagnosis = received(BODY.as_bytes(), pretty.as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::Json(JsonForm::Compact)])]);
}

#[test]
fn json_compacted_after_signing_is_reported_as_reformatted() {
    let signed = "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": {}\n}";
    let diagnosis = received(signed.as_bytes(), br#"{"b":[1,2],"a":{}}"#);
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::Json(JsonForm::Pretty)])]);
}

#[test]
fn json_re_serialized_with_its_keys_in_another_order_is_reported() {
    let body = r#"{"username":"test_user","email":"test@example.com"}"#;
    let diagnosis = received(BODY.as_bytes(), body.as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::BodyChanged(vec![Change::Json(JsonForm::Reserialized)])]);
}

#[test]
fn an_edited_body_that_no_common_change_explains_matches_no_signature() {
    let diagnosis = received(BODY.as_bytes(), BODY.replace("test_user", "admin").as_bytes());
    assert_eq!(causes(&diagnosis), [Cause::NoMatch { signatures: 1 }]);
    assert_eq!(
        diagnosis.causes[0].to_string(),
        "no signature matches: wrong secret, or the id/timestamp/body differ from what was signed"
    );
}

#[test]
fn a_missing_header_is_named() {
    let mut list = signed_headers(SIGNATURE);
    list.retain(|(name, _)| name != "webhook-signature");
    let diagnosis = diagnose(SECRET, &list, BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis), [Cause::MissingHeader { name: "webhook-signature", similar: None }]);
    assert_eq!(diagnosis.causes[0].to_string(), "the webhook-signature header is missing");
}

#[test]
fn a_header_renamed_by_a_framework_is_pointed_out() {
    let ts = TS.to_string();
    let list =
        headers(&[("HTTP_WEBHOOK_ID", ID), ("webhook-timestamp", &ts), ("webhook-signature", SIGNATURE)]);
    let diagnosis = diagnose(SECRET, &list, BODY.as_bytes(), at(TS));
    let similar = Some("HTTP_WEBHOOK_ID".to_owned());
    assert_eq!(causes(&diagnosis), [Cause::MissingHeader { name: "webhook-id", similar }]);
}

#[test]
fn header_names_are_found_in_any_letter_case() {
    let ts = TS.to_string();
    let list = headers(&[("Webhook-Id", ID), ("WEBHOOK-TIMESTAMP", &ts), ("Webhook-Signature", SIGNATURE)]);
    assert!(diagnose(SECRET, &list, BODY.as_bytes(), at(TS)).is_valid());
}

#[test]
fn svix_header_names_are_accepted_as_aliases_and_said_so() {
    let ts = TS.to_string();
    let list = headers(&[("Svix-Id", ID), ("svix-timestamp", &ts), ("svix-signature", SIGNATURE)]);
    let diagnosis = diagnose(SECRET, &list, BODY.as_bytes(), at(TS));
    assert!(diagnosis.is_valid());
    assert_eq!(diagnosis.notes[0], Note::Alias { alias: "svix-id", standard: "webhook-id" });
    assert_eq!(diagnosis.notes.len(), 3);
}

#[test]
fn a_secret_without_the_whsec_prefix_is_reported_and_would_match_with_it() {
    let bare = SECRET.trim_start_matches("whsec_");
    let diagnosis = diagnose(bare, &signed_headers(SIGNATURE), BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis), [Cause::SecretMissingPrefix { matches_with_prefix: true }]);
}

#[test]
fn a_secret_that_is_not_base64_is_reported() {
    let diagnosis = diagnose("whsec_not*base64!", &signed_headers(SIGNATURE), BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis), [Cause::SecretNotBase64, Cause::NoMatch { signatures: 1 }]);
}

#[test]
fn a_secret_of_the_wrong_length_is_reported_with_its_length() {
    let diagnosis = diagnose("whsec_c2hvcnQ=", &signed_headers(SIGNATURE), BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis), [Cause::SecretWrongLength { bytes: 5 }, Cause::NoMatch { signatures: 1 }]);
}

#[test]
fn a_request_signed_with_the_secrets_text_as_key_is_reported_as_not_decoded() {
    for key in [SECRET, SECRET.trim_start_matches("whsec_")] {
        let mac = BASE64.encode(hmac(key.as_bytes(), ID, &TS.to_string(), BODY.as_bytes()));
        let diagnosis = diagnose(SECRET, &signed_headers(&format!("v1,{mac}")), BODY.as_bytes(), at(TS));
        assert_eq!(causes(&diagnosis), [Cause::SecretUsedUndecoded], "key {key}");
        assert!(diagnosis.causes[0].to_string().contains("you passed the secret without decoding"));
    }
}

#[test]
fn a_stale_timestamp_says_by_how_many_seconds() {
    let diagnosis = diagnose(SECRET, &signed_headers(SIGNATURE), BODY.as_bytes(), at(TS + 400));
    assert_eq!(causes(&diagnosis), [Cause::TooOld { age: 400, tolerance: 300 }]);
    assert!(diagnosis.causes[0].to_string().starts_with("the webhook-timestamp is 400 s old, 100 s more"));
}

#[test]
fn a_future_timestamp_says_by_how_many_seconds() {
    let diagnosis = diagnose(SECRET, &signed_headers(SIGNATURE), BODY.as_bytes(), at(TS - 301));
    assert_eq!(causes(&diagnosis), [Cause::TooNew { ahead: 301, tolerance: 300 }]);
    assert!(diagnosis.causes[0].to_string().contains("301 s in the future, 1 s more than"));
}

#[test]
fn a_timestamp_in_milliseconds_is_detected() {
    let ms = TS * 1000 + 250;
    let signature = Secret::parse(SECRET).unwrap().sign(ID, ms, BODY.as_bytes());
    let ms_text = ms.to_string();
    let list =
        headers(&[("webhook-id", ID), ("webhook-timestamp", &ms_text), ("webhook-signature", &signature)]);
    let diagnosis = diagnose(SECRET, &list, BODY.as_bytes(), at(TS + 10));
    assert_eq!(causes(&diagnosis), [Cause::TimestampInMilliseconds { value: ms, seconds_from_now: -10 }]);
    assert!(diagnosis.causes[0].to_string().contains("in milliseconds; it must be in seconds"));
}

#[test]
fn a_timestamp_that_is_not_a_number_is_reported() {
    let list = headers(&[
        ("webhook-id", ID),
        ("webhook-timestamp", "2022-04-07T21:39:13Z"),
        ("webhook-signature", SIGNATURE),
    ]);
    let diagnosis = diagnose(SECRET, &list, BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis)[0], Cause::TimestampNotInteger { value: "2022-04-07T21:39:13Z".into() });
}

#[test]
fn a_signature_header_without_a_v1_entry_is_reported_with_what_it_holds() {
    let stripe_like = SIGNATURE.replace("v1,", "v1=");
    let diagnosis = diagnose(SECRET, &signed_headers(&stripe_like), BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis), [Cause::NoV1Signature { found: vec!["v1=tZ1I4/hDygAJg…".into()] }]);
    let empty = diagnose(SECRET, &signed_headers(""), BODY.as_bytes(), at(TS));
    assert_eq!(empty.causes[0].to_string(), "the webhook-signature header is empty");
}

#[test]
fn a_wrong_secret_matches_no_signature() {
    let other = Secret::generate().expose();
    let diagnosis = diagnose(&other, &signed_headers(SIGNATURE), BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis), [Cause::NoMatch { signatures: 1 }]);
}

#[test]
fn several_signatures_of_which_none_matches_are_counted() {
    let other = Secret::generate();
    let header = format!("{} {}", other.sign(ID, TS, b"x"), other.sign(ID, TS, b"y"));
    let diagnosis = diagnose(SECRET, &signed_headers(&header), BODY.as_bytes(), at(TS));
    assert_eq!(causes(&diagnosis), [Cause::NoMatch { signatures: 2 }]);
    assert!(
        diagnosis.causes[0]
            .to_string()
            .ends_with("the header carries 2 signatures, as during a secret rotation; none matched)")
    );
}

#[test]
fn one_matching_signature_among_several_is_valid() {
    let header = format!("v1,bm90IGl0 {SIGNATURE}");
    assert!(diagnose(SECRET, &signed_headers(&header), BODY.as_bytes(), at(TS)).is_valid());
}

#[test]
fn a_changed_id_matches_no_signature() {
    let ts = TS.to_string();
    let list =
        headers(&[("webhook-id", "msg_other"), ("webhook-timestamp", &ts), ("webhook-signature", SIGNATURE)]);
    assert_eq!(causes(&diagnose(SECRET, &list, BODY.as_bytes(), at(TS))), [Cause::NoMatch { signatures: 1 }]);
}

#[test]
fn a_stale_timestamp_and_a_changed_body_are_both_reported() {
    let diagnosis =
        diagnose(SECRET, &signed_headers(SIGNATURE), format!("{BODY}\n").as_bytes(), at(TS + 3600));
    let expected =
        [Cause::TooOld { age: 3600, tolerance: 300 }, Cause::BodyChanged(vec![Change::TrailingNewlineAdded])];
    assert_eq!(causes(&diagnosis), expected);
}

#[test]
fn a_content_length_that_disagrees_with_the_saved_body_is_noted() {
    let mut list = signed_headers(SIGNATURE);
    list.push(("Content-Length".into(), BODY.len().to_string()));
    list.push(("Transfer-Encoding".into(), "chunked".into()));
    let diagnosis = diagnose(SECRET, &list, format!("{BODY}\n").as_bytes(), at(TS));
    let declared = BODY.len();
    let expected = vec![Note::ContentLength { declared, actual: declared + 1 }, Note::Chunked];
    assert_eq!(diagnosis.notes, expected);
}
