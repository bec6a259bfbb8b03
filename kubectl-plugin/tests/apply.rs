//! `apply` end to end: the binary, a kubeconfig, the test API server, the Helm stand-in on PATH
//! and a stand-in Gateway controller.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::apply_support::{GATEWAY_IP, Harness, INGRESS_IP, differences, dns_at, gateway_https};
use serde_json::json;

/// The exact helm command lines of a full migration of the fixture.
fn expected_helm(kubeconfig: &str) -> Vec<Vec<String>> {
    let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
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
            "--set-string",
            "global.gatewayAPI.enabled=true",
            "--set-string",
            "global.gatewayAPI.parentRefs[0].name=runai-gateway",
            "--set-string",
            "global.gatewayAPI.parentRefs[0].namespace=runai",
            "--kubeconfig",
            kubeconfig,
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
            kubeconfig,
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
            "clusterConfig.global.ingress.enabled=false",
            "--kubeconfig",
            kubeconfig,
        ]),
        v(&[
            "upgrade",
            "runai-backend",
            "runai-backend/control-plane",
            "--namespace",
            "runai-backend",
            "--reuse-values",
            "--version",
            "2.25.7",
            "--set-string",
            "global.ingress.enabled=false",
            "--kubeconfig",
            kubeconfig,
        ]),
    ]
}

