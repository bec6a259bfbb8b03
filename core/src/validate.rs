//! Input validation: every error names the field, the value, the rule it breaks and the fix.

use std::fmt;

use serde::Serialize;

use crate::spec::RouteNamespaces;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationError {
    /// Path of the field in the config file (`gateway.namespace`).
    pub field: String,
    /// The offending value as given.
    pub value: String,
    /// The rule it breaks.
    pub problem: String,
    /// What to do instead.
    pub fix: String,
}

impl ValidationError {
    /// Builds an error.
    pub fn new(
        field: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self { field: field.into(), value: value.into(), problem: problem.into(), fix: fix.into() }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "`{}`: {}", self.field, self.problem)?;
        } else {
            write!(f, "`{}` = `{}`: {}", self.field, self.value, self.problem)?;
        }
        write!(f, "\n  fix: {}", self.fix)
    }
}

/// Errors and warnings collected over a whole input, so that a user sees every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Issues {
    /// Problems that stop the computation.
    pub errors: Vec<ValidationError>,
    /// Problems worth knowing that do not stop it.
    pub warnings: Vec<String>,
}

impl Issues {
    /// Records an error.
    pub fn error(&mut self, e: ValidationError) {
        self.errors.push(e);
    }

    /// Records a warning.
    pub fn warn(&mut self, w: impl Into<String>) {
        self.warnings.push(w.into());
    }

    /// `Err(self)` when there are errors, otherwise the value and the warnings.
    ///
    /// # Errors
    /// `self`, when at least one error was recorded.
    pub fn finish<T>(self, value: T) -> Result<(T, Vec<String>), Issues> {
        if self.errors.is_empty() { Ok((value, self.warnings)) } else { Err(self) }
    }
}

