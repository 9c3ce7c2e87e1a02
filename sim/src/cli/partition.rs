//! `kafkasim partition --partitioner NAME --partitions N KEY... [--key-hex HEX]...`: which partition each key
//! lands on, as a given client computes it, or (`--partitioner all`) as every client does, side by side.

use super::CliError;
use crate::kafka::partitioner::{closest_name, normalize_name, PartitionerKind, NAMES};

/// Arguments of `kafkasim partition`.
#[derive(Debug, Clone)]
pub struct PartitionArgs {
    /// An `implementation` name from partitioners.json, or `all`.
    pub partitioner: String,
    /// The number of partitions.
    pub partitions: u32,
    /// The keys in the order the user gave them: positional UTF-8 keys and `--key-hex` keys interleaved as typed.
    pub keys: Vec<KeyArg>,
}

/// One key from the command line.
#[derive(Debug, Clone)]
pub enum KeyArg {
    /// A positional key, hashed as its UTF-8 bytes.
    Utf8(String),
    /// A `--key-hex` key, not yet decoded (bad hex is the user's error to report).
    Hex(String),
}

/// The client partitioners of the `all` table, one column each.
const TABLE_COLUMNS: &[PartitionerKind] = &[
    PartitionerKind::JavaBuiltIn,
    PartitionerKind::SaramaHash,
    PartitionerKind::SaramaReferenceHash,
    PartitionerKind::SaramaMurmur2,
    PartitionerKind::SaramaConsistentCrc,
    PartitionerKind::KafkaGoHash,
    PartitionerKind::KafkaGoReferenceHash,
    PartitionerKind::KafkaGoCrc32,
    PartitionerKind::KafkaGoMurmur2,
];

/// partitioners.json implementations that are not key partitioners, and what to use instead.
const NOT_PARTITIONERS: &[(&str, &str)] = &[
    ("java-murmur2", "is the murmur2 hash itself; use java-default-keyed-partition"),
    ("sarama-murmur2-hash", "is the murmur2 hash itself; use sarama-murmur2"),
    ("kafka-go-murmur2-hash", "is the murmur2 hash itself; use kafka-go-murmur2"),
    ("java-topositive", "is Utils.toPositive, not a partitioner; use java-default-keyed-partition"),
    ("java-mock-random", "is Kafka's test random generator, not a partitioner"),
];

/// Returns the text to print: one partition per key, in input order, or the `all` table.
pub fn run(args: &PartitionArgs) -> Result<String, CliError> {
    if args.partitions == 0 {
        return Err(CliError::bad_input(
            "--partitions must be at least 1: a topic has at least one partition",
        ));
    }
    if i32::try_from(args.partitions).is_err() {
        return Err(CliError::bad_input(format!(
            "--partitions {} is too large: Kafka partition counts are Java ints (at most {})",
            args.partitions,
            i32::MAX
        )));
    }
    let keys = decode_keys(&args.keys)?;
    if normalize_name(&args.partitioner) == "all" {
        return Ok(table(&keys, &args.keys, args.partitions));
    }
    let kind = keyed_kind(&args.partitioner)?;
    let mut out = String::new();
    for (i, key) in keys.iter().enumerate() {
        let partition = kind.partition_for_key(Some(key), args.partitions).ok_or_else(|| {
            CliError::bad_input(format!(
                "{} treats key {} ({}) as no key and picks a random partition, so it cannot answer for it",
                kind.name(),
                i + 1,
                describe(&args.keys[i]),
            ))
        })?;
        out.push_str(&format!("{partition}\n"));
    }
    Ok(out)
}

/// Resolves NAME to a partitioner whose choice a key decides, or says why NAME cannot answer per key.
fn keyed_kind(name: &str) -> Result<PartitionerKind, CliError> {
    let normalized = normalize_name(name);
    if let Some((_, why)) = NOT_PARTITIONERS.iter().find(|(n, _)| *n == normalized) {
        return Err(CliError::bad_input(format!("{name} {why}")));
    }
    if normalized.starts_with("kafka-adminutils") || normalized.starts_with("kafka-striped") {
        return Err(CliError::bad_input(format!(
            "{name} is broker replica placement, not a key partitioner; try java-default-keyed-partition"
        )));
    }
    let kind: PartitionerKind = normalized.parse().map_err(|_| unknown(name, &normalized))?;
    if normalized.contains("sticky") {
        return Err(CliError::bad_input(format!(
            "{name} is how the Java client places records without a key: it sticks to a random partition \
             until batch.size bytes have gone there, so it cannot answer per key; for keys use \
             java-default-keyed-partition"
        )));
    }
    if !kind.uses_keys() {
        return Err(CliError::bad_input(format!(
            "{name} ({}) ignores keys: it {}, so it cannot answer per key",
            kind.client_api(),
            keyless_behaviour(kind)
        )));
    }
    Ok(kind)
}

