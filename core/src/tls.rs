//! Reading certificates from a TLS Secret, and checking that the private key belongs to the
//! certificate without the key ever leaving this module: callers get a verdict, not the key.

use base64::Engine as _;

use crate::snapshot::Certificate;
use crate::x509::{self, Cert};

/// Why a certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// `tls.crt` holds no PEM certificate.
    #[error("`tls.crt` holds no PEM certificate")]
    NoPem,
    /// A PEM block is not a valid X.509 certificate.
    #[error("`tls.crt` block {index} is not a valid X.509 certificate: {message}")]
    BadCertificate {
        /// Zero-based position in the chain.
        index: usize,
        /// Parser message.
        message: String,
    },
}

/// Decodes Secret `data` (base64) into bytes; `None` when it is not base64.
#[must_use]
pub fn decode_data(value: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(value.trim()).ok()
}

/// Parses `tls.crt` (a PEM chain) and, when given, compares `tls.key` with the leaf's public key.
///
/// # Errors
/// When the chain holds no certificate or a block is not X.509.
pub fn inspect(cert_pem: &[u8], key_pem: Option<&[u8]>) -> Result<Certificate, CertError> {
    let blocks: Vec<pem::Pem> = pem::parse_many(cert_pem)
        .map_err(|_| CertError::NoPem)?
        .into_iter()
        .filter(|p| p.tag() == "CERTIFICATE")
        .collect();
    if blocks.is_empty() {
        return Err(CertError::NoPem);
    }
    let mut certs = Vec::with_capacity(blocks.len());
    for (index, block) in blocks.iter().enumerate() {
        let cert = x509::parse(block.contents())
            .map_err(|e| CertError::BadCertificate { index, message: e.to_string() })?;
        certs.push(cert);
    }
    let leaf = &certs[0];
    let mut dns_names = leaf.dns_names.clone();
    if dns_names.is_empty() {
        // Legacy certificates name the host only in the CN; clients ignore it, but show it.
        dns_names = x509::common_names(leaf.subject);
    }
    let chain_ordered = certs.windows(2).all(|w| w[0].issuer == w[1].subject);
    let (key_matches, key_error) = match key_pem.map(|k| key_matches(leaf, k)) {
        None => (None, None),
        Some(Ok(matches)) => (matches, None),
        Some(Err(problem)) => (None, Some(problem.to_owned())),
    };
    Ok(Certificate {
        dns_names,
        self_signed: leaf.subject == leaf.issuer,
        subject: x509::name_text(leaf.subject),
        issuer: x509::name_text(leaf.issuer),
        not_before: leaf.not_before.unix(),
        not_after: leaf.not_after.unix(),
        not_after_text: leaf.not_after.rfc3339(),
        chain_length: certs.len(),
        chain_ordered,
        key_matches,
        key_error,
    })
}