impl fmt::Display for Issues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "the input has {n} problem{}", if n == 1 { "" } else { "s" })?;
        for e in &self.errors {
            write!(f, "\n- {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Issues {}

/// Why a string is not a valid DNS name, or `None` when it is.
///
/// Rules (RFC 1123 as Kubernetes and the Gateway API apply them): lowercase letters, digits and
/// `-`; labels of 1–63 characters that start and end with a letter or digit; at most 253
/// characters; no trailing dot; not an IP address; no wildcard.
#[must_use]
pub fn fqdn_problem(name: &str) -> Option<(String, String)> {
    let lower = name.to_ascii_lowercase();
    if name.is_empty() {
        return Some(("must not be empty".into(), "give a domain such as `runai.example.com`".into()));
    }
    if name.parse::<std::net::IpAddr>().is_ok() {
        return Some((
            "an IP address is not a valid Gateway API hostname".into(),
            "give the DNS name that resolves to this address; the tool prints the DNS records to \
             create"
                .into(),
        ));
    }
    if let Some(rest) = name.strip_prefix("*.") {
        return Some((
            "a wildcard is not allowed here: the tool adds `*.` where a listener needs it".into(),
            format!("give `{rest}`"),
        ));
    }
    if name.contains('*') {
        return Some((
            "`*` may not appear in a domain".into(),
            "give the plain domain, without wildcards".into(),
        ));
    }
    if let Some(stripped) = name.strip_suffix('.') {
        return Some((
            "a trailing dot is not allowed in Kubernetes hostnames".into(),
            format!("give `{stripped}`"),
        ));
    }
    if name.contains("://") || name.contains('/') || name.contains(':') {
        let host = name.split("://").last().unwrap_or(name);
        let host = host.split(['/', ':']).next().unwrap_or(host);
        return Some((
            "a domain is a host name, not a URL".into(),
            format!("give `{}`", host.to_ascii_lowercase()),
        ));
    }
    if lower != name {
        return Some(("DNS names are lowercase in Kubernetes (RFC 1123)".into(), format!("give `{lower}`")));
    }
    if name.len() > 253 {
        return Some((
            format!("is {} characters long; at most 253 are allowed", name.len()),
            "use a shorter domain".into(),
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Some((
            "a fully qualified domain name has at least two labels".into(),
            format!("give the full name, such as `{name}.example.com`"),
        ));
    }
    for label in &labels {
        if label.is_empty() {
            return Some((
                "has an empty label (two dots in a row, or a leading dot)".into(),
                "remove the extra dot".into(),
            ));
        }
        if label.len() > 63 {
            return Some((
                format!("label `{label}` is {} characters long; at most 63 are allowed", label.len()),
                "shorten that label".into(),
            ));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Some((
                format!("label `{label}` contains `{c}`; only a-z, 0-9 and `-` are allowed"),
                "remove or replace that character".into(),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some((
                format!("label `{label}` starts or ends with `-`"),
                "labels start and end with a letter or digit".into(),
            ));
        }
    }
    if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
        return Some((
            "the last label is all digits, which reads as an IP address".into(),
            "give a DNS name".into(),
        ));
    }
    None
}

/// Validates a plain FQDN (no wildcard).
pub fn fqdn(issues: &mut Issues, field: &str, value: &str) {
    if let Some((problem, fix)) = fqdn_problem(value) {
        issues.error(ValidationError::new(field, value, problem, fix));
    }
}

/// Why `name` is not a DNS-1123 label (`max` characters), or `None`.
fn label_problem(name: &str, max: usize, first_alpha: bool) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".into());
    }
    if name.len() > max {
        return Some(format!("is {} characters long; at most {max} are allowed", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Some(format!("contains `{c}`; only lowercase a-z, 0-9 and `-` are allowed"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must start and end with a letter or digit".into());
    }
    if first_alpha && !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a letter".into());
    }
    None
}

/// Validates a namespace name (DNS-1123 label, at most 63 characters).
pub fn namespace(issues: &mut Issues, field: &str, value: &str) {
    if let Some(p) = label_problem(value, 63, false) {
        issues.error(ValidationError::new(
            field,
            value,
            format!("not a valid namespace name (RFC 1123 label): {p}"),
            "use lowercase letters, digits and `-`, at most 63 characters",
        ));
    }
}

/// Validates a Service name (DNS-1035 label: starts with a letter).
pub fn service_name(issues: &mut Issues, field: &str, value: &str) {
    if let Some(p) = label_problem(value, 63, true) {
        issues.error(ValidationError::new(
            field,
            value,
            format!("not a valid Service name (RFC 1035 label): {p}"),
            "use lowercase letters, digits and `-`, starting with a letter",
        ));
    }
}

/// Validates an object name (DNS-1123 subdomain, at most 253 characters).
pub fn object_name(issues: &mut Issues, field: &str, value: &str) {
    let problem = if value.is_empty() {
        Some("must not be empty".to_owned())
    } else if value.len() > 253 {
        Some(format!("is {} characters long; at most 253 are allowed", value.len()))
    } else {
        value.split('.').find_map(|l| label_problem(l, 63, false))
    };
    if let Some(p) = problem {
        issues.error(ValidationError::new(
            field,
            value,
            format!("not a valid Kubernetes object name (RFC 1123 subdomain): {p}"),
            "use lowercase letters, digits, `-` and `.`",
        ));
    }
}

/// Validates a Helm release name (Helm: at most 53 characters, DNS-1123 label rules).
pub fn helm_release(issues: &mut Issues, field: &str, value: &str) {
    if let Some(p) = label_problem(value, 53, false) {
        issues.error(ValidationError::new(
            field,
            value,
            format!("not a valid Helm release name: {p}"),
            "see `helm list -A` for the release's exact name",
        ));
    }
}

/// Validates a chart reference (`repo/chart`, `oci://…`, or a path).
pub fn chart_ref(issues: &mut Issues, field: &str, value: &str) {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || "'\"`$;&|<>".contains(c)) {
        issues.error(ValidationError::new(
            field,
            value,
            "not a chart reference",
            "give `REPO/CHART` (as in `helm repo list`) or an `oci://` reference",
        ));
    }
}

/// Validates a chart version (SemVer as Helm writes it, optionally with a leading `v`).
pub fn chart_version(issues: &mut Issues, field: &str, value: &str) {
    let v = value.strip_prefix('v').unwrap_or(value);
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let ok = !core.is_empty()
        && core.split('.').count() <= 3
        && core.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && value.chars().all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c));
    if !ok {
        issues.error(ValidationError::new(
            field,
            value,
            "not a chart version",
            "give the deployed version as `helm list -n NAMESPACE` shows it, e.g. `2.25.0`",
        ));
    }
}

/// Validates the names and labels inside a route namespace policy.
pub fn route_namespaces(issues: &mut Issues, field: &str, policy: &RouteNamespaces) {
    match policy {
        RouteNamespaces::Same | RouteNamespaces::All => {}
        RouteNamespaces::Namespaces { names } => {
            if names.is_empty() {
                issues.error(ValidationError::new(
                    field,
                    "ns:",
                    "names no namespace",
                    "list at least one namespace, or use `all`",
                ));
            }
            for n in names {
                namespace(issues, field, n);
            }
        }
        RouteNamespaces::Labels { labels } => {
            for (k, v) in labels {
                if let Some(p) = label_key_problem(k) {
                    issues.error(ValidationError::new(
                        field,
                        k,
                        p,
                        "use a valid label key, e.g. `runai/queue`",
                    ));
                }
                if !v.is_empty() && label_problem_value(v) {
                    issues.error(ValidationError::new(
                        field,
                        v,
                        "not a valid label value",
                        "at most 63 characters of a-z, A-Z, 0-9, `-`, `_` and `.`",
                    ));
                }
            }
        }
    }
}

fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && (p.is_empty() || p.len() > 253 || p.split('.').any(|l| label_problem(l, 63, false).is_some()))
    {
        return Some(format!("label key prefix `{p}` is not a DNS subdomain"));
    }
    if name.is_empty()
        || name.len() > 63
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Some(format!("label key name `{name}` is not valid"));
    }
    None
}

fn label_problem_value(v: &str) -> bool {
    v.len() > 63
        || !v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || !v.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !v.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_domains() {
        for d in ["runai.example.com", "a.b", "x-1.example.co.uk", "123.example.com"] {
            assert_eq!(fqdn_problem(d), None, "{d}");
        }
    }

    #[test]
    fn rejects_with_a_reason_and_a_fix() {
        let cases = [
            ("", "empty"),
            ("Runai.Example.com", "lowercase"),
            ("*.runai.example.com", "wildcard"),
            ("runai.*.com", "`*`"),
            ("10.0.0.1", "IP address"),
            ("::1", "IP address"),
            ("runai.example.com.", "trailing dot"),
            ("runai", "two labels"),
            ("runai..example.com", "empty label"),
            ("-runai.example.com", "starts or ends"),
            ("runai_x.example.com", "contains `_`"),
            ("https://runai.example.com/", "URL"),
            ("example.123", "all digits"),
        ];
        for (input, needle) in cases {
            let (problem, fix) = fqdn_problem(input).unwrap_or_else(|| panic!("{input} accepted"));
            assert!(problem.contains(needle), "{input}: {problem}");
            assert!(!fix.is_empty());
        }
        let long_label = format!("{}.example.com", "a".repeat(64));
        assert!(fqdn_problem(&long_label).is_some_and(|(p, _)| p.contains("at most 63")));
        let long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert!(fqdn_problem(&long).is_some_and(|(p, _)| p.contains("at most 253")));
        assert_eq!(fqdn_problem(&format!("{}.com", "a".repeat(63))), None);
    }

    #[test]
    fn object_and_namespace_names() {
        let mut i = Issues::default();
        namespace(&mut i, "ns", "runai");
        object_name(&mut i, "name", "runai-cluster-domain-tls-secret");
        object_name(&mut i, "name", "a.b-c");
        assert!(i.errors.is_empty());
        namespace(&mut i, "ns", "Runai");
        namespace(&mut i, "ns", &"a".repeat(64));
        object_name(&mut i, "name", "bad_name");
        service_name(&mut i, "svc", "1kourier");
        assert_eq!(i.errors.len(), 4, "{i}");
    }

    #[test]
    fn chart_versions() {
        let mut i = Issues::default();
        for v in ["2.25.0", "v2.25.1", "2.25.0-rc.1", "1.0"] {
            chart_version(&mut i, "v", v);
        }
        assert!(i.errors.is_empty(), "{i}");
        for v in ["latest", "2.x", "$(reboot)", ""] {
            chart_version(&mut i, "v", v);
        }
        assert_eq!(i.errors.len(), 4);
    }
}
