//! Conformance of kafkasim's partitioners with the real clients: every key → partition, hash, round-robin,
//! least-bytes, sticky and `java-mock-random` row of `tests/conformance/partitioners.json` (vectors produced
//! by running apache/kafka, IBM/sarama and segmentio/kafka-go; see `tests/conformance/README.md`).
//!
//! A row passes when every field of its `expected` object is reproduced. Failures list each mismatching row
//! with its implementation, inputs, expected and computed values.

use kafkasim::kafka::partitioner::hash::{self, Hasher32};
use kafkasim::kafka::partitioner::java_random::{shuffle, JavaRandom, MockRandom};
use kafkasim::kafka::partitioner::rand_core::{self, RngCore};
use kafkasim::kafka::partitioner::{java, kafka_go, sarama, Partitioner, PartitionerKind};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Every implementation of partitioners.json this file runs.
const PARTITIONER_IMPLEMENTATIONS: &[&str] = &[
    "java-builtin-sticky-adaptive",
    "java-builtin-sticky-uniform",
    "java-default-keyed-partition",
    "java-mock-random",
    "java-murmur2",
    "java-round-robin-partitioner",
    "java-toPositive",
    "kafka-go-crc32",
    "kafka-go-crc32-consistent",
    "kafka-go-hash",
    "kafka-go-hash-crc32-hasher",
    "kafka-go-least-bytes",
    "kafka-go-murmur2",
    "kafka-go-murmur2-consistent",
    "kafka-go-murmur2-hash",
    "kafka-go-reference-hash",
    "kafka-go-reference-hash-crc32-hasher",
    "kafka-go-round-robin",
    "sarama-consistent-crc-hash",
    "sarama-custom-absfirst-crc32",
    "sarama-custom-crc32-signed",
    "sarama-hash",
    "sarama-murmur2",
    "sarama-murmur2-hash",
    "sarama-reference-hash",
    "sarama-round-robin",
];

/// The broker placement implementations, run by `tests/placement.rs` instead.
const PLACEMENT_IMPLEMENTATIONS: &[&str] = &[
    "kafka-adminutils-rack-alternated-list",
    "kafka-adminutils-rack-aware",
    "kafka-adminutils-rack-unaware",
    "kafka-adminutils-replica-index",
    "kafka-striped-broker-list",
    "kafka-striped-rack-list",
    "kafka-striped-replica-placer",
    "kafka-striped-replica-placer-sequential",
];

fn entries() -> Vec<Value> {
    let path = kafkasim_tests::repo_root().join("tests/conformance/partitioners.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("partitioners.json is JSON");
    doc["entries"].as_array().expect("entries is an array").clone()
}

#[test]
fn every_implementation_in_the_corpus_is_accounted_for() {
    let mut in_corpus: Vec<String> =
        entries().iter().map(|e| e["implementation"].as_str().expect("implementation").to_string()).collect();
    in_corpus.sort();
    in_corpus.dedup();
    let mut covered: Vec<String> =
        PARTITIONER_IMPLEMENTATIONS.iter().chain(PLACEMENT_IMPLEMENTATIONS).map(|s| s.to_string()).collect();
    covered.sort();
    assert_eq!(in_corpus, covered, "an implementation was added to or removed from the corpus");
}

#[test]
fn every_partitioner_row_matches() {
    let mut passed: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for entry in entries() {
        let implementation = entry["implementation"].as_str().expect("implementation");
        if !PARTITIONER_IMPLEMENTATIONS.contains(&implementation) {
            continue;
        }
        let inputs = &entry["inputs"];
        let expected = entry["expected"].as_object().expect("expected is an object");
        let outcome = compute(implementation, inputs).and_then(|got| compare(expected, &got));
        match outcome {
            Ok(()) => *passed.entry(implementation.to_string()).or_default() += 1,
            Err(why) => failures.push(format!(
                "{implementation}\n  inputs:   {inputs}\n  expected: {}\n  {why}",
                Value::Object(expected.clone())
            )),
        }
    }
    let summary: Vec<String> = passed.iter().map(|(name, n)| format!("{name}: {n}")).collect();
    println!("passing rows per implementation:\n  {}", summary.join("\n  "));
    assert!(failures.is_empty(), "{} mismatching rows:\n{}", failures.len(), failures.join("\n"));
    for name in PARTITIONER_IMPLEMENTATIONS {
        assert!(passed.contains_key(*name), "no row of {name} was run");
    }
}

/// Every field of `expected` must be in `got` with the same value.
fn compare(expected: &Map<String, Value>, got: &Map<String, Value>) -> Result<(), String> {
    let wrong: Vec<&String> = expected.keys().filter(|k| got.get(*k) != expected.get(*k)).collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("got:      {} (differs in {wrong:?})", Value::Object(got.clone())))
    }
}

