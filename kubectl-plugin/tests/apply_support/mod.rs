//! Shared by the `apply` and `rollback` tests: the binary against the test API server, a Helm
//! stand-in, a stand-in Gateway controller, and loopback DNS.
//!
//! The Helm stand-in is a shell script named `helm` on `PATH`. It records its argv (one file per
//! invocation) and waits for the test to answer. The test process, which owns the API server,
//! does what `helm upgrade --reuse-values` does to the release: a new revision Secret with the
//! `--set`/`--set-string` values merged over the deployed ones, status `deployed`, the previous
//! revision `superseded`. It also refuses an upgrade whose `--version` is not the deployed chart
//! version (never upgrade Run:ai as a side effect), and removes or restores the chart's own
//! Ingresses when `ingress.enabled` flips, as the chart would.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

// The loopback DNS and HTTPS servers are the status tests' own.
pub use crate::support::{dns, tls};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runai_gateway_testkit::TestServer;
use runai_gateway_testkit::helm::HelmRelease;
use serde_json::{Value, json};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_kubectl-runai_gateway");
/// Gateway address the stand-in controller gives the Gateway.
pub const GATEWAY_IP: &str = "192.0.2.20";
/// HAProxy (Ingress) address in the fixtures.
pub const INGRESS_IP: &str = "192.0.2.10";

/// The input flags the fixtures were built from.
pub const INPUT: [&str; 2] = ["--cluster-domain", "runai.example.com"];

const STANDIN: &str = r#"#!/bin/sh
# Helm stand-in for tests: records argv, waits for the test process to act like Helm.
d="$HELM_STANDIN_DIR"
n="$(date +%s%N)-$$"
: > "$d/req-$n.tmp"
for a in "$@"; do printf '%s\n' "$a" >> "$d/req-$n.tmp"; done
mv "$d/req-$n.tmp" "$d/req-$n.args"
while [ ! -f "$d/req-$n.done" ]; do sleep 0.02; done
code="$(cat "$d/req-$n.done")"
[ -n "$code" ] || code=1
exit "$code"
"#;

/// Where the stand-ins read and write objects: the test API server, or a real cluster
/// (`tests/e2e_real_cluster.rs`). Writes bypass the plugin's view: they are what Helm or a
/// controller would do.
pub trait Store {
    /// Objects of a kind, in one namespace or all.
    fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value>;
    /// Creates or replaces an object, status included.
    fn put(&self, obj: Value) -> Result<(), String>;
    /// Deletes an object.
    fn remove(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str);
}

