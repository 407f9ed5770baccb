//! What the pipeline bench reads: CPU time of a thread or process, and the bytes the functions log.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;

/// Seconds on CPU of one thread, precise to the nanosecond (`/proc/<path>/schedstat`).
pub fn thread_cpu_s(proc_path: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{proc_path}/schedstat")).unwrap_or_default();
    text.split_whitespace().next().and_then(|ns| ns.parse::<f64>().ok()).unwrap_or(0.0) / 1e9
}

/// Seconds on CPU of a whole process, user and system (`/proc/<pid>/stat`, in clock ticks of 10 ms).
pub fn process_cpu_s(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of stat; `rest` starts at field 3.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// The process ids the bench script passed (`HOOKLINE_BENCH_PIDS=moto:123,proxy:456`).
pub fn named_processes() -> Vec<(String, u32)> {
    std::env::var("HOOKLINE_BENCH_PIDS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .filter_map(|(name, pid)| Some((name.to_owned(), pid.parse().ok()?)))
        .collect()
}

/// Counts the bytes and lines Hookline's code logs, as CloudWatch Logs would ingest them. The local
/// event source's own lines are left out: in AWS the event source mapping logs nothing to the function.
#[derive(Debug, Clone, Default)]
pub struct LogMeter {
    bytes: Arc<AtomicU64>,
    lines: Arc<AtomicU64>,
    /// The first line of each kind (its `message`, or the metrics a document declares), to show.
    samples: Arc<Mutex<Vec<(String, String)>>>,
}

/// Kinds of line kept as samples.
const MAX_SAMPLES: usize = 16;

impl LogMeter {
    /// (bytes, lines) so far.
    pub fn read(&self) -> (u64, u64) {
        (self.bytes.load(Ordering::Relaxed), self.lines.load(Ordering::Relaxed))
    }

    /// Counts one line written to stdout (an EMF document).
    pub fn count_line(&self, line: &str) {
        self.bytes.fetch_add(line.len() as u64 + 1, Ordering::Relaxed);
        self.lines.fetch_add(1, Ordering::Relaxed);
        self.sample(line);
    }

    /// The first line of each kind seen so far.
    pub fn samples(&self) -> Vec<String> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, line)| line.clone())
            .collect()
    }

    fn sample(&self, line: &str) {
        // Cheap (the handlers' thread is metered): the text after `"message":` or `"Metrics":` names the kind.
        let kind = ["\"message\":", "\"Metrics\":"]
            .iter()
            .find_map(|key| line.find(key).map(|at| &line[at..]))
            .map(|rest| rest.split_once(',').map_or(rest, |(kind, _)| kind))
            .unwrap_or_default();
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() < MAX_SAMPLES && samples.iter().all(|(seen, _)| seen != kind) {
            samples.push((kind.to_owned(), line.trim_end().to_owned()));
        }
    }
}

#[derive(Debug)]
pub struct Counted(Option<LogMeter>);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(meter) = &self.0 {
            meter.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            let lines = buf.iter().filter(|&&b| b == b'\n').count() as u64;
            meter.lines.fetch_add(lines, Ordering::Relaxed);
            if let Ok(text) = std::str::from_utf8(buf) {
                text.lines().for_each(|line| meter.sample(line));
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogMeter {
    type Writer = Counted;

    fn make_writer(&'a self) -> Self::Writer {
        Counted(Some(self.clone()))
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        let local = meta.target().starts_with("hookline_local");
        Counted((!local).then(|| self.clone()))
    }
}
