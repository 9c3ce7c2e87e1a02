//! The scenario reader's TOML parser (`kafkasim::scenario::toml`) against the `toml` crate it replaced: every
//! scenario file, every bad-input file, a set of tricky snippets and mechanical mutations of the scenario files
//! must give the same value tree, or an error from both. The one intended difference: dates and times, which no
//! scenario key takes, are an error here and a value there (`bad_scenarios/syntax-date-value.toml`).

use kafkasim::scenario::toml::{self as reader, Kind, Value};
use kafkasim_tests::{repo_root, toml_files};

/// A value in one canonical text: tables sorted by key, floats by their shortest round-trip form.
fn ours(v: &Value) -> String {
    match &v.kind {
        Kind::String(s) => format!("{s:?}"),
        Kind::Integer(i) => format!("{i}"),
        Kind::Float(f) => float(*f),
        Kind::Boolean(b) => format!("{b}"),
        Kind::Array(items) => format!("[{}]", items.iter().map(ours).collect::<Vec<_>>().join(",")),
        Kind::Table(t) => {
            let mut entries: Vec<String> =
                t.entries.iter().map(|e| format!("{:?}={}", e.key, ours(&e.value))).collect();
            entries.sort();
            format!("{{{}}}", entries.join(","))
        }
    }
}

/// The same canonical text for the `toml` crate's value.
fn theirs(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Integer(i) => format!("{i}"),
        toml::Value::Float(f) => float(*f),
        toml::Value::Boolean(b) => format!("{b}"),
        toml::Value::Array(items) => format!("[{}]", items.iter().map(theirs).collect::<Vec<_>>().join(",")),
        toml::Value::Table(t) => table(t),
        toml::Value::Datetime(d) => format!("date {d}"),
    }
}

fn table(t: &toml::Table) -> String {
    let mut entries: Vec<String> = t.iter().map(|(k, v)| format!("{k:?}={}", theirs(v))).collect();
    entries.sort();
    format!("{{{}}}", entries.join(","))
}

fn float(f: f64) -> String {
    if f.is_nan() {
        "nan".to_string()
    } else {
        format!("{f:?}")
    }
}

/// `None` when both readers agree; else what each said.
fn disagreement(text: &str) -> Option<String> {
    let a = reader::parse(text).map(|v| ours(&v)).map_err(|e| e.message);
    let b = text.parse::<toml::Table>().map(|t| table(&t)).map_err(|e| e.message().to_string());
    match (&a, &b) {
        (Ok(x), Ok(y)) if x == y => None,
        (Err(_), Err(_)) => None,
        (Err(ours), Ok(theirs)) if ours.contains("dates are not used") && theirs.contains("=date ") => None,
        _ => Some(format!("{text:?}\n  ours:   {a:?}\n  theirs: {b:?}")),
    }
}

fn assert_agree(texts: impl IntoIterator<Item = String>) {
    let failures: Vec<String> = texts.into_iter().filter_map(|t| disagreement(&t)).collect();
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
}

fn corpus() -> Vec<String> {
    let mut files = toml_files(&repo_root().join("scenarios"));
    files.extend(toml_files(&repo_root().join("tests/bad_scenarios")));
    assert!(files.len() > 100, "the scenario and bad-input folders");
    files.iter().map(|f| std::fs::read_to_string(f).expect("readable UTF-8")).collect()
}

#[test]
fn every_scenario_and_bad_input_file_reads_the_same() {
    assert_agree(corpus());
}

const VALID: &[&str] = &[
    "",
    "# only a comment",
    "\u{feff}a = 1",
    "a = 1",
    "a\t=\t1\t# tabs",
    "\"\" = 1\n'x y' = 2",
    "1234 = 1\n1.2 = 3\ntrue = 4\ninf = 5\n-_- = 6",
    "\"ʎǝʞ\" = \"välue\"",
    "a . b . 'c' = 1\na.d = 2",
    "[a]\n[a.b]\n[a.b.c]\nx = 1",
    "[[a]]\n[[a]]\n[a.b]\nx = 1\n[[a.c]]\n[[a.c]]\ny = 2",
    "[a.b]\nx = 1\n[a]\ny = 2",
    "[x]\ny.z = 1\n[x.y.w]\nv = 2",
    "[ a . \"b.c\" ]\n[[ d ]]",
    "a = \"\\b\\t\\n\\f\\r\\\"\\\\\\u00e9\\U0001F600\"",
    "a = \"\"\"\nline one\nline two\"\"\"",
    "a = \"\"\"one \\\n   two \\  \n\n  three\"\"\"",
    "a = \"\"\"\\\n  \"\"\"",
    "a = \"\"\"q\"\"\"\"\"\nb = \"\"\"\"\"q\"\"\"",
    "a = '''\r\nx\r\ny'''\r\nb = ''''q'''''",
    "a = 'C:\\\\x'",
    "a = \"tab\there\"",
    "ints = [+0, -0, 0, 1_000, 0x0, 0xABCdef, 0o01234567, 0b0101, 9_223_372_036_854_775_807, -9223372036854775808]",
    "floats = [0.0, +0.0, -0.0, 1e0, 1E+0, 1_2.3_4e5_6, 0e0, 6.626e-34, 1e308, 1e-400, 3.0e06]",
    "specials = [inf, +inf, -inf, nan, +nan, -nan]",
    "b = [true, false]",
    "a = [ ]\nb = [\n]\nc = [1,\n# c\n2,]\nd = [[1, \"x\"], [{ k = 1.5 }], []]",
    "a = { }\nb = {c = {d = {}}}\ne = { f.g.h = 1, f.i = 2 }",
    "a = 1 # trailing comment with ünïcode",
    "a = 1\r\nb = 2\r\n",
    "[scenario]\nname = \"x\"\n\n\n   \t\n[cluster]",
];

