//! WebAssembly bindings of `runai-gateway-core` for the browser config calculator.
//!
//! The page calls these functions with the config-file shape (`SpecInput`, camelCase) as a plain
//! JavaScript object and gets back the same bytes `kubectl runai-gateway render` prints, because
//! both run the same core. Everything here is a thin conversion layer: the pure part
//! ([`calculate_input`], [`input_fields`], …) is ordinary Rust, tested natively; the
//! `#[wasm_bindgen]` wrappers only convert `JsValue`s and map errors with [`into_error`].
//!
//! [`diagnose_text`] is `status --from-file` for pasted text: the same ingestion, discovery,
//! checks and report renderer, with the evaluation time passed in (the core has no clock).

use std::fmt;

use runai_gateway_core::checks::{Category, Finding, Report, Severity, Skipped, catalog, diagnose, discover};
use runai_gateway_core::ingest::{SnapshotFileError, snapshot_from_text};
use runai_gateway_core::render::{ReportFormat, render_report_width, render_width};
#[cfg(feature = "calculator")]
use runai_gateway_core::spec::{Controller, RouteNamespaces};
use runai_gateway_core::{Format, Issues, SpecInput, compute};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Why a binding call failed. Validation problems of a well-formed input are *data*
/// ([`validate`] returns them); these are the cases where there is no result to show.
#[derive(Debug)]
pub enum BindingError {
    /// The value is not a config of the expected shape (wrong type, unknown field, bad YAML).
    Malformed(String),
    /// The input is well-formed but breaks rules; every problem is listed.
    Invalid(Issues),
    /// An output form the CLI does not have.
    UnknownFormat(String),
    /// The text is not a snapshot `status --from-file` can read.
    Snapshot {
        /// What is wrong with it.
        problem: String,
        /// What to paste instead.
        fix: String,
    },
}

impl BindingError {
    /// A stable tag for the page's code (`malformed`, `invalid`, `format`).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            BindingError::Malformed(_) => "malformed",
            BindingError::Invalid(_) => "invalid",
            BindingError::UnknownFormat(_) => "format",
            BindingError::Snapshot { .. } => "snapshot",
        }
    }

    /// A snapshot error from the core's reason, with the fix the page shows.
    #[must_use]
    pub fn snapshot(err: &SnapshotFileError) -> Self {
        let (problem, fix) = match err {
            SnapshotFileError::Syntax(m) => (
                format!("the snapshot is not YAML or JSON: {m}"),
                "paste the whole file, as `kubectl runai-gateway snapshot` or `kubectl get … -o yaml` wrote it"
                    .to_owned(),
            ),
            SnapshotFileError::Unrecognised => (
                format!("the text {err}"),
                SNAPSHOT_HOWTO.to_owned(),
            ),
            SnapshotFileError::Schema(_) => (
                err.to_string(),
                format!(
                    "take the snapshot again with runai-gateway {} (`kubectl runai-gateway snapshot > snapshot.yaml`)",
                    runai_gateway_core::VERSION
                ),
            ),
        };
        BindingError::Snapshot { problem, fix }
    }
}

/// What to paste into the diagnostics, as the fix of a snapshot error.
pub const SNAPSHOT_HOWTO: &str = "paste the output of `kubectl runai-gateway snapshot > snapshot.yaml` \
(or of `kubectl get gatewayclasses,gateways,httproutes,ingresses,secrets,services -A -o yaml`)";

impl fmt::Display for BindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindingError::Malformed(m) => write!(f, "not a valid runai-gateway config: {m}"),
            BindingError::Invalid(issues) => write!(f, "{issues}"),
            BindingError::UnknownFormat(name) => {
                write!(f, "unknown output form `{name}`; expected one of {}", Format::NAMES.join(", "))
            }
            BindingError::Snapshot { problem, fix } => write!(f, "{problem}. Fix: {fix}"),
        }
    }
}

impl std::error::Error for BindingError {}

impl From<Issues> for BindingError {
    fn from(issues: Issues) -> Self {
        BindingError::Invalid(issues)
    }
}

