//! `apply` when something goes wrong or must not happen: dry runs, injected faults with the
//! report and the resumed run, RBAC preflight, confirmation, helm absent, conflicts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::apply_support::{GATEWAY_IP, Harness, INGRESS_IP, dns_at, gateway_https};
use runai_gateway_testkit::{Fault, FaultAction, Rule};
use serde_json::json;

/// The stored objects and the Helm release secrets, for "nothing changed" comparisons.
fn everything(
    h: &Harness,
) -> (std::collections::BTreeMap<String, serde_json::Value>, Vec<serde_json::Value>) {
    let mut releases = h.server.list("v1", "Secret", Some("runai"));
    releases.extend(h.server.list("v1", "Secret", Some("runai-backend")));
    (h.objects(), releases)
}

#[test]
fn dry_runs_and_diff_change_nothing() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let before = everything(&h);

    let run = h.run("apply", &dns.arg(), &["--dry-run=client"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("+ create Gateway runai/runai-gateway"), "{run}");
    assert!(run.stdout.contains(".spec.gatewayClassName: (absent) -> \"kgateway\""), "{run}");
    assert!(
        run.stdout.contains(
            "helm upgrade runai-cluster runai/runai-cluster --namespace runai --reuse-values --version 2.25.7"
        ),
        "{run}"
    );
    assert!(run.stdout.contains("Dry run (client): nothing was sent."), "{run}");
    assert!(
        h.writes().is_empty() && h.server.count("create", "selfsubjectaccessreviews") == 0,
        "{:?}",
        h.writes()
    );

    let run = h.run("apply", &dns.arg(), &["--diff"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains(".spec.listeners[name=https-inference].hostname"), "{run}");
    assert!(run.stdout.contains("clusterConfig.global.gatewayAPI.enabled: (unset) -> \"true\""), "{run}");
    assert!(h.writes().is_empty());

    let run = h.run("apply", &dns.arg(), &["--dry-run=server"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("Dry run (server)"), "{run}");
    let writes = h.writes();
    assert!(!writes.is_empty(), "server dry run sends the writes");
    assert!(h.server.requests().iter().filter(|r| r.verb == "patch").all(|r| r.query.contains("dryRun=All")));
    assert!(h.helm_calls.is_empty(), "helm is not run in a dry run");
    assert_eq!(everything(&h), before, "the server stored nothing");

    let run = h.run("rollback", &dns.arg(), &["--dry-run=client"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(everything(&h), before);
}

#[test]
fn without_a_terminal_or_yes_nothing_is_changed() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &[]);
    assert_eq!(run.code, 11, "{run}");
    assert!(run.stdout.contains("pass --yes"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn preflight_names_every_missing_permission_before_any_write() {
    let mut h = Harness::new("gateway-api-installed");
    h.server.set_rules(Some(vec![
        Rule::allow("*", &["*"], &["get", "list"]),
        Rule::allow("authorization.k8s.io", &["selfsubjectaccessreviews"], &["create"]),
        Rule::allow("gateway.networking.k8s.io", &["gateways"], &["patch", "create"]),
        Rule::allow("", &["secrets"], &["create", "update"]).in_namespaces(&["runai-backend"]),
    ]));
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("✗ preflight: nothing was changed"), "{run}");
    let expected = [
        "create configmaps in namespace `runai` (the state record)",
        "create secrets in namespace `runai` (copying the inference secret)",
        "patch httproutes.gateway.networking.k8s.io in namespace `runai`",
        "create httproutes.gateway.networking.k8s.io in namespace `runai`",
        "patch httproutes.gateway.networking.k8s.io in namespace `knative-serving`",
        "patch httplistenerpolicies.gateway.kgateway.dev in namespace `runai`",
        "create httplistenerpolicies.gateway.kgateway.dev in namespace `runai`",
        "update secrets in namespace `runai` (helm upgrade runai-cluster (release storage))",
        // The run's lock (get is granted above).
        "create leases.coordination.k8s.io in namespace `runai` (the lock that keeps runs one at a time)",
        "update leases.coordination.k8s.io in namespace `runai`",
        "delete leases.coordination.k8s.io in namespace `runai`",
    ];
    for e in expected {
        assert!(run.stdout.contains(e), "missing `{e}`:\n{run}");
    }
    assert!(!run.stdout.contains("patch gateways"), "granted permissions are not listed:\n{run}");
    assert!(!run.stdout.contains("secrets in namespace `runai-backend`"), "{run}");
    assert!(run.stdout.contains("missing permissions (12):"), "9 for the writes, 3 for the lock: {run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn a_403_on_one_write_stops_reports_and_the_next_run_continues() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    h.server.inject(
        Fault::on("patch", "httproutes", FaultAction::Status(403)).named("knative-serving-httproute"),
    );
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 8, "{run}");
    assert!(
        run.stdout
            .contains("✗ applying HTTPRoute knative-serving/knative-serving-httproute: HTTP 403 Forbidden"),
        "{run}"
    );
    let applied = run.stdout.split("Applied:").nth(1).unwrap().split("Not applied:").next().unwrap();
    assert!(applied.contains("✓ apply Gateway runai/runai-gateway"), "{run}");
    let not_applied = run.stdout.split("Not applied:").nth(1).unwrap();
    assert!(not_applied.contains("- apply HTTPRoute knative-serving/knative-serving-httproute"), "{run}");
    assert!(not_applied.contains("- helm upgrade runai-backend (introduce)"), "{run}");
    assert!(run.stdout.contains("The state record is kept."), "{run}");
    assert!(
        run.stdout.contains("kubectl runai-gateway rollback --cluster-domain runai.example.com"),
        "{run}"
    );
    assert!(h.server.get("v1", "ConfigMap", Some("runai"), "runai-gateway-state").is_some());
    assert!(h.helm_calls.is_empty());

    // `status` can explain this state: the Gateway exists, Run:ai does not use it yet.
    h.server.clear_faults();
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "continues up to the DNS switch: {run}");
    assert!(!run.stdout.contains("apply Gateway"), "the Gateway was done already: {run}");
    assert!(run.stdout.contains("✓ applied HTTPRoute knative-serving/knative-serving-httproute"), "{run}");
    assert_eq!(h.helm_calls.len(), 2);
}

#[test]
fn a_500_midway_and_a_timeout_stop_and_resume() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    h.server.inject(Fault::on("patch", "httplistenerpolicies", FaultAction::Status(500)).times(1));
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 8, "{run}");
    assert!(run.stdout.contains("HTTP 500"), "{run}");
    assert!(run.stdout.contains("✓ applied Gateway runai/runai-gateway"), "{run}");

    // The next write hangs past --request-timeout: the run stops with the same report.
    h.server.inject(
        Fault::on("patch", "httplistenerpolicies", FaultAction::Delay(Duration::from_secs(5))).times(1),
    );
    let run = h.run("apply", &dns.arg(), &["--yes", "--request-timeout", "1s"]);
    assert_eq!(run.code, 8, "{run}");
    assert!(run.stdout.contains("no answer"), "{run}");
    assert!(run.stdout.contains("Not applied:"), "{run}");

    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains("✓ verify"), "{run}");
}

