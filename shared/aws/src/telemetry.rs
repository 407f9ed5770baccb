//! JSON logs for CloudWatch: one flat object per line (`json_lines`), with the current span's ids as fields.
//!
//! Log bytes are billed, so a line holds only what a reader needs: the event's fields at the top level,
//! and no timestamp of its own (every CloudWatch log event carries the time Lambda captured it).

mod json_lines;

use std::str::FromStr as _;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use json_lines::JsonLines;

/// Installs the global subscriber, writing to stdout; `RUST_LOG` sets the level (default `info`), as a
/// level or `target=level` pairs (`info,hookline=debug`).
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// The same subscriber writing elsewhere (a benchmark counts the bytes the functions would log).
pub fn init_with_writer<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| Targets::from_str(&directives).ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing_subscriber::filter::LevelFilter::INFO));
    let json = JsonLines::new(writer);
    let _already_set = tracing_subscriber::registry().with(json).with(filter).try_init();
}
