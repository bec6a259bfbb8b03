//! kubectl's conventions: connection flags where a cluster is read and refused where none is,
//! `-n`, `-o json|yaml` everywhere, `version`, and completion through `kubectl_complete-runai_gateway`.

use std::path::{Path, PathBuf};
use std::process::Command;

use runai_gateway_testkit::{Fixture, TestServer};
use serde_json::{Value, json};

use crate::support::{BIN, run};

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn connection_flags_are_refused_where_no_cluster_is_read() {
    let home = home();
    let render = run(&["render", "--example", "--context", "prod"], home.path());
    assert_eq!(render.code, 2, "{render:?}");
    assert!(render.stdout.is_empty(), "{render:?}");
    assert!(render.stderr.contains("`render` reads no cluster, so --context"), "{}", render.stderr);
    assert!(!render.stderr.contains("--controller"), "{}", render.stderr);
    let snapshot = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/snapshot.yaml");
    let offline = run(&["status", "--from-file", snapshot, "-n", "foo", "--context", "other"], home.path());
    assert_eq!(offline.code, 2, "{offline:?}");
    assert!(offline.stdout.is_empty(), "{offline:?}");
    assert!(
        offline.stderr.contains("`status --from-file` reads no cluster, so -n/--namespace"),
        "{}",
        offline.stderr
    );
    let other = run(&["status", "--from-file", snapshot, "--context", "other"], home.path());
    assert_eq!(other.code, 2, "{other:?}");
    assert!(other.stdout.is_empty(), "{other:?}");
    assert!(
        other.stderr.contains("--context `other` is not the context the snapshot was read from"),
        "{}",
        other.stderr
    );
    // Without them the same file is diagnosed.
    let fine = run(&["status", "--from-file", snapshot, "-o", "json"], home.path());
    assert!(fine.code == 0 || fine.code == 5, "{fine:?}");
}

#[test]
fn namespace_is_the_gateway_namespace() {
    let server = TestServer::with_fixture("status/healthy-migrated");
    let kubeconfig = server.kubeconfig_path();
    let kc = kubeconfig.to_str().unwrap();
    let now = server.now().to_string();
    let dns = crate::support::dns::DnsServer::start(&[]);
    let dns = dns.arg();
    let base = ["status", "--kubeconfig", kc, "--now", &now, "--dns-server", &dns, "-o", "json"];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        run(&args, server.scratch_dir())
    };
    let by_n = with(&["-n", "elsewhere"]);
    let by_flag = with(&["--gateway-namespace", "elsewhere"]);
    let default = with(&[]);
    // DNS findings name a random label per run (wildcard probes): compare the rest.
    let judged = |r: &crate::support::Run| {
        let mut doc = r.json();
        doc["findings"].as_array_mut().unwrap().retain(|f| f["category"] != "dns");
        doc
    };
    assert_eq!(judged(&by_n), judged(&by_flag), "-n differs from --gateway-namespace");
    assert_ne!(judged(&by_n), judged(&default), "-n was not read");
    assert!(by_n.stdout.contains("--gateway-namespace elsewhere"), "suggested commands lose -n");
    let clash = with(&["-n", "a", "--gateway-namespace", "b"]);
    assert_eq!(clash.code, 2, "{clash:?}");
    assert!(clash.stderr.contains("`-n a` and `--gateway-namespace b` disagree"), "{}", clash.stderr);
}

#[test]
fn list_checks_speaks_json_and_yaml() {
    let home = home();
    let table = run(&["status", "--list-checks"], home.path());
    let doc = run(&["status", "--list-checks", "-o", "json"], home.path()).json();
    assert_eq!(doc["schema"], "runai-gateway.catalog/v1");
    let checks = doc["checks"].as_array().unwrap();
    // One table row per check, under a header.
    assert_eq!(checks.len() + 1, table.stdout.lines().count());
    for c in checks {
        let id = c["id"].as_str().unwrap();
        assert!(table.stdout.contains(id), "{id} not in the table");
        assert!(c["why"].as_str().is_some_and(|w| !w.is_empty()) && c["fix"].is_string(), "{c}");
    }
    let yaml = run(&["status", "--list-checks", "-o", "yaml"], home.path());
    let from_yaml: Value = serde_saphyr::from_str(&yaml.stdout).unwrap();
    assert_eq!(from_yaml, doc);
}

fn deployment(namespace: &str, name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": name, "image": image}]}}}
    })
}

