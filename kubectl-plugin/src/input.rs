//! Reading the input: the config file (or the bundled example), then flags on top.
//!
//! The input flags are not written out here: [`InputArgs`] builds one clap argument per field
//! of the core's table ([`FIELDS`]) and reads the values back through the same table.

use std::path::{Path, PathBuf};

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use runai_gateway_core::fields::{ConfigLayer, ConfigSource, FIELDS, Field, Kind, Value};
use runai_gateway_core::spec::RouteNamespaces;
use runai_gateway_core::{Issues, SpecInput};

/// The bundled example config, the same file as `examples/runai-gateway.yaml`.
pub const EXAMPLE_CONFIG: &str = include_str!("../../examples/runai-gateway.yaml");

/// Heading of `--config` and `--example` in `--help`.
const INPUT_HEADING: &str = "Input";

/// The desired routing, shared by every command that needs it. Flags override `--config`.
#[derive(Debug, Clone, Default)]
pub struct InputArgs {
    /// `--config FILE`.
    pub config: Option<PathBuf>,
    /// `--example`.
    pub example: bool,
    /// The input flags given (only what was given), as an input layer.
    pub flags: SpecInput,
}

impl clap::Args for InputArgs {
    fn augment_args(cmd: Command) -> Command {
        let cmd = cmd
            .arg(
                Arg::new("config")
                    .long("config")
                    .value_name("FILE")
                    .value_parser(value_parser!(PathBuf))
                    .action(ArgAction::Set)
                    .help("YAML config file (see examples/runai-gateway.yaml); flags override its fields")
                    .help_heading(INPUT_HEADING),
            )
            .arg(
                Arg::new("example")
                    .long("example")
                    .action(ArgAction::SetTrue)
                    .conflicts_with("config")
                    .help("Use the bundled example config (runai.example.com) instead of a file")
                    .help_heading(INPUT_HEADING),
            );
        FIELDS.iter().filter_map(flag_arg).fold(cmd, Command::arg)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for InputArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = InputArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        if let Some(path) = matches.get_one::<PathBuf>("config") {
            self.config = Some(path.clone());
        }
        self.example |= matches.get_flag("example");
        for field in FIELDS.iter().filter(|f| f.flag.is_some()) {
            if let Some(value) = flag_value(field, matches) {
                field
                    .set(&mut self.flags, Some(value))
                    .map_err(|e| clap::Error::raw(clap::error::ErrorKind::ValueValidation, e))?;
            }
        }
        Ok(())
    }
}

/// The clap argument of a field with a flag: its id is the field's path.
fn flag_arg(field: &'static Field) -> Option<Arg> {
    let flag = field.flag?;
    let help = match (field.kind, field.default_text()) {
        (Kind::Bool, _) | (_, None) => field.help.to_owned(),
        (_, Some(default)) => format!("{} [default: {default}]", field.help),
    };
    let arg = Arg::new(field.path).long(flag.long).help(help).help_heading(flag.heading);
    let arg = match field.kind {
        Kind::Bool => arg.action(ArgAction::SetTrue),
        // A value may start with `-` (`--cluster-domain -runai.example.com`): the field's own
        // validation then names what is wrong with it, instead of clap's "unexpected argument".
        Kind::Text => arg.value_parser(value_parser!(String)).allow_hyphen_values(true),
        Kind::Port => arg.value_parser(value_parser!(u16)),
        Kind::Routes => arg.value_parser(RouteNamespaces::parse_flag),
        Kind::Enum { values } => arg.value_parser(PossibleValuesParser::new(values.iter().map(|c| {
            let value = PossibleValue::new(c.value);
            if c.help.is_empty() { value } else { value.help(c.help) }
        }))),
    };
    let arg =
        if field.kind == Kind::Bool { arg } else { arg.value_name(flag.value_name).action(ArgAction::Set) };
    Some(match flag.conflicts_with {
        Some(other) => arg.conflicts_with(other),
        None => arg,
    })
}

/// The value of a field's flag, when it was given.
fn flag_value(field: &Field, matches: &ArgMatches) -> Option<Value> {
    match field.kind {
        // A switch says no; its absence says nothing.
        Kind::Bool => matches.get_flag(field.path).then_some(Value::Bool(false)),
        Kind::Text | Kind::Enum { .. } => matches.get_one::<String>(field.path).cloned().map(Value::Text),
        Kind::Port => matches.get_one::<u16>(field.path).copied().map(Value::Port),
        Kind::Routes => matches.get_one::<RouteNamespaces>(field.path).cloned().map(Value::Routes),
    }
}

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
    let text = crate::read::bounded::read_text(path, crate::read::bounded::CONFIG_CAP)
        .map_err(|source| InputError::Unreadable { path: shown.clone(), source })?;
    SpecInput::from_yaml(&text).map_err(|e| InputError::Malformed { path: shown, message: e.to_string() })
}

/// The config layer (`--config FILE` or `--example`), when one was given.
///
/// # Errors
/// An unreadable or malformed config file.
fn config_layer(args: &InputArgs) -> Result<Option<ConfigLayer>, InputError> {
    Ok(if let Some(path) = &args.config {
        Some(ConfigLayer {
            source: ConfigSource::File(path.display().to_string()),
            input: read_config(path)?,
        })
    } else if args.example {
        let input = SpecInput::from_yaml(EXAMPLE_CONFIG)
            .map_err(|e| InputError::Malformed { path: "<example>".into(), message: e.to_string() })?;
        Some(ConfigLayer { source: ConfigSource::Example, input })
    } else {
        None
    })
}

/// The config layer with the flags merged over it, and the layer itself.
///
/// # Errors
/// An unreadable or malformed config file.
pub fn read_input(args: &InputArgs) -> Result<(SpecInput, Option<ConfigLayer>), InputError> {
    let layer = config_layer(args)?;
    let mut input = layer.as_ref().map(|l| l.input.clone()).unwrap_or_default();
    input.merge(&args.flags);
    Ok((input, layer))
}

/// The config layer (file or example) with the flags merged over it.
///
/// # Errors
/// An unreadable or malformed config file.
pub fn merged_input(args: &InputArgs) -> Result<SpecInput, InputError> {
    read_input(args).map(|(input, _)| input)
}

#[cfg(test)]
mod tests;
