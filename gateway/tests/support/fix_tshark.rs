//! Captures FIX traffic on loopback with tshark and checks it with
//! Wireshark's `fix` dissector (written by others, not us): every TCP byte on
//! the port must decode as FIX, with no malformed packet, no expert warning
//! or error, and a good checksum on every message.
//!
//! ```ignore
//! #[path = "support/fix_tshark.rs"]
//! mod fix_tshark;
//! ```
//!
//! The capture approach is the one of `tshark_ouch.rs`: `tshark -i lo -f
//! "tcp port N" -w file.pcap`, stopped with SIGINT, then read back with
//! `-d tcp.port==N,fix` (the FIX heuristic dissector would usually find the
//! traffic by itself, but decode-as does not depend on it).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Finds tshark, installing it with apt when it is missing and we may.
pub fn tshark_available() -> bool {
    let present = || {
        Command::new("tshark")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if present() {
        return true;
    }
    eprintln!("tshark not found: trying `apt-get install -y tshark`");
    let _ = Command::new("sh")
        .args(["-c", "echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark)"])
        .status();
    present()
}

/// A running capture of one TCP port on `lo`.
pub struct FixCapture {
    child: Child,
    pub pcap: PathBuf,
    pub port: u16,
}

/// One FIX message as tshark decoded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedFix {
    pub frame: u64,
    pub src_port: u16,
    pub dst_port: u16,
    pub msg_type: String,
    pub seq: String,
    pub sender: String,
    pub target: String,
}

impl FixCapture {
    /// Starts capturing; returns once tshark is capturing (or why not).
    pub fn start(port: u16) -> Result<FixCapture, String> {
        let pcap = std::env::temp_dir().join(format!(
            "rtes-fix-{}-{port}-{}.pcap",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new("tshark")
            .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
            .arg(&pcap)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tshark: {e}"))?;
        let stderr = child.stderr.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Capturing on") {
                    let _ = ready_tx.send(Ok(()));
                }
                seen.push(line);
            }
            let _ = ready_tx.send(Err(seen.join("\n")));
        });
        match ready_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(())) => {
                // "Capturing on" comes slightly before the filter is live.
                std::thread::sleep(Duration::from_millis(700));
                Ok(FixCapture { child, pcap, port })
            }
            Ok(Err(stderr)) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("tshark cannot capture on lo: {stderr}"))
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err("tshark did not start capturing within 20 s".to_string())
            }
        }
    }

    /// Stops the capture (SIGINT, bounded), checks the pcap and returns the
    /// decoded messages; the pcap is removed unless the check failed.
    pub fn finish(mut self) -> Result<Vec<DecodedFix>, String> {
        // Let the last segments reach the capture.
        std::thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let result = check_fix_pcap(&self.pcap, self.port);
        match &result {
            Ok(_) => {
                let _ = std::fs::remove_file(&self.pcap);
            }
            Err(_) => eprintln!("(kept the capture {})", self.pcap.display()),
        }
        result
    }
}

impl Drop for FixCapture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tshark_read(
    pcap: &Path,
    port: u16,
    filter: &str,
    fields: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    let mut command = Command::new("tshark");
    command
        .arg("-r")
        .arg(pcap)
        // Two passes: tcp.reassembled_in is known on every segment of a PDU.
        .arg("-2")
        .args([
            "-d",
            &format!("tcp.port=={port},fix"),
            "-Y",
            filter,
            "-T",
            "fields",
        ])
        .args([
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=|",
            "-E",
            "separator=\t",
        ]);
    for field in fields {
        command.args(["-e", field]);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run tshark -r: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "tshark -r failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect())
}

/// Frames that tshark's FIX dissector did not decode cleanly.
pub const BAD_FIX: &str = "_ws.malformed || _ws.expert.severity >= warning \
    || fix.checksum_bad == 1 || fix.missing_field || fix.tag.invalid \
    || fix.invalid_integer_string || fix.data \
    || (tcp.len > 0 && !fix && !tcp.reassembled_in)";

/// Checks a capture of FIX traffic on `port`; returns every decoded message
/// in capture order.
pub fn check_fix_pcap(pcap: &Path, port: u16) -> Result<Vec<DecodedFix>, String> {
    let bad = tshark_read(
        pcap,
        port,
        BAD_FIX,
        &[
            "frame.number",
            "_ws.expert.message",
            "fix.MsgType",
            "tcp.len",
        ],
    )?;
    if !bad.is_empty() {
        return Err(format!(
            "tshark's FIX dissector flagged frames (frame, expert, MsgType, tcp.len): {bad:?}"
        ));
    }
    let rows = tshark_read(
        pcap,
        port,
        "fix",
        &[
            "frame.number",
            "tcp.srcport",
            "tcp.dstport",
            "fix.MsgType",
            "fix.MsgSeqNum",
            "fix.SenderCompID",
            "fix.TargetCompID",
            "fix.checksum_good",
        ],
    )?;
    let mut messages = Vec::new();
    for row in rows {
        let cell = |i: usize| -> Vec<String> {
            row.get(i)
                .map(|c| c.split('|').map(str::to_string).collect())
                .unwrap_or_default()
        };
        let frame: u64 = row[0].parse().unwrap_or(0);
        let types = cell(3);
        let (seqs, senders, targets, good) = (cell(4), cell(5), cell(6), cell(7));
        if good.len() != types.len()
            || good
                .iter()
                .any(|g| g != "1" && !g.eq_ignore_ascii_case("true"))
        {
            return Err(format!(
                "frame {frame}: {} messages, checksum_good {good:?}",
                types.len()
            ));
        }
        for (i, msg_type) in types.iter().enumerate() {
            messages.push(DecodedFix {
                frame,
                src_port: row[1].parse().unwrap_or(0),
                dst_port: row[2].parse().unwrap_or(0),
                msg_type: msg_type.clone(),
                seq: seqs.get(i).cloned().unwrap_or_default(),
                sender: senders.get(i).cloned().unwrap_or_default(),
                target: targets.get(i).cloned().unwrap_or_default(),
            });
        }
    }
    Ok(messages)
}
