//! A real `redis-server` on a free loopback port, started by the test that needs it,
//! with nothing kept on disk. Where it is not installed the test is skipped with a line
//! saying so, or fails when `REQUIRE_REDIS=1` (CI installs it and sets that).

use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running (or stopped, to be restarted on the same port) `redis-server`.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    password: Option<String>,
}

impl RedisServer {
    /// Starts one for `test`; `None` (after saying so on stderr) when `redis-server` is
    /// not installed and `REQUIRE_REDIS` is not `1`.
    pub async fn start(test: &str) -> Option<Self> {
        Self::start_with_password(test, None).await
    }

    /// Like [`RedisServer::start`], demanding `password` from clients.
    pub async fn start_with_password(test: &str, password: Option<&str>) -> Option<Self> {
        if !installed() {
            assert!(
                std::env::var("REQUIRE_REDIS").as_deref() != Ok("1"),
                "REQUIRE_REDIS=1 but redis-server is not on PATH: install Debian's \
                 redis-server package (.ci/run does)"
            );
            // Straight to the process's stderr: the test harness captures `eprintln!` of a
            // passing test, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: redis-server is not on PATH; install Debian's redis-server \
                 package to run it (REQUIRE_REDIS=1 turns this skip into a failure)"
            );
            return None;
        }
        let port = super::free_port();
        let mut server = Self {
            port,
            child: None,
            password: password.map(str::to_owned),
        };
        server.restart().await;
        Some(server)
    }

    /// `redis://127.0.0.1:PORT` (with the password, if any).
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// Kills it (as a crash would) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes it (`SIGSTOP`): connections stay open and nothing answers, as with a hung
    /// server; [`RedisServer::resume`] thaws it.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a [`RedisServer::pause`]d server.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(sent.success(), "kill {signal} {pid}");
    }

    /// Starts it again on the same port, empty, and waits until it answers.
    pub async fn restart(&mut self) {
        self.stop();
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        self.child = Some(command.spawn().expect("redis-server starts"));
        for _ in 0..250 {
            if self.connection().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    /// A connection of the test's own, to look at what the gateway wrote.
    pub async fn connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let client = redis::Client::open(self.url())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await?;
        Ok(connection)
    }

    /// Every key the gateway wrote.
    pub async fn keys(&self) -> Vec<String> {
        let mut connection = self.connection().await.unwrap();
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg("arcade-mcp-gateway:*")
            .query_async(&mut connection)
            .await
            .unwrap();
        keys.sort();
        keys
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn installed() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A real `redis-server` serving only TLS on a free loopback port, with a certificate
/// for 127.0.0.1 from a test CA: what `rediss://` connects to.
pub struct TlsRedisServer {
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl TlsRedisServer {
    /// Starts one for `test`; `None` as [`RedisServer::start`] says.
    pub async fn start(test: &str) -> Option<Self> {
        // Whether Redis is here, and the skip or failure saying so when it is not.
        drop(RedisServer::start(test).await?);
        let dir = tempfile::tempdir().unwrap();
        issue_certificates(dir.path());
        let port = super::free_port();
        let file = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        let mut child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--tls-cert-file", &file("server.pem")])
            .args(["--tls-key-file", &file("server.key")])
            .args(["--tls-ca-cert-file", &file("ca.pem")])
            .args(["--tls-auth-clients", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        for _ in 0..250 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(Self { port, child, dir });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not listen for TLS on port {port}");
    }

    /// `rediss://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port)
    }

    /// The test CA's certificate, for `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> String {
        self.dir.path().join("ca.pem").to_str().unwrap().to_owned()
    }
}

impl Drop for TlsRedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test CA and a server certificate for 127.0.0.1 it signed, in `dir`.
fn issue_certificates(dir: &std::path::Path) {
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let steps: [&[&str]; 3] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "1",
            "-subj",
            "/CN=arcade-test-ca",
        ],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "1",
            "-extfile",
            "server.ext",
        ],
    ];
    for args in steps {
        let made = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(made.success(), "openssl {args:?}");
    }
}
