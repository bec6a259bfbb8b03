//! `status` and `snapshot` end to end: the binary as a subprocess, a kubeconfig pointing at the
//! test API server, a DNS server and HTTPS servers on 127.0.0.1. Nothing leaves loopback: every
//! run names the loopback DNS server, and probes dial `--probe-address` on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::support::dns::DnsServer;
use crate::support::*;
use base64::Engine as _;
use runai_gateway_testkit::{CertClock, Fault, FaultAction, Fixture, Rule, TestServer};
use serde_json::Value;

/// Where the DNS records of a case point.
#[derive(Debug, Clone, Copy)]
enum Dns {
    /// Every name at the Ingress (before the switch).
    Ingress,
    /// Every name at the Gateway (after the switch).
    Gateway,
    /// The cluster domain at the Gateway, the wildcards still at the Ingress.
    Split,
    /// The cluster domain at a foreign address.
    Elsewhere,
    /// No record for the inference wildcard.
    NoInference,
}

impl Dns {
    fn start(self) -> DnsServer {
        let (cluster, star, inference) = match self {
            Dns::Ingress | Dns::NoInference => (INGRESS_IP, INGRESS_IP, INGRESS_IP),
            Dns::Gateway => (GATEWAY_IP, GATEWAY_IP, GATEWAY_IP),
            Dns::Split => (GATEWAY_IP, INGRESS_IP, INGRESS_IP),
            Dns::Elsewhere => ("203.0.113.5", INGRESS_IP, INGRESS_IP),
        };
        let mut records = vec![("runai.example.com", cluster), ("*.runai.example.com", star)];
        if !matches!(self, Dns::NoInference) {
            records.push(("*.runai-inference.example.com", inference));
        }
        DnsServer::start(&records)
    }
}

/// What a case does to the server beyond its fixture.
#[derive(Debug, Clone, Copy)]
enum Setup {
    None,
    /// The caller may not list Ingresses.
    ForbidIngresses,
    /// Listing Services fails with a 500.
    ServicesFail,
    /// The HTTPRoute CRD is from Gateway API v1.2.1.
    OldCrds,
}

struct Case {
    fixture: &'static str,
    dns: Dns,
    args: &'static [&'static str],
    setup: Setup,
    /// Every finding the run must raise, and no other.
    expect: &'static [&'static str],
}

const fn case(fixture: &'static str, expect: &'static [&'static str]) -> Case {
    Case { fixture, dns: Dns::Ingress, args: &[], setup: Setup::None, expect }
}

const fn with_dns(mut c: Case, dns: Dns) -> Case {
    c.dns = dns;
    c
}

const fn with_args(mut c: Case, args: &'static [&'static str]) -> Case {
    c.args = args;
    c
}

const fn with_setup(mut c: Case, setup: Setup) -> Case {
    c.setup = setup;
    c
}

/// Every check, the fixture (and setup) that breaks it, and what must fire. The healthy
/// fixtures must raise nothing at all.
const CASES: &[Case] = &[
    case("status/healthy", &[]),
    with_dns(case("status/healthy-migrated", &[]), Dns::Gateway),
    with_setup(case("status/healthy", &["read-forbidden"]), Setup::ForbidIngresses),
    with_setup(case("status/healthy", &["read-failed"]), Setup::ServicesFail),
    case("ingress-only", &["gateway-api-crds-missing", "inference-secret-not-copied"]),
    with_setup(case("status/healthy", &["gateway-api-crds-outdated"]), Setup::OldCrds),
    case("status/runai-too-old", &["runai-version-unsupported"]),
    case("status/release-missing", &["runai-release-missing"]),
    case("status/release-unreadable", &["runai-release-missing"]),
    case("status/class-missing", &["gatewayclass-missing"]),
    case("status/class-not-accepted", &["gatewayclass-not-accepted"]),
    with_args(
        case("status/class-controller", &["gatewayclass-controller-mismatch"]),
        &["--controller", "kgateway"],
    ),
    case("status/gateway-missing", &["gateway-missing", "runai-gateway-mismatch"]),
    case("status/gateway-not-programmed", &["gateway-not-programmed"]),
    case("status/gateway-no-address", &["gateway-no-address"]),
    case("status/listener-missing", &["listener-missing"]),
    case("status/listener-refs", &["listener-refs-unresolved"]),
    with_args(
        case("status/inference-hostname", &["inference-hostname-mismatch", "cert-host-mismatch"]),
        &["--inference-domain", "runai-inference.example.com"],
    ),
    case("status/allowed-routes-refused", &["allowed-routes-refused"]),
    case("runai-introduced", &["allowed-routes-open"]),
    case("status/redirect-missing", &["http-redirect-missing"]),
    case("status/websockets-off", &["websockets-disabled"]),
    case("status/secret-missing", &["secret-missing"]),
    case("status/inference-secret-not-copied", &["inference-secret-not-copied"]),
    case("status/cert-unreadable", &["cert-unreadable"]),
    case("status/cert-expired", &["cert-expired"]),
    case("status/cert-expiring", &["cert-expiring"]),
    case("status/cert-host-mismatch", &["cert-host-mismatch"]),
    case("status/cert-key-mismatch", &["cert-key-mismatch"]),
    case("status/cert-key-garbage", &["cert-key-mismatch"]),
    case("status/cert-chain-incomplete", &["cert-chain-incomplete"]),
    case("status/cert-manager", &[]),
    with_args(
        case("status/healthy", &["cert-manager-issuer-missing"]),
        &["--tls-issuer", "clusterissuer/letsencrypt"],
    ),
    case("status/cert-manager-issuer-missing", &["cert-manager-issuer-missing"]),
    case("status/cert-manager-issuer-not-ready", &["cert-manager-issuer-not-ready"]),
    case("status/cert-manager-wildcard-http01", &["cert-manager-wildcard-http-only"]),
    case("status/cert-manager-certificate-not-ready", &["cert-manager-certificate-not-ready"]),
    case("status/cert-manager-secret-not-produced", &["cert-manager-secret-not-produced"]),
    case("status/cert-manager-annotation-ignored", &["cert-manager-gateway-annotation-ignored"]),
    case("status/routes-not-accepted", &["routes-not-accepted"]),
    case("status/route-refs", &["route-refs-unresolved"]),
    case("status/knative-route-missing", &["knative-route-missing"]),
    case("status/backend-no-endpoints", &["backend-no-endpoints"]),
    case("status/knative-missing", &["knative-missing"]),
    case("status/knative-not-ready", &["knative-not-ready"]),
    case("status/knative-version", &["knative-version-unsupported"]),
    case("status/knative-domain", &["knative-domain-mismatch"]),
    case("status/knative-network", &["knative-network-mismatch"]),
    with_args(case("status/healthy", &["path-mode-subdomains-on"]), &["--routing-mode", "path"]),
    case("status/runai-gateway-mismatch", &["runai-gateway-mismatch"]),
    case("status/cp-cluster-disagree", &["runai-cp-cluster-disagree"]),
    with_dns(case("status/nothing-serves", &["nothing-serves"]), Dns::Gateway),
    case("status/runaiconfig-drift", &["runaiconfig-drift"]),
    with_dns(case("status/ingress-remains", &["ingress-objects-remain"]), Dns::Gateway),
    with_dns(case("status/healthy", &["dns-unresolved"]), Dns::NoInference),
    with_dns(case("status/healthy", &["dns-points-elsewhere"]), Dns::Elsewhere),
    case("status/healthy-migrated", &["dns-still-on-ingress"]),
    with_dns(case("status/healthy", &["dns-partly-switched"]), Dns::Split),
    with_dns(case("status/external-dns", &[]), Dns::Gateway),
    with_dns(
        case("status/external-dns-no-gateway-source", &["external-dns-no-gateway-source"]),
        Dns::Gateway,
    ),
    with_dns(case("status/external-dns-domain-filtered", &["external-dns-domain-filtered"]), Dns::Gateway),
    with_dns(case("status/external-dns-gateway-filtered", &["external-dns-gateway-filtered"]), Dns::Gateway),
    with_dns(
        case("status/external-dns-annotation-filter", &["external-dns-annotation-filter"]),
        Dns::Gateway,
    ),
    with_dns(case("status/external-dns-upsert-only", &["external-dns-upsert-only"]), Dns::Gateway),
    case("status/external-dns-ingress-claims", &["external-dns-ingress-claims"]),
    case("status/external-dns-ingress-released", &[]),
    case("status/external-dns-new-prefix", &["external-dns-ingress-claims"]),
];

