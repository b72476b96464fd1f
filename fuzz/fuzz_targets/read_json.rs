//! Fuzzes the json reader: any bytes, read with the format forced to `json`.
#![no_main]

use demur::transcript::{read_bytes, Format, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        format: Some(Format::Json),
        ..ReadOptions::default()
    };
    let _ = read_bytes(data, "fuzz-input", &opts);
});
