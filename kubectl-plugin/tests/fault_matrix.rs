//! The fault matrix: {403, 404, 409, 500, stall, reset, lost answer} injected, once, on each
//! API call a clean `apply` makes (recorded from the testkit's request log of a clean run).
//! Each run must end (bounded by `--timeout`), explain itself (name what it was doing and what
//! to do next), leave a valid state record (or none), and a later run without the fault must
//! recover: a rerun of `apply` reaches where the clean run did, or `rollback` restores.
//!
//! Sampled, to keep the module to a few minutes on two cores: for `apply`, every write call gets
//! all seven faults and every read call 403, 500 and a reset; for `rollback --prune` (after a
//! clean `apply`), every write call gets 403, 500, a stall, a reset and a lost answer, every read
//! call 403 and a reset.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::apply_support::{Harness, INGRESS_IP, dns_at};
use runai_gateway_core::state::StateRecord;
use runai_gateway_testkit::{Fault, FaultAction, RequestRecord};

const FIXTURE: &str = "gateway-api-installed";

fn args(timeout: &str) -> Vec<&str> {
    vec!["--yes", "--wait", "--timeout", timeout]
}

fn is_write(verb: &str) -> bool {
    matches!(verb, "create" | "update" | "patch" | "delete")
}

/// The distinct calls of a clean run, in order (reviews of permissions and discovery left out:
/// they are not objects of the cluster).
fn calls_of_a_clean_run() -> (i32, Vec<RequestRecord>) {
    let mut h = Harness::new(FIXTURE);
    let dns = dns_at(INGRESS_IP);
    h.server.clear_requests();
    let run = h.run("apply", &dns.arg(), &args("30s"));
    (run.code, distinct(h.server.requests()))
}

fn distinct(requests: Vec<RequestRecord>) -> Vec<RequestRecord> {
    let mut calls: Vec<RequestRecord> = Vec::new();
    for r in requests {
        if r.verb == "discovery" || r.resource.as_deref() == Some("selfsubjectaccessreviews") {
            continue;
        }
        let same = |c: &RequestRecord| {
            (&c.verb, &c.resource, &c.namespace, &c.name) == (&r.verb, &r.resource, &r.namespace, &r.name)
        };
        if !calls.iter().any(same) {
            calls.push(r);
        }
    }
    calls
}

/// The faults of the matrix, by name.
fn faults() -> Vec<(&'static str, FaultAction)> {
    vec![
        ("403", FaultAction::Status(403)),
        ("404", FaultAction::Status(404)),
        ("409", FaultAction::Status(409)),
        ("500", FaultAction::Status(500)),
        ("stall", FaultAction::Delay(Duration::from_secs(600))),
        ("reset", FaultAction::Drop),
        ("lost answer", FaultAction::LoseAnswer),
    ]
}

fn fault(call: &RequestRecord, action: &FaultAction) -> Fault {
    Fault {
        verb: Some(call.verb.clone()),
        resource: call.resource.clone(),
        namespace: call.namespace.clone(),
        name: call.name.clone(),
        action: action.clone(),
        remaining: Some(1),
    }
}

/// Whether `out` names `call` (its object, or its resource) and says what to do.
fn explained(call: &RequestRecord, out: &str) -> (bool, bool) {
    let named = call.name.as_deref().is_none_or(|n| out.contains(n))
        || call.resource.as_deref().is_some_and(|r| out.contains(r));
    let next =
        ["rollback", "apply", "fix", "can-i", "--force-conflicts", "re-run", "rerun", "again", "wait for it"]
            .iter()
            .any(|w| out.contains(w));
    (named, next)
}

fn record_reads(h: &Harness) -> Option<String> {
    let cm = h.server.get("v1", "ConfigMap", Some("runai"), "runai-gateway-state")?;
    StateRecord::from_configmap(&cm).err().map(|e| e.to_string())
}

