//! `rollback`: back to Ingress from any point of a migration, safe to run twice.
//!
//! Order: re-create the Ingresses `apply --prune-ingress` removed; one `helm upgrade` per release
//! (Ingress on, Gateway API off; cluster, then control plane); restore the recorded KnativeServing
//! fields; print and check the DNS records back to the Ingress; with `--prune`, delete what
//! `apply` created (label and field manager, and not recorded as pre-existing), and only once DNS
//! no longer points at the Gateway.

use std::path::PathBuf;

use runai_gateway_core::diff;
use runai_gateway_core::helm::{HelmUpgrade, HelmValue, ValueKind};
use runai_gateway_core::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use runai_gateway_core::plan::Ownership;
use runai_gateway_core::spec::{Spec, SpecInput};
use runai_gateway_core::state::{ObjectRef, STATE_NAME, StateRecord};
use serde_json::{Value, json};

use super::kube::{Failure, Kube};
use super::{
    Clusters, DryRun, Out, agreed, dns_status, helm, helm_key_diff, helm_lines, read_error, read_live, rerun,
};
use crate::exit::Exit;
use crate::kube_args::KubeArgs;

/// What `rollback` is asked to do.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// Cluster flags.
    pub kube: KubeArgs,
    /// The input.
    pub input: SpecInput,
    /// `--prune`.
    pub prune: bool,
    /// `--dry-run`.
    pub dry_run: Option<DryRun>,
    /// `--diff`.
    pub diff: bool,
    /// `--yes`.
    pub yes: bool,
    /// `--helm`.
    pub helm: Option<PathBuf>,
    /// `--dns-server`.
    pub dns_server: Option<String>,
}

/// The kinds `apply` may have created, by collection path, in deletion order.
const PRUNE_KINDS: [(&str, &str, &str); 4] = [
    ("gateway.networking.k8s.io/v1", "HTTPRoute", "/apis/gateway.networking.k8s.io/v1/httproutes"),
    (
        "gateway.kgateway.dev/v1alpha1",
        "HTTPListenerPolicy",
        "/apis/gateway.kgateway.dev/v1alpha1/httplistenerpolicies",
    ),
    ("gateway.networking.k8s.io/v1", "Gateway", "/apis/gateway.networking.k8s.io/v1/gateways"),
    ("v1", "Secret", "/api/v1/secrets"),
];

/// Whether `runai-gateway` is one of the object's field managers.
fn managed_by_us(obj: &Value) -> bool {
    obj["metadata"]["managedFields"]
        .as_array()
        .is_some_and(|m| m.iter().any(|e| e["manager"] == FIELD_MANAGER))
}

/// The objects `apply` created: our label, our field manager, and not recorded as pre-existing.
fn created_objects(kube: &Kube, state: Option<&StateRecord>) -> Result<Vec<(ObjectRef, String)>, Failure> {
    let mut out = Vec::new();
    for (api_version, kind, path) in PRUNE_KINDS {
        let items = kube.list(path, &[("labelSelector", format!("{MANAGED_BY_LABEL}={FIELD_MANAGER}"))])?;
        for mut item in items {
            item["apiVersion"] = json!(api_version);
            item["kind"] = json!(kind);
            if item["metadata"]["labels"][MANAGED_BY_LABEL] != FIELD_MANAGER || !managed_by_us(&item) {
                continue;
            }
            let r = ObjectRef::of(&item);
            if state.is_some_and(|s| s.existed_before(&r)) {
                continue;
            }
            out.push((r, item["metadata"]["uid"].as_str().unwrap_or_default().to_owned()));
        }
    }
    Ok(out)
}

