//! Group-heavy simulation throughput (issue #3): 100 consumers in 10 groups on 1,000 partitions, with churn.
//!
//! 6 brokers; 10 topics of 100 partitions each, replication factor 3; one Java producer writing 1,000 records/s
//! spread over all the topics; 10 groups of 10 Java consumers, every group subscribed to every topic (so each
//! member owns 100 partitions). Churn: every 10 s one consumer of some group crashes and is restarted 3 s later
//! (a rebalance when it is removed after its session timeout, another when it rejoins), and every 15 s one
//! consumer of another group closes and starts again (LeaveGroup, then a join). The trace is off and no
//! checker runs, as in the cluster benchmark.
//!
//! Reports wall time, events/s, simulated seconds per wall second, records produced and processed, rebalances
//! (generations summed over the groups) and peak memory. Run with `cargo bench -p kafkasim --bench groups`
//! (optionally `-- --seconds N`). Benchmarks may read the wall clock; the simulation itself never does.
#![allow(clippy::disallowed_methods)]

use kafkasim::engine::time::SimTime;
use kafkasim::engine::trace::TraceLevel;
use kafkasim::kafka::group::find_group;
use kafkasim::scenario::run::build_world;
use std::fmt::Write;
use std::time::Instant;

const TOPICS: usize = 10;
const GROUPS: usize = 10;
const MEMBERS: usize = 10;

fn scenario(seconds: u64) -> String {
    let mut s = format!(
        r#"
[scenario]
name = "groups bench"
duration = "{seconds}s"
[cluster]
brokers = 6
[[producers]]
name = "producer"
config = {{ "linger.ms" = 5, "delivery.timeout.ms" = 86400000 }}
"#
    );
    for t in 0..TOPICS {
        let _ = write!(
            s,
            "[[topics]]\nname = \"t{t}\"\npartitions = 100\nreplication_factor = 3\n\
             [[timeline]]\nat = \"1s\"\naction = \"produce\"\nproducer = \"producer\"\ntopic = \"t{t}\"\n\
             count = {}\ninterval_ms = 10\nvalue_bytes = 100\nkeys = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\"]\n",
            seconds * 100
        );
    }
    let topics: Vec<String> = (0..TOPICS).map(|t| format!("\"t{t}\"")).collect();
    for g in 0..GROUPS {
        for m in 0..MEMBERS {
            let _ = write!(
                s,
                "[[consumers]]\nname = \"g{g}-c{m}\"\ngroup = \"g{g}\"\ntopics = [{}]\n\
                 config = {{ \"session.timeout.ms\" = 10000, \"auto.offset.reset\" = \"earliest\" }}\n",
                topics.join(", ")
            );
        }
    }
    let mut at = 10;
    let mut n = 0;
    while at + 5 < seconds {
        let victim = format!("g{}-c{}", n % GROUPS, (n * 3) % MEMBERS);
        let _ = write!(
            s,
            "[[timeline]]\nat = \"{at}s\"\naction = \"crash_consumer\"\nconsumer = \"{victim}\"\n\
             [[timeline]]\nat = \"{}s\"\naction = \"restart_consumer\"\nconsumer = \"{victim}\"\n",
            at + 3
        );
        at += 10;
        n += 1;
    }
    let mut at = 15;
    let mut n = 0;
    while at + 5 < seconds {
        let who = format!("g{}-c{}", (n + 5) % GROUPS, (n * 7 + 1) % MEMBERS);
        let _ = write!(
            s,
            "[[timeline]]\nat = \"{at}s\"\naction = \"stop_consumer\"\nconsumer = \"{who}\"\n\
             [[timeline]]\nat = \"{}s\"\naction = \"start_consumer\"\nconsumer = \"{who}\"\n",
            at + 2
        );
        at += 15;
        n += 1;
    }
    s
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(120u64);
    let text = scenario(seconds);
    let s = kafkasim::scenario::parse("groups-bench.toml", &text).expect("the bench scenario is valid");
    let mut world = build_world(&s, 1, TraceLevel::Off);
    let started = Instant::now();
    let end = SimTime::from_ms(seconds * 1000);
    while world.next_event_time().is_some_and(|t| t <= end) {
        world.step();
    }
    let wall = started.elapsed().as_secs_f64();
    let events = world.steps();
    let producer = world.client_id("producer").and_then(|id| world.producer(id)).map_or(0, |p| p.acked);
    let processed: u64 = world.consumers().map(|c| c.consumed).sum();
    let generations: i64 = (0..GROUPS)
        .filter_map(|g| find_group(&world, &format!("g{g}")).map(|(_, g, _)| i64::from(g.generation)))
        .sum();
    println!(
        "groups: {GROUPS} groups x {MEMBERS} consumers, {TOPICS} topics x 100 partitions, {seconds} s simulated in \
         {wall:.2} s wall ({:.1}x real time); {events} events = {:.2} M events/s; {producer} records produced, \
         {processed} processed; {generations} generations over all groups; peak memory {} MiB",
        seconds as f64 / wall,
        events as f64 / wall / 1e6,
        peak_memory_kib().map_or("?".to_string(), |k| (k / 1024).to_string()),
    );
}
