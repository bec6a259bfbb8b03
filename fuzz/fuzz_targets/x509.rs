//! PEM/X.509 and private keys (a TLS Secret's `tls.crt` and `tls.key`): the first byte says
//! where the input splits into the certificate chain and the key. Also the DER reader alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runai_gateway_core::{tls, x509};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let at = usize::from(split) * rest.len() / 256;
    let (cert, key) = rest.split_at(at);
    let _ = tls::inspect(cert, Some(key));
    let _ = tls::inspect(rest, None);
    if let Ok(c) = x509::parse(rest) {
        let _ = (c.not_after.unix(), c.not_after.rfc3339(), x509::name_text(c.subject));
        let _ = x509::common_names(c.issuer);
        let _ = x509::rsa_public_key(c.public_key);
    }
});
