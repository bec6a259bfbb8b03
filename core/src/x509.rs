//! Just enough X.509 (RFC 5280) DER for the checks: the issuer and subject (as bytes, to compare,
//! and as text, to show), the validity (`UTCTime` or `GeneralizedTime`), the DNS names of the
//! subject alternative names, the common names, and the subject public key (to match the private
//! key). Nothing is verified: the checks judge names, dates and chains, not signatures.
//!
//! Total on hostile input: every length is checked against what is left, nesting is fixed by
//! the structure (no recursion), and arithmetic is on bounded values.

use std::fmt::Write as _;

/// Why bytes are not a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct X509Error(&'static str);

type Result<T> = std::result::Result<T, X509Error>;

/// The fields of a certificate the checks use, borrowed from its DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert<'a> {
    /// The issuer `Name`, DER (tag and length included).
    pub issuer: &'a [u8],
    /// The subject `Name`, DER.
    pub subject: &'a [u8],
    /// Start of validity.
    pub not_before: Time,
    /// End of validity.
    pub not_after: Time,
    /// The `dNSName`s of the subject alternative name extension, in order.
    pub dns_names: Vec<String>,
    /// The subject public key's algorithm (the OID's content bytes).
    pub key_algorithm: &'a [u8],
    /// The subject public key (the BIT STRING's bits).
    pub public_key: &'a [u8],
}

/// A UTC time of a certificate, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    year: i64,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

impl Time {
    /// Seconds since 1970-01-01T00:00:00Z.
    #[must_use]
    pub fn unix(&self) -> i64 {
        // Days from the civil date (H. Hinnant's algorithm), years 0..=9999.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { self.year - 1 } else { self.year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second)
    }

    /// RFC 3339 (`2027-01-31T12:00:00Z`).
    #[must_use]
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `YYMMDDHHMMSSZ` (UTCTime, years 1950–2049) or `YYYYMMDDHHMMSS[.f]Z` (GeneralizedTime).
    fn parse(tag: u8, text: &[u8]) -> Result<Time> {
        const BAD: X509Error = X509Error("a validity time is not a UTC time");
        let digits = |s: &[u8]| -> Result<i64> {
            if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
                return Err(BAD);
            }
            Ok(s.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let (year, rest) = match tag {
            0x17 if text.len() == 13 => {
                let yy = digits(&text[..2])?;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
            }
            0x18 if text.len() >= 15 => (digits(&text[..4])?, &text[4..]),
            _ => return Err(BAD),
        };
        let z = rest.len() - 1;
        if rest[z] != b'Z'
            || (z > 10 && (z == 11 || rest[10] != b'.' || !rest[11..z].iter().all(u8::is_ascii_digit)))
            || z < 10
        {
            return Err(BAD);
        }
        let field = |i: usize, max: i64, min: i64| -> Result<u8> {
            let v = digits(&rest[i..i + 2])?;
            if (min..=max).contains(&v) { u8::try_from(v).map_err(|_| BAD) } else { Err(BAD) }
        };
        let (month, day) = (field(0, 12, 1)?, field(2, 31, 1)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        if day > days[usize::from(month - 1)] {
            return Err(BAD);
        }
        Ok(Time {
            year,
            month,
            day,
            hour: field(4, 23, 0)?,
            minute: field(6, 59, 0)?,
            second: field(8, 59, 0)?,
        })
    }
}

/// One DER TLV: the tag, the whole encoding, the contents, and the rest of the input.
struct Tlv<'a> {
    tag: u8,
    whole: &'a [u8],
    body: &'a [u8],
}

fn tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    const BAD: X509Error = X509Error("truncated or malformed DER");
    let (&tag, rest) = input.split_first().ok_or(BAD)?;
    if tag & 0x1f == 0x1f {
        return Err(X509Error("multi-byte DER tags are not used by certificates"));
    }
    let (&len0, rest) = rest.split_first().ok_or(BAD)?;
    let (len, rest) = if len0 < 0x80 {
        (usize::from(len0), rest)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(BAD);
        }
        (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), &rest[n..])
    };
    if rest.len() < len {
        return Err(BAD);
    }
    let head = input.len() - rest.len();
    Ok((Tlv { tag, whole: &input[..head + len], body: &rest[..len] }, &rest[len..]))
}

/// The next TLV of a sequence's contents, which must have `tag`.
fn expect<'a>(input: &mut &'a [u8], tag: u8, what: &'static str) -> Result<Tlv<'a>> {
    let (t, rest) = tlv(input)?;
    if t.tag != tag {
        return Err(X509Error(what));
    }
    *input = rest;
    Ok(t)
}

const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];

