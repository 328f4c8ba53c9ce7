//! The byte stream to Redis: opened over TCP, TLS (`rediss://`) or a Unix socket, with
//! every byte Redis sends read through a [`ReplySizer`] before the `redis` crate sees it,
//! so that no reply grows past [`MAX_REPLY_BYTES`].
//!
//! It is a crate of its own because it needs nothing of the gateway: give its stream to
//! `redis::aio::MultiplexedConnection::new_with_config`. The gateway opens the stream itself, rather than letting the `redis` crate do it,
//! because that crate reads replies of any size and offers no hook into the sockets it
//! opens. TLS is set up as that crate does it: the platform's trusted roots (which
//! `SSL_CERT_FILE` and `SSL_CERT_DIR` replace), the server's certificate checked against
//! the host name, no client certificate.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use redis::{ConnectionAddr, ConnectionInfo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

mod reply_size;

pub use reply_size::{MAX_REPLY_BYTES, ReplyRefused, ReplySizer};

/// Why no stream to Redis could be opened. No message quotes the URL (it may hold a
/// password): the host is enough to say which.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The socket could not be opened.
    #[error("cannot connect to Redis: {0}")]
    Connect(io::Error),
    /// The platform's trusted roots could not be read, for `rediss://`.
    #[error(
        "cannot read the trusted TLS roots for rediss:// ({0}); fix or unset SSL_CERT_FILE \
         and SSL_CERT_DIR"
    )]
    TrustedRoots(String),
    /// A host that cannot be checked against a certificate.
    #[error("rediss:// needs a host name or IP address that its certificate can name: {0}")]
    HostName(String),
    /// The TLS handshake failed (an untrusted certificate, another name on it…).
    #[error(
        "the TLS handshake with Redis failed: {0}; the server's certificate must be signed \
         by a trusted root (SSL_CERT_FILE adds a private CA) and name the host of --redis-url"
    )]
    Handshake(io::Error),
    /// `rediss://…#insecure`, TLS without checking the certificate.
    #[error(
        "rediss:// with #insecure (TLS without checking the server's certificate) is not \
         supported; trust the server's CA with SSL_CERT_FILE instead"
    )]
    Insecure,
    /// An address kind this gateway does not know.
    #[error("this kind of Redis address is not supported; give redis://, rediss:// or unix://")]
    Unsupported,
}

/// Any socket to Redis.
trait Socket: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Socket for T {}

/// Opens the stream to the Redis of `info`.
pub async fn open(info: &ConnectionInfo) -> Result<BoundedStream, TransportError> {
    let socket: Box<dyn Socket> = match info.addr() {
        ConnectionAddr::Tcp(host, port) => Box::new(tcp(host, *port).await?),
        ConnectionAddr::TcpTls { insecure: true, .. } => return Err(TransportError::Insecure),
        ConnectionAddr::TcpTls { host, port, .. } => Box::new(tls(host, *port).await?),
        ConnectionAddr::Unix(path) => Box::new(
            UnixStream::connect(path)
                .await
                .map_err(TransportError::Connect)?,
        ),
        _ => return Err(TransportError::Unsupported),
    };
    Ok(BoundedStream::new(socket))
}

async fn tcp(host: &str, port: u16) -> Result<TcpStream, TransportError> {
    let socket = TcpStream::connect((host, port))
        .await
        .map_err(TransportError::Connect)?;
    // Commands are small and each waits for its answer: nothing to gain from Nagle.
    socket.set_nodelay(true).map_err(TransportError::Connect)?;
    Ok(socket)
}

async fn tls(
    host: &str,
    port: u16,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, TransportError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|error| TransportError::HostName(error.to_string()))?;
    let config = ClientConfig::builder()
        .with_root_certificates(trusted_roots()?)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp(host, port).await?)
        .await
        .map_err(TransportError::Handshake)
}

/// The platform's trusted roots, read at each connection (as the `redis` crate does),
/// so that a renewed CA bundle is used without a restart. Any unreadable root is an
/// error rather than a smaller trust store.
fn trusted_roots() -> Result<RootCertStore, TransportError> {
    let loaded = rustls_native_certs::load_native_certs();
    if let Some(error) = loaded.errors.into_iter().next() {
        return Err(TransportError::TrustedRoots(error.to_string()));
    }
    let mut roots = RootCertStore::empty();
    for certificate in loaded.certs {
        roots
            .add(certificate)
            .map_err(|error| TransportError::TrustedRoots(error.to_string()))?;
    }
    Ok(roots)
}

/// A stream to Redis whose reads fail, for good, once a reply passes the bound: the
/// `redis` crate then sees a broken connection, fails the command with the reason, and
/// the gateway opens a new one.
pub struct BoundedStream {
    socket: Box<dyn Socket>,
    sizer: ReplySizer,
    refused: Option<ReplyRefused>,
}

impl BoundedStream {
    fn new(socket: Box<dyn Socket>) -> Self {
        Self {
            socket,
            sizer: ReplySizer::default(),
            refused: None,
        }
    }
}

impl AsyncRead for BoundedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(refused) = &this.refused {
            return Poll::Ready(Err(refusal(refused)));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.socket).poll_read(cx, buf))?;
        if let Err(refused) = this.sizer.read(&buf.filled()[before..]) {
            // Nothing of a refused read reaches the reader.
            buf.set_filled(before);
            let error = refusal(&refused);
            this.refused = Some(refused);
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for BoundedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

fn refusal(refused: &ReplyRefused) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, refused.clone())
}

#[cfg(test)]
mod tests {
    use redis::IntoConnectionInfo;

    use super::*;

    #[tokio::test]
    async fn tls_without_checking_the_certificate_is_refused_before_connecting() {
        let info = "rediss://127.0.0.1:1/#insecure"
            .into_connection_info()
            .unwrap();
        let error = open(&info).await.err().expect("refused");
        assert!(matches!(error, TransportError::Insecure), "{error}");
        assert!(error.to_string().contains("SSL_CERT_FILE"), "{error}");
    }

    #[tokio::test]
    async fn a_closed_port_says_it_cannot_connect() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let info = format!("redis://127.0.0.1:{port}/")
            .into_connection_info()
            .unwrap();
        let error = open(&info).await.err().expect("nothing listens there");
        assert!(
            error.to_string().starts_with("cannot connect to Redis: "),
            "{error}"
        );
    }
}
