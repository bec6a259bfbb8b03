//! The TLS checks: certificates and secrets.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found};
use crate::helm::shell_quote;
use crate::hostname;
use crate::manifests;
use crate::snapshot::Kind;
use crate::spec::Platform;

checks! { Tls:
    "secret-missing" => secret_missing, Error,
        "Every referenced TLS secret exists",
        "A listener without its certificate does not serve its hostnames.",
        "Create it: `kubectl create secret tls NAME -n NAMESPACE --cert FULLCHAIN --key KEY`.";
    "inference-secret-not-copied" => inference_secret, Error,
        "The inference secret is in the Gateway's namespace",
        "Ingress mode keeps it in `knative-serving`, but a Gateway reads certificates from its own namespace only.",
        "Copy it next to the Gateway (the `tls-secrets` step of `render -o helm` does it), keeping the original for rollback.";
    "cert-unreadable" => cert_unreadable, Error,
        "Every certificate can be parsed",
        "A secret whose `tls.crt` is not a PEM certificate fails the listener.",
        "Re-create the secret from the PEM files.";
    "cert-expired" => cert_expired, Error,
        "No certificate has expired (or is not valid yet)",
        "Clients refuse an expired certificate.",
        "Renew it and replace the secret.";
    "cert-expiring" => cert_expiring, Warning,
        "No certificate expires within 30 days",
        "An expiring certificate is an outage on a date you can see coming.",
        "Renew it before the date shown.";
    "cert-host-mismatch" => cert_host, Error,
        "Each certificate covers its listener's hostname",
        "A wildcard certificate does not cover the apex, nor a name two levels down; clients refuse the mismatch.",
        "Issue a certificate whose SANs include the hostname shown.";
    "cert-key-mismatch" => cert_key, Error,
        "Each secret's key is a private key that belongs to its certificate",
        "A `tls.key` that is not an unencrypted private key, or not the certificate's, makes every TLS handshake fail.",
        "Re-create the secret from the matching certificate and key.";
    "cert-chain-incomplete" => cert_chain, Warning,
        "Each certificate comes with its intermediates, in order",
        "Clients without the intermediate cannot build a path to a trusted root.",
        "Put the full chain (leaf first, then intermediates) in `tls.crt`.";
}

fn days(secs: i64) -> i64 {
    secs / 86_400
}

/// The (namespace, name, listener hostname) of every certificate the Gateway needs.
fn needed_certs(cx: &Cx<'_>) -> Vec<(String, String, String, String)> {
    match cx.gateway {
        Some(gw) => gw
            .listeners
            .iter()
            .flat_map(|l| {
                l.certificate_refs.iter().map(move |(ns, name)| {
                    (
                        ns.clone(),
                        name.clone(),
                        l.hostname.clone().unwrap_or_default(),
                        format!("listener `{}`", l.name),
                    )
                })
            })
            .collect(),
        None => manifests::listeners(cx.spec)
            .into_iter()
            .filter_map(|l| {
                Some((
                    cx.spec.gateway_namespace.clone(),
                    l.secret?,
                    l.hostname.unwrap_or_default(),
                    format!("listener `{}` (planned)", l.name),
                ))
            })
            .collect(),
    }
}

fn secret_missing(cx: &Cx<'_>) -> Outcome {
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    found(
        needed_certs(cx)
            .into_iter()
            .filter(|(ns, name, _, _)| cx.snap.secret(ns, name).is_none())
            // A secret a planned Certificate fills is cert-manager's to write, once applied.
            .filter(|(ns, name, _, _)| !crate::certmanager::fills(cx.spec, ns, name))
            // The inference secret sitting in Knative's namespace has its own check.
            .filter(|(_, name, _, _)| {
                !(name == &cx.spec.inference_secret
                    && cx.snap.secret(&cx.spec.knative_namespace, name).is_some())
            })
            .map(|(ns, name, host, user)| {
                draft(
                    format!("Secret {ns}/{name}"),
                    format!("secret `{ns}/{name}` for {user} (`{host}`) does not exist"),
                )
                .severity(cx.todo())
                .fix(format!(
                    "kubectl create secret tls {} -n {} --cert FULLCHAIN.pem --key KEY.pem",
                    shell_quote(&name),
                    shell_quote(&ns)
                ))
            })
            .collect(),
    )
}

fn inference_secret(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.inference_enabled() || cx.spec.platform != Platform::Kubernetes {
        return Outcome::Skip("inference is not routed through this Gateway".into());
    }
    if let Some(issuer) = &cx.spec.tls_issuer {
        return Outcome::Skip(format!(
            "cert-manager ({issuer}) issues the inference certificate next to the Gateway"
        ));
    }
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    let (gw_ns, kn_ns, name) =
        (&cx.spec.gateway_namespace, &cx.spec.knative_namespace, &cx.spec.inference_secret);
    if gw_ns == kn_ns || cx.snap.secret(gw_ns, name).is_some() || cx.snap.secret(kn_ns, name).is_none() {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            format!("Secret {kn_ns}/{name}"),
            format!(
                "the inference secret `{name}` exists only in `{kn_ns}`; the Gateway reads it from `{gw_ns}`"
            ),
        )
        .severity(cx.todo())
        .fix(cx.script("tls-secrets")),
    ])
}

