//! The `apply`/`rollback` scenarios against a real cluster, opt-in.
//!
//! Runs only when `RUNAI_GATEWAY_E2E_KUBECONFIG` names the kubeconfig of a scratch cluster (kind
//! or k3d are enough: no controller is needed) that has the Gateway API CRDs installed; says that
//! it skipped otherwise. It installs the minimal stand-in CRDs for KnativeServing, RunaiConfig and
//! the kgateway policy, seeds the Ingress-only Run:ai state of the `gateway-api-installed` fixture
//! (namespaces, TLS secrets with real certificates, Helm release secrets, the HAProxy Service),
//! plays Helm and the Gateway controller (status written through the status subresource), and
//! deletes everything it created at the end, also when a step fails.
//!
//! ```sh
//! RUNAI_GATEWAY_E2E_KUBECONFIG=$HOME/.kube/config \
//!   cargo test -p kubectl-runai-gateway --test plugin e2e_real_cluster -- --nocapture
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::apply_support::{GATEWAY_IP, Harness, INGRESS_IP, Store, differences, dns_at};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use runai_gateway_testkit::Fixture;
use serde_json::{Value, json};

/// The variable that turns the suite on.
const ENV: &str = "RUNAI_GATEWAY_E2E_KUBECONFIG";
/// The namespaces the scenarios own; the suite refuses a cluster that has any of them.
const NAMESPACES: [&str; 5] =
    ["runai", "runai-backend", "knative-serving", "haproxy-controller", "kgateway-system"];

/// A real API server, through kube's client, blocking.
struct RealCluster {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// Plural and scope per (apiVersion, kind), from discovery.
    kinds: std::sync::Mutex<BTreeMap<(String, String), (String, bool)>>,
}

impl RealCluster {
    fn connect(kubeconfig: &PathBuf) -> RealCluster {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let client = runtime.block_on(async {
            let kc = Kubeconfig::read_from(kubeconfig).expect("reading the e2e kubeconfig");
            let config =
                Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await.expect("kubeconfig");
            Client::try_from(config).expect("client")
        });
        RealCluster { runtime, client, kinds: std::sync::Mutex::new(BTreeMap::new()) }
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, (u16, String)> {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("Content-Type", "application/json")
            .body(body.map(|b| serde_json::to_vec(b).unwrap()).unwrap_or_default())
            .unwrap();
        self.runtime.block_on(self.client.request::<Value>(req)).map_err(|e| match e {
            kube::Error::Api(s) => (s.code, s.message),
            other => (0, other.to_string()),
        })
    }

    /// The plural and scope of a kind, from the API group's discovery document.
    fn resource(&self, api_version: &str, kind: &str) -> Option<(String, bool)> {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(r) = self.kinds.lock().unwrap().get(&key) {
            return Some(r.clone());
        }
        let path = if api_version.contains('/') {
            format!("/apis/{api_version}")
        } else {
            format!("/api/{api_version}")
        };
        let doc = self.send("GET", &path, None).ok()?;
        let r = doc["resources"]
            .as_array()?
            .iter()
            .find(|r| r["kind"] == kind && !r["name"].as_str().unwrap_or("/").contains('/'))?;
        let found = (r["name"].as_str()?.to_owned(), r["namespaced"].as_bool().unwrap_or(true));
        self.kinds.lock().unwrap().insert(key, found.clone());
        Some(found)
    }

    fn path(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Option<String> {
        let (plural, namespaced) = self.resource(api_version, kind)?;
        let prefix = if api_version.contains('/') {
            format!("/apis/{api_version}")
        } else {
            format!("/api/{api_version}")
        };
        let ns = match (namespaced, namespace) {
            (true, Some(ns)) if !ns.is_empty() => format!("/namespaces/{ns}"),
            _ => String::new(),
        };
        Some(format!("{prefix}{ns}/{plural}{}", name.map(|n| format!("/{n}")).unwrap_or_default()))
    }

    fn get(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        self.send("GET", &self.path(api_version, kind, namespace, Some(name))?, None).ok()
    }
}

impl Store for RealCluster {
    fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let Some(path) = self.path(api_version, kind, namespace, None) else { return Vec::new() };
        let items = self.send("GET", &path, None).map(|l| l["items"].as_array().cloned().unwrap_or_default());
        items
            .unwrap_or_default()
            .into_iter()
            .map(|mut i| {
                i["apiVersion"] = json!(api_version);
                i["kind"] = json!(kind);
                i
            })
            .collect()
    }

    fn put(&self, mut obj: Value) -> Result<(), String> {
        let (av, kind) = (
            obj["apiVersion"].as_str().unwrap_or_default().to_owned(),
            obj["kind"].as_str().unwrap_or_default().to_owned(),
        );
        let ns = obj["metadata"]["namespace"].as_str().map(str::to_owned);
        let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        if let Some(m) = obj["metadata"].as_object_mut() {
            for k in ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"] {
                m.remove(k);
            }
        }
        let status = obj.as_object_mut().and_then(|o| o.remove("status"));
        let one = self
            .path(&av, &kind, ns.as_deref(), Some(&name))
            .ok_or(format!("no resource for {av} {kind}"))?;
        let stored = match self.get(&av, &kind, ns.as_deref(), &name) {
            Some(existing) => {
                obj["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"].clone();
                self.send("PUT", &one, Some(&obj))
            }
            None => self.send("POST", &self.path(&av, &kind, ns.as_deref(), None).unwrap(), Some(&obj)),
        }
        .map_err(|(c, m)| format!("{kind} {name}: {c} {m}"))?;
        if let Some(status) = status.filter(|s| s.as_object().is_some_and(|o| !o.is_empty())) {
            let mut with_status = stored;
            with_status["status"] = status;
            // Kinds without a status subresource keep what the main write stored.
            let _ = self.send("PUT", &format!("{one}/status"), Some(&with_status));
        }
        Ok(())
    }

