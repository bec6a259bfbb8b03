//! The views of a decision: the summary of changes (with `--diff` and `--dry-run=client`, field
//! by field), the Helm commands, the progress of a stopped run and the hints that continue it.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use runai_gateway_core::diff;
use runai_gateway_core::engine::{Action, DnsGate};
use runai_gateway_core::state::{ObjectRef, STATE_NAME};
use runai_gateway_core::{Spec, Stage};

use super::{Out, helm, rerun};
use crate::kube_args::KubeArgs;

/// The first line of a run: the cluster, the Gateway, and whether the control plane is left out.
pub fn header(out: &mut Out, server: &str, spec: &Spec, what: &str) {
    out.line(format!(
        "Cluster {server} · {what}{}",
        if spec.manages_backend() {
            ""
        } else {
            " · control plane: SaaS (only the cluster side is changed here)"
        }
    ));
}

/// One permission, as preflight lists it: ``get gateways.gateway.networking.k8s.io in namespace
/// `runai` (the Gateway)``, and how to check it.
pub fn permission(p: &runai_gateway_core::engine::Permission) -> String {
    let resource =
        if p.group.is_empty() { p.resource.clone() } else { format!("{}.{}", p.resource, p.group) };
    let (scope, flag) = if p.namespace.is_empty() {
        ("in all namespaces".to_owned(), "--all-namespaces".to_owned())
    } else {
        (format!("in namespace `{}`", p.namespace), format!("-n {}", p.namespace))
    };
    format!("{} {resource} {scope} ({}) · kubectl auth can-i {} {resource} {flag}", p.verb, p.why, p.verb)
}

/// The end of a run (`step`: `preflight`, `rollback`) that may not read or write all it needs:
/// every permission missing, the reads' and the writes', and the fix; nothing was decided or
/// changed.
pub fn refused(out: &mut Out, step: &str, missing: &[runai_gateway_core::engine::Permission]) {
    out.line(format!("✗ {step}: nothing was changed"));
    out.line(format!("  missing permissions ({}):", missing.len()));
    for p in missing {
        out.line(format!("    {}", permission(p)));
    }
    out.line(
        "  fix: grant them (a Role with these rules in each namespace named, bound to this user; a ClusterRole for \"all namespaces\"), or run as a user who has them",
    );
}

/// The `helm upgrade` command lines of the Helm actions among `actions`.
pub fn helm_lines<'a>(actions: impl IntoIterator<Item = &'a Action>, kube: &KubeArgs) -> Vec<String> {
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Helm { upgrade, version, .. } => {
                Some(helm::command_line(&helm::args(upgrade, version, kube)))
            }
            _ => None,
        })
        .collect()
}

fn key_diff(out: &mut Out, action: &Action) {
    if let Action::Helm { key_changes, .. } = action {
        for k in key_changes {
            out.line(format!("  {k}"));
        }
    }
}

/// One summary line per write of `apply`, with the field changes when `detail`.
pub fn apply_changes(out: &mut Out, actions: &[Action], detail: bool, kube: &KubeArgs, spec: &Spec) {
    if !actions.iter().any(Action::writes) {
        out.line("Prepare, introduce and disable-ingress: no changes.");
        return;
    }
    out.line("Changes:");
    for a in actions {
        match a {
            Action::CopySecret { to, from } => out.line(format!(
                "  + copy Secret {}/{} to namespace `{}` (the Gateway reads its secrets from its own namespace)",
                from.namespace, to.name, to.namespace
            )),
            Action::Apply { object, exists, changes, .. } => {
                let (mark, verb) = if *exists { ("~", "update") } else { ("+", "create") };
                out.line(format!("  {mark} {verb} {} ({} field(s))", object.reference(), changes.len()));
                if detail {
                    out.line(diff::render(changes).trim_end());
                }
            }
            Action::Annotate { object, annotations } => annotate_line(out, object, annotations),
            Action::Helm { stage, upgrade, .. } => {
                let phase = match stage {
                    Some(Stage::DisableIngress) => "disable-ingress, once DNS resolves to the Gateway",
                    _ => "introduce",
                };
                out.line(format!("  ~ helm upgrade {} ({phase})", upgrade.release));
                if detail {
                    key_diff(out, a);
                }
            }
            _ => {}
        }
    }
    if detail {
        if actions.iter().any(|a| matches!(a, Action::RecordState(_))) {
            out.line(format!(
                "  + create ConfigMap {}/{STATE_NAME} (the state record for rollback)",
                spec.gateway_namespace
            ));
        }
        commands(out, actions, kube);
    }
}

