//! The Kubernetes reads and writes of `apply` and `rollback`, blocking, over kube's typed API:
//! `Api<DynamicObject>` for the kinds of the core's table, server-side apply with
//! `PatchParams::apply`, creates and deletes with preconditions, and SelfSubjectAccessReview.
//!
//! `--dry-run=server` sets `dryRun=All` on every write.

use std::sync::Arc;

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams, Preconditions,
};
use kube::{Client, Config};
use runai_gateway_core::helm::Component;
use runai_gateway_core::kinds::{self, KindInfo};
use runai_gateway_core::manifests::FIELD_MANAGER;
use runai_gateway_core::spec::{ControlPlaneLocation, Spec};
use runai_gateway_core::state::ObjectRef;
use serde_json::Value;

use crate::kube_args::{KubeArgs, error_chain};

/// Objects per page of a LIST.
const PAGE_SIZE: u32 = 500;

/// Why one request failed. A failure without an answer keeps the kube client's error as its
/// source, so the whole chain (kube, hyper, the socket) is there for whoever reports it; the text
/// already says it once, in one line, for the step lines of `apply`'s report.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Failure {
    /// The server answered with a `Status`.
    #[error("HTTP {code} {reason}: {message}")]
    Status {
        /// HTTP code.
        code: u16,
        /// `reason` (`Conflict`, `Forbidden`).
        reason: String,
        /// The server's message.
        message: String,
    },
    /// No answer: connection lost, refused, or `--request-timeout` passed.
    #[error("no answer: {0}")]
    Transport(String, #[source] Option<Arc<kube::Error>>),
}

impl Failure {
    /// Whether no answer came (the write may or may not have happened).
    pub fn is_transport(&self) -> bool {
        matches!(self, Failure::Transport(..))
    }

    /// Whether this is a server-side apply conflict (409 `Conflict` on a PATCH).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Failure::Status { code: 409, .. })
    }

    fn of(e: kube::Error) -> Failure {
        match e {
            kube::Error::Api(status) => Failure::Status {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            other => Failure::Transport(error_chain(&other), Some(Arc::new(other))),
        }
    }

    /// No answer, for a reason of this tool's own (a deadline, a kind it does not know).
    pub fn transport(text: impl Into<String>) -> Failure {
        Failure::Transport(text.into(), None)
    }

    fn is_not_found(&self) -> bool {
        matches!(self, Failure::Status { code: 404, .. })
    }
}

/// The API resource of a kind of the table.
fn api_resource(kind: &KindInfo) -> ApiResource {
    ApiResource {
        group: kind.group().into(),
        version: kind.version().into(),
        api_version: kind.api_version.into(),
        kind: kind.kind.into(),
        plural: kind.plural.into(),
    }
}

/// The table's entry for an object's kind.
fn kind_of(r: &ObjectRef) -> Result<&'static KindInfo, Failure> {
    kinds::lookup(&r.api_version, &r.kind).ok_or_else(|| {
        Failure::transport(format!("{} {} is not a kind this tool handles", r.api_version, r.kind))
    })
}

/// An object of a GET or a write as JSON, with its `apiVersion` and `kind` first: its fields move
/// into the JSON (only the metadata is converted).
fn into_value(obj: DynamicObject, kind: &KindInfo) -> Value {
    let DynamicObject { metadata, data, .. } = obj;
    let mut map = serde_json::Map::new();
    map.insert("apiVersion".into(), Value::from(kind.api_version));
    map.insert("kind".into(), Value::from(kind.kind));
    map.insert("metadata".into(), serde_json::to_value(metadata).unwrap_or_default());
    if let Value::Object(fields) = data {
        map.extend(fields.into_iter().filter(|(k, _)| !matches!(k.as_str(), "apiVersion" | "kind")));
    }
    Value::Object(map)
}