#[test]
fn a_field_owned_by_another_manager_is_a_conflict_until_forced() {
    let mut h = Harness::new("gateway-api-installed");
    h.server
        .put(json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {
                "name": "runai-gateway",
                "namespace": "runai",
                "managedFields": [{
                    "manager": "platform-team",
                    "operation": "Apply",
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:gatewayClassName": {}, "f:listeners": {}}},
                }],
            },
            "spec": {
                "gatewayClassName": "kgateway-waypoint",
                "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
            },
        }))
        .unwrap();
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    // Someone else's Gateway: refused in preflight (before it was a 409 at the write), owner named.
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("platform-team"), "the other manager is named: {run}");
    assert!(run.stdout.contains("--force-conflicts"), "{run}");
    let gw = h.server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    assert_eq!(gw["spec"]["gatewayClassName"], "kgateway-waypoint");

    let run = h.run("apply", &dns.arg(), &["--yes", "--force-conflicts", "--phase", "prepare"]);
    assert_eq!(run.code, 0, "{run}");
    let gw = h.server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    assert_eq!(gw["spec"]["gatewayClassName"], "kgateway");
    assert!(h.helm_calls.is_empty(), "--phase prepare runs prepare only");
    // The Gateway existed before: the state record says so, and rollback --prune keeps it.
    let cm = h.server.get("v1", "ConfigMap", Some("runai"), "runai-gateway-state").unwrap();
    assert!(cm["data"]["state.json"].as_str().unwrap().contains("\"kind\": \"Gateway\""));
}

