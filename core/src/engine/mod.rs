//! Decide, as data: from the plan and what the cluster holds now, the ordered list of actions
//! `apply` or `rollback` takes.
//!
//! The plugin reads the cluster into an [`Observation`] (the Run:ai releases, the state record,
//! the live counterpart of every planned object, the addresses), asks [`decide_apply`] or
//! [`decide_rollback`] for the [`Action`]s, shows them (the summary, `--diff`, `--dry-run`, the
//! confirmation) and carries them out in order. Everything here is a pure function of its
//! arguments, so a decision is tested as a table, without a server, and what `apply` prints
//! before it asks is exactly what it then does.

mod apply;
pub mod dns;
pub mod ownership;
mod rollback;
mod serving;
pub mod view;

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub use self::apply::{ApplyChoices, decide_apply, permissions, state_record};
pub use self::rollback::{RollbackChoices, RollbackFacts, decide_rollback};
pub use self::serving::awaiting;
use crate::diff::FieldChange;
use crate::helm::{Component, HelmUpgrade};
use crate::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use crate::plan::{DnsRecord, Observed, Plan, PlannedObject, SecretRequirement};
use crate::spec::{Spec, SpecInput};
use crate::stage::Stage;
use crate::state::{self, ObjectRef, StateRecord};

/// The deployed revision of a Helm release, as Helm stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedRelease {
    /// Revision number.
    pub revision: i64,
    /// Chart version (every upgrade is pinned to it).
    pub chart_version: String,
    /// User-supplied values (`helm get values`).
    pub values: Value,
    /// The chart's default values.
    pub chart_values: Value,
}

impl DeployedRelease {
    /// The newest `deployed` revision among Helm's release Secrets of one release.
    #[must_use]
    pub fn newest(secrets: &[Value]) -> Option<DeployedRelease> {
        let mut best: Option<DeployedRelease> = None;
        for s in secrets.iter().filter(|s| s["metadata"]["labels"]["status"] == "deployed") {
            let Some(rel) = state::release_json(s) else { continue };
            let revision = rel["version"].as_i64().unwrap_or_default();
            if best.as_ref().is_none_or(|b| b.revision < revision) {
                best = Some(DeployedRelease {
                    revision,
                    chart_version: rel["chart"]["metadata"]["version"].as_str().unwrap_or_default().into(),
                    values: rel["config"].clone(),
                    chart_values: rel["chart"]["values"].clone(),
                });
            }
        }
        best
    }
}

/// One Run:ai release of the plan and its deployed revision.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseState {
    /// Control plane or cluster.
    pub component: Component,
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// The deployed revision, if any.
    pub deployed: Option<DeployedRelease>,
}

/// What is read before the plan can be computed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The Run:ai releases the plan upgrades (cluster, then control plane unless SaaS).
    pub releases: Vec<ReleaseState>,
    /// `runai-gateway-state`, when an earlier `apply` wrote it.
    pub state: Option<StateRecord>,
    /// The Gateway's address.
    pub gateway_address: Option<String>,
    /// The Ingress controller's address as the cluster reports it now.
    pub ingress_address: Option<String>,
}

impl Facts {
    /// The spec with the deployed chart versions filled in where the input left them open.
    #[must_use]
    pub fn pin(&self, spec: &Spec) -> Spec {
        let mut spec = spec.clone();
        for r in &self.releases {
            let Some(d) = &r.deployed else { continue };
            let target = match r.component {
                Component::Cluster => &mut spec.cluster,
                Component::ControlPlane => &mut spec.backend,
            };
            target.chart_version.get_or_insert_with(|| d.chart_version.clone());
        }
        spec
    }

    /// The plan for `input`, pinned to the deployed charts and with the live addresses (the
    /// Ingress address recorded by `apply` when the cluster no longer reports one).
    #[must_use]
    pub fn plan(&self, input: &SpecInput, spec: &Spec) -> Plan {
        let observed = Observed {
            gateway_address: self.gateway_address.clone(),
            ingress_address: self
                .ingress_address
                .clone()
                .or_else(|| self.state.as_ref().and_then(|s| s.ingress_address.clone())),
        };
        crate::plan(input, &self.pin(spec), &observed)
    }