/// The objects of one LIST of `kind` (in `namespace`, or cluster-wide) with `params`, pages of
/// [`PAGE_SIZE`] followed, each with its `apiVersion` and `kind` and whole (managed fields
/// included: the executor reads who owns what).
///
/// # Errors
/// The first failed page.
pub async fn list_all(
    client: &Client,
    kind: &KindInfo,
    namespace: Option<&str>,
    params: ListParams,
) -> Result<Vec<Value>, kube::Error> {
    let mut items = Vec::new();
    for_each_page(client, kind, namespace, params, Decode::Whole, |page| items.extend(page)).await?;
    Ok(items)
}

/// How the items of a LIST are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// Each object whole.
    Whole,
    /// Without `metadata.managedFields`, which nothing judged from a snapshot reads: often a
    /// third of an object's JSON, never built.
    WithoutManagedFields,
    /// `PartialObjectMetadataList`: each item its `metadata` only (asked of the server).
    MetadataOnly,
}

/// The largest answer read for one request of a LIST, decoded: a page holds at most
/// [`PAGE_SIZE`] objects, and a LIST from the watch cache (unpaged) is used only for narrow reads.
/// Past it the read fails (a hostile or broken server cannot fill memory, gzip or not).
const ANSWER_CAP: u64 = 128 << 20;

/// An answer larger than its cap.
#[derive(Debug, thiserror::Error)]
#[error("the API server's answer is larger than {} MiB, the most one request of a LIST may bring", .0 >> 20)]
struct TooLarge(u64);

/// The body of `reader`, at most `cap` bytes.
async fn read_capped(reader: impl futures::AsyncRead + Unpin, cap: u64) -> Result<Vec<u8>, kube::Error> {
    use futures::AsyncReadExt as _;
    let mut body = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .await
        // The body's own error stays the source, so that a reset halfway through an answer is
        // still a lost connection (exit 6), as one before the answer is.
        .map_err(|e| kube::Error::Service(Box::new(e)))?;
    if body.len() as u64 > cap {
        return Err(kube::Error::Service(Box::new(TooLarge(cap))));
    }
    Ok(body)
}

/// One request of a LIST, its answer read whole (at most [`ANSWER_CAP`]).
async fn fetch(client: Client, request: http::Request<Vec<u8>>) -> Result<Vec<u8>, kube::Error> {
    let reader = client.request_stream(request).await?;
    read_capped(reader, ANSWER_CAP).await
}

/// A request running on the runtime beside its caller, abandoned when its handle is dropped (a
/// deadline passing, another read failing), so that no request outlives the read it was for.
struct Prefetch(tokio::task::JoinHandle<Result<Vec<u8>, kube::Error>>);

impl Prefetch {
    fn start(client: &Client, request: http::Request<Vec<u8>>) -> Self {
        Self(tokio::spawn(fetch(client.clone(), request)))
    }

