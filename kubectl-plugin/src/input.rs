//! Reading the input: the config file (or the bundled example), then flags on top.

use std::path::Path;

use runai_gateway_core::{Issues, SpecInput};

use crate::cli::InputArgs;

/// The bundled example config, the same file as `examples/runai-gateway.yaml`.
pub const EXAMPLE_CONFIG: &str = include_str!("../../examples/runai-gateway.yaml");

/// Why the input could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The config file cannot be read.
    #[error("cannot read config file `{path}`: {source}")]
    Unreadable {
        /// The path as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid YAML of the expected shape.
    #[error("config file `{path}` is not a valid runai-gateway config: {message}")]
    Malformed {
        /// The path as given.
        path: String,
        /// The parser's message (line, column, unknown field).
        message: String,
    },
    /// The merged input breaks a rule.
    #[error("{0}")]
    Invalid(#[from] Issues),
    /// `rollback` was given no input and found no state record that holds one.
    #[error(
        "no input given and no state record with one: `rollback` without flags restores from the ConfigMap `runai-gateway-state` that `apply` writes. Pass the input `apply` ran with (`--config FILE`, or `--cluster-domain` and the other flags)"
    )]
    NoRecord,
}

fn read_config(path: &Path) -> Result<SpecInput, InputError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|source| InputError::Unreadable { path: shown.clone(), source })?;
    SpecInput::from_yaml(&text).map_err(|e| InputError::Malformed { path: shown, message: e.to_string() })
}

/// The config layer (file or example) with the flags merged over it.
///
/// # Errors
/// An unreadable or malformed config file.
pub fn merged_input(args: &InputArgs) -> Result<SpecInput, InputError> {
    let mut input = if let Some(path) = &args.config {
        read_config(path)?
    } else if args.example {
        SpecInput::from_yaml(EXAMPLE_CONFIG)
            .map_err(|e| InputError::Malformed { path: "<example>".into(), message: e.to_string() })?
    } else {
        SpecInput::default()
    };
    input.merge(&args.to_input());
    Ok(input)
}
