//! QIF in every date order and decimal mark.
#![no_main]
use libfuzzer_sys::fuzz_target;
use manna_core::import::{DateOrder, ParseOptions, QifOptions, parse_file};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let date_order = match selector % 3 {
        0 => DateOrder::MonthFirst,
        1 => DateOrder::DayFirst,
        _ => DateOrder::YearFirst,
    };
    let options = QifOptions { date_order, decimal_comma: selector & 4 != 0 };
    let _ = parse_file(rest, &ParseOptions::Qif(options));
});
