//! Doing: the actions of a decision, in order, each printed as it is done. A run stops at the
//! first action only a human can finish (helm absent, the Gateway not serving, DNS not moved) or
//! that fails, and says what was done, what was not, and the command that continues.

use std::path::PathBuf;
use std::time::Duration;

use runai_gateway_core::engine::{Action, DnsGate, Facts, secret_copy, state_ref};
use runai_gateway_core::plan::{DnsRecord, Plan};
use runai_gateway_core::state::{ObjectRef, STATE_NAME, StateRecord};
use runai_gateway_core::{SpecInput, Stage};

use super::checks::{self, DnsRow};
use super::order::{helm_group, stage_of};
use super::{Out, helm, rerun, show};
use crate::exit::Exit;
use crate::kube_args::KubeArgs;
use crate::read::observe::{ReadError, reading};
use crate::read::spinner::Spinner;
use crate::read::{Clusters, Failure, deadline};

/// What the run needs besides the actions.
pub struct Context<'a> {
    /// Cluster flags (Helm runs against the same kubeconfig and context).
    pub kube: &'a KubeArgs,
    /// The facts the decision was made from.
    pub facts: &'a Facts,
    /// The input (to recompute the DNS records once the Gateway has its address).
    pub input: &'a SpecInput,
    /// The plan.
    pub plan: &'a Plan,
    /// `--helm`.
    pub helm: Option<PathBuf>,
    /// `--dry-run=server`.
    pub server_dry: bool,
    /// `--yes`.
    pub yes: bool,
    /// `--wait`.
    pub wait: bool,
    /// `--wait-dns`.
    pub wait_dns: bool,
    /// `--timeout`: the bound on each wait.
    pub timeout: Duration,
    /// `--dns-server`.
    pub dns_server: Option<String>,
    /// `--probe-address`.
    pub probe_address: Option<String>,
}

/// A run in progress.
pub struct Runner<'a> {
    /// The report.
    pub out: Out,
    clusters: &'a mut Clusters,
    cx: Context<'a>,
    done: Vec<String>,
    left: Vec<String>,
    record: Option<StateRecord>,
    gateway_address: Option<String>,
    confirmed: bool,
    /// Whether this run has changed the cluster (a stop before is exit 6, after it exit 8).
    wrote: bool,
    /// The index of the action being done (the one a stopped run stopped at); the number of
    /// actions once all are done.
    at: usize,
}

mod annotate;
mod recover;
mod undo;

/// How an action ended: go on, or stop the run with this exit code.
type Step = Result<(), Exit>;

impl<'a> Runner<'a> {
    /// A runner for `actions` (the "not applied" list starts as every write they hold).
    pub fn new(out: Out, clusters: &'a mut Clusters, cx: Context<'a>, actions: &[Action]) -> Self {
        let left = actions.iter().filter_map(Action::progress_label).collect();
        // A resumed run starts from a cluster an earlier run changed.
        let wrote = cx.facts.state.is_some();
        Self {
            out,
            clusters,
            record: cx.facts.state.clone(),
            gateway_address: cx.facts.gateway_address.clone(),
            cx,
            done: Vec::new(),
            left,
            confirmed: false,
            wrote,
            at: 0,
        }
    }

    /// How far the run got: the index of the action it stopped at (the number of actions when it
    /// did them all), and the labels of the writes done.
    pub fn progress(&self) -> (usize, &[String]) {
        (self.at, &self.done)
    }

    fn step_done(&mut self) {
        self.wrote = true;
        if !self.left.is_empty() {
            self.done.push(self.left.remove(0));
        }
    }

    /// Asks once, before the first write (not in `--dry-run=server`, which stores nothing).
    fn confirm(&mut self, writes: bool) -> Step {
        if self.confirmed || !writes {
            return Ok(());
        }
        self.confirmed = true;
        if !self.cx.server_dry && !show::agreed(self.cx.yes, &mut self.out) {
            return Err(Exit::Aborted);
        }
        self.clusters.set_dry_run(self.cx.server_dry);
        Ok(())
    }

