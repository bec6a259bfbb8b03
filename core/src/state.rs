//! The record `apply` writes before its first change, so that `rollback` can put things back:
//! the previous values of the Helm keys the migration touches, the previous KnativeServing fields
//! it applies, and which of the planned objects existed before.
//!
//! It lives in the ConfigMap [`STATE_NAME`] in the Gateway's namespace, as JSON under
//! [`STATE_KEY`], versioned by [`STATE_SCHEMA`]. It never holds secret data: Helm values are
//! recorded only for the keys this tool sets (switches and the Gateway reference), never the rest
//! of a release's values (which hold client secrets), and Secrets are recorded by name only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::helm::{HelmUpgrade, HelmValue};
use crate::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};

/// Name of the ConfigMap.
pub const STATE_NAME: &str = "runai-gateway-state";
/// Key of the record in the ConfigMap's `data`.
pub const STATE_KEY: &str = "state.json";
/// The most a Helm release decompresses to (Helm's own releases are far smaller).
pub const RELEASE_CAP: u64 = 32 << 20;

/// Version of the record; bumped on any incompatible change.
pub const STATE_SCHEMA: &str = "runai-gateway.state/v1";

/// A Kubernetes object by identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `group/version`.
    pub api_version: String,
    /// Kind.
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// The identity of a manifest.
    #[must_use]
    pub fn of(manifest: &Value) -> Self {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        Self {
            api_version: s(&manifest["apiVersion"]),
            kind: s(&manifest["kind"]),
            namespace: s(&manifest["metadata"]["namespace"]),
            name: s(&manifest["metadata"]["name"]),
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// The Helm keys of one release as they were before the migration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRecord {
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// The deployed revision when recorded.
    pub revision: i64,
    /// The deployed chart version when recorded.
    pub chart_version: String,
    /// Each touched key and its previous user-supplied value (`null`: not set).
    pub values: BTreeMap<String, Value>,
}

/// The KnativeServing fields the migration applies, as they were before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnativeRecord {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The previous values at the applied paths (absent paths are left out).
    pub fields: Value,
}

/// One annotation `apply --dns external-dns` set on an Ingress, and its value before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationRecord {
    /// The Ingress.
    pub object: ObjectRef,
    /// The annotation key.
    pub key: String,
    /// Its value before (`None`: absent, so `rollback` removes it).
    pub previous: Option<String>,
}

/// The record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRecord {
    /// [`STATE_SCHEMA`].
    pub schema: String,
    /// Version of the tool that wrote it.
    pub tool_version: String,
    /// Gateway namespace and name the migration targets.
    pub gateway: (String, String),
    /// Helm keys per release.
    pub releases: Vec<ReleaseRecord>,
    /// KnativeServing fields, when the plan applies some.
    pub knative_serving: Option<KnativeRecord>,
    /// Planned objects that existed before `apply` (never deleted by `rollback --prune`).
    pub existed: Vec<ObjectRef>,
    /// The Ingress controller's address before the migration (where DNS points back to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_address: Option<String>,
    /// Ingresses made by hand that `apply --prune-ingress` deleted, without server fields, so
    /// that `rollback` re-creates them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pruned_ingresses: Vec<Value>,
    /// The input `apply` ran with (config file and flags merged), so that `rollback` needs no
    /// flags. Records written before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<crate::spec::SpecInput>,
    /// Objects this tool did not make that `apply --adopt` took over, each as it was before
    /// (without server fields), so that `rollback` restores them field for field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adopted: Vec<Value>,
    /// The annotations `apply --dns external-dns` changed, each with its previous value, so that
    /// `rollback` puts back exactly what was there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<AnnotationRecord>,
}

/// Why a stored record cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StateError {
    /// The ConfigMap has no record.
    #[error("ConfigMap `{STATE_NAME}` has no `{STATE_KEY}`")]
    Missing,
    /// The record is not JSON of the expected shape.
    #[error("ConfigMap `{STATE_NAME}` holds an unreadable record: {0}")]
    Malformed(String),
    /// Written by an incompatible version.
    #[error("ConfigMap `{STATE_NAME}` holds schema `{0}`, this tool reads `{STATE_SCHEMA}`")]
    Schema(String),
}

