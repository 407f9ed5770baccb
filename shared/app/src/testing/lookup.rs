//! A [`Lookup`] that plays DNS from a script.

use std::net::IpAddr;

use futures::future::BoxFuture;

use crate::lookup::Lookup;

/// A [`Lookup`] that plays DNS from a script, for tests: each lookup takes the next answer, and the
/// last answer repeats. It counts lookups, so tests can see that a connection looked a name up once.
#[derive(Debug, Default)]
pub struct ScriptedLookup {
    answers: std::sync::Mutex<std::collections::VecDeque<Vec<IpAddr>>>,
    lookups: std::sync::atomic::AtomicUsize,
}

impl ScriptedLookup {
    pub fn new(answers: Vec<Vec<IpAddr>>) -> Self {
        Self { answers: std::sync::Mutex::new(answers.into()), lookups: Default::default() }
    }

    pub fn lookups(&self) -> usize {
        self.lookups.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Lookup for ScriptedLookup {
    fn lookup(&self, _host: String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        self.lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = if answers.len() > 1 { answers.pop_front() } else { answers.front().cloned() };
        Box::pin(async move { Ok(next.unwrap_or_default()) })
    }
}