    /// A failed write of `apply`: what failed, the progress, and how to go on. No answer before
    /// this run changed anything is an unreachable cluster (exit 6, nothing changed).
    fn stop(&mut self, what: &str, e: &Failure) -> Exit {
        self.out.line(format!("✗ {what}: {e}"));
        if e.is_transport() && !self.wrote {
            self.out.line("Nothing was changed (the write was re-read: it did not happen). Re-run when the cluster answers:");
            self.out.line(format!("  {}", rerun("apply")));
            return Exit::Unreachable;
        }
        show::progress(&mut self.out, &self.done, &self.left);
        if e.is_conflict() {
            self.out.line("");
            self.out.line(
                "Another field manager owns a field this tool sets, with a different value (server-side apply conflict).",
            );
            self.out.line(
                "Look at the fields named above (`kubectl get ... --show-managed-fields -o yaml`); to take them over:",
            );
            self.out.line(format!("  {} --force-conflicts", rerun("apply")));
            self.out.line(format!("Roll back: {}", rerun("rollback")));
            return Exit::Conflict;
        }
        show::continue_or_roll_back(&mut self.out);
        Exit::Partial
    }

    /// A failed step of `rollback`.
    fn stop_rollback(&mut self, what: &str, e: &dyn std::fmt::Display) -> Exit {
        self.out.line(format!("✗ {what}: {e}"));
        self.out.line("Nothing after this step was done; the state record is kept. Run the rollback again:");
        self.out.line(format!("  {}", rerun("rollback")));
        Exit::Partial
    }

    /// Runs the consecutive Helm actions `group` (one stage), or prints them where helm is not
    /// run (server dry run) or not found.
    fn helm(&mut self, group: &[&Action], rollback: bool) -> Step {
        let Some(Action::Helm { stage, .. }) = group.first() else { return Ok(()) };
        let phase = stage.map_or("rollback", Stage::as_str);
        let lines = show::helm_lines(group.iter().copied(), self.cx.kube);
        if self.cx.server_dry {
            self.out.line(if rollback {
                "Dry run: helm is not run; the commands would be:".to_owned()
            } else {
                format!("{phase}: dry run, helm is not run; the commands would be:")
            });
            lines.iter().for_each(|l| self.out.line(format!("  {l}")));
            return Ok(());
        }
        let Some(bin) = helm::find(self.cx.helm.as_deref()) else {
            self.out.line(if rollback {
                "! `helm` was not found (PATH, or --helm PATH). Run these commands, then re-run rollback:".to_owned()
            } else {
                format!("! {phase}: `helm` was not found (PATH, or --helm PATH). Run these commands, then re-run apply, which sees they were done:")
            });
            lines.iter().for_each(|l| self.out.line(format!("  {l}")));
            if !rollback {
                show::progress(&mut self.out, &self.done, &self.left);
            }
            return Err(Exit::ManualStep);
        };
        for a in group {
            let Action::Helm { upgrade, version, .. } = a else { continue };
            let args = helm::args(upgrade, version, self.cx.kube);
            self.out.line(format!("  running {}", helm::command_line(&args)));
            if let Err(e) = helm::run(&bin, &args) {
                if rollback {
                    return Err(self.stop_rollback(&format!("helm upgrade {}", upgrade.release), &e));
                }
                self.out.line(format!("✗ helm upgrade {}: {e}", upgrade.release));
                show::progress(&mut self.out, &self.done, &self.left);
                show::continue_or_roll_back(&mut self.out);
                return Err(Exit::Partial);
            }
            self.out.line(if rollback {
                format!("✓ helm upgrade {}: Ingress on, Gateway API off", upgrade.release)
            } else {
                format!("✓ helm upgrade {} ({phase})", upgrade.release)
            });
            self.step_done();
        }
        Ok(())
    }

