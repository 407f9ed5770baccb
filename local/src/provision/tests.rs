//! The provisioner evaluates `infra/template.yaml` the way CloudFormation would; these hold it (and the
//! template's derived values) to that without the emulator.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use hookline_core::retry::{RetrySchedule, honour_retry_after};
use serde_json::{Value as Json, json};

use super::{NotYetMade, Provisioned, Template};

const STACK: &str = "unit";

fn the_template() -> Template {
    Template::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")).unwrap()
}

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// What provisioning would have made by the time the delivery queue is created: the dead-letter queue.
fn dead_letter_queue_made() -> Provisioned {
    let mut made = Provisioned::default();
    made.queue_urls
        .insert("DeadLetterQueue".into(), "http://sqs.local/123456789012/unit-DeadLetterQueue".into());
    made.queue_arns
        .insert("DeadLetterQueue".into(), "arn:aws:sqs:us-east-1:123456789012:unit-DeadLetterQueue".into());
    made
}

fn delivery_queue(overrides: &BTreeMap<String, String>) -> Json {
    the_template().resolved_properties("DeliveryQueue", STACK, overrides, &dead_letter_queue_made()).unwrap()
}

fn max_receive_count(overrides: &BTreeMap<String, String>) -> u64 {
    let queue = delivery_queue(overrides);
    queue["RedrivePolicy"]["maxReceiveCount"].as_u64().unwrap_or_else(|| panic!("{queue}"))
}

fn seconds(value: &Json) -> Duration {
    Duration::from_secs(value.as_u64().unwrap_or_else(|| panic!("not a number of seconds: {value}")))
}

fn resolve_snippet(template: &str, resource: &str, pairs: &[(&str, &str)]) -> anyhow::Result<Json> {
    Template::parse(template).unwrap().resolved_properties(
        resource,
        STACK,
        &overrides(pairs),
        &Provisioned::default(),
    )
}

#[test]
fn max_receive_count_is_the_number_of_attempts_plus_a_margin() {
    assert_eq!(max_receive_count(&overrides(&[("RetrySchedule", "0s,1s,1s")])), 3 + 5);
    assert_eq!(max_receive_count(&overrides(&[("RetrySchedule", "0s")])), 1 + 5);
}

#[test]
fn the_default_schedule_gets_eight_attempts_and_five_spare_receives() {
    let template = the_template();
    let schedule = template.parameter("RetrySchedule", &BTreeMap::new()).unwrap();
    assert_eq!(schedule, "0s,5s,5m,30m,2h,5h,10h,10h");
    assert_eq!(max_receive_count(&BTreeMap::new()), 8 + 5);
}

#[test]
fn spaces_around_the_schedule_entries_do_not_change_the_count() {
    assert_eq!(max_receive_count(&overrides(&[("RetrySchedule", "0s, 1m , 5m")])), 3 + 5);
}

#[test]
fn redrive_points_at_the_dead_letter_queue() {
    let queue = delivery_queue(&BTreeMap::new());
    assert_eq!(
        queue["RedrivePolicy"]["deadLetterTargetArn"],
        json!(dead_letter_queue_made().queue_arns["DeadLetterQueue"])
    );
}

#[test]
fn the_default_schedule_with_jitter_fits_well_inside_the_delivery_queues_retention() {
    let template = the_template();
    let no_overrides = BTreeMap::new();
    let schedule =
        RetrySchedule::parse(&template.parameter("RetrySchedule", &no_overrides).unwrap()).unwrap();
    let queue = delivery_queue(&no_overrides);
    let retention = seconds(&queue["MessageRetentionPeriod"]);
    let visibility = seconds(&queue["VisibilityTimeout"]);
    let receives = u32::try_from(max_receive_count(&no_overrides)).unwrap();
    let delays: Vec<Duration> =
        (0..schedule.attempts()).filter_map(|n| schedule.base_delay_after(n)).collect();
    assert_eq!(delays.len(), 8);

    // Every delay jittered up by 20 %, and every receive (the spare ones too) held for a whole
    // visibility timeout, as when the function crashes mid-batch.
    let jittered: Duration =
        delays.iter().map(|delay| delay.mul_f64(1.2)).sum::<Duration>() + visibility * receives;
    assert!(jittered < Duration::from_secs(36 * 3600), "{jittered:?}");
    assert!(jittered * 4 < retention, "{jittered:?} is not well inside the retention {retention:?}");

    // Receivers answering "slow down" with a long Retry-After at every attempt stretch each delay to its
    // ceiling; even that leaves the message days of slack before SQS would expire it.
    let slowed: Duration =
        delays.iter().map(|delay| honour_retry_after(*delay, Duration::MAX)).sum::<Duration>()
            + visibility * receives;
    assert!(slowed * 2 < retention, "{slowed:?} is not well inside the retention {retention:?}");
}

