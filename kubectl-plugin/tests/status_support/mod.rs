//! Shared by the `status` tests: running the binary against the test API server, reading its
//! reports, and the loopback DNS and TLS servers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod dns;
pub mod tls;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use runai_gateway_testkit::TestServer;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_kubectl-runai_gateway");

/// Gateway address in the fixtures.
pub const GATEWAY_IP: &str = "192.0.2.20";
/// HAProxy (Ingress) address in the fixtures.
pub const INGRESS_IP: &str = "192.0.2.10";

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

/// Runs the binary with `args`, no ambient kubeconfig, no colour.
pub fn run(args: &[&str], home: &Path) -> Run {
    let start = Instant::now();
    let out = Command::new(BIN)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .output()
        .expect("running the binary");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// `status` against `server`, asking DNS at `dns`, with `extra` flags, at the instant the
/// server's fixture certificates were issued for.
pub fn status(server: &TestServer, dns: &str, extra: &[&str]) -> Run {
    let kubeconfig = server.kubeconfig_path();
    let now = server.now().to_string();
    let mut args =
        vec!["status", "--kubeconfig", kubeconfig.to_str().unwrap(), "--dns-server", dns, "--now", &now];
    args.extend_from_slice(extra);
    run(&args, server.scratch_dir())
}

/// The IDs of the findings of a JSON report.
pub fn finding_ids(report: &Value) -> BTreeSet<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

/// The IDs of the findings at `severity` or above.
pub fn ids_at_least(report: &Value, severity: &str) -> BTreeSet<String> {
    let rank = |s: &str| match s {
        "info" => 0,
        "warning" => 1,
        _ => 2,
    };
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| rank(f["severity"].as_str().unwrap()) >= rank(severity))
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}
