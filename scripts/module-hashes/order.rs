// SPDX-License-Identifier: GPL-2.0

//! Reading `modules.order`: one module object per line, `path/name.o`,
//! relative to the object tree, in the order that defines each module's
//! position in the tree.

use std::collections::HashSet;
use std::fmt;

/// One module of `modules.order`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line without its `.o`: the module's path stem.
    pub stem: String,
}

impl Entry {
    /// The module file: the stem followed by the module suffix.
    pub fn module_path(&self, suffix: &str) -> String {
        format!("{}{}", self.stem, suffix)
    }
}

/// Why `modules.order` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderError {
    /// A line that is not a module object path; 1-based line number.
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same module listed twice.
    Duplicate {
        /// 1-based line number of the second occurrence.
        line: usize,
    },
    /// More modules than a 32-bit position can name.
    TooMany,
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::Malformed { line, reason } => write!(f, "line {line}: {reason}"),
            OrderError::Duplicate { line } => {
                write!(f, "line {line}: module listed twice")
            }
            OrderError::TooMany => write!(f, "more than {} modules", u32::MAX),
        }
    }
}

/// The largest number of modules a tree can hold: positions are `u32`.
pub const MAX_MODULES: u64 = u32::MAX as u64;

/// Checks that `count` modules fit in a tree.
pub fn check_count(count: u64) -> Result<(), OrderError> {
    if count > MAX_MODULES {
        Err(OrderError::TooMany)
    } else {
        Ok(())
    }
}

/// Parses the contents of `modules.order`.
///
/// Every line must be a relative path ending in `.o`, without surrounding
/// white space or control characters; the file ends with a newline (or is
/// empty).
pub fn parse(text: &str) -> Result<Vec<Entry>, OrderError> {
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    if text.is_empty() {
        return Ok(entries);
    }
    let body = text.strip_suffix('\n').ok_or(OrderError::Malformed {
        line: text.lines().count(),
        reason: "last line has no newline (truncated file?)",
    })?;
    for (index, line) in body.split('\n').enumerate() {
        let number = index + 1;
        let malformed = |reason| OrderError::Malformed {
            line: number,
            reason,
        };
        if line.is_empty() {
            return Err(malformed("empty line"));
        }
        if line.trim() != line {
            return Err(malformed("leading or trailing white space"));
        }
        if line.chars().any(char::is_control) {
            return Err(malformed("control character in path"));
        }
        if line.starts_with('/') {
            return Err(malformed(
                "absolute path (paths are relative to the object tree)",
            ));
        }
        let stem = line
            .strip_suffix(".o")
            .ok_or_else(|| malformed("does not end in .o"))?;
        if stem.is_empty() || stem.ends_with('/') {
            return Err(malformed("no module name before .o"));
        }
        check_count(entries.len() as u64 + 1)?;
        if !seen.insert(stem) {
            return Err(OrderError::Duplicate { line: number });
        }
        entries.push(Entry {
            stem: stem.to_string(),
        });
    }
    Ok(entries)
}
