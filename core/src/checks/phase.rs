//! Where the migration stands ([`Phase`]) and what to do next, with the commands that do it.

use super::catalog::Severity;
use super::context::Cx;
use super::{Finding, NextStep, Phase, Unread, UnreadState};
use crate::snapshot::{Kind, Source};
use crate::spec::ControlPlaneLocation;

impl Cx<'_> {
    /// The command that performs `steps` (step ids of `render -o helm`): `apply` or `rollback`
    /// where they cover the step, the generated script for what they leave to the admin
    /// (installing the CRDs and the controller).
    pub(super) fn script(&self, steps: &str) -> String {
        if steps == "rollback-runai" {
            return self.command.command("rollback", "");
        }
        // The stage of the first step named: `apply` carries it out unless it is the script's.
        match steps.split(' ').next().and_then(crate::Stage::of_step) {
            Some(crate::Stage::Verify) => self.command.command("apply", "--wait"),
            Some(stage) => self.command.command("apply", &format!("--phase {stage}")),
            None => {
                self.command.command("render", &format!("-o helm > migrate.sh && bash migrate.sh {steps}"))
            }
        }
    }
}

pub(super) fn phase(cx: &Cx<'_>, dns_on_gateway: bool) -> Phase {
    let (c, b) = cx.settings();
    let disagree = matches!((c, b), (Some(c), Some(b)) if c.gateway_api_enabled.unwrap_or(false) != b.gateway_api_enabled.unwrap_or(false)
        || c.ingress_enabled.unwrap_or(true) != b.ingress_enabled.unwrap_or(true));
    let gw_on = cx.gateway_api_on();
    let explicitly_off = c.and_then(|s| s.gateway_api_enabled) == Some(false)
        || b.and_then(|s| s.gateway_api_enabled) == Some(false);
    if disagree || (cx.ingress_off() && !gw_on) {
        Phase::Inconsistent
    } else if gw_on && cx.ingress_off() {
        Phase::IngressDisabled
    } else if gw_on && dns_on_gateway {
        Phase::DnsSwitched
    } else if gw_on {
        Phase::RunaiIntroduced
    } else if explicitly_off {
        Phase::RolledBack
    } else if cx.gateway.is_some() {
        Phase::GatewayPrepared
    } else {
        Phase::IngressOnly
    }
}

pub(super) fn next_step(cx: &Cx<'_>, phase: Phase, findings: &[Finding]) -> NextStep {
    if let Some(f) = findings.iter().find(|f| f.severity == Severity::Error) {
        return NextStep { title: format!("fix `{}`: {}", f.id, f.message), command: f.fix.clone() };
    }
    let (title, steps) = match phase {
        // `apply` prepares the Gateway once the CRDs and a controller exist; installing those is
        // the admin's choice, which the generated script spells out.
        Phase::IngressOnly
            if findings
                .iter()
                .any(|f| f.id == "gateway-api-crds-missing" || f.id == "gatewayclass-missing") =>
        {
            ("install the Gateway API CRDs and a controller", Some("gateway-api controller"))
        }
        Phase::IngressOnly => ("prepare the Gateway next to the Ingress", Some("gateway")),
        Phase::GatewayPrepared => {
            ("introduce the Gateway to Run:ai (Ingress keeps serving)", Some("introduce"))
        }
        Phase::RunaiIntroduced => ("verify, then point DNS at the Gateway", Some("verify switch-dns")),
        Phase::DnsSwitched => ("turn Ingress off (cluster, then control plane)", Some("disable-ingress")),
        Phase::IngressDisabled => ("nothing: the migration is complete", None),
        Phase::RolledBack => ("nothing: Ingress serves; migrate again when ready", None),
        Phase::Inconsistent => ("make the control plane and the cluster agree", Some("introduce")),
        // Judged apart, by `unknown_next_step`: nothing follows from missing data.
        Phase::Unknown => ("read what the phase depends on first", None),
    };
    NextStep { title: title.into(), command: steps.map(|s| cx.script(s)) }
}

/// A read `phase` depends on, and the snapshot kind that holds its outcome.
struct Dependency<'a> {
    what: String,
    /// The Helm release it is, if one.
    release: Option<&'a crate::spec::Release>,
    kind: Kind,
    namespace: Option<String>,
    context: Option<String>,
    /// What was read stands in for the outcome (a release found by another list).
    present: bool,
}

