//! The core's certificate reader against x509-parser (which read certificates before): the same
//! fields for every certificate the testkit issues (leaves, intermediates, roots; valid,
//! expired, not yet valid; chains with and without intermediates; matching and mismatched keys),
//! and no panic on any bytes.

use proptest::prelude::*;
use runai_gateway_core::tls::{decode_data, inspect};
use runai_gateway_core::x509;
use runai_gateway_testkit::certs::{LeafSpec, TestPki, Validity};
use runai_gateway_testkit::{CertClock, Fixture};
use x509_parser::prelude::{FromDer as _, X509Certificate};

/// What x509-parser says of the fields the checks use.
fn expected(der: &[u8]) -> (Vec<String>, String, String, i64, i64, String, Vec<u8>, bool) {
    let (_, c) = X509Certificate::from_der(der).expect("x509-parser reads it");
    let mut dns = Vec::new();
    if let Ok(Some(san)) = c.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                dns.push((*d).to_owned());
            }
        }
    }
    if dns.is_empty() {
        dns.extend(c.subject().iter_common_name().filter_map(|cn| cn.as_str().ok().map(str::to_owned)));
    }
    let after = c.validity().not_after;
    (
        dns,
        c.subject().to_string(),
        c.issuer().to_string(),
        c.validity().not_before.timestamp(),
        after.timestamp(),
        after.to_datetime().format(&time::format_description::well_known::Rfc3339).expect("rfc3339"),
        c.public_key().subject_public_key.data.to_vec(),
        c.subject() == c.issuer(),
    )
}

fn ours(der: &[u8]) -> (Vec<String>, String, String, i64, i64, String, Vec<u8>, bool) {
    let c = x509::parse(der).expect("the core reads it");
    let dns = if c.dns_names.is_empty() { x509::common_names(c.subject) } else { c.dns_names.clone() };
    (
        dns,
        x509::name_text(c.subject),
        x509::name_text(c.issuer),
        c.not_before.unix(),
        c.not_after.unix(),
        c.not_after.rfc3339(),
        c.public_key.to_vec(),
        c.subject == c.issuer,
    )
}

fn ders(pem_text: &str) -> Vec<Vec<u8>> {
    pem::parse_many(pem_text).expect("pem").into_iter().map(|p| p.contents().to_vec()).collect()
}