/// Every output form of `render`, computed from one plan.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// `render -o yaml`: the bundle with its provenance header.
    pub yaml: String,
    /// `render -o json`.
    pub json: String,
    /// `render -o helm`: the Helm and kubectl commands as a bash script.
    pub helm: String,
    /// `render -o plan --width W` without colour (what the CLI prints when stdout is not a
    /// terminal, or at `--width W`).
    pub summary: String,
}

/// Computes the plan and renders it in every form the CLI has, the summary at `width` columns
/// (`None`: no limit).
///
/// # Errors
/// [`BindingError::Invalid`] with every validation error of the input.
pub fn calculate_input(input: &SpecInput, width: Option<usize>) -> Result<Outputs, BindingError> {
    let plan = compute(input)?;
    Ok(Outputs {
        yaml: render_width(&plan, Format::Yaml, false, None),
        json: render_width(&plan, Format::Json, false, None),
        helm: render_width(&plan, Format::Helm, false, None),
        summary: render_width(&plan, Format::Plan, false, width),
    })
}

/// The findings of one category, in the report's order, as the table groups them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryFindings {
    /// The category (`tls`, `runai-settings`, …).
    pub category: Category,
    /// Its heading in the table (`TLS`, `Run:ai settings`, …).
    pub title: &'static str,
    /// The highest severity found in it, if any.
    pub worst: Option<Severity>,
    /// How many of its checks passed.
    pub passed: usize,
    /// Its checks that could not run, and why.
    pub skipped: Vec<Skipped>,
    /// Its findings.
    pub findings: Vec<Finding>,
}

/// `status --from-file` of a snapshot text: the report as a table and as `-o json`, plus the
/// report grouped for the page.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    /// `status --from-file FILE [--width W]` (`-o table`) without colour, byte for byte.
    pub table: String,
    /// `-o json`.
    pub json: String,
    /// The report itself, the structure of `-o json`.
    pub report: Report,
    /// Every category in report order, with its findings.
    pub categories: Vec<CategoryFindings>,
    /// Where the `doc` anchors of findings live (`docs/checks.md#ID` under this URL).
    pub docs_base: &'static str,
}

/// The repository the report's `docs/checks.md#…` anchors are relative to.
pub const DOCS_BASE: &str = runai_gateway_core::checks::catalog::DOCS_BASE;

/// What `status --from-file` does with a snapshot file: read it (a `snapshot` document or a
/// `kubectl get -o yaml` List, decoding the input's Helm releases), fill the input from what
/// the cluster says, resolve, run every check at `now` (Unix seconds) and render the report (the
/// table at `width` columns; `None`: no limit).
///
/// # Errors
/// [`BindingError::Snapshot`] when the text is not a snapshot, [`BindingError::Invalid`] when the
/// input, completed from the snapshot, is still invalid (say, no cluster domain anywhere).
pub fn diagnose_text(
    text: &str,
    input: &SpecInput,
    now: i64,
    width: Option<usize>,
) -> Result<Diagnosis, BindingError> {
    if text.trim().is_empty() {
        return Err(BindingError::Snapshot {
            problem: "there is no snapshot to diagnose".into(),
            fix: SNAPSHOT_HOWTO.into(),
        });
    }
    let names = input.release_names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let snapshot = snapshot_from_text(text, &names).map_err(|e| BindingError::snapshot(&e))?;
    let spec = discover(input, &snapshot).resolve()?;
    let report = diagnose(&spec, &snapshot, now);
    let categories = Category::ALL
        .iter()
        .map(|&category| {
            // Through the core's `meta`: naming the `CATALOG` constant here would compile a second
            // copy of the catalog's text into this crate (15 KB of the diagnostics module).
            let in_category = |id: &str| catalog::meta(id).is_some_and(|m| m.category == category);
            let findings: Vec<Finding> =
                report.findings.iter().filter(|f| f.category == category).cloned().collect();
            CategoryFindings {
                category,
                title: category.title(),
                worst: findings.iter().map(|f| f.severity).max(),
                passed: report.passed.iter().filter(|id| in_category(id)).count(),
                skipped: report.skipped.iter().filter(|s| in_category(s.id)).cloned().collect(),
                findings,
            }
        })
        .collect();
    Ok(Diagnosis {
        table: render_report_width(&report, ReportFormat::Table, false, width),
        json: render_report_width(&report, ReportFormat::Json, false, None),
        report,
        categories,
        docs_base: DOCS_BASE,
    })
}

