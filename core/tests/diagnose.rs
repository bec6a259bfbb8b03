//! The diagnostics over the testkit's fixtures, without a server: objects → snapshot → report.
//! (The same fixtures served by the test API server are exercised through the binary in the
//! plugin's tests.)

use runai_gateway_core::checks::{Phase, Report, Severity, diagnose, discover};
use runai_gateway_core::ingest::Ingest;
use runai_gateway_core::snapshot::{Kind, Snapshot};
use runai_gateway_core::spec::SpecInput;
use runai_gateway_testkit::{CertClock, Fixture};

/// 2026-11-27, a fixed instant.
const FIXED: i64 = 1_795_824_000;

/// The instants every verdict test runs at. Each fixture's certificates are issued relative to
/// the instant it is evaluated at, so the verdicts are the same on any date: a fixed day, the real
/// clock, and ten years from now.
fn clocks() -> [CertClock; 3] {
    [CertClock::at(FIXED), CertClock::system(), CertClock::system().plus_days(3653)]
}

fn snapshot(fixture: &str) -> Snapshot {
    snapshot_at(fixture, CertClock::at(FIXED))
}

fn snapshot_at(fixture: &str, clock: CertClock) -> Snapshot {
    let fx = Fixture::load_at(fixture, clock).unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let mut ingest = Ingest::new(Some(fixture.into()), &["runai-backend", "runai-cluster"]);
    for kind in Kind::ALL {
        if kind != Kind::ControlPlaneRelease {
            ingest.mark_read(kind);
        }
    }
    let recognised: usize = fx.objects.iter().map(|o| ingest.add_any(o)).sum();
    assert!(recognised > 10, "{fixture}: only {recognised} objects recognised");
    ingest.finish()
}

fn report(fixture: &str) -> (Snapshot, Report) {
    report_at(fixture, CertClock::at(FIXED))
}

/// The fixture issued for `clock`, evaluated at `clock`.
fn report_at(fixture: &str, clock: CertClock) -> (Snapshot, Report) {
    let snap = snapshot_at(fixture, clock);
    let spec = discover(&SpecInput::default(), &snap).resolve().unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let report = diagnose(&spec, &snap, clock.unix());
    (snap, report)
}

/// The report of `fixture` at every clock, after checking that they all give the same verdicts.
fn reports(fixture: &str) -> Vec<Report> {
    let all: Vec<Report> = clocks().into_iter().map(|c| report_at(fixture, c).1).collect();
    let verdicts = |r: &Report| {
        let mut found: Vec<_> = r.findings.iter().map(|f| (f.id, f.severity)).collect();
        found.sort();
        (r.phase, found, r.passed.clone())
    };
    for (clock, r) in clocks().iter().zip(&all).skip(1) {
        assert_eq!(
            verdicts(r),
            verdicts(&all[0]),
            "{fixture} at {}: the verdicts depend on the date",
            clock.unix()
        );
    }
    all
}

fn ids(r: &Report, at_least: Severity) -> Vec<&'static str> {
    let mut v: Vec<_> = r.findings.iter().filter(|f| f.severity >= at_least).map(|f| f.id).collect();
    v.dedup();
    v
}

#[test]
fn phases_of_the_stage_fixtures() {
    for (fixture, phase) in [
        ("ingress-only", Phase::IngressOnly),
        ("gateway-api-installed", Phase::IngressOnly),
        ("gateway-prepared", Phase::GatewayPrepared),
        ("runai-introduced", Phase::RunaiIntroduced),
        ("migrated", Phase::IngressDisabled),
    ] {
        for r in reports(fixture) {
            assert_eq!(r.phase, phase, "{fixture}: {:#?}", r.findings);
        }
    }
}

#[test]
fn healthy_stages_have_no_errors() {
    for fixture in
        ["ingress-only", "gateway-api-installed", "gateway-prepared", "runai-introduced", "migrated"]
    {
        for r in reports(fixture) {
            assert_eq!(ids(&r, Severity::Error), Vec::<&str>::new(), "{fixture}: {:#?}", r.findings);
        }
    }
}

#[test]
fn discovery_reads_domains_and_gateway_from_the_cluster() {
    let (_, r) = report("runai-introduced");
    assert_eq!(r.spec.cluster_domain, "runai.example.com");
    assert_eq!(r.spec.inference_domain.as_deref(), Some("runai-inference.example.com"));
    assert_eq!((r.spec.gateway_namespace.as_str(), r.spec.gateway_name.as_str()), ("runai", "runai-gateway"));
}

