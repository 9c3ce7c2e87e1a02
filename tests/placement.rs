//! Broker replica placement: every `kafka-adminutils-*` row of `tests/conformance/partitioners.json` (vectors
//! from running Kafka's `AdminUtils.java`, and transcribed from `AdminRackAwareTest.scala`), every
//! `kafka-striped-*` row (KRaft's `StripedReplicaPlacer` seeded with Kafka's `MockRandom`), then the
//! properties `AdminUtils.assignReplicasToBrokers` guarantees, checked over every small input.

use kafkasim::kafka::partitioner::java_random::MockRandom;
use kafkasim::kafka::placement::striped::{BrokerList, RackList, StripedReplicaPlacer, UsableBroker};
use kafkasim::kafka::placement::{
    assign_replicas_to_brokers, rack_alternated_broker_list, replica_index, BrokerSpec, PlacementError,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The AdminUtils implementations of the corpus, all run here.
const ADMIN_UTILS_IMPLEMENTATIONS: &[&str] = &[
    "kafka-adminutils-rack-alternated-list",
    "kafka-adminutils-rack-aware",
    "kafka-adminutils-rack-unaware",
    "kafka-adminutils-replica-index",
];

/// Placement rows are named `kafka-adminutils-*` or `kafka-striped-*`; the rest are partitioner rows.
fn is_placement(implementation: &str) -> bool {
    implementation.starts_with("kafka-adminutils") || implementation.starts_with("kafka-striped")
}

fn entries() -> Vec<Value> {
    let path = kafkasim_tests::repo_root().join("tests/conformance/partitioners.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("partitioners.json is JSON");
    doc["entries"].as_array().expect("entries is an array").clone()
}

#[test]
fn every_admin_utils_row_matches() {
    let mut passed: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let entries = entries();
    for entry in &entries {
        let implementation = entry["implementation"].as_str().expect("implementation");
        let Some(name) = ADMIN_UTILS_IMPLEMENTATIONS.iter().find(|n| **n == implementation) else {
            let known = ADMIN_UTILS_IMPLEMENTATIONS.contains(&implementation)
                || STRIPED_IMPLEMENTATIONS.contains(&implementation);
            assert!(
                known || !is_placement(implementation),
                "{implementation} is new in the corpus: add a runner"
            );
            continue;
        };
        let (inputs, expected) = (&entry["inputs"], &entry["expected"]);
        match run(name, inputs).map(|got| (got == *expected, got)) {
            Ok((true, _)) => *passed.entry(name).or_default() += 1,
            Ok((false, got)) => {
                failures.push(format!("{name}\n  inputs: {inputs}\n  expected: {expected}\n  got: {got}"))
            }
            Err(why) => failures.push(format!("{name}\n  inputs: {inputs}\n  expected: {expected}\n  {why}")),
        }
    }
    println!("passing rows per implementation: {passed:?}");
    assert!(failures.is_empty(), "{} mismatching rows:\n{}", failures.len(), failures.join("\n"));
    for name in ADMIN_UTILS_IMPLEMENTATIONS {
        assert!(passed.contains_key(name), "no row of {name} was run");
    }
}

/// Runs one row and returns its result in the row's `expected` shape.
fn run(implementation: &str, inputs: &Value) -> Result<Value, String> {
    match implementation {
        "kafka-adminutils-rack-alternated-list" => {
            let racks: kafkasim::engine::vec_map::VecMap<i32, String> = brokers(inputs)?
                .into_iter()
                .map(|b| b.rack.map(|r| (b.id, r)).ok_or("a broker without a rack"))
                .collect::<Result<_, _>>()?;
            Ok(serde_json::json!({ "output": rack_alternated_broker_list(&racks) }))
        }
        "kafka-adminutils-replica-index" => {
            let field = |f: &str| inputs[f].as_u64().map(|v| v as usize).ok_or(format!("{f} missing"));
            let output = replica_index(
                field("first_replica_index")?,
                field("second_replica_shift")?,
                field("replica_index")?,
                field("n_brokers")?,
            );
            Ok(serde_json::json!({ "output": output }))
        }
        _ => assign(inputs),
    }
}

fn assign(inputs: &Value) -> Result<Value, String> {
    let field = |f: &str| inputs[f].as_i64().map(|v| v as i32).ok_or(format!("{f} missing"));
    let fixed_start_index = field("fixed_start_index")?;
    let start_partition_id = field("start_partition_id")?;
    // fixedStartIndex = -1 means two random draws; such rows can only be error rows (checked before drawing).
    let start = usize::try_from(fixed_start_index).unwrap_or(0);
    let result = assign_replicas_to_brokers(
        &brokers(inputs)?,
        field("n_partitions")?,
        field("replication_factor")?,
        start,
        start,
        start_partition_id,
    );
    match result {
        Ok(_) if fixed_start_index < 0 => Err("a random start index cannot be reproduced".to_string()),
        Ok(assignment) => {
            let first = start_partition_id.max(0) as usize;
            let by_id: serde_json::Map<String, Value> = assignment
                .into_iter()
                .enumerate()
                .map(|(i, replicas)| ((first + i).to_string(), serde_json::json!(replicas)))
                .collect();
            Ok(serde_json::json!({ "assignment": by_id }))
        }
        Err(err) => Ok(serde_json::json!({ "error": kafka_exception(&err) })),
    }
}

/// The Java exception each error maps to, as the corpus names it.
fn kafka_exception(err: &PlacementError) -> &'static str {
    match err {
        PlacementError::InvalidPartitions { .. } => "InvalidPartitionsException",
        PlacementError::InvalidReplicationFactor { .. } => "InvalidReplicationFactorException",
        PlacementError::MixedRacks { .. } => {
            "AdminOperationException (not all brokers have rack information)"
        }
        PlacementError::AllBrokersFenced => "InvalidReplicationFactorException (all brokers fenced)",
        PlacementError::DuplicateBrokerId { .. } => "DuplicateBrokerId (not a Kafka error)",
    }
}

fn brokers(inputs: &Value) -> Result<Vec<BrokerSpec>, String> {
    let list = inputs["brokers"].as_array().ok_or("brokers is not an array")?;
    list.iter()
        .map(|b| {
            let id = b["id"].as_i64().ok_or("broker id missing")? as i32;
            Ok(BrokerSpec { id, rack: b["rack"].as_str().map(str::to_string) })
        })
        .collect()
}

// ---- KRaft StripedReplicaPlacer ----

/// The StripedReplicaPlacer implementations of the corpus, all run here.
const STRIPED_IMPLEMENTATIONS: &[&str] = &[
    "kafka-striped-broker-list",
    "kafka-striped-rack-list",
    "kafka-striped-replica-placer",
    "kafka-striped-replica-placer-sequential",
];

#[test]
fn every_striped_replica_placer_row_matches() {
    let mut passed: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for entry in &entries() {
        let implementation = entry["implementation"].as_str().expect("implementation");
        let Some(name) = STRIPED_IMPLEMENTATIONS.iter().find(|n| **n == implementation) else {
            continue;
        };
        let (inputs, expected) = (&entry["inputs"], &entry["expected"]);
        let outcome = run_striped(name, inputs).and_then(|got| {
            // Every expected field but the broker-list row's prose `note` must be reproduced.
            let fields = expected.as_object().ok_or("expected is not an object")?;
            let wrong: Vec<&String> =
                fields.keys().filter(|k| *k != "note" && got.get(*k) != fields.get(*k)).collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(format!("got: {got} (differs in {wrong:?})"))
            }
        });
        match outcome {
            Ok(()) => *passed.entry(name).or_default() += 1,
            Err(why) => failures.push(format!("{name}\n  inputs: {inputs}\n  expected: {expected}\n  {why}")),
        }
    }
    println!("passing rows per implementation: {passed:?}");
    assert!(failures.is_empty(), "{} mismatching rows:\n{}", failures.len(), failures.join("\n"));
    for name in STRIPED_IMPLEMENTATIONS {
        assert!(passed.contains_key(name), "no row of {name} was run");
    }
}

