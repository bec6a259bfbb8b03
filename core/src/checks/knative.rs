//! The Knative checks: Knative Serving and Kourier.

use super::catalog::checks;
use super::context::{Cx, Outcome, draft, found, version_below};
use crate::helm::shell_quote;
use crate::manifests;
use crate::snapshot::{Kind, Source, condition, is_true};
use crate::spec::Platform;

checks! { Knative:
    "knative-missing" => knative_missing, Error,
        "Knative Serving is installed",
        "Run:ai inference runs on Knative Serving behind Kourier.",
        "Install the Knative operator (1.19 or later) and the KnativeServing object.";
    "knative-not-ready" => knative_not_ready, Error,
        "Knative Serving is Ready",
        "A Knative Serving that is not ready does not serve inference.",
        "Read its conditions: `kubectl describe knativeserving -n knative-serving`.";
    "knative-version-unsupported" => knative_version, Warning,
        "Knative Serving is 1.19–1.21",
        "Run:ai supports Knative 1.19 to 1.21; the documented operator 1.18.2 installs 1.18.",
        "Use a Knative operator of 1.19 or later, or set `spec.version`.";
    "knative-domain-mismatch" => knative_domain, Error,
        "Knative's domain is the inference domain",
        "Knative builds inference hostnames from its domain; the route and listener only accept the inference domain.",
        "Apply the rendered KnativeServing fields.";
    "knative-network-mismatch" => knative_network, Error,
        "Knative uses Kourier with https URLs and one-label hostnames",
        "Another ingress class bypasses Kourier; a domain template with dots creates hosts a one-level wildcard certificate does not cover.",
        "Apply the rendered KnativeServing fields.";
}

fn knative<'a>(cx: &Cx<'a>) -> Option<&'a crate::snapshot::KnativeServing> {
    cx.snap.knative_servings.iter().find(|k| k.namespace == cx.spec.knative_namespace)
}

fn knative_missing(cx: &Cx<'_>) -> Outcome {
    if !cx.spec.inference_enabled() {
        return Outcome::Skip("inference is off".into());
    }
    if cx.snap.source(Kind::KnativeServing) == Source::NotInstalled {
        return found(vec![draft(None, "the KnativeServing CRD is not installed (no Knative operator)").fix(
            "helm install knative-operator --create-namespace --namespace knative-operator knative-operator/knative-operator",
        )]);
    }
    if let Some(o) = cx.need(&[Kind::KnativeServing]) {
        return o;
    }
    if knative(cx).is_some() {
        Outcome::Pass
    } else {
        found(vec![draft(None, format!("no KnativeServing in namespace `{}`", cx.spec.knative_namespace))])
    }
}

fn knative_not_ready(cx: &Cx<'_>) -> Outcome {
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    if is_true(&k.conditions, "Ready") {
        return Outcome::Pass;
    }
    let why = condition(&k.conditions, "Ready")
        .map_or_else(|| "no Ready condition".into(), |c| format!("{}: {}", c.reason, c.message));
    found(vec![
        draft(
            format!("KnativeServing {}/{}", k.namespace, k.name),
            format!("Knative Serving is not ready: {why}"),
        )
        .fix(format!(
            "kubectl describe knativeserving {} -n {}",
            shell_quote(&k.name),
            shell_quote(&k.namespace)
        )),
    ])
}

fn knative_version(cx: &Cx<'_>) -> Outcome {
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    let Some(v) = &k.version else { return Outcome::Skip("Knative reports no version".into()) };
    let (lo, hi) = crate::plan::KNATIVE_SUPPORTED;
    let ok = version_below(v, 1, u64::from(lo)) == Some(false)
        && version_below(v, 1, u64::from(hi) + 1) == Some(true);
    if ok {
        Outcome::Pass
    } else {
        found(vec![draft(
            format!("KnativeServing {}/{}", k.namespace, k.name),
            format!("Knative Serving {v} is outside the supported 1.{lo}–1.{hi}"),
        )])
    }
}

fn knative_domain(cx: &Cx<'_>) -> Outcome {
    let Some(domain) = &cx.spec.inference_domain else { return Outcome::Skip("inference is off".into()) };
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    if k.domains.iter().any(|d| d == domain) {
        return Outcome::Pass;
    }
    found(vec![
        draft(
            format!("KnativeServing {}/{}", k.namespace, k.name),
            format!(
                "Knative's domain is {}, not the inference domain `{domain}`",
                if k.domains.is_empty() {
                    "unset".to_owned()
                } else {
                    k.domains.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
                }
            ),
        )
        .fix(cx.script("gateway")),
    ])
}

fn knative_network(cx: &Cx<'_>) -> Outcome {
    if cx.spec.platform != Platform::Kubernetes || !cx.spec.inference_enabled() {
        return Outcome::Skip("OpenShift Serverless manages its own ingress".into());
    }
    let Some(k) = knative(cx) else { return Outcome::Skip("no KnativeServing".into()) };
    let mut problems = Vec::new();
    if k.ingress_class.as_deref() != Some(manifests::KOURIER_INGRESS_CLASS) {
        problems.push(format!(
            "ingress class is `{}`, not Kourier",
            k.ingress_class.as_deref().unwrap_or("unset")
        ));
    }
    if k.kourier_enabled != Some(true) {
        problems.push("Kourier is not enabled (`spec.ingress.kourier.enabled`)".to_owned());
    }
    if k.external_scheme.as_deref() != Some("https") {
        problems.push(format!(
            "external scheme is `{}`, not https",
            k.external_scheme.as_deref().unwrap_or("http (default)")
        ));
    }
    if let Some(t) = &k.domain_template
        && template_labels(t) > 1
    {
        problems.push(format!("domain template `{t}` makes hosts more than one label below the domain"));
    }
    found(
        problems
            .into_iter()
            .map(|p| draft(format!("KnativeServing {}/{}", k.namespace, k.name), p).fix(cx.script("gateway")))
            .collect(),
    )
}

/// How many dots a Knative domain template puts in a hostname, template actions (`{{.Name}}`)
/// counted as one word each: `{{.Name}}-{{.Namespace}}.{{.Domain}}` has one.
fn template_labels(template: &str) -> usize {
    let mut plain = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        plain.push_str(&rest[..start]);
        plain.push('x');
        rest = rest[start..].find("}}").map_or("", |end| &rest[start + end + 2..]);
    }
    plain.push_str(rest);
    plain.matches('.').count()
}
