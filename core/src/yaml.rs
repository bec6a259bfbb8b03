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
    Stream::read(text)?.all()
}

/// A stream of YAML documents read once (empty ones left out), so that each can be deserialized
/// into the type it turns out to be, straight from the reader's nodes: a snapshot file is one
/// document with a `schema` key, read into the snapshot model, or Kubernetes objects, read as
/// JSON values. (Reading every document into `serde_json::Value` first and then into the model
/// compiled the model's deserializer for `Value` as well: a tenth of the browser's diagnostics
/// module.)
pub struct Stream<'a> {
    text: &'a str,
    docs: Vec<read::Node>,
}

impl<'a> Stream<'a> {
    /// Reads the documents of `text`.
    ///
    /// # Errors
    /// The parser's message, with the line and column.
    pub fn read(text: &'a str) -> Result<Self, YamlError> {
        let docs = read::documents(text)
            .map_err(|e| syntax(text, &e))?
            .into_iter()
            .filter(
                |doc| !matches!(&doc.kind, read::Kind::Scalar(t, true) if de::resolve(t) == de::Plain::Null),
            )
            .collect();
        Ok(Stream { text, docs })
    }

    /// How many (non-empty) documents the stream has.
    #[must_use]
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether the stream has no (non-empty) document.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The string under `key` of document `doc`, when the document is a mapping and the value a
    /// string (quoted, or plain text that is no null, boolean or number).
    #[must_use]
    pub fn string_at(&self, doc: usize, key: &str) -> Option<&str> {
        let read::Kind::Map(entries) = &self.docs.get(doc)?.kind else { return None };
        entries.iter().find_map(|(k, v)| match (&k.kind, &v.kind) {
            (read::Kind::Scalar(k, _), read::Kind::Scalar(v, plain)) if k == key => {
                (!plain || matches!(de::resolve(v), de::Plain::Str(_))).then_some(v.as_str())
            }
            _ => None,
        })
    }

    /// Document `doc` as a `T`.
    ///
    /// # Errors
    /// What does not fit `T`, with the line and column.
    pub fn get<T: DeserializeOwned>(&self, doc: usize) -> Result<T, YamlError> {
        let node = self.docs.get(doc).ok_or_else(|| YamlError { message: format!("no document {doc}") })?;
        de::from_node(node).map_err(|e| semantic(self.text, e))
    }

    /// Every document as a `T`.
    ///
    /// # Errors
    /// What does not fit `T` in the first document that fails, with the line and column.
    pub fn all<T: DeserializeOwned>(&self) -> Result<Vec<T>, YamlError> {
        self.docs.iter().map(|doc| de::from_node(doc).map_err(|e| semantic(self.text, e))).collect()
    }
}
