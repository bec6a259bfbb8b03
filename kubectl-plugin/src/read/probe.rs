//! `--probe`: one HTTPS request per hostname through the Gateway's address, with the hostname as
//! SNI and `Host` (what `curl --resolve HOST:443:ADDRESS https://HOST/` does).
//!
//! The certificate is verified against the system roots plus the cluster's CA secret when there
//! is one. Only the Gateway's address (or `--probe-address`) is dialled: no URL found inside a
//! certificate (OCSP, CRL, AIA) is ever fetched, and nothing is followed (no redirects).

use std::sync::Arc;
use std::time::Duration;

use runai_gateway_core::snapshot::{Probe, Snapshot};
use runai_gateway_core::spec::{RoutingMode, Spec};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::dns::random_label;
use super::snapshot::Deadline;

/// Bound on one probe (connect, handshake, request, status line).
const PER_PROBE: Duration = Duration::from_secs(5);

/// The hosts to probe: the cluster domain, and the names DNS was asked for under the wildcards
/// (so the snapshot's probes and DNS answers talk about the same names).
fn hosts(spec: &Spec, snapshot: &Snapshot) -> Vec<String> {
    let mut out = vec![spec.cluster_domain.clone()];
    let by_role = |role: &str| snapshot.dns.iter().find(|a| a.role == role).map(|a| a.name.clone());
    if spec.routing_mode == RoutingMode::Host {
        out.push(
            by_role("workloads").unwrap_or_else(|| format!("{}.{}", random_label(), spec.cluster_domain)),
        );
    }
    if let Some(d) = spec.inference_domain.as_ref().filter(|_| spec.inference_enabled()) {
        out.push(by_role("inference").unwrap_or_else(|| format!("{}.{d}", random_label())));
    }
    out
}

/// `host:port`, bracketing IPv6 literals.
pub(crate) fn with_port(address: &str, port: u16) -> String {
    if address.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

pub(crate) fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    // System roots: unreadable ones are skipped, as every TLS client does.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(pem) = ca_pem {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(pem).filter_map(Result::ok).collect();
        roots.add_parsable_certificates(certs);
    }
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

/// One request; the status code, or what failed.
pub(crate) async fn probe_one(
    config: Arc<rustls::ClientConfig>,
    address: &str,
    host: &str,
) -> Result<u16, String> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| format!("`{host}` is not a valid SNI name: {e}"))?;
    let tcp = tokio::net::TcpStream::connect(address).await.map_err(|e| format!("connect: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    let mut tls = connector.connect(name, tcp).await.map_err(|e| format!("TLS handshake: {e}"))?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kubectl-runai-gateway/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    tls.write_all(request.as_bytes()).await.map_err(|e| format!("sending the request: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let n = tls.read(&mut buf).await.map_err(|e| format!("reading the response: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or_default();
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().and_then(|c| c.parse::<u16>().ok())) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => Ok(code),
        _ if line.is_empty() => Err("the connection closed without an HTTP response".into()),
        _ => Err(format!("not an HTTP response: `{}`", line.chars().take(60).collect::<String>())),
    }
}

/// Probes every host; failures are recorded, never a stop.
pub async fn run(
    spec: &Spec,
    snapshot: &Snapshot,
    probe_address: Option<&str>,
    ca_pem: Option<&[u8]>,
    deadline: &Deadline,
) -> Vec<Probe> {
    let hosts = hosts(spec, snapshot);
    let address = match probe_address {
        Some(a) => Some(a.to_owned()),
        None => snapshot
            .gateway(&spec.gateway_namespace, &spec.gateway_name)
            .and_then(|g| g.addresses.first())
            .map(|a| with_port(a, 443)),
    };
    let Some(address) = address else {
        return hosts
            .into_iter()
            .map(|host| Probe {
                host,
                address: String::new(),
                status: None,
                error: Some(format!(
                    "Gateway {}/{} has no address to dial",
                    spec.gateway_namespace, spec.gateway_name
                )),
            })
            .collect();
    };
    let config = match tls_config(ca_pem) {
        Ok(c) => c,
        Err(e) => {
            return hosts
                .into_iter()
                .map(|host| Probe { host, address: address.clone(), status: None, error: Some(e.clone()) })
                .collect();
        }
    };
    let probes = hosts.into_iter().map(|host| {
        let (config, address) = (config.clone(), address.clone());
        async move {
            let limit = deadline.left(PER_PROBE);
            let (status, error) = match tokio::time::timeout(limit, probe_one(config, &address, &host)).await
            {
                Ok(Ok(code)) => (Some(code), None),
                Ok(Err(e)) => (None, Some(e)),
                Err(_) => (None, Some(format!("no answer within {}s", limit.as_secs_f32()))),
            };
            Probe { host, address, status, error }
        }
    });
    futures::future::join_all(probes).await
}

/// The label a wildcard hostname is probed through (the probe dials the Gateway's address
/// itself, so no DNS record is involved and a fixed name is as good as any).
const PROBE_LABEL: &str = "rgw-check";

/// The host a probe asks for a DNS record name (`*.d` through `rgw-check.d`).
pub fn probe_host(record: &str) -> String {
    match record.strip_prefix("*.") {
        Some(rest) => format!("{PROBE_LABEL}.{rest}"),
        None => record.to_owned(),
    }
}

/// `apply`'s verify: probes each host through `address` (`HOST:PORT`), with the hostname as SNI
/// and `Host` (what `curl --resolve HOST:443:ADDRESS https://HOST/` does); one problem line per
/// host that did not answer below 500.
pub fn through(hosts: &[String], address: &str, ca_pem: Option<&[u8]>) -> Vec<String> {
    let runtime = match crate::runtime::get() {
        Ok(r) => r,
        Err(e) => return vec![e],
    };
    let config = match tls_config(ca_pem) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    runtime.block_on(async {
        let mut problems = Vec::new();
        for host in hosts {
            let outcome = tokio::time::timeout(PER_PROBE, probe_one(config.clone(), address, host)).await;
            match outcome {
                Ok(Ok(code)) if code < 500 => {}
                Ok(Ok(code)) => problems.push(format!("https://{host}/ through {address}: HTTP {code}")),
                Ok(Err(e)) => problems.push(format!("https://{host}/ through {address}: {e}")),
                Err(_) => problems.push(format!(
                    "https://{host}/ through {address}: no answer within {}s",
                    PER_PROBE.as_secs()
                )),
            }
        }
        problems
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_bracketed() {
        assert_eq!(with_port("192.0.2.20", 443), "192.0.2.20:443");
        assert_eq!(with_port("2001:db8::1", 443), "[2001:db8::1]:443");
        assert_eq!(with_port("lb.example.com", 443), "lb.example.com:443");
    }
}
