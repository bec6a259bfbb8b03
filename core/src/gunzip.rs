//! gzip (RFC 1952) around flate2's raw deflate decoder, for Helm's stored releases.
//!
//! It reads and checks a gzip member as flate2's `GzDecoder` does (the header and its flags, the
//! header CRC, the CRC-32 and length of the data), with the same messages, but computes the
//! CRC-32 with one 1 KiB table instead of crc32fast's 16 KiB of tables: 16 KB of data that does
//! not compress, in the browser's diagnostics module.

use std::io::{self, Read};

const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
const FRESERVED: u8 = 0xe0;
/// flate2's limit on a file name or comment in the header.
const MAX_HEADER_FIELD: usize = 65535;

/// Decompresses the first gzip member of `gz`, stopping once more than `cap` bytes came out
/// (then the data and its checksum are not read to the end, and the result is longer than
/// `cap`).
///
/// # Errors
/// flate2's `GzDecoder` errors, with its messages: `invalid gzip header`, `corrupt deflate
/// stream`, `corrupt gzip stream does not have a matching checksum` (of the header or the
/// data), `gzip header field too long`, and an unexpected end of file.
pub(crate) fn gunzip(gz: &[u8], cap: u64) -> io::Result<Vec<u8>> {
    let body = &gz[header_len(gz)?..];
    let mut deflate = flate2::bufread::DeflateDecoder::new(body);
    let mut out = Vec::new();
    (&mut deflate).take(cap + 1).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Ok(out);
    }
    let trailer = deflate.into_inner();
    let (Some(crc), Some(len)) = (le32(trailer, 0), le32(trailer, 4)) else {
        return Err(io::ErrorKind::UnexpectedEof.into());
    };
    // The length is modulo 2^32, as RFC 1952 writes it.
    #[allow(clippy::cast_possible_truncation)]
    if crc != crc32(&out) || len != out.len() as u32 {
        return Err(corrupt());
    }
    Ok(out)
}

/// The length of the member's header, checked.
fn header_len(gz: &[u8]) -> io::Result<usize> {
    let eof = || io::Error::from(io::ErrorKind::UnexpectedEof);
    let fixed = gz.get(..10).ok_or_else(eof)?;
    if fixed[..3] != [0x1f, 0x8b, 8] || fixed[3] & FRESERVED != 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "invalid gzip header"));
    }
    let flags = fixed[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let xlen = gz.get(at..at + 2).ok_or_else(eof)?;
        at += 2 + usize::from(u16::from_le_bytes([xlen[0], xlen[1]]));
        if at > gz.len() {
            return Err(eof());
        }
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = &gz[at..];
            match rest.iter().position(|&b| b == 0) {
                Some(n) if n <= MAX_HEADER_FIELD => at += n + 1,
                None if rest.len() <= MAX_HEADER_FIELD => return Err(eof()),
                _ => {
                    return Err(io::Error::new(io::ErrorKind::InvalidInput, "gzip header field too long"));
                }
            }
        }
    }
    if flags & FHCRC != 0 {
        let stored = gz.get(at..at + 2).ok_or_else(eof)?;
        #[allow(clippy::cast_possible_truncation)]
        if u16::from_le_bytes([stored[0], stored[1]]) != crc32(&gz[..at]) as u16 {
            return Err(corrupt());
        }
        at += 2;
    }
    Ok(at)
}

