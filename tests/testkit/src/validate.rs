//! Admission-time validation: object names, built-in rules the tool can trip
//! (TLS Secrets), and for CRDs the OpenAPI v3 schema (defaults, types,
//! required, enum, pattern, lengths, item counts) plus the CRD's
//! `x-kubernetes-validations` CEL rules, evaluated with the `cel` crate.

use std::sync::Arc;

use regex::Regex;
use serde_json::{Map, Value};

use crate::status::Cause;
use crate::types::ResourceType;

const DNS1123_SUBDOMAIN: &str = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_LABEL: &str = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL: &str = r"[a-z]([-a-z0-9]*[a-z0-9])?";

/// A compiled validator for one served type.
pub struct Validator {
    rt: ResourceType,
    schema: Option<Arc<Value>>,
    cel: crate::cel_rules::CompiledRules,
}

fn invalid(field: &str, value: &str, detail: &str) -> Cause {
    Cause {
        reason: "FieldValueInvalid".into(),
        message: format!("Invalid value: {value}: {detail}"),
        field: field.into(),
    }
}

fn required(field: &str, detail: &str) -> Cause {
    Cause {
        reason: "FieldValueRequired".into(),
        message: if detail.is_empty() {
            "Required value".into()
        } else {
            format!("Required value: {detail}")
        },
        field: field.into(),
    }
}

fn full_match(pattern: &str, s: &str) -> bool {
    Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|r| r.is_match(s))
}

/// Go's `%q` for a JSON value as the API server prints it in "Invalid value".
fn quote(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Validator {
    /// Compile the validator for `rt` (schema and CEL rules are prepared once).
    pub fn new(rt: &ResourceType) -> Validator {
        let schema = if rt.custom { rt.schema.clone() } else { None };
        let cel = crate::cel_rules::CompiledRules::compile(schema.as_deref());
        Validator { rt: rt.clone(), schema, cel }
    }

    /// Apply schema defaults (`default:`) to absent fields, as the real server
    /// does before validation and on read.
    pub fn default(&self, obj: &mut Value) {
        if let Some(s) = &self.schema {
            apply_defaults(obj, s);
        }
    }

    /// All validation errors of `obj` (empty when valid).
    pub fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
        let mut causes = self.validate_name(obj);
        if self.rt.group.is_empty() && self.rt.plural == "secrets" {
            causes.extend(validate_secret(obj));
        }
        if let Some(s) = &self.schema {
            let path = String::new();
            validate_schema(obj, s, &path, &mut causes, true);
            if causes.is_empty() {
                causes.extend(self.cel.evaluate(obj, old));
            }
        }
        causes
    }

    fn validate_name(&self, obj: &Value) -> Vec<Cause> {
        let Some(name) = obj.pointer("/metadata/name").and_then(Value::as_str).filter(|n| !n.is_empty())
        else {
            return vec![required("metadata.name", "name or generateName is required")];
        };
        let (pattern, max, detail) = match (self.rt.group.as_str(), self.rt.plural.as_str()) {
            ("", "namespaces") => (
                DNS1123_LABEL,
                63,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ),
            ("", "services") => (
                DNS1035_LABEL,
                63,
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            ),
            _ => (
                DNS1123_SUBDOMAIN,
                253,
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ),
        };
        let mut out = Vec::new();
        if !full_match(pattern, name) {
            out.push(invalid("metadata.name", &format!("{name:?}"), detail));
        }
        if name.len() > max {
            out.push(invalid(
                "metadata.name",
                &format!("{name:?}"),
                &format!("must be no more than {max} characters"),
            ));
        }
        if self.rt.plural == "customresourcedefinitions" {
            let group = obj.pointer("/spec/group").and_then(Value::as_str).unwrap_or_default();
            let plural = obj.pointer("/spec/names/plural").and_then(Value::as_str).unwrap_or_default();
            if name != format!("{plural}.{group}") {
                out.push(invalid(
                    "metadata.name",
                    &format!("{name:?}"),
                    "must be spec.names.plural+\".\"+spec.group",
                ));
            }
        }
        out
    }
}

fn validate_secret(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let ty = obj.get("type").and_then(Value::as_str).unwrap_or("Opaque");
    let has = |k: &str| obj.pointer("/data").and_then(|d| d.get(k)).is_some();
    if ty == "kubernetes.io/tls" {
        for k in ["tls.crt", "tls.key"] {
            if !has(k) {
                out.push(required(&format!("data[{k}]"), ""));
            }
        }
    }
    if let Some(Value::Object(data)) = obj.get("data") {
        for k in data.keys() {
            if !k.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) || k.is_empty() {
                out.push(invalid(
                    &format!("data[{k}]"),
                    &format!("{k:?}"),
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                ));
            }
        }
    }
    out
}

