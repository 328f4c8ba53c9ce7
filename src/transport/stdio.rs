//! MCP over stdin/stdout, for clients that launch the server as a child process.
//! Stdout belongs to the protocol: logs go to stderr.
//!
//! A client shuts the server down by closing its stdin (the MCP stdio lifecycle), and a
//! client that dies closes it too: either way the calls still in flight are cancelled
//! at once, dropping their upstream requests, instead of running on for nobody.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::pin::Pin;
use std::task::{Context, Poll};

use rmcp::ServiceExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::unix::pipe;

use crate::gateway::{ClientGone, Gateway};

/// The MCP connection on stdin/stdout failed.
#[derive(Debug, thiserror::Error)]
#[error("the MCP connection failed: {0}")]
pub struct StdioError(String);

/// Serves one client on stdin/stdout until it disconnects.
pub async fn serve(gateway: Gateway) -> Result<(), StdioError> {
    match stdio_pipes() {
        Some((input, output)) => serve_io(gateway, input, output).await,
        None => serve_io(gateway, tokio::io::stdin(), tokio::io::stdout()).await,
    }
}

/// Stdin and stdout as non-blocking pipes, when the client launched the server with
/// pipes (as MCP clients do): each read and write then waits on tokio's reactor instead
/// of a trip through its blocking thread pool, two thread switches fewer a call. `None`
/// when either is a terminal or a file (tokio's own stdin/stdout serve those); both are
/// checked before either is switched to non-blocking mode.
fn stdio_pipes() -> Option<(pipe::Receiver, pipe::Sender)> {
    let input = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let output = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    if !(is_pipe(&input) && is_pipe(&output)) {
        return None;
    }
    let input = pipe::Receiver::from_owned_fd(input).ok()?;
    let output = pipe::Sender::from_owned_fd(output).ok()?;
    Some((input, output))
}

fn is_pipe(fd: &OwnedFd) -> bool {
    fd.try_clone()
        .map(std::fs::File::from)
        .and_then(|file| file.metadata())
        .is_ok_and(|meta| meta.file_type().is_fifo())
}

/// Serves one client speaking newline-delimited JSON-RPC on `reader`/`writer` until it
/// closes its side. [`serve`] runs this on stdin/stdout; tests and the fuzz target run
/// it on an in-memory pipe.
pub async fn serve_io<R, W>(gateway: Gateway, reader: R, writer: W) -> Result<(), StdioError>
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let client_gone = ClientGone::default();
    let reader = UntilClosed {
        inner: reader,
        closed: client_gone.clone(),
    };
    let running = gateway
        .with_client_gone(client_gone)
        .serve((reader, writer))
        .await
        .map_err(|e| StdioError(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| StdioError(e.to_string()))?;
    Ok(())
}

/// A reader that cancels `closed` when its input ends or fails: the client is gone.
struct UntilClosed<R> {
    inner: R,
    closed: ClientGone,
}

impl<R: AsyncRead + Unpin> AsyncRead for UntilClosed<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Err(_)) => self.closed.cancel(),
            Poll::Ready(Ok(())) if buf.filled().len() == before && buf.remaining() > 0 => {
                self.closed.cancel()
            }
            _ => {}
        }
        polled
    }
}