impl StateRecord {
    /// An empty record for the Gateway `namespace/name`.
    #[must_use]
    pub fn new(gateway_namespace: &str, gateway_name: &str) -> Self {
        Self {
            schema: STATE_SCHEMA.into(),
            tool_version: crate::VERSION.into(),
            gateway: (gateway_namespace.into(), gateway_name.into()),
            releases: Vec::new(),
            knative_serving: None,
            existed: Vec::new(),
            ingress_address: None,
            pruned_ingresses: Vec::new(),
            input: None,
            adopted: Vec::new(),
            annotations: Vec::new(),
        }
    }

    /// The ConfigMap manifest that stores the record (for server-side apply or create).
    #[must_use]
    pub fn to_configmap(&self) -> Value {
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": STATE_NAME,
                "namespace": self.gateway.0,
                "labels": { MANAGED_BY_LABEL: FIELD_MANAGER },
            },
            "data": { STATE_KEY: text },
        })
    }

    /// Reads the record from its ConfigMap.
    ///
    /// # Errors
    /// A missing, malformed or incompatible record.
    pub fn from_configmap(cm: &Value) -> Result<Self, StateError> {
        let text = cm["data"][STATE_KEY].as_str().ok_or(StateError::Missing)?;
        let raw: Value = serde_json::from_str(text).map_err(|e| StateError::Malformed(e.to_string()))?;
        let schema = raw["schema"].as_str().unwrap_or_default();
        if schema != STATE_SCHEMA {
            return Err(StateError::Schema(schema.to_owned()));
        }
        serde_json::from_value(raw).map_err(|e| StateError::Malformed(e.to_string()))
    }

    /// The recorded release, by name and namespace.
    #[must_use]
    pub fn release(&self, release: &str, namespace: &str) -> Option<&ReleaseRecord> {
        self.releases.iter().find(|r| r.release == release && r.namespace == namespace)
    }

    /// Whether `object` existed before the migration.
    #[must_use]
    pub fn existed_before(&self, object: &ObjectRef) -> bool {
        self.existed.contains(object)
    }

    /// The recorded state of `object`, when `apply --adopt` took it over.
    #[must_use]
    pub fn adopted_object(&self, object: &ObjectRef) -> Option<&Value> {
        self.adopted.iter().find(|a| ObjectRef::of(a) == *object)
    }
}

/// Splits a Helm `--set` key into path segments: `a.b[0].c` → `a`, `b`, `[0]`, `c`.
fn segments(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in key.split('.') {
        match part.split_once('[') {
            Some((name, rest)) => {
                if !name.is_empty() {
                    out.push(name.to_owned());
                }
                for idx in rest.split('[') {
                    out.push(format!("[{}", idx));
                }
            }
            None => out.push(part.to_owned()),
        }
    }
    out
}

/// The value of a dotted Helm key (`global.gatewayAPI.parentRefs[0].name`) in a values tree.
#[must_use]
pub fn lookup<'a>(values: &'a Value, key: &str) -> Option<&'a Value> {
    let mut cur = values;
    for seg in segments(key) {
        cur = match seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(i) => cur.get(i.parse::<usize>().ok()?)?,
            None => cur.get(seg.as_str())?,
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// A value as `--set`/`--set-string` spells it (`true` and `"true"` are both `true`).
#[must_use]
pub fn as_flag_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether the release's values already hold what `value` sets.
#[must_use]
pub fn value_set(values: &Value, value: &HelmValue) -> bool {
    lookup(values, &value.key).is_some_and(|v| as_flag_text(v) == value.value)
}

/// Whether every key of `upgrade` already has its value (the upgrade would change nothing).
#[must_use]
pub fn upgrade_done(values: &Value, upgrade: &HelmUpgrade) -> bool {
    upgrade.values.iter().all(|v| value_set(values, v))
}

/// Sets a dotted Helm key in a values tree, as `--set`/`--set-string` does (`--set` parses
/// `true`/`false`/integers, `--set-string` keeps text). Creates maps and list slots on the way.
pub fn set(values: &mut Value, key: &str, value: Value) {
    let segs = segments(key);
    let mut cur = values;
    for (n, seg) in segs.iter().enumerate() {
        let last = n + 1 == segs.len();
        let index =
            seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')).and_then(|i| i.parse::<usize>().ok());
        match index {
            Some(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let list = cur.as_array_mut().expect("made an array above");
                while list.len() <= i {
                    list.push(Value::Null);
                }
                cur = &mut list[i];
            }
            None => {
                if !cur.is_object() {
                    *cur = Value::Object(serde_json::Map::new());
                }
                let map = cur.as_object_mut().expect("made an object above");
                cur = map.entry(seg.clone()).or_insert(Value::Null);
            }
        }
        if last {
            *cur = value;
            return;
        }
    }
}

/// What `--set` makes of a text (`true`, `false`, integers; everything else stays text).
#[must_use]
pub fn typed_value(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => text.parse::<i64>().map_or_else(|_| Value::String(text.to_owned()), Value::from),
    }
}

