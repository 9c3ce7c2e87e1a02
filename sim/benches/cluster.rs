//! Simulation throughput on the two standard workloads of issue #2, with the trace off and no checkers:
//!
//! (a) 3 brokers, 12 partitions, RF 3, acks=all, 1,000,000 records of 100 bytes, `linger.ms=5`,
//!     `batch.size=16384`;
//! (b) the same with `linger.ms=0` and `batch.size=0`: one record per request, the event-heavy case.
//!
//! `delivery.timeout.ms` is raised to a day: with one request in flight per partition and no batching, (b) keeps
//! records queued for minutes of simulated time, and Java's default 120 s would expire many of them (which is
//! what a real producer would do too; the benchmark measures throughput, not that).
//!
//! Reports wall time, events/s, simulated records/s and peak memory (VmHWM). Run with
//! `cargo bench -p kafkasim --bench cluster` (optionally `-- a` or `-- b`, and `--records N`).
//! Benchmarks may read the wall clock; the simulation itself never does.
#![allow(clippy::disallowed_methods)]

use kafkasim::engine::trace::TraceLevel;
use kafkasim::scenario::run::build_world;
use std::time::Instant;

fn scenario(records: u64, linger_ms: u64, batch_size: u64) -> String {
    format!(
        r#"
[scenario]
name = "bench"
duration = "10h"
[cluster]
brokers = 3
[[topics]]
name = "bench"
partitions = 12
replication_factor = 3
[[producers]]
name = "producer"
client = "java"
config = {{ acks = "all", "linger.ms" = {linger_ms}, "batch.size" = {batch_size}, "delivery.timeout.ms" = 86400000 }}
[[timeline]]
at = "1s"
action = "produce"
producer = "producer"
topic = "bench"
count = {records}
value_bytes = 100
"#
    )
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run(label: &str, records: u64, linger_ms: u64, batch_size: u64) {
    let text = scenario(records, linger_ms, batch_size);
    let s = kafkasim::scenario::parse("bench.toml", &text).expect("the bench scenario is valid");
    let mut world = build_world(&s, 1, TraceLevel::Off);
    let producer = world.client_id("producer").expect("declared");
    let started = Instant::now();
    loop {
        let p = world.producer(producer).expect("a producer");
        if p.acked + p.failed >= records {
            break;
        }
        if !world.step() {
            break;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let p = world.producer(producer).expect("a producer");
    let events = world.steps();
    println!(
        "({label}) linger.ms={linger_ms} batch.size={batch_size}: {records} records ({} acked, {} failed) in {:.3} s wall, \
         {:.1} s simulated; {events} events = {:.2} M events/s; {:.2} M records/s; peak memory {} MiB",
        p.acked,
        p.failed,
        wall,
        world.now().0 as f64 / 1e6,
        events as f64 / wall / 1e6,
        records as f64 / wall / 1e6,
        peak_memory_kib().map_or("?".to_string(), |k| (k / 1024).to_string()),
    );
    // Freeing a million batches is not part of the run being measured.
    std::mem::forget(world);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records = args
        .iter()
        .position(|a| a == "--records")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let only = |w: &str| !args.iter().any(|a| a == "a" || a == "b") || args.iter().any(|a| a == w);
    if only("a") {
        run("a", records, 5, 16_384);
    }
    if only("b") {
        run("b", records, 0, 0);
    }
}
