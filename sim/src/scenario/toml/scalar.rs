//! Strings (basic, literal, and their multi-line forms, with escapes), numbers and booleans.

use super::document::Parser;
use super::{Kind, SyntaxError};

type Result<T> = std::result::Result<T, SyntaxError>;

const ESCAPES: &str = "TOML's escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX; \
                       for a backslash write \\\\, or use a 'literal string'";

/// Control characters other than tab may not be written as they are in a string (or a comment).
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || c == '\u{7f}'
}

impl Parser<'_> {
    fn control_error<T>(&self, c: char) -> Result<T> {
        self.error(
            self.pos,
            format!("control character U+{:04X} in a string", c as u32),
            Some("write it as an escape, e.g. \\u001B, or remove it"),
        )
    }

    /// A one-line string (opened with `quote`) that its line or the file ends before it closes.
    fn unclosed<T>(&self, quote: char) -> Result<T> {
        let end = if self.peek().is_none() { "the file" } else { "the line" };
        let three = quote.to_string().repeat(3);
        let help = format!(
            "close the string with `{quote}` on its line; for text over several lines use {three}…{three}"
        );
        self.error(self.pos, format!("unclosed string: {end} ends before the closing `{quote}`"), Some(&help))
    }

    /// `"text"` with escapes, on one line.
    pub(super) fn basic_string(&mut self) -> Result<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.rest().chars().next() {
                None | Some('\n' | '\r') => return self.unclosed('"'),
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => self.escape(&mut out)?,
                Some(c) if is_control(c) => return self.control_error(c),
                Some(c) => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// `'text'`: no escapes, on one line.
    pub(super) fn literal_string(&mut self) -> Result<String> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.rest().chars().next() {
                None | Some('\n' | '\r') => return self.unclosed('\''),
                Some('\'') => {
                    self.pos += 1;
                    return Ok(self.text[start..self.pos - 1].to_string());
                }
                Some(c) if is_control(c) => return self.control_error(c),
                Some(c) => self.pos += c.len_utf8(),
            }
        }
    }

    /// `"""text"""` with escapes and line-ending backslashes; a newline right after the opening quotes is dropped.
    pub(super) fn ml_basic_string(&mut self) -> Result<String> {
        self.ml_string('"')
    }

    /// `'''text'''`: no escapes; a newline right after the opening quotes is dropped.
    pub(super) fn ml_literal_string(&mut self) -> Result<String> {
        self.ml_string('\'')
    }

    fn ml_string(&mut self, quote: char) -> Result<String> {
        let open = self.pos;
        self.pos += 3;
        self.newline();
        let mut out = String::new();
        loop {
            match self.rest().chars().next() {
                None => {
                    return self.error(
                        open,
                        format!(
                            "unclosed multi-line string: no closing `{0}{0}{0}` before the end of the file",
                            quote
                        ),
                        Some("close the string with three quotes"),
                    )
                }
                Some(c) if c == quote => {
                    let run = self.rest().bytes().take_while(|&b| b == quote as u8).count();
                    if run > 5 {
                        return self.error(
                            self.pos,
                            format!("{run} quotes in a row in a multi-line string"),
                            Some("at most two quotes may stand next to the closing three; escape the rest"),
                        );
                    }
                    self.pos += run;
                    // Up to two quotes may be content next to the closing three: `"""a"""""` is `a""`.
                    let closing = if run >= 3 { 3 } else { 0 };
                    out.extend(std::iter::repeat_n(quote, run - closing));
                    if closing > 0 {
                        return Ok(out);
                    }
                }
                Some('\\') if quote == '"' => {
                    if !self.line_ending_backslash() {
                        self.escape(&mut out)?;
                    }
                }
                Some('\r') if self.peek_at(1) != Some(b'\n') => {
                    return self.error(
                        self.pos,
                        "a carriage return (\\r) without a line feed",
                        Some("end lines with \\n or \\r\\n"),
                    )
                }
                Some('\r' | '\n') => {
                    self.newline();
                    out.push('\n');
                }
                Some(c) if is_control(c) => return self.control_error(c),
                Some(c) => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// A backslash that ends a line: it and every space and newline after it are dropped. False (and nothing
    /// consumed) for any other backslash.
    fn line_ending_backslash(&mut self) -> bool {
        let mut p = self.pos + 1;
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        if !matches!((bytes.get(p), bytes.get(p + 1)), (Some(b'\n'), _) | (Some(b'\r'), Some(b'\n'))) {
            return false;
        }
        self.pos = p;
        loop {
            self.skip_ws();
            if !self.newline() {
                return true;
            }
        }
    }

    /// An escape sequence in a basic string, the cursor on its backslash.
    fn escape(&mut self, out: &mut String) -> Result<()> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'b') => '\u{8}',
            Some(b't') => '\t',
            Some(b'n') => '\n',
            Some(b'f') => '\u{c}',
            Some(b'r') => '\r',
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'u') => return self.unicode_escape(at, 4, out),
            Some(b'U') => return self.unicode_escape(at, 8, out),
            _ => {
                let shown: String = self.text[at..].chars().take(2).filter(|c| !c.is_control()).collect();
                return self.error(at, format!("unknown escape `{shown}` in a string"), Some(ESCAPES));
            }
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    /// `\uXXXX` or `\UXXXXXXXX`.
    fn unicode_escape(&mut self, at: usize, digits: usize, out: &mut String) -> Result<()> {
        let hex = self.text.get(at + 2..at + 2 + digits).unwrap_or("");
        let letter = if digits == 4 { 'u' } else { 'U' };
        if hex.len() != digits || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.error(
                at,
                format!("`\\{letter}` needs {digits} hexadecimal digits"),
                Some(if digits == 4 { "e.g. \\u00E9 for é" } else { "e.g. \\U0001F600" }),
            );
        }
        let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) else {
            return self.error(
                at,
                format!("`\\{letter}{hex}` is not a Unicode scalar value"),
                Some("surrogates (D800 to DFFF) and values above 10FFFF cannot be written"),
            );
        };
        out.push(c);
        self.pos = at + 2 + digits;
        Ok(())
    }

    /// A value that is not quoted and not a bracket: a boolean, a number, or something TOML does not have.
    pub(super) fn bare_value(&mut self) -> Result<Kind> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-' | b'.' | b':'))
        {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        match token {
            "" => return self.error(
                start,
                format!("expected a value, found {}", self.found()),
                Some(
                    "a value is \"text\", a number, true or false, [an, array] or { an = \"inline table\" }",
                ),
            ),
            "true" => return Ok(Kind::Boolean(true)),
            "false" => return Ok(Kind::Boolean(false)),
            _ => {}
        }
        if is_date(token) {
            return self.error(
                start,
                format!("`{token}` is a date or time; dates are not used in scenario files"),
                Some(
                    "write times as milliseconds (1500) or a string with a unit: \"1.5s\", \"250ms\", \"2m\"",
                ),
            );
        }
        let numeric =
            token.trim_start_matches(['+', '-']).starts_with(|c: char| c.is_ascii_digit() || c == '.');
        if !numeric && !matches!(token.trim_start_matches(['+', '-']), "inf" | "nan") {
            return self.error(
                start,
                format!("`{token}` is not a TOML value"),
                Some(&format!("write text in quotes: \"{token}\"; booleans are true and false")),
            );
        }
        number(token).map_err(|(message, help)| SyntaxError {
            offset: start,
            message,
            help: Some(help.into()),
        })
    }
}

