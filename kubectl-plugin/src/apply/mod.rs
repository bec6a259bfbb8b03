//! `apply` and `rollback` against a live cluster: read, ask the core's engine what to do, show
//! it, and do it.
//!
//! Every run first reads where the migration stands ([`crate::read::observe`]); the core
//! decides the ordered actions ([`runai_gateway_core::engine`]); the summary, `--diff`,
//! `--dry-run` and the confirmation are views of those actions ([`show`]), and the run carries
//! them out in order ([`execute`]). So a re-run continues where the last one stopped, a run on a
//! finished cluster writes nothing, and what is printed before the question is what is done.

mod checks;
mod execute;
pub mod helm;
mod lease;
mod order;
mod remains;
pub mod result;
mod show;

use std::path::PathBuf;
use std::time::Duration;

use runai_gateway_core::Stage;
use runai_gateway_core::engine::{
    Action, ApplyChoices, Permission, RollbackChoices, decide_apply, decide_rollback,
};
use runai_gateway_core::helm::shell_quote;
use runai_gateway_core::kinds;
use runai_gateway_core::manifests::{FIELD_MANAGER, MANAGED_BY_LABEL};
use runai_gateway_core::spec::{Spec, SpecInput, defaults};
use runai_gateway_core::state::{STATE_NAME, StateRecord};

use self::execute::{Context, Runner};
use self::result::{Mode, RunOutput};
use crate::exit::Exit;
use crate::input::InputError;
use crate::kube_args::KubeArgs;
use crate::read::observe::{self, ReadError, reading};
use crate::read::{Cluster, Clusters};

/// `--dry-run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    /// Print every change; send nothing
    Client,
    /// Send every write with `dryRun=All`; the server validates, stores nothing
    Server,
}