    /// Preflight: the catalog's prerequisite checks and the permissions, before any write.
    fn preflight(
        &mut self,
        permissions: &[runai_gateway_core::engine::Permission],
        foreign: &[runai_gateway_core::engine::ownership::Foreign],
    ) -> Result<Step, ReadError> {
        let mut problems = checks::judge(
            self.cx.kube,
            self.cx.input,
            &self.cx.plan.spec,
            &checks::preflight(&self.cx.plan.spec),
        )?;
        for f in foreign {
            problems.push(format!("{f}"));
        }
        if !foreign.is_empty() {
            problems.push(format!(
                "  this tool writes only what it made; to take these over (kept as they are in the state record, restored by rollback): {} --adopt (--force-conflicts adopts too, and takes conflicting fields)",
                rerun("apply")
            ));
        }
        let missing = checks::missing_permissions(self.clusters, permissions)?;
        if !missing.is_empty() {
            problems.push(format!("missing permissions ({}):", missing.len()));
            for p in &missing {
                problems.push(format!("  {}", super::show::permission(p)));
            }
        }
        if problems.is_empty() {
            self.out.line("✓ preflight");
            return Ok(Ok(()));
        }
        self.out.line("✗ preflight: nothing was changed");
        for p in &problems {
            self.out.line(format!("  {p}"));
        }
        self.out.line("  fix each problem above, then run the same command again");
        Ok(Err(Exit::Refused))
    }

    /// Verify: waits (with `--wait`) until the Gateway serves.
    fn verify(&mut self, probe: bool) -> Result<Step, ReadError> {
        let (kube, plan, address) = (&self.clusters.main, self.cx.plan, self.cx.probe_address.as_deref());
        let (args, input) = (self.cx.kube, self.cx.input);
        let what = format!(
            "waiting for Gateway {}/{} to serve",
            plan.spec.gateway_namespace, plan.spec.gateway_name
        );
        let problems =
            checks::poll((self.cx.wait, &what), self.cx.timeout, Duration::from_millis(500), || {
                let problems = checks::judge_then(args, input, &plan.spec, checks::VERIFY, |snap| {
                    runai_gateway_core::engine::awaiting(&plan.spec, snap)
                })?;
                if problems.is_empty() && probe {
                    return reading("the cluster CA", checks::probe_problems(kube, plan, address));
                }
                Ok(problems)
            });
        let wait = self.cx.wait;
        let problems = match problems {
            // A wait whose --timeout ran out mid-read: not serving yet, like one that ran out
            // between reads (exit 7); a failed read otherwise (exit 8 after writes).
            Err(e) if wait && crate::read::deadline::passed() => {
                vec![format!("reading {}: {}", e.what, e.failure)]
            }
            other => other?,
        };
        let spec = &plan.spec;
        if !problems.is_empty() {
            let after =
                if self.cx.wait { format!(" after {}s", self.cx.timeout.as_secs()) } else { String::new() };
            self.out.line(format!("! verify: the Gateway is not serving yet{after}:"));
            problems.iter().for_each(|p| self.out.line(format!("  {p}")));
            self.out.line(format!(
                "Check the controller (`kubectl describe gateway {} -n {}`), then re-run{}:",
                spec.gateway_name,
                spec.gateway_namespace,
                if self.cx.wait { "" } else { " (--wait polls until --timeout)" }
            ));
            self.out.line(format!("  {}", rerun("apply")));
            return Ok(Err(Exit::ManualStep));
        }
        let gw = self.clusters.main.get(&runai_gateway_core::engine::gateway_ref(spec));
        self.gateway_address = runai_gateway_core::engine::gateway_address(gw.ok().flatten().as_ref());
        self.out.line(format!(
            "✓ verify: Gateway programmed at {}, listeners resolved, routes accepted{}",
            self.gateway_address.as_deref().unwrap_or("?"),
            if probe { ", HTTPS answers for every hostname" } else { " (HTTPS probe skipped: --no-probe)" }
        ));
        Ok(Ok(()))
    }

    /// The DNS records with the Gateway's address as verify found it.
    fn dns_records(&self) -> Vec<DnsRecord> {
        let facts = Facts { gateway_address: self.gateway_address.clone(), ..self.cx.facts.clone() };
        facts.plan(self.cx.input, &self.cx.plan.spec).dns
    }

