//! Fuzzes the vtt reader: any bytes, read with the format forced to `vtt`.
#![no_main]

use demur::transcript::{read_bytes, Format, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        format: Some(Format::Vtt),
        ..ReadOptions::default()
    };
    let _ = read_bytes(data, "fuzz-input", &opts);
});
