//! The live side of `status` and `snapshot`: Kubernetes objects, DNS answers and HTTPS probes
//! into a [`Snapshot`].
//!
//! What is read, and how:
//!
//! - The cluster is picked exactly as kubectl picks it: `--kubeconfig`, else `KUBECONFIG` (several
//!   files merged), else `~/.kube/config`, else the in-cluster service account; then `--context`,
//!   `--cluster`, `--user`. Exec credential plugins work through kube's own loader.
//! - `/version` first: a cluster that does not answer is [`StatusError::Unreachable`] (exit 6),
//!   not a report full of failed reads.
//! - Then one paginated LIST (`limit=500` plus `continue`) per kind, cluster-wide, all kinds at
//!   once, each page folded into [`Ingest`] as it arrives and dropped; then the Services and
//!   EndpointSlices the checks judge, by namespace and name ([`super::narrow`]). Never one
//!   request per object. Secrets are the one kind read as two filtered lists:
//!   TLS secrets (`fieldSelector=type=kubernetes.io/tls`) and the Helm release secrets of the
//!   Run:ai releases (`labelSelector=owner=helm,name in (…)`), so that no other secret of the
//!   cluster is ever downloaded. Deployments are read only as cert-manager's controller
//!   (`labelSelector=app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller`).
//! - A 403 becomes [`Source::Forbidden`] with the server's message, a 404 (CRD not installed)
//!   [`Source::NotInstalled`], anything else (timeouts, 5xx, connection) [`Source::Failed`]: the
//!   checks that need the kind are then skipped with the reason, and every other check runs.
//! - The whole run is bounded by `--timeout`: whatever has not answered by then is `Failed`
//!   ("timed out"), so a hung API server gives findings, not a hang.
//! - The DNS names and probe hosts come from the spec discovered in the objects, so objects are
//!   read first, then DNS, then (with `--probe`) HTTPS.
//!
//! Private keys never leave [`Ingest`]: only the parsed certificate and the verdict of the key
//! comparison reach the snapshot.

use std::cell::RefCell;
use std::time::Duration;

use futures::future::try_join_all;
use kube::Client;
use kube::api::{Api, ListParams};
use runai_gateway_core::checks::discover;
use runai_gateway_core::helm::Component;
use runai_gateway_core::ingest::Ingest;
use runai_gateway_core::snapshot::{Kind, Snapshot, Source};
use runai_gateway_core::spec::{ControlPlaneLocation, Release, Spec, SpecInput};
use serde_json::Value;
use tokio::time::Instant;

use super::{StatusError, dns, probe};
use crate::kube_args::{KubeArgs, client_config as config, error_chain};

/// What the live run is asked to do (shared by `status` and `snapshot`).
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Which cluster, as kubectl picks it.
    pub kube: &'a KubeArgs,
    /// `--dns-server HOST:PORT`, or the system resolver.
    pub dns_server: Option<&'a str>,
    /// `--probe`.
    pub probe: bool,
    /// `--probe-address HOST:PORT`: dial this instead of the Gateway's address on 443.
    pub probe_address: Option<&'a str>,
    /// `--timeout`: the bound on the whole run (`None`: no bound).
    pub timeout: Option<Duration>,
    /// Resolve the DNS records (`apply`'s checks read only the cluster).
    pub dns: bool,
    /// Whether the narrow reads may come from the API server's watch cache
    /// (`resourceVersion=0`): yes for a report of what was seen (`status`, `snapshot`); no for
    /// reads that gate writes (`apply`'s checks), which must see the latest state.
    pub watch_cache: bool,
}

/// Reads the live cluster into a snapshot.
///
/// # Errors
/// [`StatusError::Unreachable`] when no kubeconfig can be loaded or `/version` does not answer;
/// every later failure is recorded in the snapshot instead.
pub fn live(opts: &Options<'_>, input: &SpecInput, _color: bool) -> Result<Snapshot, StatusError> {
    let runtime = crate::runtime::get().map_err(StatusError::Unreachable)?;
    let spinner = super::spinner::Spinner::start("reading the cluster");
    // Whatever is still in flight past the deadline (a hung connection) is abandoned, not awaited.
    let result = runtime.block_on(collect(opts, input, &spinner));
    spinner.stop();
    result
}

/// A point in time before which a step must end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Option<Instant>,
    total: Option<Duration>,
}

impl Deadline {
    pub(crate) fn new(total: Option<Duration>) -> Self {
        Self { at: total.map(|t| Instant::now() + t), total }
    }

