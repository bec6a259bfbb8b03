//! Snapshot documents of both versions: v1 (`httpRoutes` a list of objects, what earlier
//! versions wrote and users keep) and v2 (`httpRoutes` a table, what `snapshot` writes now) read
//! into the same model and give the same report, at the scale of a cluster with thousands of
//! workload routes.

use runai_gateway_core::checks::{diagnose, discover};
use runai_gateway_core::ingest::{Ingest, snapshot_from_text};
use runai_gateway_core::snapshot::{Kind, SNAPSHOT_SCHEMA, Snapshot};
use runai_gateway_core::spec::SpecInput;
use runai_gateway_core::yaml;
use runai_gateway_testkit::{CertClock, Fixture};
use serde_json::{Value, json};

/// 2026-11-27, a fixed instant.
const FIXED: i64 = 1_795_824_000;

/// Workload route `i` in `ns`, as a real API server returns it; every 7th is refused by the
/// Gateway with a message naming it, every 11th has no status yet.
fn route(i: usize, ns: &str) -> Value {
    let name = format!("wl-{i:05}");
    let parent = json!({"group": "gateway.networking.k8s.io", "kind": "Gateway",
                        "namespace": "runai", "name": "runai-gateway", "sectionName": "https-workloads"});
    let accepted = if i.is_multiple_of(7) {
        json!({"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners",
               "message": format!("route {ns}/{name}: no listener admits it"), "observedGeneration": 1})
    } else {
        json!({"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "observedGeneration": 1})
    };
    let status = if i.is_multiple_of(11) {
        json!({})
    } else {
        json!({"parents": [{"parentRef": parent, "controllerName": "kgateway.dev/kgateway",
               "conditions": [accepted, {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs"}]}]})
    };
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns, "labels": {"runai/workload": name}},
        "spec": {"parentRefs": [parent], "hostnames": [format!("{name}-{ns}.runai.example.com")],
                 "rules": [{"backendRefs": [{"name": name, "port": 8080}]}]},
        "status": status,
    })
}

/// The `gateway-prepared` fixture plus `workloads` routes over 40 project namespaces.
fn cluster(workloads: usize) -> Snapshot {
    let fx = Fixture::load_at("gateway-prepared", CertClock::at(FIXED)).expect("fixture");
    let mut ingest = Ingest::new(Some("many-workloads".into()), &["runai-backend", "runai-cluster"]);
    for kind in Kind::ALL {
        ingest.mark_read(kind);
    }
    for o in &fx.objects {
        ingest.add_any(o);
    }
    for i in 0..workloads {
        ingest.add_any(&route(i, &format!("runai-proj-{:02}", i % 40)));
    }
    ingest.finish()
}

/// The document an earlier version wrote for `snap`: schema v1, `httpRoutes` as objects.
fn as_v1(snap: &Snapshot) -> String {
    let mut doc = serde_json::to_value(snap).expect("json");
    doc["schema"] = json!("runai-gateway.snapshot/v1");
    doc["httpRoutes"] = serde_json::to_value(&snap.http_routes).expect("routes");
    yaml::to_string(&doc).expect("writes")
}

#[test]
fn v1_and_v2_documents_of_5000_routes_read_to_the_same_model_and_report() {
    let snap = cluster(5_000);
    assert_eq!(snap.http_routes.len(), 5_000 + 2, "the fixture's own routes and the workloads'");
    let v2 = yaml::to_string(&snap).expect("writes");
    let v1 = as_v1(&snap);
    assert!(v2.starts_with(&format!("schema: {SNAPSHOT_SCHEMA}\n")));
    assert!(v1.starts_with("schema: runai-gateway.snapshot/v1\n"));
    assert!(v1.contains("\n- namespace: runai-proj-00\n  name: wl-00000\n"), "v1 lists objects");
    let from_v1 = snapshot_from_text(&v1, &[]).expect("v1 of 5,000 routes reads");
    let from_v2 = snapshot_from_text(&v2, &[]).expect("v2 of 5,000 routes reads");
    assert_eq!(from_v1, snap);
    assert_eq!(from_v2, snap);
    // The JSON of `snapshot -o json` too.
    let json = runai_gateway_core::snapshot::to_json(&snap).expect("json");
    assert_eq!(snapshot_from_text(&json, &[]).expect("v2 JSON reads"), snap);

    let report = |s: &Snapshot| {
        let spec = discover(&SpecInput::default(), s).resolve().expect("resolves");
        serde_json::to_value(diagnose(&spec, s, FIXED)).expect("report")
    };
    let live = report(&snap);
    assert_eq!(report(&from_v1), live);
    assert_eq!(report(&from_v2), live);
    let refused = live["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "routes-not-accepted"))
        .expect("the refused routes are one finding");
    // Every 7th route is refused, less those with no status yet (every 77th): 715 - 65.
    assert!(refused["message"].as_str().is_some_and(|m| m.starts_with("650 of 5002 routes")), "{refused}");

    // Most of a v1 document was its routes; v2 writes each in about a sixth of the bytes.
    println!("5,000 routes: v1 {} bytes, v2 {} bytes (as JSON {})", v1.len(), v2.len(), json.len());
    assert!(v2.len() * 4 < v1.len(), "v2 {} bytes, v1 {}", v2.len(), v1.len());
    assert!(json.len() < v2.len() * 2, "JSON {} bytes, YAML {}", json.len(), v2.len());
}

#[test]
fn another_schema_is_refused_naming_the_versions_read() {
    let err = snapshot_from_text("schema: runai-gateway.snapshot/v3\nhttpRoutes: []\n", &[]).expect_err("v3");
    assert_eq!(
        err.to_string(),
        "snapshot schema `runai-gateway.snapshot/v3` is not supported; this version reads \
         `runai-gateway.snapshot/v1` and `runai-gateway.snapshot/v2`"
    );
    // A v1 document whose routes are empty, as small clusters wrote it, reads.
    let v1 = snapshot_from_text("schema: runai-gateway.snapshot/v1\nhttpRoutes: []\n", &[]).expect("v1");
    assert!(v1.http_routes.is_empty());
    assert_eq!(v1.schema, SNAPSHOT_SCHEMA);
}