    /// Waits (with `--wait-dns`) until every record resolves to its target;
    /// whether they all do.
    fn await_dns(&mut self, gate: DnsGate, records: &[DnsRecord], target: Option<&str>) -> bool {
        let server = self.cx.dns_server.as_deref();
        let start = std::time::Instant::now();
        let wait = self.cx.wait_dns;
        let bound = deadline::left().map_or(self.cx.timeout, |l| l.min(self.cx.timeout));
        let place = match gate {
            DnsGate::SwitchDns { .. } => "the Gateway",
            DnsGate::Rollback => "the Ingress",
        };
        let progress =
            wait.then(|| Spinner::progress(&format!("waiting for DNS to point at {place}"), Some(bound)));
        loop {
            let rows: Vec<DnsRow> = checks::dns_rows(records, server, target);
            let ok = rows.iter().filter(|r| r.ok).count();
            if ok == rows.len() || !wait || start.elapsed() >= self.cx.timeout || deadline::passed() {
                drop(progress); // before stdout: on a terminal both share the screen
                return show::dns_result(&mut self.out, gate, &rows);
            }
            if let Some(p) = &progress {
                p.set_message(&format!("waiting for DNS: {ok} of {} records at {place}", rows.len()));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Keeps the Ingress in the state record, then deletes it.
    fn prune_ingress(&mut self, manifest: &serde_json::Value, uid: &str) -> Result<Step, ReadError> {
        let r = ObjectRef::of(manifest);
        if self.record.is_none() {
            let spec = &self.cx.plan.spec;
            let cm =
                reading("the state record", self.clusters.main.get(&state_ref(&spec.gateway_namespace)))?;
            self.record = cm.and_then(|cm| StateRecord::from_configmap(&cm).ok());
        }
        if let Some(rec) = &mut self.record {
            if !rec.pruned_ingresses.iter().any(|p| ObjectRef::of(p) == r) {
                rec.pruned_ingresses.push(manifest.clone());
            }
            let cm = rec.to_configmap();
            if let Err(e) = self.clusters.main.apply(&cm, true) {
                return Ok(Err(self.stop("recording the Ingresses to prune", &e)));
            }
        }
        if let Err(e) = self.clusters.main.delete(&r, uid) {
            return Ok(Err(self.stop(&format!("deleting {r}"), &e)));
        }
        self.out.line(format!("✓ deleted {r} (made by hand; kept in the state record for rollback)"));
        Ok(Ok(()))
    }

    /// Runs `apply`'s actions. `only` is `--phase`.
    ///
    /// # Errors
    /// A failed read (nothing after it was done).
    pub fn apply(&mut self, actions: &[Action], only: Option<Stage>) -> anyhow::Result<Exit> {
        let writes = actions.iter().any(Action::writes);
        let mut prepared = false;
        let mut i = 0;
        while i < actions.len() {
            self.at = i;
            let action = &actions[i];
            if !prepared && stage_of(action) > Some(Stage::Prepare) {
                prepared = true;
                if only.is_none() && !self.cx.server_dry {
                    self.out.line("✓ prepare");
                }
            }
            if let Action::Helm { .. } = action {
                let group = helm_group(actions, i);
                i += group.len();
                if let Err(exit) = self.confirm(writes).and_then(|()| self.helm(&group, false)) {
                    return Ok(exit);
                }
                continue;
            }
            i += 1;
            let step = match action {
                Action::Preflight { permissions, foreign } => match self.preflight(permissions, foreign)? {
                    Ok(()) if only == Some(Stage::Preflight) => return Ok(Exit::Success),
                    other => other,
                },
                // A server dry run validates the writes; it waits for nothing and deletes nothing.
                Action::Verify { .. }
                | Action::AwaitDns { .. }
                | Action::PruneIngress { .. }
                | Action::KeepIngresses(_)
                    if self.cx.server_dry =>
                {
                    Ok(())
                }
                Action::Verify { probe } => self.verify(*probe).or_else(|e| self.read_failed(e))?,
                Action::AwaitDns { gate, .. } => self.switch_dns(*gate, only),
                Action::PruneIngress { manifest, uid } => {
                    self.prune_ingress(manifest, uid).or_else(|e| self.read_failed(e))?
                }
                other => self.confirm(writes).and_then(|()| self.write(other)),
            };
            if let Err(exit) = step {
                return Ok(exit);
            }
        }
        self.at = actions.len();
        Ok(self.finish_apply(writes, only))
    }

    /// The switch-dns wait and its gate on disabling Ingress.
    fn switch_dns(&mut self, gate: DnsGate, only: Option<Stage>) -> Step {
        let records = self.dns_records();
        let target = self.gateway_address.clone();
        let ok = self.await_dns(gate, &records, target.as_deref());
        if only == Some(Stage::SwitchDns) {
            return Err(if ok { Exit::Success } else { Exit::ManualStep });
        }
        if !ok && !matches!(gate, DnsGate::SwitchDns { force: true }) {
            self.out.line(
                "Ingress stays on until DNS resolves to the Gateway. After the change, re-run (--wait-dns polls):",
            );
            self.out.line(format!("  {}", rerun("apply")));
            return Err(Exit::ManualStep);
        }
        Ok(())
    }

    /// One write of `apply` (not Helm, not prune).
    fn write(&mut self, action: &Action) -> Step {
        match action {
            Action::RecordState(record) => {
                self.record = Some(record.as_ref().clone());
                if self.cx.server_dry {
                    return Ok(());
                }
                let cm = record.to_configmap();
                let result = if self.cx.facts.state.is_some() {
                    // A resumed run adds what it adopts to the first record.
                    self.clusters.main.apply(&cm, true)
                } else {
                    self.clusters.main.create(&cm)
                };
                let at = ObjectRef::of(&cm);
                self.created("recording the state (nothing else was changed)", &at, result, false)?;
                let ns = &self.cx.plan.spec.gateway_namespace;
                self.out.line(format!("✓ recorded the state in ConfigMap {ns}/{STATE_NAME}"));
            }
            Action::CopySecret { to, from } => {
                let source = match self.clusters.main.get(from) {
                    Ok(Some(s)) => s,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(self.stop("copying the inference secret", &e)),
                };
                let result = self.clusters.main.create(&secret_copy(to, &source));
                self.created("copying the inference secret", to, result, false)?;
                self.out.line(format!("✓ copied Secret {}/{}", to.namespace, to.name));
                self.step_done();
            }
            Action::Apply { object, force, .. } => {
                if let Err(e) = self.clusters.main.apply(&object.manifest, *force) {
                    let r = ObjectRef::of(&object.manifest);
                    let in_place = |live: Option<&serde_json::Value>| {
                        live.is_some_and(|l| {
                            runai_gateway_core::diff::diff(&object.manifest, Some(l)).is_empty()
                        })
                    };
                    if !(e.is_transport() && self.lost_answer(&r, in_place)) {
                        return Err(self.stop(&format!("applying {}", object.reference()), &e));
                    }
                }
                self.out.line(format!("✓ applied {}", object.reference()));
                self.step_done();
            }
            Action::Annotate { object, annotations } => self.annotate(object, annotations, false)?,
            Action::KeepIngresses(refs) => {
                self.out.line(
                    "Ingresses made by hand that Run:ai does not remove (delete them with --prune-ingress):",
                );
                refs.iter().for_each(|r| self.out.line(format!("  {r}")));
            }
            _ => {}
        }
        Ok(())
    }

    fn finish_apply(&mut self, writes: bool, only: Option<Stage>) -> Exit {
        if self.cx.server_dry {
            self.out.line("Dry run (server): every write was validated by the server; nothing was stored.");
        } else if only.is_none() || only == Some(Stage::DisableIngress) {
            self.out.line(if self.done.is_empty() && !writes {
                "No changes: the migration is complete."
            } else {
                "✓ disable-ingress: the migration is complete."
            });
        }
        Exit::Success
    }
}
