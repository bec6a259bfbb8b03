//! The decision of `rollback`: back to Ingress from any point, restoring what `apply` recorded.

use serde_json::{Value, json};

use super::{Action, DnsGate, Facts, managed_by_us};
use crate::diff;
use crate::helm::{HelmUpgrade, HelmValue, ValueKind};
use crate::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use crate::plan::{Ownership, Plan};
use crate::state::{self, ObjectRef, StateRecord};

/// What the user chose for `rollback`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollbackChoices {
    /// `--prune`: delete what `apply` created, once DNS is back on the Ingress.
    pub prune: bool,
}

/// What `rollback` reads besides the [`Facts`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackFacts {
    /// The live KnativeServing the plan changes, if any.
    pub knative: Option<Value>,
    /// Which of the Ingresses `apply --prune-ingress` deleted exist again.
    pub existing_ingresses: Vec<ObjectRef>,
    /// With `--prune`: the objects of the prunable kinds that carry this tool's label, with
    /// `apiVersion` and `kind` set, in deletion order.
    pub labelled: Vec<Value>,
    /// With `--prune`: the live state record ConfigMap.
    pub state_configmap: Option<Value>,
    /// The live counterpart of each object the state record adopted, in the record's order
    /// (`None`: gone).
    pub adopted_live: Vec<Option<Value>>,
    /// The Ingresses the state record holds annotations of, those that still exist.
    pub annotated_live: Vec<Value>,
    /// With `--dns external-dns`: the external-dns Deployments, read from their arguments.
    pub external_dns: Vec<crate::externaldns::ExternalDns>,
    /// With `--dns external-dns`: the live HTTPRoutes of the plan (those that exist), with
    /// `apiVersion` and `kind` set.
    pub routes_live: Vec<Value>,
}

/// Whether `u` has nothing to undo: every key already has its rollback value in effect, either
/// set in the release or, when unset there, as the chart's default (a key never set has the
/// chart's default, which for Run:ai 2.25 is Ingress on and the Gateway API off).
fn in_effect(facts: &Facts, u: &HelmUpgrade) -> bool {
    let Some(d) = facts.deployed(u) else { return false };
    u.values.iter().all(|v| {
        if v.value == "null" {
            // `--set KEY=null` removes the key: in effect when the release does not set it.
            return state::lookup(&d.values, &v.key).is_none();
        }
        let effective = state::lookup(&d.values, &v.key).or_else(|| state::lookup(&d.chart_values, &v.key));
        effective.is_none_or(|x| state::as_flag_text(x) == v.value)
    })
}

/// `u` plus the typed keys the migration changed (`subdomainSupport` in path mode), set back to
/// their recorded values (`null`, which Helm reads as "remove the key", when they were unset).
fn with_restored(facts: &Facts, plan: &Plan, u: &HelmUpgrade) -> HelmUpgrade {
    let mut out = u.clone();
    let (Some(rec), Some(d)) =
        (facts.state.as_ref().and_then(|s| s.release(&u.release, &u.namespace)), facts.deployed(u))
    else {
        return out;
    };
    let typed = plan.helm.introduce.iter().filter(|i| i.component == u.component).flat_map(|i| &i.values);
    for v in typed.filter(|v| v.kind == ValueKind::Typed) {
        let Some(before) = rec.values.get(&v.key) else { continue };
        let now = state::lookup(&d.values, &v.key);
        let before = (!before.is_null()).then_some(before);
        if now != before && !out.values.iter().any(|o| o.key == v.key) {
            out.values.push(HelmValue {
                key: v.key.clone(),
                value: before.map_or_else(|| "null".to_owned(), state::as_flag_text),
                kind: ValueKind::Typed,
            });
        }
    }
    out
}

/// The KnativeServing manifest that puts the recorded fields back, and how many fields differ,
/// when anything does.
fn knative_restore(
    state: Option<&StateRecord>,
    plan: &Plan,
    current: Option<&Value>,
) -> Option<(Value, usize)> {
    let rec = state?.knative_serving.as_ref()?;
    let planned = plan.objects.iter().find(|o| o.ownership == Ownership::Fields)?;
    let current = current?;
    let desired = json!({
        "apiVersion": planned.manifest["apiVersion"],
        "kind": planned.manifest["kind"],
        "metadata": { "name": rec.name, "namespace": rec.namespace },
        "spec": rec.fields,
    });
    let mut changes = diff::diff(&desired, Some(current)).len();
    // Fields the migration added (absent before) and that are still there.
    let added = state::project(&current["spec"], &planned.manifest["spec"]);
    changes += diff::diff(&json!({ "spec": added }), Some(&json!({ "spec": rec.fields }))).len();
    (changes > 0).then_some((desired, changes))
}

