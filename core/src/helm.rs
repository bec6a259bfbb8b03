//! The Run:ai Helm settings of each phase, and the exact `helm upgrade` commands.
//!
//! Every upgrade uses `--reuse-values` (only the keys named here change) and pins the chart to the
//! deployed version, so that a migration never upgrades Run:ai as a side effect: without
//! `--version`, Helm takes the newest chart in the local repository cache.
//!
//! Value types: the Run:ai instructions pass the `enabled` switches and the Gateway reference with
//! `--set-string` (the string `"true"`/`"false"`), and this tool mirrors them exactly, because that
//! is the form NVIDIA publishes and tests. `subdomainSupport` is documented as a YAML boolean and
//! is passed with `--set`. `status` reads both forms.

use serde::Serialize;

use crate::spec::{Release, RoutingMode, Spec};

/// How a value is passed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    /// `--set-string`: always a string.
    String,
    /// `--set`: Helm parses `true`/`false` and numbers.
    Typed,
}

/// One key set by an upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelmValue {
    /// Dotted Helm key (`clusterConfig.global.gatewayAPI.enabled`).
    pub key: String,
    /// Value as written on the command line.
    pub value: String,
    /// `--set-string` or `--set`.
    pub kind: ValueKind,
}

/// Which Run:ai release an upgrade changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    /// The control plane (`runai-backend`).
    ControlPlane,
    /// The cluster (`runai-cluster`).
    Cluster,
}

/// One `helm upgrade`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmUpgrade {
    /// Which release.
    pub component: Component,
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// Chart reference.
    pub chart: String,
    /// Deployed chart version, when known.
    pub chart_version: Option<String>,
    /// Environment variable the command reads the version from when it is not known.
    pub chart_version_env: String,
    /// kube context for a control plane in another cluster.
    pub kube_context: Option<String>,
    /// The keys it sets.
    pub values: Vec<HelmValue>,
}

fn s(key: &str, value: impl Into<String>) -> HelmValue {
    HelmValue { key: key.to_owned(), value: value.into(), kind: ValueKind::String }
}

fn typed(key: &str, value: impl Into<String>) -> HelmValue {
    HelmValue { key: key.to_owned(), value: value.into(), kind: ValueKind::Typed }
}

/// Characters a shell word may hold without quotes.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c)
}

/// Quotes a word for POSIX shells (and zsh, where `[0]` would otherwise be a glob).
#[must_use]
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(is_plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl HelmUpgrade {
    fn new(component: Component, release: &Release, spec: &Spec, values: Vec<HelmValue>) -> Self {
        let kube_context = match component {
            Component::ControlPlane => spec.control_plane_context.clone(),
            Component::Cluster => None,
        };
        Self {
            component,
            release: release.release.clone(),
            namespace: release.namespace.clone(),
            chart: release.chart.clone(),
            chart_version: release.chart_version.clone(),
            chart_version_env: format!(
                "{}_CHART_VERSION",
                release.release.to_ascii_uppercase().replace('-', "_")
            ),
            kube_context,
            values,
        }
    }

    /// The arguments after `helm`, for running it (the version must be known).
    #[must_use]
    pub fn args(&self, version: &str) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "upgrade".into(),
            self.release.clone(),
            self.chart.clone(),
            "--namespace".into(),
            self.namespace.clone(),
            "--reuse-values".into(),
            "--version".into(),
            version.to_owned(),
        ];
        if let Some(ctx) = &self.kube_context {
            a.extend(["--kube-context".into(), ctx.clone()]);
        }
        for v in &self.values {
            a.push(match v.kind {
                ValueKind::String => "--set-string".into(),
                ValueKind::Typed => "--set".into(),
            });
            a.push(format!("{}={}", v.key, v.value));
        }
        a
    }

    /// The command as a user types it, one option per line. An unknown version reads
    /// `$<RELEASE>_CHART_VERSION`, which [`HelmUpgrade::version_lookup`] sets.
    #[must_use]
    pub fn command(&self) -> String {
        let version = match &self.chart_version {
            Some(v) => shell_quote(v),
            None => format!("\"${}\"", self.chart_version_env),
        };
        let mut lines = vec![format!(
            "helm upgrade {} {} -n {}",
            shell_quote(&self.release),
            shell_quote(&self.chart),
            shell_quote(&self.namespace)
        )];
        lines.push(format!("  --reuse-values --version {version}"));
        if let Some(ctx) = &self.kube_context {
            lines.push(format!("  --kube-context {}", shell_quote(ctx)));
        }
        for v in &self.values {
            let flag = match v.kind {
                ValueKind::String => "--set-string",
                ValueKind::Typed => "--set",
            };
            lines.push(format!("  {flag} {}", shell_quote(&format!("{}={}", v.key, v.value))));
        }
        lines.join(" \\\n")
    }

    /// A shell command that sets the version variable from the deployed release, unless the
    /// user set it already; `None` when the plan knows the version.
    #[must_use]
    pub fn version_lookup(&self) -> Option<String> {
        if self.chart_version.is_some() {
            return None;
        }
        let ctx = self
            .kube_context
            .as_ref()
            .map(|c| format!(" --kube-context {}", shell_quote(c)))
            .unwrap_or_default();
        Some(format!(
            ": \"${{{}:=$(helm get metadata {} -n {}{ctx} -o yaml | awk '/^version:/ {{print $2}}')}}\"",
            self.chart_version_env,
            shell_quote(&self.release),
            shell_quote(&self.namespace)
        ))
    }
}