fn start(fixture: &str, setup: Setup) -> TestServer {
    let server = match setup {
        Setup::OldCrds => {
            let f = Fixture::load(fixture).unwrap();
            let mut crd = f
                .find("CustomResourceDefinition", None, "httproutes.gateway.networking.k8s.io")
                .expect("the HTTPRoute CRD")
                .clone();
            crd["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"] = "v1.2.1".into();
            TestServer::start(&f.with([crd]).unwrap()).unwrap()
        }
        _ => TestServer::with_fixture(fixture),
    };
    match setup {
        Setup::ForbidIngresses => server.set_rules(Some(everything_but_ingresses())),
        Setup::ServicesFail => server.inject(Fault::on("list", "services", FaultAction::Status(500))),
        Setup::None | Setup::OldCrds => {}
    }
    server
}

/// Full access, except `list` on Ingresses.
fn everything_but_ingresses() -> Vec<Rule> {
    let mut rules: Vec<Rule> = [
        "",
        "apps",
        "apiextensions.k8s.io",
        "gateway.networking.k8s.io",
        "gateway.kgateway.dev",
        "discovery.k8s.io",
        "operator.knative.dev",
        "run.ai",
        "authorization.k8s.io",
    ]
    .into_iter()
    .map(|g| Rule::allow(g, &["*"], &["*"]))
    .collect();
    rules.push(Rule::allow("networking.k8s.io", &["ingressclasses"], &["*"]));
    rules.push(Rule::allow("networking.k8s.io", &["ingresses"], &["get"]));
    rules
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_check_fires_on_its_broken_fixture_and_nowhere_else() {
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for c in CASES {
        let server = start(c.fixture, c.setup);
        let dns = c.dns.start();
        let mut args = vec!["-o", "json"];
        args.extend_from_slice(c.args);
        let run = status(&server, &dns.arg(), &args);
        let report = run.json();
        let got = finding_ids(&report);
        let want = set(c.expect);
        if got != want {
            failures.push(format!(
                "{} {:?} {:?}: want {want:?}, got {got:?}\n{}",
                c.fixture,
                c.args,
                c.setup,
                serde_json::to_string_pretty(&report["findings"]).unwrap()
            ));
        }
        // The one case whose phase depends on what cannot be read: the control plane's release.
        let unknown = c.fixture == "status/release-unreadable";
        if (report["phase"] == "unknown") != unknown {
            failures.push(format!("{}: phase {} (unread {})", c.fixture, report["phase"], report["unread"]));
        }
        let want_exit = if unknown {
            13
        } else if ids_at_least(&report, "error").is_empty() {
            0
        } else {
            5
        };
        if run.code != want_exit {
            failures.push(format!("{}: exit {} instead of {want_exit}: {}", c.fixture, run.code, run.stderr));
        }
        covered.extend(want);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The table covers the whole catalog, apart from the probe (its own test below).
    let catalog: BTreeSet<String> =
        runai_gateway_core::checks::CATALOG.iter().map(|m| m.id.to_owned()).collect();
    let missing: Vec<_> = catalog.difference(&covered).filter(|id| *id != "probe-failed").collect();
    assert!(missing.is_empty(), "checks without a broken fixture: {missing:?}");
}

/// The bundled example of the README's quick start.
const EXAMPLE_SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/snapshot.yaml");

/// When the example's certificates were issued (2026-01-01T00:00:00Z) and how long they live
/// (to 2036-01-02): the quick start shows the same report for ten years.
const EXAMPLE_ISSUED: i64 = 1_767_225_600;
const EXAMPLE_VALID_DAYS: i64 = 3653;

/// Regenerates `examples/snapshot.yaml` from the `runai-introduced` fixture (Run:ai on the
/// Gateway, DNS still on the Ingress, one warning), its certificates issued on a fixed day and
/// valid for ten years: `cargo test -p kubectl-runai-gateway --test plugin -- --ignored
/// regenerate_example_snapshot`.
#[test]
#[ignore = "writes examples/snapshot.yaml"]
fn regenerate_example_snapshot() {
    let clock = CertClock::at(EXAMPLE_ISSUED).with_valid_days(EXAMPLE_VALID_DAYS);
    let fixture = Fixture::load_at("runai-introduced", clock).unwrap();
    let server = TestServer::start(&fixture).unwrap();
    let dns = Dns::Ingress.start();
    let kubeconfig = server.kubeconfig_path();
    let run = run(
        &["snapshot", "--kubeconfig", kubeconfig.to_str().unwrap(), "--dns-server", &dns.arg()],
        server.scratch_dir(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The context name of the test server means nothing to a reader.
    let text = run.stdout.replace("runai-gateway-test", "prod");
    std::fs::write(EXAMPLE_SNAPSHOT, text).unwrap();
}

/// The example stays a good example: its certificates outlive the next year. This is the one test
/// that reads the calendar on purpose, so that it fails a year before the quick start would start
/// warning about expiry, and the fix is to run `regenerate_example_snapshot`.
#[test]
fn the_example_snapshot_is_good_for_another_year() {
    let snap: Value = serde_saphyr::from_str(&std::fs::read_to_string(EXAMPLE_SNAPSHOT).unwrap()).unwrap();
    let not_after: Vec<i64> = snap["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.pointer("/certificate/notAfter").and_then(Value::as_i64))
        .collect();
    assert!(not_after.len() >= 5, "the example should carry its TLS certificates");
    let year_from_now = CertClock::system().plus_days(365).unix();
    let first = not_after.iter().min().copied().unwrap_or_default();
    assert!(
        first > year_from_now,
        "a certificate in examples/snapshot.yaml expires within a year (at {first}): run \
         `cargo test -p kubectl-runai-gateway --test plugin -- --ignored regenerate_example_snapshot`"
    );
}

#[test]
fn the_phase_follows_the_migration() {
    let cases = [
        ("ingress-only", Dns::Ingress, "ingress-only"),
        ("gateway-api-installed", Dns::Ingress, "ingress-only"),
        ("gateway-prepared", Dns::Ingress, "gateway-prepared"),
        ("runai-introduced", Dns::Ingress, "runai-introduced"),
        ("runai-introduced", Dns::Gateway, "dns-switched"),
        ("migrated", Dns::Gateway, "ingress-disabled"),
        ("status/rolled-back", Dns::Ingress, "rolled-back"),
        ("status/cp-cluster-disagree", Dns::Ingress, "inconsistent"),
        ("status/nothing-serves", Dns::Gateway, "inconsistent"),
    ];
    for (fixture, dns_mode, phase) in cases {
        let server = TestServer::with_fixture(fixture);
        let dns = dns_mode.start();
        let report = status(&server, &dns.arg(), &["-o", "json"]).json();
        assert_eq!(report["phase"], phase, "{fixture} with DNS {dns_mode:?}");
        assert!(!report["nextStep"]["title"].as_str().unwrap().is_empty());
    }
}

#[test]
fn external_dns_is_judged_the_same_live_and_from_file() {
    // The Deployment's arguments are kept in the snapshot, reduced: the same findings offline.
    for fixture in ["status/external-dns-ingress-claims", "status/external-dns-annotation-filter"] {
        let server = TestServer::with_fixture(fixture);
        let dns = Dns::Ingress.start();
        let saved = server.scratch_dir().join("saved.yaml");
        let saved_arg = saved.to_str().unwrap();
        let live = status(&server, &dns.arg(), &["-o", "json", "--save-snapshot", saved_arg]);
        let ids = finding_ids(&live.json());
        assert!(ids.iter().any(|id| id.starts_with("external-dns-")), "{fixture}: {ids:?}");
        let file = run(
            &["status", "--from-file", saved_arg, "--now", &server.now().to_string(), "-o", "json"],
            Path::new("."),
        );
        assert_eq!((file.code, &file.stdout), (live.code, &live.stdout), "{fixture}: {}", file.stderr);
        let text = std::fs::read_to_string(&saved).unwrap();
        assert!(text.contains("externalDns:") && text.contains("gateway-httproute"), "{text}");
    }
    // What the finding says: which Ingress, which hostnames, and the annotation that releases them.
    let server = TestServer::with_fixture("status/external-dns-ingress-claims");
    let dns = Dns::Ingress.start();
    let report = status(&server, &dns.arg(), &["-o", "json"]).json();
    let claims: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "external-dns-ingress-claims")
        .collect();
    let star = claims
        .iter()
        .find(|f| f["resource"] == "Ingress runai/runai-cluster-domain-star-ingress")
        .expect("the wildcard Ingress");
    assert!(star["message"].as_str().unwrap().contains("`*.runai.example.com`"), "{star}");
    assert_eq!(
        star["fix"],
        "kubectl annotate ingress runai-cluster-domain-star-ingress -n runai external-dns.alpha.kubernetes.io/controller=runai-gateway"
    );
}

#[test]
fn live_and_from_file_reports_are_identical() {
    // DNS answers and a finding naming the random DNS labels: the saved snapshot must carry them.
    let server = TestServer::with_fixture("status/healthy-migrated");
    let dns = Dns::Ingress.start();
    let saved = server.scratch_dir().join("saved.yaml");
    let saved_arg = saved.to_str().unwrap();
    for output in ["json", "yaml", "table"] {
        let live = status(&server, &dns.arg(), &["-o", output, "--save-snapshot", saved_arg]);
        assert_eq!(live.code, 5, "{}", live.stderr);
        let file = run(
            &["status", "--from-file", saved_arg, "--now", &server.now().to_string(), "-o", output],
            Path::new("."),
        );
        assert_eq!(file.code, live.code, "{}", file.stderr);
        assert_eq!(file.stdout, live.stdout, "-o {output}");
    }

    // The `snapshot` command writes the same thing a live `status` reads.
    let server = TestServer::with_fixture("status/cert-expiring");
    for format in ["yaml", "json"] {
        let kubeconfig = server.kubeconfig_path();
        let snap = run(
            &[
                "snapshot",
                "--kubeconfig",
                kubeconfig.to_str().unwrap(),
                "--dns-server",
                &dns.arg(),
                "-o",
                format,
            ],
            server.scratch_dir(),
        );
        assert_eq!(snap.code, 0, "{}", snap.stderr);
        let path = server.scratch_dir().join(format!("snapshot.{format}"));
        std::fs::write(&path, &snap.stdout).unwrap();
        let live = status(&server, &dns.arg(), &["-o", "json"]);
        let file = run(
            &[
                "status",
                "--from-file",
                path.to_str().unwrap(),
                "--now",
                &server.now().to_string(),
                "-o",
                "json",
            ],
            Path::new("."),
        );
        assert_eq!(file.stdout, live.stdout, "snapshot -o {format}");
        assert_eq!(finding_ids(&live.json()), set(&["cert-expiring"]));
    }
}

/// Workload route `i` of a large cluster, in `ns`: every 9th refused by the Gateway with a
/// message naming it, every 13th without status yet.
fn workload_route(i: usize, ns: &str) -> Value {
    let name = format!("wl-{i:05}");
    let parent = serde_json::json!({"group": "gateway.networking.k8s.io", "kind": "Gateway",
        "namespace": "runai", "name": "runai-gateway", "sectionName": "https-workloads"});
    let accepted = if i.is_multiple_of(9) {
        serde_json::json!({"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners",
            "message": format!("{ns}/{name} is not admitted"), "observedGeneration": 1,
            "lastTransitionTime": "2026-01-01T00:00:00Z"})
    } else {
        serde_json::json!({"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
            "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"})
    };
    let status = if i.is_multiple_of(13) {
        serde_json::json!({})
    } else {
        serde_json::json!({"parents": [{"parentRef": parent, "controllerName": "kgateway.dev/kgateway",
            "conditions": [accepted, {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs",
                                      "message": "", "observedGeneration": 1}]}]})
    };
    serde_json::json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns, "labels": {"runai/workload": name},
                     "annotations": if i.is_multiple_of(100) { serde_json::json!({"note": "a, b"}) } else { serde_json::json!({}) }},
        "spec": {"parentRefs": [parent], "hostnames": [format!("{name}-{ns}.runai.example.com")],
                 "rules": [{"backendRefs": [{"group": "", "kind": "Service", "name": name, "port": 8080}]}]},
        "status": status,
    })
}

/// A cluster with 2,000 workload routes: `snapshot` writes the compact v2 table, and
/// `status --from-file` of it gives the live report, byte for byte.
#[test]
fn a_snapshot_of_2000_workload_routes_gives_the_live_report() {
    let server = TestServer::with_fixture("status/healthy-migrated");
    let mut objects: Vec<Value> = (0..60)
        .map(|p| {
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": format!("runai-proj-{p:02}"), "labels": {"runai/queue": format!("proj-{p:02}")}}})
        })
        .collect();
    objects.extend((0..2_000).map(|i| workload_route(i, &format!("runai-proj-{:02}", i % 60))));
    assert_eq!(server.seed_all(objects).map_err(|e| e.message).unwrap(), 2_060);
    let dns = Dns::Gateway.start();
    let kubeconfig = server.kubeconfig_path();
    let snap = run(
        &["snapshot", "--kubeconfig", kubeconfig.to_str().unwrap(), "--dns-server", &dns.arg(), "-o", "yaml"],
        server.scratch_dir(),
    );
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    assert!(snap.stdout.starts_with("schema: runai-gateway.snapshot/v2\n"), "{}", &snap.stdout[..200]);
    assert!(snap.stdout.contains("\n  rows:\n  - ["), "the routes are table rows");
    // About a hundred bytes a route (the v1 objects took nearly six hundred).
    assert!(snap.stdout.len() < 2_000 * 160, "{} bytes", snap.stdout.len());
    let path = server.scratch_dir().join("many.yaml");
    std::fs::write(&path, &snap.stdout).unwrap();
    // `-o json` writes the same table, each row on one line.
    let snap_json = run(
        &["snapshot", "--kubeconfig", kubeconfig.to_str().unwrap(), "--dns-server", &dns.arg(), "-o", "json"],
        server.scratch_dir(),
    );
    assert_eq!(snap_json.code, 0, "{}", snap_json.stderr);
    let row = snap_json.stdout.lines().find(|l| l.contains("\"wl-00000\"")).unwrap_or_default();
    assert!(
        row.starts_with("      [")
            && row.ends_with("],")
            && row.contains(", \"wl-00000\", [\"wl-00000-runai-proj-00.runai.example.com\"], ["),
        "a row is one line: {row}"
    );
    assert!(snap_json.stdout.len() < 2_000 * 200, "{} bytes", snap_json.stdout.len());
    let json_path = server.scratch_dir().join("many.json");
    std::fs::write(&json_path, &snap_json.stdout).unwrap();
    for (output, path) in [("json", &path), ("table", &path), ("json", &json_path)] {
        let live = status(&server, &dns.arg(), &["-o", output]);
        let file = run(
            &[
                "status",
                "--from-file",
                path.to_str().unwrap(),
                "--now",
                &server.now().to_string(),
                "-o",
                output,
            ],
            Path::new("."),
        );
        assert_eq!(file.code, live.code, "{}", file.stderr);
        assert_eq!(file.stdout, live.stdout, "-o {output} of {}", path.display());
        if output == "json" {
            let report = live.json();
            let refused = report["findings"]
                .as_array()
                .and_then(|f| f.iter().find(|f| f["id"] == "routes-not-accepted"))
                .unwrap_or_else(|| panic!("no routes-not-accepted finding: {report}"));
            // Every 9th of the 2,000 refused, less those without status (every 117th): 223 - 18.
            assert!(refused["message"].as_str().unwrap().starts_with("205 of "), "{refused}");
        }
    }
}

#[test]
fn a_kubectl_list_of_the_same_objects_is_diagnosed_too() {
    // `kubectl get ... -o yaml` of the fixture's objects, as one List.
    let fixture = Fixture::load("status/healthy").unwrap();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": fixture.objects});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.json");
    std::fs::write(&path, serde_json::to_string(&list).unwrap()).unwrap();
    let r = run(
        &["status", "--from-file", path.to_str().unwrap(), "--now", &fixture.now().to_string(), "-o", "json"],
        dir.path(),
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(report["phase"], "runai-introduced");
    assert_eq!(finding_ids(&report), BTreeSet::new());
}

#[test]
fn status_reads_most_kinds_cluster_wide_and_services_and_endpointslices_by_name() {
    let server = TestServer::with_fixture("status/healthy");
    let dns = Dns::Ingress.start();
    server.clear_requests();
    let r = status(&server, &dns.arg(), &["-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut cluster_wide = std::collections::BTreeMap::<String, usize>::new();
    let mut narrow = BTreeSet::<(String, String, String)>::new();
    for req in server.requests() {
        // Discovery and `/version` are not resources.
        let Some(resource) = &req.resource else { continue };
        assert_eq!(req.verb, "list", "only LISTs, never one request per object: {req:?}");
        match &req.namespace {
            None => *cluster_wide.entry(resource.clone()).or_default() += 1,
            Some(ns) => {
                narrow.insert((resource.clone(), ns.clone(), req.query.clone()));
            }
        }
    }
    let want: std::collections::BTreeMap<String, usize> = [
        ("customresourcedefinitions", 1),
        ("gatewayclasses", 1),
        ("gateways", 1),
        ("httproutes", 1),
        ("httplistenerpolicies", 1),
        ("namespaces", 1),
        ("secrets", 2),
        ("ingresses", 1),
        ("knativeservings", 1),
        ("runaiconfigs", 1),
        // By label only: external-dns's, and cert-manager's controller (cert-manager's own kinds
        // are not installed here: their LISTs are 404s, not counted as resources).
        ("deployments", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(cluster_wide, want, "Services and EndpointSlices are never listed cluster-wide");
    // Services: only where the Ingress controller lives; EndpointSlices: only the backends of the
    // tool's routes and the Knative route, each by its Service's name; both from the watch cache.
    let services: Vec<_> = narrow.iter().filter(|(r, _, _)| r == "services").collect();
    assert!(
        !services.is_empty() && services.iter().all(|(_, ns, _)| ns == "haproxy-controller"),
        "{narrow:?}"
    );
    let slices: Vec<_> = narrow.iter().filter(|(r, _, _)| r == "endpointslices").collect();
    assert!(!slices.is_empty(), "{narrow:?}");
    for (_, _, q) in &slices {
        assert!(q.contains("labelSelector=kubernetes.io%2Fservice-name%3D"), "{q}");
    }
    assert!(slices.iter().any(|(_, ns, q)| ns == "knative-serving" && q.contains("kourier")), "{narrow:?}");
    assert!(narrow.iter().all(|(_, _, q)| q.contains("resourceVersion=0")), "{narrow:?}");
    assert_eq!(narrow.len(), services.len() + slices.len(), "{narrow:?}");
    // The cluster-wide lists are paginated, consistent reads (no watch cache); namespaces are
    // metadata only.
    let wide: Vec<_> =
        server.requests().into_iter().filter(|r| r.resource.is_some() && r.namespace.is_none()).collect();
    assert!(
        wide.iter().all(|r| r.query.contains("limit=500") && !r.query.contains("resourceVersion")),
        "{wide:?}"
    );
    // The secrets are filtered on the server: TLS ones, and the Run:ai releases' Helm secrets.
    let queries: Vec<String> =
        wide.iter().filter(|r| r.resource.as_deref() == Some("secrets")).map(|r| r.query.clone()).collect();
    assert!(queries.iter().any(|q| q.contains("fieldSelector=type%3Dkubernetes.io%2Ftls")), "{queries:?}");
    assert!(queries.iter().any(|q| q.contains("labelSelector=owner%3Dhelm")), "{queries:?}");
    // Deployments: by label only, external-dns's and cert-manager's controller.
    let deployments: Vec<String> = wide
        .iter()
        .filter(|r| r.resource.as_deref() == Some("deployments"))
        .map(|r| r.query.clone())
        .collect();
    assert!(deployments.iter().all(|q| q.contains("labelSelector=")), "{deployments:?}");
    assert!(
        deployments.iter().any(|q| q.contains("labelSelector=app.kubernetes.io%2Fname%3Dexternal-dns")),
        "{deployments:?}"
    );
    assert!(
        deployments.iter().any(|q| q.contains("labelSelector=app.kubernetes.io%2Fname%3Dcert-manager")),
        "{deployments:?}"
    );
}

#[test]
fn forbidden_and_missing_kinds_degrade_to_findings_and_skips() {
    let server = start("status/healthy", Setup::ForbidIngresses);
    let dns = Dns::Ingress.start();
    let r = status(&server, &dns.arg(), &["-o", "json"]);
    let report = r.json();
    let f = &report["findings"][0];
    assert_eq!(f["id"], "read-forbidden");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("ingresses.networking.k8s.io") && message.contains("cannot list"), "{message}");
    assert!(f["fix"].as_str().unwrap().contains("kubectl auth can-i list ingresses.networking.k8s.io"));
    // A warning: the run still succeeds, and every other check ran.
    assert_eq!(r.code, 0);
    assert!(report["passed"].as_array().unwrap().len() > 30);

    // No Gateway API CRDs (404 on their LISTs): skipped with the reason, not failed.
    let server = TestServer::with_fixture("ingress-only");
    let report = status(&server, &dns.arg(), &["-o", "json"]).json();
    let skipped = report["skipped"].as_array().unwrap();
    let gw = skipped.iter().find(|s| s["id"] == "gateway-missing").unwrap();
    assert_eq!(gw["reason"], "`gateways.gateway.networking.k8s.io` is not installed");
}

#[test]
fn a_hung_api_server_gives_findings_within_the_timeout() {
    let server = TestServer::with_fixture("status/healthy");
    let dns = Dns::Ingress.start();
    server.inject(Fault::on("list", "gateways", FaultAction::Delay(Duration::from_secs(30))));
    let r = status(&server, &dns.arg(), &["-o", "json", "--timeout", "2s"]);
    assert!(r.elapsed < Duration::from_secs(8), "took {:?}", r.elapsed);
    // The phase depends on the Gateway, which did not answer: unknown, exit 13.
    assert_eq!(r.code, 13, "{}", r.stderr);
    let report = r.json();
    assert_eq!(report["phase"], "unknown");
    assert_eq!(report["unread"][0]["state"], "failed");
    assert!(report["nextStep"]["title"].as_str().unwrap().starts_with("read again"), "{report}");
    let failed = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "read-failed").unwrap();
    let message = failed["message"].as_str().unwrap();
    assert!(
        message.contains("gateways.gateway.networking.k8s.io") && message.contains("--timeout 2s"),
        "{message}"
    );
    // The other kinds were read: the TLS checks ran.
    assert!(report["passed"].as_array().unwrap().iter().any(|p| p == "cert-expired"));

    // --request-timeout bounds each request, as in kubectl; a 500 is a failure with its status.
    server.clear_faults();
    server.inject(Fault::on("list", "services", FaultAction::Delay(Duration::from_secs(30))));
    server.inject(Fault::on("list", "ingresses", FaultAction::Status(500)));
    let r = status(&server, &dns.arg(), &["-o", "json", "--request-timeout", "1s"]);
    assert!(r.elapsed < Duration::from_secs(8), "took {:?}", r.elapsed);
    let report = r.json();
    let failed: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "read-failed")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed.iter().any(|m| m.contains("services") && m.to_lowercase().contains("timed out")),
        "{failed:?}"
    );
    assert!(failed.iter().any(|m| m.contains("ingresses") && m.contains("HTTP 500")), "{failed:?}");
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn exit_codes_per_case() {
    let dns = Dns::Ingress.start();
    let healthy = TestServer::with_fixture("status/healthy");
    assert_eq!(status(&healthy, &dns.arg(), &[]).code, 0);
    // Warnings fail only with --fail-on warning.
    let warned = TestServer::with_fixture("runai-introduced");
    assert_eq!(status(&warned, &dns.arg(), &[]).code, 0);
    assert_eq!(status(&warned, &dns.arg(), &["--fail-on", "warning"]).code, 5);
    let broken = TestServer::with_fixture("status/cert-expired");
    let r = status(&broken, &dns.arg(), &[]);
    assert_eq!(r.code, 5);
    assert!(r.stdout.contains("cert-expired"), "{}", r.stdout);

    // Unreachable: nothing listens where the kubeconfig points.
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let dead =
        healthy.kubeconfig_yaml().replace(&healthy.url(), &format!("https://127.0.0.1:{}", closed_port()));
    std::fs::write(&kubeconfig, dead).unwrap();
    let r = run(
        &["status", "--kubeconfig", kubeconfig.to_str().unwrap(), "--dns-server", &dns.arg()],
        dir.path(),
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("cannot reach the cluster") && r.stderr.contains("127.0.0.1"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    // A bad token: authentication fails, also exit 6, and the token is not printed.
    let bad = healthy.kubeconfig_yaml().replace(healthy.token(), "not-the-token");
    std::fs::write(&kubeconfig, bad).unwrap();
    let r = run(
        &["status", "--kubeconfig", kubeconfig.to_str().unwrap(), "--dns-server", &dns.arg()],
        dir.path(),
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("401"), "{}", r.stderr);
    // A missing kubeconfig file.
    let r = run(&["status", "--kubeconfig", "/nonexistent/kubeconfig"], dir.path());
    assert_eq!(r.code, 6, "{}", r.stderr);

    // Offline: a snapshot file that is missing (4) or not a snapshot (3); a bad flag (2).
    assert_eq!(run(&["status", "--from-file", "/nonexistent/snap.yaml"], dir.path()).code, 4);
    let junk = dir.path().join("junk.yaml");
    std::fs::write(&junk, "just: a map\n").unwrap();
    assert_eq!(run(&["status", "--from-file", junk.to_str().unwrap()], dir.path()).code, 3);
    assert_eq!(run(&["status", "--from-file", EXAMPLE_SNAPSHOT, "-o", "xml"], dir.path()).code, 2);
    assert_eq!(run(&["status", "--fail-on", "never"], dir.path()).code, 2);
}

#[test]
fn kubeconfig_merging_and_an_unreachable_control_plane_context() {
    let server = TestServer::with_fixture("status/healthy");
    let dns = Dns::Ingress.start();
    let dir = tempfile::tempdir().unwrap();
    // KUBECONFIG with two files: the test server's, and one adding a context for a control plane
    // that does not answer (reusing the first file's user).
    let second = dir.path().join("cp-kubeconfig");
    let cp = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: cp\n  cluster:\n    server: https://127.0.0.1:{}\ncontexts:\n- name: cp\n  context:\n    cluster: cp\n    user: {}\n",
        closed_port(),
        user_of(server.kubeconfig_yaml())
    );
    std::fs::write(&second, cp).unwrap();
    let joined = std::env::join_paths([server.kubeconfig_path(), second]).unwrap();
    let out = std::process::Command::new(BIN)
        .args([
            "status",
            "-o",
            "json",
            "--dns-server",
            &dns.arg(),
            "--now",
            &server.now().to_string(),
            "--control-plane-context",
            "cp",
        ])
        .env("KUBECONFIG", &joined)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    // The control plane's release could not be read: its checks are skipped, saying why.
    let failed = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "read-failed").unwrap();
    assert!(failed["message"].as_str().unwrap().contains("context `cp`"), "{failed}");
    let skipped = report["skipped"].as_array().unwrap();
    let cp_check = skipped.iter().find(|s| s["id"] == "runai-cp-cluster-disagree").unwrap();
    assert!(cp_check["reason"].as_str().unwrap().contains("context `cp`"), "{cp_check}");
    assert_eq!(report["spec"]["controlPlane"], "remote");

    // SaaS: not read at all, and said so.
    let out = std::process::Command::new(BIN)
        .args([
            "status",
            "-o",
            "json",
            "--dns-server",
            &dns.arg(),
            "--now",
            &server.now().to_string(),
            "--control-plane",
            "saas",
        ])
        .env("KUBECONFIG", &joined)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = report["skipped"].as_array().unwrap();
    let cp_check = skipped.iter().find(|s| s["id"] == "runai-cp-cluster-disagree").unwrap();
    assert!(cp_check["reason"].as_str().unwrap().contains("SaaS"), "{cp_check}");
    assert!(finding_ids(&report).is_empty(), "{report}");
}

/// The user name of a kubeconfig's first user.
fn user_of(kubeconfig: &str) -> String {
    let v: Value = serde_saphyr::from_str(kubeconfig).unwrap();
    v["users"][0]["name"].as_str().unwrap().to_owned()
}

#[test]
fn dns_failures_are_findings_within_the_bound() {
    // A DNS server that never answers (a UDP socket nobody reads) and a port with nothing on it.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = TestServer::with_fixture("status/healthy");
    let r = status(&server, &silent.local_addr().unwrap().to_string(), &["-o", "json", "--timeout", "20s"]);
    assert!(r.elapsed < Duration::from_secs(15), "took {:?}", r.elapsed);
    let report = r.json();
    let unresolved: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "dns-unresolved").collect();
    assert_eq!(unresolved.len(), 3, "{report}");
    assert_eq!(r.code, 0, "a warning");
}

/// Every form a private key of the fixture could leak in: the Secret's base64 value, the PEM
/// text, and each base64 line of its body.
fn key_forms(fixture: &Fixture) -> Vec<String> {
    let mut forms = Vec::new();
    for obj in &fixture.objects {
        let Some(b64) = obj["data"]["tls.key"].as_str() else { continue };
        forms.push(b64.to_owned());
        let pem = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap();
        assert!(pem.contains("PRIVATE KEY"), "{pem}");
        forms.extend(pem.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16).map(str::to_owned));
        forms.push(pem);
    }
    assert!(forms.len() > 12, "the fixture has keys to look for: {forms:?}");
    forms
}