const INVALID: &[&str] = &[
    "a = 1\na = 1",
    "[a]\n[a]",
    "[a]\nb = 1\n[a]",
    "a.b = 1\n[a]",
    "[a.b]\n[a]\nb.c = 1",
    "[a.b.c]\n[a]\nb.d = 1",
    "a = {}\n[a]",
    "a = {}\na.b = 1",
    "a = {}\n[a.b]",
    "a = []\n[[a]]",
    "a = [{}]\n[[a]]",
    "[[a]]\n[a]",
    "a = 1\n[a.b]",
    "[a]\nb = 1\n[a.b]",
    "a = {b = 1,}",
    "a = {b = 1\n}",
    "a = {\nb = 1}",
    "a = {b = 1, b = 2}",
    "a = {b.c = 1, b = 2}",
    "a = {b = {}, b.c = 2}",
    "a = [1 2]",
    "a = [,]",
    "a = [1,,2]",
    "a = [1",
    "a = ",
    "= 1",
    "a",
    "a = 1 b = 2",
    "[a] b = 1",
    "[a",
    "[[a]",
    "[a]]",
    "[]",
    "[[]]",
    "[a.]",
    "a..b = 1",
    ".a = 1",
    "a. = 1",
    "a = \"abc",
    "a = 'abc",
    "a = \"\\x41\"",
    "a = \"\\e\"",
    "a = \"\\uD800\"",
    "a = \"\\U00110000\"",
    "a = \"\\u12\"",
    "a = \"\u{1}\"",
    "a = '\u{7f}'",
    "a = \"\"\"abc",
    "a = '''abc",
    "a = \"\"\"a\"\"\"\"\"\"",
    "a = \"a\nb\"",
    "a = \"\"\"\\ x\"\"\"",
    "a = \"\"\"a\rb\"\"\"",
    "\"\"\"a\"\"\" = 1",
    "'''a''' = 1",
    "a = 01",
    "a = +01",
    "a = 0_1",
    "a = 1__2",
    "a = _1",
    "a = 1_",
    "a = 1.",
    "a = .1",
    "a = 1.e1",
    "a = 1e",
    "a = 1e_1",
    "a = 1_e1",
    "a = 1._1",
    "a = 0x",
    "a = 0x_1",
    "a = 0X1",
    "a = +0x1",
    "a = -0o1",
    "a = 0b2",
    "a = 9223372036854775808",
    "a = -9223372036854775809",
    "a = 0x8000000000000000",
    "a = 1.2.3",
    "a = 1e1.5",
    "a = +-1",
    "a = ++1",
    "a = inf1",
    "a = Inf",
    "a = NaN",
    "a = True",
    "a = tru",
    "a = truee",
    "a = yes",
    "a = 1 # bell \u{7}",
    "a = 1\rb = 2",
    "\u{0}",
    "a = 1\n\u{feff}b = 2",
    "[a]\n[a.b]\n[a]",
    "[[a.b]]\n[a]\nb = 1",
    "[a]\nb = { c = 1 }\n[a.b]",
];

#[test]
fn tricky_snippets_read_the_same() {
    for text in VALID {
        assert!(reader::parse(text).is_ok(), "{text:?} should parse: {:?}", reader::parse(text));
    }
    for text in INVALID {
        assert!(reader::parse(text).is_err(), "{text:?} should not parse");
    }
    assert_agree(VALID.iter().chain(INVALID).map(|s| s.to_string()));
}

#[test]
fn dates_are_an_error_here_and_a_value_there() {
    for text in ["d = 1979-05-27", "d = 1979-05-27T07:32:00Z", "d = 1979-05-27 07:32:00", "t = 07:32:00"] {
        let e = reader::parse(text).expect_err("a date is an error");
        assert!(e.message.contains("dates are not used in scenario files"), "{text}: {}", e.message);
        assert!(text.parse::<toml::Table>().is_ok(), "{text}: the toml crate reads dates");
    }
}

/// Each scenario file with one byte deleted, or one of `"`, `'`, `=`, `[`, `]`, `,`, `.`, `\`, `#`, a newline
/// or a space inserted, at positions spread over the file: most are errors, some are other valid files, and
/// both readers must say the same about each.
#[test]
fn mutated_scenario_files_read_the_same() {
    const INSERTS: &[&str] = &["\"", "'", "=", "[", "]", ",", ".", "\\", "#", "\n", " ", "{", "}", "_", "e"];
    let mut texts = Vec::new();
    for text in
        toml_files(&repo_root().join("scenarios")).iter().map(|f| std::fs::read_to_string(f).expect("UTF-8"))
    {
        let boundaries: Vec<usize> = (0..text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        for (n, &at) in boundaries.iter().enumerate().step_by(31) {
            let next = boundaries.get(n + 1).copied().unwrap_or(text.len());
            texts.push(format!("{}{}", &text[..at], &text[next..]));
            let insert = INSERTS[n % INSERTS.len()];
            texts.push(format!("{}{insert}{}", &text[..at], &text[at..]));
        }
    }
    assert!(texts.len() > 1000, "{} mutations", texts.len());
    assert_agree(texts);
}

/// The explorer writes names into exported scenario files with `quote`; where the `toml` crate wrote one line
/// (no newline, not `'` together with `"` or `\`) it must write the same, so that exported files keep their look.
#[test]
fn strings_are_written_as_the_toml_crate_writes_them() {
    for s in ["c1", "", "a \"b\"", "C:\\kafka", "it's", "tab\there", "bell \u{7}", "ünïcode ✓", "\u{85}"]
    {
        assert_eq!(reader::quote(s), toml::Value::String(s.to_string()).to_string(), "{s:?}");
    }
}
