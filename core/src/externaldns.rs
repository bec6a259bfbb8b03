//! external-dns, as `status` reads it: the Deployment's arguments reduced to what decides whether
//! the Gateway's hostnames get DNS records, and the rules external-dns applies to them.
//!
//! What external-dns does (its documentation for the `ingress` and `gateway-*` sources, the
//! domain filter and the TXT registry):
//!
//! - The `gateway-httproute` source publishes an HTTPRoute's `spec.hostnames` narrowed to the
//!   hostname of each listener of an accepting parent Gateway, with the Gateway's
//!   `status.addresses` (or its `…/target` annotation) as targets. Without that source no route
//!   is published.
//! - `--domain-filter` keeps names equal to or under one of its domains (a leading dot: under it
//!   only), `--exclude-domains` removes names under its domains.
//! - `--annotation-filter` (a label selector) keeps only the resources whose annotations match.
//! - `--gateway-name` / `--gateway-namespace` keep only routes whose parent Gateway has them.
//! - The TXT registry records which resource created each record; when two resources want the
//!   same name, the record stays with the resource that created it as long as that resource
//!   still claims the name. So a record an Ingress created does not move to the Gateway while any
//!   Ingress for the hostname exists: the Ingress must stop claiming it first (or be deleted).
//! - An Ingress (or any resource) with the annotation `…/controller` set to a value other than
//!   `dns-controller` is ignored by every source: that is how an Ingress stops claiming its
//!   hostnames while it keeps serving.
//! - `--policy=upsert-only` never deletes: records of a removed Gateway (a rollback) stay.
//! - Annotations use the prefix `external-dns.alpha.kubernetes.io/` before v0.22.0 and
//!   `external-dns.kubernetes.io/` from v0.22.0 on (`--annotation-prefix` sets it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The annotation prefix of external-dns before v0.22.0.
pub const LEGACY_PREFIX: &str = "external-dns.alpha.kubernetes.io/";
/// The annotation prefix of external-dns from v0.22.0 on.
pub const PREFIX: &str = "external-dns.kubernetes.io/";
/// The source that publishes HTTPRoutes.
pub const HTTPROUTE_SOURCE: &str = "gateway-httproute";
/// The label selector of external-dns's Deployments (its Helm chart sets the label): the
/// Deployments `status`, `apply` and `rollback` read external-dns's arguments from.
pub const SELECTOR: &str = "app.kubernetes.io/name=external-dns";
/// The value of the `controller` annotation that makes external-dns ignore an object.
pub const IGNORED_BY: &str = "runai-gateway";

/// An external-dns Deployment, reduced to what decides which records it publishes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalDns {
    /// Namespace of the Deployment.
    pub namespace: String,
    /// Name of the Deployment.
    pub name: String,
    /// The container image.
    pub image: String,
    /// `--source` values.
    #[serde(default)]
    pub sources: Vec<String>,
    /// `--domain-filter` values.
    #[serde(default)]
    pub domain_filters: Vec<String>,
    /// `--exclude-domains` values.
    #[serde(default)]
    pub exclude_domains: Vec<String>,
    /// `--regex-domain-filter`, when set (not judged: a regular expression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex_domain_filter: Option<String>,
    /// `--policy` (`sync` when not given, the default).
    pub policy: String,
    /// `--registry` (`txt` when not given).
    pub registry: String,
    /// `--txt-owner-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txt_owner_id: Option<String>,
    /// `--provider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// `--annotation-filter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation_filter: Option<String>,
    /// `--label-filter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_filter: Option<String>,
    /// `--gateway-name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_name: Option<String>,
    /// `--gateway-namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_namespace: Option<String>,
    /// `--gateway-label-filter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_label_filter: Option<String>,
    /// `--annotation-prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation_prefix: Option<String>,
}

/// Whether a Deployment is external-dns: its `app.kubernetes.io/name` label, or a container
/// whose image is external-dns's.
fn container(deployment: &Value) -> Option<&Value> {
    let containers = deployment["spec"]["template"]["spec"]["containers"].as_array()?;
    let is_image = |c: &&Value| {
        c["image"].as_str().is_some_and(|i| {
            let repo = i.split('@').next().unwrap_or(i);
            let repo = repo.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map_or(repo, |(r, _)| r);
            repo.rsplit('/').next() == Some("external-dns")
        })
    };
    let labelled = deployment["metadata"]["labels"]["app.kubernetes.io/name"] == "external-dns";
    containers.iter().find(is_image).or_else(|| labelled.then(|| containers.first()).flatten())
}

