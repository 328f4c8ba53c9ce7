//! The TypeScript MCP SDK as a desktop client: `tests/clients/launch.mjs` launches a
//! stdio entry (command, args, env) with `StdioClientTransport` and `PATH=/usr/bin:/bin`
//! only, and prints the tools it lists, or why it could not connect.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// What the SDK client printed, and whether it listed the tools.
pub struct Launched {
    /// Whether it connected and listed.
    pub listed: bool,
    /// Its output: the tool names one a line, or `connect failed: …`.
    pub stdout: String,
    /// The server's stderr (and node's).
    pub log: String,
}

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Launches `spec` (`{"command", "args", "env"}`) as a client would, with `home` as its
/// home folder; fails the test when the SDK is not installed.
pub fn launch(spec: &Value, home: &Path) -> Launched {
    let sdk = clients_dir().join("node_modules/@modelcontextprotocol/sdk");
    assert!(
        sdk.is_dir(),
        "tests/clients/node_modules is missing: run `npm ci --prefix tests/clients`"
    );
    // A file, not a pipe: the server's logs must not fill a pipe nobody reads yet.
    let log = home.join("launch.log");
    let mut child = Command::new("node")
        .arg(clients_dir().join("launch.mjs"))
        .arg(spec.to_string())
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("node runs (install Node.js)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("launching {spec} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    Launched {
        listed: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        log: std::fs::read_to_string(&log).unwrap_or_default(),
    }
}