fn keyless_behaviour(kind: PartitionerKind) -> &'static str {
    match kind {
        PartitionerKind::KafkaGoLeastBytes => {
            "sends each message to the partition that has received the fewest bytes"
        }
        PartitionerKind::SaramaRandom => "picks a random partition for every message",
        _ => "cycles through the partitions, one message after another",
    }
}

/// An unknown name: the nearest valid one, and every name this command answers for.
fn unknown(name: &str, normalized: &str) -> CliError {
    let keyed = keyed_names();
    let hint =
        closest_name(normalized, &keyed).map(|s| format!(" (did you mean \"{s}\"?)")).unwrap_or_default();
    CliError::bad_input(format!("unknown partitioner \"{name}\"{hint}; valid names: {}", keyed.join(", ")))
}

/// `all` and the partitioner names whose choice a key decides.
fn keyed_names() -> Vec<&'static str> {
    let keyed = |n: &&str| n.parse::<PartitionerKind>().is_ok_and(|k| k.uses_keys()) && !n.contains("sticky");
    std::iter::once("all").chain(NAMES.iter().copied().filter(keyed)).collect()
}

/// Decodes every key, reporting the first bad `--key-hex` with its position and the reason.
fn decode_keys(keys: &[KeyArg]) -> Result<Vec<Vec<u8>>, CliError> {
    if keys.is_empty() {
        return Err(CliError::bad_input("no keys given: pass one or more KEY arguments or --key-hex HEX"));
    }
    keys.iter()
        .enumerate()
        .map(|(i, key)| match key {
            KeyArg::Utf8(text) => Ok(text.as_bytes().to_vec()),
            KeyArg::Hex(hex) => decode_hex(hex)
                .map_err(|why| CliError::bad_input(format!("key {} (--key-hex \"{hex}\"): {why}", i + 1))),
        })
        .collect()
}

/// Hex digits, two per byte, either case, with an optional `0x` prefix.
fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    let digits = hex.strip_prefix("0x").or_else(|| hex.strip_prefix("0X")).unwrap_or(hex);
    if let Some((pos, c)) = digits.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(format!("'{c}' at position {} is not a hex digit", pos + 1));
    }
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({}); each byte needs two", digits.len()));
    }
    Ok(digits.as_bytes().chunks(2).map(|pair| (hex_value(pair[0]) << 4) | hex_value(pair[1])).collect())
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

/// How a key is shown: as typed, or `hex:…` for `--key-hex` keys.
fn describe(key: &KeyArg) -> String {
    match key {
        KeyArg::Utf8(text) => format!("\"{text}\""),
        KeyArg::Hex(hex) => format!("hex:{hex}"),
    }
}