/// Reads a DER certificate.
///
/// # Errors
/// When the bytes are not the structure of an X.509 certificate.
pub fn parse(der: &[u8]) -> Result<Cert<'_>> {
    let (cert, _) = tlv(der)?;
    if cert.tag != 0x30 {
        return Err(X509Error("a certificate is a DER SEQUENCE"));
    }
    let mut outer = cert.body;
    let tbs = expect(&mut outer, 0x30, "the certificate has no tbsCertificate")?;
    expect(&mut outer, 0x30, "the certificate has no signatureAlgorithm")?;
    expect(&mut outer, 0x03, "the certificate has no signatureValue")?;
    let mut t = tbs.body;
    if t.first() == Some(&0xa0) {
        let v = expect(&mut t, 0xa0, "bad version")?;
        let (int, _) = tlv(v.body)?;
        if int.tag != 0x02 || int.body.len() != 1 || int.body[0] > 2 {
            return Err(X509Error("the certificate's version is not 1, 2 or 3"));
        }
    }
    expect(&mut t, 0x02, "the certificate has no serialNumber")?;
    expect(&mut t, 0x30, "the certificate has no signature algorithm")?;
    let issuer = expect(&mut t, 0x30, "the certificate has no issuer")?.whole;
    let validity = expect(&mut t, 0x30, "the certificate has no validity")?.body;
    let (before, rest) = tlv(validity)?;
    let (after, _) = tlv(rest)?;
    let not_before = Time::parse(before.tag, before.body)?;
    let not_after = Time::parse(after.tag, after.body)?;
    let subject = expect(&mut t, 0x30, "the certificate has no subject")?.whole;
    let mut spki = expect(&mut t, 0x30, "the certificate has no subjectPublicKeyInfo")?.body;
    let mut alg = expect(&mut spki, 0x30, "the public key has no algorithm")?.body;
    let key_algorithm = expect(&mut alg, 0x06, "the public key's algorithm is not an OID")?.body;
    let bits = expect(&mut spki, 0x03, "the public key is not a BIT STRING")?.body;
    let public_key = bits.get(1..).ok_or(X509Error("the public key is empty"))?;
    for name in [issuer, subject] {
        rdns(name)?;
    }
    let mut dns_names = Vec::new();
    while !t.is_empty() {
        let (field, rest) = tlv(t)?;
        t = rest;
        if field.tag == 0xa3 {
            let (exts, _) = tlv(field.body)?;
            let mut exts =
                if exts.tag == 0x30 { exts.body } else { return Err(X509Error("bad extensions")) };
            while !exts.is_empty() {
                let mut ext = expect(&mut exts, 0x30, "an extension is not a SEQUENCE")?.body;
                let id = expect(&mut ext, 0x06, "an extension has no OID")?.body;
                if ext.first() == Some(&0x01) {
                    expect(&mut ext, 0x01, "bad critical flag")?;
                }
                let value = expect(&mut ext, 0x04, "an extension value is not an OCTET STRING")?.body;
                if id == OID_SAN {
                    dns_names = san_dns_names(value).unwrap_or_default();
                }
            }
        }
    }
    Ok(Cert { issuer, subject, not_before, not_after, dns_names, key_algorithm, public_key })
}

fn san_dns_names(value: &[u8]) -> Result<Vec<String>> {
    let (seq, _) = tlv(value)?;
    let mut names = seq.body;
    let mut out = Vec::new();
    while !names.is_empty() {
        let (name, rest) = tlv(names)?;
        names = rest;
        if name.tag == 0x82
            && let Ok(s) = std::str::from_utf8(name.body)
        {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

/// The attributes of a `Name` (DER), RDN by RDN: (type OID content, value tag, value content).
type Rdn<'a> = Vec<(&'a [u8], u8, &'a [u8])>;

fn rdns(name: &[u8]) -> Result<Vec<Rdn<'_>>> {
    let (seq, _) = tlv(name)?;
    let mut rest = seq.body;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let mut set = expect(&mut rest, 0x31, "a name's RDN is not a SET")?.body;
        let mut rdn = Vec::new();
        while !set.is_empty() {
            let mut atv = expect(&mut set, 0x30, "a name's attribute is not a SEQUENCE")?.body;
            let oid = expect(&mut atv, 0x06, "a name's attribute has no OID")?.body;
            let (value, _) = tlv(atv)?;
            rdn.push((oid, value.tag, value.body));
        }
        out.push(rdn);
    }
    Ok(out)
}

/// A name attribute's value as text: the string types as they are, others in hex.
fn value_text(tag: u8, body: &[u8]) -> Option<String> {
    // By the tag's number alone, whatever its class (as x509-parser did).
    match tag & 0x1f {
        0x07 | 0x0c | 0x12 | 0x13 | 0x14 | 0x15 | 0x16 | 0x19 | 0x1a | 0x1b => {
            std::str::from_utf8(body).ok().map(str::to_owned)
        }
        0x1e if body.len().is_multiple_of(2) => {
            let units = body.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units).collect::<std::result::Result<String, _>>().ok()
        }
        _ => Some(body.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        })),
    }
}

