//! The endpoint cache's bound, and what this instance's own writes do to it.

use super::*;

#[tokio::test]
async fn a_cached_endpoint_is_read_again_after_the_bound_so_a_disable_reaches_deliveries_within_it() {
    let mut f =
        fixture_caching("0s", vec![status(204), status(204), status(204)], Duration::from_secs(5)).await;
    f.receive(1).await;
    f.update_endpoint(|endpoint| endpoint.enabled = false).await;

    f.next_message();
    f.deps.clock.advance(Duration::from_millis(4_999));
    f.receive(1).await;
    assert_eq!(f.deps.sender.sent().len(), 2, "within the bound the endpoint read before is used");

    f.next_message();
    f.deps.clock.advance(Duration::from_millis(1));
    f.receive(1).await;
    assert_eq!(f.deps.sender.sent().len(), 2, "at the bound the endpoint is read again, disabled");
    let last = f.attempts().into_iter().max_by_key(|a| a.started_at_ms).unwrap();
    assert_eq!((last.state, last.error_code), (DeliveryState::Abandoned, Some(ErrorCode::EndpointDisabled)));
}

#[tokio::test]
async fn a_failure_this_instance_records_drops_the_cached_endpoint_so_the_next_success_clears_it() {
    let mut f = fixture_caching("0s,1s", vec![status(500), status(200)], Duration::from_secs(5)).await;
    f.receive(1).await;
    assert!(f.stored_endpoint().await.failing_since_ms.is_some());
    f.next_message();
    f.receive(1).await;
    assert_eq!(f.stored_endpoint().await.failing_since_ms, None, "the success saw the endpoint failing");
}
