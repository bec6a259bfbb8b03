//! Whose an existing object is. `apply` writes an existing planned object only when this tool
//! made it: it carries the `managed-by: runai-gateway` label and no other field manager owns
//! any of its fields outside `status` (a controller writing status does not count). Any other
//! object is someone else's (another team's Gateway, one made by hand from the Run:ai page) and
//! preflight refuses it, naming the owner, unless `--adopt` (or `--force-conflicts`) says to
//! take it: then the state record keeps the object as it was, and `rollback` restores it.

use serde_json::Value;

use crate::diff;
use crate::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use crate::plan::{Ownership, PlannedObject};
use crate::state::{ObjectRef, StateRecord};

/// An existing planned object this tool did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// The object.
    pub object: ObjectRef,
    /// The field managers that own its fields (besides this tool), as the server lists them.
    pub owners: Vec<String>,
    /// Why it is not this tool's.
    pub why: String,
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let owners = if self.owners.is_empty() {
            "no field manager recorded".to_owned()
        } else {
            self.owners.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
        };
        write!(f, "{} is not this tool's ({}): owned by {owners}", self.object, self.why)
    }
}

/// The field managers of `live` other than this tool that own fields outside `status`.
#[must_use]
pub fn other_managers(live: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in live["metadata"]["managedFields"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let manager = e["manager"].as_str().unwrap_or_default();
        if manager == FIELD_MANAGER || e["subresource"].as_str().is_some_and(|s| !s.is_empty()) {
            continue;
        }
        let owns_more_than_status =
            e["fieldsV1"].as_object().is_none_or(|f| f.keys().any(|k| k != "f:status"));
        if owns_more_than_status && !out.iter().any(|o| o == manager) {
            out.push(manager.to_owned());
        }
    }
    out
}

/// Whether `live` (the existing counterpart of `planned`) is someone else's, and whose.
/// KnativeServing-like objects the plan only sets fields of are never refused.
#[must_use]
pub fn foreign(planned: &PlannedObject, live: &Value) -> Option<Foreign> {
    if planned.ownership != Ownership::Owned {
        return None;
    }
    let owners = other_managers(live);
    let ours = live["metadata"]["labels"][MANAGED_BY_LABEL] == FIELD_MANAGER;
    let why = match (ours, owners.is_empty()) {
        (true, true) => return None,
        (true, false) => "another field manager owns some of its fields",
        (false, _) => "it does not carry the label `app.kubernetes.io/managed-by: runai-gateway`",
    };
    Some(Foreign { object: ObjectRef::of(&planned.manifest), owners, why: why.to_owned() })
}

/// The foreign objects among the planned ones that exist, minus those the state record already
/// adopted.
#[must_use]
pub fn foreign_objects(
    planned: &[PlannedObject],
    live: &[Option<Value>],
    record: Option<&StateRecord>,
) -> Vec<(Foreign, Value)> {
    planned
        .iter()
        .zip(live)
        .filter_map(|(p, l)| Some((foreign(p, l.as_ref()?)?, l.clone()?)))
        .filter(|(f, _)| record.is_none_or(|r| r.adopted_object(&f.object).is_none()))
        .collect()
}

/// An object as it was, for the state record: identity, labels, annotations and everything
/// but `metadata` server fields and `status`.
#[must_use]
pub fn as_recorded(live: &Value) -> Value {
    let mut v = live.clone();
    super::strip_server_fields(&mut v);
    v
}

