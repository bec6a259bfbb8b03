//! Server-side apply field ownership, modelled on structured-merge-diff (the
//! library kube-apiserver uses): field sets computed from the object's schema,
//! `managedFields` in the `FieldsV1` format, merging of applied configurations
//! (maps by key, `listType=map` lists by their keys, `listType=set` lists by
//! value, atomic lists and scalars replaced whole) and conflict detection.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// How a list merges.
#[derive(Debug, Clone, PartialEq)]
pub enum ListKind {
    /// Replaced and owned as a whole (`x-kubernetes-list-type: atomic`, the CRD default).
    Atomic,
    /// Items are scalars identified by value.
    Set,
    /// Items are objects identified by the named key fields.
    Map(Vec<String>),
}

/// The merge-relevant shape of a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    /// An object with declared fields and/or a map element type.
    Struct {
        /// Declared properties.
        fields: BTreeMap<String, Schema>,
        /// `additionalProperties` element type.
        extra: Option<Box<Schema>>,
        /// `x-kubernetes-map-type: atomic`.
        atomic: bool,
    },
    /// A list.
    List {
        /// Item schema.
        item: Box<Schema>,
        /// Merge strategy.
        kind: ListKind,
    },
    /// A scalar leaf.
    Scalar,
    /// Unknown structure: maps are separable by key, lists are atomic.
    Deduced,
}

impl Schema {
    /// Convert an OpenAPI v3 schema (CRD `openAPIV3Schema` or a built-in subset).
    pub fn from_openapi(s: &Value) -> Schema {
        if s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
            return Schema::Scalar;
        }
        let ty = s.get("type").and_then(Value::as_str);
        match ty {
            Some("array") => {
                let item = s.get("items").map_or(Schema::Deduced, Schema::from_openapi);
                let kind = match s.get("x-kubernetes-list-type").and_then(Value::as_str) {
                    Some("map") => Schema::list_keys(s),
                    Some("set") => ListKind::Set,
                    _ => ListKind::Atomic,
                };
                Schema::List { item: Box::new(item), kind }
            }
            Some("object") | None => {
                let props = s.get("properties").and_then(Value::as_object);
                let extra = match s.get("additionalProperties") {
                    Some(Value::Object(a)) => Some(Box::new(Schema::from_openapi(&Value::Object(a.clone())))),
                    Some(Value::Bool(true)) => Some(Box::new(Schema::Deduced)),
                    _ => None,
                };
                let preserve =
                    s.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true);
                if props.is_none() && extra.is_none() {
                    return if ty.is_none() && !preserve && s.get("x-kubernetes-embedded-resource").is_none() {
                        if s.as_object().is_some_and(Map::is_empty) {
                            Schema::Deduced
                        } else {
                            Schema::Scalar
                        }
                    } else {
                        Schema::Deduced
                    };
                }
                let fields = props
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), Schema::from_openapi(v))).collect())
                    .unwrap_or_default();
                let extra = if preserve && extra.is_none() { Some(Box::new(Schema::Deduced)) } else { extra };
                Schema::Struct {
                    fields,
                    extra,
                    atomic: s.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic"),
                }
            }
            _ => Schema::Scalar,
        }
    }

    fn list_keys(s: &Value) -> ListKind {
        let keys = s
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        ListKind::Map(keys)
    }

    /// The schema of a whole object: the type's schema with the real ObjectMeta
    /// shape substituted for `metadata` (CRD schemas only say `type: object`).
    pub fn for_object(openapi: Option<&Value>) -> Schema {
        let mut root = openapi.map_or(
            Schema::Struct { fields: BTreeMap::new(), extra: Some(Box::new(Schema::Deduced)), atomic: false },
            Schema::from_openapi,
        );
        if let Schema::Struct { fields, .. } = &mut root {
            fields.insert("metadata".into(), object_meta());
            fields.insert("apiVersion".into(), Schema::Scalar);
            fields.insert("kind".into(), Schema::Scalar);
        }
        root
    }

    fn child(&self, key: &str) -> (Schema, bool) {
        match self {
            Schema::Struct { fields, extra, .. } => match fields.get(key) {
                Some(s) => (s.clone(), true),
                None => (extra.as_deref().cloned().unwrap_or(Schema::Deduced), false),
            },
            _ => (Schema::Deduced, false),
        }
    }

    /// Whether a declared field of this schema is a struct with declared fields,
    /// which structured-merge-diff never records as a node of its own.
    fn is_plain_struct(&self) -> bool {
        matches!(self, Schema::Struct { fields, atomic: false, .. } if !fields.is_empty())
    }
}