    /// The release an upgrade changes.
    #[must_use]
    pub fn release(&self, u: &HelmUpgrade) -> Option<&ReleaseState> {
        self.releases.iter().find(|r| r.component == u.component)
    }

    /// The deployed revision an upgrade changes.
    #[must_use]
    pub fn deployed(&self, u: &HelmUpgrade) -> Option<&DeployedRelease> {
        self.release(u).and_then(|r| r.deployed.as_ref())
    }

    /// The chart version an upgrade is pinned to: the deployed one, else the input's.
    #[must_use]
    pub fn version(&self, u: &HelmUpgrade) -> String {
        self.deployed(u)
            .map_or_else(|| u.chart_version.clone().unwrap_or_default(), |d| d.chart_version.clone())
    }

    /// The keys of `u` that would change, as `KEY: BEFORE -> AFTER` lines.
    #[must_use]
    pub fn key_changes(&self, u: &HelmUpgrade) -> Vec<String> {
        let values = self.deployed(u).map(|d| &d.values);
        u.values
            .iter()
            .filter(|v| !values.is_some_and(|vals| state::value_set(vals, v)))
            .map(|v| {
                let before = values
                    .and_then(|vals| state::lookup(vals, &v.key))
                    .map_or_else(|| "(unset)".into(), Value::to_string);
                format!("{}: {before} -> {:?}", v.key, v.value)
            })
            .collect()
    }

    /// The upgrades of `upgrades` that would still change something.
    #[must_use]
    pub fn pending<'a>(&self, upgrades: &'a [HelmUpgrade]) -> Vec<&'a HelmUpgrade> {
        upgrades
            .iter()
            .filter(|u| self.deployed(u).is_none_or(|d| !state::upgrade_done(&d.values, u)))
            .collect()
    }
}

/// Everything `apply` decides from: the facts, the plan, and the live counterpart of each
/// planned object.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// What was read first.
    pub facts: Facts,
    /// The plan, computed from the facts ([`Facts::plan`]).
    pub plan: Plan,
    /// The live object for each of `plan.objects`, in the same order (`None`: absent).
    pub objects: Vec<Option<Value>>,
    /// The secret to copy next to the Gateway: the requirement and where the original is, when
    /// the copy is missing and the original exists.
    pub copy: Option<(SecretRequirement, ObjectRef)>,
    /// Ingresses in the cluster's and Knative's namespaces that no Helm release manages.
    pub hand_made_ingresses: Vec<Value>,
    /// With `--dns external-dns`: the external-dns Deployments, read from their arguments.
    pub external_dns: Vec<crate::externaldns::ExternalDns>,
    /// With `--dns external-dns`: every Ingress of the cluster (the ones that may claim the
    /// Gateway's hostnames), with `apiVersion` and `kind` set.
    pub ingresses: Vec<Value>,
}

