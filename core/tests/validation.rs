//! Validation of whole inputs: every error names field, value, rule and fix; all are reported.

use proptest::prelude::*;
use runai_gateway_core::spec::{RouteNamespaces, SpecInput, derive_inference_domain};
use runai_gateway_core::validate::fqdn_problem;

fn errors(yaml: &str) -> Vec<(String, String)> {
    match SpecInput::from_yaml(yaml).expect("yaml").resolve() {
        Ok(_) => Vec::new(),
        Err(issues) => issues.errors.into_iter().map(|e| (e.field, e.problem)).collect(),
    }
}

fn warnings(yaml: &str) -> Vec<String> {
    SpecInput::from_yaml(yaml).expect("yaml").resolve().expect("valid").warnings
}

#[test]
fn cluster_domain_is_required() {
    let e = errors("routingMode: host\n");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].0, "clusterDomain");
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = errors(
        "clusterDomain: Runai.Example.com\ngateway: {namespace: Bad_NS, name: -x}\ntls: {inferenceSecret: \"a b\"}\nknative: {kourierPort: 0}\n",
    );
    let fields: Vec<&str> = e.iter().map(|(f, _)| f.as_str()).collect();
    for want in
        ["clusterDomain", "gateway.namespace", "gateway.name", "tls.inferenceSecret", "knative.kourierPort"]
    {
        assert!(fields.contains(&want), "{want} missing from {fields:?}");
    }
}

#[test]
fn inference_domain_rules() {
    assert_eq!(
        errors("clusterDomain: runai.example.com\ninference: {domain: runai.example.com}\n")[0].0,
        "inference.domain"
    );
    let w = warnings("clusterDomain: runai.example.com\ninference: {domain: inf.runai.example.com}\n");
    assert!(w.iter().any(|w| w.contains("sits under the cluster domain")), "{w:?}");
    // Path mode has no workloads wildcard, so no overlap.
    let w = warnings(
        "clusterDomain: runai.example.com\nroutingMode: path\ninference: {domain: inf.runai.example.com}\n",
    );
    assert!(!w.iter().any(|w| w.contains("sits under")), "{w:?}");
    // Two labels: no sibling to derive.
    assert_eq!(errors("clusterDomain: example.com\n")[0].0, "inference.domain");
    assert!(errors("clusterDomain: example.com\ninference: {enabled: false}\n").is_empty());
    assert_eq!(derive_inference_domain("runai.example.com").as_deref(), Some("runai-inference.example.com"));
    assert_eq!(derive_inference_domain("example.com"), None);
}

#[test]
fn controllers_and_classes() {
    assert_eq!(
        errors("clusterDomain: runai.example.com\ngateway: {controller: other}\n")[0].0,
        "gateway.className"
    );
    let spec = SpecInput::from_yaml("clusterDomain: runai.example.com\nplatform: openshift\n")
        .expect("yaml")
        .resolve()
        .expect("valid");
    assert_eq!(spec.gateway_class, "openshift-default");
    assert!(SpecInput::from_yaml("clusterDomain: a.b.c\ngateway: {controller: traefik}\n").is_err());
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let err = SpecInput::from_yaml("clusterDomain: a.b.c\nclusterDomian: x\n").expect_err("unknown");
    assert!(err.to_string().contains("clusterDomian"), "{err}");
}

#[test]
fn the_inference_listener_must_admit_knative() {
    let e = errors(
        "clusterDomain: runai.example.com\nallowedRoutes: {inference: {from: Namespaces, names: [runai]}}\n",
    );
    assert_eq!(e[0].0, "allowedRoutes.inference");
    assert!(errors("clusterDomain: runai.example.com\nallowedRoutes: {inference: {from: All}}\n").is_empty());
}

#[test]
fn control_plane_and_saas() {
    assert_eq!(
        errors("clusterDomain: a.b.c\nrunai: {controlPlane: saas, controlPlaneContext: x}\n")[0].0,
        "runai.controlPlaneContext"
    );
    let spec = SpecInput::from_yaml("clusterDomain: runai.example.com\nrunai: {controlPlane: saas}\n")
        .expect("yaml")
        .resolve()
        .expect("valid");
    assert_eq!(
        spec.allowed_routes.control_plane,
        RouteNamespaces::Namespaces { names: vec!["runai".into()] }
    );
}

#[test]
fn route_policy_flags_round_trip() {
    for s in ["all", "same", "ns:a,b", "label:runai/queue", "label:a=b,c"] {
        assert_eq!(RouteNamespaces::parse_flag(s).expect(s).to_flag(), s);
    }
    // `label:,=,` was found by the route_policy fuzz target: it parsed to a label with an empty
    // key, which printed back as `label:`, a flag that is refused.
    for s in ["", "ns:", "label:", "everything", "label:,=,", "label:=v", "label:a,=b"] {
        assert!(RouteNamespaces::parse_flag(s).is_err(), "{s}");
    }
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
}

proptest! {
    /// Well-formed names of 2–5 labels validate (unless the last label is all digits).
    #[test]
    fn valid_fqdns_pass(labels in prop::collection::vec(label(), 2..5)) {
        let name = labels.join(".");
        let numeric_tld = labels.last().is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()));
        prop_assert_eq!(fqdn_problem(&name).is_none(), !numeric_tld, "{}", name);
    }

    /// Upper case, wildcards, underscores, IPs and over-long labels always fail with a fix.
    #[test]
    fn broken_fqdns_fail(labels in prop::collection::vec(label(), 2..4), which in 0usize..5) {
        let name = labels.join(".");
        let broken = match which {
            0 => name.to_ascii_uppercase() + "X",
            1 => format!("*.{name}"),
            2 => format!("a_b.{name}"),
            3 => format!("{}.{name}", "a".repeat(64)),
            _ => "192.168.0.1".to_owned(),
        };
        let (problem, fix) = fqdn_problem(&broken).expect("must fail");
        prop_assert!(!problem.is_empty() && !fix.is_empty());
    }

    /// A listener wildcard matches every host strictly below it, never the apex.
    #[test]
    fn wildcard_listener_matches_every_subdomain(base in prop::collection::vec(label(), 2..4), sub in prop::collection::vec(label(), 1..3)) {
        let base = base.join(".");
        let host = format!("{}.{base}", sub.join("."));
        let listener = format!("*.{base}");
        prop_assert!(runai_gateway_core::hostname::intersects(Some(&listener), &host));
        prop_assert!(!runai_gateway_core::hostname::intersects(Some(&listener), &base));
        prop_assert!(runai_gateway_core::hostname::intersects(Some(&host), &listener) == runai_gateway_core::hostname::intersects(Some(&listener), &host));
    }
}
