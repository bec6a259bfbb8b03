//! The decision of `apply`: which stages still have work, in order.

use serde_json::Value;

use super::{Action, DnsGate, Observation, Permission, ownership, record_releases, secret_ref};
use crate::diff;
use crate::helm::Component;
use crate::kinds;
use crate::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use crate::plan::{Ownership, Plan, PlannedObject};
use crate::spec::DnsMode;
use crate::stage::Stage;
use crate::state::{self, KnativeRecord, ObjectRef, StateRecord};

/// What the user chose for `apply`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyChoices {
    /// `--phase`: only this stage (`None`: every stage in order).
    pub only: Option<Stage>,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// `--force`: disable Ingress even though DNS has not moved.
    pub force: bool,
    /// `--prune-ingress`.
    pub prune_ingress: bool,
    /// Probe HTTPS in `verify` (`--no-probe` turns it off).
    pub probe: bool,
    /// `--adopt` (or `--force-conflicts`): write existing objects this tool did not make,
    /// keeping each as it was in the state record.
    pub adopt: bool,
}

impl ApplyChoices {
    fn selected(&self, stage: Stage) -> bool {
        self.only.is_none_or(|only| only == stage)
    }

    /// Whether the run goes as far as `stage` (the waits of verify and switch-dns run for every
    /// later stage too, since disabling Ingress is gated on them).
    fn reaches(&self, stage: Stage) -> bool {
        match self.only {
            None => true,
            Some(only) => only == stage || (stage >= Stage::Verify && only > stage),
        }
    }
}

/// A planned object as it will be written: an object someone else made keeps its labels, so
/// only what this tool creates carries `managed-by: runai-gateway` and `rollback --prune` can
/// never take another's object for its own.
fn as_written(planned: &PlannedObject, live: Option<&Value>) -> PlannedObject {
    let mut planned = planned.clone();
    if let Some(l) = live
        && l["metadata"]["labels"][MANAGED_BY_LABEL] != FIELD_MANAGER
        && let Some(labels) = planned
            .manifest
            .get_mut("metadata")
            .and_then(|m| m.get_mut("labels"))
            .and_then(Value::as_object_mut)
    {
        labels.remove(MANAGED_BY_LABEL);
        if labels.is_empty() {
            planned.manifest["metadata"].as_object_mut().map(|m| m.remove("labels"));
        }
    }
    planned
}

