//! Every input field, declared once.
//!
//! [`FIELDS`] is the one list of what a user may say about the desired routing: for each field
//! its config-file path (`gateway.name`), its flag (`--gateway-name NAME`, under the `Gateway`
//! heading of `--help`), its help text, the default a user is shown, the browser form's label,
//! the kind of value it takes, and typed accessors into a [`SpecInput`]. The CLI's input flags,
//! [`SpecInput::merge`], the browser form's field list and defaults ([`form`], [`paths`],
//! [`form_defaults`]) and every command a report suggests ([`CommandLine`]) are generated from
//! it.
//!
//! ```
//! use runai_gateway_core::fields::{self, Value};
//! use runai_gateway_core::SpecInput;
//!
//! let field = fields::field("gateway.name").expect("a field");
//! assert_eq!(field.flag.as_ref().map(|f| f.long), Some("gateway-name"));
//! assert_eq!(field.default_text().as_deref(), Some("runai-gateway"));
//!
//! let mut input = SpecInput::default();
//! field.set(&mut input, Some(Value::Text("gw".into()))).expect("text for a text field");
//! assert_eq!(input.gateway.and_then(|g| g.name).as_deref(), Some("gw"));
//! ```

mod command;
mod table;

use std::sync::OnceLock;

use serde::Serialize;

pub use command::{CommandLine, ConfigLayer, ConfigSource, Invocation, input_flags};
pub use table::FIELDS;

use crate::spec::{
    ControlPlaneLocation, Controller, DnsMode, Platform, RouteNamespaces, RoutingMode, Spec, SpecInput,
};

/// One input field.
#[derive(Debug)]
pub struct Field {
    /// Dotted config-file path (`gateway.className`); also the form's `data-field` and the
    /// `field` of validation errors.
    pub path: &'static str,
    /// The browser form's label.
    pub label: &'static str,
    /// What the field means: the flag's help, the form's description.
    pub help: &'static str,
    /// What the field falls back to when left out.
    pub default: Shown,
    /// The value it takes.
    pub kind: Kind,
    /// Its command-line flag; `None` for config-file-only fields (`apiVersion`, `kind`).
    pub flag: Option<Flag>,
    access: Access,
}

/// A field's command-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    /// Long name without the dashes (`gateway-name`; `no-inference` for a switch).
    pub long: &'static str,
    /// Placeholder of the value in `--help` (`NAME`); empty for a switch.
    pub value_name: &'static str,
    /// Heading of `--help` the flag is listed under.
    pub heading: &'static str,
    /// The path of a field this flag cannot be combined with.
    pub conflicts_with: Option<&'static str>,
}

/// The kind of value a field takes (the form's `data-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Kind {
    /// Free text: a name, a domain, a chart reference.
    Text,
    /// One of a fixed set of spellings.
    Enum {
        /// The spellings, in documentation order.
        values: &'static [Choice],
    },
    /// Yes or no. On the command line a switch (`--no-…`) that can only say no, the other value
    /// being the default.
    Bool,
    /// A route namespace policy, in the flag syntax of [`RouteNamespaces::parse_flag`].
    Routes,
    /// A TCP port.
    Port,
}

/// One value of an [`Kind::Enum`] field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The spelling of flags and config files.
    pub value: &'static str,
    /// What it means (the possible values of `--help`); empty when the spelling says it all.
    pub help: &'static str,
}

/// What a field falls back to when left out, as users are shown it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Nothing: the field is required, or stays unset.
    Nothing,
    /// What [`SpecInput::resolve`] fills in, read from a resolved input rather than restated.
    Resolved,
    /// A default that depends on other fields, in words.
    Note(&'static str),
}

/// A field's value, typed by its [`Kind`]: an enum is its spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// [`Kind::Text`] and [`Kind::Enum`].
    Text(String),
    /// [`Kind::Bool`].
    Bool(bool),
    /// [`Kind::Port`].
    Port(u16),
    /// [`Kind::Routes`].
    Routes(RouteNamespaces),
}