    /// Runs `fut` until the deadline; `Err` with a message when it passed.
    pub(crate) async fn run<F: Future>(&self, fut: F) -> Result<F::Output, String> {
        match self.at {
            None => Ok(fut.await),
            Some(at) => tokio::time::timeout_at(at, fut).await.map_err(|_| self.message()),
        }
    }

    /// The time left, capped at `cap`.
    pub(crate) fn left(&self, cap: Duration) -> Duration {
        self.at.map_or(cap, |at| at.saturating_duration_since(Instant::now()).min(cap))
    }

    fn message(&self) -> String {
        match self.total {
            Some(t) => format!("no answer within --timeout {}", humanize(t)),
            None => "no answer".into(),
        }
    }
}

fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

/// One LIST: a kind (from the core's table), where, and its filters.
#[derive(Debug, Clone)]
struct ListSpec {
    kind: Kind,
    namespace: Option<String>,
    params: ListParams,
}

impl ListSpec {
    fn new(kind: Kind) -> Self {
        Self { kind, namespace: None, params: ListParams::default() }
    }

    fn labels(mut self, selector: &str) -> Self {
        self.params = self.params.labels(selector);
        self
    }

    fn fields(mut self, selector: &str) -> Self {
        self.params = self.params.fields(selector);
        self
    }

    #[cfg(test)]
    fn filtered(&self) -> bool {
        self.params.label_selector.is_some() || self.params.field_selector.is_some()
    }
}

/// The Helm label selector for the release secrets of `names`.
fn helm_selector(names: &[String]) -> String {
    format!("owner=helm,name in ({})", names.join(","))
}

/// The cluster-wide LISTs of a run against the workload cluster: one per kind; Secrets are two
/// filtered lists. Services and EndpointSlices are read narrowly afterwards
/// ([`super::narrow`]).
fn lists(releases: &[String]) -> Vec<ListSpec> {
    Kind::ALL
        .into_iter()
        .filter(|k| *k != Kind::ControlPlaneRelease && !super::narrow::NARROW.contains(k))
        .flat_map(|kind| match kind {
            Kind::Secret => vec![
                ListSpec::new(kind).fields("type=kubernetes.io/tls"),
                ListSpec::new(kind).labels(&helm_selector(releases)),
            ],
            // external-dns only, by the label its chart and manifests set.
            Kind::Deployment => vec![ListSpec::new(kind).labels(runai_gateway_core::externaldns::SELECTOR)],
            // Deployments: cert-manager's controller only, by its labels.
            Kind::CertManagerController => vec![
                ListSpec::new(kind).labels(runai_gateway_core::certmanager::observed::CONTROLLER_SELECTOR),
            ],
            _ => vec![ListSpec::new(kind)],
        })
        .collect()
}

/// The objects of one paginated LIST, or how reading failed.
async fn list_all(client: &Client, spec: &ListSpec) -> Result<Vec<Value>, Source> {
    let kind = runai_gateway_core::kinds::of_snapshot_kind(spec.kind);
    super::client::list_all(client, kind, spec.namespace.as_deref(), spec.params.clone())
        .await
        .map_err(|e| source_of(spec.kind, &e))
}

/// One paginated LIST folded into `ingest` page by page (nothing of it is kept but what
/// ingestion keeps), failing with the client's error. Namespaces are read as metadata only.
pub(super) async fn fold_list_raw(
    client: &Client,
    kind: Kind,
    namespace: Option<&str>,
    params: ListParams,
    ingest: &RefCell<Ingest>,
) -> Result<(), kube::Error> {
    let info = runai_gateway_core::kinds::of_snapshot_kind(kind);
    let decode = if kind == Kind::Namespace {
        super::client::Decode::MetadataOnly
    } else {
        super::client::Decode::WithoutManagedFields
    };
    super::client::for_each_page(client, info, namespace, params, decode, |page| {
        let mut ingest = ingest.borrow_mut();
        for obj in &page {
            ingest.add(kind, obj);
        }
    })
    .await
}

/// Whether the connection was reset, refused or closed without an answer (not a timeout, not
/// an answer): the cluster is not reachable, and waiting for the other reads would not help.
pub(super) fn connection_lost(e: &kube::Error) -> bool {
    use std::io::ErrorKind as K;
    if matches!(e, kube::Error::Api(_)) {
        return false;
    }
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                K::ConnectionReset
                    | K::ConnectionRefused
                    | K::ConnectionAborted
                    | K::BrokenPipe
                    | K::UnexpectedEof
            )
        {
            return true;
        }
        // hyper's "connection closed before message completed" carries no I/O error.
        if s.to_string().contains("connection closed before message completed") {
            return true;
        }
        source = s.source();
    }
    false
}

