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
    /// Exit code: a forbidden read is a missing permission (9), no answer (or a server error,
    /// 5xx) an unreachable cluster (6), anything else a failure (1).
    pub fn exit(&self) -> Exit {
        match &self.failure {
            Failure::Status { code: 403, .. } => Exit::Refused,
            Failure::Transport(..) => Exit::Unreachable,
            Failure::Status { code: 500..=599, .. } => Exit::Unreachable,
            Failure::Status { .. } => Exit::Failure,
        }
    }
}

impl ReadError {
    /// What to do about it: nothing was changed, so the same command is safe to run again.
    pub fn hint(&self) -> &'static str {
        match self.exit() {
            Exit::Refused => {
                "nothing was changed: this account may not read it; grant the read (`kubectl auth can-i` checks it), then run the same command again"
            }
            Exit::Unreachable => "nothing was changed: run the same command again once the cluster answers",
            _ => {
                "nothing was changed: the API server refused the request; run the same command again, or report the answer above"
            }
        }
    }
}

/// `result`, or a [`ReadError`] naming `what`.
pub fn reading<T>(what: impl std::fmt::Display, result: Result<T, Failure>) -> Result<T, ReadError> {
    result.map_err(|failure| ReadError { what: what.to_string(), failure })
}

/// How the reads `apply` and `rollback` decide from treat a refusal (403): stop at the first
/// (strict, the state record `rollback` looks for when given no input), or note the permission
/// and go on as if the object were absent, so that the run names every missing permission at
/// once (tolerant, `apply` and `rollback`). Nothing is decided, and nothing written, from a
/// tolerant read that was refused.
#[derive(Debug, Default)]
pub struct Refusals {
    tolerant: bool,
    refused: std::cell::RefCell<Vec<engine::Permission>>,
}

impl Refusals {
    /// Refusals are noted, not errors.
    #[must_use]
    pub fn tolerant() -> Self {
        Self { tolerant: true, ..Self::default() }
    }

    /// The read permissions that were refused, in reading order, each once.
    #[must_use]
    pub fn into_refused(self) -> Vec<engine::Permission> {
        self.refused.into_inner()
    }

    fn note<T: Default>(
        &self,
        what: impl std::fmt::Display,
        result: Result<T, Failure>,
        verb: &'static str,
        kind: &kinds::KindInfo,
        namespace: Option<&str>,
        component: Component,
    ) -> Result<T, ReadError> {
        match result {
            Err(Failure::Status { code: 403, .. }) if self.tolerant => {
                let p = engine::Permission {
                    verb,
                    group: kind.group().to_owned(),
                    resource: kind.plural.to_owned(),
                    namespace: namespace.unwrap_or_default().to_owned(),
                    component,
                    why: what.to_string(),
                };
                let mut refused = self.refused.borrow_mut();
                if !refused.iter().any(|q| {
                    (q.verb, &q.group, &q.resource, &q.namespace)
                        == (p.verb, &p.group, &p.resource, &p.namespace)
                }) {
                    refused.push(p);
                }
                Ok(T::default())
            }
            other => reading(what, other),
        }
    }

    /// `cluster.get(r)`, a refusal noted when tolerant.
    fn get(
        &self,
        cluster: &Cluster,
        what: impl std::fmt::Display,
        r: &ObjectRef,
    ) -> Result<Option<serde_json::Value>, ReadError> {
        let info = kind(&r.api_version, &r.kind);
        self.note(what, cluster.get(r), "get", info, Some(&r.namespace), Component::Cluster)
    }

    /// `cluster.list(..)`, a refusal noted when tolerant.
    fn list(
        &self,
        cluster: &Cluster,
        what: impl std::fmt::Display,
        info: &kinds::KindInfo,
        namespace: Option<&str>,
        labels: Option<&str>,
        component: Component,
    ) -> Result<Vec<serde_json::Value>, ReadError> {
        self.note(what, cluster.list(info, namespace, labels), "list", info, namespace, component)
    }
}

fn kind(api_version: &str, name: &str) -> &'static kinds::KindInfo {
    kinds::lookup(api_version, name).unwrap_or(&kinds::KINDS[0])
}

