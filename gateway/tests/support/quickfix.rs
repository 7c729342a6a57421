//! Interoperability harness with the real QuickFIX engine (C++, through its
//! Python binding): a scriptable FIX 4.4 initiator (`tests/quickfix/initiator.py`)
//! and a minimal QuickFIX acceptor (`tests/quickfix/acceptor.py`), each a child
//! process driven with JSON lines (see `tests/quickfix/README.md`).
//!
//! Include it next to the usual support module:
//!
//! ```ignore
//! #[path = "support/quickfix.rs"]
//! mod quickfix;
//! ```
//!
//! The virtualenv holding QuickFIX is built once by `scripts/quickfix-venv.sh`
//! (minutes the first time, cached under `target/quickfix-venv`). When it
//! cannot be built, [`QuickFixVenv::require`] fails the test loudly; set
//! `RTES_SKIP_QUICKFIX=1` to turn that into a loud skip on a machine that
//! cannot reach PyPI or lacks a C++ compiler.
//!
//! Every wait is bounded, and every child process is killed on drop.
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The longest the venv build may take (a cold build is ~8 min on 2 cores).
pub const VENV_BUILD_TIMEOUT: Duration = Duration::from_secs(45 * 60);
/// A default bound for waits on a peer on loopback.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long a child gets to start and print its first line.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Slack on top of a command's own timeout before the reply counts as lost.
const REPLY_MARGIN: Duration = Duration::from_secs(5);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Path of a harness script in `gateway/tests/quickfix/`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/quickfix")
        .join(name)
}

/// Writes straight to the process's stderr, past the test harness's output
/// capture, so that a long venv build shows progress.
fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A directory removed on drop, unless the thread is panicking (then it is
/// kept, with QuickFIX's logs in it, and its path printed).
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(tag: &str) -> ScratchDir {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let unique = format!(
            "rtes-qf-{tag}-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap();
        ScratchDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            progress(&format!("(kept QuickFIX logs in {})", self.0.display()));
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The Python virtualenv with QuickFIX in it.
#[derive(Clone, Debug)]
pub struct QuickFixVenv {
    /// `<venv>/bin/python`.
    pub python: PathBuf,
}

impl QuickFixVenv {
    /// Builds the venv (once per process; concurrent processes serialize on a
    /// lock file in the script) and returns it, or why it could not.
    pub fn ensure() -> Result<QuickFixVenv, String> {
        static VENV: OnceLock<Result<QuickFixVenv, String>> = OnceLock::new();
        VENV.get_or_init(build_venv).clone()
    }

    /// For tests: the venv, or a loud panic. With `RTES_SKIP_QUICKFIX=1` a
    /// failure is a loud skip instead (`None`: return from the test).
    pub fn require() -> Option<QuickFixVenv> {
        match QuickFixVenv::ensure() {
            Ok(venv) => Some(venv),
            Err(why) => {
                if std::env::var("RTES_SKIP_QUICKFIX").is_ok_and(|v| v == "1") {
                    progress(&format!(
                        "\n\n*** SKIPPED (RTES_SKIP_QUICKFIX=1): the QuickFIX interoperability test did not run: {why} ***\n"
                    ));
                    None
                } else {
                    panic!(
                        "\n\n*** QuickFIX is not available, so the FIX interoperability test cannot run ***\n\
                         {why}\n\
                         Fix the environment (scripts/quickfix-venv.sh needs PyPI, g++ and python3-dev/venv), \
                         or set RTES_SKIP_QUICKFIX=1 to skip these tests loudly.\n"
                    )
                }
            }
        }
    }
}

fn build_venv() -> Result<QuickFixVenv, String> {
    let script = repo_root().join("scripts/quickfix-venv.sh");
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let output = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut readers = Vec::new();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    for stream in [
        Box::new(stdout) as Box<dyn std::io::Read + Send>,
        Box::new(stderr),
    ] {
        let output = Arc::clone(&output);
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                progress(&format!("[quickfix-venv] {line}"));
                output.lock().unwrap().push(line);
            }
        }));
    }
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > VENV_BUILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{} did not finish within {VENV_BUILD_TIMEOUT:?}",
                script.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    for reader in readers {
        let _ = reader.join();
    }
    let lines = output.lock().unwrap().clone();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    if !status.success() {
        return Err(format!(
            "{} failed ({status}); its last lines:\n{tail}",
            script.display()
        ));
    }
    let python = lines
        .iter()
        .rev()
        .find_map(|line| line.strip_prefix("RTES_QUICKFIX_PYTHON="))
        .map(PathBuf::from)
        .ok_or_else(|| {
            format!(
                "{} printed no RTES_QUICKFIX_PYTHON= line:\n{tail}",
                script.display()
            )
        })?;
    if !python.exists() {
        return Err(format!("{} does not exist", python.display()));
    }
    Ok(QuickFixVenv { python })
}