/// How a failed LIST is recorded.
pub(super) fn source_of(kind: Kind, e: &kube::Error) -> Source {
    match e {
        kube::Error::Api(status) if status.code == 403 => Source::Forbidden {
            message: if status.message.is_empty() {
                format!("cannot list `{}`", kind.resource())
            } else {
                status.message.clone()
            },
        },
        kube::Error::Api(status) if status.code == 404 => Source::NotInstalled,
        kube::Error::Api(status) => Source::Failed {
            message: format!(
                "HTTP {}{}{}",
                status.code,
                if status.reason.is_empty() { String::new() } else { format!(" {}", status.reason) },
                if status.message.is_empty() { String::new() } else { format!(": {}", status.message) }
            ),
        },
        other => Source::Failed { message: error_chain(other) },
    }
}

/// Of two outcomes for the same kind, the one that tells the most: any failure beats a read.
pub(super) fn worse(a: Source, b: Source) -> Source {
    let rank = |s: &Source| match s {
        Source::Read { .. } => 0,
        Source::Skipped { .. } => 1,
        Source::NotInstalled => 2,
        Source::Forbidden { .. } => 3,
        Source::Failed { .. } => 4,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

async fn collect(
    opts: &Options<'_>,
    input: &SpecInput,
    spinner: &super::spinner::Spinner,
) -> Result<Snapshot, StatusError> {
    let deadline = Deadline::new(opts.timeout);
    let (config, context) = config(opts.kube, None).await.map_err(StatusError::Unreachable)?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .map_err(|e| StatusError::Unreachable(format!("{server}: {}", error_chain(&e))))?;
    match deadline.run(client.apiserver_version()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(StatusError::Unreachable(format!("{server}: {}", unreachable_cause(&e)))),
        Err(timeout) => return Err(StatusError::Unreachable(format!("{server}: {timeout}"))),
    }

    let names = input.release_names();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let ingest = RefCell::new(Ingest::new(context, &name_refs));

    // With the control plane in another context, its release is read there, not here.
    let remote = input.runai.as_ref().is_some_and(|r| r.control_plane_context.is_some());
    let local: Vec<String> =
        if remote { vec![input.release(Component::Cluster).release] } else { names.clone() };
    let specs = lists(&local);
    // A connection reset or refused ends the run at once (exit 6): the first one stops every
    // other read rather than waiting for the deadline.
    let reads = specs.iter().map(|spec| async {
        let read = fold_list_raw(&client, spec.kind, spec.namespace.as_deref(), spec.params.clone(), &ingest);
        let outcome = match deadline.run(read).await {
            Ok(Err(e)) if connection_lost(&e) => {
                return Err(StatusError::Unreachable(format!(
                    "{server}: the connection was lost listing `{}`: {}",
                    spec.kind.resource(),
                    error_chain(&e)
                )));
            }
            Ok(r) => r.map_err(|e| source_of(spec.kind, &e)),
            Err(timeout) => Err(Source::Failed { message: timeout }),
        };
        Ok((spec.kind, outcome))
    });
    let control_plane = control_plane_release(opts, input, &deadline);
    // The control plane's read is abandoned too when this cluster's connection is lost.
    let (results, cp) =
        futures::future::try_join(try_join_all(reads), async { Ok(control_plane.await) }).await?;

    let mut sources: Vec<(Kind, Source)> = Vec::new();
    for (kind, outcome) in results {
        match outcome {
            Ok(()) => ingest.borrow_mut().mark_read(kind),
            Err(source) => sources.push((kind, source)),
        }
    }
    // Services and EndpointSlices: only those the checks judge, now that the namespaces and
    // routes are known.
    let narrow = super::narrow::read(&client, &ingest, &sources, &deadline, opts.watch_cache)
        .await
        .map_err(|lost| StatusError::Unreachable(format!("{server}: {lost}")))?;
    sources.extend(narrow);
    let mut ingest = ingest.into_inner();
    match cp {
        Ok(objects) => {
            ingest.mark_read(Kind::ControlPlaneRelease);
            for obj in &objects {
                ingest.add(Kind::ControlPlaneRelease, obj);
            }
        }
        Err(source) => sources.push((Kind::ControlPlaneRelease, source)),
    }
    // A kind read by several lists (secrets, the narrow reads) keeps the worst outcome.
    let mut merged: Vec<(Kind, Source)> = Vec::new();
    for (kind, source) in sources {
        match merged.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, s)) => *s = worse(s.clone(), source),
            None => merged.push((kind, source)),
        }
    }
    for (kind, source) in merged {
        ingest.set_source(kind, source);
    }
    let mut snapshot = ingest.finish();

    // DNS and probes need the domains, which the objects tell.
    let Ok(spec) = discover(input, &snapshot).resolve() else {
        return Ok(snapshot);
    };
    if opts.dns {
        spinner.set_message("resolving DNS");
        snapshot.dns = dns::resolve(&spec, opts.dns_server, &deadline).await;
    }
    if opts.probe {
        spinner.set_message("probing HTTPS through the Gateway");
        let ca = cluster_ca(&client, &spec, &deadline)
            .await
            .map_err(|lost| StatusError::Unreachable(format!("{server}: {lost}")))?;
        snapshot.probes = probe::run(&spec, &snapshot, opts.probe_address, ca.as_deref(), &deadline).await;
    }
    Ok(snapshot)
}