    async fn answer(mut self) -> Result<Vec<u8>, kube::Error> {
        match (&mut self.0).await {
            Ok(answer) => answer,
            Err(e) => Err(kube::Error::Service(Box::new(e))),
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A page of a LIST: its `continue` token, and its items as they came (decoded one by one).
#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(borrow, default)]
    items: Option<Vec<&'a serde_json::value::RawValue>>,
}

#[derive(Default, serde::Deserialize)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
}

/// One item of a LIST as JSON, with the `apiVersion` and `kind` a LIST leaves out of its items
/// first (as a GET has them), decoded in one pass straight into that object.
fn item(
    raw: &serde_json::value::RawValue,
    kind: &KindInfo,
    decode: Decode,
) -> Result<Value, serde_json::Error> {
    let mut object = serde_json::Map::new();
    object.insert("apiVersion".into(), Value::from(kind.api_version));
    object.insert("kind".into(), Value::from(kind.kind));
    let keep_managed_fields = decode == Decode::Whole;
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let object = serde::Deserializer::deserialize_map(
        &mut de,
        Fields { into: object, top: true, keep_managed_fields },
    )?;
    de.end()?;
    Ok(Value::Object(object))
}

/// Decodes a JSON object's fields into `into`: at the top (an object of a LIST) without the
/// `apiVersion` and `kind` already there, and its `metadata` without `managedFields` unless
/// they are kept (skipped, never built).
struct Fields {
    into: serde_json::Map<String, Value>,
    top: bool,
    keep_managed_fields: bool,
}

impl<'de> serde::de::Visitor<'de> for Fields {
    type Value = serde_json::Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.top { "a Kubernetes object" } else { "an object's metadata" })
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut access: A) -> Result<Self::Value, A::Error> {
        while let Some(key) = access.next_key::<String>()? {
            let skip = if self.top {
                matches!(key.as_str(), "apiVersion" | "kind")
            } else {
                !self.keep_managed_fields && key == "managedFields"
            };
            if skip {
                access.next_value::<serde::de::IgnoredAny>()?;
            } else if self.top && key == "metadata" && !self.keep_managed_fields {
                let meta = Fields { into: serde_json::Map::new(), top: false, keep_managed_fields: false };
                let meta = access.next_value_seed(meta)?;
                self.into.insert(key, Value::Object(meta));
            } else {
                let value = access.next_value::<Value>()?;
                self.into.insert(key, value);
            }
        }
        Ok(self.into)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Fields {
    type Value = serde_json::Map<String, Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// Objects decoded and folded at a time.
const FOLD_CHUNK: usize = 256;

/// One LIST as [`list_all`], each page handed to `fold` (a few objects at a time) as it arrives
/// and then dropped, so that memory holds about one page, not the whole list.
///
/// Pages are pipelined: as soon as a page's `continue` token is known, the next page is asked
/// for and read on the runtime's other thread while this page's objects are decoded and folded
/// here, so that the server's time and ours overlap instead of adding up.
///
/// # Errors
/// The first failed page.
pub async fn for_each_page(
    client: &Client,
    kind: &KindInfo,
    namespace: Option<&str>,
    params: ListParams,
    decode: Decode,
    mut fold: impl FnMut(Vec<Value>),
) -> Result<(), kube::Error> {
    use kube::Resource as _;
    let ar = api_resource(kind);
    let request =
        kube::core::Request::new(DynamicObject::url_path(&ar, namespace.filter(|_| kind.namespaced)));
    let build = |params: &ListParams| {
        if decode == Decode::MetadataOnly { request.list_metadata(params) } else { request.list(params) }
            .map_err(kube::Error::BuildRequest)
    };
    // A list from the watch cache (`resourceVersion=0`) is not paginated by servers up to 1.32,
    // and a `continue` may not carry a resourceVersion.
    let cached = params.resource_version.as_deref() == Some("0");
    let mut params = if cached { params } else { params.limit(PAGE_SIZE) };
    let mut pending = Some(Prefetch::start(client, build(&params)?));
    while let Some(current) = pending.take() {
        let body = current.answer().await?;
        let page: Page<'_> = serde_json::from_slice(&body).map_err(kube::Error::SerdeError)?;
        if let Some(token) = page.metadata.continue_.filter(|t| !t.is_empty()) {
            params.resource_version = None;
            params.version_match = None;
            params = params.continue_token(&token);
            pending = Some(Prefetch::start(client, build(&params)?));
        }
        for chunk in page.items.unwrap_or_default().chunks(FOLD_CHUNK) {
            let objects = chunk
                .iter()
                .map(|raw| item(raw, kind, decode))
                .collect::<Result<Vec<_>, _>>()
                .map_err(kube::Error::SerdeError)?;
            fold(objects);
        }
    }
    Ok(())
}

/// A connected client.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    /// `dryRun=All` on every write.
    pub server_dry_run: bool,
    /// The server URL, for messages.
    pub server: String,
}

/// Runs `fut` on the runtime within what is left of the command's deadline
/// ([`super::deadline`]); past it, the request is abandoned and is a transport failure.
fn block_on<F: Future>(fut: F) -> Result<F::Output, Failure> {
    match super::deadline::left() {
        None => block_on_within(fut, None),
        Some(left) => block_on_within(fut, Some(left)),
    }
}

/// Runs `fut` on the runtime for at most `bound` (`None`: unbounded).
fn block_on_within<F: Future>(fut: F, bound: Option<std::time::Duration>) -> Result<F::Output, Failure> {
    let runtime = crate::runtime::get().map_err(Failure::transport)?;
    match bound {
        None => Ok(runtime.block_on(fut)),
        Some(b) if b.is_zero() => Err(Failure::transport(super::deadline::message())),
        Some(b) => runtime
            .block_on(async { tokio::time::timeout(b, fut).await })
            .map_err(|_| Failure::transport(super::deadline::message())),
    }
}

impl Cluster {
    /// Connects as kubectl would (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`, in-cluster),
    /// to `context` when given, else `--context`, and checks that `/version` answers.
    ///
    /// # Errors
    /// Why the cluster cannot be reached.
    pub fn connect(args: &KubeArgs, context: Option<&str>) -> Result<Self, String> {
        let runtime = crate::runtime::get()?;
        let config: Config =
            runtime.block_on(crate::kube_args::client_config(args, context)).map(|(config, _)| config)?;
        let server = config.cluster_url.to_string();
        let client = {
            let _guard = runtime.enter();
            Client::try_from(config).map_err(|e| format!("{server}: {}", error_chain(&e)))?
        };
        let bound = super::deadline::left_capped(std::time::Duration::from_secs(30));
        let version =
            runtime.block_on(async { tokio::time::timeout(bound, client.apiserver_version()).await });
        match version {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("{server}: {}", error_chain(&e))),
            Err(_) => return Err(format!("{server}: no answer within {}s", bound.as_secs())),
        }
        Ok(Self { client, server_dry_run: false, server })
    }

    /// Runs one typed request of `client` within the command's deadline (for the kinds outside
    /// the core's table, such as the run's Lease).
    ///
    /// # Errors
    /// The server's answer, or no answer.
    pub fn call<T, F>(&self, request: impl FnOnce(Client) -> F) -> Result<T, Failure>
    where
        F: Future<Output = Result<T, kube::Error>>,
    {
        block_on(request(self.client.clone()))?.map_err(Failure::of)
    }

    /// [`Cluster::call`] bounded by `bound` alone, not the deadline (to release the lock).
    ///
    /// # Errors
    /// The server's answer, or no answer.
    pub fn call_within<T, F>(
        &self,
        bound: std::time::Duration,
        request: impl FnOnce(Client) -> F,
    ) -> Result<T, Failure>
    where
        F: Future<Output = Result<T, kube::Error>>,
    {
        block_on_within(request(self.client.clone()), Some(bound))?.map_err(Failure::of)
    }

    fn api(&self, kind: &KindInfo, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = api_resource(kind);
        match namespace.filter(|_| kind.namespaced) {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// One object; `None` when it (or its kind) does not exist.
    ///
    /// # Errors
    /// Any other failure.
    pub fn get(&self, r: &ObjectRef) -> Result<Option<Value>, Failure> {
        let kind = kind_of(r)?;
        let api = self.api(kind, Some(&r.namespace));
        match block_on(api.get(&r.name))? {
            Ok(obj) => Ok(Some(into_value(obj, kind))),
            Err(e) => match Failure::of(e) {
                f if f.is_not_found() => Ok(None),
                f => Err(f),
            },
        }
    }

    /// [`Cluster::get`] once more after a write whose answer was lost, so the report says
    /// whether it happened: bounded by [`super::deadline::GRACE`] even when the deadline passed.
    ///
    /// # Errors
    /// The re-read failed too.
    pub fn reread(&self, r: &ObjectRef) -> Result<Option<Value>, Failure> {
        let kind = kind_of(r)?;
        let api = self.api(kind, Some(&r.namespace));
        match block_on_within(api.get(&r.name), Some(super::deadline::GRACE))? {
            Ok(obj) => Ok(Some(into_value(obj, kind))),
            Err(e) => match Failure::of(e) {
                f if f.is_not_found() => Ok(None),
                f => Err(f),
            },
        }
    }

    /// Every object of `kind` (in `namespace`, or cluster-wide), optionally by label selector,
    /// pages followed; a kind that does not exist (404) is an empty list.
    ///
    /// # Errors
    /// The first failed page.
    pub fn list(
        &self,
        kind: &KindInfo,
        namespace: Option<&str>,
        labels: Option<&str>,
    ) -> Result<Vec<Value>, Failure> {
        let mut params = ListParams::default();
        if let Some(l) = labels {
            params = params.labels(l);
        }
        match block_on(list_all(&self.client, kind, namespace, params))? {
            Ok(items) => Ok(items),
            Err(e) => match Failure::of(e) {
                f if f.is_not_found() => Ok(Vec::new()),
                f => Err(f),
            },
        }
    }

    /// Server-side apply of `manifest` as `runai-gateway`.
    ///
    /// # Errors
    /// The server's answer (409 on a conflict without `force`).
    pub fn apply(&self, manifest: &Value, force: bool) -> Result<Value, Failure> {
        let r = ObjectRef::of(manifest);
        let kind = kind_of(&r)?;
        let mut params = PatchParams::apply(FIELD_MANAGER);
        params.force = force;
        params.dry_run = self.server_dry_run;
        let api = self.api(kind, Some(&r.namespace));
        let obj = block_on(api.patch(&r.name, &params, &Patch::Apply(manifest)))?.map_err(Failure::of)?;
        Ok(into_value(obj, kind))
    }

    /// A JSON merge patch of the object `r` as `runai-gateway` (`null` removes a key).
    ///
    /// # Errors
    /// The server's answer (404 when it is gone).
    pub fn merge_patch(&self, r: &ObjectRef, patch: &Value) -> Result<Value, Failure> {
        let kind = kind_of(r)?;
        let mut params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..PatchParams::default() };
        params.dry_run = self.server_dry_run;
        let api = self.api(kind, Some(&r.namespace));
        let obj = block_on(api.patch(&r.name, &params, &Patch::Merge(patch)))?.map_err(Failure::of)?;
        Ok(into_value(obj, kind))
    }

    /// Creates `manifest` (as `runai-gateway`).
    ///
    /// # Errors
    /// The server's answer (409 when it exists).
    pub fn create(&self, manifest: &Value) -> Result<Value, Failure> {
        let (r, kind, obj, params) = self.whole(manifest)?;
        let made =
            block_on(self.api(kind, Some(&r.namespace)).create(&params, &obj))?.map_err(Failure::of)?;
        Ok(into_value(made, kind))
    }

    /// Replaces `manifest` whole (a PUT as `runai-gateway`); its `resourceVersion` is the
    /// precondition, so a change made meanwhile is a 409, not overwritten.
    ///
    /// # Errors
    /// The server's answer.
    pub fn replace(&self, manifest: &Value) -> Result<Value, Failure> {
        let (r, kind, obj, params) = self.whole(manifest)?;
        let api = self.api(kind, Some(&r.namespace));
        let made = block_on(api.replace(&r.name, &params, &obj))?.map_err(Failure::of)?;
        Ok(into_value(made, kind))
    }

    /// What a write of a whole object (create, replace) sends: the object, its kind and the
    /// parameters (field manager `runai-gateway`, `dryRun` as set).
    fn whole(
        &self,
        manifest: &Value,
    ) -> Result<(ObjectRef, &'static KindInfo, DynamicObject, PostParams), Failure> {
        let r = ObjectRef::of(manifest);
        let kind = kind_of(&r)?;
        let obj: DynamicObject =
            serde_json::from_value(manifest.clone()).map_err(|e| Failure::transport(format!("{r}: {e}")))?;
        let params = PostParams { dry_run: self.server_dry_run, field_manager: Some(FIELD_MANAGER.into()) };
        Ok((r, kind, obj, params))
    }

    /// Deletes one object, only if its uid is still `uid` (so a re-created namesake survives).
    ///
    /// # Errors
    /// The server's answer; a 404 (already gone) is success.
    pub fn delete(&self, r: &ObjectRef, uid: &str) -> Result<(), Failure> {
        let kind = kind_of(r)?;
        let params = DeleteParams {
            dry_run: self.server_dry_run,
            preconditions: Some(Preconditions { uid: Some(uid.into()), resource_version: None }),
            ..DeleteParams::default()
        };
        let api = self.api(kind, Some(&r.namespace));
        match block_on(api.delete(&r.name, &params))? {
            Ok(_) => Ok(()),
            Err(e) => match Failure::of(e) {
                f if f.is_not_found() => Ok(()),
                f => Err(f),
            },
        }
    }

    /// Whether the caller may `verb` the `resource` of `group` in `namespace` (a
    /// SelfSubjectAccessReview, as `kubectl auth can-i` sends).
    ///
    /// # Errors
    /// The review itself failed.
    pub fn can_i(&self, verb: &str, group: &str, resource: &str, namespace: &str) -> Result<bool, Failure> {
        use k8s_openapi::api::authorization::v1::{
            ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
        };
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.into()),
                    group: Some(group.into()),
                    resource: Some(resource.into()),
                    namespace: Some(namespace.into()),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let api: Api<SelfSubjectAccessReview> = Api::all(self.client.clone());
        let answer = block_on(api.create(&PostParams::default(), &review))?.map_err(Failure::of)?;
        Ok(answer.status.is_some_and(|s| s.allowed))
    }
}