/// Unix seconds from JavaScript's `Date.now() / 1000` (fractions dropped).
///
/// # Errors
/// [`BindingError::Malformed`] for a value that is no time (NaN, infinite, before 1970, past
/// year 33658).
pub fn unix_seconds(now: f64) -> Result<i64, BindingError> {
    if now.is_finite() && (0.0..1e12).contains(&now) {
        #[allow(clippy::cast_possible_truncation)]
        Ok(now.floor() as i64)
    } else {
        Err(BindingError::Malformed(format!(
            "`now` must be Unix seconds, such as Date.now() / 1000; got {}",
            number_text(now)
        )))
    }
}

/// A number as `{}` writes it (`NaN`, `inf`, `-1`, `10000000000000`, `0.5`), but without the
/// standard library's float formatting, which would be in the diagnostics module for this alone:
/// `serde_json`'s shortest text for fractions, with an exponent past 15 digits (`1e300`).
fn number_text(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let whole = x as i64;
        whole.to_string()
    } else {
        serde_json::Number::from_f64(x).map(|n| n.to_string()).unwrap_or_default()
    }
}

/// Renders one output form by its `-o` name (`yaml`, `json`, `helm`, `plan`), the summary at
/// `width` columns (`None`: no limit).
///
/// # Errors
/// An unknown form, or every validation error of the input.
pub fn render_input(input: &SpecInput, format: &str, width: Option<usize>) -> Result<String, BindingError> {
    let format = Format::parse(format).ok_or_else(|| BindingError::UnknownFormat(format.to_owned()))?;
    let plan = compute(input)?;
    Ok(render_width(&plan, format, false, width))
}

/// The errors and warnings of an input; both empty when it is clean.
#[must_use]
pub fn validate_input(input: &SpecInput) -> Issues {
    match compute(input) {
        Ok(plan) => Issues { errors: Vec::new(), warnings: plan.warnings },
        Err(issues) => issues,
    }
}

/// Parses a config file (YAML or JSON, which is YAML too).
///
/// # Errors
/// [`BindingError::Malformed`] with the parser's message (line, column, unknown field).
pub fn parse_config_text(text: &str) -> Result<SpecInput, BindingError> {
    SpecInput::from_yaml(text).map_err(|e| BindingError::Malformed(e.to_string()))
}

/// The input as a config file, as `--config` reads it.
///
/// # Errors
/// When the input cannot be written as YAML (never for a `SpecInput`).
pub fn config_text(input: &SpecInput) -> Result<String, BindingError> {
    runai_gateway_core::yaml::to_string(input).map_err(|e| BindingError::Malformed(e.to_string()))
}

/// The dotted path of every field of the input, in the order of the core's one table of fields
/// (`clusterDomain`, `gateway.controller`, `allowedRoutes.workloads`, …). A route namespace
/// policy is one field (the page edits it in the flag syntax).
#[must_use]
pub fn input_fields() -> Vec<String> {
    runai_gateway_core::fields::paths()
}

/// What each field falls back to when left empty, as the form shows it: the table's default
/// text, the same words `--help` shows. Fields whose default depends on other fields say so;
/// the page replaces these with the resolved values once the input is valid.
#[must_use]
pub fn field_defaults() -> Vec<(&'static str, String)> {
    runai_gateway_core::fields::form_defaults()
}

// ---------------------------------------------------------------------------------------------
// The JavaScript surface, in two modules built from this crate (see `xtask/src/web.rs`): the
// calculator (feature `calculator`), which the page loads first, and the diagnostics (feature
// `diagnostics`: `diagnose`, and `parseConfig` for the import), loaded when they are first
// needed. The calculator never parses YAML, so the YAML parser, the snapshot reader and the
// certificate and gzip decoders are only in the second module. Values cross the boundary as JSON
// text read with `JSON.parse`, the `-o json` text where the CLI prints one, so no second
// serializer is compiled in for JavaScript objects.

/// Sets up readable panics in the browser console (with the `console_error_panic_hook`
/// feature; the shipped modules leave it out, since its formatting code is large).
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "console_error_panic_hook")]
    console_error_panic_hook::set_once();
}

