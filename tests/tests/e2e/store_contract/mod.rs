//! The store contract: one suite of cases, run against the in-memory store (which the services' unit
//! tests rely on) and against the DynamoDB store on the emulator, so the fake cannot drift from the real
//! store. A case that one store passes and the other fails is a bug in one of them.

mod cases;
mod log_cases;

use aws_sdk_dynamodb::types::AttributeValue;
use hookline::store::{RateBucket, RateLimiter as _};
use hookline_aws::dynamo::{DynamoStore, keys};
use hookline_core::ids::TenantId;
use hookline_tests::Stack;

/// Runs each case once per store, as `memory::<case>` and `dynamo::<case>`.
macro_rules! contract {
    ($($cases:ident::$case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$cases::$case(&hookline::testing::MemoryStore::default()).await;
                }
            )*
        }

        mod dynamo {
            $(
                #[tokio::test]
                async fn $case() {
                    let stack = super::stack().await;
                    super::$cases::$case(super::dynamo(&stack)).await;
                }
            )*
        }
    };
}

contract!(
    cases::endpoints_page_through_in_creation_order_without_gaps_or_repeats,
    cases::a_stale_revision_is_refused_and_a_deleted_endpoint_reports_gone,
    cases::only_one_of_two_concurrent_claims_wins,
    cases::api_keys_are_found_by_id_listed_by_tenant_and_revoked_only_by_their_tenant,
    cases::another_tenants_ids_find_nothing,
    cases::event_types_are_created_once_listed_by_name_and_deleted,
    cases::the_rate_limiter_admits_up_to_the_budget_per_second_then_refuses,
    cases::tenants_are_created_once_and_updated_in_place,
    cases::an_endpoints_failing_run_starts_at_its_first_failure_and_a_success_ends_it,
    cases::a_cursor_is_the_last_sort_key_and_one_past_the_tenant_reads_nothing,
    log_cases::messages_list_newest_first_within_a_time_range_and_of_one_type,
    log_cases::an_endpoints_attempts_list_newest_first_and_filter_by_state,
    log_cases::a_message_log_holds_the_latest_delivery_per_endpoint_and_every_attempt,
    log_cases::a_delivery_state_changes_only_from_the_states_named,
);

async fn stack() -> Stack {
    Stack::new(&[]).await.expect("a fresh stack in the emulator")
}

fn dynamo(stack: &Stack) -> &DynamoStore {
    stack.delivery.store()
}

/// DynamoDB only (the in-memory store has no TTL): a rate window carries its own expiry.
#[tokio::test]
async fn a_dynamodb_rate_window_expires_by_itself() {
    let stack = stack().await;
    let bucket = RateBucket::Ingest(TenantId::generate());
    let second = 1_700_000_000;
    assert!(dynamo(&stack).admit(&bucket, 5, 5, second * 1_000 + 100).await.unwrap());
    let window = aws_sdk_dynamodb::Client::new(&stack.aws)
        .get_item()
        .table_name(&stack.config.table_name)
        .key(keys::PK, AttributeValue::S(keys::rate_pk(&bucket)))
        .key(keys::SK, AttributeValue::S(keys::rate_sk(second)))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(window["used"], AttributeValue::N("5".into()));
    let expires: i64 = window[keys::EXPIRES_AT].as_n().unwrap().parse().unwrap();
    assert!(expires > second && expires <= second + 600, "{expires}");
}