/// The reads the phase depends on that were forbidden or failed (or read, but undecodable): with
/// any of them the phase would be judged from missing data, so it is [`Phase::Unknown`].
///
/// The phase depends on the Run:ai Helm releases (the cluster's, and the control plane's unless
/// it is NVIDIA's), read with this cluster's Secrets or, with `--control-plane-context`, in that
/// context; and on the Gateway unless the releases alone decide (its existence tells prepared
/// from not, its addresses whether DNS points at it).
pub(super) fn unread(cx: &Cx<'_>, phase: Phase) -> Vec<Unread> {
    let spec = cx.spec;
    let release = |r: &crate::spec::Release| format!("the Helm release `{}/{}`", r.namespace, r.release);
    let mut deps = vec![Dependency {
        what: release(&spec.cluster),
        release: Some(&spec.cluster),
        kind: Kind::Secret,
        namespace: None,
        context: None,
        present: cx.cluster.is_some(),
    }];
    if spec.control_plane != ControlPlaneLocation::Saas {
        let remote = spec.control_plane_context.is_some();
        deps.push(Dependency {
            what: release(&spec.backend),
            release: Some(&spec.backend),
            kind: if remote { Kind::ControlPlaneRelease } else { Kind::Secret },
            namespace: remote.then(|| spec.backend.namespace.clone()),
            context: spec.control_plane_context.clone(),
            present: cx.backend.is_some(),
        });
    }
    // The Gateway tells prepared from not, and its addresses whether DNS was switched.
    if matches!(
        phase,
        Phase::GatewayPrepared | Phase::IngressOnly | Phase::RunaiIntroduced | Phase::DnsSwitched
    ) {
        deps.push(Dependency {
            what: cx.gw_ref(),
            release: None,
            kind: Kind::Gateway,
            namespace: None,
            context: None,
            present: cx.gateway.is_some(),
        });
    }
    let mut out = Vec::new();
    for dep in deps.into_iter().filter(|d| !d.present) {
        let (state, message) = match cx.snap.source(dep.kind) {
            Source::Forbidden { message } => (UnreadState::Forbidden, message),
            Source::Failed { message } => (UnreadState::Failed, message),
            _ => match dep.release.and_then(|r| cx.snap.unreadable_release(&r.namespace, &r.release)) {
                Some(u) => (UnreadState::Unreadable, format!("revision {}: {}", u.revision, u.reason)),
                None => continue,
            },
        };
        let info = crate::kinds::of_snapshot_kind(dep.kind);
        out.push(Unread {
            what: dep.what,
            state,
            message,
            verb: "list",
            resource: info.plural.to_owned(),
            group: info.group().to_owned(),
            namespace: dep.namespace,
            context: dep.context,
        });
    }
    out
}

/// The next step of a phase that is unknown: what to grant (every forbidden read of the run, so
/// that one command gives `status` all it needs), or to read again once the API server answers.
pub(super) fn unknown_next_step(cx: &Cx<'_>, unread: &[Unread]) -> NextStep {
    if unread.iter().all(|u| u.state == UnreadState::Unreadable) {
        return NextStep {
            title: "the phase depends on a Helm release that cannot be decoded: see `runai-release-missing`"
                .into(),
            command: None,
        };
    }
    if !unread.iter().any(|u| u.state == UnreadState::Forbidden) {
        return NextStep {
            title: "read again once the API server answers: the phase depends on what failed".into(),
            command: Some(cx.command.command("status", "")),
        };
    }
    NextStep {
        title: "grant `list` on what was refused (the phase depends on it), then run status again".into(),
        command: Some(grant_command(cx, unread)),
    }
}

/// `kubectl create clusterrole` (or `role`) with `list` on every resource the run was refused,
/// bound to the user the API server named in its refusal.
fn grant_command(cx: &Cx<'_>, unread: &[Unread]) -> String {
    let mut resources: Vec<String> = cx
        .snap
        .sources
        .iter()
        .filter(|(k, s)| {
            matches!(s, Source::Forbidden { .. })
                && **k != Kind::ControlPlaneRelease
                && (cx.spec.tls_issuer.is_some() || !Kind::CERT_MANAGER.contains(k))
        })
        .map(|(k, _)| k.resource())
        .collect();
    crate::order::sort(&mut resources);
    resources.dedup();
    let messages = cx.snap.sources.values().filter_map(|s| match s {
        Source::Forbidden { message } => Some(message.as_str()),
        _ => None,
    });
    let subject = messages.filter_map(subject_of).next();
    // Without a user named in the refusal, the role is created and its binding left to the admin.
    let bind = |role: &str, there: &str, ns: &str, subject: Option<String>| {
        subject.map(|s| {
            format!("kubectl create {role}binding runai-gateway-status{there}{ns} --{role}=runai-gateway-status {s}")
        })
    };
    let mut commands = Vec::new();
    let context = |c: Option<&str>| c.map(|c| format!(" --context {c}")).unwrap_or_default();
    let here = context(cx.snap.context.as_deref());
    if !resources.is_empty() {
        commands.push(format!(
            "kubectl create clusterrole runai-gateway-status{here} --verb=list --resource={}",
            resources.join(",")
        ));
        commands.extend(bind("clusterrole", &here, "", subject.clone()));
    }
    // The control plane's release, read in its own context and namespace.
    for u in unread.iter().filter(|u| u.state == UnreadState::Forbidden && u.namespace.is_some()) {
        let ns = u.namespace.as_deref().unwrap_or_default();
        let there = context(u.context.as_deref());
        commands.push(format!(
            "kubectl create role runai-gateway-status{there} -n {ns} --verb=list --resource={}",
            u.resource_name()
        ));
        commands.extend(bind(
            "role",
            &there,
            &format!(" -n {ns}"),
            subject_of(&u.message).or_else(|| subject.clone()),
        ));
    }
    commands.join(" && ")
}

/// The subject of an RBAC refusal (`User "jane" cannot list …`) as `kubectl create
/// rolebinding` takes it: `--user=jane`, or `--serviceaccount=NS:NAME`.
fn subject_of(message: &str) -> Option<String> {
    let rest = message.split_once("User \"")?.1;
    let user = rest.split_once('"')?.0;
    if user.is_empty() || !user.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c)) {
        return None;
    }
    Some(match user.strip_prefix("system:serviceaccount:") {
        Some(sa) => format!("--serviceaccount={sa}"),
        None => format!("--user={user}"),
    })
}