#[test]
fn version_names_what_the_cluster_runs() {
    let fixture = Fixture::load("gateway-api-installed")
        .unwrap()
        .with([deployment("kgateway-system", "kgateway", "cr.kgateway.dev/kgateway-dev/kgateway:v2.2.1")])
        .unwrap();
    let server = TestServer::start(&fixture).unwrap();
    let kubeconfig = server.kubeconfig_path();
    let kc = kubeconfig.to_str().unwrap();
    let out = run(&["version", "--kubeconfig", kc, "-o", "json"], server.scratch_dir());
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    assert_eq!(doc["schema"], "runai-gateway.version/v1");
    assert_eq!(doc["client"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["client"]["commit"].as_str().is_some_and(|c| !c.is_empty()));
    let s = &doc["server"];
    assert_eq!(s["kubernetes"], "v1.32.4");
    assert_eq!(s["gatewayApi"], json!({"bundleVersion": "v1.4.0", "channel": "standard"}));
    let kgateway = s["gatewayControllers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["controllerName"] == "kgateway.dev/kgateway")
        .unwrap_or_else(|| panic!("no kgateway in {s}"));
    assert_eq!(kgateway["version"], "v2.2.1");
    assert_eq!(kgateway["deployment"], "kgateway-system/kgateway");
    assert_eq!(s["runaiControlPlane"]["version"], "2.25.7");
    assert_eq!(s["runaiControlPlane"]["chart"], "control-plane");
    assert_eq!(s["runaiCluster"]["chart"], "runai-cluster");
    // The text form says the same.
    let text = run(&["version", "--kubeconfig", kc], server.scratch_dir());
    for line in [
        "Server Version:",
        "v1.4.0 (standard channel)",
        "kgateway.dev/kgateway v2.2.1",
        "control-plane 2.25.7",
    ] {
        assert!(text.stdout.contains(line), "{line} missing:\n{}", text.stdout);
    }
    // `--client` reads nothing; an unreachable cluster still prints the client, then exits 6.
    let client = run(&["version", "--client", "--kubeconfig", "/nonexistent"], server.scratch_dir());
    assert_eq!(client.code, 0, "{client:?}");
    let down = run(&["version", "--kubeconfig", "/nonexistent", "-o", "json"], server.scratch_dir());
    assert_eq!(down.code, 6, "{down:?}");
    assert!(down.json()["serverError"].as_str().is_some_and(|e| e.contains("/nonexistent")));
}

/// kubectl, or `None` after recording the skip (a failure in CI).
fn kubectl(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("kubectl")).find(|k| k.is_file()));
    if found.is_none() {
        runai_gateway_testkit::skip_unless_ci(test, "kubectl is not on the PATH");
    }
    found
}

#[test]
fn kubectl_completes_through_kubectl_complete_runai_gateway() {
    let Some(kubectl) = kubectl("kubectl_conventions::kubectl_completes_through_kubectl_complete") else {
        return;
    };
    // The bin folder as a release archive unpacks: the plugin and the shipped completion script.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(BIN, dir.path().join("kubectl-runai_gateway")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../krew/kubectl_complete-runai_gateway");
    std::fs::copy(&script, dir.path().join("kubectl_complete-runai_gateway")).unwrap();
    let kubectl_dir = kubectl.parent().unwrap().to_path_buf();
    let path = std::env::join_paths([dir.path().to_path_buf(), kubectl_dir, PathBuf::from("/bin")]).unwrap();
    let complete = |words: &[&str]| {
        let out = Command::new(&kubectl)
            .arg("__complete")
            .arg("runai-gateway")
            .args(words)
            .env("PATH", &path)
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let verbs = complete(&[""]);
    for verb in ["render\t", "status\t", "apply\t", "version\t"] {
        assert!(verbs.contains(verb), "`{verb}` not offered:\n{verbs}");
    }
    assert!(verbs.trim_end().ends_with(":4"), "{verbs}");
    let values = complete(&["render", "--routing-mode", ""]);
    assert!(values.lines().any(|l| l.starts_with("host")) && values.contains("\npath"), "{values}");
    let flags = complete(&["status", "--fail"]);
    assert!(flags.starts_with("--fail-on"), "{flags}");
}

#[test]
fn wide_and_verbose_list_every_skipped_check_and_docs_are_links() {
    let home = home();
    let snapshot = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/snapshot.yaml");
    // The example snapshot's certificates were issued for this instant.
    let base = ["status", "--from-file", snapshot, "--now", "1767225600"];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        run(&args, home.path())
    };
    let report = with(&["-o", "json"]).json();
    let skipped = report["skipped"].as_array().unwrap();
    assert!(!skipped.is_empty(), "the example skips checks (no probes)");
    let table = with(&[]).stdout;
    let wide = with(&["-o", "wide"]).stdout;
    assert_eq!(with(&["-v"]).stdout, wide);
    for s in skipped {
        let line = format!("skipped [{}] {}", s["id"].as_str().unwrap(), s["reason"].as_str().unwrap());
        assert!(wide.contains(&line), "`{line}` missing from:\n{wide}");
        assert!(!table.contains(&line), "the default table lists `{line}`");
    }
    for f in report["findings"].as_array().unwrap() {
        let url = format!(
            "docs: https://github.com/runai-gateway/runai-gateway/blob/main/{}",
            f["doc"].as_str().unwrap()
        );
        assert!(table.contains(&url), "`{url}` missing from:\n{table}");
    }
}