#[test]
fn certificates_and_releases_are_read() {
    let snap = snapshot("gateway-prepared");
    let s = snap.secret("runai", "runai-cluster-domain-star-tls-secret").expect("secret");
    let c = s.certificate.as_ref().expect("parsed");
    assert_eq!(c.dns_names, vec!["*.runai.example.com".to_owned()]);
    assert_eq!(c.key_matches, Some(true));
    let cluster = snap.release("runai", "runai-cluster").expect("release decoded");
    assert!(cluster.chart_version.starts_with("2.25"), "{cluster:?}");
}

#[test]
fn each_certificate_defect_fires_its_check() {
    for (fixture, id) in [
        ("broken/expired-cert", "cert-expired"),
        ("broken/wrong-host-cert", "cert-host-mismatch"),
        ("broken/key-mismatch", "cert-key-mismatch"),
        ("broken/chain-missing", "cert-chain-incomplete"),
    ] {
        for r in reports(fixture) {
            assert!(r.findings.iter().any(|f| f.id == id), "{fixture}: expected {id} in {:#?}", r.findings);
        }
    }
}

#[test]
fn no_key_material_in_the_snapshot() {
    let clock = CertClock::at(FIXED);
    let fx = Fixture::load_at("gateway-prepared", clock).expect("fixture");
    let snap = snapshot_at("gateway-prepared", clock);
    let text = serde_json::to_string(&snap).expect("json");
    let mut keys = 0;
    for obj in fx.objects.iter().filter(|o| o["type"] == "kubernetes.io/tls") {
        let key_b64 = obj["data"]["tls.key"].as_str().expect("key");
        let key = String::from_utf8(
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key_b64).expect("b64"),
        )
        .expect("pem");
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        for needle in [key_b64, body.get(..40).expect("long key"), "PRIVATE KEY"] {
            assert!(!text.contains(needle), "key material in the snapshot");
        }
        keys += 1;
    }
    assert!(keys >= 3, "the fixture should hold TLS secrets");
}

#[test]
fn the_catalog_is_complete_and_stable() {
    use runai_gateway_core::checks::CATALOG;
    let mut seen = std::collections::BTreeSet::new();
    for m in CATALOG {
        assert!(seen.insert(m.id), "duplicate id {}", m.id);
        assert!(m.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{} is not kebab-case", m.id);
        assert!(!m.title.is_empty() && !m.why.is_empty() && !m.fix.is_empty(), "{}", m.id);
    }
    // Every check has an implementation: none is skipped as unknown on any fixture.
    for fixture in ["ingress-only", "migrated", "broken/key-mismatch"] {
        let (_, r) = report(fixture);
        assert!(r.skipped.iter().all(|s| s.reason != "not implemented"), "{fixture}: {:?}", r.skipped);
        for m in CATALOG {
            let ran = r.passed.contains(&m.id)
                || r.skipped.iter().any(|s| s.id == m.id)
                || r.findings.iter().any(|f| f.id == m.id);
            assert!(ran, "{fixture}: check {} neither passed, skipped nor found anything", m.id);
        }
    }
}

#[test]
fn the_table_is_terse_when_healthy_and_names_the_next_step() {
    use runai_gateway_core::render::{ReportFormat, render_report};
    for r in reports("runai-introduced") {
        let text = render_report(&r, ReportFormat::Table, false);
        assert!(text.contains("Phase: Run:ai introduced to the Gateway"), "{text}");
        assert!(text.contains("✓ TLS"), "{text}");
        assert!(text.contains("Next: verify, then point DNS at the Gateway"), "{text}");
    }
    for r in reports("broken/key-mismatch") {
        let text = render_report(&r, ReportFormat::Table, false);
        assert!(text.contains("error [cert-key-mismatch]"), "{text}");
        assert!(text.contains(
            "docs: https://github.com/runai-gateway/runai-gateway/blob/main/docs/checks.md#cert-key-mismatch"
        ), "{text}");
    }
}

#[test]
fn ten_thousand_refused_routes_are_one_finding_each_check() {
    let (mut snap, _) = report("status/healthy");
    let gw = snap.gateways[0].clone();
    let parent = runai_gateway_core::snapshot::ParentRef {
        namespace: gw.namespace.clone(),
        name: gw.name.clone(),
        section_name: Some("https-workloads".into()),
    };
    let cond = |t: &str| runai_gateway_core::snapshot::Condition {
        type_: t.into(),
        status: "False".into(),
        reason: if t == "Accepted" { "NotAllowedByListeners".into() } else { "BackendNotFound".into() },
        message: "refused".into(),
    };
    for i in 0..10_000 {
        snap.http_routes.push(runai_gateway_core::snapshot::HttpRoute {
            namespace: format!("runai-proj-{:03}", i % 300),
            name: format!("wl-{i:05}"),
            hostnames: vec![format!("wl-{i:05}.runai.example.com")],
            parent_refs: vec![parent.clone()].into(),
            backends: Vec::new(),
            parents: vec![runai_gateway_core::snapshot::RouteParentStatus {
                parent: parent.clone(),
                conditions: vec![cond("Accepted"), cond("ResolvedRefs")],
            }]
            .into(),
            managed_by_tool: false,
            annotations: std::collections::BTreeMap::new(),
        });
    }
    let spec = discover(&SpecInput::default(), &snap).resolve().expect("spec");
    let report = diagnose(&spec, &snap, FIXED);
    for id in ["routes-not-accepted", "route-refs-unresolved"] {
        let found: Vec<_> = report.findings.iter().filter(|f| f.id == id).collect();
        assert_eq!(found.len(), 1, "{id}: one finding, not one per route");
        let message = &found[0].message;
        assert!(message.contains("10000") && message.contains("wl-00000"), "{id}: {message}");
        assert!(message.len() < 600, "{id}: the first few names only: {message}");
    }
}

#[test]
fn an_unreadable_release_and_a_garbage_key_are_findings_that_say_so() {
    let (snap, r) = report("status/release-unreadable");
    let messages: Vec<&str> =
        r.findings.iter().filter(|f| f.id == "runai-release-missing").map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["Helm release `runai-backend` in namespace `runai-backend` is unreadable: not base64 (revision 2)"],
        "{:#?}",
        r.findings
    );
    assert!(snap.release("runai-backend", "runai-backend").is_none());

    let (snap, r) = report("status/cert-key-garbage");
    let s = snap.secret("runai", "runai-cluster-domain-star-tls-secret").expect("secret");
    let c = s.certificate.as_ref().expect("the certificate still parses");
    assert_eq!(c.key_matches, None);
    let f = r.findings.iter().find(|f| f.id == "cert-key-mismatch").expect("a finding");
    assert_eq!(
        f.message, "`runai/runai-cluster-domain-star-tls-secret`: `tls.key` holds no PEM block",
        "{:#?}",
        r.findings
    );
}

