//! `status` over several contexts: three test API servers behind one kubeconfig, one of them down.

use runai_gateway_testkit::TestServer;
use serde_json::Value;

use crate::support::run;

/// One kubeconfig naming each server's cluster, user and context `name`, in the order given.
fn merged_kubeconfig(servers: &[(&str, &str)]) -> String {
    let mut merged: Value = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [],
        "current-context": servers[0].0,
    });
    for (name, yaml) in servers {
        let one: Value = serde_saphyr::from_str(yaml).unwrap();
        let mut cluster = one["clusters"][0].clone();
        cluster["name"] = (*name).into();
        let mut user = one["users"][0].clone();
        user["name"] = (*name).into();
        let context = serde_json::json!({"name": name, "context": {"cluster": name, "user": name}});
        merged["clusters"].as_array_mut().unwrap().push(cluster);
        merged["users"].as_array_mut().unwrap().push(user);
        merged["contexts"].as_array_mut().unwrap().push(context);
    }
    serde_json::to_string(&merged).unwrap()
}

#[test]
fn three_clusters_one_down_one_summary_and_the_worst_exit_code() {
    let healthy = TestServer::with_fixture("status/healthy-migrated");
    let ingress = TestServer::with_fixture("ingress-only");
    let gone_yaml = {
        let gone = TestServer::with_fixture("ingress-only");
        gone.kubeconfig_yaml().to_owned()
        // Dropped here: nothing listens on its port any more.
    };
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let text = merged_kubeconfig(&[
        ("eu", healthy.kubeconfig_yaml()),
        ("us", ingress.kubeconfig_yaml()),
        ("down", &gone_yaml),
    ]);
    std::fs::write(&kubeconfig, text).unwrap();
    let kc = kubeconfig.to_str().unwrap();
    let dns = crate::support::dns::DnsServer::start(&[]);
    let dns = dns.arg();
    let now = healthy.now().to_string();
    let base = ["status", "--kubeconfig", kc, "--dns-server", &dns, "--now", &now, "--timeout", "20s"];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        run(&args, dir.path())
    };

    let json = with(&["--all-contexts", "-o", "json"]);
    assert_eq!(json.code, 6, "one context is down: {json:?}");
    let doc = json.json();
    assert_eq!(doc["schema"], "runai-gateway.fleet/v1");
    let reports = doc["reports"].as_array().unwrap();
    let contexts: Vec<&str> = reports.iter().map(|r| r["context"].as_str().unwrap()).collect();
    assert_eq!(contexts, ["eu", "us", "down"]);
    assert_eq!(reports[0]["report"]["phase"], "ingress-disabled");
    assert_eq!(reports[0]["report"]["context"], "eu");
    assert_eq!(reports[1]["report"]["phase"], "ingress-only");
    assert!(reports[2]["report"].is_null());
    assert!(reports[2]["error"].as_str().is_some_and(|e| e.contains("cannot reach")), "{}", reports[2]);
    // The published schemas: the fleet's, and each report's.
    let load = |name: &str| {
        let path = format!("{}/../docs/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    };
    let (fleet_schema, report_schema) = (load("fleet.schema.json"), load("report.schema.json"));
    let errors: Vec<String> = fleet_schema.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    for r in reports.iter().filter(|r| r["report"].is_object()) {
        let errors: Vec<String> = report_schema.iter_errors(&r["report"]).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    // Each report is the one a single-context run gives.
    let alone = with(&["--context", "us", "-o", "json"]).json();
    // (DNS findings name a random label per run, for the wildcard records: compared apart.)
    let judged = |findings: &Value| -> Vec<Value> {
        findings.as_array().unwrap().iter().filter(|f| f["category"] != "dns").cloned().collect()
    };
    assert_eq!(judged(&reports[1]["report"]["findings"]), judged(&alone["findings"]));

    // The table: a summary row per context, then each cluster's findings.
    let table = with(&["--context", "eu", "--context", "down"]);
    assert_eq!(table.code, 6, "{table:?}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].contains("CONTEXT") && lines[0].contains("NEXT STEP"), "{}", table.stdout);
    assert!(
        lines[1].trim_start().starts_with("eu") && lines[1].contains("ingress-disabled"),
        "{}",
        table.stdout
    );
    assert!(lines[2].trim_start().starts_with("down") && lines[2].contains("not read"), "{}", table.stdout);
    assert!(table.stdout.contains("=== context eu ===\nGateway runai/runai-gateway"), "{}", table.stdout);
    assert!(table.stdout.contains("=== context down ===\nnot read: cannot reach"), "{}", table.stdout);

    // The change ticket: the summary, then each context's report or why it was not read.
    let md = with(&["--context", "eu", "--context", "down", "-o", "markdown"]);
    assert_eq!(md.code, 6, "{md:?}");
    assert!(md.stdout.contains("| `down` | not read |"), "{}", md.stdout);
    assert!(md.stdout.contains("## Run:ai Gateway API migration status: context `eu`"), "{}", md.stdout);

    // Without the dead one the worst is the findings of the others (the two live ones differ).
    let live = with(&["--context", "eu", "--context", "us", "-o", "json"]);
    let alone_codes = [with(&["--context", "eu"]).code, with(&["--context", "us"]).code];
    assert_eq!(live.code, *alone_codes.iter().max().unwrap(), "{live:?}");

    // One cluster commands refuse several contexts.
    let apply =
        run(&["apply", "--example", "--kubeconfig", kc, "--context", "eu", "--context", "us"], dir.path());
    assert_eq!(apply.code, 2, "{apply:?}");
    assert!(apply.stderr.contains("works on one cluster"), "{}", apply.stderr);
}
