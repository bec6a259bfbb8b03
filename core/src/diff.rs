//! Field-by-field comparison of a desired manifest (what server-side apply would send) with the
//! live object.
//!
//! Only the fields the desired manifest names are compared: server-side apply leaves every other
//! field alone, and server-managed fields (`status`, `managedFields`, `resourceVersion`, `uid`,
//! timestamps) are never part of a desired manifest, so they never show as changes. Lists of
//! objects that carry a `name` (Gateway listeners, route rules by position otherwise) are matched
//! by name, the way their `x-kubernetes-list-map-keys` merge them.

use serde::Serialize;
use serde_json::Value;

/// Metadata the server owns; ignored even when a desired manifest carries it.
const SERVER_FIELDS: [&str; 7] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionTimestamp",
];

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// JSONPath-like location (`.spec.listeners[name=https-inference].hostname`).
    pub path: String,
    /// The live value; `None` when the field (or the object) does not exist.
    pub before: Option<Value>,
    /// The desired value.
    pub after: Value,
}

/// The fields of `desired` whose live value differs, in document order. `live` is `None` when the
/// object does not exist: then every leaf of `desired` is a change.
#[must_use]
pub fn diff(desired: &Value, live: Option<&Value>) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", desired, live, &mut out);
    out
}

fn walk(path: &str, desired: &Value, live: Option<&Value>, out: &mut Vec<FieldChange>) {
    match desired {
        Value::Object(map) => {
            for (k, v) in map {
                if (path == ".metadata" && SERVER_FIELDS.contains(&k.as_str()))
                    || (path.is_empty() && k == "status")
                {
                    continue;
                }
                let child = live.and_then(|l| l.get(k));
                let key = if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    format!("{path}.{k}")
                } else {
                    format!("{path}[{k:?}]")
                };
                walk(&key, v, child, out);
            }
            if map.is_empty() && live.is_none() {
                out.push(FieldChange { path: path.into(), before: None, after: desired.clone() });
            }
        }
        Value::Array(items) => {
            let live_items = live.and_then(Value::as_array);
            let named =
                !items.is_empty() && items.iter().all(|i| i.get("name").and_then(Value::as_str).is_some());
            match live_items {
                Some(l) if named => {
                    for item in items {
                        let name = item["name"].as_str().unwrap_or_default();
                        let found = l.iter().find(|x| x.get("name").and_then(Value::as_str) == Some(name));
                        walk(&format!("{path}[name={name}]"), item, found, out);
                    }
                }
                None if named => {
                    for item in items {
                        let name = item["name"].as_str().unwrap_or_default();
                        walk(&format!("{path}[name={name}]"), item, None, out);
                    }
                }
                Some(l) if l.len() == items.len() => {
                    for (i, item) in items.iter().enumerate() {
                        walk(&format!("{path}[{i}]"), item, l.get(i), out);
                    }
                }
                _ => {
                    out.push(FieldChange { path: path.into(), before: live.cloned(), after: desired.clone() })
                }
            }
        }
        leaf => {
            if live != Some(leaf) {
                out.push(FieldChange { path: path.into(), before: live.cloned(), after: leaf.clone() });
            }
        }
    }
}

/// One line per change: `  .spec.x: "a" -> "b"`, `(absent)` for a missing value.
#[must_use]
pub fn render(changes: &[FieldChange]) -> String {
    let show = |v: Option<&Value>| v.map_or_else(|| "(absent)".to_owned(), Value::to_string);
    changes
        .iter()
        .map(|c| format!("  {}: {} -> {}\n", c.path, show(c.before.as_ref()), show(Some(&c.after))))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equal_fields_and_server_fields_are_no_change() {
        let desired = json!({"metadata": {"name": "g", "labels": {"a": "b"}}, "spec": {"x": 1}});
        let live = json!({
            "metadata": {"name": "g", "labels": {"a": "b", "other": "kept"}, "resourceVersion": "7",
                         "managedFields": [{"manager": "m"}]},
            "spec": {"x": 1, "y": 2},
            "status": {"conditions": []},
        });
        assert!(diff(&desired, Some(&live)).is_empty());
    }

    #[test]
    fn named_lists_match_by_name_and_missing_objects_list_every_leaf() {
        let desired = json!({"spec": {"listeners": [{"name": "a", "port": 443}, {"name": "b", "port": 80}]}});
        let live = json!({"spec": {"listeners": [{"name": "b", "port": 80}, {"name": "a", "port": 8443}]}});
        let d = diff(&desired, Some(&live));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, ".spec.listeners[name=a].port");
        assert_eq!(d[0].before, Some(json!(8443)));
        assert_eq!(diff(&desired, None).len(), 4, "a missing named list shows each item");
        assert!(render(&d).contains("8443 -> 443"));
    }

    #[test]
    fn odd_keys_are_quoted_and_empty_maps_count_when_absent() {
        let desired = json!({"spec": {"config": {"domain": {"runai-inference.example.com": ""}}}});
        let d = diff(&desired, Some(&json!({"spec": {}})));
        assert_eq!(d[0].path, ".spec.config.domain[\"runai-inference.example.com\"]");
        assert_eq!(diff(&json!({"a": {}}), Some(&json!({}))).len(), 1);
    }
}
