//! What `apply` waits for and refuses on: the catalog's preflight and verify checks (the same
//! functions `status` runs), the permissions, HTTPS through the Gateway, and where DNS points.

use std::time::{Duration, Instant};

use runai_gateway_core::checks::diagnose;
use runai_gateway_core::engine::{self, Permission, gateway_ref, secret_ref};
use runai_gateway_core::externaldns::SELECTOR;
use runai_gateway_core::plan::{DnsRecord, Plan};
use runai_gateway_core::snapshot::{Kind, Snapshot, Source};
use runai_gateway_core::spec::{DnsMode, Spec, SpecInput};

use crate::kube_args::KubeArgs;
use crate::read::observe::{ReadError, reading};
use crate::read::snapshot::Options;
use crate::read::{Cluster, Clusters, Failure};
use crate::read::{dns, probe};

/// The checks of the catalog `apply` refuses on before any write: `status` reports the same
/// findings, so the two can never disagree about a prerequisite.
pub const PREFLIGHT: &[&str] = &[
    "gateway-api-crds-missing",
    "gatewayclass-missing",
    "gatewayclass-not-accepted",
    "secret-missing",
    "cert-unreadable",
    "cert-host-mismatch",
    "runai-release-missing",
    "runai-version-unsupported",
];

/// With `--tls-issuer`, preflight also refuses on the issuer: missing, not Ready, or unable to
/// issue the wildcard names (an ACME issuer with HTTP-01 solvers only).
pub const PREFLIGHT_CERT_MANAGER: &[&str] =
    &["cert-manager-issuer-missing", "cert-manager-issuer-not-ready", "cert-manager-wildcard-http-only"];

/// With `--dns external-dns`, preflight also refuses when external-dns would not publish the
/// Gateway's hostnames: it does not read HTTPRoutes, its domain, Gateway or annotation filters
/// leave them out (and, before these, when no external-dns runs at all).
pub const PREFLIGHT_EXTERNAL_DNS: &[&str] = &[
    "external-dns-no-gateway-source",
    "external-dns-domain-filtered",
    "external-dns-gateway-filtered",
    "external-dns-annotation-filter",
];

/// The preflight checks for `spec`.
#[must_use]
pub fn preflight(spec: &Spec) -> Vec<&'static str> {
    let mut ids = PREFLIGHT.to_vec();
    if spec.tls_issuer.is_some() {
        ids.extend(PREFLIGHT_CERT_MANAGER);
    }
    if spec.dns == DnsMode::ExternalDns {
        ids.extend(PREFLIGHT_EXTERNAL_DNS);
    }
    ids
}

/// With `--dns external-dns`, the problem of a cluster where no external-dns runs (read from
/// `snap`): one line, instead of a skipped check each.
fn no_external_dns(spec: &Spec, snap: &Snapshot) -> Option<String> {
    let read = matches!(snap.source(Kind::Deployment), Source::Read { .. });
    (spec.dns == DnsMode::ExternalDns && read && snap.external_dns.is_empty()).then(|| {
        format!(
            "`--dns external-dns`: no Deployment labelled `{SELECTOR}` runs external-dns, so nothing would move the records\n    fix: install external-dns (its Helm chart sets the label) with `--source=ingress --source=gateway-httproute`; label a Deployment installed otherwise (`kubectl label deployment NAME -n NAMESPACE {SELECTOR}`); or change DNS yourself: `--dns manual`"
        )
    })
}

/// The checks of the catalog `verify` waits on: the Gateway programmed and addressed, its
/// listeners' certificates resolved, its routes accepted.
pub const VERIFY: &[&str] = &[
    "gateway-missing",
    "gateway-not-programmed",
    "gateway-no-address",
    "listener-refs-unresolved",
    "routes-not-accepted",
];

/// What a poll keeps of the command's deadline for its last read.
const READ_MARGIN: Duration = Duration::from_secs(1);

/// Bound on one read of the cluster for the checks.
const READ_BOUND: Duration = Duration::from_secs(60);

/// Reads the cluster as `status` does and runs the catalog's checks `ids` against `spec`: one
/// line per finding, and one per check that could not run (a kind that could not be read is a
/// reason to stop, not to pass).
///
/// # Errors
/// The cluster cannot be reached.
pub fn judge(
    kube: &KubeArgs,
    input: &SpecInput,
    spec: &Spec,
    ids: &[&str],
) -> Result<Vec<String>, ReadError> {
    judge_then(kube, input, spec, ids, |_| Vec::new())
}

