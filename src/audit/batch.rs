//! Lines gathered into batches, so that the writer's worker thread wakes and writes a
//! few times a second, not once a line: a wake-up and a write cost more CPU than the
//! line itself, and they would be paid by every call.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use tracing_appender::non_blocking::NonBlocking;

/// How often the lines gathered so far are passed to the writer.
pub const BATCH_EVERY: Duration = Duration::from_millis(100);

/// A batch this large is passed on at once, without waiting for the tick.
const BATCH_BYTES: usize = 64 << 10;

/// The lines not yet passed to the writer, and the writer.
#[derive(Debug)]
pub struct Batcher {
    pending: Mutex<Vec<u8>>,
    writer: NonBlocking,
    /// Pass each line on alone (stderr, which the logs share: a pipe keeps a write
    /// whole only up to 4 KiB, so a batch could tear a log line in two).
    each_line: bool,
}

impl Batcher {
    /// A batcher in front of `writer`; with `each_line`, no line waits for a batch.
    pub fn new(writer: NonBlocking, each_line: bool) -> Self {
        Self {
            pending: Mutex::new(Vec::with_capacity(BATCH_BYTES)),
            writer,
            each_line,
        }
    }

    /// Adds `line` as one line of JSON, and passes the batch on if it is full.
    pub fn push(&self, line: &impl Serialize) {
        let full = {
            let mut pending = self.pending.lock();
            let start = pending.len();
            if let Err(error) = serde_json::to_writer(&mut *pending, line) {
                pending.truncate(start);
                tracing::error!(%error, "could not serialize an audit line");
                return;
            }
            pending.push(b'\n');
            (self.each_line || pending.len() >= BATCH_BYTES).then(|| take(&mut pending))
        };
        if let Some(batch) = full {
            self.send(&batch);
        }
    }

    /// Passes on whatever is gathered.
    pub fn flush(&self) {
        let batch = take(&mut self.pending.lock());
        if !batch.is_empty() {
            self.send(&batch);
        }
    }

    /// One message to the worker: whole lines, never interleaved with another batch.
    fn send(&self, batch: &[u8]) {
        if let Err(error) = self.writer.clone().write_all(batch) {
            tracing::error!(%error, "could not queue audit lines: the audit writer has stopped");
        }
    }
}

/// The gathered lines, leaving an empty buffer of the usual size behind.
fn take(pending: &mut Vec<u8>) -> Vec<u8> {
    let capacity = if pending.is_empty() { 0 } else { BATCH_BYTES };
    std::mem::replace(pending, Vec::with_capacity(capacity))
}

/// The thread that passes the lines on every [`BATCH_EVERY`]; dropped, it passes on
/// the last ones and stops.
#[derive(Debug)]
pub struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts flushing `batcher` every [`BATCH_EVERY`].
    pub fn start(batcher: Arc<Batcher>) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("audit-log-batch".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(BATCH_EVERY) {
                    batcher.flush();
                }
                batcher.flush();
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        // Closing the channel wakes the thread, which flushes once more and ends.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the audit log's batch thread panicked; its last lines may be lost");
        }
    }
}