    fn remove(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) {
        if let Some(path) = self.path(api_version, kind, namespace, Some(name)) {
            let _ = self.send("DELETE", &path, None);
        }
    }
}

/// Deletes what the suite created, in reverse, when dropped (also after a failed assertion).
struct Cleanup {
    cluster: RealCluster,
    created: Vec<(String, String, Option<String>, String)>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for (av, kind, ns, name) in self.created.iter().rev() {
            self.cluster.remove(av, kind, ns.as_deref(), name);
        }
        println!(
            "e2e: deleted the {} objects the suite created (namespaces delete their contents)",
            self.created.len()
        );
    }
}

/// Waits until a CRD's kind is served.
fn wait_served(cluster: &RealCluster, api_version: &str, kind: &str) {
    let start = Instant::now();
    while cluster.resource(api_version, kind).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{kind} is not served 60s after its CRD was created"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Seeds the fixture's objects; returns what was created.
fn seed(fixture: &Fixture, cleanup: &mut Cleanup) {
    let cluster = &cleanup.cluster;
    let mut created = Vec::new();
    let ident = |o: &Value| {
        (
            o["apiVersion"].as_str().unwrap_or_default().to_owned(),
            o["kind"].as_str().unwrap_or_default().to_owned(),
            o["metadata"]["namespace"].as_str().map(str::to_owned),
            o["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
        )
    };
    // CRDs: the Gateway API ones must be there already; the stand-ins are created when absent.
    for crd in fixture.objects.iter().filter(|o| o["kind"] == "CustomResourceDefinition") {
        let name = crd["metadata"]["name"].as_str().unwrap();
        let exists = cluster.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, name).is_some();
        if crd["spec"]["group"] == "gateway.networking.k8s.io" {
            assert!(
                exists
                    || ![
                        "gateways.gateway.networking.k8s.io",
                        "httproutes.gateway.networking.k8s.io",
                        "gatewayclasses.gateway.networking.k8s.io"
                    ]
                    .contains(&name),
                "the Gateway API CRD {name} is not installed: kubectl apply --server-side -f ../shared/testdata/gateway-api/"
            );
            continue;
        }
        if !exists {
            cluster.put(crd.clone()).unwrap();
            created.push(ident(crd));
        }
        let group = crd["spec"]["group"].as_str().unwrap();
        let version = crd["spec"]["versions"][0]["name"].as_str().unwrap();
        wait_served(cluster, &format!("{group}/{version}"), crd["spec"]["names"]["kind"].as_str().unwrap());
    }
    for ns in fixture.objects.iter().filter(|o| o["kind"] == "Namespace") {
        cluster.put(ns.clone()).unwrap();
        created.push(ident(ns));
    }
    for o in
        fixture.objects.iter().filter(|o| o["kind"] != "Namespace" && o["kind"] != "CustomResourceDefinition")
    {
        if o["kind"] == "GatewayClass"
            && cluster
                .get(
                    "gateway.networking.k8s.io/v1",
                    "GatewayClass",
                    None,
                    o["metadata"]["name"].as_str().unwrap(),
                )
                .is_some()
        {
            continue;
        }
        cluster.put(o.clone()).unwrap_or_else(|e| panic!("seeding: {e}"));
        if o["metadata"]["namespace"].is_null() {
            created.push(ident(o));
        }
    }
    cleanup.created.extend(created);
}

/// The objects of the suite's namespaces (and its GatewayClasses), for field-by-field comparisons.
fn ours(objects: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    objects
        .into_iter()
        .filter(|(k, _)| {
            let ns =
                k.split_once(' ').map(|(_, r)| r.split('/').next().unwrap_or_default()).unwrap_or_default();
            NAMESPACES.contains(&ns) || k.starts_with("GatewayClass ")
        })
        .filter(|(k, _)| !k.contains("kube-root-ca.crt"))
        .collect()
}

#[test]
fn real_cluster_migration_and_rollback() {
    let Some(kubeconfig) = std::env::var_os(ENV).map(PathBuf::from) else {
        runai_gateway_testkit::skip(
            "e2e_real_cluster::real_cluster_migration_and_rollback",
            &format!("set {ENV} to the kubeconfig of a scratch cluster with the Gateway API CRDs"),
        );
        return;
    };
    let cluster = RealCluster::connect(&kubeconfig);
    for ns in NAMESPACES {
        assert!(
            cluster.get("v1", "Namespace", None, ns).is_none(),
            "namespace `{ns}` exists: this suite needs a scratch cluster and never touches existing Run:ai namespaces"
        );
    }
    let fixture = Fixture::load("gateway-api-installed").expect("the fixture (needs ../shared/testdata)");
    let home = tempfile::tempdir().unwrap();
    // Declared first, dropped last: everything the suite created goes, whatever happens below.
    let mut cleanup = Cleanup { cluster: RealCluster::connect(&kubeconfig), created: Vec::new() };
    seed(&fixture, &mut cleanup);
    println!("e2e: seeded {} objects", fixture.objects.len());
    let mut h = Harness::with_store(cluster, kubeconfig.clone(), home.path().to_path_buf());
    let before = ours(h.objects());
    let old_dns = dns_at(INGRESS_IP);
    let new_dns = dns_at(GATEWAY_IP);

    let run = h.run("apply", &old_dns.arg(), &["--yes", "--wait", "--timeout", "60s"]);
    assert_eq!(run.code, 7, "stops at the DNS switch: {run}");
    assert!(run.stdout.contains("✓ verify"), "{run}");
    assert_eq!(h.helm_calls.len(), 2, "{:?}", h.helm_calls);

    let run = h.run("apply", &new_dns.arg(), &["--yes", "--wait", "--timeout", "60s"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("✓ disable-ingress"), "{run}");
    assert_eq!(h.helm_calls.len(), 4, "{:?}", h.helm_calls);

    // A second apply writes nothing: no resourceVersion moves.
    let versions = |h: &Harness<RealCluster>| -> BTreeMap<String, Value> {
        ours(h.objects().into_iter().collect())
            .into_keys()
            .filter_map(|k| {
                let (kind, rest) = k.split_once(' ')?;
                let (ns, name) = rest.split_once('/')?;
                let av = match kind {
                    "Gateway" | "HTTPRoute" | "GatewayClass" => "gateway.networking.k8s.io/v1",
                    "HTTPListenerPolicy" => "gateway.kgateway.dev/v1alpha1",
                    "KnativeServing" => "operator.knative.dev/v1beta1",
                    "Ingress" => "networking.k8s.io/v1",
                    "RunaiConfig" => "run.ai/v1",
                    _ => "v1",
                };
                let o = h.server.get(av, kind, (!ns.is_empty()).then_some(ns), name)?;
                Some((k.clone(), o["metadata"]["resourceVersion"].clone()))
            })
            .collect()
    };
    let rv_before = versions(&h);
    let run = h.run("apply", &new_dns.arg(), &["--yes"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("No changes: the migration is complete."), "{run}");
    assert_eq!(versions(&h), rv_before, "a second apply changed objects");

    let run = h.run("rollback", &old_dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(differences(&before, &ours(h.objects())), Vec::<String>::new(), "{run}");
    let run = h.run("rollback", &old_dns.arg(), &["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("No changes"), "{run}");
    println!("e2e: migration, no-op re-run and rollback passed against {}", kubeconfig.display());
}
