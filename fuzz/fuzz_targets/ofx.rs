//! OFX/QFX: any bytes parse to a statement or an error, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;
use manna_core::import::{ParseOptions, parse_file};

fuzz_target!(|data: &[u8]| {
    let _ = parse_file(data, &ParseOptions::Ofx);
});