/// `fixture`'s snapshot with `kind`'s read replaced by `source`, and its objects of that kind
/// dropped (what a refused or failed read leaves).
fn without(fixture: &str, kind: Kind, source: runai_gateway_core::snapshot::Source) -> Snapshot {
    let mut snap = snapshot(fixture);
    match kind {
        Kind::Secret => {
            snap.secrets.clear();
            snap.helm_releases.clear();
        }
        Kind::Gateway => snap.gateways.clear(),
        Kind::Ingress => snap.ingresses.clear(),
        _ => unreachable!("only the phase's inputs and the addresses'"),
    }
    snap.sources.insert(kind, source);
    snap
}

#[test]
fn a_phase_needing_a_read_that_failed_is_unknown_and_suggests_no_step() {
    use runai_gateway_core::checks::UnreadState;
    use runai_gateway_core::snapshot::Source;
    let forbidden = || {
        Source::Forbidden {
        message: "secrets is forbidden: User \"jane\" cannot list resource \"secrets\" in API group \"\" at the cluster scope".into(),
    }
    };
    let judge = |snap: &Snapshot| {
        let spec = SpecInput { cluster_domain: Some("runai.example.com".into()), ..SpecInput::default() };
        diagnose(&discover(&spec, snap).resolve().expect("the spec resolves"), snap, FIXED)
    };

    // Without the releases, nothing is known, whatever the rest says.
    for fixture in ["ingress-only", "gateway-prepared", "runai-introduced", "migrated"] {
        let r = judge(&without(fixture, Kind::Secret, forbidden()));
        assert_eq!(r.phase, Phase::Unknown, "{fixture}");
        assert_eq!(r.unread.len(), 2, "{fixture}: both releases: {:#?}", r.unread);
        assert!(r.unread.iter().all(|u| u.state == UnreadState::Forbidden && u.resource == "secrets"));
        assert!(r.unread.iter().all(|u| u.namespace.is_none() && u.verb == "list" && u.group.is_empty()));
        let cmd = r.next_step.command.as_deref().expect("a grant command");
        assert!(cmd.starts_with("kubectl create clusterrole runai-gateway-status"), "{cmd}");
        assert!(cmd.contains("--verb=list --resource=secrets"), "{cmd}");
        assert!(cmd.ends_with("--clusterrole=runai-gateway-status --user=jane"), "{cmd}");
        assert!(!cmd.contains("runai-gateway apply"), "{cmd}");
        assert!(r.phase_line().starts_with("unknown: cannot read the Helm release `runai/runai-cluster`"));
    }

    // The Gateway decides prepared from not, and whether DNS points at it: failed, unknown.
    let failed = Source::Failed { message: "no answer within --timeout 2s".into() };
    for fixture in ["ingress-only", "gateway-prepared", "runai-introduced"] {
        let r = judge(&without(fixture, Kind::Gateway, failed.clone()));
        assert_eq!(r.phase, Phase::Unknown, "{fixture}");
        assert_eq!(r.unread.len(), 1);
        assert_eq!(r.unread[0].what, "Gateway runai/runai-gateway");
        assert_eq!(r.unread[0].state, UnreadState::Failed);
        assert_eq!(r.unread[0].group, "gateway.networking.k8s.io");
        assert!(r.next_step.title.starts_with("read again"), "{}", r.next_step.title);
    }
    // Once the releases say Ingress is off and the Gateway on, the Gateway does not change it.
    let r = judge(&without("migrated", Kind::Gateway, failed));
    assert_eq!(r.phase, Phase::IngressDisabled);
    assert!(r.unread.is_empty());
    // A Gateway API that is not installed is an answer: no Gateway.
    let r = judge(&without("ingress-only", Kind::Gateway, Source::NotInstalled));
    assert_eq!(r.phase, Phase::IngressOnly);

    // A release read but undecodable, its only revision: the phase is unknown, and says why.
    let (_, r) = report("status/release-unreadable");
    assert_eq!(r.phase, Phase::Unknown);
    assert_eq!(r.unread.len(), 1, "{:#?}", r.unread);
    assert_eq!(r.unread[0].state, UnreadState::Unreadable);
    assert_eq!(r.unread[0].what, "the Helm release `runai-backend/runai-backend`");
    assert!(r.next_step.title.contains("runai-release-missing"), "{}", r.next_step.title);
    assert_eq!(r.next_step.command, None);
}

