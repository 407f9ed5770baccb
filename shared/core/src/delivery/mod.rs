//! One delivery attempt as pure rules: the signed request it sends, what its outcome means (the
//! verdict), and the attempt record it leaves. The I/O around them lives in `hookline::delivery`.

pub mod ledger;
mod outcome;
mod record;
mod verdict;

pub use outcome::{OutgoingWebhook, SendFailure, WebhookResponse};
pub use record::{attempt_record, signed};
pub use verdict::{Verdict, judge};
