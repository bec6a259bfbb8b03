//! What `apply` waits for and refuses on: the preflight prerequisites and permissions, the
//! Gateway serving (verify), and where DNS points.

use std::time::{Duration, Instant};

use runai_gateway_core::engine::{self, Observation, Permission, gateway_ref, secret_ref};
use runai_gateway_core::plan::{DnsRecord, Plan};
use runai_gateway_core::spec::Spec;
use runai_gateway_core::state::ObjectRef;
use serde_json::Value;

use crate::read::observe::{ReadError, reading};
use crate::read::{Cluster, Clusters, Failure};
use crate::read::{dns, probe};

fn condition(obj: &Value, kind: &str) -> Option<bool> {
    obj["conditions"].as_array()?.iter().find(|c| c["type"] == kind).map(|c| c["status"] == "True")
}

fn version_at_least(v: &str, major: u64, minor: u64) -> bool {
    let mut parts = v.trim_start_matches('v').split(['.', '-']).map(|p| p.parse::<u64>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

fn cluster_scoped(api_version: &str, kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: String::new(),
        name: name.into(),
    }
}

/// The prerequisites: the CRDs, the GatewayClass, each certificate covering its hosts, Run:ai
/// 2.25 or later. One problem line each.
///
/// # Errors
/// A failed read.
pub fn prerequisites(kube: &Cluster, obs: &Observation) -> Result<Vec<String>, ReadError> {
    let spec = &obs.plan.spec;
    let mut problems = Vec::new();
    for crd in ["gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io"] {
        let r = cluster_scoped("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd);
        if reading(crd, kube.get(&r))?.is_none() {
            problems.push(format!(
                "the Gateway API CRD `{crd}` is not installed (step `gateway-api` of `render -o plan`)"
            ));
        }
    }
    let class = cluster_scoped("gateway.networking.k8s.io/v1", "GatewayClass", &spec.gateway_class);
    match reading("the GatewayClass", kube.get(&class))? {
        Some(c) if condition(&c["status"], "Accepted") == Some(true) => {}
        Some(_) => {
            problems.push(format!("GatewayClass `{}` is not Accepted by its controller", spec.gateway_class))
        }
        None => problems.push(format!(
            "GatewayClass `{}` does not exist: install the controller first",
            spec.gateway_class
        )),
    }
    for req in &obs.plan.secrets {
        let mut r = secret_ref(&req.namespace, &req.name);
        if let Some((copy, from)) = &obs.copy
            && copy == req
        {
            r = from.clone();
        }
        let Some(secret) = reading(&r, kube.get(&r))? else {
            problems.push(format!("Secret {}/{} is missing: {}", req.namespace, req.name, req.create));
            continue;
        };
        let cert = secret["data"]["tls.crt"].as_str().and_then(runai_gateway_core::tls::decode_data);
        let names =
            cert.and_then(|pem| runai_gateway_core::tls::inspect(&pem, None).ok()).map(|c| c.dns_names);
        let Some(names) = names else {
            problems.push(format!(
                "Secret {}/{} holds no readable certificate (`tls.crt`)",
                req.namespace, req.name
            ));
            continue;
        };
        for host in req.hosts.iter().filter(|h| !runai_gateway_core::hostname::any_covers(&names, h)) {
            problems.push(format!(
                "the certificate of Secret {}/{} does not cover `{host}` (it names {})",
                req.namespace,
                req.name,
                names.join(", ")
            ));
        }
    }
    for r in &obs.facts.releases {
        match &r.deployed {
            None => {
                problems.push(format!("Helm release `{}/{}` has no deployed revision", r.namespace, r.name))
            }
            Some(d) if !version_at_least(&d.chart_version, 2, 25) => problems.push(format!(
                "Run:ai `{}` is {}: the Gateway API needs 2.25 or later",
                r.name, d.chart_version
            )),
            Some(_) => {}
        }
    }
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

/// Why the Gateway is not serving yet (empty: it is).
///
/// # Errors
/// A failed read.
pub fn verify_problems(kube: &Cluster, spec: &Spec) -> Result<Vec<String>, Failure> {
    let gw_ref = gateway_ref(spec);
    let Some(gw) = kube.get(&gw_ref)? else {
        return Ok(vec![format!("{gw_ref} does not exist")]);
    };
    let mut problems = Vec::new();
    if condition(&gw["status"], "Programmed") != Some(true) {
        problems.push(format!("{gw_ref} is not Programmed"));
    }
    if engine::gateway_address(Some(&gw)).is_none() {
        problems.push(format!("{gw_ref} has no address"));
    }
    let listeners = gw["status"]["listeners"].as_array().cloned().unwrap_or_default();
    for l in gw["spec"]["listeners"].as_array().cloned().unwrap_or_default() {
        if l["tls"].is_null() {
            continue;
        }
        let name = l["name"].as_str().unwrap_or_default();
        let status = listeners.iter().find(|s| s["name"] == name);
        if status.and_then(|s| condition(s, "ResolvedRefs")) != Some(true) {
            problems.push(format!("listener `{name}` has not resolved its certificate (ResolvedRefs)"));
        }
    }
    let routes = runai_gateway_core::kinds::lookup("gateway.networking.k8s.io/v1", "HTTPRoute");
    let routes = match routes {
        Some(k) => kube.list(k, None, None)?,
        None => Vec::new(),
    };
    for r in &routes {
        let ns = r["metadata"]["namespace"].as_str().unwrap_or_default();
        let attaches = r["spec"]["parentRefs"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["name"] == spec.gateway_name.as_str()
                    && p["namespace"].as_str().unwrap_or(ns) == spec.gateway_namespace
            })
        });
        let accepted = r["status"]["parents"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["parentRef"]["name"] == spec.gateway_name.as_str() && condition(p, "Accepted") == Some(true)
            })
        });
        if attaches && !accepted {
            problems.push(format!(
                "HTTPRoute {ns}/{} is not accepted by the Gateway",
                r["metadata"]["name"].as_str().unwrap_or_default()
            ));
        }
    }
    Ok(problems)
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
/// try); the last problems, empty when it succeeded.
///
/// # Errors
/// What `check` fails with.
pub fn poll<E>(
    wait: bool,
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<Vec<String>, E>,
) -> Result<Vec<String>, E> {
    let start = Instant::now();
    loop {
        let problems = check()?;
        if problems.is_empty() || !wait || start.elapsed() >= timeout {
            return Ok(problems);
        }
        std::thread::sleep(every);
    }
}