#[test]
fn issued_certificates_read_as_x509_parser_read_them() {
    let mut checked = 0;
    for clock in [CertClock::at(1_795_824_000), CertClock::at(2_600_000_000), CertClock::at(946_684_800)] {
        let pki = TestPki::generate_at(clock).expect("pki");
        let specs = [
            LeafSpec::for_hosts(["runai.example.com", "*.runai.example.com"]),
            LeafSpec { validity: Validity::Expired, ..LeafSpec::for_hosts(["a.example"]) },
            LeafSpec {
                validity: Validity::NotYetValid,
                omit_chain: true,
                ..LeafSpec::for_hosts(["b.example"])
            },
            LeafSpec { key_mismatch: true, ..LeafSpec::for_hosts(["c.example", "127.0.0.1"]) },
            LeafSpec::default(),
        ];
        for spec in &specs {
            let issued = pki.issue(spec).expect("issues");
            let chain = format!("{}{}", issued.chain_pem, pki.root.cert_pem());
            for der in ders(&chain) {
                assert_eq!(ours(&der), expected(&der));
                checked += 1;
            }
            // The verdict on the key: the same as comparing the key's public half by hand.
            let cert =
                inspect(issued.chain_pem.as_bytes(), Some(issued.key_pem.as_bytes())).expect("inspects");
            assert_eq!(cert.key_matches, Some(!spec.key_mismatch), "{spec:?}");
            assert_eq!(cert.chain_length, if spec.omit_chain { 1 } else { 2 });
            assert!(cert.chain_ordered);
        }
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn fixture_secrets_read_as_before() {
    for name in [
        "gateway-prepared",
        "broken/chain-missing",
        "broken/key-mismatch",
        "broken/expired-cert",
        "broken/wrong-host-cert",
    ] {
        let fx =
            Fixture::load_at(name, CertClock::at(1_795_824_000)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut seen = 0;
        for secret in fx.objects.iter().filter(|o| o["kind"] == "Secret") {
            let Some(crt) = secret["data"]["tls.crt"].as_str().and_then(decode_data) else { continue };
            for der in ders(std::str::from_utf8(&crt).expect("pem text")) {
                assert_eq!(ours(&der), expected(&der), "{name}");
                seen += 1;
            }
        }
        assert!(seen > 0, "{name} has no certificate");
    }
}

#[test]
fn names_are_shown_as_before() {
    let pki = TestPki::generate_at(CertClock::at(1_795_824_000)).expect("pki");
    let leaf =
        ders(&pki.issue(&LeafSpec::for_hosts(["runai.example.com"])).expect("issues").leaf_pem).remove(0);
    let c = x509::parse(&leaf).expect("reads");
    assert_eq!(x509::name_text(c.subject), "CN=runai.example.com");
    assert!(x509::name_text(c.issuer).contains(", O=runai-gateway tests"), "{}", x509::name_text(c.issuer));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A certificate with a byte changed or cut short: read or refused, never a panic; where
    /// both readers accept it, they agree on what the checks use.
    #[test]
    fn damaged_certificates_are_read_or_refused(at in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
        let leaf = leaf_der();
        let mut der = leaf.clone();
        let i = at % der.len();
        der[i] = byte;
        der.truncate(cut.max(1).min(der.len()));
        if let (Ok(_), Ok((_, theirs))) = (x509::parse(&der), X509Certificate::from_der(&der)) {
            // (The text of a damaged OID in a name is not compared: x509-parser's differs from
            // X.690 there, and both are only shown.)
            let (dns, _, _, before, after, after_text, key, self_signed) = ours(&der);
            let (dns2, _, _, before2, after2, after_text2, key2, self_signed2) = expected(&der);
            prop_assert_eq!((before, after, after_text, key, self_signed), (before2, after2, after_text2, key2, self_signed2));
            // x509-parser gave up the SANs when another extension was damaged; the core keeps
            // reading them.
            // Inside the extensions, x509-parser also takes an entry whose tag or length was
            // damaged (a constructed `[2]` read as a DNS name, say), where the core, reading
            // DER, drops it: there the core's names are a subset of x509-parser's, never more.
            if theirs.subject_alternative_name().is_ok() {
                if extensions_span(&leaf).contains(&i) {
                    prop_assert!(dns.iter().all(|n| dns2.contains(n)), "{dns:?} not within {dns2:?}");
                } else {
                    prop_assert_eq!(dns, dns2);
                }
            }
        }
        let _ = x509::name_text(&der);
        let _ = x509::common_names(&der);
        let _ = x509::rsa_public_key(&der);
    }

    /// Any bytes at all.
    #[test]
    fn any_bytes_are_refused_without_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = x509::parse(&bytes);
        let mut seq = vec![0x30, 0x82, 0x01, 0x00];
        seq.extend(&bytes);
        let _ = x509::parse(&seq);
    }
}

/// The bytes of the extensions (from their `[3]` tag to the end of the signed part) in `der`.
fn extensions_span(der: &[u8]) -> std::ops::Range<usize> {
    // A DER header: tag, then a short or long length; gives (header length, content length).
    let header = |at: usize| match der[at + 1] {
        n if n < 0x80 => (2, usize::from(n)),
        0x81 => (3, usize::from(der[at + 2])),
        _ => (4, usize::from(u16::from_be_bytes([der[at + 2], der[at + 3]]))),
    };
    let tbs = header(0).0;
    let (head, len) = header(tbs);
    let end = tbs + head + len;
    let start = (tbs..end)
        .rev()
        .find(|&p| der[p] == 0xa3 && p + header(p).0 + header(p).1 == end)
        .expect("the leaf has extensions");
    start..end
}

fn leaf_der() -> Vec<u8> {
    static LEAF: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    LEAF.get_or_init(|| {
        let pki = TestPki::generate_at(CertClock::at(1_795_824_000)).expect("pki");
        let issued =
            pki.issue(&LeafSpec::for_hosts(["runai.example.com", "*.runai.example.com"])).expect("issues");
        ders(&issued.leaf_pem).remove(0)
    })
    .clone()
}

#[test]
fn a_tls_key_that_is_no_private_key_is_named_without_its_bytes() {
    let pki = TestPki::generate_at(CertClock::at(1_795_824_000)).expect("pki");
    let issued = pki.issue(&LeafSpec::for_hosts(["runai.example.com"])).expect("issues");
    let pem_of = |tag: &str, body: &[u8]| pem::encode(&pem::Pem::new(tag, body.to_vec()));
    let cases = [
        ("SECRET-not a key at all".to_owned(), "holds no PEM block"),
        (issued.leaf_pem.clone(), "holds no private key"),
        (pem_of("ENCRYPTED PRIVATE KEY", &[0x30, 0x00]), "is encrypted"),
        (pem_of("PRIVATE KEY", b"SECRET-garbage"), "contents are not a private key"),
        (pem_of("RSA PRIVATE KEY", &[0x30, 0x03, 0x04, 0x01, 0x00]), "contents are not a private key"),
    ];
    for (key, says) in cases {
        let cert = inspect(issued.chain_pem.as_bytes(), Some(key.as_bytes())).expect("the certificate reads");
        let problem = cert.key_error.clone().unwrap_or_default();
        assert!(problem.contains(says), "{key:?}: {problem:?}");
        assert!(!problem.contains("SECRET"), "{problem}");
        assert_eq!(cert.key_matches, None);
    }
    // A real key: no problem, and the verdict is made.
    let cert = inspect(issued.chain_pem.as_bytes(), Some(issued.key_pem.as_bytes())).expect("inspects");
    assert_eq!((cert.key_error, cert.key_matches), (None, Some(true)));
}
