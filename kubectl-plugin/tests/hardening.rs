//! Hardening: every run ends within `--timeout` whatever the server does (stalls, resets, lost
//! answers), never writes an object it did not create unless told to adopt it, and says
//! exactly what it did. Deadlines here are short, so the whole module takes seconds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use crate::apply_support::{Harness, INGRESS_IP, dns_at};
use runai_gateway_testkit::{Fault, FaultAction};
use serde_json::json;

const GW: &str = "gateway.networking.k8s.io/v1";

fn state_record(h: &Harness) -> Option<serde_json::Value> {
    h.server.get("v1", "ConfigMap", Some("runai"), "runai-gateway-state")
}

#[test]
fn a_stalled_read_before_any_write_ends_in_exit_6_within_the_timeout() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    h.server.inject(Fault::on("get", "gateways", FaultAction::Delay(Duration::from_secs(120))));
    let start = Instant::now();
    let run = h.run("apply", &dns.arg(), &["--yes", "--timeout", "2s"]);
    assert!(start.elapsed() < Duration::from_secs(20), "bounded: {:?}", start.elapsed());
    assert_eq!(run.code, 6, "{run}");
    assert!(run.stderr.contains("--timeout 2s"), "says which bound ran out: {run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert!(state_record(&h).is_none());
}

#[test]
fn a_stalled_write_ends_in_exit_8_with_the_record_intact_and_the_next_run_continues() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    // Silent after accepting: no per-request timeout is given, the command's bound ends it.
    h.server.inject(Fault::on("patch", "httproutes", FaultAction::Delay(Duration::from_secs(120))));
    let start = Instant::now();
    let run = h.run("apply", &dns.arg(), &["--yes", "--timeout", "3s", "--request-timeout", "0"]);
    assert!(start.elapsed() < Duration::from_secs(20), "bounded: {:?}", start.elapsed());
    assert_eq!(run.code, 8, "{run}");
    assert!(run.stdout.contains("✓ applied Gateway runai/runai-gateway"), "{run}");
    assert!(run.stdout.contains("no answer before --timeout 3s ran out"), "{run}");
    assert!(run.stdout.contains("The state record is kept."), "{run}");
    assert!(
        run.stdout.contains("kubectl runai-gateway rollback --cluster-domain runai.example.com"),
        "{run}"
    );
    assert!(state_record(&h).is_some(), "the state record is intact");

    h.server.clear_faults();
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "continues up to the DNS switch: {run}");
    assert!(run.stdout.contains("✓ verify"), "{run}");
}

#[test]
fn a_reset_connection_fails_fast() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    h.server.inject(Fault::on("patch", "gateways", FaultAction::Drop));
    let start = Instant::now();
    let run = h.run("apply", &dns.arg(), &["--yes", "--timeout", "60s"]);
    assert!(start.elapsed() < Duration::from_secs(20), "does not wait out --timeout: {:?}", start.elapsed());
    assert_eq!(run.code, 8, "the state record was written first: {run}");
    assert!(run.stdout.contains("✗ applying Gateway runai/runai-gateway: no answer"), "{run}");
    assert!(state_record(&h).is_some());
    h.server.clear_faults();
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(state_record(&h).is_none(), "{run}");
}

#[test]
fn a_write_whose_answer_was_lost_is_re_read_before_reporting() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    h.server.inject(Fault::on("patch", "gateways", FaultAction::LoseAnswer).times(1));
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "goes on up to the DNS switch: {run}");
    assert!(run.stdout.contains("the answer was lost; Gateway runai/runai-gateway was re-read"), "{run}");
    assert!(run.stdout.contains("✓ applied Gateway runai/runai-gateway"), "{run}");
    assert!(h.server.get(GW, "Gateway", Some("runai"), "runai-gateway").is_some());
    let _ = json!(null);
}

