//! A config file (`--config`): parsed, resolved with the defaults and validated, and when valid,
//! planned and rendered in every form. Nothing may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runai_gateway_core::{Format, SpecInput, compute, render};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(input) = SpecInput::from_yaml(text) else { return };
    if let Ok(plan) = compute(&input) {
        for format in [Format::Yaml, Format::Json, Format::Helm, Format::Plan] {
            let _ = render(&plan, format, false);
        }
    }
});
