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