/// Why a stored Helm release could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// It decompresses past [`RELEASE_CAP`].
    #[error("too large (it decompresses past {} MiB)", RELEASE_CAP >> 20)]
    TooLarge,
    /// Not the base64 of gzip of JSON that Helm stores.
    #[error("{0}")]
    Undecodable(String),
}

/// The release JSON of a `helm.sh/release.v1` Secret's `release` data once the API's base64 is
/// undone: Helm's base64, then gzip (absent in old releases), decompressed to at most
/// [`RELEASE_CAP`].
///
/// # Errors
/// Too large, or not what Helm stores.
pub fn decode_release_data(stored: &[u8]) -> Result<Value, ReleaseError> {
    let undecodable = |what: &str| ReleaseError::Undecodable(what.to_owned());
    let gz = std::str::from_utf8(stored)
        .ok()
        .and_then(crate::tls::decode_data)
        .ok_or_else(|| undecodable("not base64"))?;
    let text = if gz.starts_with(&[0x1f, 0x8b]) {
        // Bounded: a gzip bomb in a release Secret stops at the cap instead of filling memory.
        let text = crate::gunzip::gunzip(&gz, RELEASE_CAP)
            .map_err(|e| ReleaseError::Undecodable(format!("not valid gzip: {e}")))?;
        if text.len() as u64 > RELEASE_CAP {
            return Err(ReleaseError::TooLarge);
        }
        text
    } else {
        gz
    };
    let value: Value =
        serde_json::from_slice(&text).map_err(|_| undecodable("not a Helm release (not JSON)"))?;
    if value.is_object() { Ok(value) } else { Err(undecodable("not a Helm release (not a JSON object)")) }
}

/// The Helm release JSON stored in a `helm.sh/release.v1` Secret (`data.release`): the API's
/// base64, then Helm's base64, then gzip (absent in old releases).
#[must_use]
pub fn release_json(secret: &Value) -> Option<Value> {
    let stored = crate::tls::decode_data(secret["data"]["release"].as_str()?)?;
    decode_release_data(&stored).ok()
}