/// A FIX message as QuickFIX saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixMessage {
    pub msg_type: String,
    /// Every tag=value in order, header and trailer included.
    pub fields: Vec<(u32, String)>,
    /// The message as QuickFIX serializes it (SOH separators).
    pub raw: String,
    /// A session-level (admin) message.
    pub admin: bool,
}

impl FixMessage {
    fn from_json(value: &Value) -> FixMessage {
        let fields = value["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|pair| {
                        (
                            pair[0].as_i64().unwrap_or(-1) as u32,
                            pair[1].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        FixMessage {
            msg_type: value["msg_type"].as_str().unwrap_or_default().to_string(),
            fields,
            raw: value["raw"].as_str().unwrap_or_default().to_string(),
            admin: value["admin"].as_bool().unwrap_or(false),
        }
    }

    /// The first value of `tag`.
    pub fn get(&self, tag: u32) -> Option<&str> {
        self.fields
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `tag`, or a panic naming the message.
    pub fn req(&self, tag: u32) -> &str {
        self.get(tag)
            .unwrap_or_else(|| panic!("tag {tag} missing from {}", self.pretty()))
    }

    /// The raw message with `|` for SOH.
    pub fn pretty(&self) -> String {
        self.raw.replace('\u{1}', "|")
    }
}

/// `{"11":"c1",...}` from tag/value pairs.
fn match_object(fields: &[(u32, &str)]) -> Value {
    let mut map = serde_json::Map::new();
    for (tag, value) in fields {
        map.insert(tag.to_string(), Value::String(value.to_string()));
    }
    Value::Object(map)
}

/// A child process speaking JSON lines: replies (lines with `"reply":true`)
/// come through a channel; every other line is kept as an event.
struct JsonChild {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Value>,
    events: Arc<Mutex<Vec<Value>>>,
    stderr_path: PathBuf,
    name: &'static str,
}

impl JsonChild {
    fn spawn(
        name: &'static str,
        mut command: Command,
        stderr_path: PathBuf,
    ) -> Result<JsonChild, String> {
        let stderr = File::create(&stderr_path).map_err(|e| e.to_string())?;
        let mut child = command
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, replies) = channel();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| json!({"event": "garbage", "text": line}));
                if value["reply"].as_bool() == Some(true) {
                    if tx.send(value).is_err() {
                        break;
                    }
                } else {
                    sink.lock().unwrap().push(value);
                }
            }
        });
        Ok(JsonChild {
            child,
            stdin,
            replies,
            events,
            stderr_path,
            name,
        })
    }

    /// Waits for the first event with `"event": kind` (e.g. "started").
    fn wait_event(&mut self, kind: &str, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self
                .events
                .lock()
                .unwrap()
                .iter()
                .find(|e| e["event"] == kind || e["event"] == "error")
            {
                if found["event"] == "error" {
                    return Err(format!("{} failed: {}", self.name, found["text"]));
                }
                return Ok(found.clone());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) before `{kind}`; stderr:\n{}",
                    self.name,
                    self.stderr_tail()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} printed no `{kind}` within {timeout:?}",
                    self.name
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends a command and returns its reply (any `event`), bounded by
    /// `timeout` plus a margin.
    fn command(&mut self, command: Value, timeout: Duration) -> Result<Value, String> {
        // Drop replies of commands that timed out on our side before.
        while self.replies.try_recv().is_ok() {}
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("{} stdin closed", self.name))?;
        writeln!(stdin, "{command}")
            .and_then(|_| stdin.flush())
            .map_err(|e| {
                format!(
                    "{} is gone ({e}); stderr:\n{}",
                    self.name,
                    self.stderr_tail()
                )
            })?;
        match self.replies.recv_timeout(timeout + REPLY_MARGIN) {
            Ok(reply) => Ok(reply),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "{} did not answer {command} within {:?}",
                self.name,
                timeout + REPLY_MARGIN
            )),
            Err(RecvTimeoutError::Disconnected) => Err(format!(
                "{} exited while running {command}; stderr:\n{}",
                self.name,
                self.stderr_tail()
            )),
        }
    }

    fn stderr_tail(&self) -> String {
        tail_of_file(&self.stderr_path, 30)
    }

    /// Asks the child to quit and waits (bounded); kills it otherwise.
    fn quit(&mut self, grace: Duration) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "{}", json!({"cmd": "quit"}));
            let _ = stdin.flush();
            // Dropping stdin also means quit (EOF).
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for JsonChild {
    fn drop(&mut self) {
        // Tests end with quit(); here only make sure nothing outlives us.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail_of_file(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// How to start an [`Initiator`].
#[derive(Clone, Debug)]
pub struct InitiatorOptions {
    pub host: String,
    pub port: u16,
    /// Our SenderCompID (the client's CompID).
    pub sender: String,
    /// The acceptor's CompID: `RTES`.
    pub target: String,
    /// HeartBtInt (seconds).
    pub heartbeat: u32,
    /// FileStore directory; pass the same one to a later initiator to keep
    /// sequence numbers across runs. `None`: a fresh one per initiator.
    pub store_dir: Option<PathBuf>,
    /// ResetOnLogon (141=Y on our Logon, sequence numbers back to 1).
    pub reset_on_logon: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Seconds between reconnect attempts (QuickFIX's ReconnectInterval).
    pub reconnect_interval: u32,
    /// More initiator.py flags, e.g. `--validate-user-defined-fields N`.
    pub extra_args: Vec<String>,
}

impl InitiatorOptions {
    /// 127.0.0.1:`port`, `sender` -> RTES, HeartBtInt 30, no reset, no credentials.
    pub fn new(port: u16, sender: &str) -> InitiatorOptions {
        InitiatorOptions {
            host: "127.0.0.1".to_string(),
            port,
            sender: sender.to_string(),
            target: "RTES".to_string(),
            heartbeat: 30,
            store_dir: None,
            reset_on_logon: false,
            username: None,
            password: None,
            reconnect_interval: 1,
            extra_args: Vec::new(),
        }
    }

    pub fn credentials(mut self, username: &str, password: &str) -> Self {
        self.username = Some(username.to_string());
        self.password = Some(password.to_string());
        self
    }

    pub fn heartbeat(mut self, seconds: u32) -> Self {
        self.heartbeat = seconds;
        self
    }

    pub fn store(mut self, dir: &Path) -> Self {
        self.store_dir = Some(dir.to_path_buf());
        self
    }

    pub fn reset_on_logon(mut self, reset: bool) -> Self {
        self.reset_on_logon = reset;
        self
    }

    pub fn target(mut self, target: &str) -> Self {
        self.target = target.to_string();
        self
    }
}

/// Next sequence numbers from the session's store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqNums {
    pub next_sender: u64,
    pub next_target: u64,
}

/// A real QuickFIX initiator (FIX 4.4) in a child process.
pub struct Initiator {
    proc: JsonChild,
    /// QuickFIX's FileLog directory (messages and events of the session).
    pub log_dir: PathBuf,
    pub options: InitiatorOptions,
    _dir: ScratchDir,
}

impl Initiator {
    /// Starts initiator.py; it connects (and reconnects) on its own.
    pub fn spawn(venv: &QuickFixVenv, options: InitiatorOptions) -> Initiator {
        let dir = ScratchDir::new("initiator");
        let log_dir = dir.path().join("log");
        let store = options
            .store_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("store"));
        let mut command = Command::new(&venv.python);
        command
            .arg(script("initiator.py"))
            .args(["--host", &options.host])
            .args(["--port", &options.port.to_string()])
            .args(["--sender", &options.sender])
            .args(["--target", &options.target])
            .args(["--heartbeat", &options.heartbeat.to_string()])
            .arg("--store")
            .arg(&store)
            .arg("--log")
            .arg(&log_dir)
            .args([
                "--reset-on-logon",
                if options.reset_on_logon { "Y" } else { "N" },
            ])
            .args([
                "--reconnect-interval",
                &options.reconnect_interval.to_string(),
            ])
            .args(&options.extra_args);
        if let Some(username) = &options.username {
            command.args(["--username", username]);
        }
        if let Some(password) = &options.password {
            command.args(["--password", password]);
        }
        std::fs::create_dir_all(&log_dir).unwrap();
        let mut proc = JsonChild::spawn("initiator.py", command, dir.path().join("stderr.txt"))
            .unwrap_or_else(|e| panic!("{e}"));
        proc.wait_event("started", START_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}"));
        Initiator {
            proc,
            log_dir,
            options,
            _dir: dir,
        }
    }

    fn run(&mut self, command: Value, timeout: Duration) -> Result<Value, String> {
        let reply = self.proc.command(command, timeout)?;
        match reply["event"].as_str() {
            Some("timeout") | Some("error") => Err(format!(
                "{}\n--- QuickFIX event log (last lines) ---\n{}",
                reply["text"].as_str().unwrap_or("?"),
                self.event_log_tail(15)
            )),
            _ => Ok(reply),
        }
    }

    /// Waits until the session is logged on.
    pub fn wait_logon(&mut self, timeout: Duration) -> Result<(), String> {
        self.run(
            json!({"cmd": "wait_logon", "timeout": timeout.as_secs_f64()}),
            timeout,
        )
        .map(|_| ())
    }

    /// Waits until the session is logged out (or never was logged on).
    pub fn wait_logout(&mut self, timeout: Duration) -> Result<(), String> {
        self.run(
            json!({"cmd": "wait_logout", "timeout": timeout.as_secs_f64()}),
            timeout,
        )
        .map(|_| ())
    }

    /// Sends any message (QuickFIX fills 8/9/34/49/52/56/10); header tags in
    /// `fields` go into the header. The value `$now` is the current UTC time.
    /// Returns the MsgSeqNum it went out with. Sent even when not logged on
    /// (QuickFIX stores it and it goes out in a resend).
    pub fn send(&mut self, msg_type: &str, fields: &[(u32, &str)]) -> Result<u64, String> {
        let fields: Vec<Value> = fields.iter().map(|(t, v)| json!([t, v])).collect();
        let reply = self.run(
            json!({"cmd": "send", "msg_type": msg_type, "fields": fields}),
            WAIT,
        )?;
        Ok(reply["seq"].as_u64().unwrap_or(0))
    }

    /// Waits for (and consumes) the first received message of `msg_type`
    /// (`""`: any type), admin or app, with the given tag values; messages
    /// that arrived before the call count.
    pub fn wait(
        &mut self,
        msg_type: &str,
        fields: &[(u32, &str)],
        timeout: Duration,
    ) -> Result<FixMessage, String> {
        self.wait_dir("in", msg_type, fields, timeout)
    }

    /// Like [`Initiator::wait`], for messages QuickFIX sent (e.g. a Reject or
    /// a ResendRequest of its own).
    pub fn wait_sent(
        &mut self,
        msg_type: &str,
        fields: &[(u32, &str)],
        timeout: Duration,
    ) -> Result<FixMessage, String> {
        self.wait_dir("out", msg_type, fields, timeout)
    }

    fn wait_dir(
        &mut self,
        direction: &str,
        msg_type: &str,
        fields: &[(u32, &str)],
        timeout: Duration,
    ) -> Result<FixMessage, String> {
        let mut command = json!({
            "cmd": "wait",
            "direction": direction,
            "timeout": timeout.as_secs_f64(),
            "match": match_object(fields),
        });
        if !msg_type.is_empty() {
            command["msg_type"] = json!(msg_type);
        }
        let reply = self.run(command, timeout)?;
        Ok(FixMessage::from_json(&reply))
    }

    /// Ok when no matching message arrives within `within`.
    pub fn expect_none(
        &mut self,
        msg_type: &str,
        fields: &[(u32, &str)],
        within: Duration,
    ) -> Result<(), String> {
        match self.wait(msg_type, fields, within) {
            Ok(message) => Err(format!("unexpected message {}", message.pretty())),
            Err(_) => Ok(()),
        }
    }

    /// Forgets every message not yet consumed by a wait.
    pub fn clear(&mut self) -> Result<(), String> {
        self.run(json!({"cmd": "clear"}), WAIT).map(|_| ())
    }

    /// Sends Logout and disables the session (no reconnect until [`Initiator::logon`]).
    pub fn logout(&mut self) -> Result<(), String> {
        self.run(json!({"cmd": "logout"}), WAIT).map(|_| ())
    }

    /// Logout with Text (58).
    pub fn logout_with(&mut self, text: &str) -> Result<(), String> {
        self.run(json!({"cmd": "logout", "text": text}), WAIT)
            .map(|_| ())
    }

    /// Re-enables the session: it connects and logs on again.
    pub fn logon(&mut self) -> Result<(), String> {
        self.run(json!({"cmd": "logon"}), WAIT).map(|_| ())
    }

    /// Drops the TCP connection without Logout; QuickFIX reconnects.
    pub fn disconnect(&mut self) -> Result<(), String> {
        self.run(json!({"cmd": "disconnect"}), WAIT).map(|_| ())
    }

    pub fn seqnums(&mut self) -> Result<SeqNums, String> {
        let reply = self.run(json!({"cmd": "seqnums"}), WAIT)?;
        Ok(SeqNums {
            next_sender: reply["next_sender"].as_u64().unwrap_or(0),
            next_target: reply["next_target"].as_u64().unwrap_or(0),
        })
    }

    /// Sets the next MsgSeqNum we send (higher: the acceptor sees a gap and
    /// must send a ResendRequest).
    pub fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), String> {
        self.run(json!({"cmd": "set_next_sender_seq", "seq": seq}), WAIT)
            .map(|_| ())
    }

    /// Sets the MsgSeqNum we expect next (lower: the acceptor's next message
    /// looks like a gap, and QuickFIX sends it a ResendRequest).
    pub fn set_next_target_seq(&mut self, seq: u64) -> Result<(), String> {
        self.run(json!({"cmd": "set_next_target_seq", "seq": seq}), WAIT)
            .map(|_| ())
    }

    /// `{"logged_on":..,"enabled":..,"logons":..,"logouts":..,"next_sender":..,"next_target":..}`
    pub fn status(&mut self) -> Result<Value, String> {
        self.run(json!({"cmd": "status"}), WAIT)
    }

    /// Every event line so far (received/sent messages, logon, logout, ...).
    pub fn events(&self) -> Vec<Value> {
        self.proc.events.lock().unwrap().clone()
    }

    /// Messages received so far (from the event stream; waits do not consume these).
    pub fn received(&self) -> Vec<FixMessage> {
        self.messages("received")
    }

    /// Messages QuickFIX sent so far.
    pub fn sent(&self) -> Vec<FixMessage> {
        self.messages("sent")
    }

    fn messages(&self, kind: &str) -> Vec<FixMessage> {
        self.events()
            .iter()
            .filter(|e| e["event"] == kind)
            .map(FixMessage::from_json)
            .collect()
    }

    /// Session Rejects (3) and BusinessMessageRejects (j) QuickFIX sent so far:
    /// what it refused of the acceptor's messages (371 RefTagID, 373 reason, 58 text).
    pub fn rejects_sent(&self) -> Vec<FixMessage> {
        self.sent()
            .into_iter()
            .filter(|m| m.msg_type == "3" || m.msg_type == "j")
            .collect()
    }

    /// Fails when QuickFIX rejected anything the acceptor sent: a session
    /// Reject (3) or BusinessMessageReject (j) that QuickFIX sent, or an
    /// error event from the script.
    pub fn assert_no_rejects_sent(&self) {
        let rejects: Vec<String> = self.rejects_sent().iter().map(FixMessage::pretty).collect();
        let errors: Vec<String> = self
            .events()
            .iter()
            .filter(|e| e["event"] == "error" || e["event"] == "garbage")
            .map(|e| e.to_string())
            .collect();
        assert!(
            rejects.is_empty() && errors.is_empty(),
            "QuickFIX rejected messages: {rejects:#?}\nerrors: {errors:#?}\nevent log:\n{}",
            self.event_log_tail(30)
        );
    }

    /// The last lines of QuickFIX's event log for this session (why it
    /// dropped a message, refused a logon, and so on).
    pub fn event_log_tail(&self, lines: usize) -> String {
        let name = format!(
            "FIX.4.4-{}-{}.event.current.log",
            self.options.sender, self.options.target
        );
        let mut text = tail_of_file(&self.log_dir.join(name), lines);
        let global = tail_of_file(&self.log_dir.join("GLOBAL.event.current.log"), 5);
        if !global.is_empty() {
            text.push_str("\n(global) ");
            text.push_str(&global);
        }
        text
    }

    /// Every message on the wire as QuickFIX logged it (its FileLog).
    pub fn message_log(&self) -> String {
        let name = format!(
            "FIX.4.4-{}-{}.messages.current.log",
            self.options.sender, self.options.target
        );
        std::fs::read_to_string(self.log_dir.join(name)).unwrap_or_default()
    }

    /// Logs out if logged on (bounded) and ends the process.
    pub fn quit(mut self) {
        self.proc.quit(Duration::from_secs(10));
    }
}