/// The connection(s) of a run.
pub struct Clusters {
    /// The workload cluster.
    pub main: Cluster,
    /// The control plane's cluster, when it has its own context.
    pub control_plane: Option<Cluster>,
}

impl Clusters {
    /// The client for `component`.
    pub fn for_component(&self, c: Component) -> &Cluster {
        match (c, &self.control_plane) {
            (Component::ControlPlane, Some(k)) => k,
            _ => &self.main,
        }
    }

    /// [`Clusters::connect`] anew, or the reason on stderr (the caller then exits 6).
    pub fn connect_or_report(args: &KubeArgs, spec: &Spec) -> Option<Self> {
        Self::connect_reusing_or_report(args, spec, None)
    }

    /// [`Clusters::connect_or_report`], keeping `main` when a run already connected to the
    /// workload cluster (to find its state record).
    pub fn connect_reusing_or_report(args: &KubeArgs, spec: &Spec, main: Option<Cluster>) -> Option<Self> {
        Self::connect(args, spec, main)
            .map_err(|e| crate::output::error(&anyhow::anyhow!("the cluster cannot be reached: {e}"), false))
            .ok()
    }

    /// Connects to the workload cluster (unless `main` is that connection already) and, when the
    /// spec names one, the control plane's context.
    ///
    /// # Errors
    /// The message for exit code 6.
    pub fn connect(args: &KubeArgs, spec: &Spec, main: Option<Cluster>) -> Result<Self, String> {
        let main = match main {
            Some(m) => m,
            None => Cluster::connect(args, None)?,
        };
        let control_plane = match (&spec.control_plane, &spec.control_plane_context) {
            (ControlPlaneLocation::Saas, _) | (_, None) => None,
            (_, Some(ctx)) => Some(
                Cluster::connect(args, Some(ctx))
                    .map_err(|e| format!("control plane context `{ctx}`: {e}"))?,
            ),
        };
        Ok(Self { main, control_plane })
    }

