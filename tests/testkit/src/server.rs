//! The HTTPS front end: TLS on 127.0.0.1, bearer-token authentication, a
//! kubeconfig file, and the hand-off to [`crate::api::State`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::Value;

use crate::api::{ApiRequest, Fault, FaultAction, RequestRecord, State};
use crate::certs::{LeafSpec, TestCa};
use crate::fixture::Fixture;
use crate::rbac::Rule;

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Certificate generation failed.
    #[error(transparent)]
    Cert(#[from] crate::certs::CertError),
    /// TLS configuration failed.
    #[error("configuring TLS: {0}")]
    Tls(String),
    /// Binding, spawning or writing the kubeconfig failed.
    #[error("starting the test server: {0}")]
    Io(#[from] std::io::Error),
    /// A fixture object could not be stored.
    #[error("seeding fixture object {object}: {message}")]
    Seed {
        /// `kind namespace/name` of the object.
        object: String,
        /// Why.
        message: String,
    },
}

/// A running test API server. Stops (and removes its kubeconfig) when dropped.
pub struct TestServer {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    kubeconfig_yaml: String,
    dir: PathBuf,
    ca_pem: String,
    token: String,
    fixture_ca_pem: String,
    now: i64,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// The user the kubeconfig authenticates as (used in RBAC messages).
pub const TEST_USER: &str = "test-user";

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}
impl std::error::Error for Dropped {}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not take every later request down with it.
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TestServer {
    /// Start a server loaded with `fixture`. Runs on its own thread and tokio
    /// runtime, so it works from plain `#[test]`s and from `#[tokio::test]`s alike.
    pub fn start(fixture: &Fixture) -> Result<TestServer, ServerError> {
        let mut state = State::new(TEST_USER);
        // CRDs first so their kinds exist, then namespaces, then everything else.
        let rank = |o: &Value| match o["kind"].as_str() {
            Some("CustomResourceDefinition") => 0,
            Some("Namespace") => 1,
            _ => 2,
        };
        let mut objects: Vec<&Value> = fixture.objects.iter().collect();
        objects.sort_by_key(|o| rank(o));
        for o in objects {
            state.seed(o.clone()).map_err(|e| ServerError::Seed {
                object: format!(
                    "{} {}/{}",
                    o["kind"].as_str().unwrap_or_default(),
                    o.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default(),
                    o.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
                ),
                message: e.message,
            })?;
        }
        TestServer::start_with_state(state, fixture.ca_pem().to_string(), fixture.now())
    }

    /// Start a server loaded with the named fixture folder (see [`Fixture::load`]).
    ///
    /// # Panics
    /// If the fixture cannot be loaded or the server cannot start: this is test
    /// infrastructure, and a panic with the reason is the most useful outcome.
    pub fn with_fixture(name: &str) -> TestServer {
        let fixture = Fixture::load(name).unwrap_or_else(|e| panic!("loading fixture {name}: {e}"));
        TestServer::start(&fixture).unwrap_or_else(|e| panic!("starting test server: {e}"))
    }

    fn start_with_state(
        mut state: State,
        fixture_ca_pem: String,
        now: i64,
    ) -> Result<TestServer, ServerError> {
        let ca = TestCa::new_root("runai-gateway testkit apiserver CA")?;
        let serving = ca.issue(&LeafSpec::for_hosts(["127.0.0.1", "localhost"]))?;
        let tls = tls_config(&serving.chain_pem, &serving.key_pem)?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        state.address = addr.to_string();
        let token = format!("{:016x}{:016x}", rand_u64(1), rand_u64(2));
        let state = Arc::new(Mutex::new(state));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread_state = state.clone();
        let thread_token = token.clone();
        let thread = std::thread::Builder::new().name(format!("testkit-apiserver-{}", addr.port())).spawn(
            move || {
                let Ok(rt) =
                    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
                else {
                    return;
                };
                rt.block_on(serve(listener, tls, thread_state, thread_token, rx));
                rt.shutdown_timeout(Duration::from_millis(200));
            },
        )?;
        let dir = std::env::temp_dir().join(format!(
            "runai-gateway-testkit-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir)?;
        let kubeconfig_yaml = kubeconfig(&addr, ca.cert_pem(), &token);
        std::fs::write(dir.join("kubeconfig"), &kubeconfig_yaml)?;
        Ok(TestServer {
            state,
            addr,
            kubeconfig_yaml,
            dir,
            ca_pem: ca.cert_pem().to_string(),
            token,
            fixture_ca_pem,
            now,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Path of the written kubeconfig (context `runai-gateway-test`, namespace `default`).
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// The kubeconfig's YAML text.
    pub fn kubeconfig_yaml(&self) -> &str {
        &self.kubeconfig_yaml
    }

    /// PEM of the CA that signed the server's serving certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The bearer token the server accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The instant the fixture's certificates were issued for, in Unix seconds: the `--now` to
    /// evaluate this server's cluster at.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// PEM of the root CA that issued the fixture's TLS Secrets (what `runai-ca-cert` holds).
    pub fn fixture_ca_pem(&self) -> &str {
        &self.fixture_ca_pem
    }

    /// Directory for scratch files of this server (removed on drop).
    pub fn scratch_dir(&self) -> &Path {
        &self.dir
    }

    /// Read a stored object (`api_version` like `gateway.networking.k8s.io/v1`).
    pub fn get(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let st = lock(&self.state);
        let rt = st.type_for_kind(api_version, kind)?;
        st.read(&rt, namespace.unwrap_or_default(), name)
    }

    /// List stored objects of a kind, in one namespace or all (`None`).
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let st = lock(&self.state);
        let Some(rt) = st.type_for_kind(api_version, kind) else { return Vec::new() };
        st.objects
            .iter()
            .filter(|((g, p, ns, _), _)| {
                *g == rt.group && *p == rt.plural && namespace.is_none_or(|n| n == ns)
            })
            .filter_map(|((_, _, ns, name), _)| st.read(&rt, ns, name))
            .collect()
    }

    /// Store an object directly (status included, no validation, RBAC or faults),
    /// as a controller or a test setup step would leave it. Server-maintained
    /// metadata is filled in; the stored object is returned.
    pub fn put(&self, obj: Value) -> Result<Value, crate::status::ApiError> {
        lock(&self.state).seed(obj)
    }

    /// Remove an object directly. Returns it if it existed.
    pub fn remove(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let mut st = lock(&self.state);
        let rt = st.type_for_kind(api_version, kind)?;
        let key = (
            rt.group.clone(),
            rt.plural.clone(),
            if rt.namespaced { namespace.unwrap_or_default().to_string() } else { String::new() },
            name.to_string(),
        );
        let out = st.objects.remove(&key);
        if out.is_some() {
            st.rv += 1;
            if rt.plural == "customresourcedefinitions" {
                st.rebuild_types();
            }
        }
        out
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state).requests.clone()
    }

    /// How many requests had `verb` on `resource` (plural), e.g. `("list", "gateways")`.
    pub fn count(&self, verb: &str, resource: &str) -> usize {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.verb == verb && r.resource.as_deref() == Some(resource))
            .count()
    }

    /// Stores many objects at once, as [`TestServer::put`] does one (the seeding of large
    /// clusters: one lock for all). Stops at the first that cannot be stored.
    ///
    /// # Errors
    /// The object that could not be stored, and why.
    pub fn seed_all(
        &self,
        objects: impl IntoIterator<Item = Value>,
    ) -> Result<usize, crate::status::ApiError> {
        let mut state = lock(&self.state);
        let mut n = 0;
        for o in objects {
            state.seed(o)?;
            n += 1;
        }
        Ok(n)
    }

    /// Bytes of every answer recorded since the last [`TestServer::clear_requests`], decoded.
    pub fn bytes_served(&self) -> usize {
        lock(&self.state).requests.iter().map(|r| r.bytes).sum()
    }

    /// [`TestServer::bytes_served`] as they went over the wire (gzip-compressed where asked).
    pub fn wire_bytes_served(&self) -> usize {
        lock(&self.state).requests.iter().map(|r| r.wire_bytes).sum()
    }

    /// Freezes the watch cache: `resourceVersion=0` lists no longer see later writes (a lagging
    /// cache), while lists without a `resourceVersion` do.
    pub fn freeze_watch_cache(&self) {
        lock(&self.state).freeze_watch_cache();
    }

    /// The watch cache catches up with storage.
    pub fn sync_watch_cache(&self) {
        lock(&self.state).sync_watch_cache();
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }

    /// Add a fault; the first matching fault wins.
    pub fn inject(&self, fault: Fault) {
        lock(&self.state).faults.push(fault);
    }

    /// Remove all faults.
    pub fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    /// Restrict the user to `rules` (403 on everything else, answered the same
    /// way by SelfSubjectAccessReview). `None` restores allow-all.
    pub fn set_rules(&self, rules: Option<Vec<Rule>>) {
        lock(&self.state).rules = rules;
    }

    /// The current (last issued) resourceVersion.
    pub fn resource_version(&self) -> u64 {
        lock(&self.state).rv
    }

    /// `spec.versions` of a CRD's served kinds the CEL engine cannot enforce
    /// (empty when every rule of the type is evaluated).
    pub fn unsupported_cel_rules(&self, api_version: &str, kind: &str) -> Vec<String> {
        let st = lock(&self.state);
        st.type_for_kind(api_version, kind)
            .map(|rt| crate::cel_rules::CompiledRules::compile(rt.schema.as_deref()).unsupported().to_vec())
            .unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_u64(salt: u64) -> u64 {
    let s = std::collections::hash_map::RandomState::new();
    std::hash::BuildHasher::hash_one(&s, (salt, std::time::SystemTime::now()))
}

fn kubeconfig(addr: &SocketAddr, ca_pem: &str, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: runai-gateway-test\n  cluster:\n    server: https://{addr}\n    certificate-authority-data: {}\ncontexts:\n- name: runai-gateway-test\n  context:\n    cluster: runai-gateway-test\n    user: {TEST_USER}\n    namespace: default\ncurrent-context: runai-gateway-test\nusers:\n- name: {TEST_USER}\n  user:\n    token: {token}\n",
        STANDARD.encode(ca_pem)
    )
}

fn tls_config(chain_pem: &str, key_pem: &str) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    let certs = rustls_pemfile::certs(&mut chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .ok_or_else(|| ServerError::Tls("no private key".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

async fn serve(
    listener: std::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: Arc<Mutex<State>>,
    token: String,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let conn = tokio::select! {
            _ = &mut shutdown => return,
            c = listener.accept() => c,
        };
        let Ok((tcp, _)) = conn else { continue };
        let acceptor = acceptor.clone();
        let state = state.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else { return };
            let svc = hyper::service::service_fn(move |req| handle(state.clone(), token.clone(), req));
            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
        });
    }
}

/// Answers larger than this are gzip-compressed when the client accepts gzip, as a
/// kube-apiserver does (`APIResponseCompression`, beta and on by default since 1.16: the
/// apiserver's `defaultGzipThresholdBytes`, compared with the size of the serialized answer).
pub const GZIP_THRESHOLD_BYTES: usize = 128 * 1024;

/// Whether an `Accept-Encoding` value accepts gzip (a `q=0` refuses it).
fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused =
            parts.any(|p| p.replace(' ', "").strip_prefix("q=").is_some_and(|q| q.parse::<f64>() == Ok(0.0)));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// gzip at level 1, the kube-apiserver's `defaultGzipContentEncodingLevel`.
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut enc =
        flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    enc.write_all(bytes).ok()?;
    enc.finish().ok()
}

/// A JSON answer; gzip-compressed when `gzip_ok` and larger than [`GZIP_THRESHOLD_BYTES`].
/// Also returns the decoded size.
fn encoded_response(code: u16, body: &Value, gzip_ok: bool) -> (Response<Full<Bytes>>, usize) {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let decoded = bytes.len();
    let compressed = if gzip_ok && decoded > GZIP_THRESHOLD_BYTES { gzip(&bytes) } else { None };
    let gzipped = compressed.is_some();
    let mut resp = Response::new(Full::new(Bytes::from(compressed.unwrap_or(bytes))));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    if gzipped {
        headers.insert(hyper::header::CONTENT_ENCODING, hyper::header::HeaderValue::from_static("gzip"));
        headers.insert(hyper::header::VARY, hyper::header::HeaderValue::from_static("Accept-Encoding"));
    }
    (resp, decoded)
}

fn json_response(code: u16, body: &Value) -> Response<Full<Bytes>> {
    encoded_response(code, body, false).0
}

async fn handle(
    state: Arc<Mutex<State>>,
    token: String,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let header = |name: hyper::header::HeaderName| {
        parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    };
    if header(hyper::header::AUTHORIZATION) != format!("Bearer {token}") {
        return Ok(json_response(401, &crate::status::ApiError::unauthorized().to_status()));
    }
    let api_req = ApiRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        content_type: header(hyper::header::CONTENT_TYPE),
        body: body.to_vec(),
        user_agent: header(hyper::header::USER_AGENT),
        accept: header(hyper::header::ACCEPT),
    };
    let (fault, seq) = {
        let mut s = lock(&state);
        let fault = s.admit(&api_req);
        (fault, s.requests.last().map_or(0, |r| r.seq))
    };
    match fault {
        Some(FaultAction::Drop) => return Err(Dropped),
        Some(FaultAction::Status(code)) => {
            let e = crate::status::ApiError::injected(code, format!("injected fault: {code}"));
            return Ok(json_response(code, &e.to_status()));
        }
        Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultAction::LoseAnswer) => {
            let _ = lock(&state).execute(&api_req);
            return Err(Dropped);
        }
        None => {}
    }
    let (code, body) = lock(&state).execute(&api_req);
    let gzip_ok = accepts_gzip(&header(hyper::header::ACCEPT_ENCODING));
    let (resp, decoded) = encoded_response(code, &body, gzip_ok);
    drop(body);
    let wire = hyper::body::Body::size_hint(resp.body()).exact().unwrap_or(0) as usize;
    lock(&state).record_bytes(seq, decoded, wire);
    Ok(resp)
}