/// Another team's Gateway, with its own listener, owned by its own field manager.
fn other_teams_gateway(h: &Harness) {
    h.server
        .put(json!({
            "apiVersion": GW,
            "kind": "Gateway",
            "metadata": {
                "name": "runai-gateway",
                "namespace": "runai",
                "labels": {"team": "other"},
                "managedFields": [{
                    "manager": "other-team",
                    "operation": "Apply",
                    "apiVersion": GW,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": {"f:team": {}}}, "f:spec": {"f:gatewayClassName": {}, "f:listeners": {"k:{\"name\":\"http-other\"}": {".": {}, "f:name": {}, "f:port": {}, "f:protocol": {}, "f:hostname": {}}}}},
                }],
            },
            "spec": {
                "gatewayClassName": "kgateway",
                "listeners": [{"name": "http-other", "protocol": "HTTP", "port": 8080, "hostname": "other.example.com",
                    "allowedRoutes": {"namespaces": {"from": "Same"}}}],
            },
        }))
        .unwrap();
}

fn listeners(h: &Harness) -> Vec<String> {
    let gw = h.server.get(GW, "Gateway", Some("runai"), "runai-gateway").unwrap();
    gw["spec"]["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn another_teams_gateway_is_refused_then_adopted_and_rollback_restores_it_field_for_field() {
    let mut h = Harness::new("gateway-api-installed");
    other_teams_gateway(&h);
    let before = h.server.get(GW, "Gateway", Some("runai"), "runai-gateway").unwrap();
    let dns = dns_at(INGRESS_IP);

    let run = h.run("apply", &dns.arg(), &["--phase", "prepare", "--yes"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("Gateway runai/runai-gateway is not this tool's"), "{run}");
    assert!(run.stdout.contains("`other-team`"), "the owner is named: {run}");
    assert!(run.stdout.contains("--adopt"), "{run}");
    assert!(h.writes().is_empty(), "nothing written: {:?}", h.writes());
    assert_eq!(listeners(&h), ["http-other"]);

    let run = h.run("apply", &dns.arg(), &["--phase", "prepare", "--yes", "--adopt"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(listeners(&h).len(), 5, "{:?}", listeners(&h));
    let record = state_record(&h).unwrap();
    let text = record["data"]["state.json"].as_str().unwrap();
    assert!(text.contains("\"adopted\"") && text.contains("http-other"), "kept as it was: {text}");

    // A second run goes on without --adopt: the record says the Gateway was adopted.
    let run = h.run("apply", &dns.arg(), &["--phase", "prepare", "--yes"]);
    assert_eq!(run.code, 0, "{run}");

    let run = h.run("rollback", &dns.arg(), &["--prune", "--yes"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ restored Gateway runai/runai-gateway"), "{run}");
    let after = h.server.get(GW, "Gateway", Some("runai"), "runai-gateway").unwrap();
    assert_eq!(after["spec"], before["spec"], "field for field");
    assert_eq!(after["metadata"]["labels"], before["metadata"]["labels"]);
    assert!(state_record(&h).is_none(), "{run}");
}

fn put_lease(h: &Harness, holder: &str, renewed: &str, seconds: i64) {
    h.server
        .put(json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "runai-gateway-lock", "namespace": "runai"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": seconds,
                     "acquireTime": renewed, "renewTime": renewed},
        }))
        .unwrap();
}

#[test]
fn one_run_at_a_time_the_second_names_the_holder_and_an_expired_lock_needs_force_unlock() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    // Held by a run that renewed it far in the future: not expired whatever the clock says.
    put_lease(&h, "alice@laptop (pid 42)", "2999-01-01T00:00:00.000000Z", 360);
    let run = h.run("apply", &dns.arg(), &["--yes", "--phase", "prepare"]);
    assert_eq!(run.code, 12, "{run}");
    assert!(run.stderr.contains("alice@laptop (pid 42)"), "the holder is named: {run}");
    assert!(
        h.writes().iter().all(|w| w.contains("leases")) && state_record(&h).is_none(),
        "{:?}",
        h.writes()
    );
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert!(run.code == 12 || run.code == 0, "{run}");

    // Left behind long ago by a run that was killed: expired, but taken only with --force-unlock.
    put_lease(&h, "bob@ci (pid 7)", "2001-01-01T00:00:00.000000Z", 360);
    let run = h.run("apply", &dns.arg(), &["--yes", "--phase", "prepare"]);
    assert_eq!(run.code, 12, "{run}");
    assert!(run.stderr.contains("bob@ci (pid 7)") && run.stderr.contains("--force-unlock"), "{run}");
    let run = h.run("apply", &dns.arg(), &["--yes", "--phase", "prepare", "--force-unlock"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        h.server.get("coordination.k8s.io/v1", "Lease", Some("runai"), "runai-gateway-lock").is_none(),
        "released on exit"
    );
    assert!(h.server.count("create", "leases") + h.server.count("update", "leases") >= 1);

    // Free again: an ordinary run takes and releases it.
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(h.server.get("coordination.k8s.io/v1", "Lease", Some("runai"), "runai-gateway-lock").is_none());
}

#[test]
fn hostile_input_files_are_refused_at_once() {
    use assert_cmd::Command;
    let bin = crate::apply_support::BIN;
    let fifo_dir = tempfile::tempdir().unwrap();
    let fifo = fifo_dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    let mut cases = vec![
        (vec!["render", "--config", "/dev/zero"], 4, "not a regular file"),
        (vec!["status", "--from-file", "/dev/zero"], 4, "not a regular file"),
        (
            vec!["status", "--kubeconfig", "/dev/zero", "--cluster-domain", "runai.example.com"],
            6,
            "not a regular file",
        ),
    ];
    let fifo_s = fifo.display().to_string();
    if made {
        cases.push((vec!["render", "--config", fifo_s.as_str()], 4, "FIFO"));
    }
    for (args, code, says) in cases {
        let start = Instant::now();
        let out = Command::new(bin).args(&args).timeout(Duration::from_secs(20)).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(start.elapsed() < Duration::from_secs(10), "{args:?} took {:?}", start.elapsed());
    }
}

#[test]
fn bad_input_is_refused_once_escaped_and_cut() {
    use assert_cmd::Command;
    let bin = crate::apply_support::BIN;
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).timeout(Duration::from_secs(20)).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) =
        run(&["render", "--cluster-domain", "runai.example.com", "--workload-routes", "ns:a,,b"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("empty namespace name"), "{err}");

    let (code, err) = run(&[
        "render",
        "--cluster-domain",
        "runai.example.com",
        "--control-plane",
        "remote",
        "--control-plane-context",
        "",
    ]);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(err.matches("an empty kube context").count(), 1, "printed once: {err}");

    let hostile = format!("a\u{1b}[31m{}", "b".repeat(50_000));
    let (code, err) = run(&["render", "--cluster-domain", &hostile]);
    assert_eq!(code, Some(3), "{err}");
    assert!(!err.contains('\u{1b}'), "no raw ESC reaches the terminal");
    assert!(err.contains("\\u{1b}"), "{err}");
    assert!(err.len() < 4_000, "a 50 KB value is not echoed whole: {} bytes", err.len());
}

#[test]
fn a_value_starting_with_a_dash_is_judged_as_the_value_it_is() {
    use assert_cmd::Command;
    let out = Command::new(crate::apply_support::BIN)
        .args(["render", "--cluster-domain", "-runai.example.com"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "invalid input, not a usage error: {err}");
    assert!(!err.contains("unexpected argument"), "{err}");
    assert!(err.contains("`clusterDomain` = `-runai.example.com`"), "names the field and value: {err}");
    assert!(err.contains("starts or ends with `-`"), "says what is wrong: {err}");
    assert!(out.stdout.is_empty(), "nothing printed on stdout");
}

/// `status --from-file` refused a snapshot of about 4,490 HTTPRoutes or more ("budget breached",
/// exit 3) that `snapshot` itself wrote. A snapshot of 6,000 routes reads, written as earlier
/// versions wrote it (schema v1, the routes as objects) and as this one does (v2, a table), to
/// the same report.
#[test]
fn a_snapshot_of_6000_routes_reads_in_both_versions() {
    use runai_gateway_core::ingest::Ingest;
    use runai_gateway_core::snapshot::Kind;
    let fx = runai_gateway_testkit::Fixture::load("gateway-prepared").unwrap();
    let mut ingest = Ingest::new(Some("large".into()), &["runai-backend", "runai-cluster"]);
    for kind in Kind::ALL {
        ingest.mark_read(kind);
    }
    for o in &fx.objects {
        ingest.add_any(o);
    }
    let parent = json!({"namespace": "runai", "name": "runai-gateway", "sectionName": "https-workloads"});
    for i in 0..6_000 {
        let (ns, name) = (format!("proj-{:02}", i % 50), format!("wl-{i:05}"));
        let reason = if i % 10 == 0 { "NotAllowedByListeners" } else { "Accepted" };
        ingest.add_any(&json!({"apiVersion": GW, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"parentRefs": [parent], "hostnames": [format!("{name}.runai.example.com")],
                     "rules": [{"backendRefs": [{"name": name, "port": 8080}]}]},
            "status": {"parents": [{"parentRef": parent, "conditions": [{"type": "Accepted",
                "status": if i % 10 == 0 { "False" } else { "True" }, "reason": reason}]}]}}));
    }
    let snap = ingest.finish();
    let dir = tempfile::tempdir().unwrap();
    let v2 = dir.path().join("v2.yaml");
    std::fs::write(&v2, runai_gateway_core::yaml::to_string(&snap).unwrap()).unwrap();
    let mut doc = serde_json::to_value(&snap).unwrap();
    doc["schema"] = json!("runai-gateway.snapshot/v1");
    doc["httpRoutes"] = serde_json::to_value(&snap.http_routes).unwrap();
    let v1 = dir.path().join("v1.yaml");
    std::fs::write(&v1, runai_gateway_core::yaml::to_string(&doc).unwrap()).unwrap();
    let report = |path: &std::path::Path| {
        let args = ["status", "--from-file", path.to_str().unwrap(), "--now", "1795824000", "-o", "json"];
        crate::support::run(&args, dir.path())
    };
    let (from_v1, from_v2) = (report(&v1), report(&v2));
    assert_eq!(from_v1.code, 5, "{}", from_v1.stderr);
    assert_eq!(from_v2.code, from_v1.code, "{}", from_v2.stderr);
    assert_eq!(from_v2.stdout, from_v1.stdout);
    let findings = from_v1.json()["findings"].to_string();
    assert!(
        findings.contains("600 of 6002 routes on Gateway runai/runai-gateway are not accepted"),
        "{findings}"
    );
}

#[test]
fn each_command_s_help_lists_the_exit_codes_it_uses() {
    use assert_cmd::Command;
    let help = |cmd: &str| {
        let out = Command::new(crate::apply_support::BIN).args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success(), "{cmd} --help");
        String::from_utf8(out.stdout).unwrap()
    };
    let codes = |text: &str, title: &str| -> Vec<u32> {
        let section = text.split(title).nth(1).unwrap_or_else(|| panic!("`{title}` in:\n{text}"));
        section.lines().filter_map(|l| l.strip_prefix("  ")?.split(' ').next()?.parse().ok()).collect()
    };
    let rollback = help("rollback");
    assert_eq!(codes(&rollback, "Exit codes of rollback:"), [0, 3, 4, 6, 7, 8, 9, 11, 12]);
    assert!(rollback.contains("every refused read and every missing write permission"), "{rollback}");
    assert!(rollback.contains("rollback never exits 5, 10 or 13"), "{rollback}");
    assert_eq!(codes(&help("apply"), "Exit codes of apply:"), [0, 3, 4, 6, 7, 8, 9, 10, 11, 12]);
    assert_eq!(codes(&help("status"), "Exit codes of status:"), [0, 3, 4, 5, 6, 13]);
}
