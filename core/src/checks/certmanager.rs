//! The cert-manager checks: the issuer `--tls-issuer` names, the Certificates that fill the
//! listeners' secrets, and the Gateway annotations cert-manager's Gateway support reads.
//!
//! cert-manager is optional: without `--tls-issuer` (nor a Certificate of this tool's, from
//! which discovery takes the issuer) and without its CRDs, every check here is skipped, and
//! a cert-manager kind that could not be read is not a finding of `read-forbidden`.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::certmanager::observed::{CertificateObject, GatewaySupport, Issuer};
use crate::certmanager::{self, IssuerKind, IssuerRef};
use crate::helm::shell_quote;
use crate::snapshot::{Condition, Kind, Source, condition, is_true};

checks! { CertManager:
    "cert-manager-issuer-missing" => issuer_missing, Error,
        "The issuer `--tls-issuer` names exists",
        "Without the issuer, cert-manager issues none of the listeners' certificates and the Gateway serves no HTTPS.",
        "Install cert-manager and create the issuer, or pass `--tls-issuer` naming one that exists (`kubectl get clusterissuers,issuers -A`).";
    "cert-manager-issuer-not-ready" => issuer_not_ready, Error,
        "The issuer is Ready",
        "An issuer that is not Ready (an ACME account not registered, a CA secret missing) issues nothing; its condition says why.",
        "Fix what the issuer's `Ready` condition names (`kubectl describe clusterissuer NAME`).";
    "cert-manager-wildcard-http-only" => wildcard_http01, Error,
        "The issuer can issue the wildcard names",
        "An ACME server (Let's Encrypt) validates a wildcard name only through DNS-01; an issuer whose solvers for it are HTTP-01 only never gets the workloads or inference certificate. CA, self-signed and Vault issuers can issue wildcards.",
        "Add a `dns01` solver to the issuer for the domain, or name an issuer that can issue wildcards.";
    "cert-manager-certificate-not-ready" => certificate_not_ready, Error,
        "Each listener's Certificate is Ready",
        "A Certificate that is not Ready leaves its secret missing or stale; its condition and its latest CertificateRequest say why.",
        "Fix what the Certificate's condition names (`kubectl describe certificate -n NAMESPACE NAME`), then let cert-manager retry.";
    "cert-manager-secret-not-produced" => secret_not_produced, Error,
        "With cert-manager, every listener's secret comes from a Certificate",
        "A listener secret no Certificate writes is never issued nor renewed by cert-manager: it was copied by hand, or its Certificate is gone.",
        "Let `apply` create the listeners' Certificates, or point the listener at the secret a Certificate writes.";
    "cert-manager-gateway-annotation-ignored" => annotation_ignored, Warning,
        "A cert-manager annotation on the Gateway is acted on",
        "cert-manager reads `cert-manager.io/issuer` and `cert-manager.io/cluster-issuer` on Gateways only when its controller runs with Gateway support; otherwise no Certificate is made for the listeners.",
        "Turn Gateway support on (chart value `config.enableGatewayAPI=true`; controller flag `--enable-gateway-api`), or remove the annotation: the Certificates `--tls-issuer` creates do not need it.";
}

const NOT_IN_USE: &str = "cert-manager is not in use (no `--tls-issuer`)";

/// The snapshot kind an issuer reference is read as.
fn issuer_kind(r: &IssuerRef) -> Kind {
    match r.kind {
        IssuerKind::Issuer => Kind::Issuer,
        IssuerKind::ClusterIssuer => Kind::ClusterIssuer,
    }
}

/// `ClusterIssuer letsencrypt`, `Issuer runai/ca`.
fn issuer_resource(r: &IssuerRef, namespace: &str) -> String {
    match r.kind {
        IssuerKind::ClusterIssuer => format!("ClusterIssuer {}", r.name),
        IssuerKind::Issuer => format!("Issuer {namespace}/{}", r.name),
    }
}

/// The issuer in use and what was read of it: `Err` is the outcome when it is not there.
fn the_issuer<'a>(cx: &'a Cx<'_>) -> Result<(&'a IssuerRef, &'a Issuer), Outcome> {
    let Some(r) = &cx.spec.tls_issuer else { return Err(Outcome::Skip(NOT_IN_USE.into())) };
    if let Some(o) = cx.need(&[issuer_kind(r)]) {
        return Err(o);
    }
    match cx.snap.cert_manager.issuer(r, &cx.spec.gateway_namespace) {
        Some(i) => Ok((r, i)),
        None => Err(Outcome::Skip(format!("`{r}` does not exist (see cert-manager-issuer-missing)"))),
    }
}

/// `REASON: message`, either part left out when empty.
fn said(c: &Condition) -> String {
    match (c.reason.is_empty(), c.message.is_empty()) {
        (false, false) => format!("{}: {}", c.reason, c.message),
        (false, true) => c.reason.clone(),
        (true, false) => c.message.clone(),
        (true, true) => format!("{}={}", c.type_, c.status),
    }
}