/// The minimal QuickFIX acceptor (`acceptor.py`): a stand-in exchange.
pub struct QuickFixAcceptor {
    proc: JsonChild,
    pub port: u16,
    pub log_dir: PathBuf,
    _dir: ScratchDir,
}

impl QuickFixAcceptor {
    /// Listens on a free port as `sender` for sessions with `targets`;
    /// with credentials, refuses a Logon with other 553/554.
    pub fn spawn(
        venv: &QuickFixVenv,
        sender: &str,
        targets: &[&str],
        credentials: Option<(&str, &str)>,
    ) -> QuickFixAcceptor {
        let dir = ScratchDir::new("acceptor");
        let log_dir = dir.path().join("log");
        let mut command = Command::new(&venv.python);
        command
            .arg(script("acceptor.py"))
            .args([
                "--port",
                "0",
                "--sender",
                sender,
                "--targets",
                &targets.join(","),
            ])
            .arg("--store")
            .arg(dir.path().join("store"))
            .arg("--log")
            .arg(&log_dir);
        if let Some((username, password)) = credentials {
            command.args(["--username", username, "--password", password]);
        }
        let mut proc = JsonChild::spawn("acceptor.py", command, dir.path().join("stderr.txt"))
            .unwrap_or_else(|e| panic!("{e}"));
        let listening = proc
            .wait_event("listening", START_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listening["port"].as_u64().expect("port") as u16;
        QuickFixAcceptor {
            proc,
            port,
            log_dir,
            _dir: dir,
        }
    }

    /// Every event line so far.
    pub fn events(&self) -> Vec<Value> {
        self.proc.events.lock().unwrap().clone()
    }

    pub fn quit(mut self) {
        self.proc.quit(Duration::from_secs(10));
    }
}
