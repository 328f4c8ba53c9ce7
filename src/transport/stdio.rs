//! MCP over stdin/stdout, for clients that launch the server as a child process.
//! Stdout belongs to the protocol: logs go to stderr.
//!
//! A client shuts the server down by closing its stdin (the MCP stdio lifecycle), and a
//! client that dies closes it too: either way the calls still in flight are cancelled
//! at once, dropping their upstream requests, instead of running on for nobody.

use std::pin::Pin;
use std::task::{Context, Poll};

use rmcp::ServiceExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::gateway::{ClientGone, Gateway};
use crate::startup::StartError;

/// Serves one client on stdin/stdout until it disconnects.
pub async fn serve(gateway: Gateway) -> Result<(), StartError> {
    serve_io(gateway, tokio::io::stdin(), tokio::io::stdout()).await
}

/// Serves one client speaking newline-delimited JSON-RPC on `reader`/`writer` until it
/// closes its side. [`serve`] runs this on stdin/stdout; tests and the fuzz target run
/// it on an in-memory pipe.
pub async fn serve_io<R, W>(gateway: Gateway, reader: R, writer: W) -> Result<(), StartError>
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
        .map_err(|e| StartError::Transport(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| StartError::Transport(e.to_string()))?;
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