impl Store for TestServer {
    fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        TestServer::list(self, api_version, kind, namespace)
    }
    fn put(&self, obj: Value) -> Result<(), String> {
        TestServer::put(self, obj).map(|_| ()).map_err(|e| format!("{e:?}"))
    }
    fn remove(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) {
        TestServer::remove(self, api_version, kind, namespace, name);
    }
}

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Piped, a wait shows no progress: no spinner frame, carriage return or escape sequence on
    /// stderr (the progress line is for terminals).
    pub fn assert_no_progress(&self) {
        let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        assert!(
            !self.stderr.contains(['\x1b', '\r']) && !self.stderr.contains(frames),
            "progress on a piped stderr: {:?}",
            self.stderr
        );
        assert!(!self.stderr.contains("waiting for"), "{self}");
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// A cluster (the test API server by default) plus the stand-ins.
pub struct Harness<S: Store = TestServer> {
    pub server: S,
    kubeconfig: PathBuf,
    home: PathBuf,
    bin_dir: tempfile::TempDir,
    /// Every helm invocation so far, argv after `helm`.
    pub helm_calls: Vec<Vec<String>>,
    /// Whether the stand-in controller writes Gateway and route status.
    pub controller: bool,
    /// Whether `helm` is on PATH.
    pub helm_on_path: bool,
    /// Chart Ingresses removed by a stand-in upgrade, for re-enabling.
    removed_ingresses: BTreeMap<String, Vec<Value>>,
    /// Exit code the stand-in returns for the next upgrade (then 0 again).
    pub helm_fail_next: Option<i32>,
    /// `--probe-address` for `apply`; `None` passes `--no-probe`.
    pub probe_address: Option<String>,
    /// The testkit's stand-in cert-manager, when the cluster runs one: it issues Certificates,
    /// and the stand-in Gateway controller then programs a Gateway only once every secret its
    /// listeners name exists.
    pub cert_manager: Option<runai_gateway_testkit::certmanager::CertManager>,
    /// The testkit's stand-in external-dns, when the cluster runs one, with the DNS server it
    /// writes its records to: each reconcile is one sync pass, served at once.
    pub external_dns: Option<ExternalDnsStandIn>,
    /// Run the binary on a pseudo-terminal (`script`), stdout and stderr both in `Run::stdout`.
    pub terminal: bool,
}

/// external-dns and the DNS provider it writes to.
pub struct ExternalDnsStandIn {
    pub controller: runai_gateway_testkit::externaldns::ExternalDns,
    pub dns: dns::DnsServer,
    served: std::sync::Mutex<BTreeMap<String, Vec<String>>>,
}

impl ExternalDnsStandIn {
    /// The stand-in for `deployment`'s arguments, its first sync pass over `store` done (the
    /// records the cluster had before anything else happened).
    pub fn start<S: Store>(deployment: &Value, store: &S) -> ExternalDnsStandIn {
        let e = ExternalDnsStandIn {
            controller: runai_gateway_testkit::externaldns::ExternalDns::from_deployment(deployment),
            dns: dns::DnsServer::start(&[]),
            served: std::sync::Mutex::new(BTreeMap::new()),
        };
        e.sync(store);
        e
    }

    /// One sync pass; the DNS server changes only when the records did.
    pub fn sync<S: Store>(&self, store: &S) {
        let records = self.controller.sync(&|av, kind| store.list(av, kind, None));
        let mut served = self.served.lock().unwrap();
        if *served != records {
            self.dns.set(&records);
            *served = records;
        }
    }
}

impl Harness<TestServer> {
    pub fn new(fixture: &str) -> Harness {
        let server = TestServer::with_fixture(fixture);
        let (kubeconfig, home) = (server.kubeconfig_path(), server.scratch_dir().to_path_buf());
        Harness::with_store(server, kubeconfig, home)
    }
}

impl<S: Store> Harness<S> {
    /// The stand-ins around `store`, which `kubeconfig` reaches; `home` is the binary's `$HOME`.
    pub fn with_store(server: S, kubeconfig: PathBuf, home: PathBuf) -> Harness<S> {
        let bin_dir = tempfile::tempdir().unwrap();
        let helm = bin_dir.path().join("helm");
        std::fs::write(&helm, STANDIN).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Harness {
            server,
            kubeconfig,
            home,
            bin_dir,
            helm_calls: Vec::new(),
            controller: true,
            terminal: false,
            helm_on_path: true,
            removed_ingresses: BTreeMap::new(),
            helm_fail_next: None,
            probe_address: None,
            cert_manager: None,
            external_dns: None,
        }
    }

    pub fn kubeconfig(&self) -> String {
        self.kubeconfig.to_str().unwrap().to_owned()
    }

    /// `verb` with the input flags, `--kubeconfig`, `--dns-server dns` and `extra`.
    pub fn run(&mut self, verb: &str, dns: &str, extra: &[&str]) -> Run {
        let kubeconfig = self.kubeconfig();
        let mut args: Vec<&str> = vec![verb];
        args.extend(INPUT);
        args.extend(["--kubeconfig", &kubeconfig, "--dns-server", dns]);
        let probe = self.probe_address.clone();
        if verb == "apply" {
            match &probe {
                Some(address) => args.extend(["--probe-address", address.as_str()]),
                None => args.push("--no-probe"),
            }
        }
        args.extend(extra);
        self.run_raw(&args)
    }

    /// The binary with exactly `args`, serving helm requests and controller status meanwhile.
    pub fn run_raw(&mut self, args: &[&str]) -> Run {
        let dir = self.bin_dir.path().to_path_buf();
        let out_path = dir.join("stdout");
        let err_path = dir.join("stderr");
        let path = if self.helm_on_path {
            format!("{}:/usr/bin:/bin", dir.display())
        } else {
            "/usr/bin:/bin".to_owned()
        };
        let mut command = if self.terminal {
            let quote = |a: &str| format!("'{}'", a.replace('\'', "'\\''"));
            let line: Vec<String> = std::iter::once(BIN).chain(args.iter().copied()).map(quote).collect();
            let mut c = Command::new("/usr/bin/script");
            c.args(["-qec", &line.join(" "), "/dev/null"]);
            c
        } else {
            let mut c = Command::new(BIN);
            c.args(args);
            c
        };
        let mut child = command
            .env_remove("KUBECONFIG")
            .env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .env("PATH", path)
            .env("HELM_STANDIN_DIR", &dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("running the binary");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            self.serve_helm(&dir);
            if self.controller {
                self.reconcile();
            }
            assert!(start.elapsed() < Duration::from_secs(120), "the binary did not finish in 120s");
            std::thread::sleep(Duration::from_millis(20));
        };
        // Requests written just before exit (none expected, but never leave one unanswered).
        self.serve_helm(&dir);
        Run {
            code: status.code().unwrap_or(-1),
            stdout: std::fs::read_to_string(&out_path).unwrap(),
            stderr: std::fs::read_to_string(&err_path).unwrap(),
        }
    }

    fn serve_helm(&mut self, dir: &Path) {
        let mut requests: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "args"))
            .collect();
        requests.sort();
        for req in requests {
            let argv: Vec<String> =
                std::fs::read_to_string(&req).unwrap().lines().map(str::to_owned).collect();
            self.helm_calls.push(argv.clone());
            let code = match self.helm_fail_next.take() {
                Some(code) => code,
                None => match self.helm_upgrade(&argv) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("helm stand-in refused {argv:?}: {e}");
                        1
                    }
                },
            };
            // Written whole, then renamed: the stand-in must never read a `.done` still empty.
            std::fs::write(req.with_extension("done-tmp"), code.to_string()).unwrap();
            std::fs::rename(req.with_extension("done-tmp"), req.with_extension("done")).unwrap();
            std::fs::remove_file(&req).unwrap();
        }
    }

    /// `helm upgrade RELEASE CHART --namespace NS --reuse-values --version V [...] --set[-string] K=V...`.
    pub fn helm_upgrade(&mut self, argv: &[String]) -> Result<(), String> {
        if argv.first().map(String::as_str) != Some("upgrade") || argv.len() < 3 {
            return Err("only `helm upgrade RELEASE CHART` is emulated".into());
        }
        let release = &argv[1];
        let mut namespace = None;
        let mut version = None;
        let mut reuse = false;
        let mut sets: Vec<(String, Value)> = Vec::new();
        let mut i = 3;
        while i < argv.len() {
            let a = argv[i].as_str();
            let next = || argv.get(i + 1).cloned().ok_or_else(|| format!("{a} needs a value"));
            match a {
                "--namespace" | "-n" => namespace = Some(next()?),
                "--version" => version = Some(next()?),
                "--kubeconfig" | "--kube-context" => {
                    next()?;
                }
                "--reuse-values" => {
                    reuse = true;
                    i += 1;
                    continue;
                }
                "--set-string" | "--set" => {
                    let kv = next()?;
                    let (k, v) = kv.split_once('=').ok_or("K=V expected")?;
                    let value = if a == "--set" {
                        runai_gateway_core::state::typed_value(v)
                    } else {
                        Value::String(v.to_owned())
                    };
                    sets.push((k.to_owned(), value));
                }
                other => return Err(format!("unexpected argument {other}")),
            }
            i += 2;
        }
        let namespace = namespace.ok_or("no --namespace")?;
        if !reuse {
            return Err("without --reuse-values every other value would be reset".into());
        }
        let secrets = self.server.list("v1", "Secret", Some(&namespace));
        let deployed_secret = secrets
            .iter()
            .filter(|s| {
                s["metadata"]["labels"]["owner"] == "helm"
                    && s["metadata"]["labels"]["name"] == release.as_str()
            })
            .filter(|s| s["metadata"]["labels"]["status"] == "deployed")
            .max_by_key(|s| {
                s["metadata"]["labels"]["version"].as_str().unwrap_or("0").parse::<u32>().unwrap_or(0)
            })
            .cloned()
            .ok_or_else(|| format!("release {namespace}/{release} not found"))?;
        let mut old = HelmRelease::from_secret(&deployed_secret).map_err(|e| e.to_string())?;
        if version.as_deref() != Some(old.chart_version.as_str()) {
            return Err(format!("--version {version:?} is not the deployed chart {}", old.chart_version));
        }
        let mut new = old.clone();
        new.revision = old.revision + 1;
        new.status = "deployed".into();
        new.description = "Upgrade complete".into();
        for (k, v) in sets {
            runai_gateway_core::state::set(&mut new.values, &k, v);
        }
        old.status = "superseded".into();
        self.server.put(old.to_secret())?;
        self.server.put(new.to_secret())?;
        // What the chart does with `ingress.enabled`.
        let enabled = |v: &Value, key: &str| {
            runai_gateway_core::state::lookup(v, key).map(runai_gateway_core::state::as_flag_text)
        };
        let key = if new.values.get("clusterConfig").is_some() {
            "clusterConfig.global.ingress.enabled"
        } else {
            "global.ingress.enabled"
        };
        let release_key = format!("{namespace}/{release}");
        match enabled(&new.values, key).as_deref() {
            Some("false") => {
                let chart_ingresses: Vec<Value> = self
                    .server
                    .list("networking.k8s.io/v1", "Ingress", None)
                    .into_iter()
                    .filter(|i| {
                        i["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
                            && i["metadata"]["annotations"]["meta.helm.sh/release-name"] == release.as_str()
                    })
                    .collect();
                for i in &chart_ingresses {
                    self.server.remove(
                        "networking.k8s.io/v1",
                        "Ingress",
                        i["metadata"]["namespace"].as_str(),
                        i["metadata"]["name"].as_str().unwrap(),
                    );
                }
                self.removed_ingresses.entry(release_key).or_default().extend(chart_ingresses);
            }
            Some("true") => {
                for mut i in self.removed_ingresses.remove(&release_key).unwrap_or_default() {
                    i["apiVersion"] = json!("networking.k8s.io/v1");
                    i["kind"] = json!("Ingress");
                    as_rendered(&mut i);
                    self.server.put(i)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The stand-in Gateway controller: programs the Gateway, resolves its listeners, accepts
    /// every route attached to it.
    pub fn reconcile(&self) {
        if let Some(cm) = &self.cert_manager {
            cm.reconcile_with(&|av, kind| self.server.list(av, kind, None), &mut |obj| {
                self.server.put(obj).unwrap();
            });
        }
        let gws = self.server.list("gateway.networking.k8s.io/v1", "Gateway", None);
        for mut gw in gws {
            if gw["status"]["addresses"].is_array() {
                continue;
            }
            if self.cert_manager.is_some() && !self.secrets_exist(&gw) {
                continue;
            }
            let listeners: Vec<Value> = gw["spec"]["listeners"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|l| {
                    json!({
                        "name": l["name"],
                        "attachedRoutes": 1,
                        "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                        "conditions": [
                            {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
                            {"type": "Programmed", "status": "True", "reason": "Programmed", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
                            {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
                        ],
                    })
                })
                .collect();
            gw["status"] = json!({
                "addresses": [{"type": "IPAddress", "value": GATEWAY_IP}],
                "conditions": [
                    {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
                    {"type": "Programmed", "status": "True", "reason": "Programmed", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
                ],
                "listeners": listeners,
            });
            self.server.put(gw).unwrap();
        }
        for mut route in self.server.list("gateway.networking.k8s.io/v1", "HTTPRoute", None) {
            if route["status"]["parents"].is_array() {
                continue;
            }
            let parents: Vec<Value> = route["spec"]["parentRefs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    json!({
                        "parentRef": p,
                        "controllerName": "kgateway.dev/kgateway",
                        "conditions": [
                            {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
                            {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
                        ],
                    })
                })
                .collect();
            route["status"] = json!({ "parents": parents });
            self.server.put(route).unwrap();
        }
        if let Some(e) = &self.external_dns {
            e.sync(&self.server);
        }
    }
}

impl<S: Store> Harness<S> {
    /// Whether every secret the Gateway's listeners name exists.
    fn secrets_exist(&self, gw: &Value) -> bool {
        let ns = gw["metadata"]["namespace"].as_str().unwrap_or_default();
        let secrets = self.server.list("v1", "Secret", Some(ns));
        gw["spec"]["listeners"].as_array().into_iter().flatten().all(|l| {
            l["tls"]["certificateRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|r| secrets.iter().any(|s| s["metadata"]["name"] == r["name"]))
        })
    }
}

impl Harness<TestServer> {
    /// Every write request (create, update, patch, delete) so far, as `VERB resource ns/name`.
    /// Access reviews are questions, not writes, and are left out.
    pub fn writes(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .filter(|r| {
                matches!(r.verb.as_str(), "create" | "update" | "patch" | "delete" | "deletecollection")
            })
            // Access reviews and the run's lock (taken and released) change nothing.
            .filter(|r| !matches!(r.resource.as_deref(), Some("selfsubjectaccessreviews" | "leases")))
            .map(|r| {
                format!(
                    "{} {} {}/{}",
                    r.verb,
                    r.resource.clone().unwrap_or_default(),
                    r.namespace.clone().unwrap_or_default(),
                    r.name.clone().unwrap_or_default()
                )
            })
            .collect()
    }
}

impl<S: Store> Harness<S> {
    /// The stored objects, without the fields the server sets and the Helm release secrets.
    pub fn objects(&self) -> BTreeMap<String, Value> {
        let kinds = [
            ("v1", "Namespace"),
            ("v1", "Secret"),
            ("v1", "ConfigMap"),
            ("v1", "Service"),
            ("networking.k8s.io/v1", "Ingress"),
            ("gateway.networking.k8s.io/v1", "Gateway"),
            ("gateway.networking.k8s.io/v1", "HTTPRoute"),
            ("gateway.networking.k8s.io/v1", "GatewayClass"),
            ("gateway.kgateway.dev/v1alpha1", "HTTPListenerPolicy"),
            ("operator.knative.dev/v1beta1", "KnativeServing"),
            ("run.ai/v1", "RunaiConfig"),
        ];
        let mut out = BTreeMap::new();
        for (av, kind) in kinds {
            for mut o in self.server.list(av, kind, None) {
                if o["type"] == "helm.sh/release.v1" {
                    continue;
                }
                if let Some(m) = o["metadata"].as_object_mut() {
                    for k in ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"] {
                        m.remove(k);
                    }
                }
                let key = format!(
                    "{kind} {}/{}",
                    o["metadata"]["namespace"].as_str().unwrap_or_default(),
                    o["metadata"]["name"].as_str().unwrap_or_default()
                );
                out.insert(key, o);
            }
        }
        out
    }

    /// The deployed values of a release.
    pub fn release_values(&self, namespace: &str, release: &str) -> (u32, String, Value) {
        let rel = self
            .server
            .list("v1", "Secret", Some(namespace))
            .into_iter()
            .filter(|s| {
                s["metadata"]["labels"]["name"] == release && s["metadata"]["labels"]["status"] == "deployed"
            })
            .map(|s| HelmRelease::from_secret(&s).unwrap())
            .max_by_key(|r| r.revision)
            .unwrap();
        (rel.revision, rel.chart_version, rel.values)
    }
}

/// An HTTPS server standing in for the Gateway's data plane: one certificate for every Run:ai
/// hostname, issued by a fresh CA that replaces the cluster's `runai-ca-cert`.
pub fn gateway_https(h: &Harness<TestServer>, hosts: &[&str], status: u16) -> tls::TlsServer {
    let pki = runai_gateway_testkit::certs::TestPki::generate().unwrap();
    let leaf = pki.issue(&runai_gateway_testkit::certs::LeafSpec::for_hosts(hosts.iter().copied())).unwrap();
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(pki.root.cert_pem());
    let mut secret = h.server.get("v1", "Secret", Some("runai"), "runai-ca-cert").unwrap();
    secret["data"]["runai-ca.pem"] = json!(ca);
    h.server.put(secret).unwrap();
    tls::TlsServer::start(&leaf.chain_pem, &leaf.key_pem, status)
}

/// A DNS server that answers every Run:ai name with `ip`.
///
/// NB: the server binds UDP on a free port, then TCP on the same port, which another test may
/// have taken in between; a few attempts make that race harmless.
pub fn dns_at(ip: &str) -> dns::DnsServer {
    let records =
        [("runai.example.com", ip), ("*.runai.example.com", ip), ("*.runai-inference.example.com", ip)];
    dns::DnsServer::start(&records)
}

/// `obj` as its chart renders it: without the annotations other field managers added (Helm
/// re-creates an object from the chart's template, not from what was last stored), and without
/// their `managedFields`.
fn as_rendered(obj: &mut Value) {
    let entries = obj["metadata"]["managedFields"].as_array().cloned().unwrap_or_default();
    for e in entries.iter().filter(|e| e["manager"] != "helm") {
        let owned = e["fieldsV1"]["f:metadata"]["f:annotations"].as_object().cloned().unwrap_or_default();
        if let Some(a) = obj["metadata"]["annotations"].as_object_mut() {
            for key in owned.keys() {
                a.remove(key.trim_start_matches("f:"));
            }
        }
    }
    if let Some(m) = obj["metadata"].as_object_mut() {
        m.remove("managedFields");
        if m.get("annotations").and_then(Value::as_object).is_some_and(serde_json::Map::is_empty) {
            m.remove("annotations");
        }
    }
}

/// The objects that differ between two snapshots, field by field (keys present in one only, too).
pub fn differences(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => out.push(format!("{k}: gone")),
            Some(a) if a != v => {
                for c in runai_gateway_core::diff::diff(v, Some(a)) {
                    out.push(format!("{k} {}: {:?} -> {}", c.path, c.before, c.after));
                }
                for c in runai_gateway_core::diff::diff(a, Some(v)) {
                    out.push(format!("{k} {} (after): {}", c.path, c.after));
                }
            }
            Some(_) => {}
        }
    }
    for k in after.keys() {
        if !before.contains_key(k) {
            out.push(format!("{k}: new"));
        }
    }
    out
}
