//! `status --watch` end to end: the binary as a subprocess with stdout piped, the test changing
//! the test API server between rounds. Rounds are 200ms apart; nothing here asserts a time: each
//! wait for output is bounded only so that a watch that misbehaves fails the test instead of
//! holding it, and every run has `--timeout` on its rounds.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use runai_gateway_testkit::TestServer;
use serde_json::Value;

use crate::support::dns::DnsServer;
use crate::support::{BIN, GATEWAY_IP, INGRESS_IP, run, status};

/// Longest a test waits for a line or an exit before it fails.
const BOUND: Duration = Duration::from_secs(90);

/// DNS before the switch: every name at the Ingress.
fn dns_on_ingress() -> DnsServer {
    DnsServer::start(&[
        ("runai.example.com", INGRESS_IP),
        ("*.runai.example.com", INGRESS_IP),
        ("*.runai-inference.example.com", INGRESS_IP),
    ])
}

/// The arguments of a watch on `server`.
fn watch_args(server: &TestServer, dns: &DnsServer, extra: &[&str]) -> Vec<String> {
    let kubeconfig = server.kubeconfig_path();
    let mut args: Vec<String> = [
        "status",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--dns-server",
        &dns.arg(),
        "--now",
        &server.now().to_string(),
        "--timeout",
        "20s",
        "--watch",
        "--interval",
        "200ms",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

/// A running watch: its stdout, line by line; killed if the test ends first.
struct Watch {
    child: Child,
    lines: Receiver<String>,
    errors: Receiver<String>,
    seen: Vec<String>,
}

/// The lines of `stream`, as they come.
fn line_by_line(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            // A terminal ends lines with CR LF.
            if tx.send(line.trim_end_matches('\r').to_owned()).is_err() {
                return;
            }
        }
    });
    lines
}

impl Watch {
    /// `status --watch --interval 200ms --timeout 20s` against `server`, with `extra` flags.
    fn start(server: &TestServer, dns: &DnsServer, extra: &[&str]) -> Watch {
        let mut command = Command::new(BIN);
        command.args(watch_args(server, dns, extra));
        Watch::spawn(command, server)
    }

    /// [`Watch::start`] on a terminal: `script` runs the watch on a pseudo-terminal (its stdout
    /// and stderr) and copies what it shows to our pipe.
    #[cfg(target_os = "linux")]
    fn start_on_a_terminal(server: &TestServer, dns: &DnsServer, extra: &[&str]) -> Watch {
        let quote = |a: &str| format!("'{}'", a.replace('\'', "'\\''"));
        let line: Vec<String> = std::iter::once(BIN.to_owned())
            .chain(watch_args(server, dns, extra))
            .map(|a| quote(&a))
            .collect();
        let mut command = Command::new("script");
        command.args(["-qec", &line.join(" "), "/dev/null"]);
        Watch::spawn(command, server)
    }

    fn spawn(mut command: Command, server: &TestServer) -> Watch {
        let mut child = command
            .env_remove("KUBECONFIG")
            .env("HOME", server.scratch_dir())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the watch");
        let lines = line_by_line(child.stdout.take().unwrap());
        let errors = line_by_line(child.stderr.take().unwrap());
        Watch { child, lines, errors, seen: Vec::new() }
    }