fn corrupt() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "corrupt gzip stream does not have a matching checksum")
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// CRC-32 (IEEE 802.3, reflected), the checksum gzip stores.
fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |crc, &b| CRC_TABLE[usize::from((crc as u8) ^ b)] ^ (crc >> 8))
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write as _;

    /// What flate2's `GzDecoder` makes of the bytes, read as `state.rs` read releases before.
    fn flate2(gz: &[u8], cap: u64) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz).take(cap + 1).read_to_end(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn ours(gz: &[u8], cap: u64) -> Result<Vec<u8>, String> {
        gunzip(gz, cap).map_err(|e| e.to_string())
    }

    fn gzip(data: &[u8], builder: flate2::GzBuilder) -> Vec<u8> {
        let mut enc = builder.write(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap_or_default();
        enc.finish().unwrap_or_default()
    }

    fn every_header() -> Vec<Vec<u8>> {
        let data = b"{\"name\": \"runai-cluster\", \"version\": 3}".repeat(40);
        vec![
            gzip(&data, flate2::GzBuilder::new()),
            gzip(&data, flate2::GzBuilder::new().filename("release.json").comment("helm").mtime(7)),
            gzip(&data, flate2::GzBuilder::new().extra(vec![1, 2, 3, 4]).operating_system(3)),
            gzip(&data, flate2::GzBuilder::new().filename("a").comment("b").extra(vec![9; 300])),
            gzip(b"", flate2::GzBuilder::new()),
        ]
    }

    #[test]
    fn reads_what_flate2_writes_with_every_header_field() {
        for gz in every_header() {
            let out = ours(&gz, 1 << 20).expect("reads");
            assert_eq!(Ok(out), flate2(&gz, 1 << 20));
        }
    }

    #[test]
    fn a_header_crc_is_checked() {
        // FHCRC: flate2 does not write it; set the flag and append the CRC-16 of the header.
        let gz = gzip(b"hello", flate2::GzBuilder::new().filename("x"));
        let name_end = 10 + gz[10..].iter().position(|&b| b == 0).unwrap_or_default() + 1;
        let mut with = gz[..name_end].to_vec();
        with[3] |= FHCRC;
        #[allow(clippy::cast_possible_truncation)]
        let crc16 = crc32(&with) as u16;
        with.extend_from_slice(&crc16.to_le_bytes());
        with.extend_from_slice(&gz[name_end..]);
        assert_eq!(ours(&with, 100), Ok(b"hello".to_vec()));
        assert_eq!(ours(&with, 100), flate2(&with, 100));
        let at = name_end;
        with[at] ^= 1;
        assert_eq!(ours(&with, 100), flate2(&with, 100));
        assert!(ours(&with, 100).is_err());
    }

    #[test]
    fn the_cap_stops_reading_as_before() {
        let gz = gzip(&[b'a'; 5000], flate2::GzBuilder::new());
        for cap in [0, 1, 4999, 5000, 5001] {
            assert_eq!(ours(&gz, cap), flate2(&gz, cap), "cap {cap}");
        }
        // Past the cap, the checksum is not read: a damaged one still gives the capped output.
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 8] ^= 1;
        assert_eq!(ours(&bad, 100).map(|o| o.len()), Ok(101));
        assert_eq!(ours(&bad, 100), flate2(&bad, 100));
        assert_eq!(ours(&bad, 10_000), flate2(&bad, 10_000));
        assert!(ours(&bad, 10_000).is_err());
    }

    #[test]
    fn the_crc_table_is_crc32() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    proptest! {
        /// Any damage (a byte changed, the stream cut short) gives what flate2 gave: the same
        /// bytes, or an error with the same message.
        #[test]
        fn damaged_streams_fail_like_flate2(which in 0usize..5, at in any::<prop::sample::Index>(), xor in 1u8.., cut in any::<prop::sample::Index>()) {
            let mut gz = every_header().swap_remove(which);
            let i = at.index(gz.len());
            gz[i] ^= xor;
            prop_assert_eq!(ours(&gz, 1 << 20), flate2(&gz, 1 << 20));
            let cut = cut.index(gz.len() + 1);
            prop_assert_eq!(ours(&gz[..cut], 1 << 20), flate2(&gz[..cut], 1 << 20));
        }

        #[test]
        fn any_bytes_after_the_magic_read_like_flate2(rest in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut gz = vec![0x1f, 0x8b];
            gz.extend(rest);
            prop_assert_eq!(ours(&gz, 1 << 20), flate2(&gz, 1 << 20));
        }
    }
}
