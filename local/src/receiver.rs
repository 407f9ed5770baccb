//! A webhook receiver on 127.0.0.1 that records every request, checks its Standard Webhooks signature
//! when given the secret (answering 401 when it does not verify, as a real receiver must), and can be
//! told to fail its first N requests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use bytes::Bytes;
use hookline_core::signing::{
    DEFAULT_TOLERANCE_SECS, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, Secret, VerifyError, verify,
};
use tokio::net::TcpListener;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// `None` when the receiver has no secret to check with.
    pub verified: Option<Result<(), VerifyError>>,
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct Behaviour {
    pub secret: Option<Secret>,
    /// Answer this many requests with `failure_status` before succeeding.
    pub fail_first: usize,
    pub failure_status: u16,
    /// Then also answer every n-th request with `failure_status` (0: never), for a flaky receiver.
    pub fail_one_in: usize,
    /// The body of every answer (none when absent), say markup a portal must show escaped.
    pub answer_body: Option<String>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self { secret: None, fail_first: 0, failure_status: 500, fail_one_in: 0, answer_body: None }
    }
}

/// Called with each request as it arrives (the CLI prints them).
pub type OnReceive = Box<dyn Fn(&Received) + Send + Sync>;

struct Shared {
    behaviour: Mutex<Behaviour>,
    log: Mutex<Vec<Received>>,
    on_receive: Option<OnReceive>,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver").field("addr", &self.addr).finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Receiver {
    /// Binds `addr` (use port 0 for any free port) and serves until the runtime ends.
    pub async fn start(addr: SocketAddr, behaviour: Behaviour) -> anyhow::Result<Self> {
        Self::start_with(addr, behaviour, None).await
    }

    /// As [`start`](Self::start), calling `on_receive` for each request (the CLI prints them).
    pub async fn start_with(
        addr: SocketAddr,
        behaviour: Behaviour,
        on_receive: Option<OnReceive>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let shared = Arc::new(Shared { behaviour: Mutex::new(behaviour), log: Mutex::default(), on_receive });
        let app = Router::new().fallback(any(receive)).with_state(shared.clone());
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { addr, shared })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set_secret(&self, secret: Secret) {
        lock(&self.shared.behaviour).secret = Some(secret);
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.log).clone()
    }

    /// How many requests arrived (without copying them).
    pub fn count(&self) -> usize {
        lock(&self.shared.log).len()
    }

    /// Waits until `count` requests arrived (or `timeout` passed) and returns what arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.received().len() < count && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.received()
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let headers: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let behaviour = lock(&shared.behaviour).clone();
    let verified = behaviour.secret.as_ref().map(|secret| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let get = |name: &str| headers.get(name).map_or("", String::as_str);
        verify(
            secret,
            get(HEADER_ID),
            get(HEADER_TIMESTAMP),
            get(HEADER_SIGNATURE),
            &body,
            i64::try_from(now).unwrap_or(i64::MAX),
            DEFAULT_TOLERANCE_SECS,
        )
    });
    let mut log = lock(&shared.log);
    let answered = match &verified {
        Some(Err(_)) => 401,
        _ if log.len() < behaviour.fail_first => behaviour.failure_status,
        _ if behaviour.fail_one_in > 0 && log.len() % behaviour.fail_one_in == 0 => behaviour.failure_status,
        _ => 200,
    };
    let received = Received {
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        verified,
        answered,
    };
    if let Some(callback) = &shared.on_receive {
        callback(&received);
    }
    log.push(received);
    let status = StatusCode::from_u16(answered).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, behaviour.answer_body.unwrap_or_default())
}