/// One summary line per write of `rollback`, with the Helm keys when `detail`.
pub fn rollback_changes(out: &mut Out, actions: &[Action], detail: bool, kube: &KubeArgs) {
    if !actions.iter().any(Action::writes) {
        out.line("No changes: Ingress is on and the Gateway API is off.");
        return;
    }
    out.line("Changes:");
    for a in actions {
        match a {
            Action::Recreate(m) => {
                out.line(format!("  + re-create {} (removed by apply --prune-ingress)", ObjectRef::of(m)));
            }
            Action::Helm { upgrade, .. } => {
                out.line(format!("  ~ helm upgrade {} (Ingress on, Gateway API off)", upgrade.release));
                if detail {
                    key_diff(out, a);
                }
            }
            Action::Annotate { object, annotations } => annotate_line(out, object, annotations),
            Action::RestoreKnative { manifest, fields } => out.line(format!(
                "  ~ restore KnativeServing {}/{} ({fields} field(s))",
                manifest["metadata"]["namespace"].as_str().unwrap_or_default(),
                manifest["metadata"]["name"].as_str().unwrap_or_default()
            )),
            Action::Restore { manifest, changes } => {
                out.line(format!(
                    "  ~ restore {} as it was before apply --adopt ({} field(s))",
                    ObjectRef::of(manifest),
                    changes.len()
                ));
                if detail {
                    changes.iter().for_each(|c| out.line(format!("      {c}")));
                }
            }
            Action::Delete { object, state_record: false, .. } => out.line(format!("  - delete {object}")),
            Action::Delete { object, state_record: true, .. } => {
                out.line(format!("  - delete {object} (the state record, last)"));
            }
            _ => {}
        }
    }
    if detail {
        commands(out, actions, kube);
    }
}

fn commands(out: &mut Out, actions: &[Action], kube: &KubeArgs) {
    let cmds = helm_lines(actions, kube);
    if !cmds.is_empty() {
        out.line("Helm commands:");
        for c in cmds {
            out.line(format!("  {c}"));
        }
    }
}

/// The closing line of `--diff` and `--dry-run=client`.
pub fn nothing_sent(out: &mut Out, diff_only: bool) {
    out.line(if diff_only {
        "Diff only: nothing was changed."
    } else {
        "Dry run (client): nothing was sent."
    });
}

/// What was applied and what was not, for a stopped run.
pub fn progress(out: &mut Out, done: &[String], left: &[String]) {
    if !done.is_empty() {
        out.line("Applied:");
        for d in done {
            out.line(format!("  ✓ {d}"));
        }
    }
    if !left.is_empty() {
        out.line("Not applied:");
        for l in left {
            out.line(format!("  - {l}"));
        }
    }
}

/// The lines that continue or undo a stopped `apply`.
pub fn continue_or_roll_back(out: &mut Out) {
    out.line("");
    out.line("The state record is kept. Continue (it picks up where this run stopped):");
    out.line(format!("  {}", rerun("apply")));
    out.line("or roll back:");
    out.line(format!("  {}", rerun("rollback")));
}

/// Says whether every record resolves to its target, else prints the table of the records.
pub fn dns_result(out: &mut Out, gate: DnsGate, rows: &[super::checks::DnsRow]) -> bool {
    if rows.iter().all(|r| r.ok) {
        out.line(match gate {
            DnsGate::SwitchDns { .. } => "✓ switch-dns: every record resolves to the Gateway",
            DnsGate::Rollback => "✓ DNS resolves to the Ingress",
        });
        return true;
    }
    dns_table(out, gate, rows);
    false
}

/// The DNS table of a wait that did not end well.
pub fn dns_table(out: &mut Out, gate: DnsGate, rows: &[super::checks::DnsRow]) {
    match gate {
        DnsGate::SwitchDns { .. } => {
            out.line("! switch-dns: point these DNS records at the Gateway (this tool cannot change DNS):");
            out.line(format!(
                "  {:<36} {:<6} {:<18} {:<18} now",
                "NAME", "TYPE", "OLD (Ingress)", "NEW (Gateway)"
            ));
            for r in rows {
                out.line(format!(
                    "  {:<36} {:<6} {:<18} {:<18} {}{}",
                    r.record.name,
                    r.record.record_type,
                    r.record.ingress_target,
                    r.record.gateway_target,
                    r.now,
                    if r.ok { " ✓" } else { "" }
                ));
            }
        }
        DnsGate::Rollback => {
            out.line("! point these DNS records back at the Ingress (this tool cannot change DNS):");
            for r in rows {
                out.line(format!(
                    "  {:<36} -> {:<18} now {}{}",
                    r.record.name,
                    r.record.ingress_target,
                    r.now,
                    if r.ok { " ✓" } else { "" }
                ));
            }
        }
    }
}

/// Asks on the terminal; `false` unless the answer is yes.
fn confirm(question: &str) -> bool {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Whether the user agreed (`--yes`, or yes on a terminal); says why not otherwise.
pub fn agreed(yes: bool, out: &mut Out) -> bool {
    if yes {
        return true;
    }
    if !std::io::stdin().is_terminal() {
        out.line("");
        out.line("Nothing was changed: confirmation needs a terminal; pass --yes to proceed without one.");
        return false;
    }
    if confirm("Apply these changes?") {
        true
    } else {
        out.line("Aborted: nothing was changed.");
        false
    }
}

/// The summary line of an annotation change.
fn annotate_line(
    out: &mut Out,
    object: &ObjectRef,
    annotations: &std::collections::BTreeMap<String, Option<String>>,
) {
    let keys: Vec<String> = annotations
        .iter()
        .map(|(k, v)| v.as_ref().map_or_else(|| format!("{k}-"), |v| format!("{k}={v}")))
        .collect();
    out.line(format!("  ~ annotate {object} {} (external-dns)", keys.join(" ")));
}