/// The one mapping from [`BindingError`] to a thrown JavaScript `Error`: `message` is the text the
/// CLI would print, `kind` is `malformed`, `invalid`, `format` or `snapshot`; an `invalid` error
/// carries `issues` (`{errors: [{field, value, problem, fix}], warnings}`) for field-level
/// messages, a `snapshot` error its `problem` and `fix`.
#[must_use]
pub fn into_error(err: &BindingError) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name("RunaiGatewayError");
    let obj: &JsValue = js.as_ref();
    let _ = js_sys::Reflect::set(obj, &"kind".into(), &err.kind().into());
    if let BindingError::Invalid(issues) = err
        && let Ok(value) = to_js(issues)
    {
        let _ = js_sys::Reflect::set(obj, &"issues".into(), &value);
    }
    if let BindingError::Snapshot { problem, fix } = err {
        let _ = js_sys::Reflect::set(obj, &"problem".into(), &problem.into());
        let _ = js_sys::Reflect::set(obj, &"fix".into(), &fix.into());
    }
    js.into()
}

/// A value as a JavaScript object, through its JSON text: objects for maps, `null` for `None`,
/// the shape of `render -o json`. Pretty-printed like `-o json`, so that one serializer is
/// compiled in.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, BindingError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| BindingError::Malformed(e.to_string()))?;
    parse_json(&text)
}

fn parse_json(text: &str) -> Result<JsValue, BindingError> {
    js_sys::JSON::parse(text)
        .map_err(|_| BindingError::Malformed("the engine wrote JSON it cannot read back".into()))
}

/// An object with these keys and values.
fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (k, v) in entries {
        let _ = js_sys::Reflect::set(&obj, &(*k).into(), v);
    }
    obj.into()
}

/// A JavaScript value as the text `JSON.stringify` writes.
fn json_text(input: &JsValue) -> Result<String, BindingError> {
    js_sys::JSON::stringify(input)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| BindingError::Malformed("expected an object".into()))
}

/// Reads an input object through `JSON.stringify` and `serde_json`: a misspelt key (`gatway`) is
/// refused by `deny_unknown_fields`, and `"80"` does not pass for a port.
#[cfg(feature = "calculator")]
fn from_js<T: serde::de::DeserializeOwned>(input: &JsValue) -> Result<T, BindingError> {
    serde_json::from_str(&json_text(input)?).map_err(|e| BindingError::Malformed(e.to_string()))
}

/// Reads the diagnostics' input object as a config file: its `JSON.stringify` text (JSON is
/// YAML) through the core's YAML reader, which this module has for `parseConfig` and snapshots,
/// so that the config's fields are not compiled for a second deserializer (serde_json's). A
/// misspelt key is refused as in a config file, and `"80"` does not pass for a port; unlike
/// `serde_json`, a number or boolean where text belongs is taken as its text, as a config file's
/// plain scalars are.
#[cfg(feature = "diagnostics")]
fn input_from_js(input: &JsValue) -> Result<SpecInput, BindingError> {
    parse_config_text(&json_text(input)?)
}

fn bind<T>(result: Result<T, BindingError>) -> Result<T, JsValue> {
    result.map_err(|e| into_error(&e))
}

/// The tool version, the one named in the provenance header.
#[wasm_bindgen]
#[must_use]
pub fn version() -> String {
    runai_gateway_core::VERSION.to_owned()
}

/// Computes the plan from an input object and returns
/// `{yaml, json, helm, summary, plan}`: every `render -o …` form plus the plan data (the `-o
/// json` document read back). `width` is the summary's width in columns, as `render -o plan
/// --width`; 0 for none.
///
/// # Errors
/// A `RunaiGatewayError` (see [`into_error`]).
#[cfg(feature = "calculator")]
#[wasm_bindgen]
pub fn calculate(input: JsValue, width: Option<u32>) -> Result<JsValue, JsValue> {
    bind(from_js(&input).and_then(|i| calculate_input(&i, width_of(width))).and_then(|o| {
        Ok(object(&[
            ("yaml", o.yaml.into()),
            ("helm", o.helm.into()),
            ("summary", o.summary.into()),
            ("plan", parse_json(&o.json)?),
            ("json", o.json.into()),
        ]))
    }))
}