#[test]
fn no_private_key_byte_reaches_any_output_or_snapshot() {
    let dns = Dns::Ingress.start();
    for name in ["status/healthy", "status/cert-key-mismatch", "status/cert-unreadable"] {
        let fixture = Fixture::load(name).unwrap();
        let forms = key_forms(&fixture);
        let server = TestServer::start(&fixture).unwrap();
        let saved = server.scratch_dir().join("saved.yaml");
        let mut outputs = Vec::new();
        for output in ["json", "yaml", "table"] {
            let r = status(&server, &dns.arg(), &["-o", output, "--save-snapshot", saved.to_str().unwrap()]);
            outputs.push(r.stdout);
            outputs.push(r.stderr);
            outputs.push(std::fs::read_to_string(&saved).unwrap());
        }
        for format in ["json", "yaml"] {
            let kubeconfig = server.kubeconfig_path();
            let r = run(
                &[
                    "snapshot",
                    "--kubeconfig",
                    kubeconfig.to_str().unwrap(),
                    "--dns-server",
                    &dns.arg(),
                    "-o",
                    format,
                ],
                server.scratch_dir(),
            );
            assert_eq!(r.code, 0, "{}", r.stderr);
            outputs.push(r.stdout);
            outputs.push(r.stderr);
        }
        for out in &outputs {
            assert!(!out.contains("PRIVATE KEY"), "{name}: a key header in the output");
            for form in &forms {
                assert!(!out.contains(form.as_str()), "{name}: key material in the output");
            }
        }
    }
    let example = std::fs::read_to_string(EXAMPLE_SNAPSHOT).unwrap();
    assert!(!example.contains("PRIVATE KEY") && !example.contains("tls.key"));
}