#[test]
fn every_call_of_rollback_under_faults_is_bounded_explained_and_recoverable() {
    let prepare = || {
        let mut h = Harness::new(FIXTURE);
        let dns = dns_at(INGRESS_IP);
        let run = h.run("apply", &dns.arg(), &args("30s"));
        assert_eq!(run.code, 7, "{run}");
        (h, dns)
    };
    let rollback = ["--yes", "--prune", "--timeout", "4s"];
    let (mut h, dns) = prepare();
    h.server.clear_requests();
    let clean = h.run("rollback", &dns.arg(), &rollback);
    assert_eq!(clean.code, 0, "{clean}");
    let calls = distinct(h.server.requests());
    assert!(
        calls.iter().filter(|c| is_write(&c.verb)).count() >= 5,
        "{:?}",
        calls.iter().map(label).collect::<Vec<_>>()
    );
    // 404 and 409 are sampled by the apply matrix only.
    let faults: Vec<(&str, FaultAction)> =
        faults().into_iter().filter(|(name, _)| !matches!(*name, "404" | "409")).collect();
    let mut failures = Vec::new();
    let mut cases = 0;
    for call in &calls {
        for (name, action) in &faults {
            if !(is_write(&call.verb) || matches!(*name, "403" | "reset")) {
                continue;
            }
            cases += 1;
            let case = format!("{name} on `{}`", label(call));
            let (mut h, dns) = prepare();
            h.server.inject(fault(call, action));
            let run = h.run("rollback", &dns.arg(), &rollback);
            if ![0, 6, 7, 8, 9, 12].contains(&run.code) {
                failures.push(format!("{case}: exit {}\n{run}", run.code));
            }
            if run.code != 0 {
                let (named, next) = explained(call, &format!("{}{}", run.stdout, run.stderr));
                if !named || !next {
                    failures.push(format!(
                        "{case}: not explained (names the call: {named}, says what to do: {next})\n{run}"
                    ));
                }
            }
            if let Some(e) = record_reads(&h) {
                failures.push(format!("{case}: the state record does not read: {e}"));
            }
            h.server.clear_faults();
            let again = h.run("rollback", &dns.arg(), &["--yes", "--prune", "--timeout", "30s"]);
            if again.code != 0 {
                failures.push(format!("{case}: the second rollback exits {}\n{again}", again.code));
            }
        }
    }
    assert!(cases > 10, "{cases} cases");
    assert!(failures.is_empty(), "{} of {cases} cases failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

fn label(c: &RequestRecord) -> String {
    format!(
        "{} {}{}{}",
        c.verb,
        c.resource.as_deref().unwrap_or("?"),
        c.namespace.as_deref().map(|n| format!(" -n {n}")).unwrap_or_default(),
        c.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default()
    )
}

#[test]
fn every_call_of_apply_under_every_fault_is_bounded_explained_and_recoverable() {
    let (clean, calls) = calls_of_a_clean_run();
    assert_eq!(clean, 7, "a clean run goes up to the DNS switch");
    let writes = calls.iter().filter(|c| is_write(&c.verb)).count();
    assert!(writes >= 5, "the clean run writes: {:?}", calls.iter().map(label).collect::<Vec<_>>());
    let faults = faults();
    let mut failures = Vec::new();
    let mut cases = 0;
    for (i, call) in calls.iter().enumerate() {
        for (name, action) in &faults {
            let sampled = is_write(&call.verb) || matches!(*name, "403" | "500" | "reset");
            if !sampled {
                continue;
            }
            cases += 1;
            let case = format!("{name} on `{}`", label(call));
            let mut h = Harness::new(FIXTURE);
            let dns = dns_at(INGRESS_IP);
            h.server.inject(fault(call, action));
            // Bounded: the stall is ten minutes, the run's bound four seconds.
            let run = h.run("apply", &dns.arg(), &args("4s"));
            let out = format!("{}{}", run.stdout, run.stderr);
            if ![0, 6, 7, 8, 9, 10, 12].contains(&run.code) {
                failures.push(format!("{case}: exit {}\n{run}", run.code));
            }
            // Explained (what it was doing, and what to do) when it did not stop where a clean
            // run stops.
            if run.code != clean {
                let (named, next) = explained(call, &out);
                if !named || !next {
                    failures.push(format!(
                        "{case}: not explained (names the call: {named}, says what to do: {next})\n{run}"
                    ));
                }
            }
            // State intact: no record, or one that reads.
            if let Some(e) = record_reads(&h) {
                failures.push(format!("{case}: the state record does not read: {e}"));
            }
            // Recoverable, alternately by a rerun and by rollback. Not for a 404 or 409 on
            // releasing the lock: the testkit answers them with the lease still there and still
            // this run's, where a real server says 404 only when it is gone and 409 when it is
            // another run's (whose lock must stay); the lease then expires by itself.
            h.server.clear_faults();
            if call.resource.as_deref() == Some("leases")
                && call.verb == "delete"
                && matches!(*name, "404" | "409")
            {
                continue;
            }
            if i % 2 == 0 {
                let again = h.run("apply", &dns.arg(), &args("30s"));
                if again.code != clean {
                    failures
                        .push(format!("{case}: the rerun exits {} (clean: {clean})\n{again}", again.code));
                }
            } else {
                let back = h.run("rollback", &dns.arg(), &["--yes", "--prune", "--timeout", "30s"]);
                if back.code != 0 {
                    failures.push(format!("{case}: rollback exits {}\n{back}", back.code));
                }
            }
        }
    }
    assert!(cases > 20, "{cases} cases");
    assert!(failures.is_empty(), "{} of {cases} cases failed:\n\n{}", failures.len(), failures.join("\n\n"));
}