/// A width from JavaScript: `undefined` or 0 is none.
#[cfg(feature = "calculator")]
fn width_of(width: Option<u32>) -> Option<usize> {
    width.filter(|&w| w > 0).map(|w| w as usize)
}

/// `render -o FORMAT` of an input object, byte for byte (`-o plan` at `width` columns, as
/// `--width`; 0 or none for no limit).
///
/// # Errors
/// A `RunaiGatewayError` (see [`into_error`]).
#[cfg(feature = "calculator")]
#[wasm_bindgen(js_name = renderConfig)]
pub fn render_config(input: JsValue, format: &str, width: Option<u32>) -> Result<String, JsValue> {
    bind(from_js(&input).and_then(|i| render_input(&i, format, width_of(width))))
}

/// The plan as a JavaScript object: the same structure as `render -o json`.
///
/// # Errors
/// A `RunaiGatewayError` (see [`into_error`]).
#[cfg(feature = "calculator")]
#[wasm_bindgen]
pub fn plan(input: JsValue) -> Result<JsValue, JsValue> {
    bind(from_js(&input).and_then(|i| render_input(&i, "json", None)).and_then(|p| parse_json(&p)))
}

/// Field-level validation: `{errors: [{field, value, problem, fix}], warnings: [...]}`.
///
/// # Errors
/// A `malformed` `RunaiGatewayError` when the object is not a config at all.
#[cfg(feature = "calculator")]
#[wasm_bindgen]
pub fn validate(input: JsValue) -> Result<JsValue, JsValue> {
    bind(from_js(&input).and_then(|i| to_js(&validate_input(&i))))
}

/// Parses config-file text (YAML or JSON) into an input object. In the diagnostics module,
/// which has the YAML parser.
///
/// # Errors
/// A `malformed` `RunaiGatewayError` with the parser's message.
#[cfg(feature = "diagnostics")]
#[wasm_bindgen(js_name = parseConfig)]
pub fn parse_config(text: &str) -> Result<JsValue, JsValue> {
    bind(parse_config_text(text).and_then(|i| to_js(&i)))
}

/// The input object as config-file YAML (what `--config` reads).
///
/// # Errors
/// A `malformed` `RunaiGatewayError` when the object is not a config.
#[cfg(feature = "calculator")]
#[wasm_bindgen(js_name = configYaml)]
pub fn config_yaml(input: JsValue) -> Result<String, JsValue> {
    bind(from_js(&input).and_then(|i| config_text(&i)))
}

/// Parses the flag syntax of a route namespace policy (`all`, `same`, `ns:a,b`,
/// `label:key[=value],…`) into its config-file object.
///
/// # Errors
/// A `malformed` `RunaiGatewayError` naming the accepted forms.
#[cfg(feature = "calculator")]
#[wasm_bindgen(js_name = parseRouteNamespaces)]
pub fn parse_route_namespaces(flag: &str) -> Result<JsValue, JsValue> {
    bind(RouteNamespaces::parse_flag(flag.trim()).map_err(BindingError::Malformed).and_then(|p| to_js(&p)))
}

/// The flag syntax of a route namespace policy object, the inverse of `parseRouteNamespaces`.
///
/// # Errors
/// A `malformed` `RunaiGatewayError` when the object is not a policy.
#[cfg(feature = "calculator")]
#[wasm_bindgen(js_name = routeNamespacesFlag)]
pub fn route_namespaces_flag(policy: JsValue) -> Result<String, JsValue> {
    bind(from_js::<RouteNamespaces>(&policy).map(|p| p.to_flag()))
}

