//! A small TOML 1.0 reader for scenario files: text → a tree of [`Value`]s in which every key and every value
//! keeps its byte span, so that a check made long after parsing can still say file:line:column.
//!
//! Why not the `toml` crate: its serde-based reader (serde visitors, `toml_edit`, `winnow`) was about 600 KB of
//! the browser bundle's 2.3 MB. This reader is one non-generic value type and a recursive-descent parser.
//!
//! What it reads is TOML 1.0 as people write it by hand: comments; bare, quoted and dotted keys; `[table]` and
//! `[[array.of.tables]]` headers; inline tables; arrays (multi-line, trailing comma); basic and literal strings,
//! single- and multi-line, with every escape; integers (`_`, hex, octal, binary, sign); floats (exponent, `inf`,
//! `nan`); booleans. Dates and times are rejected: no scenario key takes one. The table rules are TOML's: a key
//! is set once, a table is defined once, dotted keys never reopen a `[table]`, inline tables and arrays written
//! as values are closed (`tests/toml_differential.rs` holds this reader to the `toml` crate's answers).
//!
//! Spans follow the `toml` crate's, which the scenario errors were written against: a scalar, array or inline
//! table spans its text; a table opened by a header spans from the header to the end of its last value; the
//! document spans from byte 0 to the end of its last top-level value.

mod document;
mod scalar;
#[cfg(test)]
mod tests;
mod write;

pub use document::parse;
pub use write::{key, quote};

/// A byte range in the file.
pub type Span = std::ops::Range<usize>;

/// A syntax error: where (a byte offset), what was wrong, what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
    /// What would be right, if we can say.
    pub help: Option<String>,
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The value.
    pub kind: Kind,
    /// Its text (for a table opened by a header: the header to its last value).
    pub span: Span,
    /// How it was defined, which decides whether later lines may add to it.
    origin: Origin,
}

/// A TOML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `"text"`, `'text'` and their multi-line forms.
    String(String),
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// `[…]`, or the tables of `[[name]]` headers.
    Array(Vec<Value>),
    /// A table, from a header, dotted keys or `{…}`.
    Table(Table),
}

/// A table: its entries in the order they were written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Keys are distinct: the parser rejects a second one.
    pub entries: Vec<Entry>,
}

/// One `key = value` of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, unquoted.
    pub key: String,
    /// Where the key was written (for a table opened by `[a.b]`: the `b`).
    pub key_span: Span,
    /// The value.
    pub value: Value,
}

/// How a table or array came to be. TOML lets later lines add to some and not to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Written as a value (a scalar, `[…]`, `{…}`): closed.
    Literal,
    /// Opened by a `[name]` header (or the document itself): dotted keys may not add to it.
    Header,
    /// Created as the parent of a header (`a` of `[a.b]`): a later `[a]` may still define it.
    Implicit,
    /// Created by a dotted key (`a` of `a.b = 1`): more dotted keys may add to it, a header may not.
    Dotted,
    /// The array of `[[name]]` headers: each header adds a table.
    ArrayOfTables,
}

impl Value {
    fn new(kind: Kind, span: Span, origin: Origin) -> Self {
        Value { kind, span, origin }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The table, if this is one.
    pub fn as_table(&self) -> Option<&Table> {
        match &self.kind {
            Kind::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::Array(items) => Some(items),
            _ => None,
        }
    }
}

impl Kind {
    /// The type's name as TOML calls it: `string`, `integer`, `float`, `boolean`, `array`, `table`.
    pub fn type_str(&self) -> &'static str {
        match self {
            Kind::String(_) => "string",
            Kind::Integer(_) => "integer",
            Kind::Float(_) => "float",
            Kind::Boolean(_) => "boolean",
            Kind::Array(_) => "array",
            Kind::Table(_) => "table",
        }
    }
}

impl Table {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key)
    }
}