fn schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn json_reports_validate_against_the_published_schema() {
    let validator = schema();
    let dns = Dns::Ingress.start();
    let mut reports = Vec::new();
    for (fixture, setup) in [
        ("status/healthy", Setup::None),
        ("ingress-only", Setup::None),
        ("status/gateway-missing", Setup::None),
        ("status/cert-expired", Setup::None),
        ("status/healthy", Setup::ForbidIngresses),
    ] {
        let server = start(fixture, setup);
        reports.push(status(&server, &dns.arg(), &["-o", "json"]).json());
    }
    reports.push(run(&["status", "--from-file", EXAMPLE_SNAPSHOT, "-o", "json"], Path::new(".")).json());
    for report in &reports {
        let errors: Vec<String> =
            validator.iter_errors(report).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    // And the schema is not vacuous: a report missing its phase, or with an unknown severity, fails.
    let mut bad = reports[3].clone();
    bad.as_object_mut().unwrap().remove("phase");
    assert!(!validator.is_valid(&bad));
    let mut bad = reports[3].clone();
    bad["findings"][0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn docs_checks_md_is_generated_from_the_catalog() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/checks.md"))
        .unwrap_or_default();
    assert!(
        committed == runai_gateway_core::render::catalog_markdown(),
        "docs/checks.md differs from the check catalog: run `cargo xtask gen-docs`"
    );
    // Every finding's doc anchor exists in it.
    for m in runai_gateway_core::checks::CATALOG {
        assert!(committed.contains(&format!("### {}\n", m.id)), "{}", m.id);
    }
}

#[test]
fn the_bundled_example_snapshot_diagnoses_offline() {
    let r = run(&["status", "--from-file", EXAMPLE_SNAPSHOT], Path::new("."));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Phase: Run:ai introduced to the Gateway"), "{}", r.stdout);
    assert!(r.stdout.contains("allowed-routes-open"), "{}", r.stdout);
    // The same report the day it was made, today (above), and in 2030 and 2035.
    for now in [EXAMPLE_ISSUED, 1_893_456_000, 2_051_222_400] {
        let at = run(&["status", "--from-file", EXAMPLE_SNAPSHOT, "--now", &now.to_string()], Path::new("."));
        assert_eq!((at.code, &at.stdout), (r.code, &r.stdout), "at {now}");
    }
}

/// A cluster whose certificates were issued ten years from now, evaluated then, gets the same
/// verdicts as one evaluated today: nothing in a live `status` run depends on the date.
#[test]
fn live_verdicts_do_not_depend_on_the_date() {
    let dns = Dns::Gateway.start();
    let reports: Vec<Value> = [CertClock::system(), CertClock::system().plus_days(3653)]
        .into_iter()
        .map(|clock| {
            let server = TestServer::start(&Fixture::load_at("migrated", clock).unwrap()).unwrap();
            status(&server, &dns.arg(), &["-o", "json"]).json()
        })
        .collect();
    assert_eq!(reports[0]["phase"], "ingress-disabled");
    assert_eq!(reports[0]["phase"], reports[1]["phase"]);
    assert_eq!(finding_ids(&reports[0]), finding_ids(&reports[1]));
    assert_eq!(reports[0]["passed"], reports[1]["passed"]);
}

/// The probes of a saved snapshot, as (host, status, error).
fn probes_of(path: &Path) -> Vec<(String, Option<u64>, Option<String>)> {
    let snap: Value = serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    snap["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["host"].as_str().unwrap().to_owned(),
                p["status"].as_u64(),
                p["error"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn probes_speak_https_through_the_gateway_address() {
    use runai_gateway_testkit::certs::{LeafSpec, TestCa};
    let fixture = Fixture::load("status/healthy").unwrap();
    let hosts = ["runai.example.com", "*.runai.example.com", "*.runai-inference.example.com"];
    let issued = fixture.pki().issue(&LeafSpec::for_hosts(hosts)).unwrap();
    let server = TestServer::start(&fixture).unwrap();
    let dns = Dns::Ingress.start();
    let saved = server.scratch_dir().join("probed.yaml");
    let probe = |https: &tls::TlsServer| {
        let address = https.addr.to_string();
        status(
            &server,
            &dns.arg(),
            &[
                "-o",
                "json",
                "--probe",
                "--probe-address",
                &address,
                "--save-snapshot",
                saved.to_str().unwrap(),
            ],
        )
    };

    // Trusted through the cluster's CA secret (`runai/runai-ca-cert`), and answering: passes.
    let ok = tls::TlsServer::start(&issued.chain_pem, &issued.key_pem, 404);
    let r = probe(&ok);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.json()["passed"].as_array().unwrap().iter().any(|p| p == "probe-failed"));
    let probes = probes_of(&saved);
    assert_eq!(probes.len(), 3, "{probes:?}");
    assert!(probes.iter().all(|(_, status, error)| *status == Some(404) && error.is_none()), "{probes:?}");
    assert!(probes.iter().any(|(h, ..)| h.ends_with(".runai-inference.example.com")), "{probes:?}");

    // A 503 from the Gateway is a failure with the status.
    let failing = tls::TlsServer::start(&issued.chain_pem, &issued.key_pem, 503);
    let r = probe(&failing);
    assert_eq!(r.code, 5);
    let report = r.json();
    let found: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "probe-failed").collect();
    assert_eq!(found.len(), 3);
    assert!(found[0]["message"].as_str().unwrap().contains("HTTP 503"), "{found:?}");
    assert!(found[0]["fix"].as_str().unwrap().starts_with("curl -v --resolve "), "{found:?}");

    // A certificate from a CA the cluster does not know: the TLS error is shown.
    let stranger =
        TestCa::new_root("not the cluster's CA").unwrap().issue(&LeafSpec::for_hosts(hosts)).unwrap();
    let untrusted = tls::TlsServer::start(&stranger.chain_pem, &stranger.key_pem, 200);
    let r = probe(&untrusted);
    assert_eq!(r.code, 5);
    let report = r.json();
    let found = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "probe-failed").unwrap();
    let message = found["message"].as_str().unwrap();
    assert!(message.contains("TLS handshake") && message.contains("UnknownIssuer"), "{message}");

    // Nothing listening: a connection error, within the bound.
    let port = closed_port();
    let r = status(
        &server,
        &dns.arg(),
        &["-o", "json", "--probe", "--probe-address", &format!("127.0.0.1:{port}")],
    );
    assert!(r.elapsed < Duration::from_secs(10));
    let report = r.json();
    let found = report["findings"].as_array().unwrap().iter().find(|f| f["id"] == "probe-failed").unwrap();
    assert!(found["message"].as_str().unwrap().contains("connect"), "{found}");
}
