//! Reading what `apply` and `rollback` decide from: the core's [`Facts`], [`Observation`] and
//! [`RollbackFacts`], filled from the cluster. Only reads; a failed read stops the run before
//! anything is decided, with what was being read.

use runai_gateway_core::engine::{
    self, DeployedRelease, Facts, Observation, ReleaseState, RollbackFacts, gateway_ref, secret_ref,
    state_ref,
};
use runai_gateway_core::externaldns::ExternalDns;
use runai_gateway_core::helm::Component;
use runai_gateway_core::kinds;
use runai_gateway_core::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use runai_gateway_core::plan::{Ownership, Plan};
use runai_gateway_core::spec::{DnsMode, Spec, SpecInput};
use runai_gateway_core::state::{ObjectRef, StateRecord};

use super::client::{Cluster, Clusters, Failure};
use crate::exit::Exit;

/// A read that failed before anything was decided (so nothing was changed by this run).
#[derive(Debug, thiserror::Error)]
#[error("reading {what}: {failure}")]
pub struct ReadError {
    /// What was being read.
    pub what: String,
    /// How it failed (its text is in this error's; its source chain goes on to the kube client's).
    #[source]
    pub failure: Failure,
}

impl ReadError {
    /// Exit code: a forbidden read is a missing permission (9), no answer an unreachable
    /// cluster (6), anything else a failure (1).
    pub fn exit(&self) -> Exit {
        match &self.failure {
            Failure::Status { code: 403, .. } => Exit::Refused,
            Failure::Transport(..) => Exit::Unreachable,
            Failure::Status { .. } => Exit::Failure,
        }
    }
}

/// `result`, or a [`ReadError`] naming `what`.
pub fn reading<T>(what: impl std::fmt::Display, result: Result<T, Failure>) -> Result<T, ReadError> {
    result.map_err(|failure| ReadError { what: what.to_string(), failure })
}

fn kind(api_version: &str, name: &str) -> &'static kinds::KindInfo {
    kinds::lookup(api_version, name).unwrap_or(&kinds::KINDS[0])
}

/// The deployed revision of `release` in `namespace`, from Helm's own storage (the
/// `sh.helm.release.v1.*` Secrets), the way `helm get values` reads it: no `helm` binary needed.
fn deployed(cluster: &Cluster, release: &str, namespace: &str) -> Result<Option<DeployedRelease>, ReadError> {
    let secrets = reading(
        format_args!("Helm release `{namespace}/{release}`"),
        cluster.list(kind("v1", "Secret"), Some(namespace), Some(&format!("owner=helm,name={release}"))),
    )?;
    Ok(DeployedRelease::newest(&secrets))
}

/// The state record, if `apply` wrote one.
///
/// # Errors
/// The read failed, or the record is unreadable.
pub fn state_record(cluster: &Cluster, gateway_namespace: &str) -> anyhow::Result<Option<StateRecord>> {
    match reading("the state record", cluster.get(&state_ref(gateway_namespace)))? {
        Some(cm) => Ok(Some(StateRecord::from_configmap(&cm)?)),
        None => Ok(None),
    }
}

/// The releases, the state record and the addresses.
///
/// # Errors
/// A failed read, or an unreadable state record.
pub fn facts(clusters: &Clusters, spec: &Spec) -> anyhow::Result<Facts> {
    let kube = &clusters.main;
    let mut releases = Vec::new();
    for (component, release) in
        [(Component::Cluster, &spec.cluster), (Component::ControlPlane, &spec.backend)]
    {
        if component == Component::ControlPlane && !spec.manages_backend() {
            continue;
        }
        let deployed = deployed(clusters.for_component(component), &release.release, &release.namespace)?;
        releases.push(ReleaseState {
            component,
            name: release.release.clone(),
            namespace: release.namespace.clone(),
            deployed,
        });
    }
    let state = state_record(kube, &spec.gateway_namespace)?;
    let gateway = reading("the Gateway", kube.get(&gateway_ref(spec)))?;
    let ingresses = reading("Ingresses", kube.list(kind("networking.k8s.io/v1", "Ingress"), None, None))?;
    // The Services only when no Ingress reports the address.
    let ingress_address = match engine::ingress_address(&ingresses, &[], spec) {
        Some(a) => Some(a),
        None => {
            let services = reading("Ingresses", kube.list(kind("v1", "Service"), None, None))?;
            engine::ingress_address(&[], &services, spec)
        }
    };
    Ok(Facts { releases, state, gateway_address: engine::gateway_address(gateway.as_ref()), ingress_address })
}