fn issuer_missing(cx: &Cx<'_>) -> Outcome {
    let Some(r) = &cx.spec.tls_issuer else { return Outcome::Skip(NOT_IN_USE.into()) };
    let kind = issuer_kind(r);
    let ns = &cx.spec.gateway_namespace;
    let resource = issuer_resource(r, ns);
    if cx.snap.source(kind) == Source::NotInstalled {
        return found(vec![
            draft(
                resource,
                format!(
                    "`--tls-issuer {r}`: cert-manager is not installed (the API serves no `{}`)",
                    kind.resource()
                ),
            )
            .fix(format!(
                "install cert-manager (https://cert-manager.io/docs/installation/), create the {} `{}`, then re-run",
                r.kind.as_str(),
                r.name
            )),
        ]);
    }
    if let Some(o) = cx.need(&[kind]) {
        return o;
    }
    if cx.snap.cert_manager.issuer(r, ns).is_some() {
        return Outcome::Pass;
    }
    let existing: Vec<String> = cx
        .snap
        .cert_manager
        .issuers
        .iter()
        .filter(|i| i.kind == IssuerKind::ClusterIssuer || &i.namespace == ns)
        .map(|i| i.reference().to_string())
        .collect();
    let where_ = match r.kind {
        IssuerKind::ClusterIssuer => String::new(),
        IssuerKind::Issuer => {
            format!(" in namespace `{ns}` (an Issuer serves Certificates of its own namespace only)")
        }
    };
    let usable = if existing.is_empty() {
        "none is usable".to_owned()
    } else {
        format!("usable: {}", existing.join(", "))
    };
    found(vec![
        draft(
            resource,
            format!(
                "`--tls-issuer {r}`: the {} `{}` does not exist{where_}; {usable}",
                r.kind.as_str(),
                r.name
            ),
        )
        .fix(format!("kubectl get clusterissuers; kubectl get issuers -n {}", shell_quote(ns))),
    ])
}

fn issuer_not_ready(cx: &Cx<'_>) -> Outcome {
    let (r, issuer) = match the_issuer(cx) {
        Ok(found) => found,
        Err(o) => return o,
    };
    if is_true(&issuer.conditions, "Ready") {
        return Outcome::Pass;
    }
    let ns = &cx.spec.gateway_namespace;
    let why = condition(&issuer.conditions, "Ready").map_or_else(
        || "it has no Ready condition yet (is cert-manager's controller running?)".to_owned(),
        said,
    );
    found(vec![
        draft(issuer_resource(r, ns), format!("the {} `{}` is not Ready: {why}", r.kind.as_str(), r.name))
            .fix(format!("kubectl describe {}", r.kubectl_ref(&shell_quote(ns)))),
    ])
}

fn wildcard_http01(cx: &Cx<'_>) -> Outcome {
    let (r, issuer) = match the_issuer(cx) {
        Ok(found) => found,
        Err(o) => return o,
    };
    let names: Vec<String> = certmanager::planned(cx.spec)
        .into_iter()
        .flat_map(|c| c.dns_names)
        .filter(|n| !issuer.can_issue(n))
        .collect();
    if names.is_empty() {
        return Outcome::Pass;
    }
    let ns = &cx.spec.gateway_namespace;
    found(vec![
        draft(
            issuer_resource(r, ns),
            format!(
                "the {} `{}` cannot issue {}: its ACME solvers for {} are HTTP-01 only, and an ACME server validates a wildcard only through DNS-01",
                r.kind.as_str(),
                r.name,
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ),
        )
        .fix(format!(
            "add a dns01 solver for the domain (`kubectl edit {}`), or pass `--tls-issuer` naming an issuer that can issue wildcards (ACME with DNS-01, CA, Vault)",
            r.kubectl_ref(&shell_quote(ns))
        )),
    ])
}

/// The Certificates that fill the Gateway's listener secrets (or, before the Gateway, the
/// planned ones), with the listener each serves.
fn listener_certificates<'a>(cx: &'a Cx<'_>) -> Vec<(&'a CertificateObject, String)> {
    let cm = &cx.snap.cert_manager;
    match cx.gateway {
        Some(gw) => gw
            .listeners
            .iter()
            .flat_map(|l| {
                l.certificate_refs
                    .iter()
                    .filter_map(|(ns, name)| Some((cm.producing(ns, name)?, l.name.clone())))
            })
            .collect(),
        None => certmanager::planned(cx.spec)
            .into_iter()
            .filter_map(|c| Some((cm.producing(&cx.spec.gateway_namespace, &c.name)?, c.listener)))
            .collect(),
    }
}

/// Skips when cert-manager is neither in use nor installed; else whether `kinds` were read.
fn need_cert_manager(cx: &Cx<'_>, kinds: &[Kind]) -> Option<Outcome> {
    let absent = kinds.iter().any(|k| !cx.snap.was_read(*k));
    if cx.spec.tls_issuer.is_none() && absent {
        return Some(Outcome::Skip(format!("{NOT_IN_USE}, and its `{}` were not read", kinds[0].resource())));
    }
    cx.need(kinds)
}

