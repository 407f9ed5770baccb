//! The log line itself: one flat JSON object per event, written in one `write` so lines never interleave.
//!
//! `{"level":"INFO","message":"attempt recorded","tenant_id":"ten_…","message_id":"msg_…",…}`: the
//! level and message first, then the fields of the span the event happened in (its ids), then the
//! event's own fields; a field the event sets itself is not repeated from the span. No span name, no
//! nesting and no timestamp (CloudWatch stamps every log event): log bytes are billed, and a reader
//! searching by `message_id` finds the field at the top level whatever span it came from.

use std::fmt::{self, Write as _};
use std::io::Write as _;

use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Writes each event as one JSON line to what `make_writer` gives for its metadata.
pub(super) struct JsonLines<W> {
    make_writer: W,
}

impl<W> JsonLines<W> {
    pub(super) fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// Fields in the order they were recorded; a field recorded again keeps its place and takes the value.
#[derive(Default)]
struct Fields(Vec<(&'static str, Value)>);

impl Fields {
    fn set(&mut self, name: &'static str, value: Value) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) => *old = value,
            None => self.0.push((name, value)),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field.name(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.set(field.name(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.set(field.name(), Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%display` fields and the message arrive here; their Debug form is the text itself.
        self.set(field.name(), Value::from(format!("{value:?}")));
    }
}

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut own = Fields::default();
        event.record(&mut own);
        let mut line = String::with_capacity(256);
        line.push_str("{\"level\":\"");
        line.push_str(event.metadata().level().as_str());
        line.push('"');
        if let Some(message) = own.get("message") {
            push_field(&mut line, "message", message);
        }
        // The span the event happened in: the innermost one, which holds the ids of what is being done.
        if let Some(span) = ctx.event_span(event)
            && let Some(fields) = span.extensions().get::<Fields>()
        {
            for (name, value) in fields.0.iter().filter(|(name, _)| own.get(name).is_none()) {
                push_field(&mut line, name, value);
            }
        }
        for (name, value) in own.0.iter().filter(|(name, _)| *name != "message") {
            push_field(&mut line, name, value);
        }
        line.push_str("}\n");
        // A line that cannot be written is dropped rather than failing the work it describes.
        let _ignored = self.make_writer.make_writer_for(event.metadata()).write_all(line.as_bytes());
    }
}

fn push_field(line: &mut String, name: &str, value: &Value) {
    // Writing JSON into a String cannot fail.
    let _ = write!(line, ",{}:{}", Value::from(name), value);
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, PoisonError};

    use tracing::{info, info_span, warn};
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn lines_of(work: impl FnOnce()) -> Vec<String> {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLines::new(captured.clone()));
        tracing::subscriber::with_default(subscriber, work);
        let bytes = captured.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        String::from_utf8(bytes).unwrap().lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_line_is_flat_with_its_spans_ids_at_the_top_level() {
        let lines = lines_of(|| {
            let span = info_span!(
                "delivery",
                tenant_id = "ten_a",
                message_id = "msg_1",
                attempt = tracing::field::Empty
            );
            let _entered = span.enter();
            span.record("attempt", 2);
            info!(status = 204, latency_ms = 3, "attempt recorded");
        });
        assert_eq!(
            lines,
            [
                r#"{"level":"INFO","message":"attempt recorded","tenant_id":"ten_a","message_id":"msg_1","attempt":2,"status":204,"latency_ms":3}"#
            ]
        );
    }

    #[test]
    fn a_field_the_event_sets_is_not_repeated_from_its_span_and_text_is_escaped() {
        let lines = lines_of(|| {
            let outer = info_span!("request", path = "/v1/events");
            let _outer = outer.enter();
            let span = info_span!("tenant", tenant_id = "ten_a");
            let _entered = span.enter();
            let error = "quote \" and\nnewline";
            warn!(tenant_id = "ten_a", error = %error, "could not write");
        });
        assert_eq!(lines.len(), 1);
        let line: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["error"], "quote \" and\nnewline");
        assert_eq!(line["tenant_id"], "ten_a");
        // Only the innermost span's fields: the request's path is on the request's own lines.
        assert!(line.get("path").is_none());
        assert_eq!(lines[0].matches("tenant_id").count(), 1);
    }

    #[test]
    fn an_event_outside_any_span_has_only_its_own_fields() {
        let lines = lines_of(|| info!(events = 3, "events queued"));
        assert_eq!(lines, [r#"{"level":"INFO","message":"events queued","events":3}"#]);
    }
}