#[test]
fn without_helm_the_commands_are_printed_and_the_next_run_sees_them_done() {
    let mut h = Harness::new("gateway-api-installed");
    h.helm_on_path = false;
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains("`helm` was not found"), "{run}");
    let kubeconfig = h.kubeconfig();
    let printed = format!(
        "helm upgrade runai-backend runai-backend/control-plane --namespace runai-backend --reuse-values --version 2.25.7 --set-string global.gatewayAPI.enabled=true --set-string 'global.gatewayAPI.parentRefs[0].name=runai-gateway' --set-string 'global.gatewayAPI.parentRefs[0].namespace=runai' --kubeconfig {kubeconfig}"
    );
    assert!(run.stdout.contains(&printed), "{printed}\n{run}");

    // The admin runs the printed commands (the stand-in does what helm would), then re-runs.
    let printed: Vec<Vec<String>> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("helm upgrade"))
        .map(|l| l.split_whitespace().skip(1).map(|w| w.trim_matches('\'').to_owned()).collect())
        .collect();
    assert_eq!(printed.len(), 2, "{run}");
    for argv in &printed {
        h.helm_upgrade(argv).unwrap();
    }
    h.server.clear_requests();
    let run = h.run("apply", &dns.arg(), &["--yes", "--phase", "introduce"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("no changes"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn saas_changes_the_cluster_side_only_and_says_so() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(GATEWAY_IP);
    let run = h.run("apply", &dns.arg(), &["--yes", "--control-plane", "saas", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("control plane: SaaS (only the cluster side is changed here)"), "{run}");
    assert!(h.helm_calls.iter().all(|c| c[1] == "runai-cluster"), "{:?}", h.helm_calls);
    assert_eq!(h.helm_calls.len(), 2);
}

#[test]
fn prune_deletes_only_what_apply_created() {
    let mut h = Harness::new("gateway-prepared");
    // Someone else's object that carries our label but was never written by this tool.
    h.server
        .put(json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "team-route", "namespace": "runai", "labels": {"app.kubernetes.io/managed-by": "runai-gateway"}},
            "spec": {"parentRefs": [{"name": "runai-gateway"}], "hostnames": ["team.runai.example.com"]},
        }))
        .unwrap();
    let before = h.objects();
    let old_dns = dns_at(INGRESS_IP);
    let new_dns = dns_at(GATEWAY_IP);
    // The fixture's Gateway and routes were made by hand: refused, then adopted.
    let run = h.run("apply", &new_dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("Gateway runai/runai-gateway is not this tool's"), "{run}");
    assert!(run.stdout.contains("--adopt"), "{run}");
    assert!(
        h.writes().iter().all(|w| w.contains("selfsubjectaccessreviews")),
        "nothing was changed: {:?}",
        h.writes()
    );
    let run = h.run("apply", &new_dns.arg(), &["--yes", "--wait", "--timeout", "20s", "--adopt"]);
    assert_eq!(run.code, 0, "{run}");

    // Objects that existed before keep their labels: only what apply creates is labelled.
    let gw = h.server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    assert_ne!(gw["metadata"]["labels"]["app.kubernetes.io/managed-by"], "runai-gateway");
    let policy = h
        .server
        .get("gateway.kgateway.dev/v1alpha1", "HTTPListenerPolicy", Some("runai"), "runai-gateway-websockets")
        .unwrap();
    assert_eq!(policy["metadata"]["labels"]["app.kubernetes.io/managed-by"], "runai-gateway");

    // DNS still at the Gateway: rollback re-enables Ingress but refuses to prune yet.
    let run = h.run("rollback", &new_dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains("--prune waits until DNS no longer points at the Gateway"), "{run}");
    assert!(
        h.server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").is_some()
    );

    let run = h.run("rollback", &old_dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    for (kind, ns, name) in [
        ("Gateway", "runai", "runai-gateway"),
        ("HTTPRoute", "runai", "team-route"),
        ("HTTPRoute", "knative-serving", "knative-serving-httproute"),
        ("HTTPRoute", "runai", "runai-gateway-https-redirect"),
    ] {
        assert!(
            h.server.get("gateway.networking.k8s.io/v1", kind, Some(ns), name).is_some(),
            "{kind} {ns}/{name} was deleted:\n{run}"
        );
    }
    assert!(h.server.get("v1", "Secret", Some("runai"), "runai-cluster-inference-tls-secret").is_some());
    let after = h.objects();
    // Deleted: the state record and the policy apply created (the fixture's is named differently).
    let deleted: Vec<&String> =
        before.keys().chain(after.keys()).filter(|k| !after.contains_key(*k)).collect();
    assert!(deleted.is_empty(), "{deleted:?}");
    assert!(
        h.writes().contains(&"delete httplistenerpolicies runai/runai-gateway-websockets".to_owned()),
        "{:?}",
        h.writes()
    );
    for key in before.keys() {
        assert!(after.contains_key(key), "{key} is gone");
    }
}

#[test]
fn verify_stops_when_https_through_the_gateway_fails() {
    let mut h = Harness::new("gateway-api-installed");
    // The certificate served does not cover the inference wildcard; the control plane answers 503.
    let https = gateway_https(&h, &["runai.example.com", "*.runai.example.com"], 503);
    h.probe_address = Some(https.addr.to_string());
    let dns = dns_at(INGRESS_IP);
    // --timeout bounds the whole run: the writes first, so that the 2s go to the wait.
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "{run}");
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "2s"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains("! verify: the Gateway is not serving yet after 2s"), "{run}");
    run.assert_no_progress();
    assert!(run.stdout.contains("https://runai.example.com/ through"), "{run}");
    assert!(run.stdout.contains("HTTP 503"), "{run}");
    assert!(run.stdout.contains("https://rgw-check.runai-inference.example.com/ through"), "{run}");
    assert!(run.stdout.contains("TLS handshake"), "{run}");
    assert!(!run.stdout.contains("switch-dns"), "stops before the DNS step: {run}");
}

