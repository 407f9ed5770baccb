//! The one place service failures become HTTP answers: each failure's status, with the stable code the
//! service names. A client mistake is a 4xx; only what the client cannot fix (storage or queue down) is
//! a 503, which is safe to retry since ingest is idempotent.

use hookline::access::{AccessError, AuthError};
use hookline::error::ServiceError;

use crate::ApiError;

/// The HTTP status of a service failure.
pub fn status_of(error: &ServiceError) -> u16 {
    match error {
        ServiceError::Invalid(_)
        | ServiceError::Field(_)
        | ServiceError::Time(_)
        | ServiceError::Filter(_)
        | ServiceError::Undecodable(_)
        | ServiceError::InvalidCursor => 400,
        ServiceError::BadUrl(e) | ServiceError::BadTokenUrl(e) if e.is_blocked() => 422,
        ServiceError::BadUrl(_) | ServiceError::BadTokenUrl(_) => 400,
        ServiceError::NotFound { .. } => 404,
        ServiceError::IdConflict(_)
        | ServiceError::InProgress(_)
        | ServiceError::EventTypeExists(_)
        | ServiceError::EndpointDisabled(_) => 409,
        ServiceError::TenantDeleted(_) => 409,
        ServiceError::EventTooLarge { .. } => 413,
        ServiceError::UnregisteredEventType(_)
        | ServiceError::InvalidTenantId(_)
        | ServiceError::Portal(_) => 422,
        ServiceError::RateLimited { .. } => 429,
        // Retry-safe: the producer sends the same request again and gets the first answer.
        ServiceError::Store(_) | ServiceError::Queue(_) | ServiceError::BatchOutOfTime => 503,
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        let status = status_of(&error);
        let retry_after = matches!(
            error,
            ServiceError::InProgress(_) | ServiceError::RateLimited { .. } | ServiceError::BatchOutOfTime
        );
        let answer = match &error {
            // serde's own words say where the body went wrong.
            ServiceError::Undecodable(e) => ApiError::undecodable(e),
            _ => ApiError::new(status, error.code(), error.to_string()),
        };
        if retry_after { answer.retry_after(1) } else { answer }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let message = error.to_string();
        match error {
            AuthError::Missing | AuthError::Invalid => ApiError::new(401, "unauthorized", message),
            AuthError::Store(_) => ApiError::new(503, "storage_unavailable", message),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        let message = error.to_string();
        let (status, code) = match error {
            AccessError::PlatformKeyRequired => (403, "platform_key_required"),
            AccessError::TenantPathRequired(_) => (403, "tenant_path_required"),
            AccessError::KeyRequired => (403, "api_key_required"),
            AccessError::CapabilityMissing(_) => (403, "capability_missing"),
            AccessError::NoSuchTenant(_) => (404, "not_found"),
            AccessError::Store(_) => (503, "storage_unavailable"),
        };
        ApiError::new(status, code, message)
    }
}

#[cfg(test)]
mod tests {
    use hookline::store::StoreError;

    use super::*;

    #[test]
    fn each_failure_gets_its_status_and_stable_code() {
        let cases = [
            (ServiceError::Invalid("x".into()), 400, "invalid_request"),
            (ServiceError::InvalidCursor, 400, "invalid_cursor"),
            (ServiceError::not_found("endpoint", "ep_1"), 404, "not_found"),
            (ServiceError::IdConflict("k".into()), 409, "id_conflict"),
            (ServiceError::InProgress("k".into()), 409, "request_in_progress"),
            (ServiceError::EventTypeExists("a".into()), 409, "event_type_exists"),
            (ServiceError::EndpointDisabled("ep_1".into()), 409, "endpoint_disabled"),
            (ServiceError::EventTooLarge { size: 2, limit: 1 }, 413, "body_too_large"),
            (ServiceError::UnregisteredEventType("a".into()), 422, "unregistered_event_type"),
            (ServiceError::RateLimited { limit: 1 }, 429, "rate_limited"),
            (ServiceError::TenantDeleted("acme".into()), 409, "tenant_deleted"),
            (
                ServiceError::InvalidTenantId(hookline_core::ids::IdError::BadTenantId),
                422,
                "invalid_tenant_id",
            ),
            (ServiceError::Portal(hookline_core::portal::PortalError::ExpiresIn), 422, "invalid_expires_in"),
            (ServiceError::Store(StoreError::Conflict), 503, "storage_unavailable"),
        ];
        for (error, status, code) in cases {
            let answer = ApiError::from(error);
            assert_eq!((answer.status, answer.code), (status, code), "{}", answer.message);
        }
    }

    #[test]
    fn each_refusal_of_access_gets_its_status_and_code() {
        use hookline_core::portal::Capability;
        let cases = [
            (AccessError::PlatformKeyRequired, 403, "platform_key_required"),
            (AccessError::TenantPathRequired("/events".into()), 403, "tenant_path_required"),
            (AccessError::KeyRequired, 403, "api_key_required"),
            (AccessError::CapabilityMissing(Capability::Secrets), 403, "capability_missing"),
            (AccessError::NoSuchTenant("acme".into()), 404, "not_found"),
        ];
        for (error, status, code) in cases {
            let answer = ApiError::from(error);
            assert_eq!((answer.status, answer.code), (status, code), "{}", answer.message);
        }
    }

    #[test]
    fn only_throttling_answers_carry_retry_after() {
        assert_eq!(ApiError::from(ServiceError::RateLimited { limit: 1 }).retry_after, Some(1));
        assert_eq!(ApiError::from(ServiceError::InProgress("k".into())).retry_after, Some(1));
        assert_eq!(ApiError::from(ServiceError::InvalidCursor).retry_after, None);
    }

    #[test]
    fn an_undecodable_batch_item_is_told_apart_from_a_wrong_field() {
        let syntax = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        assert_eq!(ApiError::from(ServiceError::Undecodable(syntax)).code, "invalid_json");
    }
}
