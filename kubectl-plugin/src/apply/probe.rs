//! The HTTPS probe of `verify`: one request per hostname through the Gateway's address, with the
//! hostname as SNI and `Host` (what `curl --resolve HOST:443:ADDRESS https://HOST/` does).
//!
//! The certificate is verified against the system roots plus the cluster's CA (`runai-ca-cert`)
//! when there is one. A wildcard hostname is probed through one name under it. Any HTTP answer
//! below 500 means the Gateway routed the request; a 5xx, a failed handshake or no answer does
//! not.

use std::time::Duration;

/// Bound on one probe (connect, handshake, request, status line).
const PER_PROBE: Duration = Duration::from_secs(5);

pub(crate) use crate::collect::probe::with_port;
use crate::collect::probe::{probe_one, tls_config};

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
