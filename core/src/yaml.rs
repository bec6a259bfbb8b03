//! The one place that reads and writes YAML, so the library behind it can be swapped.
//!
//! `serde_yaml` is deprecated; this uses `serde-saphyr` (pure Rust, no `unsafe`, the crate
//! kube-rs moved to), which also builds for `wasm32-unknown-unknown`.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A YAML document that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    message: String,
}

/// Serialises one value as a YAML document (no leading `---`).
///
/// # Errors
/// When the value cannot be represented in YAML (never for the plan's own types).
pub fn to_string<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_saphyr::to_string(value).map_err(|e| YamlError { message: e.to_string() })
}

/// Parses one YAML document.
///
/// # Errors
/// The parser's message, which names the line, the column and any unknown field.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str(text).map_err(|e| YamlError { message: e.to_string() })
}

/// Parses a stream of YAML documents separated by `---`, skipping empty ones.
///
/// # Errors
/// The parser's message for the first document that fails.
pub fn from_multi_str<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, YamlError> {
    let docs: Vec<Option<T>> =
        serde_saphyr::from_multiple(text).map_err(|e| YamlError { message: e.to_string() })?;
    Ok(docs.into_iter().flatten().collect())
}
