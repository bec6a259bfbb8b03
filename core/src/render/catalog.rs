//! The check catalog as data (`status --list-checks -o json|yaml`).

use serde::Serialize;

use crate::checks::{CATALOG, CheckMeta};

/// Version of the catalog document.
pub const CATALOG_SCHEMA: &str = "runai-gateway.catalog/v1";

/// Every check of the catalog, in catalog order.
#[derive(Debug, Serialize)]
pub struct CatalogDocument {
    /// [`CATALOG_SCHEMA`].
    pub schema: &'static str,
    /// The checks: ID, category, severity, title, why it matters and how to fix it.
    pub checks: &'static [CheckMeta],
}

/// The catalog document.
#[must_use]
pub fn catalog_document() -> CatalogDocument {
    CatalogDocument { schema: CATALOG_SCHEMA, checks: CATALOG }
}

/// The catalog as one pretty JSON document, newline-terminated.
#[must_use]
pub fn catalog_json() -> String {
    let mut s = serde_json::to_string_pretty(&catalog_document()).unwrap_or_default();
    s.push('\n');
    s
}