/// `status --from-file` of a pasted snapshot: `{table, json, report, categories, docsBase}` (see
/// [`Diagnosis`]; `report` is the `-o json` document read back). `input` is the form's input
/// object (the CLI's flags; `null` or `undefined` for none), `now` the evaluation time in Unix
/// seconds (`Date.now() / 1000`), `width` the table's width in columns (as `status --width`; 0
/// or none for no limit).
///
/// # Errors
/// A `RunaiGatewayError`: `snapshot` (with `problem` and `fix`) for text that is not a snapshot,
/// `invalid` (with `issues`) when the input completed from the snapshot is invalid, `malformed`
/// for an input object that is not a config or a `now` that is not a time.
#[cfg(feature = "diagnostics")]
#[wasm_bindgen(js_name = diagnose)]
pub fn diagnose_js(
    snapshot_text: &str,
    input: JsValue,
    now: f64,
    width: Option<u32>,
) -> Result<JsValue, JsValue> {
    let input = if input.is_null() || input.is_undefined() {
        Ok(SpecInput::default())
    } else {
        input_from_js(&input)
    };
    let width = width.filter(|&w| w > 0).map(|w| w as usize);
    bind(
        input
            .and_then(|i| unix_seconds(now).and_then(|now| diagnose_text(snapshot_text, &i, now, width)))
            .and_then(|d| {
                Ok(object(&[
                    ("table", d.table.into()),
                    ("report", parse_json(&d.json)?),
                    ("json", d.json.into()),
                    ("categories", to_js(&d.categories)?),
                    ("docsBase", d.docs_base.into()),
                ]))
            }),
    )
}

/// The dotted path of every input field (see [`input_fields`]).
///
/// # Errors
/// Never in practice (a list of strings always converts).
#[cfg(feature = "calculator")]
#[wasm_bindgen(js_name = inputFields)]
pub fn input_fields_js() -> Result<JsValue, JsValue> {
    bind(to_js(&input_fields()))
}

/// `{field: default}` for the form's placeholders (see [`field_defaults`]).
///
/// # Errors
/// Never in practice (a map of strings always converts).
#[cfg(feature = "calculator")]
#[wasm_bindgen(js_name = fieldDefaults)]
pub fn field_defaults_js() -> Result<JsValue, JsValue> {
    let map: std::collections::BTreeMap<_, _> = field_defaults().into_iter().collect();
    bind(to_js(&map))
}

