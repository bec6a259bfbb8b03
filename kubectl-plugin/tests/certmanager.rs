//! cert-manager end to end (`--tls-issuer`): `status` on cert-manager's objects (live and from
//! its snapshot file alike), `apply` through every phase with the testkit's stand-in
//! cert-manager issuing the listeners' certificates, `rollback --prune` leaving the Ingress's
//! secrets as they were, and preflight refusing an issuer that cannot issue wildcards.

use std::path::Path;

use crate::apply_support::{Harness, differences, dns_at, gateway_https};
use crate::support::{GATEWAY_IP, INGRESS_IP, finding_ids, run, status};
use runai_gateway_testkit::certmanager::CertManager;
use runai_gateway_testkit::fixture::{Fixture, fixtures_dir, parse_yaml_documents};
use runai_gateway_testkit::{CertClock, TestServer};
use serde_json::{Value, json};

pub const ISSUER: [&str; 2] = ["--tls-issuer", "clusterissuer/letsencrypt"];

/// The listeners' secrets cert-manager fills, and the Ingress's secrets that must stay.
pub const ISSUED: [&str; 3] =
    ["runai-gateway-cluster-domain-tls", "runai-gateway-workloads-tls", "runai-gateway-inference-tls"];
pub const INGRESS_SECRETS: [(&str, &str); 3] = [
    ("runai", "runai-cluster-domain-tls-secret"),
    ("runai", "runai-cluster-domain-star-tls-secret"),
    ("knative-serving", "runai-cluster-inference-tls-secret"),
];

/// cert-manager as the status fixtures install it: CRDs, its controller, the issuer.
fn cert_manager_docs() -> Vec<Value> {
    parse_yaml_documents(&fixtures_dir().join("status/cert-manager/cert-manager.yaml")).unwrap()
}

/// `gateway-api-installed` plus cert-manager, the issuer patched by `issuer`, and a harness whose
/// stand-in cert-manager issues.
pub fn harness(issuer: impl FnOnce(&mut Value)) -> Harness {
    let mut docs = cert_manager_docs();
    let i = docs.iter_mut().find(|d| d["kind"] == "ClusterIssuer").unwrap();
    issuer(i);
    let fixture = Fixture::load("gateway-api-installed").unwrap().with(docs).unwrap();
    let server = TestServer::start(&fixture).unwrap();
    let (kubeconfig, home) = (server.kubeconfig_path(), server.scratch_dir().to_path_buf());
    let mut h = Harness::with_store(server, kubeconfig, home);
    h.cert_manager = Some(CertManager::new().unwrap());
    h
}

fn http01_only(issuer: &mut Value) {
    issuer["spec"]["acme"]["solvers"] = json!([{"http01": {"ingress": {"ingressClassName": "haproxy"}}}]);
}

