//! The one place that reads and writes YAML, so the library behind it can be swapped.
//!
//! Writing uses `serde-saphyr` (pure Rust, no `unsafe`, the crate kube-rs moved to). Reading
//! uses the core's own reader ([`read`], [`de`]) of what config files, snapshots and `kubectl
//! get -o yaml` hold: a generic YAML deserializer was a third of the browser's diagnostics
//! module, and this one is total on hostile input (bounded nesting and alias expansion).

mod de;
mod read;

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
    let docs = read::documents(text).map_err(|e| syntax(text, &e))?;
    match docs.as_slice() {
        [] => de::from_node(&read_empty()).map_err(|e| semantic(text, e)),
        [doc] => de::from_node(doc).map_err(|e| semantic(text, e)),
        [_, second, ..] => Err(YamlError {
            message: read::render_error(text, second.at, "expected one document, found several (`---`)"),
        }),
    }
}

/// An empty document reads as null (an empty config file is an empty config).
fn read_empty() -> read::Node {
    read::Node { at: 0, kind: read::Kind::Scalar(String::new(), true) }
}

fn syntax(text: &str, e: &read::ParseError) -> YamlError {
    YamlError { message: read::render_error(text, e.at, &e.message) }
}

fn semantic(text: &str, e: de::DeError) -> YamlError {
    YamlError { message: read::render_error(text, e.at.unwrap_or(0), &e.message) }
}

/// Parses a stream of YAML documents separated by `---`, skipping empty ones.
///
/// # Errors
/// The parser's message for the first document that fails.
pub fn from_multi_str<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, YamlError> {
    let docs = read::documents(text).map_err(|e| syntax(text, &e))?;
    docs.iter()
        .filter(|doc| !matches!(&doc.kind, read::Kind::Scalar(t, true) if de::resolve(t) == de::Plain::Null))
        .map(|doc| de::from_node(doc).map_err(|e| semantic(text, e)))
        .collect()
}