#[test]
fn full_migration_stops_for_dns_then_completes_and_a_second_run_writes_nothing() {
    let mut h = Harness::new("gateway-api-installed");
    let https = gateway_https(
        &h,
        &["runai.example.com", "*.runai.example.com", "*.runai-inference.example.com"],
        200,
    );
    h.probe_address = Some(https.addr.to_string());
    let before = h.objects();
    let old_dns = dns_at(INGRESS_IP);
    let new_dns = dns_at(GATEWAY_IP);

    // First run: everything up to the DNS switch, which only a human can do.
    let run = h.run("apply", &old_dns.arg(), &["--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains("✓ preflight"), "{run}");
    assert!(run.stdout.contains("✓ recorded the state in ConfigMap runai/runai-gateway-state"), "{run}");
    assert!(run.stdout.contains("✓ copied Secret runai/runai-cluster-inference-tls-secret"), "{run}");
    assert!(run.stdout.contains("✓ verify: Gateway programmed at 192.0.2.20, listeners resolved, routes accepted, HTTPS answers for every hostname"), "{run}");
    assert!(run.stdout.contains("point these DNS records at the Gateway"), "{run}");
    for line in ["runai.example.com", "*.runai.example.com", "*.runai-inference.example.com"] {
        let row = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{line} ")))
            .unwrap_or_else(|| panic!("{line}\n{run}"));
        assert!(row.contains(INGRESS_IP) && row.contains(GATEWAY_IP), "{row}");
    }
    assert!(run.stdout.contains("kubectl runai-gateway apply --cluster-domain runai.example.com"), "{run}");
    assert_eq!(h.helm_calls, expected_helm(&h.kubeconfig())[..2].to_vec());

    // The Gateway and routes are applied with our field manager and label.
    let gw = h.server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    assert_eq!(gw["metadata"]["labels"]["app.kubernetes.io/managed-by"], "runai-gateway");
    assert!(
        gw["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["manager"] == "runai-gateway" && m["operation"] == "Apply")
    );
    let copy = h.server.get("v1", "Secret", Some("runai"), "runai-cluster-inference-tls-secret").unwrap();
    let source =
        h.server.get("v1", "Secret", Some("knative-serving"), "runai-cluster-inference-tls-secret").unwrap();
    assert_eq!(copy["data"], source["data"]);
    assert_eq!(copy["metadata"]["labels"]["app.kubernetes.io/managed-by"], "runai-gateway");
    let (rev, version, values) = h.release_values("runai", "runai-cluster");
    assert_eq!((rev, version.as_str()), (2, "2.25.7"));
    assert_eq!(
        values["clusterConfig"]["global"]["gatewayAPI"],
        json!({"enabled": "true", "name": "runai-gateway", "namespace": "runai"})
    );

    // The state record: previous values of the touched keys, no secret data.
    let cm = h.server.get("v1", "ConfigMap", Some("runai"), "runai-gateway-state").unwrap();
    let record: serde_json::Value = serde_json::from_str(cm["data"]["state.json"].as_str().unwrap()).unwrap();
    assert_eq!(record["schema"], "runai-gateway.state/v1");
    assert_eq!(record["ingressAddress"], INGRESS_IP);
    let cluster =
        record["releases"].as_array().unwrap().iter().find(|r| r["release"] == "runai-cluster").unwrap();
    assert_eq!(cluster["values"]["clusterConfig.global.subdomainSupport"], json!(true));
    assert_eq!(cluster["values"]["clusterConfig.global.gatewayAPI.enabled"], json!(null));
    let text = cm["data"]["state.json"].as_str().unwrap();
    for secret in ["REDACTED-IN-FIXTURE", "tls.key", "clientSecret", "BEGIN"] {
        assert!(!text.contains(secret), "state record holds {secret}");
    }

    // Re-run before DNS changed: still the manual step, nothing written.
    h.server.clear_requests();
    let run = h.run("apply", &old_dns.arg(), &["--yes"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(h.writes().is_empty(), "{:?}\n{run}", h.writes());

    // DNS switched: Ingress is turned off, cluster first, then the control plane.
    let run = h.run("apply", &new_dns.arg(), &["--yes"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ switch-dns"), "{run}");
    assert!(run.stdout.contains("✓ disable-ingress: the migration is complete."), "{run}");
    assert!(
        run.stdout.contains("Ingress knative-serving/knative-serving"),
        "hand-made Ingresses are listed: {run}"
    );
    assert!(run.stdout.contains("Ingress runai/runai-cluster-domain-star-ingress"), "{run}");
    assert_eq!(h.helm_calls, expected_helm(&h.kubeconfig()));
    assert!(
        h.server
            .get("networking.k8s.io/v1", "Ingress", Some("runai"), "runai-cluster-domain-star-ingress")
            .is_some(),
        "kept without --prune-ingress"
    );

    // Done: a second run changes nothing and writes nothing.
    h.server.clear_requests();
    let calls = h.helm_calls.len();
    let run = h.run("apply", &new_dns.arg(), &["--yes"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("no changes"), "{run}");
    assert!(run.stdout.contains("No changes: the migration is complete."), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert_eq!(h.server.count("create", "selfsubjectaccessreviews"), 0);
    assert_eq!(h.helm_calls.len(), calls);

    // Rollback with --prune: back to the fixture, field by field.
    let run = h.run("rollback", &old_dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    let after = h.objects();
    assert_eq!(differences(&before, &after), Vec::<String>::new());
    let (_, _, values) = h.release_values("runai", "runai-cluster");
    assert_eq!(values["clusterConfig"]["global"]["ingress"]["enabled"], "true");
    assert_eq!(values["clusterConfig"]["global"]["gatewayAPI"]["enabled"], "false");
    let (_, _, values) = h.release_values("runai-backend", "runai-backend");
    assert_eq!(values["global"]["ingress"]["enabled"], "true");
    assert_eq!(values["global"]["gatewayAPI"]["enabled"], "false");
    let rollback_helm = &h.helm_calls[4..];
    assert_eq!(rollback_helm.len(), 2, "one upgrade per release: {rollback_helm:?}");
    assert_eq!(rollback_helm[0][1], "runai-cluster");
    assert!(rollback_helm[0].contains(&"clusterConfig.global.ingress.enabled=true".to_owned()));
    assert!(rollback_helm[0].contains(&"clusterConfig.global.gatewayAPI.enabled=false".to_owned()));
    assert_eq!(rollback_helm[1][1], "runai-backend");

    // Rollback twice is harmless.
    h.server.clear_requests();
    let run = h.run("rollback", &old_dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("No changes"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert_eq!(h.helm_calls.len(), 6);
}
