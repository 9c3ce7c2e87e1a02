//! The document: lines, keys, `[table]` and `[[array]]` headers, arrays, inline tables, and TOML's rules on
//! which tables later lines may add to. Strings and numbers are in `scalar.rs`.

use super::{Entry, Kind, Origin, Span, SyntaxError, Table, Value};

type Result<T> = std::result::Result<T, SyntaxError>;

/// Parses a TOML document into its root table (a [`Value`] spanning byte 0 to its last top-level value).
pub fn parse(text: &str) -> Result<Value> {
    let mut p = Parser { text, pos: 0 };
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    let mut root = Value::new(Kind::Table(Table::default()), 0..0, Origin::Header);
    // The keys of the last header: where `key = value` lines go.
    let mut current: Vec<String> = Vec::new();
    loop {
        p.skip_ws();
        match p.peek() {
            None => break,
            Some(b'\n' | b'\r' | b'#') => p.line_end("")?,
            Some(b'[') => current = p.header(&mut root)?,
            Some(_) => {
                let keys = p.key()?;
                let value = p.key_value_rest(&keys)?;
                let table = table_at(&mut root, &current);
                table.span.end = value.span.end;
                let name = if current.is_empty() {
                    "the document root".to_string()
                } else {
                    format!("table `{}`", current.join("."))
                };
                p.insert(table, keys, value, &name)?;
                p.line_end(" after the value")?;
            }
        }
    }
    Ok(root)
}

/// The table (or last table of an array of tables) at `path`. The header that made `path` current checked it.
fn table_at<'v>(root: &'v mut Value, path: &[String]) -> &'v mut Value {
    let mut v = root;
    for key in path {
        let Kind::Table(t) = &mut v.kind else { unreachable!("a header path goes through tables") };
        let i = t.position(key).expect("a header path exists");
        let next = &mut t.entries[i].value;
        v = if next.origin == Origin::ArrayOfTables {
            match &mut next.kind {
                Kind::Array(items) => items.last_mut().expect("a table per [[header]]"),
                _ => unreachable!("an array of tables is an array"),
            }
        } else {
            next
        };
    }
    v
}

/// A cursor over the text. Errors carry the byte offset of the problem.
pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