/// The ordered actions of `apply`.
///
/// Stages already done contribute nothing, so a re-run continues where the last one stopped and
/// a run on a migrated cluster has no write at all. Preflight comes first whenever anything is
/// written or every stage runs, the state record before the first write.
#[must_use]
pub fn decide_apply(obs: &Observation, choices: &ApplyChoices) -> Vec<Action> {
    let facts = &obs.facts;
    let plan = &obs.plan;
    let mut writes = Vec::new();
    if choices.selected(Stage::Prepare) {
        if let Some((req, from)) = &obs.copy {
            writes.push(Action::CopySecret { to: secret_ref(&req.namespace, &req.name), from: from.clone() });
        }
        for (planned, live) in plan.objects.iter().zip(&obs.objects) {
            let object = as_written(planned, live.as_ref());
            let changes = diff::diff(&object.manifest, live.as_ref());
            if !changes.is_empty() {
                let exists = live.is_some();
                writes.push(Action::Apply { object, exists, changes, force: choices.force_conflicts });
            }
        }
    }
    let helm = |stage: Stage, upgrades| {
        facts.pending(upgrades).into_iter().map(move |u| Action::Helm {
            stage: Some(stage),
            upgrade: u.clone(),
            version: facts.version(u),
            key_changes: facts.key_changes(u),
        })
    };
    if choices.selected(Stage::Introduce) {
        writes.extend(helm(Stage::Introduce, &plan.helm.introduce));
    }
    // The Ingresses' annotations are recorded (rollback restores them); the routes' are this
    // tool's own. Routes a rollback made external-dns ignore are read again first: some object
    // claims each name at every moment.
    let (mut annotate, mut ignore_ingresses) = (Vec::new(), Vec::new());
    if choices.selected(Stage::SwitchDns) {
        annotate = super::dns::route_unignore_actions(&planned_routes(plan, &obs.objects));
        if plan.spec.dns == DnsMode::ExternalDns {
            ignore_ingresses = super::dns::ignore_actions(
                &obs.external_dns,
                &obs.ingresses,
                &crate::manifests::https_hostnames(&plan.spec),
            );
        }
    }
    let recorded = facts.state.as_ref().map(|s| s.annotations.as_slice()).unwrap_or_default();
    let annotated = super::dns::records(&ignore_ingresses, &obs.ingresses, recorded);
    annotate.extend(ignore_ingresses);
    let mut disable: Vec<Action> = Vec::new();
    if choices.selected(Stage::DisableIngress) {
        disable.extend(helm(Stage::DisableIngress, &plan.helm.disable_ingress));
    }
    // Ingresses made by hand: deleted with `--prune-ingress` (a write: kept in the state record
    // first, under the lock, its permission asked in the preflight), else listed.
    let hand_made =
        if choices.selected(Stage::DisableIngress) { hand_made_ingresses(obs, choices) } else { Vec::new() };
    let pruning = hand_made.iter().any(|a| matches!(a, Action::PruneIngress { .. }));

    let any_write = !writes.is_empty() || !disable.is_empty() || !annotate.is_empty() || pruning;
    let foreign = ownership::foreign_objects(&plan.objects, &obs.objects, facts.state.as_ref());
    let mut actions = Vec::new();
    if any_write || choices.selected(Stage::Preflight) {
        let all: Vec<&Action> = writes.iter().chain(&annotate).chain(&disable).chain(&hand_made).collect();
        let needs_record = any_write && facts.state.is_none();
        let refused =
            if choices.adopt { Vec::new() } else { foreign.iter().map(|(f, _)| f.clone()).collect() };
        actions.push(Action::Preflight {
            permissions: permissions(&all, needs_record, &plan.spec),
            foreign: refused,
        });
    }
    let adopting = choices.adopt && !foreign.is_empty() && choices.selected(Stage::Prepare);
    if any_write && facts.state.is_none() {
        let mut record = state_record(obs);
        if adopting {
            record.adopted.extend(foreign.iter().map(|(_, live)| ownership::as_recorded(live)));
        }
        record.annotations.extend(annotated);
        actions.push(Action::RecordState(Box::new(record)));
    } else if let (true, Some(existing)) =
        ((adopting || !annotated.is_empty()) && any_write, facts.state.as_ref())
    {
        // A resumed run adds what it adopts or annotates now to the first record.
        let mut record = existing.clone();
        if adopting {
            record.adopted.extend(foreign.iter().map(|(_, live)| ownership::as_recorded(live)));
        }
        record.annotations.extend(annotated);
        actions.push(Action::RecordState(Box::new(record)));
    }
    actions.extend(writes);
    if choices.reaches(Stage::Verify) {
        actions.push(Action::Verify { probe: choices.probe });
    }
    actions.extend(annotate);
    if choices.reaches(Stage::SwitchDns) {
        actions.push(Action::AwaitDns {
            records: plan.dns.clone(),
            target: None,
            gate: DnsGate::SwitchDns { force: choices.force },
        });
    }
    actions.extend(disable);
    actions.extend(hand_made);
    actions
}

/// The Ingresses made by hand that stay when Ingress is turned off: a delete of each with
/// `--prune-ingress`, else one action listing them.
fn hand_made_ingresses(obs: &Observation, choices: &ApplyChoices) -> Vec<Action> {
    if obs.hand_made_ingresses.is_empty() {
        return Vec::new();
    }
    if !choices.prune_ingress {
        return vec![Action::KeepIngresses(obs.hand_made_ingresses.iter().map(ObjectRef::of).collect())];
    }
    let prune = |ing: &Value| {
        let mut manifest = ing.clone();
        super::strip_server_fields(&mut manifest);
        let uid = ing["metadata"]["uid"].as_str().unwrap_or_default().to_owned();
        Action::PruneIngress { manifest, uid }
    };
    obs.hand_made_ingresses.iter().map(prune).collect()
}

/// The live HTTPRoutes of the plan (`live` is in the plan's order), with `apiVersion` and `kind`.
#[must_use]
pub fn planned_routes(plan: &Plan, live: &[Option<Value>]) -> Vec<Value> {
    plan.objects
        .iter()
        .zip(live)
        .filter(|(p, _)| p.manifest["kind"] == "HTTPRoute")
        .filter_map(|(_, l)| l.clone())
        .collect()
}