/// The KnativeServing manifest that puts the recorded fields back, when anything differs.
fn knative_restore(
    kube: &Kube,
    live: &super::Live,
    state: Option<&StateRecord>,
) -> Result<Option<(Value, usize)>, Failure> {
    let Some(rec) = state.and_then(|s| s.knative_serving.as_ref()) else { return Ok(None) };
    let Some(planned) = live.plan.objects.iter().find(|o| o.ownership == Ownership::Fields) else {
        return Ok(None);
    };
    let r = ObjectRef::of(&planned.manifest);
    let Some(current) = kube.get(&r)? else { return Ok(None) };
    let desired = json!({
        "apiVersion": planned.manifest["apiVersion"],
        "kind": planned.manifest["kind"],
        "metadata": { "name": rec.name, "namespace": rec.namespace },
        "spec": rec.fields,
    });
    let mut changes = diff::diff(&desired, Some(&current)).len();
    // Fields the migration added (absent before) and that are still there.
    let added = runai_gateway_core::state::project(&current["spec"], &planned.manifest["spec"]);
    let before = &rec.fields;
    changes += diff::diff(&json!({ "spec": added }), Some(&json!({ "spec": before }))).len();
    Ok((changes > 0).then_some((desired, changes)))
}

/// Whether `u` has nothing to undo: every key already has its rollback value in effect, either
/// set in the release or, when unset there, as the chart's default (a key never set has the
/// chart's default, which for Run:ai 2.25 is Ingress on and the Gateway API off).
fn in_effect(live: &super::Live, u: &HelmUpgrade) -> bool {
    let Some(d) = live.release(u).and_then(|r| r.deployed.as_ref()) else { return false };
    u.values.iter().all(|v| {
        if v.value == "null" {
            // `--set KEY=null` removes the key: in effect when the release does not set it.
            return runai_gateway_core::state::lookup(&d.values, &v.key).is_none();
        }
        let effective = runai_gateway_core::state::lookup(&d.values, &v.key)
            .or_else(|| runai_gateway_core::state::lookup(&d.chart_values, &v.key));
        effective.is_none_or(|x| runai_gateway_core::state::as_flag_text(x) == v.value)
    })
}

/// `u` plus the typed keys the migration changed (`subdomainSupport` in path mode), set back to
/// their recorded values (`null`, which Helm reads as "remove the key", when they were unset).
fn with_restored(live: &super::Live, state: Option<&StateRecord>, u: &HelmUpgrade) -> HelmUpgrade {
    let mut out = u.clone();
    let (Some(rec), Some(d)) = (
        state.and_then(|s| s.release(&u.release, &u.namespace)),
        live.release(u).and_then(|r| r.deployed.as_ref()),
    ) else {
        return out;
    };
    let typed =
        live.plan.helm.introduce.iter().filter(|i| i.component == u.component).flat_map(|i| &i.values);
    for v in typed.filter(|v| v.kind == ValueKind::Typed) {
        let Some(before) = rec.values.get(&v.key) else { continue };
        let now = runai_gateway_core::state::lookup(&d.values, &v.key);
        let before = (!before.is_null()).then_some(before);
        if now != before && !out.values.iter().any(|o| o.key == v.key) {
            out.values.push(HelmValue {
                key: v.key.clone(),
                value: before.map_or_else(|| "null".to_owned(), runai_gateway_core::state::as_flag_text),
                kind: ValueKind::Typed,
            });
        }
    }
    out
}