fn object_meta() -> Schema {
    let scalar = |n: &str| (n.to_string(), Schema::Scalar);
    let string_map =
        || Schema::Struct { fields: BTreeMap::new(), extra: Some(Box::new(Schema::Scalar)), atomic: false };
    let mut fields: BTreeMap<String, Schema> = [
        scalar("name"),
        scalar("namespace"),
        scalar("generateName"),
        scalar("uid"),
        scalar("resourceVersion"),
        scalar("generation"),
        scalar("creationTimestamp"),
        scalar("deletionTimestamp"),
        scalar("deletionGracePeriodSeconds"),
        scalar("selfLink"),
    ]
    .into_iter()
    .collect();
    fields.insert("labels".into(), string_map());
    fields.insert("annotations".into(), string_map());
    fields.insert("finalizers".into(), Schema::List { item: Box::new(Schema::Scalar), kind: ListKind::Set });
    fields.insert(
        "ownerReferences".into(),
        Schema::List { item: Box::new(Schema::Deduced), kind: ListKind::Map(vec!["uid".into()]) },
    );
    fields.insert(
        "managedFields".into(),
        Schema::List { item: Box::new(Schema::Deduced), kind: ListKind::Atomic },
    );
    Schema::Struct { fields, extra: None, atomic: false }
}

/// One element of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElement {
    /// A struct field or map key.
    Field(String),
    /// A `listType=map` item, identified by its keys (compact JSON object, keys sorted).
    Key(String),
    /// A `listType=set` item, identified by its JSON value.
    Value(String),
    /// A list index (only in decoded foreign managedFields).
    Index(usize),
}

/// A field path.
pub type Path = Vec<PathElement>;
/// A set of field paths.
pub type FieldSet = BTreeSet<Path>;

