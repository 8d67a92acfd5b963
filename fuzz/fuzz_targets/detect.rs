//! Format detection and text decoding on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use manna_core::import::{decode_text, detect, detect_named, normalize_description};

fuzz_target!(|data: &[u8]| {
    let _ = detect(data);
    let _ = detect_named("statement.qfx", data);
    let (text, _) = decode_text(data);
    let _ = normalize_description(&text);
});
