//! Honest partial reads: a `status` whose phase depends on a read that was forbidden or failed
//! says the phase is unknown, names what it could not read and the permission missing, derives
//! no next step from the missing data, and exits 13.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use crate::support::dns::DnsServer;
use crate::support::*;
use runai_gateway_testkit::{Fault, FaultAction, Rule, TestServer};

/// The `view` ClusterRole bound by a RoleBinding in `runai`: read most namespaced kinds there
/// (never Secrets), nothing cluster-wide; SelfSubject*Reviews as every authenticated user.
pub fn namespace_view(ns: &str) -> Vec<Rule> {
    let read = ["get", "list", "watch"];
    vec![
        Rule::allow(
            "",
            &[
                "configmaps",
                "endpoints",
                "persistentvolumeclaims",
                "pods",
                "replicationcontrollers",
                "serviceaccounts",
                "services",
            ],
            &read,
        )
        .in_namespaces(&[ns]),
        Rule::allow("apps", &["daemonsets", "deployments", "replicasets", "statefulsets"], &read)
            .in_namespaces(&[ns]),
        Rule::allow("networking.k8s.io", &["ingresses", "networkpolicies"], &read).in_namespaces(&[ns]),
        Rule::allow("discovery.k8s.io", &["endpointslices"], &read).in_namespaces(&[ns]),
        Rule::allow(
            "authorization.k8s.io",
            &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            &["create"],
        ),
    ]
}

fn dns() -> DnsServer {
    DnsServer::start(&[
        ("runai.example.com", INGRESS_IP),
        ("*.runai.example.com", INGRESS_IP),
        ("*.runai-inference.example.com", INGRESS_IP),
    ])
}

const DOMAIN: [&str; 2] = ["--cluster-domain", "runai.example.com"];

