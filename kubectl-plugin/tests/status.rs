//! `status` and `snapshot` end to end: the binary as a subprocess, a kubeconfig pointing at the
//! test API server, a DNS server and HTTPS servers on 127.0.0.1. Nothing leaves loopback: every
//! run names the loopback DNS server, and probes dial `--probe-address` on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "status_support/mod.rs"]
mod support;

use std::collections::BTreeSet;

use runai_gateway_testkit::{Fault, FaultAction, Fixture, Rule, TestServer};
use support::dns::DnsServer;
use support::*;

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
    case("status/cert-chain-incomplete", &["cert-chain-incomplete"]),
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
    let now = now();
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for c in CASES {
        let server = start(c.fixture, c.setup);
        let dns = c.dns.start();
        let mut args = vec!["-o", "json"];
        args.extend_from_slice(c.args);
        let run = status(&server, &dns.arg(), now, &args);
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
        let want_exit = if ids_at_least(&report, "error").is_empty() { 0 } else { 5 };
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