/// Runs `rollback`.
///
/// # Errors
/// Failed reads (the caller reports them).
#[allow(clippy::too_many_lines)] // Steps in order, like the runbook.
pub fn rollback(opts: &RollbackOptions, spec: &Spec) -> anyhow::Result<Exit> {
    let mut out = Out::new();
    let Some(mut clusters) = Clusters::connect_or_report(&opts.kube, spec) else {
        return Ok(Exit::Unreachable);
    };
    let live = read_live(&clusters, &opts.input, spec)?;
    let spec = &live.plan.spec.clone();
    let state = live.state.clone();
    let kube = &clusters.main;
    out.line(format!(
        "Cluster {} · rollback to Ingress{}",
        kube.server,
        if spec.manages_backend() {
            ""
        } else {
            " · control plane: SaaS (only the cluster side is changed here)"
        }
    ));
    if state.is_none() {
        out.line(format!(
            "note: no state record (ConfigMap {}/{STATE_NAME}): KnativeServing fields are left as they are, and --prune deletes only objects carrying this tool's label and field manager",
            spec.gateway_namespace
        ));
    }

    // An upgrade whose values are already in effect (apply stopped before touching that release,
    // or a rollback ran) is not run.
    let upgrades: Vec<HelmUpgrade> =
        live.plan.helm.rollback.iter().map(|u| with_restored(&live, state.as_ref(), u)).collect();
    let helm_pending: Vec<&HelmUpgrade> =
        live.pending(&upgrades).into_iter().filter(|u| !in_effect(&live, u)).collect();
    let mut recreate = Vec::new();
    for ing in state.as_ref().map(|s| s.pruned_ingresses.clone()).unwrap_or_default() {
        let r = ObjectRef::of(&ing);
        if kube.get(&r).map_err(|e| read_error(&r.to_string(), &e))?.is_none() {
            recreate.push(ing);
        }
    }
    let knative =
        knative_restore(kube, &live, state.as_ref()).map_err(|e| read_error("KnativeServing", &e))?;
    let ingress_address =
        live.ingress_address.clone().or_else(|| state.as_ref().and_then(|s| s.ingress_address.clone()));
    let prune = if opts.prune {
        created_objects(kube, state.as_ref()).map_err(|e| read_error("objects to prune", &e))?
    } else {
        Vec::new()
    };
    let state_cm = if opts.prune {
        kube.get(&super::state_ref(spec))
            .map_err(|e| read_error("the state record", &e))?
            .filter(managed_by_us)
            .map(|cm| {
                (
                    ObjectRef::of(
                        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": cm["metadata"]}),
                    ),
                    cm["metadata"]["uid"].as_str().unwrap_or_default().to_owned(),
                )
            })
    } else {
        None
    };

    let nothing = helm_pending.is_empty()
        && recreate.is_empty()
        && knative.is_none()
        && prune.is_empty()
        && state_cm.is_none();
    let show_detail = opts.diff || opts.dry_run == Some(DryRun::Client);
    if nothing {
        out.line("No changes: Ingress is on and the Gateway API is off.");
    } else {
        out.line("Changes:");
        for i in &recreate {
            out.line(format!("  + re-create {} (removed by apply --prune-ingress)", ObjectRef::of(i)));
        }
        for u in &helm_pending {
            out.line(format!("  ~ helm upgrade {} (Ingress on, Gateway API off)", u.release));
            if show_detail {
                for l in helm_key_diff(&live, u) {
                    out.line(l);
                }
            }
        }
        if let Some((m, n)) = &knative {
            out.line(format!(
                "  ~ restore KnativeServing {}/{} ({n} field(s))",
                m["metadata"]["namespace"].as_str().unwrap_or_default(),
                m["metadata"]["name"].as_str().unwrap_or_default()
            ));
        }
        for (r, _) in &prune {
            out.line(format!("  - delete {r}"));
        }
        if let Some((r, _)) = &state_cm {
            out.line(format!("  - delete {r} (the state record, last)"));
        }
        if show_detail {
            let cmds = helm_lines(&live, &helm_pending, &opts.kube);
            if !cmds.is_empty() {
                out.line("Helm commands:");
                for c in cmds {
                    out.line(format!("  {c}"));
                }
            }
        }
    }
    if show_detail {
        out.line(if opts.diff {
            "Diff only: nothing was changed."
        } else {
            "Dry run (client): nothing was sent."
        });
        return Ok(Exit::Success);
    }
    let server_dry = opts.dry_run == Some(DryRun::Server);
    if !nothing && !server_dry && !agreed(opts.yes, &mut out) {
        return Ok(Exit::Aborted);
    }
    clusters.set_dry_run(server_dry);
    let kube = &clusters.main;

    let fail = |out: &mut Out, what: &str, e: &dyn std::fmt::Display| {
        out.line(format!("✗ {what}: {e}"));
        out.line("Nothing after this step was done; the state record is kept. Run the rollback again:");
        out.line(format!("  {}", rerun("rollback")));
        Exit::Partial
    };
    for ing in &recreate {
        if let Err(e) = kube.create(ing)
            && !matches!(e, Failure::Status { code: 409, .. })
        {
            return Ok(fail(&mut out, &format!("re-creating {}", ObjectRef::of(ing)), &e));
        }
        out.line(format!("✓ re-created {}", ObjectRef::of(ing)));
    }
    if !helm_pending.is_empty() {
        let lines = helm_lines(&live, &helm_pending, &opts.kube);
        if server_dry {
            out.line("Dry run: helm is not run; the commands would be:");
            for l in &lines {
                out.line(format!("  {l}"));
            }
        } else {
            match helm::find(opts.helm.as_deref()) {
                None => {
                    out.line("! `helm` was not found (PATH, or --helm PATH). Run these commands, then re-run rollback:");
                    for l in &lines {
                        out.line(format!("  {l}"));
                    }
                    return Ok(Exit::ManualStep);
                }
                Some(bin) => {
                    for u in &helm_pending {
                        let version = live
                            .release(u)
                            .and_then(|r| r.deployed.as_ref())
                            .map(|d| d.chart_version.clone())
                            .unwrap_or_default();
                        let args = helm::args(u, &version, &opts.kube);
                        out.line(format!("  running {}", helm::command_line(&args)));
                        if let Err(e) = helm::run(&bin, &args) {
                            return Ok(fail(&mut out, &format!("helm upgrade {}", u.release), &e));
                        }
                        out.line(format!("✓ helm upgrade {}: Ingress on, Gateway API off", u.release));
                    }
                }
            }
        }
    }
    if let Some((m, _)) = &knative {
        if let Err(e) = kube.apply(m, true) {
            return Ok(fail(&mut out, "restoring KnativeServing", &e));
        }
        out.line("✓ restored the recorded KnativeServing fields");
    }

    // DNS back to the Ingress.
    let status = dns_status(&live, opts.dns_server.as_deref(), ingress_address.as_deref());
    let dns_back = status.iter().all(|(_, _, ok)| *ok);
    if dns_back {
        out.line("✓ DNS resolves to the Ingress");
    } else {
        out.line("! point these DNS records back at the Ingress (this tool cannot change DNS):");
        for (rec, (_, answer, ok)) in live.plan.dns.iter().zip(&status) {
            let now = match answer {
                Ok(a) if a.is_empty() => "no answer".to_owned(),
                Ok(a) => a.join(","),
                Err(e) => e.clone(),
            };
            out.line(format!(
                "  {:<36} -> {:<18} now {now}{}",
                rec.name,
                rec.ingress_target,
                if *ok { " ✓" } else { "" }
            ));
        }
    }
    if !prune.is_empty() || state_cm.is_some() {
        if !dns_back {
            out.line("--prune waits until DNS no longer points at the Gateway (deleting it now would cut traffic); re-run after the DNS change:");
            out.line(format!("  {}", rerun("rollback")));
            return Ok(Exit::ManualStep);
        }
        for (r, uid) in prune.iter().chain(&state_cm) {
            if let Err(e) = kube.delete(r, uid) {
                return Ok(fail(&mut out, &format!("deleting {r}"), &e));
            }
            out.line(format!("✓ deleted {r}"));
        }
    }
    if server_dry {
        out.line("Dry run (server): every write was validated by the server; nothing was stored.");
        return Ok(Exit::Success);
    }
    if !dns_back {
        return Ok(Exit::ManualStep);
    }
    out.line(if nothing {
        "Rolled back already: nothing to do."
    } else {
        "✓ rolled back: Ingress serves, the Gateway API is off."
    });
    Ok(Exit::Success)
}
