//! The command lines a report suggests: the user's whole input, as flags.

use super::{FIELDS, Field, input_of};
use crate::helm::shell_quote;
use crate::spec::{Spec, SpecInput};

/// Where the config layer of an invocation came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// `--config FILE`, the path as the user gave it.
    File(String),
    /// `--example`.
    Example,
}

/// The config layer of an invocation: which it was, and what it says. Suggested commands repeat
/// the `--config FILE` and add flags only for what the file does not already say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLayer {
    /// `--config FILE` or `--example`.
    pub source: ConfigSource,
    /// The file's input.
    pub input: SpecInput,
}

/// What a suggested command repeats beyond the input fields: how the user gave the input, and
/// which cluster the report is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    /// The config layer, when there was one.
    pub config: Option<ConfigLayer>,
    /// `--kubeconfig FILE`.
    pub kubeconfig: Option<String>,
    /// `--context NAME`.
    pub context: Option<String>,
}

/// The commands that read the cluster take the kube flags; `render` does not.
const KUBE_VERBS: [&str; 4] = ["status", "snapshot", "apply", "rollback"];

/// The parts of a suggested command that repeat the user's invocation, computed once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// `--config FILE` (or `--example`) and the input flags, shell-quoted.
    input: Vec<String>,
    /// `--kubeconfig FILE --context NAME`, shell-quoted.
    kube: Vec<String>,
}

impl CommandLine {
    /// The command line that reproduces `spec` under `invocation`: its config layer, then a flag
    /// for every field whose value neither the layer nor the defaults already give, then the
    /// kube flags.
    #[must_use]
    pub fn new(invocation: &Invocation, spec: &Spec) -> Self {
        let mut input = Vec::new();
        let base = match &invocation.config {
            Some(layer) => {
                match &layer.source {
                    ConfigSource::File(path) => input.extend(["--config".to_owned(), path.clone()]),
                    ConfigSource::Example => input.push("--example".to_owned()),
                }
                layer.input.clone()
            }
            None => SpecInput::default(),
        };
        input.extend(flags_reaching(&input_of(spec), &base, Some(spec)));
        let mut kube = Vec::new();
        if let Some(path) = &invocation.kubeconfig {
            kube.extend(["--kubeconfig".to_owned(), path.clone()]);
        }
        if let Some(context) = &invocation.context {
            kube.extend(["--context".to_owned(), context.clone()]);
        }
        let quote = |words: Vec<String>| words.iter().map(|w| shell_quote(w)).collect();
        CommandLine { input: quote(input), kube: quote(kube) }
    }

    /// The shell-quoted words of the config layer and the input flags.
    #[must_use]
    pub fn input(&self) -> &[String] {
        &self.input
    }

    /// `kubectl runai-gateway VERB` with the input, the kube flags when `verb` takes them, and
    /// `tail` (already shell syntax: `--phase prepare`, `-o helm > migrate.sh`).
    #[must_use]
    pub fn command(&self, verb: &str, tail: &str) -> String {
        let mut words = vec!["kubectl", "runai-gateway", verb];
        words.extend(self.input.iter().map(String::as_str));
        if KUBE_VERBS.contains(&verb) {
            words.extend(self.kube.iter().map(String::as_str));
        }
        if !tail.is_empty() {
            words.push(tail);
        }
        words.join(" ")
    }
}

/// The flags that, given after a config layer saying `base` (or after none: an empty input),
/// reproduce `input`: every field whose value neither `base` nor resolution already gives, in
/// table order, unquoted (one word per element). A value no flag can say (`apiVersion`, a
/// switch saying yes over a file saying no) is left to the file, and of two fields whose flags
/// conflict the one declaring the conflict is kept (`--no-inference`, not the inference domain
/// it ignores). An input that does not resolve
/// gets a flag for every field it sets, so that the command reports the same problems.
///
/// ```
/// use runai_gateway_core::fields::input_flags;
/// use runai_gateway_core::spec::{GatewayInput, SpecInput};
///
/// let input = SpecInput {
///     cluster_domain: Some("runai.example.com".into()),
///     gateway: Some(GatewayInput {
///         name: Some("runai-gateway".into()), // the default: no flag needed
///         class_name: Some("custom".into()),
///         ..GatewayInput::default()
///     }),
///     ..SpecInput::default()
/// };
/// assert_eq!(
///     input_flags(&input, &SpecInput::default()),
///     ["--cluster-domain", "runai.example.com", "--gateway-class", "custom"]
/// );
/// ```
#[must_use]
pub fn input_flags(input: &SpecInput, base: &SpecInput) -> Vec<String> {
    let mut merged = base.clone();
    merged.merge(input);
    let target = merged.resolve().ok();
    flags_reaching(input, base, target.as_ref())
}

/// The flags for the fields of `input` that differ from `base`, less every one whose absence
/// still resolves to `target` (or to what the flags resolved to before it was dropped).
fn flags_reaching(input: &SpecInput, base: &SpecInput, target: Option<&Spec>) -> Vec<String> {
    let mut kept: Vec<&'static Field> = FIELDS
        .iter()
        .filter(|f| {
            f.get(input).is_some_and(|v| Some(&v) != f.get(base).as_ref() && f.flag_words(&v).is_some())
        })
        .collect();
    // Flags that cannot go together: the one declaring the conflict wins (`--no-inference` over
    // an `--inference-domain` that switched-off inference ignores anyway).
    let conflicting: Vec<&str> =
        kept.iter().filter_map(|f| f.flag.and_then(|fl| fl.conflicts_with)).collect();
    kept.retain(|f| !conflicting.contains(&f.path));
    let build = |fields: &[&Field]| {
        let mut i = base.clone();
        for f in fields {
            f.copy(input, &mut i);
        }
        i.resolve().ok()
    };
    if let Some(target) = target {
        let mut current = build(&kept);
        let mut k = 0;
        while k < kept.len() {
            let mut trial = kept.clone();
            trial.remove(k);
            match build(&trial) {
                Some(got) if &got == target || Some(&got) == current.as_ref() => {
                    kept = trial;
                    current = Some(got);
                }
                _ => k += 1,
            }
        }
    }
    kept.iter().filter_map(|f| f.get(input).and_then(|v| f.flag_words(&v))).flatten().collect()
}