impl Value {
    /// The value as a flag or the form spells it (`ns:a,b` for a route policy).
    #[must_use]
    pub fn to_flag(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Port(p) => p.to_string(),
            Value::Routes(r) => r.to_flag(),
        }
    }
}

/// A value of the wrong kind for a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` does not take {value:?}: {problem}")]
pub struct FieldError {
    /// The field.
    pub path: &'static str,
    /// The value refused.
    pub value: Value,
    /// Why.
    pub problem: String,
}

/// A value an accessor refused, and why.
type Refused = (Value, String);

/// The typed accessors of a field (generated by the table's macro).
#[derive(Debug, Clone, Copy)]
struct Access {
    get: fn(&SpecInput) -> Option<Value>,
    set: fn(&mut SpecInput, Option<Value>) -> Result<(), Refused>,
    /// Copies the field from the first input into the second, unset included.
    copy: fn(&SpecInput, &mut SpecInput),
    /// Writes the field's value in a resolved spec into an input: what, given, resolves to it.
    from_spec: fn(&Spec, &mut SpecInput),
}

impl Field {
    /// The field's value in `input`, if set.
    #[must_use]
    pub fn get(&self, input: &SpecInput) -> Option<Value> {
        (self.access.get)(input)
    }

    /// Sets (or with `None` clears) the field in `input`. A section left empty is removed, as
    /// a config file without it reads.
    ///
    /// # Errors
    /// A value of another kind, or an enum spelling the field does not have.
    pub fn set(&self, input: &mut SpecInput, value: Option<Value>) -> Result<(), FieldError> {
        (self.access.set)(input, value).map_err(|(value, problem)| FieldError {
            path: self.path,
            value,
            problem,
        })
    }

    /// Copies this field from `from` into `to`.
    pub fn copy(&self, from: &SpecInput, to: &mut SpecInput) {
        (self.access.copy)(from, to);
    }

    /// The default as users are shown it: the value resolution fills in, or a note.
    #[must_use]
    pub fn default_text(&self) -> Option<String> {
        match self.default {
            Shown::Nothing => None,
            Shown::Note(note) => Some(note.to_owned()),
            Shown::Resolved => {
                let mut input = SpecInput::default();
                (self.access.from_spec)(reference_spec()?, &mut input);
                self.get(&input).map(|v| v.to_flag())
            }
        }
    }

    /// The command-line words that set `value`: `--flag VALUE`, or `--no-…` for a switch saying
    /// no. `None` when the flag cannot say it (a switch saying yes, a field without a flag).
    #[must_use]
    pub fn flag_words(&self, value: &Value) -> Option<Vec<String>> {
        let flag = self.flag.as_ref()?;
        match (self.kind, value) {
            (Kind::Bool, Value::Bool(false)) => Some(vec![format!("--{}", flag.long)]),
            (Kind::Bool, _) => None,
            _ => Some(vec![format!("--{}", flag.long), value.to_flag()]),
        }
    }
}

/// The field at a dotted config path.
#[must_use]
pub fn field(path: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.path == path)
}

/// Overlays `over` on `base`, field by field: a field set in `over` wins.
pub fn merge(base: &mut SpecInput, over: &SpecInput) {
    for f in FIELDS {
        if f.get(over).is_some() {
            f.copy(over, base);
        }
    }
}

/// The input that states every value of `spec`: resolving it gives `spec` again (up to warnings
/// about how the original input was written, such as a domain given for switched-off inference).
/// A derived inference domain stays unset, so that it is derived again.
#[must_use]
pub fn input_of(spec: &Spec) -> SpecInput {
    let mut input = SpecInput::default();
    for f in FIELDS {
        (f.access.from_spec)(spec, &mut input);
    }
    input
}

