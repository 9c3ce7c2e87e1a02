//! The reader, one syntax feature per test, and each error with the line and column it reports.

use super::{parse, Kind, Value};
use crate::scenario::error::Locator;

/// The document on one line, as [`Value`]'s `Display` writes it.
fn read(text: &str) -> String {
    match parse(text) {
        Ok(v) => v.to_string(),
        Err(e) => panic!("{text:?} did not parse: {e:?}"),
    }
}

/// The value of `v = …`.
fn value(text: &str) -> Kind {
    let root = parse(&format!("v = {text}")).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
    root.as_table().and_then(|t| t.get("v")).map(|v| v.kind.clone()).expect("v is set")
}

/// (line, column, message) of the error `text` gets.
fn error(text: &str) -> (usize, usize, String) {
    let e = parse(text).expect_err("a syntax error");
    let located = Locator::new("t.toml", text).error(e.offset, e.message.clone(), e.help);
    (located.line, located.column, e.message)
}

fn assert_error(text: &str, line: usize, column: usize, words: &str) {
    let (l, c, message) = error(text);
    assert_eq!((l, c), (line, column), "{text:?}: {message}");
    assert!(message.contains(words), "{text:?}: `{message}` does not say `{words}`");
}

#[test]
fn comments_blank_lines_and_keys() {
    let text = "# a comment\n\na = 1 # after a value\n\"b c\" = 2\n'd.e' = 3\nf . g.\"h\" = 4\n-_9 = 5\r\n";
    assert_eq!(read(text), "{ a = 1, \"b c\" = 2, \"d.e\" = 3, f = { g = { h = 4 } }, -_9 = 5 }");
    assert_eq!(read(""), "{}");
    assert_eq!(read("\u{feff}a = 1"), "{ a = 1 }");
}

#[test]
fn tables_and_arrays_of_tables() {
    let text = "[x]\na = 1\n[x.y]\nb = 2\n[[t]]\nn = 1\n[[t]]\nn = 2\n[t.sub]\nz = true\n[ q . 'r' ]\n";
    assert_eq!(
        read(text),
        "{ x = { a = 1, y = { b = 2 } }, t = [{ n = 1 }, { n = 2, sub = { z = true } }], q = { r = {} } }"
    );
    // A parent made by a header may be defined later; dotted keys may add sub-tables under a [table].
    assert_eq!(read("[a.b]\nc = 1\n[a]\nd = 2\n"), "{ a = { b = { c = 1 }, d = 2 } }");
    assert_eq!(read("[a]\nb.c = 1\n[a.b.d]\ne = 2\n"), "{ a = { b = { c = 1, d = { e = 2 } } } }");
}

#[test]
fn inline_tables_and_arrays() {
    assert_eq!(read("a = { b = 1, c.d = \"x\" }"), "{ a = { b = 1, c = { d = \"x\" } } }");
    assert_eq!(read("a = {}\nb = []"), "{ a = {}, b = [] }");
    assert_eq!(read("a = [\n  1, # one\n  # nothing\n  2,\n]\n"), "{ a = [1, 2] }");
    assert_eq!(
        read("a = [[1, 2], [\"x\", 1.5], [{ k = true }]]"),
        "{ a = [[1, 2], [\"x\", 1.5], [{ k = true }]] }"
    );
}