/// Why `/version` failed, in the words an admin needs.
fn unreachable_cause(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 401 => {
            format!("authentication failed (401 {}): check the kubeconfig's credentials", s.message)
        }
        other => error_chain(other),
    }
}

/// The `runai-backend` release from `--control-plane-context`, or why it was not read.
async fn control_plane_release(
    opts: &Options<'_>,
    input: &SpecInput,
    deadline: &Deadline,
) -> Result<Vec<Value>, Source> {
    let runai = input.runai.clone().unwrap_or_default();
    if runai.control_plane == Some(ControlPlaneLocation::Saas) {
        return Err(Source::Skipped { reason: "the control plane is NVIDIA's (SaaS)".into() });
    }
    let Some(context) = runai.control_plane_context else {
        return Err(Source::Skipped {
            reason: "the control plane's release is read with this cluster's secrets".into(),
        });
    };
    let Release { release, namespace, .. } = input.release(Component::ControlPlane);
    let read = async {
        let (config, _) = config(opts.kube, Some(&context))
            .await
            .map_err(|e| Source::Failed { message: format!("context `{context}`: {e}") })?;
        let client = Client::try_from(config)
            .map_err(|e| Source::Failed { message: format!("context `{context}`: {}", error_chain(&e)) })?;
        let spec = ListSpec {
            namespace: Some(namespace.clone()),
            ..ListSpec::new(Kind::ControlPlaneRelease).labels(&helm_selector(&[release]))
        };
        list_all(&client, &spec).await.map_err(|s| match s {
            Source::Failed { message } => {
                Source::Failed { message: format!("context `{context}`: {message}") }
            }
            other => other,
        })
    };
    deadline
        .run(read)
        .await
        .unwrap_or_else(|timeout| Err(Source::Failed { message: format!("context `{context}`: {timeout}") }))
}

/// The cluster's CA (`<cluster namespace>/runai-ca-cert`, key `runai-ca.pem`), when present: the
/// probes trust it besides the system roots. A missing or unreadable one just means system roots.
///
/// # Errors
/// The connection was lost (reset, refused, closed without an answer): the cluster cannot be
/// reached, as for every other read.
async fn cluster_ca(client: &Client, spec: &Spec, deadline: &Deadline) -> Result<Option<Vec<u8>>, String> {
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), &spec.cluster.namespace);
    let secret = match deadline.run(secrets.get_opt("runai-ca-cert")).await {
        Ok(Ok(Some(secret))) => secret,
        Ok(Err(e)) if connection_lost(&e) => {
            return Err(format!(
                "the connection was lost reading Secret {}/runai-ca-cert: {}",
                spec.cluster.namespace,
                error_chain(&e)
            ));
        }
        _ => return Ok(None),
    };
    Ok(secret.data.and_then(|mut d| d.remove("runai-ca.pem")).map(|b| b.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_two_filtered_lists_deployments_one_narrow_kinds_none_and_every_other_kind_one() {
        let specs = lists(&["a".into()]);
        for kind in Kind::ALL {
            let n = specs.iter().filter(|s| s.kind == kind).count();
            let want = match kind {
                Kind::Secret => 2,
                Kind::ControlPlaneRelease | Kind::Service | Kind::EndpointSlice => 0,
                _ => 1,
            };
            assert_eq!(n, want, "{kind:?}");
        }
        assert!(specs.iter().filter(|s| s.kind == Kind::Secret).all(ListSpec::filtered));
        let filtered = [Kind::Secret, Kind::Deployment, Kind::CertManagerController];
        assert!(specs.iter().filter(|s| filtered.contains(&s.kind)).all(ListSpec::filtered));
        assert!(specs.iter().filter(|s| !filtered.contains(&s.kind)).all(|s| !s.filtered()));
    }

    #[test]
    fn a_failure_outranks_a_read() {
        let failed = Source::Failed { message: "x".into() };
        assert_eq!(worse(Source::Read { count: 1 }, failed.clone()), failed);
        assert_eq!(worse(failed.clone(), Source::Read { count: 1 }), failed);
    }
}
