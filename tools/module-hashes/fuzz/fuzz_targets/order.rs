//! Fuzzes the tool's modules.order parser: any bytes give entries or an
//! error naming a line, never a panic, and accepted entries are exactly the
//! lines, each once, without their `.o`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use module_hashes::order::{self, OrderError};
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count();
    match order::parse(text) {
        Ok(entries) => {
            assert_eq!(entries.len(), lines);
            let mut seen = HashSet::new();
            for (entry, line) in entries.iter().zip(text.lines()) {
                assert_eq!(format!("{}.o", entry.stem), line);
                assert!(!entry.stem.starts_with('/') && !entry.stem.is_empty());
                assert!(!entry.stem.chars().any(char::is_control));
                assert!(seen.insert(entry.stem.as_str()), "duplicate accepted");
                assert_eq!(entry.module_path(".ko"), format!("{}.ko", entry.stem));
            }
        }
        Err(OrderError::Malformed { line, .. }) | Err(OrderError::Duplicate { line }) => {
            assert!(line >= 1 && line <= lines.max(1), "line {line} of {lines}");
        }
        Err(OrderError::TooMany) => panic!("too many modules from {} bytes", data.len()),
    }
});
