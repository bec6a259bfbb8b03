//! The kubectl flags that pick a cluster, spelled as kubectl spells them.
//!
//! Every command that reads the cluster flattens [`KubeArgs`] (`#[command(flatten)]`), so
//! `kubectl runai-gateway status --context prod -n runai` reads like any kubectl command. kubectl
//! itself passes none of its own flags to a plugin: `kubectl --context prod runai-gateway status`
//! fails with "unknown command", so the flags must come after the plugin name.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// `--kubeconfig`, `--context`, `--cluster`, `--user`, `-n/--namespace`, `--request-timeout`.
///
/// Unset fields mean what they mean to kubectl: `KUBECONFIG` or `~/.kube/config`, its current
/// context, and that context's namespace.
#[derive(Debug, Clone, Default, Args)]
pub struct KubeArgs {
    /// Path to the kubeconfig file [default: $KUBECONFIG, then ~/.kube/config]
    #[arg(long, value_name = "FILE", global = true, help_heading = "Kubernetes")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use [default: the current context]; `status` takes it more than
    /// once, one cluster each
    #[arg(long, value_name = "NAME", global = true, help_heading = "Kubernetes", action = clap::ArgAction::Append)]
    pub context: Vec<String>,

    /// The kubeconfig cluster to use [default: the context's]
    #[arg(long, value_name = "NAME", global = true, help_heading = "Kubernetes")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use [default: the context's]
    #[arg(long, value_name = "NAME", global = true, help_heading = "Kubernetes")]
    pub user: Option<String>,

    /// Namespace scope of the request [default: the context's namespace]
    #[arg(short = 'n', long, value_name = "NAMESPACE", global = true, help_heading = "Kubernetes")]
    pub namespace: Option<String>,

    /// How long one server request may stay silent (connect, read, write; 1s, 2m; a bare number is seconds); 0 leaves the client's own limits (30s to connect, 295s per read). The command's --timeout bounds the whole run either way [default: 30s]
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_request_timeout,
        global = true,
        help_heading = "Kubernetes"
    )]
    pub request_timeout: Option<RequestTimeout>,
}

impl KubeArgs {
    /// `--request-timeout`, or [`DEFAULT_REQUEST_TIMEOUT`] when not given. (The flag itself stays
    /// unset when not given, so that a run reading no cluster can tell it was not given.)
    #[must_use]
    pub fn request_timeout(&self) -> RequestTimeout {
        self.request_timeout
            .or_else(|| parse_request_timeout(DEFAULT_REQUEST_TIMEOUT).ok())
            .unwrap_or_default()
    }
}

/// `--request-timeout` when not given: unlike kubectl (none), a request that stays silent this
/// long fails, so a stalled connection never holds a run.
pub const DEFAULT_REQUEST_TIMEOUT: &str = "30s";

/// `--request-timeout`: `None` is `0`, the client's own limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestTimeout(pub Option<Duration>);

/// Parses `--request-timeout` the way kubectl does: a bare integer is seconds, anything else is a
/// Go duration (`1h30m`, `1.5s`, `250ms`), and zero disables the timeout.
///
/// # Errors
/// A message for clap when the value is neither.
pub fn parse_request_timeout(s: &str) -> Result<RequestTimeout, String> {
    let d = match s.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => parse_go_duration(s).ok_or_else(|| {
            format!("invalid duration `{s}`: use a number of seconds or a value with a unit (1s, 2m, 3h)")
        })?,
    };
    Ok(RequestTimeout((!d.is_zero()).then_some(d)))
}

/// Go's `time.ParseDuration` for non-negative values: one or more `<decimal><unit>` pairs.
fn parse_go_duration(s: &str) -> Option<Duration> {
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let nanos_per_unit = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * nanos_per_unit;
        rest = tail;
    }
    // Go caps durations at about 292 years; so do we, to keep the conversion exact enough.
    (total.is_finite() && total < 9.2e18).then(|| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "finite, non-negative and below u64::MAX, checked above"
        )]
        let nanos = total.round() as u64;
        Duration::from_nanos(nanos)
    })
}