fn run_striped(implementation: &str, inputs: &Value) -> Result<Value, String> {
    let seed = || inputs["mock_random_seed"].as_i64().ok_or("mock_random_seed missing");
    let int = |v: &Value| v.as_i64().map(|v| v as i32).ok_or("not an integer".to_string());
    match implementation {
        "kafka-striped-broker-list" => {
            let mut list = BrokerList::new();
            for id in inputs["brokers_added"].as_array().ok_or("brokers_added missing")? {
                list.add(int(id)?);
            }
            let epochs = inputs["next_calls_epochs"].as_array().ok_or("next_calls_epochs missing")?;
            let results: Vec<i32> = epochs
                .iter()
                .map(|e| Ok(list.next(int(e)? as u64).unwrap_or(-1)))
                .collect::<Result<_, String>>()?;
            Ok(serde_json::json!({ "results": results }))
        }
        "kafka-striped-rack-list" => {
            let mut random = MockRandom::new(seed()?);
            let mut racks = RackList::new(&mut random, &usable_brokers(inputs)?);
            let calls = inputs["place_calls_replication_factor"].as_array().ok_or("calls missing")?;
            let place_results: Vec<Value> = calls
                .iter()
                .map(|rf| Ok(placement_json(racks.place(int(rf)?, &mut random))))
                .collect::<Result<_, String>>()?;
            Ok(serde_json::json!({ "rack_names_sorted": racks.rack_names(), "place_results": place_results }))
        }
        "kafka-striped-replica-placer" => {
            let mut placer = StripedReplicaPlacer::new(MockRandom::new(seed()?));
            let (partitions, rf) = (int(&inputs["n_partitions"])?, int(&inputs["replication_factor"])?);
            let result = placer.place(&usable_brokers(inputs)?, partitions, rf);
            Ok(match result {
                Ok(assignment) => {
                    let counts = replica_list_counts(&assignment);
                    serde_json::json!({ "assignment": assignment, "replica_list_counts": counts })
                }
                Err(err) => serde_json::json!({ "error": kraft_error(&err) }),
            })
        }
        "kafka-striped-replica-placer-sequential" => {
            let mut placer = StripedReplicaPlacer::new(MockRandom::new(seed()?));
            let brokers = usable_brokers(inputs)?;
            let calls = inputs["calls"].as_array().ok_or("calls missing")?;
            let assignments: Vec<Value> = calls
                .iter()
                .map(|c| {
                    let result =
                        placer.place(&brokers, int(&c["n_partitions"])?, int(&c["replication_factor"])?);
                    Ok(placement_json(result))
                })
                .collect::<Result<_, String>>()?;
            Ok(serde_json::json!({ "assignments": assignments }))
        }
        other => Err(format!("no runner for {other}")),
    }
}

