//! Fixtures: folders of YAML under `tests/fixtures/<name>/`, loaded in file-name
//! order, with overlays and generator documents.
//!
//! An **overlay** folder has an `overlay.yaml`:
//!
//! ```yaml
//! base: ../gateway-prepared          # folder to start from (relative to this one)
//! delete:                            # documents to drop from the base
//!   - {kind: Ingress, namespace: runai, name: runai-cluster-domain-star-ingress}
//! patches:                           # JSON merge patches (RFC 7386) onto base documents
//!   - target: {kind: TlsSecret, namespace: runai, name: runai-cluster-domain-tls-secret}
//!     merge: {spec: {validity: Expired}}
//! ```
//!
//! and any other `*.yaml` in it adds documents or replaces base documents with
//! the same kind, namespace and name.
//!
//! **Generator documents** (`apiVersion: testkit.runai-gateway.dev/v1`) are
//! expanded after overlays are applied, so overlays can patch them:
//! - `TlsSecret`: a `kubernetes.io/tls` Secret with a certificate generated at load time
//!   by the fixture's test PKI, valid relative to the fixture's clock (`spec.hosts`, `spec.validity`
//!   `Valid|Expired|NotYetValid`, `spec.expiresInDays`, `spec.keyMismatch`,
//!   `spec.omitChain`; `spec.keyText` puts that text in `tls.key` instead of the key). No key is
//!   ever committed.
//! - `CaSecret`: an Opaque Secret holding the PKI's root CA under `spec.key`.
//! - `HelmRelease`: a `helm.sh/release.v1` Secret encoded like Helm 3
//!   (`spec.revision`, `spec.status`, `spec.chart{name,version,appVersion}`,
//!   `spec.values`, `spec.chartValues`, `spec.manifest`, `spec.description`; broken releases:
//!   `spec.manifestPadding: N` pads the manifest with N bytes before compression (a release over
//!   the readers' decompression cap that stays small on the wire), `spec.storedRelease` stores
//!   that text instead of Helm's encoding).
//! - `GatewayApiCrds`: the upstream Gateway API CRDs, read at load time from
//!   the shared test data (`spec.files` to pick some; default all).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::certs::{CertClock, LeafSpec, TestPki, Validity};
use crate::helm::HelmRelease;

/// The apiVersion of generator documents.
pub const GENERATOR_API_VERSION: &str = "testkit.runai-gateway.dev/v1";

/// Errors loading a fixture.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// A file could not be read.
    #[error("reading {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A file was not valid YAML.
    #[error("parsing {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// An overlay referred to something that is not there.
    #[error("overlay {path}: {message}")]
    Overlay {
        /// The overlay file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The Gateway API CRDs are not where the fixtures read them from.
    #[error(
        "the Gateway API v1.4.0 CRDs are not in {dir}: {source}. The fixtures read the upstream \
         standard-channel CRD files (config/crd/standard/*.yaml) from `../shared/testdata/gateway-api` \
         beside the checkout, or from `$RUNAI_GATEWAY_SHARED_TESTDATA/gateway-api`. \
         Run `./scripts/test.sh`, which downloads and checks them when neither exists, \
         or set RUNAI_GATEWAY_SHARED_TESTDATA to a folder holding `gateway-api/`"
    )]
    CrdsMissing {
        /// The folder looked in.
        dir: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A generator document could not be expanded.
    #[error("generating {what}: {message}")]
    Generate {
        /// `kind namespace/name`.
        what: String,
        /// Why.
        message: String,
    },
}

/// A loaded fixture: the objects to seed and the PKI that signed its certificates.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The folder name (or `"empty"`).
    pub name: String,
    /// Expanded Kubernetes objects.
    pub objects: Vec<Value>,
    pki: Arc<TestPki>,
}

/// `tests/fixtures/` of this workspace.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("fixtures")
}