#[test]
fn a_check_whose_input_could_not_be_read_is_skipped_with_the_reason_not_passed() {
    use runai_gateway_core::snapshot::Source;
    let judge = |snap: &Snapshot| {
        let spec = SpecInput { cluster_domain: Some("runai.example.com".into()), ..SpecInput::default() };
        diagnose(&discover(&spec, snap).resolve().expect("the spec resolves"), snap, FIXED)
    };
    let skipped = |r: &Report, id: &str| r.skipped.iter().find(|s| s.id == id).map(|s| s.reason.clone());

    // Read, every one of these passes on the healthy fixture: they judged something.
    let (_, healthy) = report("status/healthy");
    let secret_checks = [
        "cert-unreadable",
        "cert-expired",
        "cert-expiring",
        "cert-host-mismatch",
        "cert-key-mismatch",
        "cert-chain-incomplete",
    ];
    let release_checks = ["runai-gateway-mismatch", "nothing-serves"];
    for id in secret_checks.iter().chain(&release_checks) {
        assert!(healthy.passed.contains(id), "{id} passes on healthy: {:?}", healthy.skipped);
    }

    // Secrets refused: no certificate and no release was read, so none of them was judged.
    let forbidden = Source::Forbidden { message: "secrets is forbidden".into() };
    let r = judge(&without("status/healthy", Kind::Secret, forbidden));
    for id in secret_checks {
        assert!(!r.passed.contains(&id), "{id} passed on secrets it could not read");
        assert_eq!(skipped(&r, id).as_deref(), Some("cannot list `secrets` (forbidden)"), "{id}");
    }
    for id in release_checks {
        assert!(!r.passed.contains(&id), "{id} passed on releases it could not read");
        let reason = skipped(&r, id).unwrap_or_else(|| panic!("{id} skipped: {:#?}", r.skipped));
        assert_eq!(
            reason, "cannot read the Helm release `runai/runai-cluster`: cannot list `secrets` (forbidden)",
            "{id}"
        );
    }
    assert_eq!(r.phase, Phase::Unknown);

    // The Ingresses failed: the Ingress's address is unknown, so where DNS points is not judged.
    // DNS answered, on the Gateway's address.
    let resolved = |mut snap: Snapshot| {
        let at = snap.gateways[0].addresses.clone();
        assert!(!at.is_empty(), "the healthy Gateway has an address");
        snap.dns = vec![runai_gateway_core::snapshot::DnsAnswer {
            name: "runai.example.com".into(),
            role: "cluster".into(),
            addresses: at,
            error: None,
        }];
        snap
    };
    let failed = Source::Failed { message: "HTTP 500".into() };
    let r = judge(&resolved(without("status/healthy", Kind::Ingress, failed)));
    for id in ["dns-points-elsewhere", "dns-partly-switched"] {
        assert!(!r.passed.contains(&id), "{id} passed without the Ingress's address");
        assert_eq!(
            skipped(&r, id).as_deref(),
            Some("reading `ingresses.networking.k8s.io` failed: HTTP 500"),
            "{id}"
        );
    }
    // An API that is not installed is an answer: nothing of it exists, and the checks judge.
    let r = judge(&resolved(snapshot("status/healthy")));
    assert!(r.passed.contains(&"dns-partly-switched"), "{:#?}", r.skipped);
}
