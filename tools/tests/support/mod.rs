//! Finding the `rtes` binary from tests of this package: it lives in
//! another package, so it is looked up under `$CARGO_TARGET_DIR` or
//! `<workspace>/target/{release,debug}` and built with `cargo build --bin
//! rtes` when missing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The newest `rtes` build under the target directory, built when missing.
pub fn rtes_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let candidates = [target.join("release/rtes"), target.join("debug/rtes")];
    // The most recently built one: a stale release build must not hide
    // a fresh debug build (or the other way round).
    let newest = candidates
        .iter()
        .filter_map(|path| Some((path.metadata().ok()?.modified().ok()?, path)))
        .max_by_key(|(modified, _)| *modified);
    if let Some((_, found)) = newest {
        return found.clone();
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--bin", "rtes"])
        .current_dir(workspace())
        .status()
        .expect("run cargo build --bin rtes");
    assert!(status.success(), "cargo build --bin rtes failed");
    target.join("debug/rtes")
}

/// A running `rtes` (killed when dropped) and the addresses it bound.
pub struct RtesServer {
    child: std::process::Child,
    ports: serde_json::Value,
}

impl RtesServer {
    /// Starts `rtes --config <config> --log-level warn --ports-file
    /// <dir>/ports.json <args>` and waits (up to 30 s) for the ports file.
    pub fn start(dir: &Path, config: &Path, args: &[&str]) -> RtesServer {
        use std::process::Stdio;
        use std::time::{Duration, Instant};
        let ports_file = dir.join("ports.json");
        let child = Command::new(rtes_binary())
            .arg("--config")
            .arg(config)
            .args(["--log-level", "warn", "--ports-file"])
            .arg(&ports_file)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn rtes");
        let mut server = RtesServer {
            child,
            ports: serde_json::Value::Null,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(text) = std::fs::read_to_string(&ports_file) {
                if let Ok(ports) = serde_json::from_str::<serde_json::Value>(&text) {
                    server.ports = ports;
                    return server;
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("rtes exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("rtes did not write {}", ports_file.display());
    }

    /// The address of listener `name` (`ouch`, `fix`, ...) from the ports file.
    pub fn address(&self, name: &str) -> std::net::SocketAddr {
        self.ports[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name:?} listener in {}", self.ports))
            .parse()
            .expect("an address")
    }
}

impl Drop for RtesServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