/// Replacing a TLS secret in place from new PEM files.
fn replace_secret(s: &crate::snapshot::Secret) -> String {
    format!(
        "kubectl create secret tls {} -n {} --cert FULLCHAIN.pem --key KEY.pem --dry-run=client -o yaml | kubectl apply -f -",
        shell_quote(&s.name),
        shell_quote(&s.namespace)
    )
}

/// Parsed certificates the Gateway needs, with who needs them.
fn certs<'a>(cx: &'a Cx<'_>) -> Vec<(String, &'a crate::snapshot::Secret, String, String)> {
    needed_certs(cx)
        .into_iter()
        .filter_map(|(ns, name, host, user)| {
            cx.snap.secret(&ns, &name).map(|s| (format!("Secret {ns}/{name}"), s, host, user))
        })
        .collect()
}

fn cert_unreadable(cx: &Cx<'_>) -> Outcome {
    // No certificate read is none judged, not one that passed.
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    found(
        certs(cx)
            .into_iter()
            .filter_map(|(r, s, _, _)| {
                let e = s.certificate_error.as_ref()?;
                Some(draft(r, format!("`{}/{}`: {e}", s.namespace, s.name)).fix(replace_secret(s)))
            })
            .collect(),
    )
}

/// Runs `judge` over every parsed certificate the Gateway needs (secret, certificate, listener
/// hostname, who uses it); each message becomes a finding whose fix replaces the secret.
fn per_certificate(
    cx: &Cx<'_>,
    judge: impl Fn(&crate::snapshot::Secret, &crate::snapshot::Certificate, &str, &str) -> Option<String>,
) -> Outcome {
    if let Some(o) = cx.need(&[Kind::Secret]) {
        return o;
    }
    found(
        certs(cx)
            .into_iter()
            .filter_map(|(r, s, host, user)| {
                let message = judge(s, s.certificate.as_ref()?, &host, &user)?;
                Some(draft(r, message).fix(replace_secret(s)))
            })
            .collect(),
    )
}

fn cert_expired(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        if c.not_after <= cx.now {
            Some(format!("certificate in `{}/{}` expired on {}", s.namespace, s.name, c.not_after_text))
        } else if c.not_before > cx.now {
            Some(format!("certificate in `{}/{}` is not valid yet", s.namespace, s.name))
        } else {
            None
        }
    })
}

fn cert_expiring(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        // Saturating: a notAfter at the minimum time must not overflow (it is long expired).
        let left = c.not_after.saturating_sub(cx.now);
        (left > 0 && left < 30 * 86_400).then(|| {
            format!(
                "certificate in `{}/{}` expires in {} days ({})",
                s.namespace,
                s.name,
                days(left),
                c.not_after_text
            )
        })
    })
}

fn cert_host(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, host, user| {
        if host.is_empty() || hostname::any_covers(&c.dns_names, host) {
            return None;
        }
        let apex_hint = match host.strip_prefix("*.") {
            Some(apex) if c.dns_names.iter().any(|n| n == apex) => {
                format!(" (it covers the apex `{apex}`, not the wildcard)")
            }
            None if c.dns_names.iter().any(|n| n == &format!("*.{host}")) => {
                format!(" (a wildcard `*.{host}` does not cover the apex `{host}`)")
            }
            _ => String::new(),
        };
        let names = if c.dns_names.is_empty() { "no DNS names".to_owned() } else { c.dns_names.join(", ") };
        Some(format!(
            "certificate in `{}/{}` for {user} does not cover `{host}`: it names {names}{apex_hint}",
            s.namespace, s.name
        ))
    })
}

fn cert_key(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        if let Some(problem) = &c.key_error {
            return Some(format!("`{}/{}`: {problem}", s.namespace, s.name));
        }
        (c.key_matches == Some(false))
            .then(|| format!("the key in `{}/{}` does not belong to its certificate", s.namespace, s.name))
    })
}

fn cert_chain(cx: &Cx<'_>) -> Outcome {
    per_certificate(cx, |s, c, _, _| {
        if !c.chain_ordered {
            Some(format!(
                "the chain in `{}/{}` is out of order (each certificate must be followed by its issuer)",
                s.namespace, s.name
            ))
        } else if c.chain_length == 1 && !c.self_signed {
            Some(format!(
                "`{}/{}` holds only the leaf certificate, issued by `{}`; the intermediates are missing",
                s.namespace, s.name, c.issuer
            ))
        } else {
            None
        }
    })
}
