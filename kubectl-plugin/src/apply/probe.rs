//! The HTTPS probe of `verify`: one request per hostname through the Gateway's address, with the
//! hostname as SNI and `Host` (what `curl --resolve HOST:443:ADDRESS https://HOST/` does).
//!
//! The certificate is verified against the system roots plus the cluster's CA (`runai-ca-cert`)
//! when there is one. A wildcard hostname is probed through one name under it. Any HTTP answer
//! below 500 means the Gateway routed the request; a 5xx, a failed handshake or no answer does
//! not.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Bound on one probe (connect, handshake, request, status line).
const PER_PROBE: Duration = Duration::from_secs(5);

/// `host:port`, bracketing IPv6 literals.
pub fn with_port(address: &str, port: u16) -> String {
    if address.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
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

async fn probe_one(config: Arc<rustls::ClientConfig>, address: &str, host: &str) -> Result<u16, String> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| format!("`{host}` is not a valid SNI name: {e}"))?;
    let tcp = tokio::net::TcpStream::connect(address).await.map_err(|e| format!("connect {address}: {e}"))?;
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kubectl-runai-gateway/{}\r\nConnection: close\r\n\r\n",
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
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().and_then(|c| c.parse::<u16>().ok())) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => Ok(code),
        _ => Err("no HTTP response".into()),
    }
}

/// Probes each host through `address` (`HOST:PORT`); one problem line per failed host.
pub fn run(hosts: &[String], address: &str, ca_pem: Option<&[u8]>) -> Vec<String> {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return vec![format!("cannot start the probe: {e}")],
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
                Err(_) => problems.push(format!("https://{host}/ through {address}: no answer within 5s")),
            }
        }
        problems
    })
}
