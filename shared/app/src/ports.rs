//! The ports a service runs on, named once: [`Ports`] carries their types, so a service is generic over
//! one parameter and states its bounds once per `impl` block.

use std::fmt::Debug;

use crate::clock::Clock;
use crate::queue::DeliveryQueue;
use crate::sender::WebhookSender;
use crate::store::Store;

/// One set of ports: `hookline_aws::AwsPorts` in a deployment, in-memory ones in unit tests.
pub trait Ports: 'static {
    type Store: Store + Debug + 'static;
    type Queue: DeliveryQueue + Debug + 'static;
    /// Sends webhooks: deliveries, and the verification probe's requests.
    type Sender: WebhookSender + Debug + 'static;
    type Clock: Clock + Debug + 'static;
}