/// The flags of a container's `command` and `args`, as (name, value): `--x=v` and `--x v` both;
/// a flag without a value has an empty one.
fn flags(c: &Value) -> Vec<(String, String)> {
    let words: Vec<&str> = ["command", "args"]
        .iter()
        .flat_map(|k| c[*k].as_array().map(Vec::as_slice).unwrap_or_default())
        .filter_map(Value::as_str)
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some(flag) = words[i].strip_prefix("--") {
            match flag.split_once('=') {
                Some((n, v)) => out.push((n.to_owned(), v.to_owned())),
                None => {
                    let next = words.get(i + 1).filter(|w| !w.starts_with("--"));
                    out.push((flag.to_owned(), next.map(|w| (*w).to_owned()).unwrap_or_default()));
                    if next.is_some() {
                        i += 1;
                    }
                }
            }
        }
        i += 1;
    }
    out
}

impl ExternalDns {
    /// The external-dns of a Deployment, `None` when it is not one.
    #[must_use]
    pub fn from_deployment(deployment: &Value) -> Option<ExternalDns> {
        let c = container(deployment)?;
        let flags = flags(c);
        let all = |name: &str| -> Vec<String> {
            flags
                .iter()
                .filter(|(n, _)| n == name)
                .flat_map(|(_, v)| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
                .collect()
        };
        let last = |name: &str| flags.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let meta = &deployment["metadata"];
        Some(ExternalDns {
            namespace: meta["namespace"].as_str().unwrap_or_default().to_owned(),
            name: meta["name"].as_str().unwrap_or_default().to_owned(),
            image: c["image"].as_str().unwrap_or_default().to_owned(),
            sources: all("source"),
            domain_filters: all("domain-filter"),
            exclude_domains: all("exclude-domains"),
            regex_domain_filter: last("regex-domain-filter").filter(|v| !v.is_empty()),
            policy: last("policy").unwrap_or_else(|| "sync".into()),
            registry: last("registry").unwrap_or_else(|| "txt".into()),
            txt_owner_id: last("txt-owner-id"),
            provider: last("provider"),
            annotation_filter: last("annotation-filter").filter(|v| !v.is_empty()),
            label_filter: last("label-filter").filter(|v| !v.is_empty()),
            gateway_name: last("gateway-name").filter(|v| !v.is_empty()),
            gateway_namespace: last("gateway-namespace").filter(|v| !v.is_empty()),
            gateway_label_filter: last("gateway-label-filter").filter(|v| !v.is_empty()),
            annotation_prefix: last("annotation-prefix").filter(|v| !v.is_empty()),
        })
    }

    /// `namespace/name` of the Deployment.
    #[must_use]
    pub fn reference(&self) -> String {
        format!("Deployment {}/{}", self.namespace, self.name)
    }

    /// Whether it reads `source`.
    #[must_use]
    pub fn reads(&self, source: &str) -> bool {
        self.sources.iter().any(|s| s == source)
    }

    /// Why external-dns would not publish `hostname`, judging the domain filters only; `None`
    /// when they let it through.
    #[must_use]
    pub fn filtered_out(&self, hostname: &str) -> Option<String> {
        let name = hostname.trim_end_matches('.').to_ascii_lowercase();
        if let Some(d) = self.exclude_domains.iter().find(|d| domain_matches(d, &name)) {
            return Some(format!("`--exclude-domains={d}` excludes it"));
        }
        if !self.domain_filters.is_empty() && !self.domain_filters.iter().any(|d| domain_matches(d, &name)) {
            return Some(format!(
                "it is under none of the domains of `--domain-filter` ({})",
                self.domain_filters.join(", ")
            ));
        }
        None
    }

    /// The annotation prefixes this external-dns reads: `--annotation-prefix` when given, else
    /// by the image's version (both when the version is unknown).
    #[must_use]
    pub fn prefixes(&self) -> Vec<String> {
        if let Some(p) = &self.annotation_prefix {
            return vec![p.clone()];
        }
        match image_version(&self.image) {
            Some(v) if v < (0, 22) => vec![LEGACY_PREFIX.into()],
            Some(_) => vec![PREFIX.into()],
            None => vec![LEGACY_PREFIX.into(), PREFIX.into()],
        }
    }

    /// Whether a resource with `annotations` is ignored through the `controller` annotation.
    #[must_use]
    pub fn ignores(&self, annotations: &BTreeMap<String, String>) -> bool {
        self.prefixes()
            .iter()
            .any(|p| annotations.get(&format!("{p}controller")).is_some_and(|v| v != "dns-controller"))
    }

    /// The `kubectl annotate` command that makes it ignore an object.
    #[must_use]
    pub fn ignore_command(&self, kind: &str, namespace: &str, name: &str) -> String {
        let keys: Vec<String> =
            self.prefixes().iter().map(|p| format!("{p}controller={IGNORED_BY}")).collect();
        format!("kubectl annotate {kind} {name} -n {namespace} {}", keys.join(" "))
    }
}

/// The (major, minor) version of an image tag like `registry.k8s.io/external-dns/external-dns:v0.14.2`.
fn image_version(image: &str) -> Option<(u64, u64)> {
    let tag = image.split('@').next()?.rsplit_once(':')?.1;
    let mut parts = tag.trim_start_matches('v').split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// external-dns's domain filter match: the name is the domain or under it; a domain with a
/// leading dot matches names under it only. A wildcard name matches as the name it stands for.
#[must_use]
pub fn domain_matches(domain: &str, name: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let name = name.strip_prefix("*.").map_or(name, |rest| rest);
    let under = |d: &str| name.ends_with(&format!(".{d}"));
    match domain.strip_prefix('.') {
        Some(d) => under(d),
        None => name == domain || under(&domain),
    }
}

/// One requirement of a label selector (external-dns's `--annotation-filter` syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    Absent(String),
}

/// Splits a selector on the commas outside parentheses.
fn split_top(selector: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, ch) in selector.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&selector[start..]);
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn parse_requirement(text: &str) -> Option<Requirement> {
    let set = |rest: &str| -> Option<Vec<String>> {
        let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
        Some(inner.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
    };
    if let Some((k, v)) = text.split_once("!=") {
        return Some(Requirement::NotEquals(k.trim().into(), v.trim().into()));
    }
    if let Some((k, v)) = text.split_once("==").or_else(|| text.split_once('=')) {
        return Some(Requirement::Equals(k.trim().into(), v.trim().into()));
    }
    if let Some((k, rest)) = text.split_once(" notin ") {
        return Some(Requirement::NotIn(k.trim().into(), set(rest)?));
    }
    if let Some((k, rest)) = text.split_once(" in ") {
        return Some(Requirement::In(k.trim().into(), set(rest)?));
    }
    match text.strip_prefix('!') {
        Some(k) => Some(Requirement::Absent(k.trim().into())),
        None => (!text.contains(' ')).then(|| Requirement::Exists(text.into())),
    }
}

/// Whether `annotations` satisfy the selector `filter`; `None` when the selector cannot be read.
#[must_use]
pub fn selector_matches(filter: &str, annotations: &BTreeMap<String, String>) -> Option<bool> {
    let mut ok = true;
    for part in split_top(filter) {
        ok &= match parse_requirement(part)? {
            Requirement::Equals(k, v) => annotations.get(&k) == Some(&v),
            Requirement::NotEquals(k, v) => annotations.get(&k) != Some(&v),
            Requirement::In(k, vs) => annotations.get(&k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => annotations.get(&k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => annotations.contains_key(&k),
            Requirement::Absent(k) => !annotations.contains_key(&k),
        };
    }
    Some(ok)
}

/// The hostnames an Ingress claims for external-dns: its rule hosts, its TLS hosts and the
/// `…/hostname` annotation (comma-separated), as external-dns's ingress source collects them.
#[must_use]
pub fn ingress_hostnames(ingress: &crate::snapshot::Ingress, prefixes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = ingress.hosts.iter().chain(&ingress.tls_hosts).cloned().collect();
    for p in prefixes {
        if let Some(list) = ingress.external_dns_annotations.get(&format!("{p}hostname")) {
            out.extend(list.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned));
        }
    }
    crate::order::sort(&mut out);
    out.dedup();
    out
}

/// Whether an Ingress's `claimed` host takes (part of) the Gateway hostname `gw`: the same name,
/// or a name under a wildcard, whose own record shadows the wildcard record.
#[must_use]
pub fn claims(claimed: &str, gw: &str) -> bool {
    claimed == gw || gw.strip_prefix("*.").is_some_and(|d| claimed.ends_with(&format!(".{d}")))
}

/// The annotations external-dns reads (those of its prefixes), the only ones a snapshot keeps of
/// an Ingress.
#[must_use]
pub fn own_annotations(annotations: &Value) -> BTreeMap<String, String> {
    annotations
        .as_object()
        .map(|m| {
            crate::order::map_of(
                m.iter()
                    .filter(|(k, _)| k.starts_with("external-dns."))
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))),
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(image: &str, args: &[&str]) -> Value {
        json!({
            "metadata": {"namespace": "external-dns", "name": "external-dns",
                         "labels": {"app.kubernetes.io/name": "external-dns"}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "sidecar", "image": "busybox:1"},
                {"name": "external-dns", "image": image, "args": args},
            ]}}},
        })
    }

    #[test]
    fn reads_the_arguments_in_both_spellings() {
        let d = deployment(
            "registry.k8s.io/external-dns/external-dns:v0.14.2",
            &[
                "--source=ingress",
                "--source",
                "gateway-httproute",
                "--domain-filter=example.com",
                "--exclude-domains=internal.example.com,lab.example.com",
                "--policy=upsert-only",
                "--registry=txt",
                "--txt-owner-id=prod",
                "--annotation-filter=dns in (public)",
                "--once",
            ],
        );
        let e = ExternalDns::from_deployment(&d).expect("external-dns");
        assert_eq!(e.sources, ["ingress", "gateway-httproute"]);
        assert_eq!(e.exclude_domains, ["internal.example.com", "lab.example.com"]);
        assert_eq!((e.policy.as_str(), e.txt_owner_id.as_deref()), ("upsert-only", Some("prod")));
        assert_eq!(e.annotation_filter.as_deref(), Some("dns in (public)"));
        assert_eq!(e.prefixes(), [LEGACY_PREFIX]);
        // Defaults when not given; the image alone identifies it.
        let mut plain = deployment("ghcr.io/x/external-dns:v0.23.0", &[]);
        plain["metadata"]["labels"] = json!({});
        let e = ExternalDns::from_deployment(&plain).expect("by image");
        assert_eq!((e.policy.as_str(), e.registry.as_str()), ("sync", "txt"));
        assert_eq!(e.prefixes(), [PREFIX]);
        let other = json!({"spec": {"template": {"spec": {"containers": [{"image": "nginx:1"}]}}}});
        assert_eq!(ExternalDns::from_deployment(&other), None);
    }

    #[test]
    fn domain_filters_match_as_external_dns_does() {
        let e = ExternalDns {
            domain_filters: vec!["example.com".into()],
            exclude_domains: vec!["runai-inference.example.com".into()],
            ..ExternalDns::default()
        };
        assert_eq!(e.filtered_out("runai.example.com"), None);
        assert_eq!(e.filtered_out("*.runai.example.com"), None);
        assert!(e.filtered_out("*.runai-inference.example.com").is_some());
        assert!(e.filtered_out("runai.example.org").is_some());
        assert!(!domain_matches("example.com", "badexample.com"));
        assert!(domain_matches(".example.com", "a.example.com"));
        assert!(!domain_matches(".example.com", "example.com"));
    }

    #[test]
    fn annotation_filters_are_label_selectors() {
        let a = BTreeMap::from([("dns".to_owned(), "public".to_owned())]);
        assert_eq!(selector_matches("dns=public", &a), Some(true));
        assert_eq!(selector_matches("dns in (public, private)", &a), Some(true));
        assert_eq!(selector_matches("dns notin (public)", &a), Some(false));
        assert_eq!(selector_matches("dns, !other", &a), Some(true));
        assert_eq!(selector_matches("dns!=public", &a), Some(false));
        assert_eq!(selector_matches("team=ml", &a), Some(false));
        assert_eq!(selector_matches("dns in public", &a), None);
    }

    #[test]
    fn an_ingress_claims_its_hosts_until_annotated() {
        let e = ExternalDns { image: "x/external-dns:v0.14.0".into(), ..ExternalDns::default() };
        let ann = own_annotations(&json!({
            "external-dns.alpha.kubernetes.io/hostname": "a.example.com, b.example.com",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        }));
        assert_eq!(ann.len(), 1);
        let ing = crate::snapshot::Ingress {
            namespace: "runai".into(),
            name: "x".into(),
            class: None,
            hosts: vec!["runai.example.com".into()],
            tls_secrets: Vec::new(),
            addresses: Vec::new(),
            managed: true,
            tls_hosts: vec!["runai.example.com".into()],
            external_dns_annotations: ann,
        };
        assert_eq!(
            ingress_hostnames(&ing, &e.prefixes()),
            ["a.example.com", "b.example.com", "runai.example.com"]
        );
        let mut ann = BTreeMap::new();
        assert!(!e.ignores(&ann));
        ann.insert(format!("{LEGACY_PREFIX}controller"), "dns-controller".into());
        assert!(!e.ignores(&ann));
        ann.insert(format!("{LEGACY_PREFIX}controller"), IGNORED_BY.into());
        assert!(e.ignores(&ann));
        assert_eq!(
            e.ignore_command("ingress", "runai", "x"),
            "kubectl annotate ingress x -n runai external-dns.alpha.kubernetes.io/controller=runai-gateway"
        );
    }
}
