//! A fake Redis on a loopback port, as a hostile or intercepted `redis://` would be: it
//! answers the connection handshake and `PING` as Redis does, and any other command with
//! a bulk string announcing a gigabyte, whose bytes it then streams for as long as the
//! client takes them. It counts what each connection took.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The size the huge reply announces: 1 GiB.
pub const ANNOUNCED: u64 = 1 << 30;

/// What one connection was sent of the huge reply.
#[derive(Default)]
pub struct Streamed {
    /// Bytes of the huge reply the client took.
    pub bytes: AtomicU64,
    /// Whether the client closed the connection (the write failed).
    pub cut: AtomicBool,
}

/// The running fake.
pub struct HostileRedis {
    port: u16,
    streams: Arc<Mutex<Vec<Arc<Streamed>>>>,
    server: tokio::task::JoinHandle<()>,
}

impl HostileRedis {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let streams = Arc::new(Mutex::new(Vec::new()));
        let kept = streams.clone();
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, kept.clone()));
            }
        });
        Self {
            port,
            streams,
            server,
        }
    }

    /// `redis://:PASSWORD@127.0.0.1:PORT`.
    pub fn url(&self, password: &str) -> String {
        format!("redis://:{password}@127.0.0.1:{}", self.port)
    }

    /// Every huge reply started so far, one per connection that asked for one.
    pub fn streamed(&self) -> Vec<Arc<Streamed>> {
        self.streams.lock().unwrap().clone()
    }
}

impl Drop for HostileRedis {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Answers the commands on `socket` until one gets the huge reply.
async fn serve(socket: tokio::net::TcpStream, streams: Arc<Mutex<Vec<Arc<Streamed>>>>) {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    while let Some(command) = read_command(&mut read).await {
        let answer: &[u8] = match command.to_ascii_uppercase().as_str() {
            "PING" => b"+PONG\r\n",
            "AUTH" | "CLIENT" | "SELECT" => b"+OK\r\n",
            _ => {
                let streamed = Arc::new(Streamed::default());
                streams.lock().unwrap().push(streamed.clone());
                stream_huge_reply(&mut write, &streamed).await;
                return;
            }
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// Sends `$1073741824\r\n` and then the bytes, counting them, until the client stops
/// taking them or all were sent.
async fn stream_huge_reply(write: &mut (impl AsyncWrite + Unpin), streamed: &Streamed) {
    let header = format!("${ANNOUNCED}\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    let mut result = write.write_all(header.as_bytes()).await;
    while result.is_ok() && sent < ANNOUNCED {
        result = write.write_all(&chunk).await;
        if result.is_ok() {
            sent += chunk.len() as u64;
            streamed.bytes.store(sent, Ordering::SeqCst);
        }
    }
    streamed.cut.store(result.is_err(), Ordering::SeqCst);
}

/// The name of the next command (a RESP array of bulk strings), its arguments skipped;
/// `None` at the end of the stream.
async fn read_command(read: &mut (impl AsyncBufReadExt + Unpin)) -> Option<String> {
    let count: usize = read_line(read).await?.strip_prefix('*')?.parse().ok()?;
    let mut name = None;
    for _ in 0..count {
        let length: usize = read_line(read).await?.strip_prefix('$')?.parse().ok()?;
        let mut argument = vec![0; length + 2];
        read.read_exact(&mut argument).await.ok()?;
        argument.truncate(length);
        name.get_or_insert_with(|| String::from_utf8_lossy(&argument).into_owned());
    }
    name
}

async fn read_line(read: &mut (impl AsyncBufReadExt + Unpin)) -> Option<String> {
    let mut line = String::new();
    match read.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end().to_owned()),
    }
}