/// The part of `live` at the paths `shape` names (maps only; leaves and lists are taken whole).
/// Paths `live` lacks are left out.
#[must_use]
pub fn project(live: &Value, shape: &Value) -> Value {
    match (shape, live) {
        (Value::Object(s), Value::Object(l)) if !s.is_empty() => {
            let mut out = serde_json::Map::new();
            for (k, sv) in s {
                if let Some(lv) = l.get(k) {
                    let p = project(lv, sv);
                    if !(p.is_object()
                        && p.as_object().is_some_and(serde_json::Map::is_empty)
                        && sv.is_object()
                        && !sv.as_object().is_some_and(serde_json::Map::is_empty))
                    {
                        out.insert(k.clone(), p);
                    }
                }
            }
            Value::Object(out)
        }
        _ => live.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A release Secret whose payload is `json` gzipped, then base64 twice (as Helm stores it).
    fn release_secret(json: &[u8]) -> Value {
        use base64::Engine as _;
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(json).unwrap_or_default();
        let gz = gz.finish().unwrap_or_default();
        let b64 = base64::engine::general_purpose::STANDARD;
        json!({"data": {"release": b64.encode(b64.encode(gz))}})
    }

    #[test]
    fn a_release_is_decompressed_up_to_the_cap_only() {
        assert_eq!(release_json(&release_secret(br#"{"version": 3}"#)), Some(json!({"version": 3})));
        // A gzip bomb: a few KiB that would decompress past the cap.
        let mut bomb = b"{\"x\": \"".to_vec();
        bomb.resize(usize::try_from(RELEASE_CAP).unwrap_or(usize::MAX) + 1024, b'a');
        bomb.extend_from_slice(b"\"}");
        let secret = release_secret(&bomb);
        assert!(secret["data"]["release"].as_str().map_or(0, str::len) < 1 << 20);
        assert_eq!(release_json(&secret), None);
        let stored = crate::tls::decode_data(secret["data"]["release"].as_str().unwrap_or_default());
        assert_eq!(decode_release_data(&stored.unwrap_or_default()), Err(ReleaseError::TooLarge));
        assert_eq!(ReleaseError::TooLarge.to_string(), "too large (it decompresses past 32 MiB)");
    }

    #[test]
    fn an_undecodable_release_says_why() {
        use base64::Engine as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let why = |stored: &[u8]| decode_release_data(stored).err().map(|e| e.to_string());
        assert_eq!(why(b"not base64!"), Some("not base64".into()));
        assert_eq!(why(b64(b"[1]").as_bytes()), Some("not a Helm release (not a JSON object)".into()));
        assert_eq!(why(b64(b"{").as_bytes()), Some("not a Helm release (not JSON)".into()));
        assert!(why(b64(&[0x1f, 0x8b, 0, 0]).as_bytes()).is_some_and(|w| w.starts_with("not valid gzip")));
    }

    #[test]
    fn helm_keys_read_and_write_like_set() {
        let mut v = json!({"global": {"ingress": {"enabled": true}}});
        assert_eq!(lookup(&v, "global.ingress.enabled"), Some(&json!(true)));
        assert_eq!(lookup(&v, "global.gatewayAPI.parentRefs[0].name"), None);
        set(&mut v, "global.gatewayAPI.parentRefs[0].name", json!("runai-gateway"));
        set(&mut v, "global.ingress.enabled", json!("false"));
        assert_eq!(lookup(&v, "global.gatewayAPI.parentRefs[0].name"), Some(&json!("runai-gateway")));
        assert_eq!(v["global"]["ingress"]["enabled"], json!("false"));
        assert_eq!(typed_value("true"), json!(true));
        assert_eq!(typed_value("1.2"), json!("1.2"));
        assert_eq!(as_flag_text(&json!(true)), "true");
    }

    #[test]
    fn record_round_trips_through_its_configmap() {
        let mut r = StateRecord::new("runai", "runai-gateway");
        r.releases.push(ReleaseRecord {
            release: "runai-cluster".into(),
            namespace: "runai".into(),
            revision: 1,
            chart_version: "2.25.7".into(),
            values: BTreeMap::from([("clusterConfig.global.ingress.enabled".into(), Value::Null)]),
        });
        let cm = r.to_configmap();
        assert_eq!(cm["metadata"]["namespace"], "runai");
        assert_eq!(StateRecord::from_configmap(&cm), Ok(r));
        assert_eq!(StateRecord::from_configmap(&json!({})), Err(StateError::Missing));
        let bad = json!({"data": {STATE_KEY: "{\"schema\":\"x/v9\"}"}});
        assert_eq!(StateRecord::from_configmap(&bad), Err(StateError::Schema("x/v9".into())));
    }

    #[test]
    fn projection_keeps_only_the_applied_paths() {
        let live = json!({"spec": {"config": {"network": {"a": "1", "b": "2"}, "other": {}}, "x": 1}});
        let shape = json!({"spec": {"config": {"network": {"a": "", "c": ""}}, "ingress": {"k": true}}});
        assert_eq!(project(&live, &shape), json!({"spec": {"config": {"network": {"a": "1"}}}}));
    }
}
