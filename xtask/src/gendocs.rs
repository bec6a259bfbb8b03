//! `cargo xtask gen-docs`: the documentation generated from the code.
//!
//! `docs/checks.md` is the check catalog (`core/src/checks/catalog.rs`) as Markdown. A test in
//! `kubectl-plugin/tests/status.rs` fails when the committed file differs, naming this command.

use std::path::Path;

use anyhow::{Context as _, Result, bail};

/// Every generated file: (path from the workspace root, content).
#[must_use]
pub fn files() -> Vec<(&'static str, String)> {
    vec![("docs/checks.md", runai_gateway_core::render::catalog_markdown())]
}

/// Writes the generated files under `root`, or with `check` only compares them.
///
/// # Errors
/// A file that cannot be written, or (with `check`) differs.
pub fn gen_docs(root: &Path, check: bool) -> Result<()> {
    let mut stale = Vec::new();
    for (rel, content) in files() {
        let path = root.join(rel);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == content {
            continue;
        }
        if check {
            stale.push(rel);
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {rel}");
        }
    }
    if !stale.is_empty() {
        bail!("out of date: {}; run `cargo xtask gen-docs`", stale.join(", "));
    }
    Ok(())
}
