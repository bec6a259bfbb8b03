//! JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch
//! (the subset built-in kinds need: maps merge, `null` deletes, lists with a
//! `patchMergeKey` merge by key, other lists are replaced, `$patch` directives).

use serde_json::{Map, Value};

use crate::status::ApiError;

/// Apply an RFC 7386 merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    for (k, v) in p {
        if v.is_null() {
            t.shift_remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn parent_and_key<'a>(doc: &'a mut Value, path: &str) -> Result<(&'a mut Value, String), ApiError> {
    let bad = || ApiError::unprocessable_json_patch(path);
    let mut tokens: Vec<String> = path.split('/').skip(1).map(unescape).collect();
    let last = tokens.pop().ok_or_else(bad)?;
    let mut cur = doc;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get_mut(&t).ok_or_else(bad)?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().map_err(|_| bad())?).ok_or_else(bad)?,
            _ => return Err(bad()),
        };
    }
    Ok((cur, last))
}

fn get_ptr(doc: &Value, path: &str) -> Option<Value> {
    if path.is_empty() {
        return Some(doc.clone());
    }
    let mut cur = doc;
    for t in path.split('/').skip(1).map(unescape) {
        cur = match cur {
            Value::Object(m) => m.get(&t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur.clone())
}

fn remove_at(doc: &mut Value, path: &str) -> Result<Value, ApiError> {
    let (parent, key) = parent_and_key(doc, path)?;
    let bad = || ApiError::unprocessable_json_patch(path);
    match parent {
        Value::Object(m) => m.shift_remove(&key).ok_or_else(bad),
        Value::Array(a) => {
            let i = key.parse::<usize>().map_err(|_| bad())?;
            if i < a.len() { Ok(a.remove(i)) } else { Err(bad()) }
        }
        _ => Err(bad()),
    }
}

fn add_at(doc: &mut Value, path: &str, value: Value) -> Result<(), ApiError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, key) = parent_and_key(doc, path)?;
    let bad = || ApiError::unprocessable_json_patch(path);
    match parent {
        Value::Object(m) => {
            m.insert(key, value);
            Ok(())
        }
        Value::Array(a) => {
            if key == "-" {
                a.push(value);
                return Ok(());
            }
            let i = key.parse::<usize>().map_err(|_| bad())?;
            if i > a.len() {
                return Err(bad());
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(bad()),
    }
}

/// Apply an RFC 6902 JSON patch.
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), ApiError> {
    let ops = ops.as_array().ok_or_else(|| ApiError::bad_request("json patch must be an array"))?;
    for op in ops {
        let path = op["path"].as_str().unwrap_or_default();
        match op["op"].as_str().unwrap_or_default() {
            "add" => add_at(doc, path, op["value"].clone())?,
            "remove" => {
                remove_at(doc, path)?;
            }
            "replace" => {
                remove_at(doc, path)?;
                add_at(doc, path, op["value"].clone())?;
            }
            "test" => {
                if get_ptr(doc, path).as_ref() != Some(&op["value"]) {
                    return Err(ApiError::unprocessable_json_patch(path));
                }
            }
            "move" => {
                let from = op["from"].as_str().unwrap_or_default();
                let v = remove_at(doc, from)?;
                add_at(doc, path, v)?;
            }
            "copy" => {
                let from = op["from"].as_str().unwrap_or_default();
                let v = get_ptr(doc, from).ok_or_else(|| ApiError::unprocessable_json_patch(from))?;
                add_at(doc, path, v)?;
            }
            other => return Err(ApiError::bad_request(format!("Unexpected kind: {other}"))),
        }
    }
    Ok(())
}

/// `patchMergeKey` of the lists in built-in kinds this tool may patch; a list not
/// named here is replaced wholesale, as strategic merge patch does.
fn merge_key(path: &[String]) -> Option<&'static str> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["spec", "ports"] => Some("port"),
        ["metadata", "ownerReferences"] => Some("uid"),
        ["spec", "template", "spec", "containers"] | ["spec", "containers"] => Some("name"),
        _ => None,
    }
}

/// Apply a strategic merge patch to a built-in object.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) {
    smp(target, patch, &mut Vec::new());
}

fn smp(target: &mut Value, patch: &Value, path: &mut Vec<String>) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut clean = p.clone();
            clean.shift_remove("$patch");
            *target = Value::Object(clean);
            return;
        }
        Some("delete") => {
            *target = Value::Null;
            return;
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    for (k, v) in p {
        if k.starts_with('$') {
            continue;
        }
        if v.is_null() {
            t.shift_remove(k);
            continue;
        }
        path.push(k.clone());
        match (v, merge_key(path)) {
            (Value::Array(items), Some(key)) => {
                let entry = t.entry(k.clone()).or_insert(Value::Array(Vec::new()));
                if !entry.is_array() {
                    *entry = Value::Array(Vec::new());
                }
                if let Value::Array(live) = entry {
                    for item in items {
                        let id = item.get(key);
                        let pos = live.iter().position(|l| l.get(key) == id);
                        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                        match (pos, delete) {
                            (Some(i), true) => {
                                live.remove(i);
                            }
                            (Some(i), false) => smp(&mut live[i], item, path),
                            (None, false) => live.push(item.clone()),
                            (None, true) => {}
                        }
                    }
                }
            }
            (Value::Object(_), _) => {
                let entry = t.entry(k.clone()).or_insert(Value::Null);
                smp(entry, v, path);
                if entry.is_null() {
                    t.shift_remove(k);
                }
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
        path.pop();
    }
}

impl ApiError {
    /// The real server's answer to a JSON patch that addresses a missing path.
    pub fn unprocessable_json_patch(path: &str) -> ApiError {
        let mut e = ApiError::internal(format!(
            "the server rejected our request due to an error in our request: doc is missing path: \"{path}\""
        ));
        e.code = 422;
        e.reason = "Invalid".into();
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386_examples() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn json_patch_ops() {
        let mut t = json!({"a": [1, 2], "b": {"c": 1}});
        let ops = json!([
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "replace", "path": "/b/c", "value": 2},
            {"op": "remove", "path": "/a/0"},
            {"op": "test", "path": "/b/c", "value": 2}
        ]);
        assert!(json_patch(&mut t, &ops).is_ok());
        assert_eq!(t, json!({"a": [2, 3], "b": {"c": 2}}));
        assert!(json_patch(&mut t, &json!([{"op": "remove", "path": "/zzz"}])).is_err());
    }

    #[test]
    fn strategic_merge_by_key() {
        let mut svc = json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}]}});
        strategic_merge_patch(
            &mut svc,
            &json!({"spec": {"ports": [{"port": 80, "name": "web"}, {"port": 443, "$patch": "delete"}]}}),
        );
        assert_eq!(svc, json!({"spec": {"ports": [{"port": 80, "name": "web"}]}}));
    }
}