pub(super) fn is_bare_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Parser<'a> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + ahead).copied()
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(super) fn error<T>(
        &self,
        offset: usize,
        message: impl Into<String>,
        help: Option<&str>,
    ) -> Result<T> {
        Err(SyntaxError { offset, message: message.into(), help: help.map(str::to_string) })
    }

    /// The 1-based line of `offset`, for messages that point back at an earlier line.
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.text[..offset].matches('\n').count() + 1
    }

    pub(super) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment, if one starts here. TOML allows no control character in it but tab.
    fn skip_comment(&mut self) -> Result<()> {
        if self.peek() != Some(b'#') {
            return Ok(());
        }
        while let Some(b) = self.peek() {
            if b == b'\n' || (b == b'\r' && self.peek_at(1) == Some(b'\n')) {
                break;
            }
            if (b < 0x20 && b != b'\t') || b == 0x7f {
                return self.error(
                    self.pos,
                    format!("control character U+{b:04X} in a comment"),
                    Some("TOML comments may hold any text but control characters; remove it"),
                );
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// A newline (`\n` or `\r\n`), if one starts here.
    pub(super) fn newline(&mut self) -> bool {
        match (self.peek(), self.peek_at(1)) {
            (Some(b'\n'), _) => self.pos += 1,
            (Some(b'\r'), Some(b'\n')) => self.pos += 2,
            _ => return false,
        }
        true
    }

    /// Spaces, an optional comment, then the end of the line (or of the file).
    fn line_end(&mut self, what: &str) -> Result<()> {
        self.skip_ws();
        self.skip_comment()?;
        if self.peek().is_none() || self.newline() {
            return Ok(());
        }
        if self.peek() == Some(b'\r') {
            return self.error(
                self.pos,
                "a carriage return (\\r) without a line feed",
                Some("end lines with \\n or \\r\\n"),
            );
        }
        self.error(
            self.pos,
            format!("expected the end of the line{what}, found {}", self.found()),
            Some("write one `key = value` or `[table]` per line; a comment starts with `#`"),
        )
    }

    /// The character at the cursor, for messages.
    pub(super) fn found(&self) -> String {
        match self.rest().chars().next() {
            None => "the end of the file".to_string(),
            Some('\n' | '\r') => "the end of the line".to_string(),
            Some(c) if c.is_control() => format!("the control character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    /// Blank space inside an array: spaces, newlines and comments.
    fn skip_blank(&mut self) -> Result<()> {
        loop {
            self.skip_ws();
            self.skip_comment()?;
            if !self.newline() {
                return Ok(());
            }
        }
    }

    /// A key: one or more simple keys joined by dots (`a`, `"a.b"`, `a.'b'.c`), with their spans.
    fn key(&mut self) -> Result<Vec<(String, Span)>> {
        let mut keys = Vec::new();
        loop {
            self.skip_ws();
            let start = self.pos;
            let key =
                match self.peek() {
                    Some(b'"') => self.basic_string()?,
                    Some(b'\'') => self.literal_string()?,
                    Some(b) if is_bare_key_char(b) => {
                        while self.peek().is_some_and(is_bare_key_char) {
                            self.pos += 1;
                        }
                        self.text[start..self.pos].to_string()
                    }
                    _ => return self.error(
                        self.pos,
                        format!("expected a key, found {}", self.found()),
                        Some("a key is bare (letters, digits, `_`, `-`) or quoted: \"min.insync.replicas\""),
                    ),
                };
            keys.push((key, start..self.pos));
            self.skip_ws();
            if self.peek() != Some(b'.') {
                return Ok(keys);
            }
            self.pos += 1;
        }
    }

    /// `= value` after a key.
    fn key_value_rest(&mut self, keys: &[(String, Span)]) -> Result<Value> {
        self.skip_ws();
        if self.peek() != Some(b'=') {
            let key = keys.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(".");
            return self.error(
                self.pos,
                format!("expected `=` after the key `{key}`, found {}", self.found()),
                Some("a line is `key = value`, a table header `[name]`, or a comment starting with `#`"),
            );
        }
        self.pos += 1;
        self.skip_ws();
        self.value()
    }

    /// `[a.b]` or `[[a.b]]`: defines the table and returns its path, where the next keys go.
    fn header(&mut self, root: &mut Value) -> Result<Vec<String>> {
        let start = self.pos;
        let array = self.peek_at(1) == Some(b'[');
        self.pos += if array { 2 } else { 1 };
        let keys = self.key()?;
        let close = if array { "]]" } else { "]" };
        if !self.rest().starts_with(close) {
            return self.error(
                self.pos,
                format!("invalid table header: expected `.` or `{close}`, found {}", self.found()),
                Some(if array {
                    "write [[name]] on a line of its own"
                } else {
                    "write [name] on a line of its own"
                }),
            );
        }
        self.pos += close.len();
        let span = start..self.pos;
        self.line_end(" after the table header")?;
        self.define_table(root, &keys, span, array)?;
        Ok(keys.into_iter().map(|(k, _)| k).collect())
    }

    /// Creates the table a header names, walking (and creating) its parents.
    fn define_table(&self, root: &mut Value, keys: &[(String, Span)], span: Span, array: bool) -> Result<()> {
        let (last, parents) = keys.split_last().expect("a key has at least one part");
        let mut v = root;
        for (key, key_span) in parents {
            let Kind::Table(t) = &mut v.kind else { unreachable!("only tables are walked") };
            let i = match t.position(key) {
                Some(i) => i,
                None => {
                    let table = Value::new(Kind::Table(Table::default()), span.clone(), Origin::Implicit);
                    t.entries.push(Entry { key: key.clone(), key_span: key_span.clone(), value: table });
                    t.entries.len() - 1
                }
            };
            let line = self.line_of(t.entries[i].key_span.start);
            let entry = &mut t.entries[i].value;
            v = match (entry.origin, matches!(entry.kind, Kind::Table(_))) {
                (Origin::ArrayOfTables, _) => match &mut entry.kind {
                    Kind::Array(items) => {
                        items.last_mut().expect("an array of tables has a table per header")
                    }
                    _ => unreachable!("an array of tables is an array"),
                },
                (Origin::Header | Origin::Implicit | Origin::Dotted, true) => entry,
                _ => {
                    return self.error(
                        key_span.start,
                        format!("`{key}` is already a value (line {line}), so it cannot hold a table"),
                        Some("a key is either a value or a table"),
                    )
                }
            };
        }
        let Kind::Table(t) = &mut v.kind else { unreachable!("only tables are walked") };
        let (key, key_span) = last;
        let Some(i) = t.position(key) else {
            let value = if array {
                let table = Value::new(Kind::Table(Table::default()), span.clone(), Origin::Header);
                Value::new(Kind::Array(vec![table]), span.clone(), Origin::ArrayOfTables)
            } else {
                Value::new(Kind::Table(Table::default()), span.clone(), Origin::Header)
            };
            t.entries.push(Entry { key: key.clone(), key_span: key_span.clone(), value });
            return Ok(());
        };
        let line = self.line_of(t.entries[i].key_span.start);
        let existing = &mut t.entries[i];
        match (existing.value.origin, &mut existing.value.kind, array) {
            (Origin::Implicit, Kind::Table(_), false) => {
                existing.value.origin = Origin::Header;
                existing.value.span = span;
                existing.key_span = key_span.clone();
                Ok(())
            }
            (Origin::ArrayOfTables, Kind::Array(items), true) => {
                existing.value.span.end = span.end;
                items.push(Value::new(Kind::Table(Table::default()), span, Origin::Header));
                Ok(())
            }
            (_, _, false) => self.error(
                span.start,
                format!("duplicate key `{key}`: the table [{}] is already defined at line {line}", path(keys)),
                Some("a table is defined once; put all its keys under its first header"),
            ),
            (_, _, true) => self.error(
                span.start,
                format!("duplicate key `{key}`: it is already defined at line {line}, and not by [[{key}]]"),
                Some("[[name]] adds a table to an array of tables; it cannot add to a table or a written array"),
            ),
        }
    }

    /// Sets `keys = value` in `table`, creating the tables of a dotted key. `name` says which table, for errors.
    fn insert(&self, table: &mut Value, keys: Vec<(String, Span)>, value: Value, name: &str) -> Result<()> {
        let end = value.span.end;
        let mut keys = keys;
        let (last, last_span) = keys.pop().expect("a key has at least one part");
        let mut v = table;
        for (key, key_span) in keys {
            let Kind::Table(t) = &mut v.kind else { unreachable!("only tables are walked") };
            let i = match t.position(&key) {
                Some(i) => i,
                None => {
                    let table =
                        Value::new(Kind::Table(Table::default()), key_span.start..end, Origin::Dotted);
                    t.entries.push(Entry { key, key_span: key_span.clone(), value: table });
                    t.entries.len() - 1
                }
            };
            if t.entries[i].value.origin != Origin::Dotted {
                let line = self.line_of(t.entries[i].key_span.start);
                let key = &t.entries[i].key;
                return self.error(
                    key_span.start,
                    format!("duplicate key `{key}` in {name}: it is already defined at line {line}"),
                    Some("dotted keys may add to a table only another dotted key made"),
                );
            }
            v = &mut t.entries[i].value;
            v.span.end = end;
        }
        let Kind::Table(t) = &mut v.kind else { unreachable!("only tables are walked") };
        if let Some(i) = t.position(&last) {
            let line = self.line_of(t.entries[i].key_span.start);
            return self.error(
                last_span.start,
                format!("duplicate key `{last}` in {name}: it is already set at line {line}"),
                Some("a key is set once per table; remove one of them"),
            );
        }
        t.entries.push(Entry { key: last, key_span: last_span, value });
        Ok(())
    }

    /// A value: string, number, boolean, array or inline table.
    pub(super) fn value(&mut self) -> Result<Value> {
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'"') if self.rest().starts_with("\"\"\"") => Kind::String(self.ml_basic_string()?),
            Some(b'"') => Kind::String(self.basic_string()?),
            Some(b'\'') if self.rest().starts_with("'''") => Kind::String(self.ml_literal_string()?),
            Some(b'\'') => Kind::String(self.literal_string()?),
            Some(b'[') => return self.array(),
            Some(b'{') => return self.inline_table(),
            _ => self.bare_value()?,
        };
        Ok(Value::new(kind, start..self.pos, Origin::Literal))
    }

    /// `[ value, value, ]`, over as many lines as it likes.
    fn array(&mut self) -> Result<Value> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek() == Some(b']') {
                break;
            }
            items.push(self.value()?);
            self.skip_blank()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => break,
                _ => {
                    let line = self.line_of(start);
                    return self.error(
                        self.pos,
                        format!(
                            "expected `,` or `]` in the array that starts at line {line}, found {}",
                            self.found()
                        ),
                        Some("separate the items with commas and close the array with `]`"),
                    );
                }
            }
        }
        self.pos += 1;
        Ok(Value::new(Kind::Array(items), start..self.pos, Origin::Literal))
    }

    /// `{ key = value, … }` on one line; closed once written.
    fn inline_table(&mut self) -> Result<Value> {
        let start = self.pos;
        self.pos += 1;
        let mut table = Value::new(Kind::Table(Table::default()), start..start, Origin::Header);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                let keys = self.key()?;
                let value = self.key_value_rest(&keys)?;
                self.insert(&mut table, keys, value, "this inline table")?;
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return self.error(
                            self.pos,
                            format!("expected `,` or `}}` in an inline table, found {}", self.found()),
                            Some(
                                "an inline table is `{ key = value, … }` on one line; use a [table] for more",
                            ),
                        )
                    }
                }
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    return self.error(
                        self.pos,
                        "a trailing comma in an inline table",
                        Some("TOML allows no comma after the last `key = value` of `{ … }`"),
                    );
                }
            }
        }
        table.span = start..self.pos;
        close(&mut table);
        Ok(table)
    }
}

/// `a.b` for the keys of `[a.b]`, quoted where they need it.
fn path(keys: &[(String, Span)]) -> String {
    keys.iter().map(|(k, _)| super::key(k)).collect::<Vec<_>>().join(".")
}

/// Marks an inline table and the tables its dotted keys made as written values, which later lines cannot extend.
fn close(v: &mut Value) {
    v.origin = Origin::Literal;
    if let Kind::Table(t) = &mut v.kind {
        for e in &mut t.entries {
            close(&mut e.value);
        }
    }
}