/// The kube client configuration, as kubectl would pick it, and the context it names.
pub async fn client_config(
    kube: &KubeArgs,
    context: Option<&str>,
) -> Result<(Config, Option<String>), String> {
    let options = KubeConfigOptions {
        context: context.or(kube.context()).map(str::to_owned),
        cluster: kube.cluster.clone(),
        user: kube.user.clone(),
    };
    let loaded = match &kube.kubeconfig {
        Some(path) => crate::read::bounded::check(path, crate::read::bounded::CONFIG_CAP)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|()| Kubeconfig::read_from(path).map_err(|e| error_chain(&e))),
        None => Kubeconfig::read().map_err(|e| error_chain(&e)),
    };
    let mut config = match loaded {
        Ok(kubeconfig) => {
            let context = options.context.clone().or_else(|| kubeconfig.current_context.clone());
            let config = Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| format!("kubeconfig: {}", error_chain(&e)))?;
            (config, context)
        }
        // Like kubectl: with no kubeconfig at all, a pod uses its service account.
        Err(e) if kube.kubeconfig.is_none() && std::env::var_os("KUBECONFIG").is_none() => {
            let config = Config::incluster()
                .map_err(|_| format!("no kubeconfig found ({e}) and not running in a cluster"))?;
            (config, None)
        }
        Err(e) => return Err(format!("kubeconfig: {e}")),
    };
    if let Some(t) = kube.request_timeout().0 {
        config.0.read_timeout = Some(t);
        config.0.write_timeout = Some(t);
        config.0.connect_timeout = Some(t);
    }
    Ok(config)
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// A kubectl connection flag given where no cluster is read, or a `-n` that contradicts the input:
/// exit 2, nothing printed on stdout.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The kubectl connection flags, accepted by the commands that read no cluster (`render`) only to
/// refuse them with a sentence that says so, instead of clap's "did you mean `--controller`".
#[derive(Debug, Clone, Default, Args)]
pub struct NoClusterArgs {
    #[arg(long, value_name = "FILE", hide = true)]
    kubeconfig: Option<String>,
    #[arg(long, value_name = "NAME", hide = true)]
    context: Option<String>,
    #[arg(long, value_name = "NAME", hide = true)]
    cluster: Option<String>,
    #[arg(long, value_name = "NAME", hide = true)]
    user: Option<String>,
    #[arg(short = 'n', long, value_name = "NAMESPACE", hide = true)]
    namespace: Option<String>,
    #[arg(long, value_name = "DURATION", hide = true)]
    request_timeout: Option<String>,
}

impl NoClusterArgs {
    /// Refuses the flags given, naming them: `what` reads no cluster.
    ///
    /// # Errors
    /// [`UsageError`] when any was given.
    pub fn refuse(&self, what: &str, instead: &str) -> Result<(), UsageError> {
        let given = [
            ("--kubeconfig", self.kubeconfig.is_some()),
            ("--context", self.context.is_some()),
            ("--cluster", self.cluster.is_some()),
            ("--user", self.user.is_some()),
            ("-n/--namespace", self.namespace.is_some()),
            ("--request-timeout", self.request_timeout.is_some()),
        ];
        refuse_given(&given, what, instead)
    }
}

impl KubeArgs {
    /// The one `--context` given (the first; only `status` takes several).
    #[must_use]
    pub fn context(&self) -> Option<&str> {
        self.context.first().map(String::as_str)
    }

    /// These flags for one context of several.
    #[must_use]
    pub fn for_context(&self, context: &str) -> KubeArgs {
        KubeArgs { context: vec![context.to_owned()], ..self.clone() }
    }

    /// Refuses a repeated `--context` where one cluster is read.
    ///
    /// # Errors
    /// [`UsageError`] naming the contexts.
    pub fn one_context(&self, verb: &str) -> Result<(), UsageError> {
        if self.context.len() > 1 {
            return Err(UsageError(format!(
                "`{verb}` works on one cluster, and --context was given {} times ({}); give one, or run `status` to read them all",
                self.context.len(),
                self.context.join(", ")
            )));
        }
        Ok(())
    }

    /// Refuses the connection flags given to a run that reads no cluster (`status --from-file`).
    ///
    /// # Errors
    /// [`UsageError`] when any was given.
    pub fn refuse(&self, what: &str, instead: &str) -> Result<(), UsageError> {
        let given = [
            ("--kubeconfig", self.kubeconfig.is_some()),
            ("--context", !self.context.is_empty()),
            ("--cluster", self.cluster.is_some()),
            ("--user", self.user.is_some()),
            ("-n/--namespace", self.namespace.is_some()),
            ("--request-timeout", self.request_timeout.is_some()),
        ];
        refuse_given(&given, what, instead)
    }