#[test]
fn a_queue_waits_for_the_queue_its_redrive_points_at() {
    let error = the_template()
        .resolved_properties("DeliveryQueue", STACK, &BTreeMap::new(), &Provisioned::default())
        .unwrap_err();
    assert!(error.is::<NotYetMade>(), "{error:#}");
}

#[test]
fn overrides_change_parameters_only() {
    let stale = overrides(&[("MaxReceiveCount", "3"), ("DeadLetterQueue", "elsewhere")]);
    assert_eq!(max_receive_count(&stale), 8 + 5);
    assert_eq!(
        delivery_queue(&stale)["RedrivePolicy"]["deadLetterTargetArn"],
        json!(dead_letter_queue_made().queue_arns["DeadLetterQueue"])
    );
}

const SNIPPETS: &str = r#"
Parameters:
  Schedule:
    Type: String
    Default: "0s,1s"
  Name:
    Type: String
    Default: hooks
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Thing:
    Type: Custom::Thing
    Properties:
      Short: !Length [a, b, c]
      Long:
        Fn::Length:
          Fn::Split: [",", {"Fn::Sub": "${Schedule},x"}]
      Mixed: !Length {"Fn::Split": ["-", !Join ["-", [a, !Ref Name, c, d]]]}
      Joined: !Join [":", [!Ref Name, !Select [1, !Split [",", !Ref Schedule]]]]
      Sub: !Sub "${Name}/${AWS::StackName}/${!Literal}"
      SubWithVariables: !Sub ["${Extra}-${Name}", {Extra: !Ref Schedule}]
      Nested:
        List: [!Ref Name, {"Ref": "Name"}, 7, true]
  Unknown:
    Type: Custom::Thing
    Properties:
      Value: !ImportValue somewhere-else
"#;

#[test]
fn length_counts_a_literal_list_or_the_list_a_function_returns_in_both_forms() {
    let thing = resolve_snippet(SNIPPETS, "Thing", &[("Schedule", "0s,1s,2s,3s")]).unwrap();
    assert_eq!(thing["Short"], json!(3));
    assert_eq!(thing["Long"], json!(5));
    assert_eq!(thing["Mixed"], json!(4));
}

#[test]
fn sub_join_select_and_split_resolve_like_cloudformation() {
    let thing = resolve_snippet(SNIPPETS, "Thing", &[]).unwrap();
    assert_eq!(thing["Joined"], json!("hooks:1s"));
    assert_eq!(thing["Sub"], json!("hooks/unit/${Literal}"));
    assert_eq!(thing["SubWithVariables"], json!("0s,1s-hooks"));
    assert_eq!(thing["Nested"]["List"], json!(["hooks", "hooks", 7, true]));
}

#[test]
fn a_function_the_provisioner_does_not_know_is_an_error_that_names_it() {
    let error = resolve_snippet(SNIPPETS, "Unknown", &[]).unwrap_err();
    assert!(!error.is::<NotYetMade>());
    assert!(format!("{error:#}").contains("ImportValue"), "{error:#}");
}

#[test]
fn the_templates_largest_event_and_message_size_are_the_ones_the_code_derives() {
    let template = the_template();
    let ceiling = template.root["Parameters"]["MaxBodyBytes"]["MaxValue"].as_u64().unwrap();
    assert_eq!(ceiling, u64::try_from(hookline_core::limits::MAX_EVENT_BYTES).unwrap());
    let sqs = u64::try_from(hookline_core::limits::SQS_MESSAGE_BYTES).unwrap();
    for queue in ["DeliveryQueue", "DeadLetterQueue"] {
        let size = template.root["Resources"][queue]["Properties"]["MaximumMessageSize"].as_u64();
        assert_eq!(size, Some(sqs), "{queue}");
    }
}

const CONDITIONAL: &str = r#"
Parameters:
  Static:
    Type: String
    Default: "false"
Conditions:
  UseStatic: !Equals [!Ref Static, "true"]
  NotStatic: !Not [!Condition UseStatic]
  Both: {"Fn::And": [!Condition UseStatic, !Equals [a, a]]}
Resources:
  Address:
    Type: AWS::EC2::EIP
  Thing:
    Type: Custom::Thing
    Properties:
      Ips: !If [UseStatic, !Ref Address, ""]
      Opposite: !If [NotStatic, "public", "static"]
      Long: {"Fn::If": [Both, yes, no]}
"#;

#[test]
fn if_resolves_only_the_branch_its_condition_picks() {
    let off = resolve_snippet(CONDITIONAL, "Thing", &[]).unwrap();
    assert_eq!(
        (off["Ips"].clone(), off["Opposite"].clone(), off["Long"].clone()),
        (json!(""), json!("public"), json!("no"))
    );
    let on = resolve_snippet(CONDITIONAL, "Thing", &[("Static", "true")]);
    assert!(
        on.unwrap_err().to_string().contains("Address"),
        "the chosen branch names an EIP not made locally"
    );
}