    /// `dryRun=All` on every write of both clusters.
    pub fn set_dry_run(&mut self, on: bool) {
        self.main.server_dry_run = on;
        if let Some(k) = &mut self.control_plane {
            k.server_dry_run = on;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Failure;
    use crate::read::observe::ReadError;

    #[test]
    fn no_answer_keeps_the_kube_error_and_its_chain_as_sources() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let failure = Failure::of(kube::Error::Service(Box::new(io)));
        assert!(failure.is_transport());
        let err = anyhow::Error::new(ReadError { what: "the Gateway".into(), failure });
        let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
        assert!(chain[0].starts_with("reading the Gateway: no answer: "), "{chain:?}");
        // The kube error, then the socket's, each a source of the one before.
        assert!(chain.len() >= 3, "{chain:?}");
        assert_eq!(chain.last().map(String::as_str), Some("connection refused"), "{chain:?}");
        // Each is in the first line already: `output::error` prints the line once, no
        // `caused by:` repeating it.
        assert!(chain[1..].iter().all(|c| chain[0].contains(c.as_str())), "{chain:?}");
    }

    #[test]
    fn an_answer_over_its_cap_is_refused_and_one_at_it_is_read() {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let body = vec![b'x'; 1000];
        let read = |cap| rt.block_on(super::read_capped(futures::io::Cursor::new(body.clone()), cap));
        assert_eq!(read(1000).expect("at the cap").len(), 1000);
        let err = read(999).expect_err("over the cap");
        assert!(
            crate::kube_args::error_chain(&err).contains("the most one request of a LIST may bring"),
            "{err}"
        );
    }

    /// A reader failing as hyper's body does: an `Other` I/O error around the transport's error,
    /// whose source is the socket's.
    struct Resets;

    #[derive(Debug, thiserror::Error)]
    #[error("error reading a body from connection")]
    struct BodyError(#[source] std::io::Error);

    impl futures::AsyncRead for Resets {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset by peer");
            std::task::Poll::Ready(Err(std::io::Error::other(BodyError(reset))))
        }
    }

    #[test]
    fn a_reset_halfway_through_an_answer_is_a_lost_connection() {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let err = rt.block_on(super::read_capped(Resets, 1 << 20)).expect_err("reset");
        assert!(crate::read::snapshot::connection_lost(&err), "{}", crate::kube_args::error_chain(&err));
        assert!(crate::kube_args::error_chain(&err).contains("connection reset by peer"));
    }

    #[test]
    fn a_list_item_is_decoded_with_its_kind_first_and_without_managed_fields_when_asked() {
        let raw = serde_json::value::RawValue::from_string(
            serde_json::json!({
                "metadata": {"name": "r", "namespace": "a", "labels": {"x": "y"},
                             "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}]},
                "spec": {"managedFields": "a field of the object's own, kept"},
                "status": {"parents": []}
            })
            .to_string(),
        )
        .expect("raw");
        let kind = runai_gateway_core::kinds::of_snapshot_kind(runai_gateway_core::snapshot::Kind::HttpRoute);
        let lean = super::item(&raw, kind, super::Decode::WithoutManagedFields).expect("decodes");
        let keys: Vec<&String> = lean.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec", "status"]);
        assert_eq!(lean["kind"], "HTTPRoute");
        assert!(lean["metadata"].get("managedFields").is_none(), "{lean}");
        assert_eq!(lean["metadata"]["labels"]["x"], "y");
        assert_eq!(lean["spec"]["managedFields"], "a field of the object's own, kept");
        let whole = super::item(&raw, kind, super::Decode::Whole).expect("decodes");
        assert_eq!(whole["metadata"]["managedFields"][0]["manager"], "m");
        assert_eq!(whole["spec"], lean["spec"]);
        // A metadata-only item names its own kind (`PartialObjectMetadata`): the table's wins.
        let partial = serde_json::value::RawValue::from_string(
            r#"{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":{"name":"n"}}"#
                .into(),
        )
        .expect("raw");
        let namespace =
            runai_gateway_core::kinds::of_snapshot_kind(runai_gateway_core::snapshot::Kind::Namespace);
        let meta = super::item(&partial, namespace, super::Decode::MetadataOnly).expect("decodes");
        assert_eq!(
            meta,
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
        );
    }

    #[test]
    fn an_answer_is_a_status_without_a_source() {
        let status =
            kube::core::Status::failure("gateways.gateway.networking.k8s.io is forbidden", "Forbidden")
                .with_code(403);
        let failure = Failure::of(kube::Error::Api(Box::new(status)));
        assert!(std::error::Error::source(&failure).is_none());
        assert!(failure.to_string().starts_with("HTTP 403 Forbidden: "), "{failure}");
    }
}
