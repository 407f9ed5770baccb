//! The store contract: one suite of cases, run against the in-memory store (which the services' unit
//! tests rely on) and against the DynamoDB store on the emulator, so the fake cannot drift from the real
//! store. A case that one store passes and the other fails is a bug in one of them.

mod cases;
mod ledger_cases;
mod legacy_ledger;
mod log_cases;
mod message_bodies;
mod platform_cases;

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
    cases::a_queue_outcome_counts_only_for_the_claim_it_ends,
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
    message_bodies::a_message_body_reads_back_byte_for_byte_by_id_in_its_log_and_in_the_listing,
    ledger_cases::an_attempt_whose_place_was_taken_goes_after_the_newest_entry,
    ledger_cases::a_resend_mark_sets_the_state_without_being_an_attempt,
    platform_cases::tenants_list_by_id_and_a_deleted_one_leaves_the_list,
    platform_cases::deleting_a_tenant_closes_its_endpoints_and_revokes_its_keys_and_nothing_of_others,
    platform_cases::a_settings_update_keeps_the_session_revocation,
    platform_cases::platform_keys_are_found_listed_oldest_first_and_revoked,
    platform_cases::a_portal_link_is_exchanged_once,
);

pub(super) async fn stack() -> Stack {
    Stack::new(&[]).await.expect("a fresh stack in the emulator")
}

pub(super) fn dynamo(stack: &Stack) -> &DynamoStore {
    stack.delivery.store()
}

/// DynamoDB only (the in-memory store has no TTL): a deleted tenant's items expire after the retention.
#[tokio::test]
async fn a_deleted_tenants_items_in_dynamodb_expire_after_the_retention() {
    use hookline::store::{ApiKeyStore as _, EndpointStore as _, TenantStore as _};
    let stack = stack().await;
    let store = dynamo(&stack);
    let tenant = hookline_core::tenancy::Tenant::named(TenantId::parse("gone").unwrap(), "x".into(), 0);
    store.put_tenant(&tenant).await.unwrap();
    let endpoint = cases::endpoint(&tenant.id);
    store.put_endpoint(&endpoint).await.unwrap();
    let (key, _) = hookline_core::tenancy::ApiKey::issue(tenant.id.clone(), "k".into(), 0);
    store.put_api_key(&key).await.unwrap();
    let at_ms = 1_700_000_000_000;
    assert!(store.delete_tenant(&tenant.id, at_ms).await.unwrap());
    let expected =
        AttributeValue::N((at_ms / 1000 + i64::from(stack.config.retention_days) * 86_400).to_string());
    let client = aws_sdk_dynamodb::Client::new(&stack.aws);
    for (pk, sk) in [
        (keys::tenant_pk(&tenant.id), keys::TENANT_SK.to_owned()),
        (keys::tenant_pk(&tenant.id), keys::endpoint_sk(&endpoint.id)),
        (keys::api_key_pk(&key.id), keys::API_KEY_SK.to_owned()),
    ] {
        let item = client
            .get_item()
            .table_name(&stack.config.table_name)
            .key(keys::PK, AttributeValue::S(pk.clone()))
            .key(keys::SK, AttributeValue::S(sk))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(item.get(keys::EXPIRES_AT), Some(&expected), "{pk}");
    }
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
