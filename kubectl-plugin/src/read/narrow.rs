//! The narrow reads of `status`: Services and EndpointSlices by namespace and name, not every one
//! in the cluster.
//!
//! On a cluster with thousands of workloads, each with a Service and an EndpointSlice, those two
//! kinds are most of what a cluster-wide read downloads, and the checks judge a handful of them:
//!
//! - **EndpointSlices** (`backend-no-endpoints`): those of the backends of the routes this tool
//!   manages and of the Knative route, read after the routes, one LIST per backend in its
//!   namespace with `labelSelector=kubernetes.io/service-name=NAME`.
//! - **Services** (the Ingress controller's load-balancer address, besides the Ingresses' own):
//!   those in the namespaces whose name says Ingress controller (`ingress`, `haproxy`), read after
//!   the namespaces, one LIST per such namespace.
//!
//! Both are small, so `status` and `snapshot` take them from the API server's watch cache
//! (`resourceVersion=0`: any recent state, no etcd read); `apply`'s checks do not (see
//! `Options::watch_cache`). When the namespaces could not be read, Services fall back to one cluster-wide
//! LIST, so that nothing is missed; when the routes could not be read, no EndpointSlice is needed.

use std::cell::RefCell;

use futures::future::try_join_all;
use kube::Client;
use kube::api::ListParams;
use runai_gateway_core::ingest::Ingest;
use runai_gateway_core::snapshot::{Kind, Source};

use super::snapshot::{Deadline, connection_lost, fold_list_raw, source_of};

/// The kinds read narrowly, after the cluster-wide lists.
pub(super) const NARROW: [Kind; 2] = [Kind::Service, Kind::EndpointSlice];

/// Whether the namespace's name says it holds an Ingress controller (the same words the check of
/// the Ingress address looks for).
fn ingress_namespace(name: &str) -> bool {
    name.contains("ingress") || name.contains("haproxy")
}

fn params(cached: bool) -> ListParams {
    if cached { ListParams::default().match_any() } else { ListParams::default() }
}

/// One narrow LIST per target: `(kind, namespace, params)`.
fn targets(
    ingest: &Ingest,
    failed: &[(Kind, Source)],
    cached: bool,
) -> Vec<(Kind, Option<String>, ListParams)> {
    let failed_kind = |k: Kind| failed.iter().any(|(f, _)| *f == k);
    let mut out = Vec::new();
    if failed_kind(Kind::Namespace) {
        out.push((Kind::Service, None, ListParams::default()));
    } else {
        for ns in ingest.namespace_names().filter(|n| ingress_namespace(n)) {
            out.push((Kind::Service, Some(ns.to_owned()), params(cached)));
        }
    }
    if !failed_kind(Kind::HttpRoute) {
        for (ns, service) in ingest.judged_backends() {
            let p = params(cached).labels(&format!("kubernetes.io/service-name={service}"));
            out.push((Kind::EndpointSlice, Some(ns), p));
        }
    }
    out
}

/// Reads the Services and EndpointSlices the checks judge into `ingest`; returns the failures.
///
/// # Errors
/// A connection reset, refused or closed without an answer, as the cluster-wide lists treat it:
/// what was being read and how, and every other narrow read is abandoned at once.
pub(super) async fn read(
    client: &Client,
    ingest: &RefCell<Ingest>,
    failed: &[(Kind, Source)],
    deadline: &Deadline,
    cached: bool,
) -> Result<Vec<(Kind, Source)>, String> {
    let targets = targets(&ingest.borrow(), failed, cached);
    let reads = targets.into_iter().map(|(kind, ns, p)| async move {
        let read = fold_list_raw(client, kind, ns.as_deref(), p, ingest);
        let outcome = match deadline.run(read).await {
            Ok(Err(e)) if connection_lost(&e) => {
                let scope = ns.as_deref().map(|n| format!(" in `{n}`")).unwrap_or_default();
                return Err(format!(
                    "the connection was lost listing `{}`{scope}: {}",
                    kind.resource(),
                    crate::kube_args::error_chain(&e)
                ));
            }
            Ok(r) => r.map_err(|e| source_of(kind, &e)),
            Err(timeout) => Err(Source::Failed { message: timeout }),
        };
        Ok((kind, outcome))
    });
    let results = try_join_all(reads).await?;
    let mut ingest = ingest.borrow_mut();
    for kind in NARROW {
        ingest.mark_read(kind);
    }
    Ok(results.into_iter().filter_map(|(kind, r)| r.err().map(|s| (kind, s))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_read_where_an_ingress_controller_lives() {
        assert!(ingress_namespace("ingress-nginx"));
        assert!(ingress_namespace("haproxy-controller"));
        assert!(ingress_namespace("openshift-ingress"));
        assert!(!ingress_namespace("runai-proj-0001"));
    }

    #[test]
    fn without_namespaces_services_are_read_cluster_wide() {
        let ingest = Ingest::new(None, &[]);
        let failed = [(Kind::Namespace, Source::Failed { message: "x".into() })];
        let t = targets(&ingest, &failed, true);
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].0, t[0].1.clone()), (Kind::Service, None));
        assert!(t[0].2.resource_version.is_none(), "a fallback read is a consistent one");
    }
}