fn certificate_not_ready(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = need_cert_manager(cx, &[Kind::Certificate, Kind::CertificateRequest]) {
        return o;
    }
    let cm = &cx.snap.cert_manager;
    found(
        listener_certificates(cx)
            .into_iter()
            .filter(|(c, _)| !is_true(&c.conditions, "Ready"))
            .map(|(c, listener)| {
                let (ns, name) = (&c.namespace, &c.name);
                let ready = condition(&c.conditions, "Ready");
                let mut message = match ready {
                    Some(ready) => format!("Certificate `{ns}/{name}` (listener `{listener}`) is not Ready: {}", said(ready)),
                    None => format!(
                        "Certificate `{ns}/{name}` (listener `{listener}`) has no Ready condition yet: cert-manager has not acted on it (is its controller running?)"
                    ),
                };
                if let Some(issuing) = condition(&c.conditions, "Issuing").filter(|i| i.status == "False" && i.reason == "Failed") {
                    message.push_str(&format!("; issuing failed: {}", issuing.message));
                }
                if let Some(req) = cm.latest_request(ns, name)
                    && let Some(why) = ["Denied", "InvalidRequest"]
                        .iter()
                        .filter_map(|t| condition(&req.conditions, t).filter(|c| c.status == "True"))
                        .chain(condition(&req.conditions, "Ready").filter(|c| c.status == "False"))
                        .next()
                {
                    message.push_str(&format!("; its latest CertificateRequest `{}`: {}", req.name, said(why)));
                }
                let d = draft(format!("Certificate {ns}/{name}"), message)
                    .fix(format!("kubectl describe certificate {} -n {}", shell_quote(name), shell_quote(ns)));
                if ready.is_none() { d.severity(super::Severity::Warning) } else { d }
            })
            .collect(),
    )
}

fn secret_not_produced(cx: &Cx<'_>) -> Outcome {
    let Some(issuer) = &cx.spec.tls_issuer else { return Outcome::Skip(NOT_IN_USE.into()) };
    if let Some(o) = cx.need(&[Kind::Certificate]) {
        return o;
    }
    let Some(gw) = cx.gateway else {
        return Outcome::Skip("no Gateway yet: `apply` creates the Certificates with it".into());
    };
    let cm = &cx.snap.cert_manager;
    found(
        gw.listeners
            .iter()
            .flat_map(|l| l.certificate_refs.iter().map(move |r| (l, r)))
            .filter(|(_, (ns, name))| cm.producing(ns, name).is_none())
            .map(|(l, (ns, name))| {
                draft(
                    format!("Secret {ns}/{name}"),
                    format!(
                        "listener `{}` serves secret `{ns}/{name}`, which no cert-manager Certificate writes: `{issuer}` never issues nor renews it",
                        l.name
                    ),
                )
                .fix(cx.command.command("apply", "--phase prepare"))
            })
            .collect(),
    )
}

fn annotation_ignored(cx: &Cx<'_>) -> Outcome {
    let Some(gw) = cx.gateway else { return Outcome::Skip("no Gateway".into()) };
    let cm = &cx.snap.cert_manager;
    let annotations: Vec<_> =
        cm.gateway_annotations.iter().filter(|a| a.namespace == gw.namespace && a.name == gw.name).collect();
    if annotations.is_empty() {
        return Outcome::Pass;
    }
    if let Some(o) = cx.need(&[Kind::CertManagerController]) {
        return o;
    }
    if cm.controllers.is_empty() {
        return Outcome::Skip("no cert-manager controller Deployment found by its labels".into());
    }
    if cm.controllers.iter().any(|c| matches!(c.gateway_api, GatewaySupport::Enabled { .. })) {
        return Outcome::Pass;
    }
    if let Some(path) = cm.controllers.iter().find_map(|c| match &c.gateway_api {
        GatewaySupport::InConfigFile { path } => Some(path),
        _ => None,
    }) {
        return Outcome::Skip(format!(
            "cert-manager's controller reads its Gateway setting from its config file `{path}`"
        ));
    }
    let controllers: Vec<String> =
        cm.controllers.iter().map(|c| format!("`{}/{}`", c.namespace, c.name)).collect();
    found(
        annotations
            .into_iter()
            .map(|a| {
                draft(
                    cx.gw_ref(),
                    format!(
                        "the Gateway carries `{}: {}`, but cert-manager's controller {} runs without Gateway support (no `--enable-gateway-api`): the annotation is ignored and no Certificate is made for the listeners",
                        a.annotation,
                        a.issuer,
                        controllers.join(", ")
                    ),
                )
                .fix(format!(
                    "helm upgrade cert-manager jetstack/cert-manager -n {} --reuse-values --set config.enableGatewayAPI=true",
                    shell_quote(&cm.controllers[0].namespace)
                ))
            })
            .collect(),
    )
}