/// [`judge`], plus what `more` finds in the same snapshot.
///
/// # Errors
/// The cluster cannot be reached.
pub fn judge_then(
    kube: &KubeArgs,
    input: &SpecInput,
    spec: &Spec,
    ids: &[&str],
    more: impl Fn(&Snapshot) -> Vec<String>,
) -> Result<Vec<String>, ReadError> {
    let options = Options {
        kube,
        dns_server: None,
        probe: false,
        probe_address: None,
        timeout: Some(crate::read::deadline::left_capped(READ_BOUND)),
        dns: false,
        watch_cache: false,
    };
    let snap = crate::read::snapshot::live(&options, input, false)
        .map_err(|e| ReadError { what: "the cluster".into(), failure: Failure::transport(e.to_string()) })?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let report = diagnose(spec, &snap, now);
    let missing_external_dns = no_external_dns(spec, &snap);
    // A cert-manager finding names its fix: the issuer is not this tool's to change.
    let mut problems: Vec<String> = report
        .findings
        .iter()
        .filter(|f| ids.contains(&f.id))
        .map(|f| match &f.fix {
            Some(fix) if PREFLIGHT_CERT_MANAGER.contains(&f.id) || PREFLIGHT_EXTERNAL_DNS.contains(&f.id) => {
                format!("{}\n    fix: {fix}", f.message)
            }
            _ => f.message.clone(),
        })
        .collect();
    problems.extend(
        report
            .skipped
            .iter()
            .filter(|s| ids.contains(&s.id))
            .filter(|s| !(missing_external_dns.is_some() && PREFLIGHT_EXTERNAL_DNS.contains(&s.id)))
            .map(|s| format!("cannot check `{}`: {}", s.id, s.reason)),
    );
    problems.extend(missing_external_dns);
    problems.extend(more(&snap));
    Ok(problems)
}

/// The permissions of `needed` the caller lacks (one SelfSubjectAccessReview each).
///
/// # Errors
/// A review failed.
pub fn missing_permissions(clusters: &Clusters, needed: &[Permission]) -> Result<Vec<Permission>, ReadError> {
    let mut missing = Vec::new();
    for p in needed {
        let k = clusters.for_component(p.component);
        if !reading(
            "permissions (SelfSubjectAccessReview)",
            k.can_i(p.verb, &p.group, &p.resource, &p.namespace),
        )? {
            missing.push(p.clone());
        }
    }
    Ok(missing)
}

/// The HTTPS probe through the Gateway's address (or `--probe-address`), one host per DNS
/// record, trusting the system roots and the cluster's CA secret when there is one.
///
/// # Errors
/// A failed read.
pub fn probe_problems(kube: &Cluster, plan: &Plan, address: Option<&str>) -> Result<Vec<String>, Failure> {
    let spec = &plan.spec;
    let gw = kube.get(&gateway_ref(spec))?;
    let Some(address) = address
        .map(str::to_owned)
        .or_else(|| engine::gateway_address(gw.as_ref()).map(|a| probe::with_port(&a, 443)))
    else {
        return Ok(vec!["the Gateway has no address to probe".into()]);
    };
    let ca = kube
        .get(&secret_ref(&spec.cluster.namespace, "runai-ca-cert"))?
        .and_then(|s| s["data"]["runai-ca.pem"].as_str().and_then(runai_gateway_core::tls::decode_data));
    let hosts: Vec<String> = plan.dns.iter().map(|r| probe::probe_host(&r.name)).collect();
    Ok(probe::through(&hosts, &address, ca.as_deref()))
}

/// One DNS record and what it resolves to now.
#[derive(Debug, Clone)]
pub struct DnsRow {
    /// The record.
    pub record: DnsRecord,
    /// The answer, as shown.
    pub now: String,
    /// Whether it resolves to the target (and only there).
    pub ok: bool,
}

/// Where each record resolves now, and whether that is `target`.
pub fn dns_rows(records: &[DnsRecord], server: Option<&str>, target: Option<&str>) -> Vec<DnsRow> {
    let names: Vec<String> = records.iter().map(|r| r.name.clone()).collect();
    let answers = dns::resolve_records(&names, server);
    records
        .iter()
        .zip(answers)
        .map(|(record, answer)| {
            let ok = match (&answer, target) {
                (Ok(addrs), Some(t)) => !addrs.is_empty() && addrs.iter().all(|x| x == t),
                _ => false,
            };
            let now = match answer {
                Ok(a) if a.is_empty() => "no answer".to_owned(),
                Ok(a) => a.join(","),
                Err(e) => e,
            };
            DnsRow { record: record.clone(), now, ok }
        })
        .collect()
}

/// Polls `check` every `every` until it returns no problem or `timeout` passes (`wait` off: one
/// try); the last problems, empty when it succeeded. While it waits, a terminal's stderr shows
/// `what`, the first problem, the time taken and the bound.
///
/// # Errors
/// What `check` fails with.
pub fn poll<E>(
    (wait, what): (bool, &str),
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<Vec<String>, E>,
) -> Result<Vec<String>, E> {
    let start = Instant::now();
    let bound = crate::read::deadline::left().map_or(timeout, |l| l.min(timeout));
    let progress = wait.then(|| crate::read::spinner::Spinner::progress(what, Some(bound)));
    loop {
        let problems = check()?;
        if let (Some(p), Some(first)) = (&progress, problems.first()) {
            p.set_message(&format!("{what}: {first}"));
        }
        // Another round needs time to read: stop while the command's deadline still leaves some.
        let ending = crate::read::deadline::left().is_some_and(|l| l < every + READ_MARGIN);
        if problems.is_empty() || !wait || start.elapsed() >= timeout || ending {
            return Ok(problems);
        }
        std::thread::sleep(every);
    }
}
