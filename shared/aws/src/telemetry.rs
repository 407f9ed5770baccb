//! JSON logs for CloudWatch: one object per line, with the current span's ids as fields.
//!
//! Log bytes are billed, so a line holds only what a reader needs: the event's fields at the top level,
//! and no timestamp of its own (every CloudWatch log event carries the time Lambda captured it).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber, writing to stdout; `RUST_LOG` sets the level (default `info`).
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// The same subscriber writing elsewhere (a benchmark counts the bytes the functions would log).
pub fn init_with_writer<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_set = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .flatten_event(true)
        .without_time()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_writer(writer)
        .try_init();
}
