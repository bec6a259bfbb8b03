//! The Kubernetes reads and writes of `apply` and `rollback`, blocking, over kube's client.
//!
//! Every write is a server-side apply (field manager `runai-gateway`), a create or a delete, by
//! raw path: the objects are the plan's JSON, so no typed client is needed. `dryRun=All` is added
//! to every write in `--dry-run=server`.

use std::time::Duration;

use kube::{Client, Config};
use runai_gateway_core::manifests::FIELD_MANAGER;
use runai_gateway_core::state::ObjectRef;
use serde_json::{Value, json};

use crate::kube_args::KubeArgs;

/// Why one request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with a `Status`.
    Status {
        /// HTTP code.
        code: u16,
        /// `reason` (`Conflict`, `Forbidden`).
        reason: String,
        /// The server's message.
        message: String,
    },
    /// No answer: connection lost, refused, or `--request-timeout` passed.
    Transport(String),
}

impl Failure {
    /// Whether this is a server-side apply conflict (409 `Conflict` on a PATCH).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Failure::Status { code: 409, .. })
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Status { code, reason, message } => write!(f, "HTTP {code} {reason}: {message}"),
            Failure::Transport(m) => write!(f, "no answer: {m}"),
        }
    }
}

/// The plural resource name and whether the kind is namespaced, for the kinds this tool writes.
pub fn resource(api_version: &str, kind: &str) -> Option<&'static str> {
    Some(match (api_version, kind) {
        ("v1", "ConfigMap") => "configmaps",
        ("v1", "Secret") => "secrets",
        ("gateway.networking.k8s.io/v1", "Gateway") => "gateways",
        ("gateway.networking.k8s.io/v1", "HTTPRoute") => "httproutes",
        ("operator.knative.dev/v1beta1", "KnativeServing") => "knativeservings",
        ("gateway.kgateway.dev/v1alpha1", "HTTPListenerPolicy") => "httplistenerpolicies",
        ("networking.k8s.io/v1", "Ingress") => "ingresses",
        _ => return None,
    })
}

/// `/api/v1` or `/apis/<group>/<version>`.
fn prefix(api_version: &str) -> String {
    if api_version.contains('/') { format!("/apis/{api_version}") } else { format!("/api/{api_version}") }
}

/// The path of a namespaced collection.
pub fn collection(api_version: &str, plural: &str, namespace: &str) -> String {
    format!("{}/namespaces/{namespace}/{plural}", prefix(api_version))
}