/// `Ok(Some(true/false))` when the key type can be compared with the certificate, `Ok(None)` for
/// a private key whose public half cannot be found, `Err` (a reason that never quotes the key)
/// when `tls.key` is not an unencrypted private key at all.
fn key_matches(leaf: &Cert<'_>, key_pem: &[u8]) -> Result<Option<bool>, &'static str> {
    let block = pem::parse(key_pem).map_err(|_| "`tls.key` holds no PEM block")?;
    let der = block.contents();
    let from_key = match block.tag() {
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "PRIVATE KEY" if !der::is_private_key(der) => {
            return Err("`tls.key` is a PEM private-key block whose contents are not a private key");
        }
        "RSA PRIVATE KEY" => der::rsa_private(der).map(KeyPublic::Rsa),
        "EC PRIVATE KEY" => der::sec1_public(der).map(KeyPublic::Ec),
        "PRIVATE KEY" => der::pkcs8_public(der),
        "ENCRYPTED PRIVATE KEY" => {
            return Err("`tls.key` is encrypted; a Gateway needs the private key unencrypted");
        }
        _ => {
            return Err(
                "`tls.key` holds no private key (a PEM block `RSA PRIVATE KEY`, `EC PRIVATE KEY` or `PRIVATE KEY`)",
            );
        }
    };
    let Some(from_key) = from_key else { return Ok(None) };
    let rsa = if leaf.key_algorithm == x509::OID_RSA {
        // An RSA certificate whose key does not parse cannot be compared.
        let Some(rsa) = x509::rsa_public_key(leaf.public_key) else { return Ok(None) };
        Some(rsa)
    } else {
        None
    };
    Ok(Some(match (from_key, rsa) {
        (KeyPublic::Rsa((n, e)), Some((modulus, exponent))) => {
            der::strip_zeros(modulus) == der::strip_zeros(&n)
                && der::strip_zeros(exponent) == der::strip_zeros(&e)
        }
        (KeyPublic::Ec(point) | KeyPublic::Raw(point), _) => leaf.public_key == point.as_slice(),
        (KeyPublic::Rsa(_), None) => false,
    }))
}

/// The public half found in a private key.
enum KeyPublic {
    /// RSA modulus and exponent.
    Rsa((Vec<u8>, Vec<u8>)),
    /// EC public point (SEC1 `publicKey`).
    Ec(Vec<u8>),
    /// Raw public key of a PKCS#8 v2 key (Ed25519).
    Raw(Vec<u8>),
}

/// Just enough DER to find the public half of PKCS#1, SEC1 and PKCS#8 private keys.
mod der {
    use super::KeyPublic;

    /// One TLV: tag, contents, and the rest of the input.
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&len0, rest) = rest.split_first()?;
        let (len, rest) = if len0 < 0x80 {
            (usize::from(len0), rest)
        } else {
            let n = usize::from(len0 & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        Some((tag, &rest[..len], &rest[len..]))
    }

    fn items(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (tag, body, rest) = tlv(input)?;
            out.push((tag, body));
            input = rest;
        }
        Some(out)
    }

    fn sequence(input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
        let (tag, body, _) = tlv(input)?;
        (tag == 0x30).then_some(())?;
        items(body)
    }

    /// Whether `der` has the shape every private key shares: one SEQUENCE, nothing after it,
    /// starting with an INTEGER version.
    pub(super) fn is_private_key(der: &[u8]) -> bool {
        tlv(der).is_some_and(|(tag, body, rest)| {
            tag == 0x30
                && rest.is_empty()
                && items(body).is_some_and(|i| i.first().is_some_and(|(t, _)| *t == 0x02))
        })
    }

    pub(super) fn strip_zeros(b: &[u8]) -> &[u8] {
        let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        &b[i..]
    }

    /// PKCS#1 RSAPrivateKey: version, n, e, …
    pub(super) fn rsa_private(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let seq = sequence(der)?;
        let n = seq.get(1).filter(|(t, _)| *t == 0x02)?.1;
        let e = seq.get(2).filter(|(t, _)| *t == 0x02)?.1;
        Some((n.to_vec(), e.to_vec()))
    }

    /// SEC1 ECPrivateKey: version, key, [0] parameters, [1] publicKey BIT STRING.
    pub(super) fn sec1_public(der: &[u8]) -> Option<Vec<u8>> {
        let seq = sequence(der)?;
        let (_, explicit) = seq.iter().find(|(t, _)| *t == 0xa1)?;
        let (tag, bits, _) = tlv(explicit)?;
        (tag == 0x03 && !bits.is_empty()).then(|| bits[1..].to_vec())
    }

    /// PKCS#8 PrivateKeyInfo: version, algorithm, privateKey OCTET STRING, [0] attributes,
    /// [1] publicKey (v2).
    pub(super) fn pkcs8_public(der: &[u8]) -> Option<KeyPublic> {
        const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        let seq = sequence(der)?;
        let alg = sequence_from(seq.get(1)?)?;
        let oid = &alg.first().filter(|(t, _)| *t == 0x06)?.1;
        let inner = seq.get(2).filter(|(t, _)| *t == 0x04)?.1;
        if oid == RSA {
            return rsa_private(inner).map(KeyPublic::Rsa);
        }
        if oid == EC {
            return sec1_public(inner).map(KeyPublic::Ec);
        }
        let (_, public) = seq.iter().find(|(t, _)| *t == 0x81)?;
        (!public.is_empty()).then(|| KeyPublic::Raw(public[1..].to_vec()))
    }

    fn sequence_from(item: &(u8, &[u8])) -> Option<Vec<(u8, Vec<u8>)>> {
        (item.0 == 0x30).then_some(())?;
        Some(items(item.1)?.into_iter().map(|(t, b)| (t, b.to_vec())).collect())
    }
}