#[test]
fn preflight_refuses_missing_prerequisites_and_names_each() {
    let dns = dns_at(INGRESS_IP);
    // No Gateway API at all.
    let mut h = Harness::new("ingress-only");
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 9, "{run}");
    // Preflight is the catalog's checks: the same words as `status`.
    let crds = run.stdout.lines().find(|l| l.contains("Gateway API CRDs not installed")).unwrap_or_default();
    assert!(crds.contains("gateways.gateway.networking.k8s.io"), "{run}");
    assert!(crds.contains("httproutes.gateway.networking.k8s.io"), "{run}");
    assert!(
        run.stdout.contains(
            "cannot check `gatewayclass-missing`: `gatewayclasses.gateway.networking.k8s.io` is not installed"
        ),
        "{run}"
    );
    assert!(h.writes().is_empty(), "{:?}", h.writes());

    // A certificate that does not cover its host, and Run:ai older than 2.25.
    let mut h = Harness::new("broken/wrong-host-cert");
    let mut release = h
        .server
        .list("v1", "Secret", Some("runai"))
        .into_iter()
        .find(|s| {
            s["metadata"]["labels"]["name"] == "runai-cluster"
                && s["metadata"]["labels"]["status"] == "deployed"
        })
        .map(|s| runai_gateway_testkit::helm::HelmRelease::from_secret(&s).unwrap())
        .unwrap();
    release.chart_version = "2.24.3".into();
    h.server.put(release.to_secret()).unwrap();
    let run = h.run("apply", &dns.arg(), &["--yes", "--force-conflicts"]);
    assert_eq!(run.code, 9, "{run}");
    assert!(
        run.stdout.contains("does not cover `*.runai.example.com`: it names *.other.example.org"),
        "{run}"
    );
    assert!(
        run.stdout.contains(
            "`runai-cluster` runs chart runai-cluster 2.24.3; Gateway API support needs 2.25 or later"
        ),
        "{run}"
    );
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn a_lost_connection_stops_and_the_next_run_continues() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    h.server
        .inject(Fault::on("patch", "httproutes", FaultAction::Drop).named("runai-gateway-https-redirect"));
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 8, "{run}");
    assert!(
        run.stdout.contains("✗ applying HTTPRoute runai/runai-gateway-https-redirect: no answer"),
        "{run}"
    );
    h.server.clear_faults();
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "{run}");
}