/// Runs one row through kafkasim and returns the fields it can compare.
fn compute(implementation: &str, inputs: &Value) -> Result<Map<String, Value>, String> {
    let got = match implementation {
        "java-default-keyed-partition" => java_keyed(inputs)?,
        "java-murmur2" => json!({ "murmur2_int32": hash::murmur2(&key_bytes(inputs)?) }),
        "java-toPositive" => json!({ "output": hash::to_positive(int(inputs, "input_int32")? as i32) }),
        "java-round-robin-partitioner" => java_round_robin(inputs)?,
        "java-builtin-sticky-uniform" => java_sticky_uniform(inputs)?,
        "java-builtin-sticky-adaptive" => java_sticky_adaptive(inputs)?,
        "java-mock-random" => mock_random(inputs)?,
        "sarama-murmur2-hash" | "kafka-go-murmur2-hash" => {
            json!({ "murmur2_u32": hash::murmur2(&key_bytes(inputs)?) as u32 })
        }
        "sarama-round-robin" => sarama_round_robin(inputs)?,
        "kafka-go-round-robin" => kafka_go_round_robin(inputs)?,
        "kafka-go-least-bytes" => kafka_go_least_bytes(inputs)?,
        "kafka-go-hash" if inputs.get("calls").is_some() => kafka_go_hash_nil_key(inputs)?,
        name if name.starts_with("sarama-") => sarama_keyed(name, inputs)?,
        name if name.starts_with("kafka-go-") => kafka_go_keyed(name, inputs)?,
        other => return Err(format!("no runner for implementation {other}")),
    };
    got.as_object().cloned().ok_or_else(|| "runner returned a non-object".to_string())
}

fn java_keyed(inputs: &Value) -> Result<Value, String> {
    let key = key_bytes(inputs)?;
    let n = uint(inputs, "num_partitions")?;
    let murmur2 = hash::murmur2(&key);
    Ok(json!({
        "partition": java::partition_for_key(&key, n),
        "murmur2_int32": murmur2,
        "to_positive": hash::to_positive(murmur2),
    }))
}

fn java_round_robin(inputs: &Value) -> Result<Value, String> {
    let partitions = uint_list(inputs, "partitions")?;
    let unavailable = uint_list(inputs, "unavailable_partitions")?;
    let available: Vec<u32> = partitions.iter().copied().filter(|p| !unavailable.contains(p)).collect();
    let mut rr = java::RoundRobinPartitioner::new();
    let n = partitions.len() as u32;
    let sequence: Vec<u32> = (0..uint(inputs, "calls")?).map(|_| rr.partition(&available, n)).collect();
    Ok(json!({ "sequence": sequence }))
}

fn java_sticky_uniform(inputs: &Value) -> Result<Value, String> {
    let partitions = uint_list(inputs, "partitions")?;
    let unavailable = uint_list(inputs, "unavailable_partitions")?;
    let available: Vec<u32> = partitions.iter().copied().filter(|p| !unavailable.contains(p)).collect();
    if available != uint_list(inputs, "available_order")? {
        return Err("available_order is not the partitions minus the unavailable ones".to_string());
    }
    let random = int(inputs, "random")? as i32;
    Ok(json!({ "partition": java::next_partition_uniform(random, &available, partitions.len() as u32) }))
}

