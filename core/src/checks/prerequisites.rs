//! The prerequisites checks: CRDs, permissions, versions.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found, version_below};
use crate::helm::shell_quote;
use crate::snapshot::{Kind, Source};
use crate::spec::ControlPlaneLocation;

checks! { Prerequisites:
    "read-forbidden" => read_forbidden, Warning,
        "Every kind the checks need could be read",
        "A kind the caller may not list hides its problems; the checks that need it are skipped, not passed.",
        "Grant `list` on the resource (see `kubectl auth can-i list RESOURCE -A`), or run as a user who has it.";
    "read-failed" => read_failed, Error,
        "The API server answered every read",
        "A timeout or server error leaves part of the cluster unknown.",
        "Check the API server's health and `--request-timeout`, then run again.";
    "gateway-api-crds-missing" => crds_missing, Error,
        "The Gateway API CRDs are installed",
        "Without GatewayClass, Gateway and HTTPRoute there is nothing to route with.",
        "Install the standard channel: `kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.4.0/standard-install.yaml`.";
    "gateway-api-crds-outdated" => crds_outdated, Warning,
        "The Gateway API CRDs are v1.4.0 or later",
        "Run:ai's instructions are written against v1.4.0; older bundles lack fields and validation the plan relies on.",
        "Upgrade the CRDs with the v1.4.0 (or newer) standard-install.yaml, server-side.";
    "runai-version-unsupported" => runai_version, Error,
        "Run:ai is 2.25 or later",
        "Gateway API support arrived in Run:ai 2.25; older charts ignore the `gatewayAPI` values.",
        "Upgrade Run:ai to 2.25 or later before migrating.";
    "runai-release-missing" => runai_release_missing, Warning,
        "The Run:ai Helm releases are found and readable",
        "The Run:ai settings are read from the releases; without them (or with a release too large or undecodable to read) the migration state is unknown.",
        "Pass the release names and namespaces (`--cluster-release`, `--backend-release`, …) if they differ from the defaults.";
}

/// The kinds whose reading is judged: cert-manager's only when it is in use.
fn judged_sources<'a>(cx: &'a Cx<'_>) -> impl Iterator<Item = (&'a Kind, &'a Source)> {
    cx.snap.sources.iter().filter(|(k, _)| cx.spec.tls_issuer.is_some() || !Kind::CERT_MANAGER.contains(k))
}

fn read_forbidden(cx: &Cx<'_>) -> Outcome {
    found(
        judged_sources(cx)
            .filter_map(|(kind, src)| match src {
                Source::Forbidden { message } => Some(
                    draft(None, format!("cannot list `{}`: {message}", kind.resource()))
                        .hint("the checks that need it are skipped below")
                        .fix(format!("kubectl auth can-i list {} --all-namespaces", kind.resource())),
                ),
                _ => None,
            })
            .collect(),
    )
}

fn read_failed(cx: &Cx<'_>) -> Outcome {
    found(
        judged_sources(cx)
            .filter_map(|(kind, src)| match src {
                Source::Failed { message } => {
                    Some(draft(None, format!("reading `{}` failed: {message}", kind.resource())))
                }
                _ => None,
            })
            .collect(),
    )
}

const REQUIRED_CRDS: [&str; 3] = [
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
];

fn crds_missing(cx: &Cx<'_>) -> Outcome {
    let missing: Vec<&str> = if cx.snap.was_read(Kind::CustomResourceDefinition) {
        REQUIRED_CRDS.iter().copied().filter(|n| !cx.snap.crds.iter().any(|c| c.name == *n)).collect()
    } else if cx.snap.source(Kind::Gateway) == Source::NotInstalled {
        vec!["gateways.gateway.networking.k8s.io"]
    } else {
        return cx.need(&[Kind::CustomResourceDefinition]).unwrap_or(Outcome::Pass);
    };
    if missing.is_empty() {
        return Outcome::Pass;
    }
    found(vec![
        draft(None, format!("Gateway API CRDs not installed: {}", missing.join(", ")))
            .severity(cx.todo())
            .fix(cx.script("gateway-api")),
    ])
}