/// The permissions the writes of `actions` (`apply`'s or `rollback`'s) need, each once, and the
/// run's lock when there is any.
#[must_use]
pub fn permissions(actions: &[&Action], record: bool, spec: &crate::Spec) -> Vec<Permission> {
    let mut out: Vec<Permission> = Vec::new();
    let mut add = |verb, r: &ObjectRef, component, why: String| {
        let info = kinds::lookup(&r.api_version, &r.kind);
        let p = Permission {
            verb,
            group: info.map_or_else(String::new, |k| k.group().to_owned()),
            resource: info.map_or("unknown", |k| k.plural).to_owned(),
            namespace: r.namespace.clone(),
            component,
            why,
        };
        let same = |q: &Permission| {
            (q.verb, &q.group, &q.resource, &q.namespace, q.component)
                == (p.verb, &p.group, &p.resource, &p.namespace, p.component)
        };
        if !out.iter().any(same) {
            out.push(p);
        }
    };
    if record {
        add(
            "create",
            &super::state_ref(&spec.gateway_namespace),
            Component::Cluster,
            "the state record".into(),
        );
    }
    for a in actions {
        match a {
            Action::CopySecret { to, .. } => {
                add("create", to, Component::Cluster, "copying the inference secret".into());
            }
            Action::Apply { object, exists, .. } => {
                let r = ObjectRef::of(&object.manifest);
                add("patch", &r, Component::Cluster, format!("server-side apply of {r}"));
                if !exists {
                    add("create", &r, Component::Cluster, format!("creating {r}"));
                }
            }
            Action::Annotate { object, .. } => {
                add("patch", object, Component::Cluster, format!("annotating {object} for external-dns"));
            }
            Action::Helm { upgrade: u, .. } => {
                let storage = secret_ref(&u.namespace, "");
                for verb in ["list", "create", "update"] {
                    add(verb, &storage, u.component, format!("helm upgrade {} (release storage)", u.release));
                }
            }
            // `rollback`'s writes.
            Action::Recreate(m) => {
                let r = ObjectRef::of(m);
                add("create", &r, Component::Cluster, format!("re-creating {r}"));
            }
            Action::Restore { manifest, .. } => {
                let r = ObjectRef::of(manifest);
                add(
                    "update",
                    &r,
                    Component::Cluster,
                    format!("restoring {r} as it was before apply --adopt"),
                );
            }
            Action::RestoreKnative { manifest, .. } => {
                let r = ObjectRef::of(manifest);
                add("patch", &r, Component::Cluster, format!("restoring the recorded fields of {r}"));
            }
            Action::Delete { object, .. } => {
                add("delete", object, Component::Cluster, format!("deleting {object} (--prune)"));
            }
            Action::PruneIngress { manifest, .. } => {
                let r = ObjectRef::of(manifest);
                add("delete", &r, Component::Cluster, format!("deleting {r} (--prune-ingress)"));
            }
            _ => {}
        }
    }
    if actions.iter().any(|a| a.writes()) {
        // The run's lock: the Lease `runai-gateway-lock` in the Gateway's namespace.
        for verb in ["get", "create", "update", "delete"] {
            let p = Permission {
                verb,
                group: "coordination.k8s.io".into(),
                resource: "leases".into(),
                namespace: spec.gateway_namespace.clone(),
                component: Component::Cluster,
                why: "the lock that keeps runs one at a time".into(),
            };
            out.push(p);
        }
    }
    out
}

/// The record `apply` stores before its first write: the previous values of every Helm key it
/// sets, the KnativeServing fields it changes, which planned objects existed, the Ingress address,
/// and the input, so that `rollback` needs nothing else.
#[must_use]
pub fn state_record(obs: &Observation) -> StateRecord {
    let spec = &obs.plan.spec;
    let mut record = StateRecord::new(&spec.gateway_namespace, &spec.gateway_name);
    record.releases = record_releases(&obs.facts, &obs.plan);
    record.ingress_address.clone_from(&obs.facts.ingress_address);
    record.input = Some(obs.plan.input.clone());
    for (planned, live) in obs.plan.objects.iter().zip(&obs.objects) {
        let Some(l) = live else { continue };
        let r = ObjectRef::of(&planned.manifest);
        if planned.ownership == Ownership::Fields {
            record.knative_serving = Some(KnativeRecord {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
                fields: state::project(&l["spec"], &planned.manifest["spec"]),
            });
        }
        record.existed.push(r);
    }
    for req in &obs.plan.secrets {
        if req.copy_from.is_some() && obs.copy.is_none() {
            record.existed.push(secret_ref(&req.namespace, &req.name));
        }
    }
    record
}