/// The path as structured-merge-diff prints it: `.spec.listeners[name="http"].port`.
pub fn path_string(p: &Path) -> String {
    let mut s = String::new();
    for pe in p {
        match pe {
            PathElement::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            PathElement::Key(k) => {
                let m: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                s.push_str(&format!("[{}]", parts.join(",")));
            }
            PathElement::Value(v) => s.push_str(&format!("[={v}]")),
            PathElement::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The field path in the dotted form used in validation errors (`spec.listeners[0]`) is
/// computed elsewhere; this is the identity of a list item for merging.
fn item_element(kind: &ListKind, item: &Value, index: usize) -> Result<PathElement, String> {
    match kind {
        ListKind::Set => Ok(PathElement::Value(item.to_string())),
        ListKind::Map(keys) => {
            let mut m = Map::new();
            let mut sorted = keys.clone();
            sorted.sort();
            for k in &sorted {
                match item.get(k) {
                    Some(v) => {
                        m.insert(k.clone(), v.clone());
                    }
                    None => {
                        return Err(format!(
                            "element {index}: associative list with keys has an element that omits key field {k:?} (and doesn't have default value)"
                        ));
                    }
                }
            }
            Ok(PathElement::Key(Value::Object(m).to_string()))
        }
        ListKind::Atomic => Ok(PathElement::Index(index)),
    }
}

fn items_by_element(
    kind: &ListKind,
    items: &[Value],
    path: &Path,
) -> Result<Vec<(PathElement, Value)>, String> {
    let mut out: Vec<(PathElement, Value)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let pe = item_element(kind, item, i).map_err(|e| format!("{}: {e}", path_string(path)))?;
        if out.iter().any(|(p, _)| *p == pe) {
            let what = match &pe {
                PathElement::Key(_) => {
                    format!("duplicate entries for key {}", path_string(&vec![pe.clone()]))
                }
                _ => format!("duplicate entries for value {}", path_string(&vec![pe.clone()])),
            };
            return Err(format!("{}: {what}", path_string(path)));
        }
        out.push((pe, item.clone()));
    }
    Ok(out)
}

/// The field set an applied configuration declares (structured-merge-diff's `ToFieldSet`).
pub fn applied_set(v: &Value, schema: &Schema) -> Result<FieldSet, String> {
    let mut set = FieldSet::new();
    walk_set(v, schema, &mut Vec::new(), &mut set)?;
    strip_meta(&mut set);
    Ok(set)
}

fn walk_set(v: &Value, schema: &Schema, path: &mut Path, set: &mut FieldSet) -> Result<(), String> {
    match (schema, v) {
        (Schema::List { kind: ListKind::Atomic, .. }, _) | (Schema::Deduced, Value::Array(_)) => {
            set.insert(path.clone());
        }
        (Schema::List { item, kind }, Value::Array(items)) => {
            for (pe, child) in items_by_element(kind, items, path)? {
                path.push(pe);
                walk_set(&child, item, path, set)?;
                set.insert(path.clone());
                path.pop();
            }
        }
        (Schema::Struct { atomic: true, .. }, _) => {
            set.insert(path.clone());
        }
        (Schema::Struct { .. } | Schema::Deduced, Value::Object(m)) => {
            for (k, c) in m {
                let (cs, declared) = schema.child(k);
                path.push(PathElement::Field(k.clone()));
                walk_set(c, &cs, path, set)?;
                let empty = c.is_null() || c.as_object().is_some_and(Map::is_empty);
                if empty || !declared {
                    set.insert(path.clone());
                }
                path.pop();
            }
        }
        _ => {
            set.insert(path.clone());
        }
    }
    Ok(())
}

/// Paths the server never records in managedFields (as the real field manager strips them).
fn strip_meta(set: &mut FieldSet) {
    let f = |s: &str| PathElement::Field(s.into());
    let stripped: Vec<Path> = vec![
        vec![f("apiVersion")],
        vec![f("kind")],
        vec![f("metadata")],
        vec![f("metadata"), f("name")],
        vec![f("metadata"), f("namespace")],
        vec![f("metadata"), f("creationTimestamp")],
        vec![f("metadata"), f("selfLink")],
        vec![f("metadata"), f("uid")],
        vec![f("metadata"), f("generation")],
        vec![f("metadata"), f("resourceVersion")],
        vec![f("metadata"), f("deletionTimestamp")],
    ];
    let mf = f("managedFields");
    let in_managed_fields = |p: &Path| p.len() >= 2 && p[0] == f("metadata") && p[1] == mf;
    set.retain(|p| !(stripped.contains(p) || in_managed_fields(p)));
}

/// Paths added or modified (`changed`) and removed (`removed`) from `old` to `new`,
/// recording nodes the way structured-merge-diff's comparison does.
pub fn diff(old: &Value, new: &Value, schema: &Schema) -> (FieldSet, FieldSet) {
    let mut changed = FieldSet::new();
    let mut removed = FieldSet::new();
    walk_diff(Some(old), Some(new), schema, &mut Vec::new(), &mut changed, &mut removed, true);
    strip_meta(&mut changed);
    strip_meta(&mut removed);
    (changed, removed)
}

fn all_paths(v: &Value, schema: &Schema, path: &mut Path, out: &mut FieldSet) {
    walk_diff(None, Some(v), schema, path, out, &mut FieldSet::new(), false);
}

fn walk_diff(
    old: Option<&Value>,
    new: Option<&Value>,
    schema: &Schema,
    path: &mut Path,
    changed: &mut FieldSet,
    removed: &mut FieldSet,
    record_self: bool,
) {
    if old == new {
        return;
    }
    let Some(nv) = new else {
        if let Some(ov) = old {
            let mut gone = FieldSet::new();
            all_paths(ov, schema, path, &mut gone);
            removed.extend(gone);
            if record_self {
                removed.insert(path.clone());
            }
        }
        return;
    };
    match (schema, nv) {
        (Schema::List { item, kind }, Value::Array(items)) if *kind != ListKind::Atomic => {
            let new_items = items_by_element(kind, items, path).unwrap_or_default();
            let old_items = old
                .and_then(Value::as_array)
                .map(|a| items_by_element(kind, a, path).unwrap_or_default())
                .unwrap_or_default();
            for (pe, child) in &new_items {
                let before = old_items.iter().find(|(p, _)| p == pe).map(|(_, v)| v);
                path.push(pe.clone());
                if before.is_none() {
                    changed.insert(path.clone());
                }
                walk_diff(before, Some(child), item, path, changed, removed, false);
                path.pop();
            }
            for (pe, child) in &old_items {
                if !new_items.iter().any(|(p, _)| p == pe) {
                    path.push(pe.clone());
                    walk_diff(Some(child), None, item, path, changed, removed, true);
                    path.pop();
                }
            }
        }
        (Schema::Struct { atomic: false, .. } | Schema::Deduced, Value::Object(m)) => {
            let empty = Map::new();
            let om = old.and_then(Value::as_object).unwrap_or(&empty);
            if old.is_none_or(|o| !o.is_object()) && record_self {
                changed.insert(path.clone());
            }
            for (k, c) in m {
                let (cs, declared) = schema.child(k);
                path.push(PathElement::Field(k.clone()));
                let before = om.get(k);
                let node = !declared || !cs.is_plain_struct();
                if before.is_none() && node && !matches!(cs, Schema::Scalar) {
                    changed.insert(path.clone());
                }
                walk_diff(before, Some(c), &cs, path, changed, removed, node);
                path.pop();
            }
            for (k, c) in om {
                if !m.contains_key(k) {
                    let (cs, declared) = schema.child(k);
                    path.push(PathElement::Field(k.clone()));
                    walk_diff(Some(c), None, &cs, path, changed, removed, !declared || !cs.is_plain_struct());
                    path.pop();
                }
            }
        }
        _ => {
            changed.insert(path.clone());
        }
    }
}

/// Merge an applied configuration into the live object.
pub fn merge(live: &Value, applied: &Value, schema: &Schema) -> Result<Value, String> {
    merge_at(Some(live), applied, schema, &mut Vec::new())
}

fn merge_at(
    live: Option<&Value>,
    applied: &Value,
    schema: &Schema,
    path: &mut Path,
) -> Result<Value, String> {
    match (schema, applied) {
        (Schema::List { item, kind }, Value::Array(items)) if *kind != ListKind::Atomic => {
            let applied_items = items_by_element(kind, items, path)?;
            let live_items = live
                .and_then(Value::as_array)
                .map(|a| items_by_element(kind, a, path))
                .transpose()?
                .unwrap_or_default();
            let mut out: Vec<Value> = Vec::new();
            // Live items keep their order; applied items replace them in place or
            // are appended, which is how the merged order settles in practice.
            for (pe, lv) in &live_items {
                match applied_items.iter().find(|(p, _)| p == pe) {
                    Some((_, av)) => {
                        path.push(pe.clone());
                        out.push(merge_at(Some(lv), av, item, path)?);
                        path.pop();
                    }
                    None => out.push(lv.clone()),
                }
            }
            for (pe, av) in &applied_items {
                if !live_items.iter().any(|(p, _)| p == pe) {
                    path.push(pe.clone());
                    out.push(merge_at(None, av, item, path)?);
                    path.pop();
                }
            }
            Ok(Value::Array(out))
        }
        (Schema::Struct { atomic: false, .. } | Schema::Deduced, Value::Object(m)) => {
            let mut out = live.and_then(Value::as_object).cloned().unwrap_or_default();
            for (k, v) in m {
                if v.is_null() {
                    out.shift_remove(k);
                    continue;
                }
                let (cs, _) = schema.child(k);
                path.push(PathElement::Field(k.clone()));
                let merged = merge_at(out.get(k), v, &cs, path)?;
                path.pop();
                out.insert(k.clone(), merged);
            }
            Ok(Value::Object(out))
        }
        _ => Ok(applied.clone()),
    }
}

/// Remove the node at `path` from `obj` (a no-op when it is already gone).
pub fn remove_path(obj: &mut Value, path: &[PathElement], schema: &Schema) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = obj;
    let mut sch = schema.clone();
    for pe in parents {
        let (next, next_schema) = match (pe, &mut *cur) {
            (PathElement::Field(f), Value::Object(m)) => {
                let cs = sch.child(f).0;
                match m.get_mut(f) {
                    Some(n) => (n, cs),
                    None => return,
                }
            }
            (pe, Value::Array(items)) => {
                let Schema::List { item, kind } = &sch else { return };
                let pos = items
                    .iter()
                    .enumerate()
                    .position(|(i, it)| item_element(kind, it, i).ok().as_ref() == Some(pe));
                let item = (**item).clone();
                match pos {
                    Some(p) => (&mut items[p], item),
                    None => return,
                }
            }
            _ => return,
        };
        cur = next;
        sch = next_schema;
    }
    match (last, cur) {
        (PathElement::Field(f), Value::Object(m)) => {
            m.shift_remove(f);
        }
        (pe, Value::Array(items)) => {
            if let Schema::List { kind, .. } = &sch {
                let mut i = 0;
                items.retain(|it| {
                    let keep = item_element(kind, it, i).ok().as_ref() != Some(pe);
                    i += 1;
                    keep
                });
            }
        }
        _ => {}
    }
}

/// Encode a field set as `fieldsV1`.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    #[derive(Default)]
    struct Node {
        present: bool,
        children: BTreeMap<String, Node>,
    }
    fn key(pe: &PathElement) -> String {
        match pe {
            PathElement::Field(f) => format!("f:{f}"),
            PathElement::Key(k) => format!("k:{k}"),
            PathElement::Value(v) => format!("v:{v}"),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }
    fn render(n: &Node) -> Value {
        let mut m = Map::new();
        if n.present && !n.children.is_empty() {
            m.insert(".".into(), json!({}));
        }
        for (k, c) in &n.children {
            m.insert(k.clone(), render(c));
        }
        Value::Object(m)
    }
    let mut root = Node::default();
    for p in set {
        let mut cur = &mut root;
        for pe in p {
            cur = cur.children.entry(key(pe)).or_default();
        }
        cur.present = true;
    }
    render(&root)
}

/// Decode `fieldsV1` into a field set.
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, path: &mut Path, out: &mut FieldSet) {
        let Some(m) = v.as_object() else { return };
        if m.is_empty() && !path.is_empty() {
            out.insert(path.clone());
        }
        for (k, c) in m {
            if k == "." {
                out.insert(path.clone());
                continue;
            }
            let pe = if let Some(f) = k.strip_prefix("f:") {
                PathElement::Field(f.into())
            } else if let Some(j) = k.strip_prefix("k:") {
                // Normalise to sorted keys so paths compare equal to ours.
                let m: BTreeMap<String, Value> = serde_json::from_str(j).unwrap_or_default();
                let obj: Map<String, Value> = m.into_iter().collect();
                PathElement::Key(Value::Object(obj).to_string())
            } else if let Some(j) = k.strip_prefix("v:") {
                PathElement::Value(
                    serde_json::from_str::<Value>(j).map(|v| v.to_string()).unwrap_or_default(),
                )
            } else if let Some(i) = k.strip_prefix("i:") {
                PathElement::Index(i.parse().unwrap_or_default())
            } else {
                continue;
            };
            path.push(pe);
            walk(c, path, out);
            path.pop();
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// apiVersion the manager used.
    pub api_version: String,
    /// Last change of the set.
    pub time: String,
    /// `status` for writes through the status subresource.
    pub subresource: Option<String>,
    /// Owned fields.
    pub set: FieldSet,
}

/// Read `metadata.managedFields`.
pub fn read_entries(obj: &Value) -> Vec<Entry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or_default().into(),
                    operation: e["operation"].as_str().unwrap_or_default().into(),
                    api_version: e["apiVersion"].as_str().unwrap_or_default().into(),
                    time: e["time"].as_str().unwrap_or_default().into(),
                    subresource: e["subresource"].as_str().map(str::to_string),
                    set: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Write `metadata.managedFields` (entries with empty sets are dropped, as the real server does).
pub fn write_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.set.is_empty())
        .map(|e| {
            let mut m = Map::new();
            m.insert("manager".into(), json!(e.manager));
            m.insert("operation".into(), json!(e.operation));
            m.insert("apiVersion".into(), json!(e.api_version));
            // `time` is optional (omitempty): an entry seeded without one has none, never "".
            if !e.time.is_empty() {
                m.insert("time".into(), json!(e.time));
            }
            m.insert("fieldsType".into(), json!("FieldsV1"));
            m.insert("fieldsV1".into(), to_fields_v1(&e.set));
            if let Some(s) = &e.subresource {
                m.insert("subresource".into(), json!(s));
            }
            Value::Object(m)
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.shift_remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway_schema() -> Schema {
        Schema::for_object(Some(&json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "gatewayClassName": {"type": "string"},
                "listeners": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "port": {"type": "integer"}}}}}}}})))
    }

    #[test]
    fn fields_v1_round_trip_and_shape() {
        let obj = json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a", "labels": {"app": "x"}},
            "spec": {"gatewayClassName": "k", "listeners": [{"name": "http", "port": 80}]}});
        let set = applied_set(&obj, &gateway_schema()).unwrap_or_default();
        let v1 = to_fields_v1(&set);
        assert_eq!(
            v1,
            json!({"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:gatewayClassName": {},
                "f:listeners": {"k:{\"name\":\"http\"}": {".": {}, "f:name": {}, "f:port": {}}}}})
        );
        assert_eq!(from_fields_v1(&v1), set);
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let obj = json!({"spec": {"listeners": [{"name": "a"}, {"name": "a"}]}});
        let err = applied_set(&obj, &gateway_schema()).err().unwrap_or_default();
        assert_eq!(err, ".spec.listeners: duplicate entries for key [name=\"a\"]");
    }
}