/// Fill absent properties that have a `default`, recursing into objects and arrays.
pub fn apply_defaults(v: &mut Value, s: &Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = s.get("properties") {
                for (k, ps) in props {
                    if !m.contains_key(k)
                        && let Some(d) = ps.get("default")
                    {
                        m.insert(k.clone(), d.clone());
                    }
                    if let Some(child) = m.get_mut(k) {
                        apply_defaults(child, ps);
                    }
                }
            }
            if let Some(ap @ Value::Object(_)) = s.get("additionalProperties") {
                for child in m.values_mut() {
                    apply_defaults(child, ap);
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                for it in items {
                    apply_defaults(it, is);
                }
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// OpenAPI v3 structural validation with kube-apiserver's messages.
fn validate_schema(v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>, root: bool) {
    let p = path.to_string();
    let nullable = s.get("nullable").and_then(Value::as_bool) == Some(true);
    if v.is_null() && nullable {
        return;
    }
    if s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        if !matches!(json_type(v), "integer" | "string") {
            out.push(invalid(
                &p,
                &quote(v),
                &format!("{p} in body must be of type integer-or-string: {:?}", json_type(v)),
            ));
        }
        return;
    }
    if let Some(ty) = s.get("type").and_then(Value::as_str) {
        let actual = json_type(v);
        let ok = actual == ty || (ty == "number" && actual == "integer");
        if !ok {
            out.push(invalid(
                &p,
                &format!("{actual:?}"),
                &format!("{p} in body must be of type {ty}: {actual:?}"),
            ));
            return;
        }
    }
    match v {
        Value::Object(m) => validate_object(m, s, path, out, root),
        Value::Array(items) => {
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                && items.len() as u64 > max
            {
                out.push(Cause {
                    reason: "FieldValueTooMany".into(),
                    message: format!("Too many: {}: must have at most {max} items", items.len()),
                    field: p.clone(),
                });
            }
            if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                out.push(invalid(
                    &p,
                    &items.len().to_string(),
                    &format!("{p} in body should have at least {min} items"),
                ));
            }
            if let Some(is) = s.get("items") {
                for (i, it) in items.iter().enumerate() {
                    let child = format!("{p}[{i}]");
                    validate_schema(it, is, &child, out, false);
                }
            }
        }
        Value::String(st) => {
            if let Some(e) = s.get("enum").and_then(Value::as_array)
                && !e.iter().any(|x| x == v)
            {
                let supported: Vec<String> = e.iter().map(quote).collect();
                out.push(Cause {
                    reason: "FieldValueNotSupported".into(),
                    message: format!(
                        "Unsupported value: {}: supported values: {}",
                        quote(v),
                        supported.join(", ")
                    ),
                    field: p.clone(),
                });
            }
            let chars = st.chars().count() as u64;
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                && chars > max
            {
                out.push(Cause {
                    reason: "FieldValueTooLong".into(),
                    message: format!("Too long: may not be more than {max} bytes"),
                    field: p.clone(),
                });
            }
            if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                && chars < min
            {
                out.push(invalid(&p, &quote(v), &format!("{p} in body should be at least {min} chars long")));
            }
            if let Some(pat) = s.get("pattern").and_then(Value::as_str)
                && !Regex::new(pat).is_ok_and(|r| r.is_match(st))
            {
                out.push(invalid(&p, &quote(v), &format!("{p} in body should match '{pat}'")));
            }
        }
        Value::Number(n) => {
            if let Some(e) = s.get("enum").and_then(Value::as_array)
                && !e.iter().any(|x| x == v)
            {
                let supported: Vec<String> = e.iter().map(quote).collect();
                out.push(Cause {
                    reason: "FieldValueNotSupported".into(),
                    message: format!("Unsupported value: {v}: supported values: {}", supported.join(", ")),
                    field: p.clone(),
                });
            }
            let x = n.as_f64().unwrap_or_default();
            if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                && x > max
            {
                out.push(invalid(
                    &p,
                    &v.to_string(),
                    &format!("{p} in body should be less than or equal to {}", s["maximum"]),
                ));
            }
            if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                && x < min
            {
                out.push(invalid(
                    &p,
                    &v.to_string(),
                    &format!("{p} in body should be greater than or equal to {}", s["minimum"]),
                ));
            }
        }
        _ => {}
    }
}

fn validate_object(m: &Map<String, Value>, s: &Value, path: &str, out: &mut Vec<Cause>, root: bool) {
    let p = path.to_string();
    if let Some(req) = s.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if !m.contains_key(r) {
                out.push(required(&join(&p, r), ""));
            }
        }
    }
    if let Some(max) = s.get("maxProperties").and_then(Value::as_u64)
        && m.len() as u64 > max
    {
        out.push(Cause {
            reason: "FieldValueTooMany".into(),
            message: format!("Too many: {}: must have at most {max} items", m.len()),
            field: p.clone(),
        });
    }
    let props = s.get("properties").and_then(Value::as_object);
    for (k, child) in m {
        // metadata is validated as ObjectMeta, not by the CRD's schema stub.
        if root && matches!(k.as_str(), "metadata" | "apiVersion" | "kind") {
            continue;
        }
        let cs = props
            .and_then(|ps| ps.get(k))
            .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()));
        if let Some(cs) = cs {
            let cp = join(&p, k);
            validate_schema(child, cs, &cp, out, false);
        }
    }
}
