//! Helm 3 release storage, encoded exactly as Helm's `secrets` storage driver
//! writes it, and decoded the way Helm reads it.
//!
//! Helm (`pkg/storage/driver/util.go`) stores a release as
//! `base64.StdEncoding(gzip(json.Marshal(release)))` in the Secret's `release`
//! key; the API server then base64-encodes Secret data once more on the wire.
//! So `secret.data.release` in JSON is base64(base64(gzip(json))). On read Helm
//! base64-decodes, gunzips only when the gzip magic bytes are present (older
//! releases were stored without gzip), and unmarshals JSON.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

/// The gzip magic header Helm checks before gunzipping (`magicGzip`).
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Errors decoding a stored Helm release.
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    /// The text was not valid standard base64.
    #[error("release is not valid base64")]
    Base64(#[source] base64::DecodeError),
    /// The gzip stream was corrupt.
    #[error("release gzip stream is corrupt")]
    Gzip(#[source] std::io::Error),
    /// The payload was not the JSON of a release.
    #[error("release JSON is invalid")]
    Json(#[source] serde_json::Error),
    /// The Secret carried no `data.release`.
    #[error("secret has no data.release")]
    MissingRelease,
}

/// The parts of a Helm release the fixtures vary. Everything else Helm stores
/// (hooks, chart templates) is written with realistic empty values.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmRelease {
    /// Release name, e.g. `runai-backend`.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision number (`version` in Helm's JSON and in the Secret name).
    pub revision: u32,
    /// `deployed`, `superseded`, `failed`, `pending-upgrade`, ...
    pub status: String,
    /// Chart name, e.g. `control-plane`.
    pub chart_name: String,
    /// Chart version, e.g. `2.25.7`.
    pub chart_version: String,
    /// Chart appVersion.
    pub app_version: String,
    /// User-supplied values (`config`, what `helm get values` prints).
    pub values: Value,
    /// The chart's default values (`chart.values`).
    pub chart_values: Value,
    /// The rendered manifest.
    pub manifest: String,
    /// `info.first_deployed` / `info.last_deployed` (RFC 3339).
    pub deployed_at: String,
    /// `info.description`, e.g. `Install complete` or `Upgrade complete`.
    pub description: String,
}

impl HelmRelease {
    /// The Secret name Helm uses: `sh.helm.release.v1.<name>.v<revision>`.
    pub fn secret_name(&self) -> String {
        format!("sh.helm.release.v1.{}.v{}", self.name, self.revision)
    }

    /// The release as Helm's Go struct marshals it (field order as in
    /// `pkg/release/release.go`: name, info, chart, config, manifest, version, namespace).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "info": {
                "first_deployed": self.deployed_at,
                "last_deployed": self.deployed_at,
                "deleted": "",
                "description": self.description,
                "status": self.status,
            },
            "chart": {
                "metadata": {
                    "name": self.chart_name,
                    "version": self.chart_version,
                    "description": format!("{} Helm chart", self.chart_name),
                    "apiVersion": "v2",
                    "appVersion": self.app_version,
                    "type": "application",
                },
                "lock": null,
                "templates": [],
                "values": self.chart_values,
                "schema": null,
                "files": [],
            },
            "config": self.values,
            "manifest": self.manifest,
            "version": self.revision,
            "namespace": self.namespace,
        })
    }

    /// Read the fields back from a release JSON (the inverse of [`HelmRelease::to_json`]).
    pub fn from_json(v: &Value) -> HelmRelease {
        let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        HelmRelease {
            name: s("/name"),
            namespace: s("/namespace"),
            revision: v
                .get("version")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or_default(),
            status: s("/info/status"),
            chart_name: s("/chart/metadata/name"),
            chart_version: s("/chart/metadata/version"),
            app_version: s("/chart/metadata/appVersion"),
            values: v.get("config").cloned().unwrap_or(Value::Null),
            chart_values: v.pointer("/chart/values").cloned().unwrap_or(Value::Null),
            manifest: s("/manifest"),
            deployed_at: s("/info/last_deployed"),
            description: s("/info/description"),
        }
    }

    /// The `helm.sh/release.v1` Secret as the API server returns it (data base64-encoded).
    pub fn to_secret(&self) -> Value {
        let stored = encode_release(&self.to_json());
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": self.secret_name(),
                "namespace": self.namespace,
                "labels": {
                    "name": self.name,
                    "owner": "helm",
                    "status": self.status,
                    "version": self.revision.to_string(),
                },
            },
            "type": "helm.sh/release.v1",
            "data": { "release": STANDARD.encode(stored.as_bytes()) },
        })
    }

    /// Decode a `helm.sh/release.v1` Secret as returned by the API server.
    pub fn from_secret(secret: &Value) -> Result<HelmRelease, HelmError> {
        let wire =
            secret.pointer("/data/release").and_then(Value::as_str).ok_or(HelmError::MissingRelease)?;
        let stored = STANDARD.decode(wire).map_err(HelmError::Base64)?;
        let stored = String::from_utf8_lossy(&stored);
        Ok(HelmRelease::from_json(&decode_release(&stored)?))
    }
}