/// One thing `apply` or `rollback` does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Check the prerequisites (the catalog's preflight checks) and the permissions the writes
    /// need, before any write.
    Preflight {
        /// What the writes need (a SelfSubjectAccessReview each).
        permissions: Vec<Permission>,
        /// Existing objects this tool would write but did not make (refused unless adopted).
        foreign: Vec<ownership::Foreign>,
    },
    /// Store the state record `rollback` restores from (before the first write).
    RecordState(Box<StateRecord>),
    /// Copy a secret next to the Gateway: type and data only, this tool's label.
    CopySecret {
        /// The copy to make.
        to: ObjectRef,
        /// The original.
        from: ObjectRef,
    },
    /// Server-side apply of a planned object.
    Apply {
        /// The object, its labels adjusted to who made it.
        object: PlannedObject,
        /// Whether it exists.
        exists: bool,
        /// What changes, field by field.
        changes: Vec<FieldChange>,
        /// Take fields other managers own (`--force-conflicts`, or a restore).
        force: bool,
    },
    /// `helm upgrade`, pinned to the deployed chart.
    Helm {
        /// The stage it belongs to (`None`: the rollback).
        stage: Option<Stage>,
        /// The upgrade.
        upgrade: HelmUpgrade,
        /// The chart version it is pinned to.
        version: String,
        /// `KEY: BEFORE -> AFTER`.
        key_changes: Vec<String>,
    },
    /// Wait until the Gateway serves: programmed, addressed, listeners resolved, routes accepted,
    /// and (with `probe`) HTTPS answering for every hostname.
    Verify {
        /// Probe HTTPS through the Gateway too.
        probe: bool,
    },
    /// Wait for DNS: every record resolves to `target` (a human changes it).
    AwaitDns {
        /// The records.
        records: Vec<DnsRecord>,
        /// Where they must point (the Gateway or, in a rollback, the Ingress).
        target: Option<String>,
        /// The stage that waits (switch-dns, or the rollback's DNS check).
        gate: DnsGate,
    },
    /// Keep a copy of a hand-made Ingress in the state record, then delete it.
    PruneIngress {
        /// The Ingress as it is, without server fields.
        manifest: Value,
        /// Its uid (deleted only if still the same object).
        uid: String,
    },
    /// Set (or, `None`, remove) annotations of an object with a JSON merge patch: external-dns's
    /// `controller` annotation on an Ingress (`--dns external-dns`), or its previous values in a
    /// rollback.
    Annotate {
        /// The object.
        object: ObjectRef,
        /// Each key and its new value (`None`: removed).
        annotations: BTreeMap<String, Option<String>>,
    },
    /// Hand-made Ingresses that stay (without `--prune-ingress`): listed, not touched.
    KeepIngresses(Vec<ObjectRef>),
    /// Re-create an Ingress `apply --prune-ingress` deleted.
    Recreate(Value),
    /// Put an object `apply --adopt` took over back as the state record keeps it (a replace of
    /// its labels, annotations and spec, only if its resourceVersion is unchanged).
    Restore {
        /// The object as recorded, with the live `resourceVersion`.
        manifest: Value,
        /// The fields that differ now, as `path: now (was recorded)` lines.
        changes: Vec<String>,
    },
    /// Put the recorded KnativeServing fields back.
    RestoreKnative {
        /// The manifest to apply (forced).
        manifest: Value,
        /// How many fields differ.
        fields: usize,
    },
    /// Delete an object this tool created, only if its uid is unchanged.
    Delete {
        /// The object.
        object: ObjectRef,
        /// Its uid.
        uid: String,
        /// The state record itself (deleted last).
        state_record: bool,
    },
}

/// What an [`Action::AwaitDns`] gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsGate {
    /// `apply`: Ingress stays on until DNS points at the Gateway (`--force` goes on anyway).
    SwitchDns {
        /// `--force`: go on even if DNS has not moved.
        force: bool,
    },
    /// `rollback`: pruning waits until DNS no longer points at the Gateway.
    Rollback,
}

impl Action {
    /// Whether the action changes the cluster.
    #[must_use]
    pub fn writes(&self) -> bool {
        !matches!(
            self,
            Action::Preflight { .. }
                | Action::Verify { .. }
                | Action::AwaitDns { .. }
                | Action::KeepIngresses(_)
        )
    }

    /// The line naming the action in the "Applied / Not applied" report of a stopped run; `None`
    /// for the actions that report does not list.
    #[must_use]
    pub fn progress_label(&self) -> Option<String> {
        match self {
            Action::CopySecret { to, .. } => Some(format!("copy Secret {}/{}", to.namespace, to.name)),
            Action::Apply { object, .. } => Some(format!("apply {}", object.reference())),
            Action::Annotate { object, .. } => Some(format!("annotate {object}")),
            Action::Helm { stage, upgrade, .. } => Some(format!(
                "helm upgrade {} ({})",
                upgrade.release,
                stage.map_or("rollback", Stage::as_str)
            )),
            _ => None,
        }
    }
}

/// A permission the writes need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// `create`, `patch`…
    pub verb: &'static str,
    /// API group (`""` for core).
    pub group: String,
    /// Plural resource.
    pub resource: String,
    /// Namespace.
    pub namespace: String,
    /// Which cluster (the control plane may have its own context).
    pub component: Component,
    /// Why.
    pub why: String,
}

/// The copy of a secret: type and data only, this tool's label, no server fields.
#[must_use]
pub fn secret_copy(to: &ObjectRef, source: &Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": to.name,
            "namespace": to.namespace,
            "labels": { MANAGED_BY_LABEL: FIELD_MANAGER },
        },
        "type": source["type"],
        "data": source["data"],
    })
}