/// The deployed revision of `release` in `namespace`, from Helm's own storage (the
/// `sh.helm.release.v1.*` Secrets), the way `helm get values` reads it: no `helm` binary needed.
fn deployed(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    component: Component,
    refusals: &Refusals,
) -> Result<Option<DeployedRelease>, ReadError> {
    let secrets = refusals.list(
        cluster,
        format_args!("Helm release `{namespace}/{release}`"),
        kind("v1", "Secret"),
        Some(namespace),
        Some(&format!("owner=helm,name={release}")),
        component,
    )?;
    Ok(DeployedRelease::newest(&secrets))
}

/// The state record, if `apply` wrote one.
///
/// # Errors
/// The read failed, or the record is unreadable.
pub fn state_record(cluster: &Cluster, gateway_namespace: &str) -> anyhow::Result<Option<StateRecord>> {
    state_record_with(cluster, gateway_namespace, &Refusals::default())
}

/// [`state_record`], a refusal treated as `refusals` says.
fn state_record_with(
    cluster: &Cluster,
    gateway_namespace: &str,
    refusals: &Refusals,
) -> anyhow::Result<Option<StateRecord>> {
    let r = state_ref(gateway_namespace);
    let what = format!("the state record (ConfigMap {}/{})", r.namespace, r.name);
    match refusals.get(cluster, what, &r)? {
        Some(cm) => Ok(Some(StateRecord::from_configmap(&cm)?)),
        None => Ok(None),
    }
}

/// The releases, the state record and the addresses, refusals treated as `refusals` says.
///
/// # Errors
/// A failed read, or an unreadable state record.
pub fn facts(clusters: &Clusters, spec: &Spec, refusals: &Refusals) -> anyhow::Result<Facts> {
    facts_with(clusters, spec, refusals).map(|(facts, _)| facts)
}

/// [`facts`], refusals treated as `refusals` says, and the cluster's Ingresses it read for
/// them (with `apiVersion` and `kind`).
fn facts_with(
    clusters: &Clusters,
    spec: &Spec,
    refusals: &Refusals,
) -> anyhow::Result<(Facts, Vec<serde_json::Value>)> {
    let kube = &clusters.main;
    let mut releases = Vec::new();
    for (component, release) in
        [(Component::Cluster, &spec.cluster), (Component::ControlPlane, &spec.backend)]
    {
        if component == Component::ControlPlane && !spec.manages_backend() {
            continue;
        }
        let deployed = deployed(
            clusters.for_component(component),
            &release.release,
            &release.namespace,
            component,
            refusals,
        )?;
        releases.push(ReleaseState {
            component,
            name: release.release.clone(),
            namespace: release.namespace.clone(),
            deployed,
        });
    }
    let state = state_record_with(kube, &spec.gateway_namespace, refusals)?;
    let gateway = refusals.get(
        kube,
        format_args!("the Gateway {}/{}", spec.gateway_namespace, spec.gateway_name),
        &gateway_ref(spec),
    )?;
    let ingress_kind = kind("networking.k8s.io/v1", "Ingress");
    let ingresses = refusals.list(kube, "Ingresses", ingress_kind, None, None, Component::Cluster)?;
    // The Services only when no Ingress reports the address.
    let ingress_address = match engine::ingress_address(&ingresses, &[], spec) {
        Some(a) => Some(a),
        None => {
            let services =
                refusals.list(kube, "Services", kind("v1", "Service"), None, None, Component::Cluster)?;
            engine::ingress_address(&[], &services, spec)
        }
    };
    let gateway_address = engine::gateway_address(gateway.as_ref());
    Ok((Facts { releases, state, gateway_address, ingress_address }, ingresses))
}

/// Everything `apply` decides from: the facts, the plan, the live counterpart of every planned
/// object, the secret to copy, and the hand-made Ingresses.
///
/// # Errors
/// A failed read.
pub fn observation(
    clusters: &Clusters,
    input: &SpecInput,
    spec: &Spec,
    refusals: &Refusals,
) -> anyhow::Result<Observation> {
    let kube = &clusters.main;
    let (facts, all_ingresses) = facts_with(clusters, spec, refusals)?;
    let plan = facts.plan(input, spec);
    let mut objects = Vec::new();
    for planned in &plan.objects {
        let r = ObjectRef::of(&planned.manifest);
        objects.push(refusals.get(kube, &r, &r)?);
    }
    let mut copy = None;
    for req in &plan.secrets {
        let Some(from) = &req.copy_from else { continue };
        let target = secret_ref(&req.namespace, &req.name);
        if refusals.get(kube, &target, &target)?.is_none() {
            let source = secret_ref(&from.namespace, &req.name);
            if refusals.get(kube, &source, &source)?.is_some() {
                copy = Some((req.clone(), source));
            }
        }
    }
    let mut hand_made_ingresses = Vec::new();
    for ns in [&plan.spec.cluster.namespace, &plan.spec.knative_namespace] {
        let ingress = kind("networking.k8s.io/v1", "Ingress");
        let items = refusals.list(kube, "Ingresses", ingress, Some(ns), None, Component::Cluster)?;
        hand_made_ingresses.extend(engine::hand_made(items));
    }
    let (mut external_dns, mut ingresses) = (Vec::new(), Vec::new());
    if plan.spec.dns == DnsMode::ExternalDns {
        external_dns = external_dns_deployments(kube, refusals)?;
        ingresses = all_ingresses;
    }
    Ok(Observation { facts, plan, objects, copy, hand_made_ingresses, external_dns, ingresses })
}

