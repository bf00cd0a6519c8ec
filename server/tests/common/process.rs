//! The server binary as a child process on a loopback socket: CLI commands,
//! `serve` and `demo` started on a free port, stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_holdfast-server");

/// Runs one CLI command to success; its stdout.
pub fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("run holdfast-server");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A child process killed when dropped, so a failing test leaves none behind.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `holdfast-server <args> --listen 127.0.0.1:0 --log-format json`
/// and reads the bound address from its log.
pub fn start(args: &[&str]) -> (Running, SocketAddr) {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("server exited before listening").expect("log line");
        let Ok(log) = serde_json::from_str::<Value>(&line) else { continue };
        if let Some(addr) = log["fields"]["addr"].as_str() {
            break addr.parse().expect("addr");
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Running(child), addr)
}

/// SIGTERM, then expects a clean exit within 5 s.
pub fn terminate(Running(child): &mut Running) {
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "graceful shutdown exits 0: {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the server did not stop within 5 s of SIGTERM");
}

/// `holdfast-server demo` serving its seeded studio on a free port.
pub struct Demo {
    pub child: Running,
    pub addr: SocketAddr,
    /// The owner key it printed.
    pub key: String,
    /// The example commands it printed (`curl …` lines).
    pub commands: Vec<String>,
}

/// Starts `holdfast-server demo --listen 127.0.0.1:0 <args>` in `dir` (its
/// SQLite file lands there) and reads what it prints until it serves. Its
/// log (JSON lines) goes to `log` if given.
pub fn demo(dir: &Path, args: &[&str], log: Option<&Path>) -> Demo {
    let stderr = match log {
        Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
        None => Stdio::null(),
    };
    let mut child = Running(
        Command::new(BIN)
            .args(["demo", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn demo"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut commands = Vec::new();
    let mut key = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if line.starts_with("curl ") {
            commands.push(line.clone());
        }
        if let Some(k) = line.strip_prefix("Owner key (shown once): ") {
            key = k.to_owned();
        }
        if let Some(rest) = line.strip_prefix("Serving on http://") {
            let addr = rest.split(' ').next().and_then(|a| a.parse::<SocketAddr>().ok());
            let addr = addr.expect("the demo says where it serves");
            assert!(key.starts_with("hf_"), "the demo prints its owner key: {key:?}");
            return Demo { child, addr, key, commands };
        }
    }
    panic!("the demo exited before serving");
}