/// The fields in which `live` differs from the `recorded` adopted object (spec, labels and
/// annotations), as `path: now -> recorded` lines; empty when it is as it was.
#[must_use]
pub fn differences(recorded: &Value, live: &Value) -> Vec<String> {
    let pick = |v: &Value| {
        serde_json::json!({
            "metadata": {
                "labels": v["metadata"]["labels"],
                "annotations": v["metadata"]["annotations"],
            },
            "spec": v["spec"],
        })
    };
    let (want, now) = (pick(recorded), pick(live));
    let show = |v: Option<&Value>| v.map_or_else(|| "(absent)".to_owned(), Value::to_string);
    let mut out: Vec<String> = diff::diff(&want, Some(&now))
        .iter()
        .map(|c| format!("{}: {} (was {})", c.path, show(c.before.as_ref()), c.after))
        .collect();
    // Fields that are there now and were not before: whole list items (a listener added), not
    // a leaf inside an item that was there (the server's defaults fill those).
    let recorded_paths: Vec<String> = diff::diff(&want, None).into_iter().map(|c| c.path).collect();
    let new_item = |path: &str| match path.rfind(']') {
        Some(i) => !recorded_paths.iter().any(|p| p.starts_with(&path[..=i])),
        None => true,
    };
    out.extend(
        diff::diff(&now, Some(&want))
            .iter()
            .filter(|c| c.before.is_none() && !c.after.is_null() && new_item(&c.path))
            .map(|c| format!("{}: {} (added since)", c.path, c.after)),
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn planned(ownership: Ownership) -> PlannedObject {
        PlannedObject {
            purpose: String::new(),
            ownership,
            manifest: json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"name": "gw", "namespace": "runai"}}),
        }
    }

    fn live(label: Option<&str>, managers: &[(&str, Option<&str>, Value)]) -> Value {
        let fields: Vec<Value> = managers
            .iter()
            .map(|(m, sub, f)| json!({"manager": m, "operation": "Apply", "subresource": sub, "fieldsV1": f}))
            .collect();
        let mut v = json!({"metadata": {"name": "gw", "namespace": "runai", "managedFields": fields}});
        if let Some(l) = label {
            v["metadata"]["labels"] = json!({ MANAGED_BY_LABEL: l });
        }
        v
    }

    #[test]
    fn who_owns_an_existing_object() {
        let spec = json!({"f:spec": {}});
        let status = json!({"f:status": {}});
        let owned = planned(Ownership::Owned);
        // Ours: our label, only our manager (a controller writing status does not count).
        let mine = live(
            Some(FIELD_MANAGER),
            &[
                (FIELD_MANAGER, None, spec.clone()),
                ("ctrl", Some("status"), status.clone()),
                ("old-ctrl", None, status),
            ],
        );
        assert_eq!(foreign(&owned, &mine), None);
        // No label: someone else's, named.
        let theirs = live(None, &[("other-team", None, spec.clone())]);
        let f = foreign(&owned, &theirs).unwrap();
        assert_eq!(f.owners, ["other-team"]);
        assert!(f.to_string().contains("`other-team`") && f.to_string().contains("managed-by"), "{f}");
        // Our label, but another manager owns spec fields.
        let shared = live(
            Some(FIELD_MANAGER),
            &[(FIELD_MANAGER, None, spec.clone()), ("kubectl-edit", None, spec.clone())],
        );
        assert_eq!(foreign(&owned, &shared).unwrap().owners, ["kubectl-edit"]);
        // No label and no managedFields at all: still not ours.
        assert!(foreign(&owned, &live(None, &[])).unwrap().to_string().contains("no field manager recorded"));
        // Objects the plan only sets fields of (KnativeServing) are never refused.
        assert_eq!(foreign(&planned(Ownership::Fields), &theirs), None);
    }

    #[test]
    fn differences_name_changed_and_added_items_not_server_defaults() {
        let recorded = json!({"metadata": {"labels": {"team": "a"}}, "spec": {"listeners": [{"name": "x", "port": 80}]}});
        let same_with_default = json!({"metadata": {"labels": {"team": "a"}}, "spec": {"listeners": [{"name": "x", "port": 80, "allowedRoutes": {"from": "Same"}}]}});
        assert!(differences(&recorded, &same_with_default).is_empty());
        let changed = json!({"metadata": {"labels": {"team": "b"}}, "spec": {"listeners": [{"name": "x", "port": 80}, {"name": "y", "port": 443}]}});
        let d = differences(&recorded, &changed);
        assert!(
            d.iter().any(|l| l.contains("team") && l.contains("\"b\"") && l.contains("was \"a\"")),
            "{d:?}"
        );
        assert!(d.iter().any(|l| l.contains("[name=y]") && l.contains("added since")), "{d:?}");
    }
}