/// What `apply` is asked to do.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Cluster flags.
    pub kube: KubeArgs,
    /// The input (config file and flags merged).
    pub input: SpecInput,
    /// `--phase`.
    pub phase: Option<Stage>,
    /// `--dry-run`.
    pub dry_run: Option<DryRun>,
    /// `--diff`.
    pub diff: bool,
    /// `--yes`.
    pub yes: bool,
    /// `--helm`.
    pub helm: Option<PathBuf>,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// `--adopt`.
    pub adopt: bool,
    /// `--force-unlock`.
    pub force_unlock: bool,
    /// `--wait`.
    pub wait: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--wait-dns`.
    pub wait_dns: bool,
    /// `--force`.
    pub force: bool,
    /// `--prune-ingress`.
    pub prune_ingress: bool,
    /// `--dns-server`.
    pub dns_server: Option<String>,
    /// Probe HTTPS through the Gateway in `verify` (`--no-probe` turns it off).
    pub probe: bool,
    /// `--probe-address`.
    pub probe_address: Option<String>,
    /// `-o json|yaml`: the result document on stdout, the report on stderr.
    pub output: Option<RunOutput>,
}

/// What `rollback` is asked to do.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// Cluster flags.
    pub kube: KubeArgs,
    /// The input; empty means "the one `apply` recorded".
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
    /// `--timeout`: the bound on the whole run.
    pub timeout: Duration,
    /// `--force-unlock`.
    pub force_unlock: bool,
    /// `--wait-dns`: poll until DNS is back on the Ingress (within `--timeout`).
    pub wait_dns: bool,
    /// `-o json|yaml`: the result document on stdout, the report on stderr.
    pub output: Option<RunOutput>,
}

/// The report, written line by line as the run goes: to stdout (a closed pipe is not an error),
/// or to stderr when stdout carries the `-o json|yaml` document.
pub struct Out {
    stderr: bool,
}

impl Out {
    /// The report of a run with `-o` `output`.
    #[must_use]
    pub fn new(output: Option<RunOutput>) -> Self {
        Self { stderr: output.is_some() }
    }

    /// One line, printed at once.
    pub fn line(&mut self, line: impl AsRef<str>) {
        let text = format!("{}\n", line.as_ref());
        if self.stderr {
            use std::io::Write as _;
            let _ = std::io::stderr().write_all(text.as_bytes());
        } else {
            let _ = crate::output::print(&text);
        }
    }
}

/// The command line of this run with its subcommand replaced by `verb` and the flags `verb` does
/// not take left out (for the "continue" and "roll back" hints). Which flags each subcommand
/// takes, and which carry a value, is read from the command-line definition itself. A hint to
/// roll back is for the real thing, confirmed by the user: see [`NOT_CARRIED`].
pub fn rerun(verb: &str) -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    rerun_from(&args, verb)
}

/// Flags of this run that a roll-back hint leaves out although `rollback` takes them: the
/// preview flags, the confirmation, and the permissions to take over objects or a lock.
const NOT_CARRIED: [&str; 6] = ["dry-run", "diff", "yes", "y", "adopt", "force-unlock"];

/// [`rerun`] for given arguments (without the program name).
fn rerun_from(args: &[String], verb: &str) -> String {
    use clap::CommandFactory as _;
    let mut cli = crate::cli::Cli::command();
    cli.build(); // propagates the global flags into every subcommand
    let mut out = vec!["kubectl".to_owned(), "runai-gateway".to_owned(), verb.to_owned()];
    let (Some(first), Some(to)) = (args.first(), cli.find_subcommand(verb)) else {
        return out.join(" ");
    };
    let Some(from) = cli.find_subcommand(first) else { return out.join(" ") };
    let mut rest = args[1..].iter();
    while let Some(a) = rest.next() {
        let Some((name, inline)) = option_name(a) else {
            out.push(shell_quote(a));
            continue;
        };
        let takes_value = find_arg(from, name).is_some_and(|x| x.get_action().takes_values());
        let value = if takes_value && !inline { rest.next() } else { None };
        if find_arg(to, name).is_some() && !(verb == "rollback" && NOT_CARRIED.contains(&name)) {
            out.push(shell_quote(a));
            out.extend(value.map(|v| shell_quote(v)));
        }
    }
    out.join(" ")
}

/// Takes the run's lock when `actions` write; `Err(exit)` after saying why not. A lease this
/// account may not touch (403) is left to preflight, which lists it among the missing permissions.
fn lock<'a>(
    kube: &'a Cluster,
    namespace: &str,
    actions: &[runai_gateway_core::engine::Action],
    timeout: Duration,
    force_unlock: bool,
) -> Result<Option<lease::Lock<'a>>, Exit> {
    if !actions.iter().any(runai_gateway_core::engine::Action::writes) {
        return Ok(None);
    }
    match lease::acquire(kube, namespace, timeout, force_unlock) {
        Ok(l) => Ok(Some(l)),
        Err(lease::Refused::Held(why)) => {
            crate::output::error(&anyhow::anyhow!("{why}"), false);
            Err(Exit::Locked)
        }
        Err(lease::Refused::Failed(crate::read::Failure::Status { code: 403, .. })) => Ok(None),
        // Creating in a namespace that does not exist.
        Err(lease::Refused::Failed(crate::read::Failure::Status { code: 404, .. })) => {
            crate::output::error(
                &anyhow::anyhow!(
                    "taking the lock (Lease {namespace}/{}): the namespace `{namespace}` does not exist; nothing was changed: check --gateway-namespace, then run the same command again",
                    lease::LEASE_NAME
                ),
                false,
            );
            Err(Exit::Refused)
        }
        Err(lease::Refused::Failed(e)) => {
            let err =
                ReadError { what: format!("the lock (Lease {namespace}/{})", lease::LEASE_NAME), failure: e };
            crate::output::error(&anyhow::anyhow!("taking {}: {}", err.what, err.failure), false);
            eprintln!("  {}", err.hint());
            Err(err.exit())
        }
    }
}

/// `--name[=v]` or `-n[v]`: the flag's name, and whether its value is in the same word.
fn option_name(word: &str) -> Option<(&str, bool)> {
    if let Some(long) = word.strip_prefix("--") {
        let (name, inline) = long.split_once('=').map_or((long, false), |(n, _)| (n, true));
        return (!name.is_empty()).then_some((name, inline));
    }
    let short = word.strip_prefix('-')?;
    let c = short.chars().next()?;
    Some((&short[..c.len_utf8()], short.len() > c.len_utf8()))
}

/// The argument of `cmd` spelled `name` (a long name, an alias, or a one-letter short).
fn find_arg<'a>(cmd: &'a clap::Command, name: &str) -> Option<&'a clap::Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases().is_some_and(|al| al.contains(&name))
            || (name.chars().count() == 1 && a.get_short().is_some_and(|s| name.starts_with(s)))
    })
}

/// Maps a failed read to its exit code after printing it; other errors go to `main`.
///
/// # Errors
/// Anything but a [`ReadError`].
pub fn settle(result: anyhow::Result<Exit>) -> anyhow::Result<Exit> {
    match result {
        Err(e) => match e.downcast_ref::<ReadError>().map(|r| (r.exit(), r.hint())) {
            Some((exit, hint)) => {
                crate::output::error(&e, false);
                eprintln!("  {hint}");
                Ok(exit)
            }
            None => Err(e),
        },
        ok => ok,
    }
}

/// Runs `apply`.
///
/// # Errors
/// Failed reads (the caller maps them to exit codes).
pub fn apply(opts: &ApplyOptions, spec: &Spec) -> anyhow::Result<Exit> {
    crate::read::deadline::start(opts.timeout);
    let mut out = Out::new(opts.output);
    let Some(mut clusters) = Clusters::connect_or_report(&opts.kube, spec) else {
        return Ok(Exit::Unreachable);
    };
    let refusals = observe::Refusals::tolerant();
    let obs = observe::observation(&clusters, &opts.input, spec, &refusals)?;
    let spec = &obs.plan.spec;
    let what = format!("Gateway {}/{}", spec.gateway_namespace, spec.gateway_name);
    show::header(&mut out, &clusters.main.server, spec, &what);
    for w in &obs.plan.warnings {
        out.line(format!("warning: {w}"));
    }
    let choices = ApplyChoices {
        only: opts.phase,
        force_conflicts: opts.force_conflicts,
        adopt: opts.adopt || opts.force_conflicts,
        force: opts.force,
        prune_ingress: opts.prune_ingress,
        probe: opts.probe,
    };
    let actions = decide_apply(&obs, &choices);
    // A refused read: nothing is shown or decided from what could not be read; every permission
    // missing, the reads' and the writes', is named at once.
    let refused = refusals.into_refused();
    if !refused.is_empty() {
        let needed: Vec<Permission> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Preflight { permissions, .. } => Some(permissions.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let missing = with_missing(&clusters, refused, &needed)?;
        show::refused(&mut out, "preflight", &missing);
        return Ok(Exit::Refused);
    }
    let detail = opts.diff || opts.dry_run == Some(DryRun::Client);
    show::apply_changes(&mut out, &actions, detail, &opts.kube, spec);
    let server = clusters.main.server.clone();
    let emit = |mode, progress, exit: Exit| -> anyhow::Result<Exit> {
        finish("ApplyResult", opts.output, &server, mode, &actions, progress, exit, "apply")
    };
    if detail {
        show::nothing_sent(&mut out, opts.diff);
        return emit(Mode::Preview, None, Exit::Success);
    }
    let mode = Mode::of(opts.dry_run);
    let cx = Context {
        kube: &opts.kube,
        facts: &obs.facts,
        input: &opts.input,
        plan: &obs.plan,
        helm: opts.helm.clone(),
        server_dry: opts.dry_run == Some(DryRun::Server),
        yes: opts.yes,
        wait: opts.wait,
        wait_dns: opts.wait_dns,
        timeout: opts.timeout,
        dns_server: opts.dns_server.clone(),
        probe_address: opts.probe_address.clone(),
    };
    let main = clusters.main.clone();
    let _lock = match lock(&main, &spec.gateway_namespace, &actions, opts.timeout, opts.force_unlock) {
        Ok(l) => l,
        Err(exit) => return emit(mode, Some((0, &[])), exit),
    };
    let mut runner = Runner::new(out, &mut clusters, cx, &actions);
    let exit = runner.apply(&actions, opts.phase)?;
    emit(mode, Some(runner.progress()), exit)
}

/// `refused` (the reads), then those of `needed` (the writes) the caller lacks, each once.
///
/// # Errors
/// A review failed.
fn with_missing(
    clusters: &Clusters,
    refused: Vec<Permission>,
    needed: &[Permission],
) -> Result<Vec<Permission>, ReadError> {
    let mut missing = refused;
    for p in checks::missing_permissions(clusters, needed)? {
        let same = |q: &Permission| {
            (q.verb, &q.group, &q.resource, &q.namespace) == (p.verb, &p.group, &p.resource, &p.namespace)
        };
        if !missing.iter().any(same) {
            missing.push(p);
        }
    }
    Ok(missing)
}

/// Ends a run: with `-o`, prints the result document (`kind`, the actions and how far `verb`
/// got with them, the commands that continue or roll back); the exit code either way.
#[allow(clippy::too_many_arguments)] // One call per command; a struct would only rename them.
fn finish(
    kind: &str,
    output: Option<RunOutput>,
    server: &str,
    mode: Mode,
    actions: &[runai_gateway_core::engine::Action],
    progress: Option<(usize, &[String])>,
    exit: Exit,
    verb: &str,
) -> anyhow::Result<Exit> {
    let Some(format) = output else { return Ok(exit) };
    let mut next = Vec::new();
    if exit != Exit::Success {
        next.push(("continue", rerun(verb)));
        let wrote = progress.is_some_and(|(at, done)| at > 0 || !done.is_empty());
        if verb == "apply" && wrote && matches!(exit, Exit::Partial | Exit::Conflict | Exit::ManualStep) {
            next.push(("rollback", rerun("rollback")));
        }
    }
    result::print(&result::document(kind, server, mode, actions, progress, exit, &next), format)?;
    Ok(exit)
}

/// The state record `rollback` restores from when no input was given: in the default Gateway
/// namespace, else wherever this tool wrote one.
fn recorded(kube: &Cluster) -> anyhow::Result<Option<StateRecord>> {
    if let Some(record) = observe::state_record(kube, defaults::GATEWAY_NAMESPACE)? {
        return Ok(Some(record));
    }
    let configmaps = kinds::lookup("v1", "ConfigMap").unwrap_or(&kinds::KINDS[0]);
    let selector = format!("{MANAGED_BY_LABEL}={FIELD_MANAGER}");
    let found = reading("the state record", kube.list(configmaps, None, Some(&selector)))?;
    match found.iter().find(|cm| cm["metadata"]["name"] == STATE_NAME) {
        Some(cm) => Ok(Some(StateRecord::from_configmap(cm)?)),
        None => Ok(None),
    }
}

/// The input of a rollback: the one given, or with none the one `apply` recorded, and then the
/// connection made to find it.
type RollbackInput = (SpecInput, Spec, Option<Cluster>);

fn rollback_input(opts: &RollbackOptions) -> anyhow::Result<Result<RollbackInput, Exit>> {
    if opts.input != SpecInput::default() {
        let spec = opts.input.resolve().map_err(InputError::from)?;
        return Ok(Ok((opts.input.clone(), spec, None)));
    }
    let kube = match Cluster::connect(&opts.kube, None) {
        Ok(k) => k,
        Err(e) => {
            crate::output::error(&anyhow::anyhow!("the cluster cannot be reached: {e}"), false);
            return Ok(Err(Exit::Unreachable));
        }
    };
    let Some(input) = recorded(&kube)?.and_then(|r| r.input) else {
        return Err(anyhow::Error::from(InputError::NoRecord));
    };
    let spec = input.resolve().map_err(InputError::from)?;
    Ok(Ok((input, spec, Some(kube))))
}

/// Runs `rollback`.
///
/// # Errors
/// Input errors and failed reads.
pub fn rollback(opts: &RollbackOptions) -> anyhow::Result<Exit> {
    crate::read::deadline::start(opts.timeout);
    let (input, spec, main) = match rollback_input(opts)? {
        Ok(found) => found,
        Err(exit) => return Ok(exit),
    };
    let mut out = Out::new(opts.output);
    let Some(mut clusters) = Clusters::connect_reusing_or_report(&opts.kube, &spec, main) else {
        return Ok(Exit::Unreachable);
    };
    // Every read refused is noted, not the first one only: with the writes' permissions, each
    // missing one is named at once, and nothing is decided or written from what was refused.
    let refusals = observe::Refusals::tolerant();
    let facts = observe::facts(&clusters, &spec, &refusals)?;
    let plan = facts.plan(&input, &spec);
    let spec = &plan.spec;
    show::header(&mut out, &clusters.main.server, spec, "rollback to Ingress");
    let rf = observe::rollback_facts(&clusters.main, &facts, &plan, opts.prune, &refusals)?;
    let actions = decide_rollback(&facts, &plan, &rf, RollbackChoices { prune: opts.prune });
    let detail = opts.diff || opts.dry_run == Some(DryRun::Client);
    let refused = refusals.into_refused();
    // A run that writes (for real or with `--dry-run=server`) first checks it may; a preview
    // only when a read was refused.
    if !refused.is_empty() || !detail {
        let writes: Vec<&Action> = actions.iter().filter(|a| a.writes()).collect();
        let needed = runai_gateway_core::engine::permissions(&writes, false, spec);
        let missing = with_missing(&clusters, refused, &needed)?;
        if !missing.is_empty() {
            show::refused(&mut out, "rollback", &missing);
            return Ok(Exit::Refused);
        }
    }
    if facts.state.is_none() {
        out.line(format!(
            "note: no state record (ConfigMap {}/{STATE_NAME}): KnativeServing fields are left as they are, and --prune deletes only objects carrying this tool's label and field manager",
            spec.gateway_namespace
        ));
    }
    show::rollback_changes(&mut out, &actions, detail, &opts.kube);
    let server = clusters.main.server.clone();
    let emit = |mode, progress, exit: Exit| -> anyhow::Result<Exit> {
        finish("RollbackResult", opts.output, &server, mode, &actions, progress, exit, "rollback")
    };
    if detail {
        show::nothing_sent(&mut out, opts.diff);
        return emit(Mode::Preview, None, Exit::Success);
    }
    let mode = Mode::of(opts.dry_run);
    let cx = Context {
        kube: &opts.kube,
        facts: &facts,
        input: &input,
        plan: &plan,
        helm: opts.helm.clone(),
        server_dry: opts.dry_run == Some(DryRun::Server),
        yes: opts.yes,
        wait: false,
        wait_dns: opts.wait_dns,
        timeout: opts.timeout,
        dns_server: opts.dns_server.clone(),
        probe_address: None,
    };
    let main = clusters.main.clone();
    let _lock = match lock(&main, &spec.gateway_namespace, &actions, opts.timeout, opts.force_unlock) {
        Ok(l) => l,
        Err(exit) => return emit(mode, Some((0, &[])), exit),
    };
    let mut runner = Runner::new(out, &mut clusters, cx, &actions);
    let exit = runner.rollback(&actions);
    emit(mode, Some(runner.progress()), exit)
}

#[cfg(test)]
mod tests {
    use super::rerun_from;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn rollback_keeps_the_input_and_connection_and_drops_what_only_apply_takes() {
        let args = words(
            "apply --config my.yaml --context prod --phase prepare --timeout=30s --dry-run=server -y --gateway-name gw --diff --no-probe",
        );
        assert_eq!(
            rerun_from(&args, "rollback"),
            "kubectl runai-gateway rollback --config my.yaml --context prod --timeout=30s --gateway-name gw"
        );
    }

    #[test]
    fn apply_is_repeated_whole_and_quoted() {
        let args = words("apply --cluster-domain a.example.com --phase introduce --gateway-name $gw --yes");
        assert_eq!(
            rerun_from(&args, "apply"),
            "kubectl runai-gateway apply --cluster-domain a.example.com --phase introduce --gateway-name '$gw' --yes"
        );
    }
}
