//! `rollback` from every point a migration can stop at, compared field by field with the fixture;
//! `status` explains every intermediate state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::apply_support::{GATEWAY_IP, Harness, INGRESS_IP, differences, dns_at};
use runai_gateway_testkit::{Fault, FaultAction};

/// `status -o json` of the harness's cluster; its phase.
fn phase(h: &mut Harness, dns: &str) -> String {
    let kubeconfig = h.kubeconfig();
    let run = h.run_raw(&["status", "--kubeconfig", &kubeconfig, "--dns-server", dns, "-o", "json"]);
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("status is not JSON ({e}): {run}"));
    report["phase"].as_str().unwrap().to_owned()
}

/// Rolls back with `--prune` and checks the objects against `before`, field by field, and the
/// Run:ai settings: Ingress on, Gateway API off.
fn rollback_to(h: &mut Harness, before: &std::collections::BTreeMap<String, serde_json::Value>, dns: &str) {
    let run = h.run("rollback", dns, &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(differences(before, &h.objects()), Vec::<String>::new(), "{run}");
    assert!(
        h.server.get("v1", "ConfigMap", Some("runai"), "runai-gateway-state").is_none(),
        "the state record goes last"
    );
    let p = phase(h, dns);
    assert!(p == "ingress-only" || p == "rolled-back", "phase after rollback: {p}");
    // Twice is harmless.
    h.server.clear_requests();
    let calls = h.helm_calls.len();
    let run = h.run("rollback", dns, &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert_eq!(h.helm_calls.len(), calls);
}

/// A migration whose prepare failed at the Knative route (500): the harness, its objects before,
/// and the DNS stand-in (still on the Ingress).
fn prepare_failed_halfway()
-> (Harness, std::collections::BTreeMap<String, serde_json::Value>, crate::support::dns::DnsServer) {
    let mut h = Harness::new("gateway-api-installed");
    let before = h.objects();
    let dns = dns_at(INGRESS_IP);
    h.server.inject(
        Fault::on("patch", "httproutes", FaultAction::Status(500)).named("knative-serving-httproute"),
    );
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 8, "{run}");
    (h, before, dns)
}

#[test]
fn from_a_prepare_that_failed_halfway() {
    let (mut h, before, dns) = prepare_failed_halfway();
    let p = phase(&mut h, &dns.arg());
    assert_ne!(p, "inconsistent", "status explains a half-done prepare");
    h.server.clear_faults();

    rollback_to(&mut h, &before, &dns.arg());
    assert!(
        h.helm_calls.is_empty(),
        "Helm was never changed, so rollback leaves it alone: {:?}",
        h.helm_calls
    );
}

#[test]
fn from_introduced_before_the_dns_switch() {
    let mut h = Harness::new("gateway-api-installed");
    let before = h.objects();
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "{run}");
    assert_eq!(phase(&mut h, &dns.arg()), "runai-introduced");

    // A server-side dry run sends the deletes with dryRun=All and stores nothing.
    let migrated = h.objects();
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune", "--dry-run=server"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ deleted Gateway runai/runai-gateway"), "{run}");
    assert!(h.server.requests().iter().filter(|r| r.verb == "delete").count() >= 3);
    assert_eq!(differences(&migrated, &h.objects()), Vec::<String>::new());
    assert_eq!(h.helm_calls.len(), 2, "helm is not run in a dry run");

    rollback_to(&mut h, &before, &dns.arg());
    let rollback_calls = &h.helm_calls[2..];
    assert_eq!(rollback_calls.len(), 2, "{rollback_calls:?}");
    let (_, _, values) = h.release_values("runai", "runai-cluster");
    assert_eq!(values["clusterConfig"]["global"]["gatewayAPI"]["enabled"], "false");
    assert_eq!(values["clusterConfig"]["global"]["ingress"]["enabled"], "true");
}