/// All Helm changes of a migration, by phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmPlan {
    /// Introduce the Gateway to Run:ai while Ingress keeps serving (control plane, then cluster).
    pub introduce: Vec<HelmUpgrade>,
    /// Turn Ingress off after DNS points at the Gateway (cluster, then control plane).
    pub disable_ingress: Vec<HelmUpgrade>,
    /// Back to Ingress: one upgrade per release (cluster, then control plane).
    pub rollback: Vec<HelmUpgrade>,
}

/// Computes the Helm changes for `spec`.
#[must_use]
pub fn plan(spec: &Spec) -> HelmPlan {
    let backend = |values| HelmUpgrade::new(Component::ControlPlane, &spec.backend, spec, values);
    let cluster = |values| HelmUpgrade::new(Component::Cluster, &spec.cluster, spec, values);
    let subdomains = match spec.routing_mode {
        RoutingMode::Host => "true",
        RoutingMode::Path => "false",
    };

    let mut introduce = Vec::new();
    if spec.manages_backend() {
        introduce.push(backend(vec![
            s("global.gatewayAPI.enabled", "true"),
            s("global.gatewayAPI.parentRefs[0].name", &spec.gateway_name),
            s("global.gatewayAPI.parentRefs[0].namespace", &spec.gateway_namespace),
        ]));
    }
    introduce.push(cluster(vec![
        s("clusterConfig.global.gatewayAPI.enabled", "true"),
        s("clusterConfig.global.gatewayAPI.name", &spec.gateway_name),
        s("clusterConfig.global.gatewayAPI.namespace", &spec.gateway_namespace),
        typed("clusterConfig.global.subdomainSupport", subdomains),
    ]));

    let mut disable_ingress = vec![cluster(vec![s("clusterConfig.global.ingress.enabled", "false")])];
    let mut rollback = vec![cluster(vec![
        s("clusterConfig.global.ingress.enabled", "true"),
        s("clusterConfig.global.gatewayAPI.enabled", "false"),
    ])];
    if spec.manages_backend() {
        disable_ingress.push(backend(vec![s("global.ingress.enabled", "false")]));
        rollback.push(backend(vec![
            s("global.ingress.enabled", "true"),
            s("global.gatewayAPI.enabled", "false"),
        ]));
    }
    HelmPlan { introduce, disable_ingress, rollback }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("runai-backend/control-plane"), "runai-backend/control-plane");
        assert_eq!(shell_quote("a[0].b=c"), "'a[0].b=c'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