fn java_sticky_adaptive(inputs: &Value) -> Result<Value, String> {
    let queue_sizes: Vec<i32> = int_list(inputs, "queue_sizes")?.into_iter().map(|q| q as i32).collect();
    let ids = uint_list(inputs, "partition_ids")?;
    let length = uint(inputs, "length")? as usize;
    let random = int(inputs, "random")? as i32;
    let stats = java::partition_load_stats(&queue_sizes, &ids, length);
    // Without load stats BuiltInPartitioner picks uniformly among the available partitions (all of them
    // here).
    let partition = match &stats {
        Some(stats) => java::next_partition_adaptive(random, stats),
        None => java::next_partition_uniform(random, &ids, ids.len() as u32),
    };
    Ok(json!({
        "partition": partition,
        "adaptive_stats_used": stats.is_some(),
        "cumulative_frequency_table": stats.map(|s| s.cumulative_frequency_table),
    }))
}

fn mock_random(inputs: &Value) -> Result<Value, String> {
    let seed = int(inputs, "seed")?;
    let mut rnd = MockRandom::new(seed);
    let bounded: Vec<i32> = int_list(inputs, "next_int_bounds")?
        .into_iter()
        .map(|bound| rnd.next_int_bounded(bound as i32))
        .collect();
    let mut fresh = MockRandom::new(seed);
    let unbounded: Vec<i32> = (0..5).map(|_| fresh.next_int()).collect();
    let mut list: Vec<i32> = (0..8).collect();
    shuffle(&mut list, &mut MockRandom::new(seed));
    Ok(json!({
        "next_int_bounded_in_order": bounded,
        "next_int_unbounded_first5_fresh": unbounded,
        "collections_shuffle_0_to_7_fresh": list,
    }))
}

fn sarama_keyed(name: &str, inputs: &Value) -> Result<Value, String> {
    let key = key_bytes(inputs)?;
    let n = uint(inputs, "num_partitions")?;
    let got = match name {
        "sarama-hash" => json!({ "partition": sarama::hash(&key, n), "fnv1a32": hash::fnv1a_32(&key) }),
        "sarama-reference-hash" => {
            json!({ "partition": sarama::reference_hash(&key, n), "fnv1a32": hash::fnv1a_32(&key) })
        }
        "sarama-murmur2" => {
            let partition = sarama::murmur2_partition(&key, n);
            json!({ "partition": partition, "murmur2_u32": hash::murmur2(&key) as u32 })
        }
        "sarama-consistent-crc-hash" => crc_row(sarama::consistent_crc_hash(&key, n), &key),
        "sarama-custom-crc32-signed" => crc_row(sarama::custom_crc32_signed(&key, n), &key),
        "sarama-custom-absfirst-crc32" => crc_row(sarama::custom_absfirst_crc32(&key, n), &key),
        other => return Err(format!("no runner for implementation {other}")),
    };
    // The producer-side dispatch must agree with the pure function for every keyed row.
    let kind: PartitionerKind = name.parse().map_err(|e| format!("{e}"))?;
    check_kind_agrees(kind, Some(&key), n, &got)?;
    Ok(got)
}

fn crc_row(partition: u32, key: &[u8]) -> Value {
    json!({ "partition": partition, "crc32_ieee": hash::crc32_ieee(key) })
}

