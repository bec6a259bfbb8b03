//! DNS: the cluster domain, a random name under it (the workloads wildcard, host mode) and a
//! random name under the inference domain, each asked once with its own timeout.
//!
//! A random label stands for "any name the wildcard record must cover": asking for a fixed
//! name would find a record someone created for that name only.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use runai_gateway_core::snapshot::DnsAnswer;
use runai_gateway_core::spec::{RoutingMode, Spec};

use super::snapshot::Deadline;

/// Bound on one name's resolution.
const PER_NAME: Duration = Duration::from_secs(5);

/// A random DNS label (`rgw-` and 10 hex digits): unlikely to have a record of its own.
pub fn random_label() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
    );
    format!("rgw-{:010x}", h.finish() & 0xff_ffff_ffff)
}

/// The names to ask, as (name, role).
pub fn names(spec: &Spec) -> Vec<(String, &'static str)> {
    let mut out = vec![(spec.cluster_domain.clone(), "cluster")];
    if spec.routing_mode == RoutingMode::Host {
        out.push((format!("{}.{}", random_label(), spec.cluster_domain), "workloads"));
    }
    if let Some(d) = spec.inference_domain.as_ref().filter(|_| spec.inference_enabled()) {
        out.push((format!("{}.{d}", random_label()), "inference"));
    }
    out
}

/// Builds the resolver: the system's, or one server (`HOST:PORT`, UDP then TCP).
pub(crate) async fn resolver(server: Option<&str>) -> Result<TokioResolver, String> {
    let mut builder = match server {
        None => TokioResolver::builder_tokio().map_err(|e| format!("system resolver: {e}"))?,
        Some(s) => {
            let addr: SocketAddr = match s.parse() {
                Ok(a) => a,
                Err(_) => tokio::net::lookup_host(s)
                    .await
                    .map_err(|e| format!("--dns-server `{s}`: {e}"))?
                    .next()
                    .ok_or_else(|| format!("--dns-server `{s}`: no address"))?,
            };
            let group = NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true);
            let mut b = TokioResolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], group),
                TokioConnectionProvider::default(),
            );
            // The server asked is the one to report on, not /etc/hosts.
            b.options_mut().use_hosts_file = ResolveHosts::Never;
            b
        }
    };
    let opts = builder.options_mut();
    opts.timeout = Duration::from_secs(2);
    opts.attempts = 2;
    opts.cache_size = 0;
    Ok(builder.build())
}

/// Resolves every name; failures are answers with an error, never a stop.
pub async fn resolve(spec: &Spec, server: Option<&str>, deadline: &Deadline) -> Vec<DnsAnswer> {
    let names = names(spec);
    let resolver = match resolver(server).await {
        Ok(r) => r,
        Err(e) => {
            return names
                .into_iter()
                .map(|(name, role)| DnsAnswer {
                    name,
                    role: role.into(),
                    addresses: vec![],
                    error: Some(e.clone()),
                })
                .collect();
        }
    };
    let lookups = names.into_iter().map(|(name, role)| {
        let resolver = &resolver;
        async move {
            let limit = deadline.left(PER_NAME);
            let fqdn = format!("{name}.");
            let (addresses, error) = match tokio::time::timeout(limit, resolver.lookup_ip(fqdn)).await {
                Ok(Ok(found)) => {
                    let mut a: Vec<String> = found.iter().map(|ip| ip.to_string()).collect();
                    a.sort();
                    a.dedup();
                    (a, None)
                }
                Ok(Err(e)) if e.is_nx_domain() => (vec![], Some(DnsAnswer::NO_SUCH_NAME.to_owned())),
                Ok(Err(e)) if e.is_no_records_found() => (vec![], Some(DnsAnswer::NO_RECORDS.to_owned())),
                Ok(Err(e)) => (vec![], Some(e.to_string())),
                Err(_) => (vec![], Some(format!("no answer within {}s", limit.as_secs_f32()))),
            };
            DnsAnswer { name, role: role.into(), addresses, error }
        }
    });
    futures::future::join_all(lookups).await
}

/// The name asked for a record: the record itself, or for a wildcard a random name under it,
/// which only the wildcard answers.
pub fn query_name(record: &str) -> String {
    match record.strip_prefix("*.") {
        Some(rest) => format!("{}.{rest}", random_label()),
        None => record.to_owned(),
    }
}

/// `apply`'s and `rollback`'s DNS wait: the addresses each record resolves to now (empty: no
/// answer), through `server` or the system resolver.
pub fn resolve_records(records: &[String], server: Option<&str>) -> Vec<Result<Vec<String>, String>> {
    let runtime = match crate::runtime::get() {
        Ok(r) => r,
        Err(e) => return records.iter().map(|_| Err(e.clone())).collect(),
    };
    runtime.block_on(async {
        let resolver = match resolver(server).await {
            Ok(r) => r,
            Err(e) => return records.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut out = Vec::new();
        for record in records {
            let answer = match resolver.lookup_ip(format!("{}.", query_name(record))).await {
                Ok(ips) => Ok(ips.iter().map(|ip| ip.to_string()).collect()),
                Err(e) if e.is_no_records_found() => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            };
            out.push(answer);
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_labels_are_valid_and_differ() {
        let (a, b) = (random_label(), random_label());
        assert_ne!(a, b);
        assert!(a.len() <= 63 && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }
}