fn crds_outdated(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::CustomResourceDefinition]) {
        return o;
    }
    found(
        cx.snap
            .crds
            .iter()
            .filter(|c| REQUIRED_CRDS.contains(&c.name.as_str()))
            .filter_map(|c| {
                let v = c.bundle_version.as_deref()?;
                let v1 = v.trim_start_matches('v');
                let mut p = v1.split('.').map(|x| x.parse::<u64>().unwrap_or(0));
                let (ma, mi) = (p.next()?, p.next().unwrap_or(0));
                ((ma, mi) < (1, 4)).then(|| {
                    draft(
                        format!("CustomResourceDefinition {}", c.name),
                        format!("`{}` is bundle {v}, older than v1.4.0", c.name),
                    )
                    .fix(cx.script("gateway-api"))
                })
            })
            .collect(),
    )
}

fn runai_version(cx: &Cx<'_>) -> Outcome {
    let mut drafts = Vec::new();
    for rel in [cx.cluster, cx.backend].into_iter().flatten() {
        if version_below(&rel.chart_version, 2, 25) == Some(true) {
            drafts.push(draft(
                format!("Helm release {}/{}", rel.namespace, rel.name),
                format!(
                    "`{}` runs chart {} {}; Gateway API support needs 2.25 or later",
                    rel.name, rel.chart, rel.chart_version
                ),
            ));
        }
    }
    if drafts.is_empty() && cx.cluster.is_none() && cx.backend.is_none() {
        return cx.need(&[Kind::Secret]).unwrap_or_else(|| Outcome::Skip("no Run:ai release found".into()));
    }
    found(drafts)
}

fn runai_release_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    let mut drafts = Vec::new();
    let c = &cx.spec.cluster;
    let b = &cx.spec.backend;
    let backend_here = cx.spec.control_plane == ControlPlaneLocation::SameCluster;
    // A release that is there but cannot be read is said so, not reported as missing; so is an
    // unreadable revision newer than the one read (the settings read may be out of date).
    let newer = |read: Option<&crate::snapshot::HelmRelease>, u: &crate::snapshot::UnreadableRelease| {
        read.is_none_or(|r| r.revision < u.revision)
    };
    for (read, r, here) in [(cx.cluster, c, true), (cx.backend, b, backend_here)] {
        if let Some(u) =
            cx.snap.unreadable_release(&r.namespace, &r.release).filter(|u| here && newer(read, u))
        {
            drafts.push(
                draft(
                    format!("Helm release {}/{}", u.namespace, u.name),
                    format!(
                        "Helm release `{}` in namespace `{}` is unreadable: {} (revision {})",
                        u.name, u.namespace, u.reason, u.revision
                    ),
                )
                .hint("its settings cannot be judged; `helm history` shows the revisions, and a `helm upgrade` stores a new, readable one")
                .fix(format!("helm history {} -n {}", shell_quote(&u.name), shell_quote(&u.namespace))),
            );
        }
    }
    let unreadable =
        |r: &crate::spec::Release| cx.snap.unreadable_release(&r.namespace, &r.release).is_some();
    if cx.cluster.is_none() && !unreadable(c) {
        drafts.push(
            draft(None, format!("Helm release `{}` not found in namespace `{}`", c.release, c.namespace))
                .fix(format!(
                    "helm list -n {} # then pass --cluster-release/--cluster-namespace",
                    shell_quote(&c.namespace)
                )),
        );
    }
    if backend_here && cx.backend.is_none() && !unreadable(b) {
        drafts.push(draft(None, format!("Helm release `{}` not found in namespace `{}`", b.release, b.namespace))
            .hint("if the control plane runs elsewhere, pass `--control-plane remote --control-plane-context CTX` or `--control-plane saas`")
            .fix(format!("helm list -n {}", shell_quote(&b.namespace))));
    }
    found(drafts)
}
