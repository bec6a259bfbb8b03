//! The decided actions as data for `apply -o json|yaml` and `rollback -o json|yaml`: each
//! action's kind, stage, object and what it changes, without secret data (a copied secret is
//! named, never shown; the state record is named, its contents are `rollback`'s business).

use serde_json::{Value, json};

use super::{Action, DnsGate};
use crate::stage::Stage;

/// The `action` word of an action.
#[must_use]
pub fn kind(action: &Action) -> &'static str {
    match action {
        Action::Preflight { .. } => "preflight",
        Action::RecordState(_) => "record-state",
        Action::CopySecret { .. } => "copy-secret",
        Action::Apply { .. } => "apply",
        Action::Helm { .. } => "helm-upgrade",
        Action::Verify { .. } => "verify",
        Action::AwaitDns { .. } => "await-dns",
        Action::PruneIngress { .. } => "prune-ingress",
        Action::Annotate { .. } => "annotate",
        Action::KeepIngresses(_) => "keep-ingresses",
        Action::Recreate(_) => "recreate",
        Action::Restore { .. } => "restore",
        Action::RestoreKnative { .. } => "restore-knative",
        Action::Delete { .. } => "delete",
    }
}

/// The stage an action of `apply` belongs to (`None` for `rollback`'s and the record).
#[must_use]
pub fn stage(action: &Action) -> Option<Stage> {
    match action {
        Action::Preflight { .. } => Some(Stage::Preflight),
        Action::CopySecret { .. } | Action::Apply { .. } => Some(Stage::Prepare),
        Action::Helm { stage, .. } => *stage,
        Action::Verify { .. } => Some(Stage::Verify),
        Action::Annotate { .. } | Action::AwaitDns { gate: DnsGate::SwitchDns { .. }, .. } => {
            Some(Stage::SwitchDns)
        }
        Action::PruneIngress { .. } | Action::KeepIngresses(_) => Some(Stage::DisableIngress),
        _ => None,
    }
}

fn reference(manifest: &Value) -> String {
    crate::state::ObjectRef::of(manifest).to_string()
}

/// One action as a JSON object: `action`, `stage` (for `apply`'s), `writes`, and what it acts on.
#[must_use]
pub fn action(action: &Action) -> Value {
    let mut v = json!({ "action": kind(action), "writes": action.writes() });
    if let Some(s) = stage(action) {
        v["stage"] = json!(s.as_str());
    }
    let detail = match action {
        Action::Preflight { permissions, foreign } => json!({
            "permissions": permissions.iter().map(|p| json!({
                "verb": p.verb, "group": p.group, "resource": p.resource, "namespace": p.namespace, "why": p.why,
            })).collect::<Vec<_>>(),
            "notOurs": foreign.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }),
        Action::RecordState(r) => json!({
            "object": format!("ConfigMap {}/{}", r.gateway.0, crate::state::STATE_NAME),
        }),
        Action::CopySecret { to, from } => json!({ "object": to.to_string(), "from": from.to_string() }),
        Action::Apply { object, exists, changes, force } => json!({
            "object": object.reference(), "exists": exists, "force": force, "changes": changes,
        }),
        Action::Helm { upgrade, version, key_changes, .. } => json!({
            "release": format!("{}/{}", upgrade.namespace, upgrade.release),
            "chart": upgrade.chart, "version": version, "values": key_changes,
        }),
        Action::Verify { probe } => json!({ "probe": probe }),
        Action::AwaitDns { records, target, .. } => json!({ "records": records, "target": target }),
        Action::PruneIngress { manifest, .. } | Action::Recreate(manifest) => {
            json!({ "object": reference(manifest) })
        }
        Action::Annotate { object, annotations } => {
            json!({ "object": object.to_string(), "annotations": annotations })
        }
        Action::KeepIngresses(refs) => {
            json!({ "objects": refs.iter().map(ToString::to_string).collect::<Vec<_>>() })
        }
        Action::Restore { manifest, changes } => json!({ "object": reference(manifest), "changes": changes }),
        Action::RestoreKnative { manifest, fields } => {
            json!({ "object": reference(manifest), "fields": fields })
        }
        Action::Delete { object, state_record, .. } => {
            json!({ "object": object.to_string(), "stateRecord": state_record })
        }
    };
    if let (Some(v), Value::Object(d)) = (v.as_object_mut(), detail) {
        v.extend(d);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ObjectRef, StateRecord};

    #[test]
    fn a_copied_secret_and_the_state_record_are_named_never_shown() {
        let secret = |ns: &str| ObjectRef {
            api_version: "v1".into(),
            kind: "Secret".into(),
            namespace: ns.into(),
            name: "inference-tls".into(),
        };
        let copy = action(&Action::CopySecret { to: secret("runai"), from: secret("knative-serving") });
        assert_eq!(
            copy,
            json!({"action": "copy-secret", "writes": true, "stage": "prepare",
                "object": "Secret runai/inference-tls", "from": "Secret knative-serving/inference-tls"})
        );
        let mut record = StateRecord::new("runai", "runai-gateway");
        record.ingress_address = Some("192.0.2.10".into());
        let rec = action(&Action::RecordState(Box::new(record)));
        assert_eq!(
            rec,
            json!({"action": "record-state", "writes": true, "object": "ConfigMap runai/runai-gateway-state"})
        );
    }

    #[test]
    fn each_action_of_a_migration_says_its_stage() {
        let input = crate::SpecInput::from_yaml("clusterDomain: runai.example.com\n").expect("input");
        let plan = crate::plan(&input, &input.resolve().expect("spec"), &crate::Observed::default());
        let obs = super::super::Observation {
            facts: super::super::Facts::default(),
            objects: vec![None; plan.objects.len()],
            plan,
            copy: None,
            hand_made_ingresses: Vec::new(),
            external_dns: Vec::new(),
            ingresses: Vec::new(),
        };
        let actions = super::super::decide_apply(&obs, &super::super::ApplyChoices::default());
        let stages: Vec<Value> = actions.iter().map(|a| action(a)["stage"].clone()).collect();
        assert_eq!(stages.first(), Some(&json!("preflight")));
        assert!(stages.contains(&json!("prepare")) && stages.contains(&json!("verify")));
        let gateway =
            actions.iter().map(action).find(|a| a["object"] == "Gateway runai/runai-gateway").expect("gw");
        assert_eq!(gateway["action"], "apply");
        assert_eq!(gateway["exists"], false);
        assert!(gateway["changes"].as_array().is_some_and(|c| !c.is_empty()));
    }
}
