//! The `rtes` binary's configuration subcommands (the server itself needs
//! the engine, which is tested elsewhere).

use std::io::Write;
use std::process::{Command, Stdio};

fn rtes() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rtes"));
    command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    command
}

#[test]
fn check_config_accepts_the_default() {
    let output = rtes().arg("check-config").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("instrument AAPL"), "{stdout}");
    assert!(stdout.contains("login demo01"), "{stdout}");
}

#[test]
fn check_config_names_the_bad_key_and_fails() {
    let directory = std::env::temp_dir().join(format!("rtes-config-cli-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("bad.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../config/default.toml"
    ))
    .unwrap()
    .replace(
        "listen = \"127.0.0.1:15000\"",
        "listen = \"127.0.0.1:99999\"",
    );
    std::fs::write(&path, text).unwrap();
    let output = rtes()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("ouch.listen: invalid port 99999"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn hash_password_reads_stdin_and_verifies() {
    let mut child = rtes()
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hunter22\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let hash = String::from_utf8(output.stdout).unwrap();
    let hash = hash.trim();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(rtes_gateway::config::credentials::verify_password(
        hash, "hunter22"
    ));
    assert!(!rtes_gateway::config::credentials::verify_password(
        hash, "hunter2"
    ));
}

#[test]
fn bad_serve_flags_fail_with_a_message() {
    let output = rtes().args(["--pin", "engine"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("expected NAME=VALUE"), "{stderr}");

    let output = rtes()
        .args(["--threads", "many", "--ouch-port", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("runtime.threads"), "{stderr}");

    // A core that does not exist fails before anything starts.
    let output = rtes()
        .args(["--threads", "dedicated", "--pin", "engine=100000"])
        .args(["--ouch-port", "0", "--log-level", "error"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cannot pin to core 100000"), "{stderr}");
}
