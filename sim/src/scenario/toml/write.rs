//! Values back to TOML text, on one line: for messages ("got [1, 2]") and for the scenario files the explorer
//! writes. Strings are quoted as the `toml` crate quotes them, so exported files keep their look.

use super::{Kind, Value};
use std::fmt::{self, Write as _};

/// `s` as a TOML string: `'…'` when `s` has a `"` or `\` that a literal string can hold as it is, else `"…"`
/// with escapes. (Where neither one-line form fits without escapes, for text with a newline or with `'` and
/// `"` or `\`, the `toml` crate writes a multi-line string; one escaped line reads back the same.)
pub fn quote(s: &str) -> String {
    // ASCII control characters other than tab rule out a literal string.
    let control = s.chars().any(|c| c.is_ascii_control() && c != '\t');
    if !control && s.contains(['"', '\\']) && !s.contains('\'') {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key: bare when it can be, else quoted (Kafka's dotted config names are quoted).
pub fn key(k: &str) -> String {
    let bare = !k.is_empty() && k.bytes().all(super::document::is_bare_key_char);
    if bare {
        k.to_string()
    } else {
        quote(k)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::String(s) => f.write_str(&quote(s)),
            Kind::Integer(i) => write!(f, "{i}"),
            Kind::Float(x) if x.is_nan() => f.write_str(if x.is_sign_negative() { "-nan" } else { "nan" }),
            Kind::Float(x) if x.is_finite() && x.fract() == 0.0 => write!(f, "{x:.1}"),
            Kind::Float(x) => write!(f, "{x}"),
            Kind::Boolean(b) => write!(f, "{b}"),
            Kind::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    write!(f, "{}{item}", if i == 0 { "" } else { ", " })?;
                }
                f.write_str("]")
            }
            Kind::Table(t) if t.entries.is_empty() => f.write_str("{}"),
            Kind::Table(t) => {
                f.write_str("{ ")?;
                for (i, e) in t.entries.iter().enumerate() {
                    write!(f, "{}{} = {}", if i == 0 { "" } else { ", " }, key(&e.key), e.value)?;
                }
                f.write_str(" }")
            }
        }
    }
}