/// Removes what the server sets (for re-creating an object later).
pub fn strip_server_fields(obj: &mut Value) {
    if let Some(m) = obj["metadata"].as_object_mut() {
        for k in ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"] {
            m.remove(k);
        }
    }
    if let Some(o) = obj.as_object_mut() {
        o.remove("status");
    }
}

/// Whether `runai-gateway` is one of the object's field managers.
#[must_use]
pub fn managed_by_us(obj: &Value) -> bool {
    obj["metadata"]["managedFields"]
        .as_array()
        .is_some_and(|m| m.iter().any(|e| e["manager"] == FIELD_MANAGER))
}

/// A Secret's reference.
#[must_use]
pub fn secret_ref(namespace: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Secret".into(),
        namespace: namespace.into(),
        name: name.into(),
    }
}

/// The reference of the state record for a Gateway namespace.
#[must_use]
pub fn state_ref(gateway_namespace: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: gateway_namespace.into(),
        name: state::STATE_NAME.into(),
    }
}

/// The reference of the Gateway of `spec`.
#[must_use]
pub fn gateway_ref(spec: &Spec) -> ObjectRef {
    ObjectRef {
        api_version: "gateway.networking.k8s.io/v1".into(),
        kind: "Gateway".into(),
        namespace: spec.gateway_namespace.clone(),
        name: spec.gateway_name.clone(),
    }
}

/// The first address in a Gateway's status.
#[must_use]
pub fn gateway_address(gateway: Option<&Value>) -> Option<String> {
    gateway?["status"]["addresses"].as_array()?.first()?["value"].as_str().map(str::to_owned)
}

/// The Ingress controller's address: the load-balancer address the Ingresses report, else that of
/// a LoadBalancer Service that looks like an Ingress controller (the Gateway's own excluded).
#[must_use]
pub fn ingress_address(ingresses: &[Value], services: &[Value], spec: &Spec) -> Option<String> {
    let lb = |v: &Value| {
        v["status"]["loadBalancer"]["ingress"]
            .as_array()?
            .iter()
            .find_map(|a| a["ip"].as_str().or_else(|| a["hostname"].as_str()).map(str::to_owned))
    };
    if let Some(a) = ingresses.iter().find_map(lb) {
        return Some(a);
    }
    services
        .iter()
        .filter(|s| s["spec"]["type"] == "LoadBalancer")
        .filter(|s| {
            let (ns, name) = (
                s["metadata"]["namespace"].as_str().unwrap_or_default(),
                s["metadata"]["name"].as_str().unwrap_or_default(),
            );
            !(ns == spec.gateway_namespace && name == spec.gateway_name)
                && [ns, name].iter().any(|x| x.contains("ingress") || x.contains("haproxy"))
        })
        .find_map(lb)
}

/// The Ingresses of `items` (one namespace's list) that no Helm release manages.
#[must_use]
pub fn hand_made(items: Vec<Value>) -> Vec<Value> {
    items
        .into_iter()
        .filter(|i| i["metadata"]["labels"][MANAGED_BY_LABEL] != "Helm")
        .map(|mut i| {
            i["apiVersion"] = json!("networking.k8s.io/v1");
            i["kind"] = json!("Ingress");
            i
        })
        .collect()
}

/// The previous values of every Helm key the migration sets, per release.
fn record_releases(facts: &Facts, plan: &Plan) -> Vec<state::ReleaseRecord> {
    let h = &plan.helm;
    let mut out = Vec::new();
    for r in &facts.releases {
        let Some(d) = &r.deployed else { continue };
        let mut values = BTreeMap::new();
        for u in h.introduce.iter().chain(&h.disable_ingress).filter(|u| u.component == r.component) {
            for v in &u.values {
                values
                    .insert(v.key.clone(), state::lookup(&d.values, &v.key).cloned().unwrap_or(Value::Null));
            }
        }
        out.push(state::ReleaseRecord {
            release: r.name.clone(),
            namespace: r.namespace.clone(),
            revision: d.revision,
            chart_version: d.chart_version.clone(),
            values,
        });
    }
    out
}

#[cfg(test)]
mod tests;
