//! CSV: the guesser, then a parse with the guessed mapping (what the Import page does).
#![no_main]
use libfuzzer_sys::fuzz_target;
use manna_core::import::{ParseOptions, decode_text, guess_mapping, parse_file};

fuzz_target!(|data: &[u8]| {
    let (text, _) = decode_text(data);
    if let Ok(guess) = guess_mapping(&text) {
        let _ = parse_file(data, &ParseOptions::Csv(guess.mapping));
    }
});
