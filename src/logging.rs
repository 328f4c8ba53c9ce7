//! Logs: `tracing` to stderr only, because stdout belongs to the stdio protocol.
//! `RUST_LOG` sets the level; without it, each command has its own default. When
//! traces are on, their layer sits beside the logger (see [`crate::telemetry`]).
//!
//! A line may quote what a client sent (a JSON-RPC id, a name, a URI, as rmcp's own
//! "response error" line does), and one client sending megabytes of it must not fill
//! the disk: in text, each field's value is cut at [`MAX_FIELD_CHARS`], and every line
//! (JSON too) at [`MAX_LINE_BYTES`].

use std::fmt;
use std::io::Write;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::telemetry::{Traces, is_trace_span};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line an event.
    #[default]
    Text,
    /// One JSON object an event (`timestamp`, `level`, `fields`, `span`, `spans`), for
    /// log collectors.
    Json,
}

/// Installs the stderr logger in `format`, at `default_level` unless `RUST_LOG` says
/// otherwise, and the layer of `traces` when there are any. Call once, first thing.
pub fn init(default_level: &str, format: LogFormat, traces: Option<&Traces>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let logger = tracing_subscriber::fmt::layer()
        .with_writer(BoundedStderr)
        .with_ansi(false)
        .with_target(false);
    let logger: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => logger.fmt_fields(BoundedFields).boxed(),
        LogFormat::Json => logger.json().boxed(),
    };
    // The trace spans are for the collector: log lines look the same with traces on.
    let logged = filter.and(filter_fn(|metadata| !is_trace_span(metadata)));
    tracing_subscriber::registry()
        .with(logger.with_filter(logged))
        .with(traces.map(Traces::layer))
        .init();
}

/// The longest log line written, in bytes: room for any line the gateway writes itself,
/// and a bound on what a client can make it write.
pub const MAX_LINE_BYTES: usize = 4096;

/// The longest field value written in a text line, in characters (the message aside).
pub const MAX_FIELD_CHARS: usize = 512;

/// Fields as the text logger writes them (`message name=value …`), each value cut at
/// [`MAX_FIELD_CHARS`].
struct BoundedFields;

impl<'writer> FormatFields<'writer> for BoundedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = BoundedVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct BoundedVisitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: fmt::Result,
}

impl Visit for BoundedVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        let separator = if std::mem::take(&mut self.first) {
            ""
        } else {
            " "
        };
        self.result = if field.name() == "message" {
            write!(self.writer, "{separator}{value:?}")
        } else {
            let text = format!("{value:?}");
            let shown = cut(&text, MAX_FIELD_CHARS);
            let more = if shown.len() < text.len() { "…" } else { "" };
            write!(self.writer, "{separator}{}={shown}{more}", field.name())
        };
    }
}

/// `text` up to its `chars`th character.
fn cut(text: &str, chars: usize) -> &str {
    text.char_indices()
        .nth(chars)
        .map_or(text, |(end, _)| &text[..end])
}

/// Stderr, one event a line, each line cut at [`MAX_LINE_BYTES`].
struct BoundedStderr;

impl<'a> MakeWriter<'a> for BoundedStderr {
    type Writer = BoundedLine;

    fn make_writer(&'a self) -> Self::Writer {
        BoundedLine::default()
    }
}

/// One event's line, kept up to the bound (and how much more was cut), written to stderr
/// whole when the event is done.
#[derive(Default)]
struct BoundedLine {
    kept: Vec<u8>,
    cut: usize,
}

impl Write for BoundedLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let room = MAX_LINE_BYTES.saturating_sub(self.kept.len());
        let taken = bytes.len().min(room);
        self.kept.extend_from_slice(&bytes[..taken]);
        self.cut += bytes.len() - taken;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl BoundedLine {
    /// The line as written: whole, or cut at a character's edge with how much was cut.
    fn finish(&mut self) -> Vec<u8> {
        let kept = std::mem::take(&mut self.kept);
        let cut = std::mem::take(&mut self.cut);
        if cut == 0 {
            return kept;
        }
        let text = String::from_utf8_lossy(&kept);
        let mut line = text.trim_end_matches('\u{fffd}').trim_end().to_owned();
        line.push_str(&format!(" …[{cut} more bytes cut]\n"));
        line.into_bytes()
    }
}

impl Drop for BoundedLine {
    fn drop(&mut self) {
        let line = self.finish();
        if !line.is_empty() {
            // Nowhere to report a failed log write.
            let _ = std::io::stderr().lock().write_all(&line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_field_values_are_cut_in_text_lines() {
        let (writer, lines) = CapturedLines::new();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .fmt_fields(BoundedFields)
            .finish();
        let id = "i".repeat(100_000);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(%id, short = "kept", "response error");
        });
        let line = lines.text();
        assert!(line.contains("response error"), "{line}");
        assert!(line.contains(r#"short="kept""#), "{line}");
        assert!(
            line.contains(&format!("id={}…", "i".repeat(MAX_FIELD_CHARS))),
            "{line}"
        );
        assert!(line.len() < 1024, "{} bytes", line.len());
    }

    /// What a test subscriber writes.
    #[derive(Clone, Default)]
    struct CapturedLines(std::sync::Arc<parking_lot::Mutex<Vec<u8>>>);

    impl CapturedLines {
        fn new() -> (Self, Self) {
            let lines = Self::default();
            (lines.clone(), lines)
        }

        fn text(&self) -> String {
            String::from_utf8(self.0.lock().clone()).unwrap()
        }
    }

    impl Write for CapturedLines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for CapturedLines {
        type Writer = Self;

        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    #[test]
    fn a_long_line_is_cut_and_says_so_and_a_short_one_is_whole() {
        let mut short = BoundedLine::default();
        short.write_all(b"a short line\n").unwrap();
        assert_eq!(short.finish(), b"a short line\n");

        let mut long = BoundedLine::default();
        long.write_all("é".repeat(MAX_LINE_BYTES).as_bytes())
            .unwrap();
        long.write_all(b"\n").unwrap();
        let line = String::from_utf8(long.finish()).unwrap();
        assert!(line.len() <= MAX_LINE_BYTES + 64, "{} bytes", line.len());
        assert!(line.ends_with(&format!(" …[{} more bytes cut]\n", MAX_LINE_BYTES + 1)));
    }
}