fn kafka_go_keyed(name: &str, inputs: &Value) -> Result<Value, String> {
    let key = optional_key(inputs)?;
    let partitions = partition_list(inputs)?;
    let bytes = key.clone().unwrap_or_default();
    let non_nil = || key.as_deref().ok_or_else(|| format!("{name} picks at random for a nil key"));
    let random = || format!("{name} picks a random partition for this key");
    let got = match name {
        "kafka-go-hash" => {
            let partition = kafka_go::hash(Hasher32::Fnv1a, non_nil()?, &partitions);
            json!({ "partition": partition, "fnv1a32": hash::fnv1a_32(&bytes) })
        }
        "kafka-go-reference-hash" => json!({
            "partition": kafka_go::reference_hash(Hasher32::Fnv1a, non_nil()?, &partitions),
            "fnv1a32": hash::fnv1a_32(&bytes),
        }),
        "kafka-go-hash-crc32-hasher" => {
            json!({ "partition": kafka_go::hash(Hasher32::Crc32Ieee, non_nil()?, &partitions) })
        }
        "kafka-go-reference-hash-crc32-hasher" => {
            json!({ "partition": kafka_go::reference_hash(Hasher32::Crc32Ieee, non_nil()?, &partitions) })
        }
        "kafka-go-crc32" | "kafka-go-crc32-consistent" => {
            let consistent = name.ends_with("-consistent");
            let partition = kafka_go::crc32(consistent, key.as_deref(), &partitions).ok_or_else(random)?;
            json!({ "partition": partition, "crc32_ieee": hash::crc32_ieee(&bytes) })
        }
        "kafka-go-murmur2" | "kafka-go-murmur2-consistent" => {
            let consistent = name.ends_with("-consistent");
            let partition =
                kafka_go::murmur2_balance(consistent, key.as_deref(), &partitions).ok_or_else(random)?;
            json!({ "partition": partition, "murmur2_u32": hash::murmur2(&bytes) as u32 })
        }
        other => return Err(format!("no runner for implementation {other}")),
    };
    // Under a kafka-go Writer the list is always 0..n-1; there the producer-side dispatch must agree too.
    if is_range(&partitions) {
        let kind: PartitionerKind = name.parse().map_err(|e| format!("{e}"))?;
        check_kind_agrees(kind, key.as_deref(), partitions.len() as u32, &got)?;
    }
    Ok(got)
}

/// `PartitionerKind::partition_for_key` and `Partitioner::partition` give the row's partition.
fn check_kind_agrees(kind: PartitionerKind, key: Option<&[u8]>, n: u32, got: &Value) -> Result<(), String> {
    let expected = got["partition"].as_u64().map(|p| p as u32);
    let by_kind = kind.partition_for_key(key, n);
    let mut rng = NoRandomness;
    let by_partitioner = Partitioner::new(kind, 16_384).partition(key, 1, n, &[], &mut rng);
    if by_kind != expected || Some(by_partitioner) != expected {
        return Err(format!("{kind}: partition_for_key gave {by_kind:?}, Partitioner gave {by_partitioner}"));
    }
    Ok(())
}

fn kafka_go_hash_nil_key(inputs: &Value) -> Result<Value, String> {
    if optional_key(inputs)?.is_some() {
        return Err("a kafka-go-hash `calls` row is expected to have a nil key".to_string());
    }
    let partitions = partition_list(inputs)?;
    if !is_range(&partitions) {
        return Err("the producer-side partitioner only sees partitions 0..n-1".to_string());
    }
    // Hash.Balance sends nil keys to its own RoundRobin: run it through the producer-side Partitioner.
    let mut partitioner = Partitioner::new(PartitionerKind::KafkaGoHash, 0);
    let n = partitions.len() as u32;
    let sequence: Vec<u32> = (0..uint(inputs, "calls")?)
        .map(|_| partitioner.partition(None, 0, n, &[], &mut NoRandomness))
        .collect();
    Ok(json!({ "sequence": sequence }))
}

fn sarama_round_robin(inputs: &Value) -> Result<Value, String> {
    let mut rr = sarama::RoundRobin::new();
    let sequence: Vec<u32> =
        uint_list(inputs, "num_partitions_per_call")?.into_iter().map(|n| rr.partition(n)).collect();
    Ok(json!({ "sequence": sequence }))
}

fn kafka_go_round_robin(inputs: &Value) -> Result<Value, String> {
    let partitions = partition_list(inputs)?;
    let mut rr = kafka_go::RoundRobin::new(int(inputs, "chunk_size")?);
    let sequence: Vec<u32> = (0..uint(inputs, "calls")?).map(|_| rr.balance(&partitions)).collect();
    Ok(json!({ "sequence": sequence }))
}

