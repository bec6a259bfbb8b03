//! A Helm release as stored in a `helm.sh/release.v1` Secret (base64 of gzip of JSON): the
//! readers of `status` and of `apply`'s state record. Nothing may panic or decompress without
//! bound, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runai_gateway_core::{ingest, state};

fuzz_target!(|data: &[u8]| {
    let _ = ingest::decode_release(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let secret = serde_json::json!({"data": {"release": text}});
        let _ = state::release_json(&secret);
    }
});