/// Everything `apply` decides from: the facts, the plan, the live counterpart of every planned
/// object, the secret to copy, and the hand-made Ingresses.
///
/// # Errors
/// A failed read.
pub fn observation(clusters: &Clusters, input: &SpecInput, spec: &Spec) -> anyhow::Result<Observation> {
    let kube = &clusters.main;
    let facts = facts(clusters, spec)?;
    let plan = facts.plan(input, spec);
    let mut objects = Vec::new();
    for planned in &plan.objects {
        let r = ObjectRef::of(&planned.manifest);
        objects.push(reading(&r, kube.get(&r))?);
    }
    let mut copy = None;
    for req in &plan.secrets {
        let Some(from) = &req.copy_from else { continue };
        let target = secret_ref(&req.namespace, &req.name);
        if reading(&target, kube.get(&target))?.is_none() {
            let source = secret_ref(&from.namespace, &req.name);
            if reading(&source, kube.get(&source))?.is_some() {
                copy = Some((req.clone(), source));
            }
        }
    }
    let hand_made_ingresses = hand_made_ingresses(kube, &plan.spec)?;
    let (mut external_dns, mut ingresses) = (Vec::new(), Vec::new());
    if plan.spec.dns == DnsMode::ExternalDns {
        external_dns = external_dns_deployments(kube)?;
        ingresses = reading("Ingresses", kube.list(kind("networking.k8s.io/v1", "Ingress"), None, None))?;
    }
    Ok(Observation { facts, plan, objects, copy, hand_made_ingresses, external_dns, ingresses })
}

/// Ingress objects in the cluster's and Knative's namespaces that no Helm release manages.
///
/// # Errors
/// A failed read.
pub fn hand_made_ingresses(kube: &Cluster, spec: &Spec) -> Result<Vec<serde_json::Value>, ReadError> {
    let mut out = Vec::new();
    for ns in [&spec.cluster.namespace, &spec.knative_namespace] {
        let items = reading("Ingresses", kube.list(kind("networking.k8s.io/v1", "Ingress"), Some(ns), None))?;
        out.extend(engine::hand_made(items));
    }
    Ok(out)
}

/// What `rollback` reads besides the facts.
///
/// # Errors
/// A failed read.
pub fn rollback_facts(
    kube: &Cluster,
    facts: &Facts,
    plan: &Plan,
    prune: bool,
) -> Result<RollbackFacts, ReadError> {
    let mut existing_ingresses = Vec::new();
    for ing in facts.state.as_ref().map(|s| s.pruned_ingresses.as_slice()).unwrap_or_default() {
        let r = ObjectRef::of(ing);
        if reading(&r, kube.get(&r))?.is_some() {
            existing_ingresses.push(r);
        }
    }
    let knative = match plan.objects.iter().find(|o| o.ownership == Ownership::Fields) {
        Some(o) => reading("KnativeServing", kube.get(&ObjectRef::of(&o.manifest)))?,
        None => None,
    };
    let mut labelled = Vec::new();
    let mut state_configmap = None;
    if prune {
        let selector = format!("{MANAGED_BY_LABEL}={FIELD_MANAGER}");
        for k in kinds::prunable() {
            labelled.extend(reading("objects to prune", kube.list(k, None, Some(&selector)))?);
        }
        state_configmap = reading("the state record", kube.get(&state_ref(&plan.spec.gateway_namespace)))?;
    }
    let mut adopted_live = Vec::new();
    for a in facts.state.as_ref().map(|s| s.adopted.as_slice()).unwrap_or_default() {
        let r = ObjectRef::of(a);
        adopted_live.push(reading(&r, kube.get(&r))?);
    }
    let mut annotated: Vec<&ObjectRef> =
        facts.state.as_ref().map(|s| s.annotations.iter().map(|a| &a.object).collect()).unwrap_or_default();
    annotated.sort();
    annotated.dedup();
    let mut annotated_live = Vec::new();
    for r in annotated {
        annotated_live.extend(reading(r, kube.get(r))?);
    }
    // Whichever way DNS was switched, an external-dns that reads HTTPRoutes keeps the records
    // with the routes until they stop claiming them: rollback reads it whenever it can, and
    // must when `apply` ran with `--dns external-dns` (this run's input or the recorded one).
    let recorded_mode = facts.state.as_ref().and_then(|s| s.input.as_ref()).and_then(|i| i.dns);
    let external_dns = if plan.spec.dns == DnsMode::ExternalDns || recorded_mode == Some(DnsMode::ExternalDns)
    {
        external_dns_deployments(kube)?
    } else {
        external_dns_deployments(kube).unwrap_or_default()
    };
    let mut routes_live = Vec::new();
    if external_dns.iter().any(|e| e.reads(runai_gateway_core::externaldns::HTTPROUTE_SOURCE)) {
        for o in plan.objects.iter().filter(|o| o.manifest["kind"] == "HTTPRoute") {
            let r = ObjectRef::of(&o.manifest);
            routes_live.extend(reading(&r, kube.get(&r))?);
        }
    }
    Ok(RollbackFacts {
        knative,
        existing_ingresses,
        labelled,
        state_configmap,
        adopted_live,
        annotated_live,
        external_dns,
        routes_live,
    })
}

/// The external-dns Deployments of the cluster (by their label, as `status` reads them), read
/// from their arguments.
///
/// # Errors
/// A failed read.
fn external_dns_deployments(kube: &Cluster) -> Result<Vec<ExternalDns>, ReadError> {
    let selector = Some(runai_gateway_core::externaldns::SELECTOR);
    let deployments = reading("Deployments", kube.list(kind("apps/v1", "Deployment"), None, selector))?;
    Ok(deployments.iter().filter_map(ExternalDns::from_deployment).collect())
}