#[test]
fn from_a_finished_migration_that_pruned_the_hand_made_ingresses() {
    let mut h = Harness::new("gateway-api-installed");
    let before = h.objects();
    let old_dns = dns_at(INGRESS_IP);
    let new_dns = dns_at(GATEWAY_IP);
    let run = h.run("apply", &new_dns.arg(), &["--yes", "--wait", "--timeout", "20s", "--prune-ingress"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ deleted Ingress runai/runai-cluster-domain-star-ingress"), "{run}");
    assert!(run.stdout.contains("✓ deleted Ingress knative-serving/knative-serving"), "{run}");
    assert!(
        h.server.list("networking.k8s.io/v1", "Ingress", None).is_empty(),
        "chart and hand-made Ingresses are gone"
    );
    assert_eq!(phase(&mut h, &new_dns.arg()), "ingress-disabled");

    let run = h.run("rollback", &old_dns.arg(), &["--dry-run=client"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("+ re-create Ingress runai/runai-cluster-domain-star-ingress"), "{run}");
    assert!(run.stdout.contains("helm upgrade runai-cluster runai/runai-cluster --namespace runai --reuse-values --version 2.25.7 --set-string clusterConfig.global.ingress.enabled=true --set-string clusterConfig.global.gatewayAPI.enabled=false"), "{run}");
    rollback_to(&mut h, &before, &old_dns.arg());
}

#[test]
fn without_a_state_record_it_still_goes_back_and_prunes_nothing_foreign() {
    let mut h = Harness::new("migrated");
    let dns = dns_at(INGRESS_IP);
    let gateways = h.server.list("gateway.networking.k8s.io/v1", "Gateway", None).len();
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("no state record"), "{run}");
    assert_eq!(h.helm_calls.len(), 2, "{:?}", h.helm_calls);
    assert_eq!(h.helm_calls[0][1], "runai-cluster", "cluster first");
    assert_eq!(h.helm_calls[1][1], "runai-backend");
    assert_eq!(h.server.list("gateway.networking.k8s.io/v1", "Gateway", None).len(), gateways);
    assert!(h.writes().iter().all(|w| !w.starts_with("delete")), "{:?}", h.writes());
}

#[test]
fn without_helm_it_prints_the_commands() {
    let mut h = Harness::new("migrated");
    h.helm_on_path = false;
    let dns = dns_at(INGRESS_IP);
    let run = h.run("rollback", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains("`helm` was not found"), "{run}");
    assert!(run.stdout.contains("helm upgrade runai-backend runai-backend/control-plane --namespace runai-backend --reuse-values --version 2.25.7 --set-string global.ingress.enabled=true --set-string global.gatewayAPI.enabled=false"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn knative_serving_fields_are_restored_as_recorded() {
    let mut h = Harness::new("gateway-api-installed");
    // A Knative set up differently: another domain template, no external scheme.
    let mut ks = h
        .server
        .get("operator.knative.dev/v1beta1", "KnativeServing", Some("knative-serving"), "knative-serving")
        .unwrap();
    ks["spec"]["config"]["network"]["domainTemplate"] =
        serde_json::json!("{{.Name}}.{{.Namespace}}.{{.Domain}}");
    ks["spec"]["config"]["network"].as_object_mut().unwrap().remove("default-external-scheme");
    h.server.put(ks).unwrap();
    let before = h.objects();
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes", "--phase", "prepare"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ applied KnativeServing knative-serving/knative-serving"), "{run}");
    let ks = h
        .server
        .get("operator.knative.dev/v1beta1", "KnativeServing", Some("knative-serving"), "knative-serving")
        .unwrap();
    assert_eq!(ks["spec"]["config"]["network"]["domainTemplate"], "{{.Name}}-{{.Namespace}}.{{.Domain}}");
    assert_eq!(ks["spec"]["config"]["network"]["default-external-scheme"], "https");
    assert_eq!(
        ks["spec"]["config"]["autoscaler"],
        before["KnativeServing knative-serving/knative-serving"]["spec"]["config"]["autoscaler"],
        "other fields untouched"
    );

    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ restored the recorded KnativeServing fields"), "{run}");
    assert_eq!(differences(&before, &h.objects()), Vec::<String>::new(), "{run}");
}

#[test]
fn path_mode_rollback_restores_subdomain_support_as_recorded() {
    let mut h = Harness::new("gateway-api-installed");
    let before = h.objects();
    let dns = dns_at(INGRESS_IP);
    // --force: Ingress off although DNS still points at it (the admin's call).
    let run = h.run(
        "apply",
        &dns.arg(),
        &["--routing-mode", "path", "--yes", "--wait", "--timeout", "20s", "--force"],
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ disable-ingress"), "{run}");
    let (_, _, values) = h.release_values("runai", "runai-cluster");
    assert_eq!(values["clusterConfig"]["global"]["subdomainSupport"], false);
    assert_eq!(values["clusterConfig"]["global"]["ingress"]["enabled"], "false");

    let run = h.run("rollback", &dns.arg(), &["--routing-mode", "path", "--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    let cluster_call = h.helm_calls.iter().rev().find(|c| c[1] == "runai-cluster").unwrap();
    assert!(
        cluster_call.ends_with(&[
            "--set-string".to_owned(),
            "clusterConfig.global.ingress.enabled=true".to_owned(),
            "--set-string".to_owned(),
            "clusterConfig.global.gatewayAPI.enabled=false".to_owned(),
            "--set".to_owned(),
            "clusterConfig.global.subdomainSupport=true".to_owned(),
            "--kubeconfig".to_owned(),
            h.kubeconfig(),
        ]),
        "{cluster_call:?}"
    );
    let (_, _, values) = h.release_values("runai", "runai-cluster");
    assert_eq!(values["clusterConfig"]["global"]["subdomainSupport"], true);
    assert_eq!(differences(&before, &h.objects()), Vec::<String>::new());
    let calls = h.helm_calls.len();
    let run = h.run("rollback", &dns.arg(), &["--routing-mode", "path", "--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(h.helm_calls.len(), calls, "nothing left to undo");
}

#[test]
fn with_no_input_flags_it_restores_from_the_state_record() {
    let (mut h, before, dns) = prepare_failed_halfway();
    h.server.clear_faults();

    // The emergency: no config, no flags, only the cluster.
    let kubeconfig = h.kubeconfig();
    let bare = ["rollback", "--prune", "--yes", "--kubeconfig", kubeconfig.as_str(), "--dns-server"];
    let run = h.run_raw(&[&bare[..], &[dns.arg().as_str()]].concat());
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ deleted Gateway runai/runai-gateway"), "{run}");
    assert_eq!(differences(&before, &h.objects()), Vec::<String>::new(), "{run}");

    // With the record gone too, it says what it needs, exits 3 and changes nothing.
    h.server.clear_requests();
    let run = h.run_raw(&[&bare[..], &[dns.arg().as_str()]].concat());
    assert_eq!(run.code, 3, "{run}");
    assert!(run.stderr.contains("no state record"), "{run}");
    assert!(run.stderr.contains("--config FILE"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}
