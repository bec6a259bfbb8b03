//! `--dns external-dns`: `apply`'s switch-dns stage makes the Ingresses that claim the Gateway's
//! hostnames stop claiming them for external-dns (its `controller` annotation), and `rollback`
//! puts every annotation back as it was. With the testkit's stand-in external-dns (its TXT
//! registry's ownership, its sync policy) writing to a loopback DNS server, and the stand-in
//! cert-manager issuing, a whole migration and its rollback run with no step left to a human;
//! preflight refuses an external-dns that would not publish the Gateway's hostnames.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::apply_support::{ExternalDnsStandIn, Harness, INGRESS_IP, differences, dns_at, gateway_https};
use crate::certmanager::{INGRESS_SECRETS, ISSUER, harness};

const OLD: &str = "external-dns.alpha.kubernetes.io/controller";
const NEW: &str = "external-dns.kubernetes.io/controller";

/// An external-dns Deployment reading Ingresses and HTTPRoutes, of an image without a version
/// (so both annotation prefixes count).
fn external_dns() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "external-dns", "namespace": "runai",
            "labels": {"app.kubernetes.io/name": "external-dns"}},
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

/// The Gateway's three hostnames, as external-dns names the records.
const NAMES: [&str; 3] = ["runai.example.com", "*.runai.example.com", "*.runai-inference.example.com"];

/// What a run prints when it leaves something to a human.
const HUMAN: [&str; 6] = [
    "re-run",
    "(manual)",
    "Ingress stays on",
    "kubectl create secret",
    "kubectl annotate",
    "change the record",
];

#[test]
fn with_cert_manager_and_external_dns_the_migration_and_its_rollback_need_no_human_step() {
    let mut h = harness(|_| {});
    h.server.put(external_dns()).expect("external-dns");
    let e = ExternalDnsStandIn::start(&external_dns(), &h.server);
    for name in NAMES {
        assert!(e.controller.owner(name).is_some_and(|o| o.starts_with("ingress/")), "{name} before");
    }
    h.external_dns = Some(e);
    let https = gateway_https(&h, &NAMES, 200);
    h.probe_address = Some(https.addr.to_string());
    let before = h.objects();
    let dns = h.external_dns.as_ref().unwrap().dns.arg();

    let mut apply = ISSUER.to_vec();
    apply.extend(["--dns", "external-dns", "--wait", "--wait-dns", "--yes", "--timeout", "90s"]);
    let run = h.run("apply", &dns, &apply);
    assert_eq!(run.code, 0, "one run, start to end: {run}");
    for line in [
        "✓ preflight",
        "✓ verify: Gateway programmed at 192.0.2.20",
        "external-dns no longer reads it",
        "✓ switch-dns: every record resolves to the Gateway",
        "✓ disable-ingress: the migration is complete.",
    ] {
        assert!(run.stdout.contains(line), "{line}: {run}");
    }
    for human in HUMAN {
        assert!(!run.stdout.contains(human), "{human}: {run}");
    }
    let e = h.external_dns.as_ref().unwrap();
    for name in NAMES {
        assert!(e.controller.owner(name).is_some_and(|o| o.starts_with("httproute/")), "{name} moved");
    }

    let mut rollback = ISSUER.to_vec();
    rollback.extend(["--prune", "--wait-dns", "--yes", "--timeout", "90s"]);
    let run = h.run("rollback", &dns, &rollback);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ DNS resolves to the Ingress"), "{run}");
    for human in HUMAN {
        assert!(!run.stdout.contains(human), "{human}: {run}");
    }
    let e = h.external_dns.as_ref().unwrap();
    for name in NAMES {
        assert!(e.controller.owner(name).is_some_and(|o| o.starts_with("ingress/")), "{name} back");
    }
    let after = h.objects();
    assert_eq!(differences(&before, &after), Vec::<String>::new(), "{run}");
    for (ns, name) in INGRESS_SECRETS {
        let key = format!("Secret {ns}/{name}");
        assert_eq!(before[&key], after[&key], "{key} byte for byte");
    }
}