/// Encode a release JSON as Helm's storage driver does: gzip (best compression,
/// as Helm's `gzip.NewWriterLevel(&buf, gzip.BestCompression)`), then standard base64.
pub fn encode_release(release: &Value) -> String {
    // Serialising a `Value` to a Vec cannot fail.
    let json = serde_json::to_vec(release).unwrap_or_default();
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail either.
    let _ = gz.write_all(&json);
    let compressed = gz.finish().unwrap_or_default();
    STANDARD.encode(compressed)
}

/// Decode a stored release the way Helm's `decodeRelease` does: base64, gunzip
/// only if the gzip magic is present, then JSON.
pub fn decode_release(stored: &str) -> Result<Value, HelmError> {
    let bytes = STANDARD.decode(stored.trim()).map_err(HelmError::Base64)?;
    let json = if bytes.len() > 3 && bytes[..3] == GZIP_MAGIC {
        let mut out = Vec::new();
        GzDecoder::new(&bytes[..]).read_to_end(&mut out).map_err(HelmError::Gzip)?;
        out
    } else {
        bytes
    };
    serde_json::from_slice(&json).map_err(HelmError::Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HelmRelease {
        HelmRelease {
            name: "runai-cluster".into(),
            namespace: "runai".into(),
            revision: 3,
            status: "deployed".into(),
            chart_name: "runai-cluster".into(),
            chart_version: "2.25.4".into(),
            app_version: "2.25.4".into(),
            values: json!({"clusterConfig": {"global": {"ingress": {"enabled": true}}}}),
            chart_values: json!({"replicas": 1}),
            manifest: "---\n# Source: x.yaml\n".into(),
            deployed_at: "2025-01-02T03:04:05.000000006Z".into(),
            description: "Upgrade complete".into(),
        }
    }

    #[test]
    fn decode_inverts_encode() {
        let rel = sample();
        let stored = encode_release(&rel.to_json());
        assert_eq!(decode_release(&stored).ok(), Some(rel.to_json()));
        let secret = rel.to_secret();
        assert_eq!(HelmRelease::from_secret(&secret).ok(), Some(rel));
    }

    #[test]
    fn stored_form_is_gzip_then_base64() {
        let stored = encode_release(&json!({"name": "x"}));
        let raw = STANDARD.decode(&stored).unwrap_or_default();
        assert_eq!(&raw[..3], &GZIP_MAGIC, "Helm checks these bytes to decide to gunzip");
    }

    #[test]
    fn uncompressed_legacy_releases_decode() {
        // Releases written before Helm compressed them are plain base64 JSON.
        let stored = STANDARD.encode(br#"{"name":"old","version":1}"#);
        let v = decode_release(&stored).unwrap_or_default();
        assert_eq!(v["name"], "old");
    }
}