/// The path of one object.
pub fn object_path(r: &ObjectRef) -> Result<String, Failure> {
    let plural = resource(&r.api_version, &r.kind)
        .ok_or_else(|| Failure::Transport(format!("unknown kind {}", r.kind)))?;
    Ok(format!("{}/{}", collection(&r.api_version, plural, &r.namespace), r.name))
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub use crate::kube_args::error_chain;

/// A connected client with its own runtime.
pub struct Kube {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// `dryRun=All` on every write.
    pub server_dry_run: bool,
    /// The server URL, for messages.
    pub server: String,
}

impl Kube {
    /// Connects as kubectl would (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`, in-cluster),
    /// to `context` when given, else `--context`, and checks that `/version` answers.
    ///
    /// # Errors
    /// Why the cluster cannot be reached.
    pub fn connect(args: &KubeArgs, context: Option<&str>) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
        let config = runtime.block_on(config(args, context))?;
        let server = config.cluster_url.to_string();
        let client = {
            let _guard = runtime.enter();
            Client::try_from(config).map_err(|e| format!("{server}: {}", error_chain(&e)))?
        };
        let version = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), client.apiserver_version()).await
        });
        match version {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("{server}: {}", error_chain(&e))),
            Err(_) => return Err(format!("{server}: no answer within 30s")),
        }
        Ok(Self { runtime, client, server_dry_run: false, server })
    }

    fn send(&self, request: http::Request<Vec<u8>>) -> Result<Value, Failure> {
        let result = self.runtime.block_on(self.client.request::<Value>(request));
        result.map_err(|e| match e {
            kube::Error::Api(s) => {
                Failure::Status { code: s.code, reason: s.reason.clone(), message: s.message.clone() }
            }
            other => Failure::Transport(error_chain(&other)),
        })
    }

    /// GET by path; `None` on 404.
    ///
    /// # Errors
    /// Any other failure.
    pub fn get_path(&self, path: &str) -> Result<Option<Value>, Failure> {
        let request =
            http::Request::get(path).body(Vec::new()).map_err(|e| Failure::Transport(e.to_string()))?;
        match self.send(request) {
            Ok(v) => Ok(Some(v)),
            Err(Failure::Status { code: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET one object; `None` when it (or its kind) does not exist.
    ///
    /// # Errors
    /// Any other failure.
    pub fn get(&self, r: &ObjectRef) -> Result<Option<Value>, Failure> {
        self.get_path(&object_path(r)?)
    }

    /// Every item of a LIST (`path?query`), pages followed.
    ///
    /// # Errors
    /// The first failed page; a missing kind (404) is an empty list.
    pub fn list(&self, path: &str, query: &[(&str, String)]) -> Result<Vec<Value>, Failure> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
            q.push("limit=500".into());
            if let Some(t) = &token {
                q.push(format!("continue={}", encode(t)));
            }
            let Some(page) = self.get_path(&format!("{path}?{}", q.join("&")))? else { return Ok(items) };
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            token = page["metadata"]["continue"].as_str().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(items);
            }
        }
    }

    fn dry(&self) -> &'static str {
        if self.server_dry_run { "&dryRun=All" } else { "" }
    }

    /// Server-side apply of `manifest` as `runai-gateway`.
    ///
    /// # Errors
    /// The server's answer (409 on a conflict without `force`).
    pub fn apply(&self, manifest: &Value, force: bool) -> Result<Value, Failure> {
        let path = format!(
            "{}?fieldManager={FIELD_MANAGER}&force={force}{}",
            object_path(&ObjectRef::of(manifest))?,
            self.dry()
        );
        let body = serde_json::to_vec(manifest).map_err(|e| Failure::Transport(e.to_string()))?;
        let request = http::Request::patch(&path)
            .header(http::header::CONTENT_TYPE, "application/apply-patch+yaml")
            .body(body)
            .map_err(|e| Failure::Transport(e.to_string()))?;
        self.send(request)
    }

    /// Creates `manifest` (as `runai-gateway`).
    ///
    /// # Errors
    /// The server's answer (409 when it exists).
    pub fn create(&self, manifest: &Value) -> Result<Value, Failure> {
        let r = ObjectRef::of(manifest);
        let plural = resource(&r.api_version, &r.kind).unwrap_or("unknown");
        let path = format!(
            "{}?fieldManager={FIELD_MANAGER}{}",
            collection(&r.api_version, plural, &r.namespace),
            self.dry()
        );
        let body = serde_json::to_vec(manifest).map_err(|e| Failure::Transport(e.to_string()))?;
        let request = http::Request::post(&path)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| Failure::Transport(e.to_string()))?;
        self.send(request)
    }

    /// Deletes one object, only if its uid is still `uid` (so a re-created namesake survives).
    ///
    /// # Errors
    /// The server's answer; a 404 (already gone) is success.
    pub fn delete(&self, r: &ObjectRef, uid: &str) -> Result<(), Failure> {
        let mut options = json!({
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "preconditions": { "uid": uid },
        });
        if self.server_dry_run {
            options["dryRun"] = json!(["All"]);
        }
        let body = serde_json::to_vec(&options).map_err(|e| Failure::Transport(e.to_string()))?;
        let request = http::Request::delete(object_path(r)?)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| Failure::Transport(e.to_string()))?;
        match self.send(request) {
            Ok(_) | Err(Failure::Status { code: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether the caller may `verb` the `resource` of `group` in `namespace`
    /// (a SelfSubjectAccessReview, as `kubectl auth can-i` sends).
    ///
    /// # Errors
    /// The review itself failed.
    pub fn can_i(&self, verb: &str, group: &str, resource: &str, namespace: &str) -> Result<bool, Failure> {
        let review = json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": { "resourceAttributes": {
                "verb": verb, "group": group, "resource": resource, "namespace": namespace,
            }},
        });
        let body = serde_json::to_vec(&review).map_err(|e| Failure::Transport(e.to_string()))?;
        let request = http::Request::post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| Failure::Transport(e.to_string()))?;
        Ok(self.send(request)?["status"]["allowed"].as_bool().unwrap_or(false))
    }
}

/// The kube client configuration, as kubectl would pick it.
async fn config(kube: &KubeArgs, context: Option<&str>) -> Result<Config, String> {
    crate::kube_args::client_config(kube, context).await.map(|(config, _)| config)
}
