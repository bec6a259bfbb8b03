//! `apply -o json|yaml` and `rollback -o json|yaml`: one document on stdout (the decided actions
//! and how far the run got with each), the report on stderr.

use serde_json::Value;

use crate::apply_support::{Harness, INGRESS_IP, dns_at};

fn statuses(doc: &Value) -> Vec<(String, String)> {
    doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["action"].as_str().unwrap().to_owned(), a["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_preview_is_the_plan_as_data_and_the_report_goes_to_stderr() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--dry-run=client", "-o", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!((doc["kind"].as_str(), doc["mode"].as_str()), (Some("ApplyResult"), Some("preview")));
    assert_eq!(doc["exitCode"], 0);
    assert!(statuses(&doc).iter().all(|(_, s)| s == "planned"), "{doc:#}");
    let gateway =
        doc["actions"].as_array().unwrap().iter().find(|a| a["object"] == "Gateway runai/runai-gateway");
    assert!(gateway.is_some_and(|g| g["stage"] == "prepare" && !g["changes"].as_array().unwrap().is_empty()));
    assert!(run.stderr.contains("Changes:"), "the human report is on stderr: {run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn a_run_that_stops_at_dns_says_what_was_done_and_how_to_go_on_and_rollback_too() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s", "-o", "yaml"]);
    assert_eq!(run.code, 7, "{run}");
    let doc: Value = runai_gateway_core::yaml::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    let doc = &doc;
    assert_eq!(doc["result"], "manual-step");
    let s = statuses(doc);
    let at = s.iter().position(|(a, _)| a == "await-dns").unwrap();
    assert_eq!(s[at].1, "stopped", "{s:?}");
    assert!(s[..at].iter().all(|(_, st)| st == "done"), "{s:?}");
    assert!(s[at + 1..].iter().all(|(_, st)| st == "not-done"), "{s:?}");
    assert!(doc["continue"].as_str().is_some_and(|c| c.contains("apply")), "{doc:#}");
    assert!(doc["rollback"].as_str().is_some_and(|c| c.contains("rollback")), "{doc:#}");
    assert!(!run.stdout.contains("PRIVATE KEY") && !run.stdout.contains("tls.key"), "no key material");
    assert!(run.stderr.contains("✓ verify"), "{run}");

    let back = dns_at(INGRESS_IP);
    let run = h.run("rollback", &back.arg(), &["--yes", "--prune", "-o", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!((doc["kind"].as_str(), doc["result"].as_str()), (Some("RollbackResult"), Some("success")));
    assert!(statuses(&doc).iter().all(|(_, s)| s == "done"), "{doc:#}");
    assert!(doc.get("continue").is_none());
}