#[test]
fn full_migration_with_cert_manager_has_no_tls_step_and_rollback_keeps_the_ingress_secrets() {
    let mut h = harness(|_| {});
    let https = gateway_https(
        &h,
        &["runai.example.com", "*.runai.example.com", "*.runai-inference.example.com"],
        200,
    );
    h.probe_address = Some(https.addr.to_string());
    let before = h.objects();
    let old_dns = dns_at(INGRESS_IP);
    let new_dns = dns_at(GATEWAY_IP);
    let mut apply = ISSUER.to_vec();
    apply.extend(["--yes", "--wait", "--timeout", "30s"]);

    let run = h.run("apply", &old_dns.arg(), &apply);
    assert_eq!(run.code, 7, "stops only at the DNS switch: {run}");
    assert!(run.stdout.contains("✓ preflight"), "{run}");
    assert!(run.stdout.contains("✓ verify: Gateway programmed at 192.0.2.20"), "{run}");
    // No TLS step for a human: nothing to create, nothing copied.
    for human in ["kubectl create secret", "copied Secret", "--cert FULLCHAIN"] {
        assert!(!run.stdout.contains(human), "{human}: {run}");
    }
    let gw = h.server.get("gateway.networking.k8s.io/v1", "Gateway", Some("runai"), "runai-gateway").unwrap();
    let programmed = gw["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Programmed" && c["status"] == "True");
    assert!(programmed, "{gw:#}");
    let refs: Vec<&Value> = gw["spec"]["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["tls"]["certificateRefs"][0].get("name"))
        .collect();
    assert_eq!(refs, ISSUED);
    for name in ISSUED {
        let cert = h.server.get("cert-manager.io/v1", "Certificate", Some("runai"), name).unwrap();
        assert_eq!(cert["metadata"]["labels"]["app.kubernetes.io/managed-by"], "runai-gateway");
        assert_eq!(cert["status"]["conditions"][0]["status"], "True", "{cert:#}");
        let secret = h.server.get("v1", "Secret", Some("runai"), name).unwrap();
        assert_eq!(secret["type"], "kubernetes.io/tls");
        assert_eq!(secret["metadata"]["annotations"]["cert-manager.io/certificate-name"], name);
    }

    // `status` on the half-migrated cluster: cert-manager is healthy.
    let report = status(&h.server, &old_dns.arg(), &["-o", "json"]).json();
    let cm: Vec<String> =
        finding_ids(&report).into_iter().filter(|id| id.starts_with("cert-manager")).collect();
    assert!(cm.is_empty(), "{cm:?}\n{report:#}");
    assert_eq!(report["spec"]["tlsIssuer"]["name"], "letsencrypt", "discovered from the Certificates");

    let mut done = ISSUER.to_vec();
    done.push("--yes");
    let run = h.run("apply", &new_dns.arg(), &done);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ disable-ingress: the migration is complete."), "{run}");

    let mut rollback = ISSUER.to_vec();
    rollback.extend(["--yes", "--prune"]);
    let run = h.run("rollback", &old_dns.arg(), &rollback);
    assert_eq!(run.code, 0, "{run}");
    let after = h.objects();
    assert_eq!(differences(&before, &after), Vec::<String>::new());
    for (ns, name) in INGRESS_SECRETS {
        let key = format!("Secret {ns}/{name}");
        assert_eq!(before[&key], after[&key], "{key} byte for byte");
    }
    assert!(h.server.list("cert-manager.io/v1", "Certificate", None).is_empty(), "pruned");
    for name in ISSUED {
        assert!(h.server.get("v1", "Secret", Some("runai"), name).is_none(), "{name} pruned");
    }
}

#[test]
fn an_http01_only_issuer_is_refused_in_preflight_and_nothing_changes() {
    let mut h = harness(http01_only);
    let dns = dns_at(INGRESS_IP);
    let before = h.objects();
    let mut args = ISSUER.to_vec();
    args.push("--yes");
    let run = h.run("apply", &dns.arg(), &args);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("✗ preflight: nothing was changed"), "{run}");
    assert!(
        run.stdout.contains(
            "the ClusterIssuer `letsencrypt` cannot issue `*.runai.example.com`, `*.runai-inference.example.com`: its ACME solvers for them are HTTP-01 only"
        ),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("fix: add a dns01 solver for the domain (`kubectl edit clusterissuer/letsencrypt`)"),
        "{run}"
    );
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert_eq!(differences(&before, &h.objects()), Vec::<String>::new());

    // A missing issuer and one that is not Ready are refused the same way, each named.
    let mut h = harness(|i| i["metadata"]["name"] = json!("other"));
    let run = h.run("apply", &dns.arg(), &args);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("`--tls-issuer clusterissuer/letsencrypt`: the ClusterIssuer `letsencrypt` does not exist; usable: clusterissuer/other"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    let mut h = harness(|i| i["status"]["conditions"][0]["status"] = json!("False"));
    let run = h.run("apply", &dns.arg(), &args);
    assert_eq!(run.code, 9, "{run}");
    assert!(
        run.stdout.contains("the ClusterIssuer `letsencrypt` is not Ready: ACMEAccountRegistered"),
        "{run}"
    );
    assert!(h.writes().is_empty(), "{:?}", h.writes());
}

#[test]
fn the_stand_in_cert_manager_fails_a_wildcard_from_http01_as_cert_manager_does_and_status_says_why() {
    let h = harness(http01_only);
    let cert = |name: &str, host: &str| {
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": name, "namespace": "runai", "labels": {"app.kubernetes.io/managed-by": "runai-gateway"}},
            "spec": {"secretName": name, "dnsNames": [host],
                "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"}}})
    };
    h.server.put(cert("runai-gateway-cluster-domain-tls", "runai.example.com")).unwrap();
    h.server.put(cert("runai-gateway-workloads-tls", "*.runai.example.com")).unwrap();
    h.reconcile();
    let apex = h.server.get("v1", "Secret", Some("runai"), "runai-gateway-cluster-domain-tls").unwrap();
    assert_eq!(apex["type"], "kubernetes.io/tls", "HTTP-01 issues a plain name");
    assert!(h.server.get("v1", "Secret", Some("runai"), "runai-gateway-workloads-tls").is_none());
    let wild = h
        .server
        .get("cert-manager.io/v1", "Certificate", Some("runai"), "runai-gateway-workloads-tls")
        .unwrap();
    assert_eq!(wild["status"]["conditions"][0]["reason"], "DoesNotExist", "{wild:#}");
    let dns = dns_at(INGRESS_IP);
    let report = status(&h.server, &dns.arg(), &["-o", "json"]).json();
    let ids = finding_ids(&report);
    assert!(ids.contains("cert-manager-wildcard-http-only"), "{ids:?}");
    let not_ready = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "cert-manager-certificate-not-ready")
        .unwrap_or_else(|| panic!("{report:#}"));
    let message = not_ready["message"].as_str().unwrap();
    assert!(message.starts_with("Certificate `runai/runai-gateway-workloads-tls` (listener `https-workloads`) is not Ready: DoesNotExist"), "{message}");
    assert!(
        message.contains("its latest CertificateRequest `runai-gateway-workloads-tls-1`: Failed: "),
        "{message}"
    );
    assert!(message.contains("no configured challenge solvers can be used for this challenge"), "{message}");
}

#[test]
fn cert_manager_reports_live_and_from_file_are_identical() {
    for fixture in [
        "status/cert-manager",
        "status/cert-manager-certificate-not-ready",
        "status/cert-manager-annotation-ignored",
        "status/cert-manager-wildcard-http01",
    ] {
        let f = Fixture::load_at(fixture, CertClock::at(1_767_225_600)).unwrap();
        let server = TestServer::start(&f).unwrap();
        let dns = dns_at(INGRESS_IP);
        let saved = server.scratch_dir().join("saved.yaml");
        let saved_arg = saved.to_str().unwrap();
        for output in ["json", "table"] {
            let live = status(&server, &dns.arg(), &["-o", output, "--save-snapshot", saved_arg]);
            let file = run(
                &["status", "--from-file", saved_arg, "--now", &server.now().to_string(), "-o", output],
                Path::new("."),
            );
            assert_eq!(
                (file.code, &file.stdout),
                (live.code, &live.stdout),
                "{fixture} -o {output}: {}",
                file.stderr
            );
        }
        // What the snapshot keeps of cert-manager: names, references, conditions; no CSR.
        let text = std::fs::read_to_string(&saved).unwrap();
        assert!(text.contains("certManager:"), "{fixture}");
        assert!(!text.contains("LS0tLS1CRUdJTi"), "{fixture}: a CSR or key in the snapshot");
    }
}