#[test]
fn basic_strings_and_escapes() {
    let s = |t: &str| match value(t) {
        Kind::String(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        s(r#""tab\there \"q\" \\ \u00E9 \U0001F600 \b\f\r\n""#),
        "tab\there \"q\" \\ é 😀 \u{8}\u{c}\r\n"
    );
    assert_eq!(s(r#""""#), "");
    assert_eq!(s("'C:\\path\\to'"), "C:\\path\\to");
    assert_eq!(s("\"\"\"\nfirst\n  second\"\"\""), "first\n  second");
    assert_eq!(s("\"\"\"one \\\n    two \\\r\n\n   three\"\"\""), "one two three");
    assert_eq!(s("\"\"\"a \"quoted\" \"\"word\"\"\"\"\""), "a \"quoted\" \"\"word\"\"");
    assert_eq!(s("'''\nno \\escapes\r\nhere'''"), "no \\escapes\nhere");
    assert_eq!(s("''''a'''''"), "'a''");
}

#[test]
fn integers() {
    let cases = [
        ("+99", 99),
        ("-17", -17),
        ("0", 0),
        ("-0", 0),
        ("1_000", 1000),
        ("0xDEAD_beef", 0xdead_beef),
        ("0o755", 0o755),
        ("0b1101", 13),
        ("0x00ff", 255),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
    ];
    for (text, n) in cases {
        assert_eq!(value(text), Kind::Integer(n), "{text}");
    }
}

#[test]
fn floats_and_booleans() {
    let cases = [
        ("2.5", 2.5),
        ("-0.01", -0.01),
        ("5e+22", 5e22),
        ("1e06", 1e6),
        ("-2E-2", -0.02),
        ("6.626e-34", 6.626e-34),
        ("1_000.5", 1000.5),
        ("inf", f64::INFINITY),
        ("-inf", f64::NEG_INFINITY),
        ("0.0", 0.0),
    ];
    for (text, x) in cases {
        assert_eq!(value(text), Kind::Float(x), "{text}");
    }
    assert!(matches!(value("nan"), Kind::Float(x) if x.is_nan()));
    assert!(matches!(value("-nan"), Kind::Float(x) if x.is_nan()));
    assert_eq!(value("true"), Kind::Boolean(true));
    assert_eq!(value("false"), Kind::Boolean(false));
}

#[test]
fn spans_of_keys_values_and_tables() {
    let text = "top = 1\n[t]\nname = \"x\"\nlist = [1, 2]\n\n[u]\n";
    let root = parse(text).expect("parses");
    assert_eq!(root.span, 0..7, "the document: byte 0 to its last top-level value");
    let t = root.as_table().and_then(|r| r.get("t")).expect("t");
    assert_eq!(&text[t.span.clone()], "[t]\nname = \"x\"\nlist = [1, 2]", "header to last value");
    let entries = &t.as_table().expect("a table").entries;
    assert_eq!(&text[entries[0].key_span.clone()], "name");
    assert_eq!(&text[entries[0].value.span.clone()], "\"x\"");
    assert_eq!(&text[entries[1].value.span.clone()], "[1, 2]");
    let u = root.as_table().and_then(|r| r.entries.iter().find(|e| e.key == "u")).expect("u");
    assert_eq!(&text[u.value.span.clone()], "[u]");
    assert_eq!(&text[u.key_span.clone()], "u");
    let inline = parse("a = { b = 1 }").expect("parses");
    let a: &Value = inline.as_table().and_then(|r| r.get("a")).expect("a");
    assert_eq!(a.span, 4..13);
}

#[test]
fn duplicate_keys_and_redefined_tables_are_errors() {
    assert_error("a = 1\na = 2\n", 2, 1, "duplicate key `a` in the document root");
    assert_error("[s]\nx = 1\n x = 2\n", 3, 2, "duplicate key `x` in table `s`: it is already set at line 2");
    assert_error("[s]\n[t]\n[s]\n", 3, 1, "duplicate key `s`: the table [s] is already defined at line 1");
    assert_error("a = { b = 1, b = 2 }", 1, 14, "duplicate key `b` in this inline table");
    // Dotted keys never reopen a [table], a header never reopens dotted keys, written values stay closed.
    assert_error("[a.b]\nc = 1\n[a]\nb.d = 2\n", 4, 1, "duplicate key `b`");
    assert_error("[a]\nb.c = 1\n[a.b]\n", 3, 1, "duplicate key `b`");
    assert_error("a = { b = 1 }\na.c = 2\n", 2, 1, "duplicate key `a`");
    assert_error("a = { b = 1 }\n[a.c]\n", 2, 2, "`a` is already a value (line 1)");
    assert_error("a = []\n[[a]]\n", 2, 1, "not by [[a]]");
    assert_error("[[a]]\n[a]\n", 2, 1, "duplicate key `a`");
    assert_error("a = 1\n[a.b]\n", 2, 2, "`a` is already a value");
}

#[test]
fn string_errors_point_at_the_problem() {
    assert_error("a = \"never closed\nb = 1\n", 1, 18, "unclosed string: the line ends");
    assert_error("a = 'never closed", 1, 18, "unclosed string: the file ends");
    assert_error("a = 1\nb = \"\"\"\nnever closed\n", 2, 5, "unclosed multi-line string");
    assert_error("a = \"bad \\x41 escape\"", 1, 10, "unknown escape `\\x`");
    assert_error("a = \"\\uD800\"", 1, 6, "`\\uD800` is not a Unicode scalar value");
    assert_error("a = \"\\u12\"", 1, 6, "`\\u` needs 4 hexadecimal digits");
    assert_error("a = \"bell \u{7}\"", 1, 11, "control character U+0007 in a string");
    assert_error("a = \"\"\"x\"\"\"\"\"\"", 1, 9, "6 quotes in a row");
}

#[test]
fn number_errors_say_what_is_wrong() {
    assert_error("a = 01", 1, 5, "`01` is not a valid number");
    assert_error("a = 1__0", 1, 5, "`1__0` is not a valid number");
    assert_error("a = 1_", 1, 5, "is not a valid number");
    assert_error("a = 1.", 1, 5, "is not a valid number");
    assert_error("a = .5", 1, 5, "`.5` is not a valid number");
    assert_error("a = +0x10", 1, 5, "is not a valid number");
    assert_error("a = 9223372036854775808", 1, 5, "does not fit a 64-bit integer");
    assert_error("a = 0x1_0000_0000_0000_0000", 1, 5, "does not fit a 64-bit integer");
    assert_error("\nwhen = 1979-05-27", 2, 8, "dates are not used in scenario files");
    assert_error("when = 07:32:00", 1, 8, "dates are not used in scenario files");
    assert_error("one_way = yes", 1, 11, "`yes` is not a TOML value");
    assert_error("a = True", 1, 5, "`True` is not a TOML value");
}

#[test]
fn structure_errors_point_at_the_problem() {
    assert_error("This is not TOML", 1, 6, "expected `=` after the key `This`");
    assert_error("a = 1 2", 1, 7, "expected the end of the line after the value");
    assert_error("[cluster\nbrokers = 3", 1, 9, "invalid table header: expected `.` or `]`");
    assert_error("[[t]\n", 1, 4, "invalid table header: expected `.` or `]]`");
    assert_error("[t] x = 1", 1, 5, "expected the end of the line after the table header");
    assert_error("= 1", 1, 1, "expected a key");
    assert_error("a = ", 1, 5, "expected a value, found the end of the file");
    assert_error("a = [1 2]", 1, 8, "expected `,` or `]` in the array that starts at line 1");
    assert_error("a = [1,\n", 2, 1, "expected a value");
    assert_error("a = { b = 1,\n c = 2 }", 1, 13, "expected a key");
    assert_error("a = { b = 1 \n}", 1, 13, "expected `,` or `}` in an inline table");
    assert_error("a = { b = 1, }", 1, 14, "a trailing comma in an inline table");
    assert_error("# bell \u{7}\n", 1, 8, "control character U+0007 in a comment");
    assert_error("a = 1\rb = 2", 1, 6, "a carriage return");
}

#[test]
fn strings_are_quoted_as_the_toml_crate_quotes_them() {
    use super::{key, quote};
    assert_eq!(quote("plain"), "\"plain\"");
    assert_eq!(quote("a \"quoted\" word"), "'a \"quoted\" word'");
    assert_eq!(quote("C:\\kafka"), "'C:\\kafka'");
    assert_eq!(quote("it's \"x\""), "\"it's \\\"x\\\"\"");
    assert_eq!(quote("line\nbreak\u{1}"), "\"line\\nbreak\\u0001\"");
    assert_eq!(quote("tab\there"), "\"tab\\there\"");
    assert_eq!(key("client-1_a"), "client-1_a");
    assert_eq!(key("min.insync.replicas"), "\"min.insync.replicas\"");
    assert_eq!(key(""), "\"\"");
}

#[test]
fn written_values_read_back_the_same() {
    let text =
        "v = [1, -7, 2.5, -0.0, 3.0, 1e300, inf, -inf, nan, true, \"x\", 'y\"', \"z'\\\"\", \"a\\nb\", \
                { a = 1, \"b.c\" = [], d = {} }, []]";
    let once = read(text);
    assert_eq!(
        once,
        "{ v = [1, -7, 2.5, -0.0, 3.0, 1e300, inf, -inf, nan, true, \"x\", 'y\"', \"z'\\\"\", \"a\\nb\", \
         { a = 1, \"b.c\" = [], d = {} }, []] }"
            .replace("1e300", &format!("{:.1}", 1e300))
    );
    let inner = once.strip_prefix("{ ").and_then(|s| s.strip_suffix(" }")).expect("a table");
    assert_eq!(read(inner), once, "written, then read again");
}