    /// `-n NAMESPACE`: the namespace of the objects this tool owns, the Gateway and its state record
    /// (the `--gateway-namespace` input field). Folded into the input's flags; a different
    /// `--gateway-namespace` beside it is refused.
    ///
    /// # Errors
    /// [`UsageError`] when `-n` and `--gateway-namespace` disagree.
    pub fn fold_namespace(&self, input: &mut crate::input::InputArgs) -> Result<(), UsageError> {
        use runai_gateway_core::fields::{Value, field};
        let Some(ns) = &self.namespace else { return Ok(()) };
        let Some(f) = field("gateway.namespace") else { return Ok(()) };
        match f.get(&input.flags) {
            Some(Value::Text(given)) if &given != ns => Err(UsageError(format!(
                "`-n {ns}` and `--gateway-namespace {given}` disagree: -n is the Gateway's namespace, where this tool's objects live; give one of them"
            ))),
            _ => f
                .set(&mut input.flags, Some(Value::Text(ns.clone())))
                .map_err(|e| UsageError(format!("-n {ns}: {e}"))),
        }
    }
}

fn refuse_given(given: &[(&str, bool)], what: &str, instead: &str) -> Result<(), UsageError> {
    let named: Vec<&str> = given.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect();
    if named.is_empty() {
        return Ok(());
    }
    let flags = named.join(", ");
    let (verb, pronoun) = if named.len() == 1 { ("picks", "it") } else { ("pick", "them") };
    Err(UsageError(format!(
        "{what} reads no cluster, so {flags} (which {verb} a cluster, as in kubectl) cannot apply: remove {pronoun}. {instead}"
    )))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        kube: KubeArgs,
    }

    fn parse(args: &[&str]) -> KubeArgs {
        let argv = std::iter::once("probe").chain(args.iter().copied());
        match Probe::try_parse_from(argv) {
            Ok(p) => p.kube,
            Err(e) => panic!("{args:?} did not parse: {e}"),
        }
    }

    #[test]
    fn kubectl_spellings_parse() {
        let k = parse(&[
            "--kubeconfig",
            "/tmp/kc",
            "--context=prod",
            "--cluster",
            "c1",
            "--user",
            "admin",
            "-n",
            "runai",
            "--request-timeout",
            "30s",
        ]);
        assert_eq!(k.kubeconfig, Some(PathBuf::from("/tmp/kc")));
        assert_eq!(k.context(), Some("prod"));
        assert_eq!(parse(&["--context", "a", "--context=b"]).context, ["a", "b"]);
        assert_eq!(k.cluster.as_deref(), Some("c1"));
        assert_eq!(k.user.as_deref(), Some("admin"));
        assert_eq!(k.namespace.as_deref(), Some("runai"));
        assert_eq!(k.request_timeout(), RequestTimeout(Some(Duration::from_secs(30))));
        assert_eq!(parse(&["--namespace", "x"]).namespace.as_deref(), Some("x"));
    }

    #[test]
    fn nothing_given_means_kubectl_defaults() {
        let k = parse(&[]);
        assert!(k.kubeconfig.is_none() && k.context.is_empty() && k.namespace.is_none());
        assert!(k.cluster.is_none() && k.user.is_none());
        // Unlike kubectl, a request never waits unbounded by default.
        assert_eq!(k.request_timeout(), RequestTimeout(Some(Duration::from_secs(30))));
    }

    #[test]
    fn request_timeout_follows_kubectl() {
        let ok = |s: &str| parse_request_timeout(s).map(|t| t.0);
        assert_eq!(ok("0"), Ok(None));
        assert_eq!(ok("0s"), Ok(None));
        assert_eq!(ok("15"), Ok(Some(Duration::from_secs(15))));
        assert_eq!(ok("2m"), Ok(Some(Duration::from_secs(120))));
        assert_eq!(ok("1h30m"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(ok("1.5s"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(ok("250ms"), Ok(Some(Duration::from_millis(250))));
        for bad in ["", "s", "1x", "-1s", "1..5s", "abc", "1 s"] {
            assert!(ok(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
