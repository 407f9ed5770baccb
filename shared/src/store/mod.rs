//! Where endpoints, messages and attempts live. Ports in domain words; [`dynamo::DynamoStore`] is the
//! AWS implementation (one table, every key prefixed by the tenant), [`memory::MemoryStore`] the
//! in-process one for unit tests.

pub mod codec;
pub mod dynamo;
pub mod keys;
pub mod memory;

use std::future::Future;

use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{Attempt, Endpoint, Message, QueueState};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed")]
    Dynamo {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("a stored {entity} item could not be read")]
    Corrupt {
        entity: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("endpoint {0} does not exist")]
    NoSuchEndpoint(EndpointId),
}

impl StoreError {
    pub(crate) fn dynamo<E>(operation: &'static str, source: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::Dynamo { operation, source: Box::new(source) }
    }
}

/// What inserting a message found: a fresh item, or the one an earlier request with the same id wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    New,
    Existing(Box<Message>),
}

pub trait EndpointStore: Send + Sync {
    fn put_endpoint(&self, endpoint: &Endpoint) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn get_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> impl Future<Output = Result<Option<Endpoint>, StoreError>> + Send;

    /// Every endpoint of the tenant (a Query on the tenant's partition, never a Scan).
    fn list_endpoints(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<Vec<Endpoint>, StoreError>> + Send;

    /// Stops deliveries to an endpoint, keeping why for the operator and the customer.
    fn disable_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        reason: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait MessageStore: Send + Sync {
    /// Writes the message unless one with its id exists; then returns that one instead.
    fn insert_message(&self, message: &Message) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    fn set_queue_state(
        &self,
        tenant: &TenantId,
        id: &MessageId,
        state: QueueState,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn get_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> impl Future<Output = Result<Option<Message>, StoreError>> + Send;
}

pub trait AttemptStore: Send + Sync {
    /// Records one attempt and updates where the message stands with that endpoint.
    fn record_attempt(&self, attempt: &Attempt) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every attempt of a message, to every endpoint, oldest first per endpoint.
    fn attempts_for_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> impl Future<Output = Result<Vec<Attempt>, StoreError>> + Send;
}