/// `1979-05-27…` or `07:32…`: the start of a TOML date or time.
fn is_date(token: &str) -> bool {
    let b = token.as_bytes();
    let digits = |n: usize| b.len() > n && b[..n].iter().all(u8::is_ascii_digit);
    (digits(4) && b[4] == b'-') || (digits(2) && b[2] == b':')
}

/// Digits of `radix` with single underscores between them.
fn digits_ok(s: &str, radix: u32) -> bool {
    let ok = |c: char| c.is_digit(radix);
    s.starts_with(ok) && s.ends_with(ok) && !s.contains("__") && s.chars().all(|c| ok(c) || c == '_')
}

/// A decimal integer part: digits, no leading zero.
fn decimal_ok(s: &str) -> bool {
    digits_ok(s, 10) && !(s.len() > 1 && s.starts_with('0'))
}

const RANGE: &str = "integers are from -9223372036854775808 to 9223372036854775807";

/// An integer or a float, from its text. Errors are (message, help).
fn number(token: &str) -> std::result::Result<Kind, (String, &'static str)> {
    let bad = |help| Err((format!("`{token}` is not a valid number"), help));
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = token.strip_prefix(prefix) {
            if !digits_ok(digits, radix) {
                return bad(
                    "0x (hexadecimal), 0o (octal) and 0b (binary) take digits with single `_` between them",
                );
            }
            let clean = digits.replace('_', "");
            return i64::from_str_radix(&clean, radix)
                .map(Kind::Integer)
                .map_err(|_| (format!("`{token}` does not fit a 64-bit integer"), RANGE));
        }
    }
    let body = token.trim_start_matches(['+', '-']);
    if token.len() - body.len() > 1 {
        return bad("a number has at most one sign");
    }
    let negative = token.starts_with('-');
    match body {
        "inf" => return Ok(Kind::Float(if negative { f64::NEG_INFINITY } else { f64::INFINITY })),
        "nan" => return Ok(Kind::Float(if negative { -f64::NAN } else { f64::NAN })),
        _ => {}
    }
    let clean = token.replace('_', "");
    if !body.contains(['.', 'e', 'E']) {
        if !decimal_ok(body) {
            return bad(
                "a decimal integer has no leading zero (0o17 is octal) and single `_` between digits",
            );
        }
        return clean
            .parse::<i64>()
            .map(Kind::Integer)
            .map_err(|_| (format!("`{token}` does not fit a 64-bit integer"), RANGE));
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let exponent_ok = exponent.is_none_or(|e| digits_ok(e.strip_prefix(['+', '-']).unwrap_or(e), 10));
    if !decimal_ok(int) || !frac.is_none_or(|f| digits_ok(f, 10)) || !exponent_ok {
        return bad("a float is digits, a `.` and digits (1.5, 0.25), optionally an exponent (1e6, 2.5E-3)");
    }
    match clean.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Kind::Float(f)),
        _ => Err((format!("`{token}` is too large for a 64-bit float"), "floats are at most about 1.8e308")),
    }
}