/// The objects `apply` created: this tool's label and field manager, not recorded as
/// pre-existing.
fn created(labelled: &[Value], state: Option<&StateRecord>) -> Vec<(ObjectRef, String)> {
    let ours = |o: &Value| o["metadata"]["labels"][MANAGED_BY_LABEL] == FIELD_MANAGER && managed_by_us(o);
    labelled
        .iter()
        .filter(|o| ours(o) || crate::certmanager::issued_for(o, labelled.iter().filter(|c| ours(c))))
        .map(|o| (ObjectRef::of(o), o["metadata"]["uid"].as_str().unwrap_or_default().to_owned()))
        .filter(|(r, _)| !state.is_some_and(|s| s.existed_before(r)))
        .collect()
}

/// The ordered actions of `rollback`: re-create the pruned Ingresses, Helm back to Ingress (only
/// the releases not already there), the recorded KnativeServing fields, the DNS check, and with
/// `--prune` the deletions, gated on DNS (the state record last).
#[must_use]
pub fn decide_rollback(
    facts: &Facts,
    plan: &Plan,
    rf: &RollbackFacts,
    choices: RollbackChoices,
) -> Vec<Action> {
    let state = facts.state.as_ref();
    let mut actions: Vec<Action> = Vec::new();
    for ing in state.map(|s| s.pruned_ingresses.as_slice()).unwrap_or_default() {
        if !rf.existing_ingresses.contains(&ObjectRef::of(ing)) {
            actions.push(Action::Recreate(ing.clone()));
        }
    }
    let upgrades: Vec<HelmUpgrade> =
        plan.helm.rollback.iter().map(|u| with_restored(facts, plan, u)).collect();
    for u in facts.pending(&upgrades).into_iter().filter(|u| !in_effect(facts, u)) {
        actions.push(Action::Helm {
            stage: None,
            upgrade: u.clone(),
            version: facts.version(u),
            key_changes: facts.key_changes(u),
        });
    }
    if let Some((manifest, fields)) = knative_restore(state, plan, rf.knative.as_ref()) {
        actions.push(Action::RestoreKnative { manifest, fields });
    }
    // external-dns may claim the Ingresses' hostnames again once Ingress serves again.
    let recorded = state.map(|s| s.annotations.as_slice()).unwrap_or_default();
    actions.extend(super::dns::restore_actions(recorded, &rf.annotated_live));
    // ...and the Gateway's routes, which own the records now, must stop claiming them.
    actions.extend(super::dns::route_ignore_actions(&rf.external_dns, &rf.routes_live));
    let target = facts.ingress_address.clone().or_else(|| state.and_then(|s| s.ingress_address.clone()));
    actions.push(Action::AwaitDns { records: plan.dns.clone(), target, gate: DnsGate::Rollback });
    // The objects `apply --adopt` took over, back as they were (after DNS, like the deletions:
    // the Gateway serves until DNS has moved back).
    for (recorded, live) in
        state.map(|s| s.adopted.as_slice()).unwrap_or_default().iter().zip(&rf.adopted_live)
    {
        match live {
            None => actions.push(Action::Recreate(recorded.clone())),
            Some(l) => {
                let changes = super::ownership::differences(recorded, l);
                if !changes.is_empty() {
                    let mut manifest = recorded.clone();
                    manifest["metadata"]["resourceVersion"] = l["metadata"]["resourceVersion"].clone();
                    actions.push(Action::Restore { manifest, changes });
                }
            }
        }
    }
    if choices.prune {
        for (object, uid) in created(&rf.labelled, state) {
            actions.push(Action::Delete { object, uid, state_record: false });
        }
        if let Some(cm) = rf.state_configmap.as_ref().filter(|cm| managed_by_us(cm)) {
            let object =
                ObjectRef::of(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": cm["metadata"]}));
            let uid = cm["metadata"]["uid"].as_str().unwrap_or_default().to_owned();
            actions.push(Action::Delete { object, uid, state_record: true });
        }
    }
    actions
}
