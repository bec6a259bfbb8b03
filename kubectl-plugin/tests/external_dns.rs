//! `--dns external-dns`: `apply`'s switch-dns stage makes the Ingresses that claim the Gateway's
//! hostnames stop claiming them for external-dns (its `controller` annotation), and `rollback`
//! puts every annotation back as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::apply_support::{Harness, INGRESS_IP, differences, dns_at};

const OLD: &str = "external-dns.alpha.kubernetes.io/controller";
const NEW: &str = "external-dns.kubernetes.io/controller";

/// An external-dns Deployment reading Ingresses and HTTPRoutes, of an image without a version
/// (so both annotation prefixes count).
fn external_dns() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "external-dns", "namespace": "runai"},
        "spec": {"selector": {"matchLabels": {"app": "external-dns"}},
            "template": {"metadata": {"labels": {"app": "external-dns"}},
                "spec": {"containers": [{"name": "external-dns", "image": "corp/external-dns:latest",
                    "args": ["--source=ingress", "--source=gateway-httproute", "--policy=sync"]}]}}}})
}

/// The Ingresses of `objects` whose rule hosts include `host`, by key.
fn claiming<'a>(objects: &'a std::collections::BTreeMap<String, Value>, host: &str) -> Vec<&'a String> {
    objects
        .iter()
        .filter(|(k, o)| {
            k.starts_with("Ingress ")
                && o["spec"]["rules"].as_array().is_some_and(|r| r.iter().any(|r| r["host"] == host))
        })
        .map(|(k, _)| k)
        .collect()
}

#[test]
fn switch_dns_annotates_the_claiming_ingresses_and_rollback_restores_them_exactly() {
    let mut h = Harness::new("gateway-api-installed");
    h.server.put(external_dns()).expect("external-dns");
    h.server
        .put(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "other-app", "namespace": "default"},
            "spec": {"rules": [{"host": "app.other.example.org"}]}}))
        .expect("an unrelated Ingress");
    let before = h.objects();
    let claimed = claiming(&before, "runai.example.com");
    assert!(!claimed.is_empty(), "the fixture has Ingresses for the cluster domain");
    // One of them already carries the legacy key (external-dns's default value): it comes back.
    let first = claimed[0].clone();
    let (ns, name) = first.trim_start_matches("Ingress ").split_once('/').unwrap();
    let mut ing = h.server.get("networking.k8s.io/v1", "Ingress", Some(ns), name).unwrap();
    ing["metadata"]["annotations"][OLD] = json!("dns-controller");
    h.server.put(ing).expect("annotated");
    let before = h.objects();

    // DNS stays on the Ingress here: the run stops at the wait, after the annotations.
    let dns = dns_at(INGRESS_IP);
    let run = h.run("apply", &dns.arg(), &["--dns", "external-dns", "--yes", "--wait", "--timeout", "20s"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.contains(&format!("✓ annotated {first}")), "{run}");
    let after = h.objects();
    for key in &claimed {
        let a = &after[*key]["metadata"]["annotations"];
        assert_eq!(
            (a[OLD].as_str(), a[NEW].as_str()),
            (Some("runai-gateway"), Some("runai-gateway")),
            "{key}"
        );
    }
    let other = "Ingress default/other-app";
    assert_eq!(after[other], before[other], "an Ingress claiming no Gateway hostname is untouched");

    // A re-run of the stage writes no annotation again.
    h.server.clear_requests();
    let run = h.run("apply", &dns.arg(), &["--dns", "external-dns", "--yes", "--phase", "switch-dns"]);
    assert_eq!(run.code, 7, "{run}");
    assert!(!h.writes().iter().any(|w| w.contains("ingresses")), "{:?}", h.writes());

    let run = h.run("rollback", &dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    let restored = h.objects();
    for key in before.keys().filter(|k| k.starts_with("Ingress ")) {
        assert_eq!(restored.get(key), before.get(key), "{key} is as it was");
    }
    assert_eq!(differences(&before, &restored), Vec::<String>::new(), "{run}");
}
