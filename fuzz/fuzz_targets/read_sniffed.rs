//! Fuzzes format sniffing: any bytes from stdin (`-`), the format detected from the content.
#![no_main]

use demur::transcript::{read_bytes, ReadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_bytes(data, "-", &ReadOptions::default());
});