#[test]
fn rollback_without_prune_makes_the_routes_let_go_and_a_second_apply_takes_the_records_again() {
    let mut h = Harness::new("gateway-api-installed");
    h.server.put(external_dns()).expect("external-dns");
    h.external_dns = Some(ExternalDnsStandIn::start(&external_dns(), &h.server));
    let dns = h.external_dns.as_ref().unwrap().dns.arg();
    let owner = |h: &Harness, name: &str| h.external_dns.as_ref().unwrap().controller.owner(name).unwrap();
    let apply = ["--dns", "external-dns", "--wait", "--wait-dns", "--yes", "--timeout", "60s"];
    let run = h.run("apply", &dns, &apply);
    assert_eq!(run.code, 0, "{run}");
    assert!(owner(&h, "runai.example.com").starts_with("httproute/"));

    // Without --prune the routes stay (and serve): they must stop claiming the names, or the
    // registry would keep the records with them although the Ingresses claim them again.
    // The mode is the recorded one: `rollback` needs no `--dns`.
    let run = h.run("rollback", &dns, &["--wait-dns", "--yes", "--timeout", "60s"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ DNS resolves to the Ingress"), "{run}");
    let routes = h.server.list("gateway.networking.k8s.io/v1", "HTTPRoute", None);
    assert!(!routes.is_empty(), "not pruned");
    for r in &routes {
        assert_eq!(r["metadata"]["annotations"][OLD], "runai-gateway", "{r:#}");
    }
    for name in NAMES {
        assert!(owner(&h, name).starts_with("ingress/"), "{name}");
    }

    // A second migration reads the routes again before the Ingresses stop claiming.
    let run = h.run("apply", &dns, &apply);
    assert_eq!(run.code, 0, "{run}");
    let removed = run.stdout.find("external-dns reads it again").unwrap_or_else(|| panic!("{run}"));
    let ignored = run.stdout.find("external-dns no longer reads it").unwrap_or_else(|| panic!("{run}"));
    assert!(removed < ignored, "routes first: {run}");
    for r in h.server.list("gateway.networking.k8s.io/v1", "HTTPRoute", None) {
        assert!(r["metadata"]["annotations"].get(OLD).is_none(), "{r:#}");
    }
    for name in NAMES {
        assert!(owner(&h, name).starts_with("httproute/"), "{name}");
    }
}

#[test]
fn preflight_refuses_when_no_external_dns_would_move_the_records() {
    let dns = dns_at(INGRESS_IP);
    let args = ["--dns", "external-dns", "--yes"];
    // None at all.
    let mut h = Harness::new("gateway-api-installed");
    let run = h.run("apply", &dns.arg(), &args);
    assert_eq!(run.code, 9, "{run}");
    assert!(run.stdout.contains("✗ preflight: nothing was changed"), "{run}");
    assert!(
        run.stdout.contains(
            "`--dns external-dns`: no Deployment labelled `app.kubernetes.io/name=external-dns` runs external-dns"
        ),
        "{run}"
    );
    assert!(run.stdout.contains("or change DNS yourself: `--dns manual`"), "{run}");
    assert!(!run.stdout.contains("cannot check `external-dns"), "one line, not a skip per check: {run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());

    // One that reads Ingresses only, and one whose domain filter leaves the inference domain out.
    let mut ingress_only = external_dns();
    ingress_only["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--source=ingress"]);
    let mut filtered = external_dns();
    filtered["metadata"]["name"] = json!("external-dns-filtered");
    filtered["spec"]["template"]["spec"]["containers"][0]["args"] =
        json!(["--source=ingress", "--source=gateway-httproute", "--domain-filter=runai.example.com"]);
    let mut h = Harness::new("gateway-api-installed");
    h.server.put(ingress_only).expect("external-dns");
    h.server.put(filtered).expect("external-dns");
    let before = h.objects();
    let run = h.run("apply", &dns.arg(), &args);
    assert_eq!(run.code, 9, "{run}");
    assert!(
        run.stdout.contains("external-dns reads the sources ingress but not `gateway-httproute`"),
        "{run}"
    );
    assert!(run.stdout.contains("fix: kubectl edit deployment external-dns -n runai"), "{run}");
    assert!(run.stdout.contains("external-dns will not publish `*.runai-inference.example.com`"), "{run}");
    assert!(h.writes().is_empty(), "{:?}", h.writes());
    assert_eq!(differences(&before, &h.objects()), Vec::<String>::new());
}