/// The short name of a name attribute (`CN`, `O`, …), or `OID(2.5.4.99)`.
fn attribute_name(oid: &[u8]) -> String {
    const X520: [&str; 18] = [
        "objectClass",
        "aliasedEntryName",
        "knowledgeInformation",
        "CN",
        "surname",
        "serialNumber",
        "C",
        "L",
        "ST",
        "streetAddress",
        "O",
        "OU",
        "title",
        "description",
        "searchGuide",
        "businessCategory",
        "postalAddress",
        "postalCode",
    ];
    const X520_41: [&str; 6] =
        ["name", "givenName", "initials", "generationQualifier", "uniqueIdentifier", "dnQualifier"];
    match oid {
        [0x55, 0x04, n] if usize::from(*n) < X520.len() => return X520[usize::from(*n)].to_owned(),
        [0x55, 0x04, n @ 41..=46] => return X520_41[usize::from(n - 41)].to_owned(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => return "DC".to_owned(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01] => return "uid".to_owned(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => return "Email".to_owned(),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02] => return "unstructuredName".to_owned(),
        _ => {}
    }
    format!("OID({})", oid_text(oid))
}

/// Dotted text of an OID's content bytes.
fn oid_text(oid: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut n: u128 = 0;
    for &b in oid {
        n = n.checked_shl(7).map_or(u128::MAX, |v| v | u128::from(b & 0x7f));
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                // (x509-parser's split, also for a first byte over 119, which X.690 reads as 2.x.)
                arcs.extend([n / 40, n % 40]);
            } else {
                arcs.push(n);
            }
            n = 0;
        }
    }
    if oid.last().is_some_and(|b| b & 0x80 != 0) {
        // A last arc cut short is shown with what it had (as x509-parser did).
        arcs.push(n);
    }
    arcs.iter().map(u128::to_string).collect::<Vec<_>>().join(".")
}

/// A `Name` as text: `CN=host, O=org`, attributes of one RDN joined with ` + `.
#[must_use]
pub fn name_text(name: &[u8]) -> String {
    let text = || -> Option<String> {
        let rdns = rdns(name).ok()?;
        let mut parts = Vec::with_capacity(rdns.len());
        for rdn in rdns {
            let attrs: Option<Vec<String>> = rdn
                .iter()
                .map(|(oid, tag, body)| Some(format!("{}={}", attribute_name(oid), value_text(*tag, body)?)))
                .collect();
            parts.push(attrs?.join(" + "));
        }
        Some(parts.join(", "))
    };
    text().unwrap_or_else(|| "<X509Error: Invalid X.509 name>".to_owned())
}

/// The common names of a `Name`, in order (those that are text).
#[must_use]
pub fn common_names(name: &[u8]) -> Vec<String> {
    let Ok(rdns) = rdns(name) else { return Vec::new() };
    rdns.into_iter()
        .flatten()
        .filter(|(oid, _, _)| *oid == OID_CN)
        .filter_map(|(_, tag, body)| {
            matches!(tag & 0x1f, 0x07 | 0x0c | 0x12 | 0x13 | 0x14 | 0x15 | 0x16 | 0x19 | 0x1a | 0x1b)
                .then(|| std::str::from_utf8(body).ok().map(str::to_owned))
                .flatten()
        })
        .collect()
}

/// `rsaEncryption` (1.2.840.113549.1.1.1).
pub const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The modulus and exponent of an RSA public key (`RSAPublicKey`), when it is one.
#[must_use]
pub fn rsa_public_key(bits: &[u8]) -> Option<(&[u8], &[u8])> {
    let (seq, _) = tlv(bits).ok()?;
    (seq.tag == 0x30).then_some(())?;
    let mut body = seq.body;
    let n = expect(&mut body, 0x02, "").ok()?.body;
    let e = expect(&mut body, 0x02, "").ok()?.body;
    Some((n, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_seconds() {
        let t = Time::parse(0x17, b"270131120000Z").expect("utc");
        assert_eq!(t.unix(), 1_801_396_800);
        assert_eq!(t.rfc3339(), "2027-01-31T12:00:00Z");
        assert_eq!(Time::parse(0x17, b"500101000000Z").expect("1950").year, 1950);
        assert_eq!(Time::parse(0x18, b"99991231235959Z").expect("far").rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(Time::parse(0x18, b"19700101000000.5Z").expect("fraction").unix(), 0);
        assert_eq!(Time::parse(0x18, b"20240229000000Z").expect("leap day").day, 29);
        for bad in
            [&b"230229000000Z"[..], b"2701311200Z", b"271331120000Z", b"270131240000Z", b"27013112000aZ", b""]
        {
            assert!(Time::parse(0x17, bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(Time::parse(0x18, b"20230229000000Z").is_err());
        assert!(Time::parse(0x18, b"2023022900000.Z").is_err());
        assert!(Time::parse(0x18, b"20230101000000.Z").is_err());
    }

    #[test]
    fn oids_read_as_dotted_text() {
        assert_eq!(oid_text(OID_RSA), "1.2.840.113549.1.1.1");
        assert_eq!(attribute_name(&[0x55, 0x04, 0x63]), "OID(2.5.4.99)");
        assert_eq!(attribute_name(OID_CN), "CN");
    }

    #[test]
    fn truncated_der_is_refused() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(parse(&[0x30, 0x80]).is_err());
        assert!(parse(&[0x30, 0x00]).is_err());
    }
}