#[test]
fn a_namespace_scoped_view_account_gets_phase_unknown_and_the_rbac_it_needs() {
    let server = TestServer::with_fixture("status/healthy");
    server.set_rules(Some(namespace_view("runai")));
    let dns = dns();

    let r = status(&server, &dns.arg(), &DOMAIN);
    assert_eq!(r.code, 13, "{}\n{}", r.stdout, r.stderr);
    let phase = r.stdout.lines().find(|l| l.starts_with("Phase:")).unwrap();
    assert!(
        phase.starts_with("Phase: unknown: cannot read the Helm release `runai/runai-cluster`"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(list secrets in all namespaces: forbidden)"), "{}", r.stdout);
    assert!(r.stdout.contains("Gateway runai/runai-gateway (list gateways.gateway.networking.k8s.io in all namespaces: forbidden)"), "{}", r.stdout);
    assert!(!r.stdout.contains("runai-gateway apply"), "no next step from no data: {}", r.stdout);
    assert!(!r.stdout.contains("Ingress only"), "{}", r.stdout);
    let next = r.stdout.split("Next: ").nth(1).unwrap();
    assert!(
        next.starts_with("grant `list` on what was refused (the phase depends on it), then run status again"),
        "{next}"
    );
    assert!(
        next.contains("kubectl create clusterrole runai-gateway-status --context runai-gateway-test --verb=list --resource=")
            && next.contains("secrets")
            && next.contains("gateways.gateway.networking.k8s.io")
            && next.contains("kubectl create clusterrolebinding runai-gateway-status --context runai-gateway-test --clusterrole=runai-gateway-status --user=test-user"),
        "{next}"
    );

    let r = status(&server, &dns.arg(), &["-o", "json", DOMAIN[0], DOMAIN[1]]);
    assert_eq!(r.code, 13, "the same exit for every -o: {}", r.stderr);
    let report = r.json();
    assert_eq!(report["phase"], "unknown");
    let unread = report["unread"].as_array().unwrap();
    let whats: Vec<&str> = unread.iter().map(|u| u["what"].as_str().unwrap()).collect();
    assert_eq!(
        whats,
        [
            "the Helm release `runai/runai-cluster`",
            "the Helm release `runai-backend/runai-backend`",
            "Gateway runai/runai-gateway"
        ]
    );
    let secrets = &unread[0];
    assert_eq!(secrets["state"], "forbidden");
    assert_eq!(secrets["verb"], "list");
    assert_eq!(secrets["resource"], "secrets");
    assert_eq!(secrets["group"], "");
    assert!(secrets["namespace"].is_null(), "the list is cluster-wide: {secrets}");
    assert!(secrets["message"].as_str().unwrap().contains("cannot list resource \"secrets\""), "{secrets}");
    assert_eq!(unread[2]["group"], "gateway.networking.k8s.io");
    assert!(!r.stdout.contains("runai-gateway apply"), "{}", r.stdout);

    // Live equals file: the snapshot records the refusals, and the file's report is the same.
    let saved = server.scratch_dir().join("view.yaml");
    let saved = saved.to_str().unwrap();
    for output in ["json", "table"] {
        let live =
            status(&server, &dns.arg(), &["-o", output, "--save-snapshot", saved, DOMAIN[0], DOMAIN[1]]);
        let now = server.now().to_string();
        let file = run(
            &["status", "--from-file", saved, "--now", &now, "-o", output, DOMAIN[0], DOMAIN[1]],
            Path::new("."),
        );
        assert_eq!(file.code, 13, "{}", file.stderr);
        assert_eq!(file.code, live.code);
        assert_eq!(file.stdout, live.stdout, "-o {output}");
    }

    // Granted what the next step says, the phase is known again.
    let mut rules = namespace_view("runai");
    rules.push(Rule::allow("", &["secrets"], &["list"]));
    rules.push(Rule::allow("gateway.networking.k8s.io", &["gateways"], &["list"]));
    server.set_rules(Some(rules));
    let r = status(&server, &dns.arg(), &["-o", "json", DOMAIN[0], DOMAIN[1]]);
    assert_ne!(r.code, 13, "{}", r.stderr);
    assert_eq!(r.json()["phase"], "runai-introduced");
    assert!(r.json()["unread"].as_array().unwrap().is_empty());
}

#[test]
fn a_reset_connection_ends_status_at_once_with_exit_6() {
    let server = TestServer::with_fixture("status/healthy");
    let dns = dns();
    // One list is reset while another stalls far past --timeout: the reset ends the run, the
    // stall is not waited for (the run would otherwise end with "no answer within --timeout").
    server.inject(Fault::on("list", "secrets", FaultAction::Drop));
    server.inject(Fault::on("list", "gateways", FaultAction::Delay(Duration::from_secs(600))));
    let r = status(&server, &dns.arg(), &["-o", "json", "--timeout", "120s", DOMAIN[0], DOMAIN[1]]);
    assert_eq!(r.code, 6, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "no report from a lost connection: {}", r.stdout);
    assert!(r.stderr.contains("cannot reach the cluster"), "{}", r.stderr);
    assert!(r.stderr.contains("the connection was lost listing `secrets`"), "{}", r.stderr);
    assert!(!r.stderr.contains("--timeout"), "not the deadline: {}", r.stderr);

    // Once the server answers again, the same command reports.
    server.clear_faults();
    let r = status(&server, &dns.arg(), &["-o", "json", DOMAIN[0], DOMAIN[1]]);
    assert_eq!(r.code, 0, "the same server, answering again: {}", r.stderr);
}

#[test]
fn apply_as_a_namespace_scoped_view_account_names_every_missing_permission_and_writes_nothing() {
    use crate::apply_support::{Harness, dns_at};
    let mut h = Harness::new("gateway-api-installed");
    h.server.set_rules(Some(namespace_view("runai")));
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("✗ preflight: nothing was changed"), "{run}");
    // The refused reads, each once, and then the writes the plan needs, each checked by review.
    let expected = [
        "list secrets in namespace `runai` (Helm release `runai/runai-cluster`) · kubectl auth can-i list secrets -n runai",
        "list secrets in namespace `runai-backend` (Helm release `runai-backend/runai-backend`)",
        "get gateways.gateway.networking.k8s.io in namespace `runai` (the Gateway runai/runai-gateway) · kubectl auth can-i get gateways.gateway.networking.k8s.io -n runai",
        "list ingresses.networking.k8s.io in all namespaces (Ingresses) · kubectl auth can-i list ingresses.networking.k8s.io --all-namespaces",
        "get knativeservings.operator.knative.dev in namespace `knative-serving`",
        "create configmaps in namespace `runai` (the state record)",
        "patch gateways.gateway.networking.k8s.io in namespace `runai` (server-side apply of Gateway runai/runai-gateway)",
        "patch httproutes.gateway.networking.k8s.io in namespace `knative-serving`",
        "update secrets in namespace `runai` (helm upgrade runai-cluster (release storage))",
        "create leases.coordination.k8s.io in namespace `runai` (the lock that keeps runs one at a time)",
    ];
    for e in expected {
        assert!(run.stdout.contains(e), "missing `{e}`:\n{run}");
    }
    // What the view role grants is not listed: the state record's ConfigMap and the Ingresses of
    // `runai` can be read.
    assert!(!run.stdout.contains("get configmaps"), "{run}");
    assert!(!run.stdout.contains("list ingresses.networking.k8s.io in namespace `runai`"), "{run}");
    let listed = run.stdout.lines().filter(|l| l.contains(" · kubectl auth can-i ")).count();
    assert!(run.stdout.contains(&format!("missing permissions ({listed}):")), "{run}");
    assert!(run.stdout.contains("fix: grant them"), "{run}");
    assert!(!run.stdout.contains("Ingress only"), "nothing decided from what was refused: {run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());

    // --diff shows no changes computed from refused reads either.
    let run = h.run("apply", &dns.arg(), &["--diff"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(!run.stdout.contains("+ "), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn an_input_that_cannot_be_discovered_for_want_of_reads_says_so_with_exit_13() {
    let server = TestServer::with_fixture("status/healthy");
    server.set_rules(Some(namespace_view("runai")));
    let dns = dns();
    let r = status(&server, &dns.arg(), &[]);
    assert_eq!(r.code, 13, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("cannot complete the input from the cluster: reading `secrets` (forbidden)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`gateways.gateway.networking.k8s.io` (forbidden)"), "{}", r.stderr);
    assert!(r.stderr.contains("--cluster-domain"), "what to pass: {}", r.stderr);

    // Readable, the same input is complete: discovery finds the domain.
    server.set_rules(None);
    let r = status(&server, &dns.arg(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_reset_on_a_narrow_read_ends_status_at_once_with_exit_6() {
    // The Services and EndpointSlices are read by namespace and name after the cluster-wide
    // lists; a reset there is a lost cluster as well, not a "read failed" finding. The other
    // narrow read stalls far past --timeout: the reset ends the run without waiting for it.
    for (reset, stalled) in [("endpointslices", "services"), ("services", "endpointslices")] {
        let server = TestServer::with_fixture("status/healthy");
        let dns = dns();
        server.inject(Fault::on("list", reset, FaultAction::Drop));
        server.inject(Fault::on("list", stalled, FaultAction::Delay(Duration::from_secs(600))));
        let r = status(&server, &dns.arg(), &["-o", "json", "--timeout", "120s", DOMAIN[0], DOMAIN[1]]);
        assert_eq!(r.code, 6, "reset on `{reset}`: {}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.is_empty(), "no report from a lost connection: {}", r.stdout);
        assert!(r.stderr.contains("cannot reach the cluster"), "{}", r.stderr);
        let lost = format!("the connection was lost listing `{reset}");
        assert!(r.stderr.contains(&lost) && r.stderr.contains("` in `"), "{}", r.stderr);
        assert!(!r.stderr.contains("--timeout"), "not the deadline: {}", r.stderr);
        let narrow = server
            .requests()
            .into_iter()
            .filter(|q| q.resource.as_deref() == Some(reset) && q.namespace.is_some())
            .count();
        assert!(narrow > 0, "`{reset}` was read by namespace");

        server.clear_faults();
        let r = status(&server, &dns.arg(), &["-o", "json", DOMAIN[0], DOMAIN[1]]);
        assert_eq!(r.code, 0, "the same server, answering again: {}", r.stderr);
    }
}

#[test]
fn a_reset_reading_the_cluster_ca_for_the_probes_ends_status_with_exit_6() {
    let server = TestServer::with_fixture("status/healthy");
    let dns = dns();
    server.inject(Fault::on("get", "secrets", FaultAction::Drop).named("runai-ca-cert"));
    let r = status(
        &server,
        &dns.arg(),
        &["-o", "json", "--probe", "--probe-address", "127.0.0.1:9", DOMAIN[0], DOMAIN[1]],
    );
    assert_eq!(r.code, 6, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("the connection was lost reading Secret runai/runai-ca-cert"), "{}", r.stderr);
}

#[test]
fn rollback_as_a_namespace_scoped_view_account_names_every_missing_permission_and_writes_nothing() {
    use crate::apply_support::{Harness, dns_at};
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "a migration stopped at the DNS switch: {run}");
    h.server.set_rules(Some(namespace_view("runai")));
    h.server.clear_requests();
    let helm_before = h.helm_calls.len();
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("✗ rollback: nothing was changed"), "{run}");
    // Every refused read, not the first only, and then the writes the rollback needs.
    let expected = [
        "list secrets in namespace `runai` (Helm release `runai/runai-cluster`) · kubectl auth can-i list secrets -n runai",
        "list secrets in namespace `runai-backend` (Helm release `runai-backend/runai-backend`)",
        "get gateways.gateway.networking.k8s.io in namespace `runai` (the Gateway runai/runai-gateway)",
        "list ingresses.networking.k8s.io in all namespaces (Ingresses)",
        "get knativeservings.operator.knative.dev in namespace `knative-serving`",
        "list gateways.gateway.networking.k8s.io in all namespaces (objects to prune)",
        "list httproutes.gateway.networking.k8s.io in all namespaces (objects to prune)",
        "delete configmaps in namespace `runai` (deleting ConfigMap runai/runai-gateway-state (--prune))",
        "create leases.coordination.k8s.io in namespace `runai` (the lock that keeps runs one at a time)",
    ];
    for e in expected {
        assert!(run.stdout.contains(e), "missing `{e}`:\n{run}");
    }
    // What the view role grants is not listed: the state record can be read.
    assert!(!run.stdout.contains("get configmaps"), "{run}");
    let listed = run.stdout.lines().filter(|l| l.contains(" · kubectl auth can-i ")).count();
    assert!(run.stdout.contains(&format!("missing permissions ({listed}):")), "{run}");
    assert!(run.stdout.contains("fix: grant them"), "{run}");
    assert!(!run.stdout.contains("rolled back"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert_eq!(h.helm_calls.len(), helm_before, "no helm run: {:?}", h.helm_calls);

    // A preview says the same and changes nothing either.
    let run = h.run("rollback", &dns.arg(), &["--diff"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("list secrets in namespace `runai`"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());

    // Granted everything, the same rollback runs through.
    h.server.set_rules(None);
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn rollback_that_may_read_but_not_write_names_the_writes_before_any() {
    use crate::apply_support::{Harness, dns_at};
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "{run}");
    h.server.set_rules(Some(vec![
        Rule::allow("*", &["*"], &["get", "list"]),
        Rule::allow("authorization.k8s.io", &["selfsubjectaccessreviews"], &["create"]),
        Rule::allow("coordination.k8s.io", &["leases"], &["*"]),
    ]));
    h.server.clear_requests();
    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("✗ rollback: nothing was changed"), "{run}");
    assert!(run.stdout.contains("delete gateways.gateway.networking.k8s.io in namespace `runai`"), "{run}");
    assert!(run.stdout.contains("delete configmaps in namespace `runai`"), "{run}");
    assert!(!run.stdout.contains("leases"), "granted: {run}");
    assert!(!run.stdout.contains("list secrets"), "reads granted: {run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}