/// The `all` table: a key column, then one right-aligned column per client partitioner; `random` where
/// the client treats the key as no key.
fn table(keys: &[Vec<u8>], args: &[KeyArg], num_partitions: u32) -> String {
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("key".to_string())
        .chain(TABLE_COLUMNS.iter().map(|k| k.client_api().to_string()))
        .collect()];
    for (key, arg) in keys.iter().zip(args) {
        let cells =
            TABLE_COLUMNS.iter().map(|kind| match kind.partition_for_key(Some(key), num_partitions) {
                Some(p) => p.to_string(),
                None => "random".to_string(),
            });
        rows.push(std::iter::once(describe(arg)).chain(cells).collect());
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| if c == 0 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(partitioner: &str, partitions: u32, keys: Vec<KeyArg>) -> PartitionArgs {
        PartitionArgs { partitioner: partitioner.to_string(), partitions, keys }
    }

    fn utf8(s: &str) -> KeyArg {
        KeyArg::Utf8(s.to_string())
    }

    fn hex(s: &str) -> KeyArg {
        KeyArg::Hex(s.to_string())
    }

    fn error(a: &PartitionArgs) -> String {
        let err = run(a).expect_err("bad input");
        assert_eq!(err.exit_code, 2);
        err.message
    }

    #[test]
    fn one_line_per_key_in_input_order() {
        // partitions.json: murmur2 partitions of "21"/2 = 0, "foobar" = 3 of 5; hex 666f6f626172 is "foobar".
        let a =
            args("java-default-keyed-partition", 5, vec![utf8("foobar"), hex("3231"), hex("666F6F626172")]);
        let expected: Vec<String> = ["foobar", "21", "foobar"]
            .iter()
            .map(|k| crate::kafka::partitioner::java::partition_for_key(k.as_bytes(), 5).to_string())
            .collect();
        assert_eq!(run(&a).expect("ok"), format!("{}\n", expected.join("\n")));
    }

    #[test]
    fn known_vectors() {
        // sarama TestConsistentCRCHashPartitioner and the MinInt32 FNV key.
        assert_eq!(run(&args("sarama-consistent-crc-hash", 100, vec![utf8("SheetJS")])).expect("ok"), "26\n");
        assert_eq!(run(&args("sarama-hash", 50, vec![utf8("1468509572224")])).expect("ok"), "48\n");
        assert_eq!(run(&args("sarama_reference_hash", 50, vec![utf8("1468509572224")])).expect("ok"), "0\n");
        assert_eq!(run(&args("kafka-go-murmur2", 1000, vec![utf8("")])).expect("ok"), "681\n");
    }

    #[test]
    fn all_table_has_a_header_and_one_aligned_row_per_key() {
        let out = run(&args("all", 100, vec![utf8("SheetJS"), utf8("")])).expect("ok");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].starts_with("key"), "{out}");
        for api in ["java BuiltInPartitioner", "sarama.NewHashPartitioner", "kafka-go Murmur2Balancer{}"] {
            assert!(lines[0].contains(api), "{out}");
        }
        assert!(lines[1].starts_with("\"SheetJS\""), "{out}");
        assert!(lines[2].contains("random"), "kafka-go CRC32Balancer{{}} treats an empty key as none: {out}");
        assert_eq!(lines[0].len(), lines[1].len(), "aligned: {out}");
        let crc_column = lines[0].find("sarama.NewConsistentCRCHashPartitioner").expect("column");
        let width = "sarama.NewConsistentCRCHashPartitioner".len();
        assert_eq!(lines[1][crc_column..crc_column + width].trim(), "26", "{out}");
    }

    #[test]
    fn unknown_partitioner_lists_names_and_suggests() {
        let msg = error(&args("sarama-hsah", 3, vec![utf8("k")]));
        assert!(msg.contains("unknown partitioner \"sarama-hsah\""), "{msg}");
        assert!(msg.contains("did you mean \"sarama-hash\"?"), "{msg}");
        assert!(msg.contains("kafka-go-murmur2"), "{msg}");
        assert!(!msg.contains("round-robin"), "only names that can answer per key are listed: {msg}");
    }

    #[test]
    fn zero_partitions_is_refused() {
        assert!(error(&args("sarama-hash", 0, vec![utf8("k")])).contains("--partitions must be at least 1"));
    }

    #[test]
    fn bad_hex_names_the_argument_and_the_reason() {
        let msg = error(&args("sarama-hash", 3, vec![utf8("a"), hex("abc")]));
        assert!(msg.contains("key 2 (--key-hex \"abc\")") && msg.contains("odd number"), "{msg}");
        let msg = error(&args("sarama-hash", 3, vec![hex("zz")]));
        assert!(msg.contains("'z' at position 1 is not a hex digit"), "{msg}");
    }

    #[test]
    fn stateful_partitioners_say_why_they_cannot_answer() {
        for name in ["sarama-round-robin", "kafka-go-least-bytes", "java-round-robin-partitioner"] {
            let msg = error(&args(name, 3, vec![utf8("k")]));
            assert!(msg.contains("cannot answer per key"), "{name}: {msg}");
        }
        let msg = error(&args("java-builtin-sticky-uniform", 3, vec![utf8("k")]));
        assert!(msg.contains("batch.size"), "{msg}");
        let msg = error(&args("kafka-go-crc32", 3, vec![utf8("")]));
        assert!(msg.contains("random"), "{msg}");
        let msg = error(&args("java-murmur2", 3, vec![utf8("k")]));
        assert!(msg.contains("use java-default-keyed-partition"), "{msg}");
        let msg = error(&args("kafka-adminutils-rack-aware", 3, vec![utf8("k")]));
        assert!(msg.contains("replica placement"), "{msg}");
    }

    #[test]
    fn no_keys_is_refused() {
        assert!(error(&args("sarama-hash", 3, vec![])).contains("no keys"));
    }
}