    /// Reads lines until one satisfies `pred` (and returns it).
    fn until(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + BOUND;
        loop {
            match self.lines.recv_timeout(end.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {what} in the watch's output:\n{:#?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let stderr = self.stderr();
                    panic!("the watch ended before {what}:\n{:#?}\n{stderr}", self.seen)
                }
            }
        }
    }

    /// Waits for the watch to end: its exit code and every line it printed.
    fn finish(mut self) -> (i32, Vec<String>) {
        let end = Instant::now() + BOUND;
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < end, "the watch did not end:\n{:#?}", self.seen);
            std::thread::sleep(Duration::from_millis(50));
        };
        // The reader thread ends with the pipe.
        while let Ok(line) = self.lines.recv_timeout(BOUND) {
            self.seen.push(line);
        }
        (code, std::mem::take(&mut self.seen))
    }

    fn stderr(&mut self) -> String {
        let _ = self.child.kill();
        self.errors.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// Reads stderr until a line satisfies `pred` (and returns it).
    fn until_stderr(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + BOUND;
        let mut seen = Vec::new();
        loop {
            match self.errors.recv_timeout(end.saturating_duration_since(Instant::now())) {
                Ok(line) if pred(&line) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!("no {what} on stderr ({e:?}):\n{seen:#?}\nstdout: {:#?}", self.seen),
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the watch printed after the first report, which must be `report` (the table of a plain
/// `status` run on the same cluster) line for line.
fn after_report<'a>(lines: &'a [String], report: &str) -> Vec<&'a str> {
    let report: Vec<&str> = report.lines().collect();
    let head: Vec<&str> = lines.iter().take(report.len()).map(String::as_str).collect();
    assert_eq!(head, report, "the watch starts with the full report");
    lines[report.len()..].iter().map(String::as_str).collect()
}

/// The exit code of one plain `status` run on the cluster as it is now.
fn one_run(server: &TestServer, dns: &DnsServer, extra: &[&str]) -> i32 {
    let mut args = vec!["--timeout", "20s"];
    args.extend_from_slice(extra);
    status(server, &dns.arg(), &args).code
}

#[test]
fn piped_the_first_report_then_one_line_per_change_until_healthy() {
    let server = TestServer::with_fixture("status/gateway-not-programmed");
    let dns = dns_on_ingress();
    let first = status(&server, &dns.arg(), &["--timeout", "20s"]).stdout;
    let mut watch = Watch::start(&server, &dns, &["--until", "healthy"]);
    watch.until("the first report", |l| l.starts_with("Phase: "));

    // The controller programs the Gateway.
    let mut gateway =
        server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    for c in gateway["status"]["conditions"].as_array_mut().unwrap() {
        if c["type"] == "Programmed" {
            c["status"] = "True".into();
            c["reason"] = "Programmed".into();
        }
    }
    server.put(gateway).unwrap();

    let (code, lines) = watch.finish();
    let changes = after_report(&lines, &first);
    assert!(changes.contains(&"- resolved gateway-not-programmed Gateway runai/runai-gateway"), "{lines:#?}");
    assert!(changes.last().is_some_and(|l| l.starts_with("reached healthy in round ")), "{lines:#?}");
    // Every line after the report is a change or the end.
    for l in &changes {
        assert!(
            ["+ ", "- ", "~ ", "phase: ", "reached "].iter().any(|p| l.starts_with(p)),
            "not a change line: {l:?} in {lines:#?}"
        );
    }
    assert_eq!(code, one_run(&server, &dns, &[]), "the exit code of the last round");
    assert_eq!(code, 0, "healthy: no error finding");
}

#[test]
fn a_phase_change_is_one_line_and_until_a_phase_exits_with_that_rounds_code() {
    let server = TestServer::with_fixture("gateway-prepared");
    let dns = dns_on_ingress();
    let first = status(&server, &dns.arg(), &["--timeout", "20s", "--fail-on", "warning"]).stdout;
    let mut watch = Watch::start(&server, &dns, &["--until", "ingress-only", "--fail-on", "warning"]);
    watch.until("the first report", |l| l.starts_with("Phase: Gateway prepared"));

    // Someone deletes the Gateway.
    server.remove("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();

    watch.until("the phase change", |l| l == "phase: gateway-prepared → ingress-only");
    let (code, lines) = watch.finish();
    let changes = after_report(&lines, &first);
    assert_eq!(changes[0], "phase: gateway-prepared → ingress-only", "the phase first: {lines:#?}");
    assert!(changes.last().is_some_and(|l| l.starts_with("reached ingress-only in round ")), "{lines:#?}");
    assert_eq!(code, one_run(&server, &dns, &["--fail-on", "warning"]), "{lines:#?}");
}

#[test]
fn json_is_one_report_per_line_for_each_round_that_changed() {
    let server = TestServer::with_fixture("gateway-prepared");
    let dns = dns_on_ingress();
    let mut watch = Watch::start(&server, &dns, &["-o", "json", "--until", "ingress-only"]);
    let first: Value = serde_json::from_str(&watch.until("a report", |_| true)).unwrap();
    assert_eq!(first["phase"], "gateway-prepared");
    server.remove("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    let (code, lines) = watch.finish();
    let reports: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let phases: Vec<&str> = reports.iter().map(|r| r["phase"].as_str().unwrap()).collect();
    // Rounds without a change print nothing: one line before the removal, one after.
    assert_eq!(phases, ["gateway-prepared", "ingress-only"], "{lines:#?}");
    let schema =
        std::fs::read_to_string(format!("{}/../docs/report.schema.json", env!("CARGO_MANIFEST_DIR")));
    let schema = jsonschema::validator_for(&serde_json::from_str(&schema.unwrap()).unwrap()).unwrap();
    for r in &reports {
        let errors: Vec<String> = schema.iter_errors(r).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    assert_eq!(code, one_run(&server, &dns, &[]));
}

#[cfg(unix)]
#[test]
fn ctrl_c_ends_the_watch_quietly_with_the_last_rounds_exit_code() {
    // A warning only: exit 5 with --fail-on warning, 0 without, so the code is the round's.
    let server = TestServer::with_fixture("runai-introduced");
    let dns = dns_on_ingress();
    let first = status(&server, &dns.arg(), &["--timeout", "20s", "--fail-on", "warning"]).stdout;
    let mut watch = Watch::start(&server, &dns, &["--fail-on", "warning"]);
    watch.until("the first report", |l| l.starts_with("Phase: "));
    let pid = watch.child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let (code, lines) = watch.finish();
    let expected = one_run(&server, &dns, &["--fail-on", "warning"]);
    assert_eq!(expected, 5, "the fixture has a warning");
    assert_eq!(code, expected, "{lines:#?}");
    // Nothing changed: the first report, and not a line more (no message on Ctrl-C).
    assert_eq!(after_report(&lines, &first), Vec::<&str>::new(), "{lines:#?}");
}

#[test]
fn what_a_watch_cannot_do_is_refused_with_the_way_out() {
    let home = tempfile::tempdir().unwrap();
    let snapshot = home.path().join("snapshot.yaml");
    let snapshot = snapshot.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--from-file", snapshot], "drop --from-file"),
        (&["--context", "a", "--context", "b"], "give one --context"),
        (&["--all-contexts"], "give one --context"),
        (&["--list-checks"], "--list-checks"),
        (&["--save-snapshot", snapshot], "--save-snapshot"),
        (&["-o", "yaml"], "use -o json"),
        (&["-o", "markdown"], "use -o json"),
        (&["-o", "html"], "use -o json"),
        (&["--interval", "0"], "--interval"),
        (&["--interval", "0s"], "--interval"),
        (&["--interval", "soon"], "--interval"),
        (&["--until", "gateway-ready"], "--until"),
    ];
    for (extra, says) in cases {
        let mut args = vec!["status", "--watch"];
        args.extend_from_slice(extra);
        let r = run(&args, home.path());
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains(says), "{args:?} must say {says:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    // --interval and --until mean nothing without --watch.
    for extra in [["--interval", "5s"], ["--until", "healthy"]] {
        let mut args = vec!["status"];
        args.extend_from_slice(&extra);
        let r = run(&args, home.path());
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains("--watch"), "{}", r.stderr);
    }
    assert!(!std::path::Path::new(snapshot).exists(), "nothing written");
}

#[test]
fn a_target_reached_in_the_first_round_ends_the_watch_after_one_report() {
    // DNS already points at the Gateway: the migration is at dns-switched from the start.
    let server = TestServer::with_fixture("runai-introduced");
    let dns = DnsServer::start(&[
        ("runai.example.com", GATEWAY_IP),
        ("*.runai.example.com", GATEWAY_IP),
        ("*.runai-inference.example.com", GATEWAY_IP),
    ]);
    let first = status(&server, &dns.arg(), &["--timeout", "20s"]).stdout;
    assert!(first.contains("Phase: DNS switched"), "{first}");
    let watch = Watch::start(&server, &dns, &["--until", "dns-switched"]);
    let (code, lines) = watch.finish();
    assert_eq!(after_report(&lines, &first), ["reached dns-switched in round 1"], "{lines:#?}");
    assert_eq!(code, one_run(&server, &dns, &[]));
}

#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_each_round_redraws_the_screen_and_marks_what_changed() {
    const CLEAR: &str = "\x1b[H\x1b[2J";
    let server = TestServer::with_fixture("gateway-prepared");
    let dns = dns_on_ingress();
    let mut watch = Watch::start_on_a_terminal(&server, &dns, &["--until", "ingress-only"]);
    let header = watch.until("the first frame", |l| l.contains("round 1 · "));
    assert!(header.contains(CLEAR), "the screen is cleared first: {header:?}");
    let header = &header[header.find(CLEAR).unwrap() + CLEAR.len()..];
    assert!(header.starts_with("every 200ms · round 1 · "), "{header:?}");
    assert!(header.ends_with(" UTC · until ingress-only · Ctrl-C to stop"), "{header:?}");
    watch.until("the report", |l| l.starts_with("Phase: Gateway prepared"));
    server.remove("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    let (code, lines) = watch.finish();
    let at = lines.iter().position(|l| l.starts_with("changed in this round (")).expect("a change block");
    assert_eq!(lines[at + 1], "  phase: gateway-prepared → ingress-only", "{lines:#?}");
    // The change is shown in a later round's frame, drawn on a cleared screen.
    let frame = &lines[at - 1];
    assert!(
        frame.contains(CLEAR) && frame.contains(" · round ") && !frame.contains("round 1 · "),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("Phase: Ingress only")), "the new report: {lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("reached ingress-only in round ")), "{lines:#?}");
    assert_eq!(code, one_run(&server, &dns, &[]));
}

#[cfg(unix)]
#[test]
fn a_round_that_cannot_read_the_cluster_is_said_and_the_watch_goes_on() {
    let server = TestServer::with_fixture("runai-introduced");
    let dns = dns_on_ingress();
    let mut watch = Watch::start(&server, &dns, &[]);
    watch.until("the first report", |l| l.starts_with("Phase: "));
    // The API server goes away: nothing listens on its port any more.
    drop(server);
    let warning = watch.until_stderr("a failed round", |l| l.contains("the watch goes on"));
    assert!(warning.starts_with("warning: round "), "{warning}");
    assert!(warning.contains("cannot reach the cluster"), "{warning}");
    let pid = watch.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let (code, lines) = watch.finish();
    assert_eq!(code, 6, "the last round could not read the cluster: {lines:#?}");
}