/// The shared test data folder beside the checkout (`../shared/testdata` of the
/// workspace root), or `RUNAI_GATEWAY_SHARED_TESTDATA` when set.
pub fn shared_testdata_dir() -> PathBuf {
    match std::env::var_os("RUNAI_GATEWAY_SHARED_TESTDATA") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
    }
}

/// The upstream Gateway API v1.4.0 folder in the shared test data.
pub fn gateway_api_dir() -> PathBuf {
    shared_testdata_dir().join("gateway-api")
}

fn read(path: &Path) -> Result<String, FixtureError> {
    std::fs::read_to_string(path).map_err(|source| FixtureError::Read { path: path.to_path_buf(), source })
}

/// Parse a (multi-document) YAML file into JSON values, skipping empty documents.
pub fn parse_yaml_documents(path: &Path) -> Result<Vec<Value>, FixtureError> {
    let text = read(path)?;
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text)
        .map_err(|e| FixtureError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
    Ok(docs.into_iter().filter(|d| d.is_object()).collect())
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| FixtureError::Read { path: dir.to_path_buf(), source })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Whether a document matches an overlay target (`kind`, `name`, optional
/// `namespace`, `apiVersion`, and `revision` for `HelmRelease`).
fn matches_target(doc: &Value, target: &Value) -> bool {
    let field = |v: &Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let eq = |tp: &str, dp: &str| {
        let t = field(target, tp);
        t.is_null() || t == field(doc, dp)
    };
    !field(target, "/kind").is_null()
        && eq("/kind", "/kind")
        && eq("/name", "/metadata/name")
        && eq("/namespace", "/metadata/namespace")
        && eq("/apiVersion", "/apiVersion")
        && eq("/revision", "/spec/revision")
}

fn identity(doc: &Value) -> Value {
    json!({
        "kind": doc["kind"],
        "name": doc.pointer("/metadata/name"),
        "namespace": doc.pointer("/metadata/namespace"),
        "revision": doc.pointer("/spec/revision"),
    })
}

fn load_raw(dir: &Path, depth: usize) -> Result<Vec<Value>, FixtureError> {
    let overlay = dir.join("overlay.yaml");
    let mut docs = Vec::new();
    if overlay.exists() {
        if depth > 16 {
            return Err(FixtureError::Overlay {
                path: overlay,
                message: "overlay bases nest too deep".into(),
            });
        }
        let spec = parse_yaml_documents(&overlay)?.into_iter().next().unwrap_or_default();
        let oerr = |m: String| FixtureError::Overlay { path: overlay.clone(), message: m };
        let base = spec["base"].as_str().ok_or_else(|| oerr("missing `base`".into()))?;
        docs = load_raw(&dir.join(base), depth + 1)?;
        for target in spec["delete"].as_array().cloned().unwrap_or_default() {
            let before = docs.len();
            docs.retain(|d| !matches_target(d, &target));
            if docs.len() == before {
                return Err(oerr(format!("delete target {target} matches nothing in the base")));
            }
        }
        for patch in spec["patches"].as_array().cloned().unwrap_or_default() {
            let target = &patch["target"];
            let mut hit = false;
            for d in docs.iter_mut().filter(|d| matches_target(d, target)) {
                crate::patch::merge_patch(d, &patch["merge"]);
                hit = true;
            }
            if !hit {
                return Err(oerr(format!("patch target {target} matches nothing in the base")));
            }
        }
    }
    for file in yaml_files(dir)? {
        if file == overlay {
            continue;
        }
        for doc in parse_yaml_documents(&file)? {
            let id = identity(&doc);
            match docs.iter_mut().find(|d| identity(d) == id) {
                Some(existing) => *existing = doc,
                None => docs.push(doc),
            }
        }
    }
    Ok(docs)
}

impl Fixture {
    /// A fixture with no objects (a cluster with only the built-in types).
    pub fn empty() -> Result<Fixture, FixtureError> {
        Ok(Fixture {
            name: "empty".into(),
            objects: Vec::new(),
            pki: Arc::new(new_pki(CertClock::system())?),
        })
    }

    /// Load `tests/fixtures/<name>` (`name` may contain `/`, e.g. `broken/expired-cert`), its
    /// certificates issued by the real clock: for tests whose code under test reads the clock.
    pub fn load(name: &str) -> Result<Fixture, FixtureError> {
        Fixture::load_at(name, CertClock::system())
    }

    /// Load `tests/fixtures/<name>` with its certificates issued relative to `clock`: evaluate it
    /// at [`Fixture::now`] and the verdicts are the same on any date.
    pub fn load_at(name: &str, clock: CertClock) -> Result<Fixture, FixtureError> {
        let mut f = Fixture::load_dir_at(&fixtures_dir().join(name), clock)?;
        f.name = name.into();
        Ok(f)
    }

    /// Load a fixture from any folder, by the real clock.
    pub fn load_dir(dir: &Path) -> Result<Fixture, FixtureError> {
        Fixture::load_dir_at(dir, CertClock::system())
    }

    /// Load a fixture from any folder, its certificates issued relative to `clock`.
    pub fn load_dir_at(dir: &Path, clock: CertClock) -> Result<Fixture, FixtureError> {
        let raw = load_raw(dir, 0)?;
        let pki = new_pki(clock)?;
        let mut objects = Vec::new();
        for doc in raw {
            objects.extend(expand(doc, &pki)?);
        }
        Ok(Fixture {
            name: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            objects,
            pki: Arc::new(pki),
        })
    }

    /// Add (or replace, by kind/namespace/name) objects; generator documents are expanded.
    pub fn with(mut self, docs: impl IntoIterator<Item = Value>) -> Result<Fixture, FixtureError> {
        for doc in docs {
            for obj in expand(doc, &self.pki)? {
                let id = identity(&obj);
                match self.objects.iter_mut().find(|d| identity(d) == id) {
                    Some(e) => *e = obj,
                    None => self.objects.push(obj),
                }
            }
        }
        Ok(self)
    }

    /// The object with this kind, namespace and name.
    pub fn find(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Value> {
        self.objects.iter().find(|o| {
            o["kind"] == json!(kind)
                && o.pointer("/metadata/name") == Some(&json!(name))
                && namespace.is_none_or(|n| o.pointer("/metadata/namespace") == Some(&json!(n)))
        })
    }

    /// The clock the fixture's certificates were issued by.
    pub fn clock(&self) -> CertClock {
        self.pki.root.clock()
    }

    /// The instant to evaluate the fixture at, in Unix seconds (`--now`, `diagnose`).
    pub fn now(&self) -> i64 {
        self.clock().unix()
    }

    /// The root CA PEM that issued the fixture's certificates.
    pub fn ca_pem(&self) -> &str {
        self.pki.root.cert_pem()
    }

    /// The fixture's PKI, for issuing more certificates in a test.
    pub fn pki(&self) -> &TestPki {
        &self.pki
    }
}

fn new_pki(clock: CertClock) -> Result<TestPki, FixtureError> {
    TestPki::generate_at(clock)
        .map_err(|e| FixtureError::Generate { what: "test PKI".into(), message: e.to_string() })
}

fn what(doc: &Value) -> String {
    format!(
        "{} {}/{}",
        doc["kind"].as_str().unwrap_or_default(),
        doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default(),
        doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
    )
}

fn secret_meta(doc: &Value) -> Value {
    let mut meta = json!({
        "name": doc.pointer("/metadata/name"),
        "namespace": doc.pointer("/metadata/namespace"),
    });
    for k in ["labels", "annotations"] {
        if let Some(v) = doc.pointer(&format!("/metadata/{k}")) {
            meta[k] = v.clone();
        }
    }
    meta
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Expand a generator document into Kubernetes objects (other documents pass through).
fn expand(doc: Value, pki: &TestPki) -> Result<Vec<Value>, FixtureError> {
    if doc["apiVersion"] != json!(GENERATOR_API_VERSION) {
        return Ok(vec![doc]);
    }
    let gen_err = |m: String| FixtureError::Generate { what: what(&doc), message: m };
    let spec = &doc["spec"];
    match doc["kind"].as_str().unwrap_or_default() {
        "TlsSecret" => {
            let hosts: Vec<String> = spec["hosts"]
                .as_array()
                .map(|a| a.iter().filter_map(|h| h.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let validity = match (spec["validity"].as_str(), spec["expiresInDays"].as_i64()) {
                (_, Some(d)) => Validity::ExpiresInDays(d),
                (Some("Expired"), _) => Validity::Expired,
                (Some("NotYetValid"), _) => Validity::NotYetValid,
                (None | Some("Valid"), _) => Validity::Valid,
                (Some(other), _) => return Err(gen_err(format!("unknown validity {other:?}"))),
            };
            let leaf = LeafSpec {
                hosts,
                validity,
                key_mismatch: spec["keyMismatch"].as_bool().unwrap_or(false),
                omit_chain: spec["omitChain"].as_bool().unwrap_or(false),
            };
            let cert = pki.issue(&leaf).map_err(|e| gen_err(e.to_string()))?;
            let key = spec["keyText"].as_str().unwrap_or(&cert.key_pem);
            Ok(vec![json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": secret_meta(&doc),
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": b64(&cert.chain_pem), "tls.key": b64(key)},
            })])
        }
        "CaSecret" => {
            let key = spec["key"].as_str().unwrap_or("ca.crt");
            Ok(vec![json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": secret_meta(&doc),
                "type": "Opaque",
                "data": {key: b64(pki.root.cert_pem())},
            })])
        }
        "HelmRelease" => {
            let s = |p: &str| spec.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
            let rel = HelmRelease {
                name: doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().into(),
                namespace: doc
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into(),
                revision: spec["revision"].as_u64().and_then(|r| u32::try_from(r).ok()).unwrap_or(1),
                status: spec["status"].as_str().unwrap_or("deployed").into(),
                chart_name: s("/chart/name"),
                chart_version: s("/chart/version"),
                app_version: s("/chart/appVersion"),
                values: spec.get("values").cloned().unwrap_or_else(|| json!({})),
                chart_values: spec.get("chartValues").cloned().unwrap_or_else(|| json!({})),
                manifest: s("/manifest"),
                deployed_at: spec["deployedAt"].as_str().unwrap_or("2025-06-02T09:14:11.318127512Z").into(),
                description: spec["description"].as_str().unwrap_or("Install complete").into(),
            };
            if rel.chart_name.is_empty() || rel.chart_version.is_empty() {
                return Err(gen_err("spec.chart.name and spec.chart.version are required".into()));
            }
            let mut rel = rel;
            if let Some(n) = spec["manifestPadding"].as_u64().and_then(|n| usize::try_from(n).ok()) {
                rel.manifest.push_str(&" ".repeat(n));
            }
            let mut secret = rel.to_secret();
            if let Some(stored) = spec["storedRelease"].as_str() {
                secret["data"]["release"] = json!(b64(stored));
            }
            Ok(vec![secret])
        }
        "GatewayApiCrds" => {
            let dir = gateway_api_dir();
            if let Err(source) = std::fs::read_dir(&dir) {
                return Err(FixtureError::CrdsMissing { dir: dir.display().to_string(), source });
            }
            let wanted: Option<Vec<String>> = spec["files"]
                .as_array()
                .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_string)).collect());
            let mut out = Vec::new();
            for file in yaml_files(&dir)? {
                let fname = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if wanted.as_ref().is_some_and(|w| !w.contains(&fname)) {
                    continue;
                }
                out.extend(
                    parse_yaml_documents(&file)?
                        .into_iter()
                        .filter(|d| d["kind"] == json!("CustomResourceDefinition")),
                );
            }
            if out.is_empty() {
                return Err(gen_err(format!("no CRDs found in {}", dir.display())));
            }
            Ok(out)
        }
        other => Err(gen_err(format!("unknown generator kind {other:?}"))),
    }
}