/// The input [`Shown::Resolved`] defaults are read from: a cluster domain and nothing else.
fn reference_spec() -> Option<&'static Spec> {
    static SPEC: OnceLock<Option<Spec>> = OnceLock::new();
    SPEC.get_or_init(|| {
        SpecInput { cluster_domain: Some(REFERENCE_DOMAIN.into()), ..SpecInput::default() }.resolve().ok()
    })
    .as_ref()
}

/// The cluster domain of [`reference_spec`]. No [`Shown::Resolved`] default depends on it.
const REFERENCE_DOMAIN: &str = "runai.example.com";

/// One field as the browser form is built from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormField {
    /// [`Field::path`].
    pub path: &'static str,
    /// [`Field::label`].
    pub label: &'static str,
    /// [`Field::help`].
    pub help: &'static str,
    /// [`Field::default_text`].
    pub default: Option<String>,
    /// [`Field::kind`], flattened: `{"kind": "enum", "values": [...]}`.
    #[serde(flatten)]
    pub kind: Kind,
    /// The flag (`--gateway-name`), for the form to show what the CLI calls it.
    pub flag: Option<String>,
}

/// The whole table as data, in table order, for the browser form.
#[must_use]
pub fn form() -> Vec<FormField> {
    FIELDS
        .iter()
        .map(|f| FormField {
            path: f.path,
            label: f.label,
            help: f.help,
            default: f.default_text(),
            kind: f.kind,
            flag: f.flag.map(|fl| format!("--{}", fl.long)),
        })
        .collect()
}

/// The dotted path of every field, in table order.
#[must_use]
pub fn paths() -> Vec<String> {
    FIELDS.iter().map(|f| f.path.to_owned()).collect()
}

/// `(path, default)` of every field that has a default to show.
#[must_use]
pub fn form_defaults() -> Vec<(&'static str, String)> {
    FIELDS.iter().filter_map(|f| Some((f.path, f.default_text()?))).collect()
}

// ---------------------------------------------------------------------------------------------
// Typed values: what the table's accessors convert through.

/// A Rust type a field holds, and its [`Value`].
trait Typed: Sized {
    fn into_value(self) -> Value;
    fn from_value(value: Value) -> Result<Self, Refused>;
}

/// `Typed` for a type held by one [`Value`] variant.
macro_rules! typed_variant {
    ($($ty:ty => $variant:ident, $takes:literal);+ $(;)?) => {$(
        impl Typed for $ty {
            fn into_value(self) -> Value {
                Value::$variant(self)
            }
            fn from_value(value: Value) -> Result<Self, Refused> {
                match value {
                    Value::$variant(v) => Ok(v),
                    other => Err((other, concat!("it takes ", $takes).to_owned())),
                }
            }
        }
    )+};
}
typed_variant!(
    String => Text, "text";
    bool => Bool, "true or false";
    u16 => Port, "a port number";
    RouteNamespaces => Routes, "a route namespace policy";
);

macro_rules! typed_enum {
    ($($ty:ty),+) => {$(
        impl Typed for $ty {
            fn into_value(self) -> Value {
                Value::Text(self.as_str().to_owned())
            }
            fn from_value(value: Value) -> Result<Self, Refused> {
                match value {
                    Value::Text(s) => s.parse().map_err(|e: String| (Value::Text(s), e)),
                    other => Err((other, "it takes one of its spellings".into())),
                }
            }
        }
    )+};
}
typed_enum!(RoutingMode, Platform, DnsMode, Controller, ControlPlaneLocation);

/// `Some(value)` as the field's Rust type.
fn typed<T: Typed>(value: Option<Value>) -> Result<Option<T>, Refused> {
    value.map(T::from_value).transpose()
}

/// Edits a section of the input, creating it when needed and removing it when left empty.
fn section<S: Default + PartialEq>(slot: &mut Option<S>, edit: impl FnOnce(&mut S)) {
    let mut s = slot.take().unwrap_or_default();
    edit(&mut s);
    *slot = (s != S::default()).then_some(s);
}

#[cfg(test)]
mod tests;