fn kafka_go_least_bytes(inputs: &Value) -> Result<Value, String> {
    let mut lb = kafka_go::LeastBytes::new();
    let mut sequence = Vec::new();
    for call in inputs["calls"].as_array().ok_or("calls is not an array")? {
        let key = call["key_utf8"].as_str().ok_or("key_utf8 missing")?;
        let value = call["value_utf8"].as_str().ok_or("value_utf8 missing")?;
        let partitions = uint_list(call, "partitions")?;
        sequence.push(lb.balance((key.len() + value.len()) as u64, &partitions));
    }
    Ok(json!({ "sequence": sequence, "last_partition": sequence.last() }))
}

/// A `RngCore` that fails the test if drawn from: keyed and round-robin rows must not use randomness.
struct NoRandomness;

impl RngCore for NoRandomness {
    fn next_u32(&mut self) -> u32 {
        panic!("a deterministic row drew a random number")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("a deterministic row drew a random number")
    }
    fn fill_bytes(&mut self, _dest: &mut [u8]) {
        panic!("a deterministic row drew a random number")
    }
    fn try_fill_bytes(&mut self, _dest: &mut [u8]) -> Result<(), rand_core::Error> {
        panic!("a deterministic row drew a random number")
    }
}

// ---- reading inputs ----

fn key_bytes(inputs: &Value) -> Result<Vec<u8>, String> {
    optional_key(inputs)?.ok_or_else(|| "this row needs a non-nil key".to_string()).or_else(|e| {
        // The hash-only rows give a nil key meaning Go's nil slice, which hashes as empty.
        if inputs["key_is_nil"] == Value::Bool(true) {
            Ok(Vec::new())
        } else {
            Err(e)
        }
    })
}

/// `None` for a nil key (`key_is_nil: true` or `key_hex: null`), else the bytes of `key_hex`.
fn optional_key(inputs: &Value) -> Result<Option<Vec<u8>>, String> {
    if inputs["key_is_nil"] == Value::Bool(true) || inputs["key_hex"].is_null() {
        return Ok(None);
    }
    let hex = inputs["key_hex"].as_str().ok_or("key_hex is not a string")?;
    decode_hex(hex).map(Some)
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    if hex.len() % 2 == 1 {
        return Err(format!("odd-length key_hex {hex:?}"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| format!("key_hex {hex:?}: {e}")))
        .collect()
}

/// kafka-go's partition list: an array, or the string `"range(a,b)"` for `a..b`.
fn partition_list(inputs: &Value) -> Result<Vec<u32>, String> {
    match &inputs["partitions"] {
        Value::String(s) => {
            let inner =
                s.strip_prefix("range(").and_then(|r| r.strip_suffix(')')).ok_or(format!("bad {s:?}"))?;
            let (a, b) = inner.split_once(',').ok_or(format!("bad {s:?}"))?;
            let parse = |x: &str| x.trim().parse::<u32>().map_err(|e| format!("{s:?}: {e}"));
            Ok((parse(a)?..parse(b)?).collect())
        }
        _ => uint_list(inputs, "partitions"),
    }
}

fn is_range(partitions: &[u32]) -> bool {
    partitions.iter().enumerate().all(|(i, &p)| p as usize == i)
}

fn int(inputs: &Value, field: &str) -> Result<i64, String> {
    inputs[field].as_i64().ok_or_else(|| format!("{field} is not an integer"))
}

fn uint(inputs: &Value, field: &str) -> Result<u32, String> {
    u32::try_from(int(inputs, field)?).map_err(|e| format!("{field}: {e}"))
}

fn int_list(inputs: &Value, field: &str) -> Result<Vec<i64>, String> {
    let items = inputs[field].as_array().ok_or_else(|| format!("{field} is not an array"))?;
    items.iter().map(|v| v.as_i64().ok_or_else(|| format!("{field} has a non-integer"))).collect()
}

fn uint_list(inputs: &Value, field: &str) -> Result<Vec<u32>, String> {
    int_list(inputs, field)?
        .into_iter()
        .map(|v| u32::try_from(v).map_err(|e| format!("{field}: {e}")))
        .collect()
}