#[test]
fn helm_runs_against_the_same_cluster_and_the_control_plane_context() {
    let mut h = Harness::new("gateway-api-installed");
    // A second context for the control plane (the same test server, as a remote one would be).
    let kubeconfig = h.kubeconfig();
    let text = std::fs::read_to_string(&kubeconfig).unwrap().replace(
        "contexts:\n",
        "contexts:\n- name: control-plane\n  context:\n    cluster: runai-gateway-test\n    user: test-user\n",
    );
    std::fs::write(&kubeconfig, text).unwrap();
    let dns = dns_at(INGRESS_IP);
    let run = h.run(
        "apply",
        &dns.arg(),
        &[
            "--yes",
            "--phase",
            "introduce",
            "--context",
            "runai-gateway-test",
            "--control-plane-context",
            "control-plane",
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
    assert_eq!(
        h.helm_calls,
        vec![
            v(&[
                "upgrade",
                "runai-backend",
                "runai-backend/control-plane",
                "--namespace",
                "runai-backend",
                "--reuse-values",
                "--version",
                "2.25.7",
                "--kube-context",
                "control-plane",
                "--set-string",
                "global.gatewayAPI.enabled=true",
                "--set-string",
                "global.gatewayAPI.parentRefs[0].name=runai-gateway",
                "--set-string",
                "global.gatewayAPI.parentRefs[0].namespace=runai",
                "--kubeconfig",
                &kubeconfig,
            ]),
            v(&[
                "upgrade",
                "runai-cluster",
                "runai/runai-cluster",
                "--namespace",
                "runai",
                "--reuse-values",
                "--version",
                "2.25.7",
                "--set-string",
                "clusterConfig.global.gatewayAPI.enabled=true",
                "--set-string",
                "clusterConfig.global.gatewayAPI.name=runai-gateway",
                "--set-string",
                "clusterConfig.global.gatewayAPI.namespace=runai",
                "--set",
                "clusterConfig.global.subdomainSupport=true",
                "--kubeconfig",
                &kubeconfig,
                "--kube-context",
                "runai-gateway-test",
            ]),
        ]
    );
}

/// Runs the binary on a pseudo-terminal (util-linux `script`), typing `answer`.
fn on_a_terminal(h: &Harness, dns: &str, answer: &str, extra: &str) -> (i32, String) {
    use std::io::Write as _;
    let cmd = format!(
        "{} apply --cluster-domain runai.example.com --kubeconfig {} --dns-server {dns} --no-probe {extra}",
        crate::apply_support::BIN,
        h.kubeconfig()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the binary on a terminal");
    child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn on_a_terminal_the_summary_is_confirmed_first() {
    let h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let (code, out) = on_a_terminal(&h, &dns.arg(), "n\n", "--phase prepare");
    assert_eq!(code, 11, "{out}");
    assert!(out.contains("+ create Gateway runai/runai-gateway"), "the summary comes first: {out}");
    assert!(out.contains("Apply these changes? [y/N]"), "{out}");
    assert!(out.contains("Aborted: nothing was changed."), "{out}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());

    let (code, out) = on_a_terminal(&h, &dns.arg(), "y\n", "--phase prepare");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("✓ applied Gateway runai/runai-gateway"), "{out}");
    assert!(
        h.server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").is_some()
    );
}

#[test]
fn wait_dns_polls_until_the_timeout_then_prints_the_records() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let start = std::time::Instant::now();
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--wait-dns", "--timeout", "3s"]);
    let elapsed = start.elapsed();
    assert_eq!(run.code, 7, "{run}");
    assert!(elapsed >= Duration::from_secs(3), "returned after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(30), "not bounded: {elapsed:?}");
    assert!(run.stdout.contains("! switch-dns: point these DNS records at the Gateway"), "{run}");
    run.assert_no_progress();
    // With the records at the Gateway, the same wait ends at once, and Ingress goes off.
    let dns = dns_at(GATEWAY_IP);
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait-dns", "--timeout", "30s"]);
    assert_eq!(run.code, 0, "{run}");
}

#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_a_wait_shows_what_it_awaits_and_clears_the_line_before_the_report() {
    let mut h = Harness::new("gateway-api-installed");
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "{run}");
    h.terminal = true;
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--wait-dns", "--timeout", "3s"]);
    assert_eq!(run.code, 7, "{run}");
    let screen = &run.stdout;
    let waiting = screen.find("⠋ waiting for DNS").expect("the DNS wait's progress line");
    let line = &screen[waiting..screen[waiting..].find(['\r', '\n']).map_or(screen.len(), |e| waiting + e)];
    assert!(line.contains(" · ") && line.contains("s of "), "elapsed of the bound: {line:?}");
    // The progress line is cleared before the records are printed over it.
    let report = screen.lines().find(|l| l.contains("! switch-dns: point these DNS records")).unwrap();
    let after_clear = report.rsplit("\x1b[2K").next().unwrap();
    assert!(after_clear.starts_with("! switch-dns"), "{report:?}");
}

#[test]
fn a_forbidden_read_is_a_missing_permission_and_changes_nothing() {
    let mut h = Harness::new("gateway-api-installed");
    h.server.set_rules(Some(vec![
        Rule::allow("", &["*"], &["*"]),
        Rule::allow("apiextensions.k8s.io", &["*"], &["*"]),
        Rule::allow("operator.knative.dev", &["*"], &["*"]),
        Rule::allow("networking.k8s.io", &["*"], &["*"]),
        Rule::allow("gateway.networking.k8s.io", &["gatewayclasses", "httproutes"], &["*"]),
    ]));
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 9, "{run}");
    // Named with every other missing permission, the reads' and the writes', at once.
    assert!(
        run.stdout.contains(
            "get gateways.gateway.networking.k8s.io in namespace `runai` (the Gateway runai/runai-gateway)"
        ),
        "{run}"
    );
    assert!(run.stdout.contains("patch gateways.gateway.networking.k8s.io in namespace `runai`"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn verify_waits_for_the_controller_and_names_what_is_missing() {
    let mut h = Harness::new("gateway-api-installed");
    h.controller = false;
    let dns = dns_at(INGRESS_IP);
    // --timeout bounds the whole run: the writes first, so that the 2s go to the wait.
    let run = h.run("apply", &dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "{run}");
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "2s"]);
    assert_eq!(run.code, 7, "{run}");
    for line in [
        "! verify: the Gateway is not serving yet after 2s:",
        "Gateway runai/runai-gateway is not Programmed",
        "Gateway runai/runai-gateway has no address",
        "listener `https-inference` has not resolved its certificate (ResolvedRefs)",
        "HTTPRoute knative-serving/knative-serving-httproute is not accepted by the Gateway",
        "kubectl describe gateway runai-gateway -n runai",
    ] {
        assert!(run.stdout.contains(line), "missing `{line}`:\n{run}");
    }
    // Once the controller has done its work, the next run goes on from verify.
    h.controller = true;
    let run = h.run("apply", &dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains("✓ verify"), "{run}");
    assert!(run.stdout.contains("! switch-dns"), "{run}");
}