/// The controllers in documentation order, with their default GatewayClass (or `null`).
///
/// # Errors
/// Never in practice.
#[cfg(feature = "calculator")]
#[wasm_bindgen]
pub fn controllers() -> Result<JsValue, JsValue> {
    let list: Vec<(&str, Option<&str>)> =
        Controller::ALL.iter().map(|c| (c.as_str(), c.default_gateway_class())).collect();
    bind(to_js(&list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use runai_gateway_core::render;
    use runai_gateway_core::render::render_report;

    const EXAMPLE: &str = include_str!("../../examples/runai-gateway.yaml");
    const PAGE: &str = include_str!("../web/index.html");

    #[test]
    fn every_input_field_has_a_form_control() {
        let fields = input_fields();
        assert!(fields.len() > 30, "{fields:?}");
        for f in &fields {
            assert!(
                PAGE.contains(&format!("data-field=\"{f}\"")),
                "web/index.html has no control with data-field=\"{f}\""
            );
        }
    }

    #[test]
    fn input_fields_are_leaves_and_route_policies() {
        let fields = input_fields();
        assert!(fields.contains(&"clusterDomain".to_owned()));
        assert!(fields.contains(&"allowedRoutes.workloads".to_owned()));
        assert!(fields.contains(&"runai.cluster.chartVersion".to_owned()));
        assert!(!fields.iter().any(|f| f.starts_with("allowedRoutes.workloads.")));
    }

    #[test]
    fn every_default_names_a_field() {
        let fields = input_fields();
        for (f, d) in field_defaults() {
            assert!(fields.iter().any(|x| x == f), "default for unknown field {f}");
            assert!(!d.is_empty());
        }
    }

    #[test]
    fn calculate_renders_every_form_like_render() {
        let input = parse_config_text(EXAMPLE).expect("example parses");
        let out = calculate_input(&input, None).expect("example is valid");
        let plan = compute(&input).expect("valid");
        assert_eq!(out.yaml, render(&plan, Format::Yaml, false));
        assert_eq!(out.helm, render(&plan, Format::Helm, false));
        assert_eq!(out.json, render(&plan, Format::Json, false));
        assert_eq!(out.summary, render(&plan, Format::Plan, false));
        assert!(out.yaml.starts_with("# Generated by runai-gateway "));
        assert!(!out.summary.contains('\u{1b}'), "no ANSI colour");
        // At a width, the summary is `render -o plan --width`.
        let narrow = calculate_input(&input, Some(72)).expect("valid");
        assert_eq!(narrow.summary, render_width(&plan, Format::Plan, false, Some(72)));
        assert_ne!(narrow.summary, out.summary);
        assert_eq!(narrow.yaml, out.yaml);
    }

    #[test]
    fn render_input_rejects_unknown_forms() {
        let input = parse_config_text("clusterDomain: runai.example.com").expect("parses");
        let err = render_input(&input, "table", None).expect_err("no such form");
        assert_eq!(err.kind(), "format");
        assert!(err.to_string().contains("yaml, json, helm, plan"), "{err}");
        assert!(render_input(&input, "helm", None).is_ok());
    }

    #[test]
    fn validation_errors_name_fields() {
        let input =
            parse_config_text("clusterDomain: \"*.runai.example.com\"\ngateway:\n  namespace: Bad_NS\n")
                .expect("parses");
        let issues = validate_input(&input);
        let fields: Vec<_> = issues.errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"clusterDomain"), "{fields:?}");
        assert!(fields.contains(&"gateway.namespace"), "{fields:?}");
        let err = calculate_input(&input, None).expect_err("invalid");
        assert_eq!(err.kind(), "invalid");
    }

    #[test]
    fn malformed_config_is_its_own_kind() {
        let err = parse_config_text("clusterDomain: a.b.c\nbogus: 1\n").expect_err("unknown field");
        assert_eq!(err.kind(), "malformed");
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    const SNAPSHOT: &str = include_str!("../../examples/snapshot.yaml");

    #[test]
    fn diagnose_text_is_status_from_file() {
        let input = SpecInput::default();
        let d = diagnose_text(SNAPSHOT, &input, 1_790_000_000, None).expect("the example diagnoses");
        let snapshot = snapshot_from_text(SNAPSHOT, &["runai-cluster", "runai-backend"]).expect("reads");
        let spec = discover(&input, &snapshot).resolve().expect("resolves");
        let report = diagnose(&spec, &snapshot, 1_790_000_000);
        assert_eq!(d.table, render_report(&report, ReportFormat::Table, false));
        assert_eq!(d.json, render_report(&report, ReportFormat::Json, false));
        assert_eq!(d.report, report);
        assert_eq!(d.categories.len(), Category::ALL.len());
        let grouped: usize = d.categories.iter().map(|c| c.findings.len()).sum();
        assert_eq!(grouped, report.findings.len());
        let passed: usize = d.categories.iter().map(|c| c.passed).sum();
        assert_eq!(passed, report.passed.len());
        assert!(d.table.contains("Phase: "), "{}", d.table);
        assert!(!d.table.contains('\u{1b}'), "no ANSI colour");
        let narrow = diagnose_text(SNAPSHOT, &input, 1_790_000_000, Some(60)).expect("diagnoses");
        assert_eq!(narrow.table, render_report_width(&report, ReportFormat::Table, false, Some(60)));
        assert_eq!(narrow.json, d.json);
    }

    #[test]
    fn the_input_names_the_releases_and_wins_over_discovery() {
        let input = parse_config_text("clusterDomain: runai.other.example\n").expect("parses");
        let d = diagnose_text(SNAPSHOT, &input, 1_790_000_000, None).expect("diagnoses");
        assert_eq!(d.report.spec.cluster_domain, "runai.other.example");
    }

    #[test]
    fn text_that_is_no_snapshot_says_what_to_paste() {
        let input = SpecInput::default();
        for (text, says) in [
            ("", "there is no snapshot"),
            ("hello: world\n", "holds neither a runai-gateway snapshot"),
            ("a: [unclosed", "not YAML or JSON"),
            ("schema: runai-gateway.snapshot/v9\n", "runai-gateway.snapshot/v9"),
        ] {
            let err = diagnose_text(text, &input, 0, None).expect_err(text);
            assert_eq!(err.kind(), "snapshot", "{text}");
            let message = err.to_string();
            assert!(message.contains(says) && message.contains("Fix: "), "{text}: {message}");
            assert!(message.contains("kubectl runai-gateway snapshot"), "{text}: {message}");
        }
    }

    #[test]
    fn now_must_be_a_time() {
        assert_eq!(unix_seconds(1_790_000_000.75).expect("a time"), 1_790_000_000);
        for bad in [f64::NAN, f64::INFINITY, -1.0, 1e13, -0.5] {
            let err = unix_seconds(bad).expect_err("not a time");
            assert_eq!(err.kind(), "malformed");
            // The value as `{bad}` writes it.
            assert!(err.to_string().ends_with(&format!("got {bad}")), "{err}");
        }
    }

    /// An input with every field set, written without `..Default::default()` so that a field added
    /// to the core breaks this build until the page (and [`input_fields`]) know about it.
    fn every_field() -> SpecInput {
        use runai_gateway_core::spec::{
            AllowedRoutesInput, ControlPlaneLocation, GatewayInput, InferenceInput, KnativeInput, Platform,
            ReleaseInput, RoutingMode, RunaiInput, TlsInput,
        };
        let release = |name: &str| ReleaseInput {
            release: Some(name.into()),
            namespace: Some(name.into()),
            chart: Some(format!("repo/{name}")),
            chart_version: Some("1.0.0".into()),
        };
        SpecInput {
            api_version: Some(runai_gateway_core::spec::CONFIG_API_VERSION.into()),
            kind: Some(runai_gateway_core::spec::CONFIG_KIND.into()),
            cluster_domain: Some("runai.example.com".into()),
            routing_mode: Some(RoutingMode::Host),
            platform: Some(Platform::Kubernetes),
            dns: Some(runai_gateway_core::spec::DnsMode::ExternalDns),
            inference: Some(InferenceInput {
                enabled: Some(true),
                domain: Some("inference.example.com".into()),
            }),
            gateway: Some(GatewayInput {
                name: Some("gw".into()),
                namespace: Some("gw".into()),
                class_name: Some("gw".into()),
                controller: Some(Controller::Kgateway),
                http_redirect: Some(true),
                websockets: Some(true),
            }),
            tls: Some(TlsInput {
                cluster_domain_secret: Some("a".into()),
                workloads_secret: Some("b".into()),
                inference_secret: Some("c".into()),
                issuer: Some("clusterissuer/ca".into()),
            }),
            allowed_routes: Some(AllowedRoutesInput {
                control_plane: Some(RouteNamespaces::All),
                workloads: Some(RouteNamespaces::All),
                inference: Some(RouteNamespaces::All),
            }),
            knative: Some(KnativeInput {
                namespace: Some("kn".into()),
                kourier_service: Some("kourier".into()),
                kourier_port: Some(80),
            }),
            runai: Some(RunaiInput {
                control_plane: Some(ControlPlaneLocation::Remote),
                control_plane_context: Some("ctx".into()),
                backend: Some(release("backend")),
                cluster: Some(release("cluster")),
            }),
        }
    }

    /// The diagnostics module reads the input object's `JSON.stringify` text (compact JSON) with
    /// the YAML reader; the calculator with `serde_json`. Both must read it to the same input.
    #[test]
    fn the_input_object_reads_alike_through_either_reader() {
        let input = every_field();
        let text = serde_json::to_string(&input).expect("writes");
        assert!(text.starts_with("{\"apiVersion\":"), "compact, as JSON.stringify writes: {text}");
        let by_yaml = parse_config_text(&text).expect("the YAML reader reads compact JSON");
        let by_json: SpecInput = serde_json::from_str(&text).expect("serde_json reads it");
        assert_eq!(by_yaml, input);
        assert_eq!(by_json, input);
        // Escapes as JSON.stringify writes them.
        let escaped = r#"{"clusterDomain":"a\"b\\c\u0001\n\t/","gateway":{"name":"\u00e9"}}"#;
        let by_yaml = parse_config_text(escaped).expect("reads");
        let by_json: SpecInput = serde_json::from_str(escaped).expect("reads");
        assert_eq!(by_yaml, by_json);
        // What neither takes: a misspelt key, and a port as text.
        for bad in [r#"{"clusterDomian":"x"}"#, r#"{"knative":{"kourierPort":"80"}}"#] {
            assert_eq!(parse_config_text(bad).expect_err(bad).kind(), "malformed");
            assert!(serde_json::from_str::<SpecInput>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_text_round_trips() {
        let input = every_field();
        let text = config_text(&input).expect("writes");
        assert_eq!(parse_config_text(&text).expect("reads"), input);
    }
}