fn placement_json<T: serde::Serialize>(result: Result<T, PlacementError>) -> Value {
    match result {
        Ok(value) => serde_json::json!(value),
        Err(err) => serde_json::json!({ "error": kraft_error(&err) }),
    }
}

/// How many partitions got each exact replica list, keyed like the corpus: `"[0,1]"`.
fn replica_list_counts(assignment: &[Vec<i32>]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for replicas in assignment {
        let key = format!("[{}]", replicas.iter().map(i32::to_string).collect::<Vec<_>>().join(","));
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// The exception StripedReplicaPlacer throws for each error, with its exact message.
fn kraft_error(err: &PlacementError) -> String {
    let message = match err {
        PlacementError::InvalidReplicationFactor { replication_factor: rf, .. } if *rf <= 0 => {
            format!("Invalid replication factor {rf}: the replication factor must be positive.")
        }
        PlacementError::InvalidReplicationFactor { replication_factor: rf, available_brokers: n } => {
            format!(
                "The target replication factor of {rf} cannot be reached because only {n} broker(s) are \
                 registered."
            )
        }
        PlacementError::AllBrokersFenced => "All brokers are currently fenced.".to_string(),
        other => return format!("unexpected error: {other}"),
    };
    format!("InvalidReplicationFactorException: {message}")
}

fn usable_brokers(inputs: &Value) -> Result<Vec<UsableBroker>, String> {
    let list = inputs["brokers"].as_array().ok_or("brokers is not an array")?;
    list.iter()
        .map(|b| {
            Ok(UsableBroker {
                id: b["id"].as_i64().ok_or("broker id missing")? as i32,
                rack: b["rack"].as_str().map(str::to_string),
                fenced: b["fenced"].as_bool().ok_or("fenced missing")?,
            })
        })
        .collect()
}

// ---- properties ----

fn unracked(n: i32) -> Vec<BrokerSpec> {
    (0..n).map(|id| BrokerSpec { id: 100 + id, rack: None }).collect()
}

/// `n` brokers over `racks` racks, assigned round-robin (`broker i` on rack `i % racks`).
fn racked(n: i32, racks: i32) -> Vec<BrokerSpec> {
    (0..n).map(|id| BrokerSpec { id: 100 + id, rack: Some(format!("rack-{}", id % racks)) }).collect()
}

/// Every input shape small enough to enumerate: (brokers, partitions, replication factor, start, shift,
/// start partition id).
fn small_inputs() -> impl Iterator<Item = (i32, i32, i32, usize, usize, i32)> {
    (1..=6).flat_map(|n| {
        (1..=2 * n + 3).flat_map(move |partitions| {
            (1..=n).flat_map(move |rf| {
                (0..n as usize).flat_map(move |start| {
                    (0..n as usize).flat_map(move |shift| {
                        [-1, 0, 3, n].into_iter().map(move |first| (n, partitions, rf, start, shift, first))
                    })
                })
            })
        })
    })
}

/// Kafka: a partition never has two replicas on one broker, has exactly `rf` replicas, all from the given
/// brokers. Holds for every input, rack-aware or not.
fn assert_well_formed(
    brokers: &[BrokerSpec],
    assignment: &[Vec<i32>],
    partitions: i32,
    rf: i32,
    label: &str,
) {
    assert_eq!(assignment.len(), partitions as usize, "{label}");
    let ids: BTreeSet<i32> = brokers.iter().map(|b| b.id).collect();
    for replicas in assignment {
        let distinct: BTreeSet<i32> = replicas.iter().copied().collect();
        assert_eq!(replicas.len(), rf as usize, "{label}: {replicas:?}");
        assert_eq!(distinct.len(), replicas.len(), "{label}: two replicas on one broker in {replicas:?}");
        assert!(distinct.is_subset(&ids), "{label}: unknown broker in {replicas:?}");
    }
}

/// Replicas (or leaders) per broker, counting brokers with none.
fn per_broker(brokers: &[BrokerSpec], lists: impl Iterator<Item = i32>) -> Vec<usize> {
    let mut counts: BTreeMap<i32, usize> = brokers.iter().map(|b| (b.id, 0)).collect();
    for id in lists {
        *counts.get_mut(&id).expect("known broker") += 1;
    }
    counts.into_values().collect()
}

fn spread(counts: &[usize]) -> usize {
    counts.iter().max().unwrap_or(&0) - counts.iter().min().unwrap_or(&0)
}

#[test]
fn rack_unaware_properties_hold_for_every_small_input() {
    for (n, partitions, rf, start, shift, first) in small_inputs() {
        let label =
            format!("brokers={n} partitions={partitions} rf={rf} start={start} shift={shift} first={first}");
        let brokers = unracked(n);
        let assignment =
            assign_replicas_to_brokers(&brokers, partitions, rf, start, shift, first).expect("valid input");
        assert_well_formed(&brokers, &assignment, partitions, rf, &label);
        // Leaders go round-robin over consecutive broker positions, so leader counts differ by at most one,
        // and are equal when the partition count is a multiple of the broker count.
        let leaders = per_broker(&brokers, assignment.iter().map(|r| r[0]));
        assert!(spread(&leaders) <= 1, "{label}: leaders {leaders:?}");
        if partitions % n == 0 {
            assert_eq!(spread(&leaders), 0, "{label}: leaders {leaders:?}");
        }
        // Within a run of n partitions aligned to a multiple of n, the shift is fixed and each follower slot
        // visits every broker once: so whole aligned rounds give every broker exactly rf replicas.
        if first.max(0) % n == 0 && partitions % n == 0 {
            let replicas = per_broker(&brokers, assignment.iter().flatten().copied());
            assert!(replicas.iter().all(|&c| c == (partitions / n * rf) as usize), "{label}: {replicas:?}");
        }
    }
}

#[test]
fn rack_aware_properties_hold_for_every_small_input() {
    for (n, partitions, rf, start, shift, first) in small_inputs() {
        for racks in 1..=n.min(3) {
            let label = format!(
                "brokers={n} racks={racks} partitions={partitions} rf={rf} start={start} first={first}"
            );
            let brokers = racked(n, racks);
            let assignment = assign_replicas_to_brokers(&brokers, partitions, rf, start, shift, first)
                .expect("valid input");
            assert_well_formed(&brokers, &assignment, partitions, rf, &label);
            let rack_of: BTreeMap<i32, &str> =
                brokers.iter().map(|b| (b.id, b.rack.as_deref().unwrap_or_default())).collect();
            // AdminUtils Javadoc: with at least as many replicas as racks every rack gets a replica; with
            // fewer, each rack gets at most one.
            for replicas in &assignment {
                let used: BTreeSet<&str> = replicas.iter().map(|id| rack_of[id]).collect();
                assert_eq!(used.len(), (rf as usize).min(racks as usize), "{label}: {replicas:?}");
            }
            let leaders = per_broker(&brokers, assignment.iter().map(|r| r[0]));
            assert!(spread(&leaders) <= 1, "{label}: leaders {leaders:?}");
        }
    }
}

#[test]
fn rack_aware_is_even_when_racks_are_balanced_and_rf_equals_racks() {
    // AdminUtils Javadoc: "In a perfect situation where the number of replicas is the same as the number of
    // racks and each rack has the same number of brokers, it guarantees that the replica distribution is even
    // across brokers and racks."
    for (racks, per_rack) in [(2, 2), (3, 1), (3, 2), (3, 3), (2, 3)] {
        let n = racks * per_rack;
        let brokers = racked(n, racks);
        for start in 0..n as usize {
            for rounds in 1..=3 {
                let assignment =
                    assign_replicas_to_brokers(&brokers, n * rounds, racks, start, start, 0).expect("valid");
                let replicas = per_broker(&brokers, assignment.iter().flatten().copied());
                assert!(
                    replicas.iter().all(|&c| c == (rounds * racks) as usize),
                    "racks={racks} per_rack={per_rack} start={start} rounds={rounds}: {replicas:?}"
                );
            }
        }
    }
}

#[test]
fn replication_factor_above_the_broker_count_is_refused() {
    for n in 0..=5 {
        for rf in n + 1..=n + 3 {
            for brokers in [unracked(n), racked(n, 2)] {
                let err = assign_replicas_to_brokers(&brokers, 3, rf, 0, 0, 0).expect_err("too few brokers");
                assert_eq!(
                    err,
                    PlacementError::InvalidReplicationFactor {
                        replication_factor: rf,
                        available_brokers: n as usize
                    }
                );
                let text = err.to_string();
                assert!(text.contains("INVALID_REPLICATION_FACTOR"), "{text}");
                assert!(
                    text.contains(&format!("replication factor {rf} larger than available brokers {n}")),
                    "{text}"
                );
            }
        }
    }
    let err = assign_replicas_to_brokers(&unracked(3), 3, 0, 0, 0, 0).expect_err("rf 0");
    assert!(err.to_string().contains("INVALID_REPLICATION_FACTOR"), "{err}");
    let err = assign_replicas_to_brokers(&unracked(3), -1, 1, 0, 0, 0).expect_err("negative partitions");
    assert_eq!(err, PlacementError::InvalidPartitions { partitions: -1 });
}

#[test]
fn broker_order_is_used_as_given_when_racks_are_absent() {
    // AdminUtils does not sort: the leader of partition p is the ((p + start) % n)-th broker as passed.
    let forward = unracked(4);
    let mut reversed = forward.clone();
    reversed.reverse();
    let a = assign_replicas_to_brokers(&forward, 4, 2, 0, 0, 0).expect("valid");
    let b = assign_replicas_to_brokers(&reversed, 4, 2, 0, 0, 0).expect("valid");
    assert_eq!(a[0][0], 100);
    assert_eq!(b[0][0], 103);
}