/// What `rollback` reads besides the facts, refusals treated as `refusals` says.
///
/// # Errors
/// A failed read.
pub fn rollback_facts(
    kube: &Cluster,
    facts: &Facts,
    plan: &Plan,
    prune: bool,
    refusals: &Refusals,
) -> Result<RollbackFacts, ReadError> {
    let mut existing_ingresses = Vec::new();
    for ing in facts.state.as_ref().map(|s| s.pruned_ingresses.as_slice()).unwrap_or_default() {
        let r = ObjectRef::of(ing);
        if refusals.get(kube, &r, &r)?.is_some() {
            existing_ingresses.push(r);
        }
    }
    let knative = match plan.objects.iter().find(|o| o.ownership == Ownership::Fields) {
        Some(o) => {
            let r = ObjectRef::of(&o.manifest);
            refusals.get(kube, &r, &r)?
        }
        None => None,
    };
    let mut labelled = Vec::new();
    let mut state_configmap = None;
    if prune {
        let selector = format!("{MANAGED_BY_LABEL}={FIELD_MANAGER}");
        for k in kinds::prunable() {
            labelled.extend(refusals.list(
                kube,
                "objects to prune",
                k,
                None,
                Some(&selector),
                Component::Cluster,
            )?);
        }
        state_configmap = refusals.get(kube, "the state record", &state_ref(&plan.spec.gateway_namespace))?;
    }
    let mut adopted_live = Vec::new();
    for a in facts.state.as_ref().map(|s| s.adopted.as_slice()).unwrap_or_default() {
        let r = ObjectRef::of(a);
        adopted_live.push(refusals.get(kube, &r, &r)?);
    }
    let mut annotated: Vec<&ObjectRef> =
        facts.state.as_ref().map(|s| s.annotations.iter().map(|a| &a.object).collect()).unwrap_or_default();
    annotated.sort();
    annotated.dedup();
    let mut annotated_live = Vec::new();
    for r in annotated {
        annotated_live.extend(refusals.get(kube, r, r)?);
    }
    // Whichever way DNS was switched, an external-dns that reads HTTPRoutes keeps the records
    // with the routes until they stop claiming them: rollback reads it whenever it can, and
    // must when `apply` ran with `--dns external-dns` (this run's input or the recorded one).
    let recorded_mode = facts.state.as_ref().and_then(|s| s.input.as_ref()).and_then(|i| i.dns);
    let external_dns = if plan.spec.dns == DnsMode::ExternalDns || recorded_mode == Some(DnsMode::ExternalDns)
    {
        external_dns_deployments(kube, refusals)?
    } else {
        external_dns_deployments(kube, &Refusals::default()).unwrap_or_default()
    };
    let mut routes_live = Vec::new();
    if external_dns.iter().any(|e| e.reads(runai_gateway_core::externaldns::HTTPROUTE_SOURCE)) {
        for o in plan.objects.iter().filter(|o| o.manifest["kind"] == "HTTPRoute") {
            let r = ObjectRef::of(&o.manifest);
            routes_live.extend(refusals.get(kube, &r, &r)?);
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
fn external_dns_deployments(kube: &Cluster, refusals: &Refusals) -> Result<Vec<ExternalDns>, ReadError> {
    let selector = Some(runai_gateway_core::externaldns::SELECTOR);
    let deployment = kind("apps/v1", "Deployment");
    let deployments = refusals.list(kube, "Deployments", deployment, None, selector, Component::Cluster)?;
    Ok(deployments.iter().filter_map(ExternalDns::from_deployment).collect())
}
