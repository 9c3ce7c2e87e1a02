//! Time per `assign` call of Kafka's assignors on large groups, against the figures of Kafka's Java
//! implementation measured on this machine.
//!
//! Inputs (every member subscribes to every topic):
//! - 1,000 members × 10,000 partitions (100 topics × 100): the first assignment (range, roundrobin, sticky,
//!   cooperative-sticky), then the rebalance after 10 members leave, the others owning their first assignment
//!   at generation 1 (sticky, cooperative-sticky);
//! - 2,000 members × 100,000 partitions (100 topics × 1,000): the same two calls for the sticky assignors.
//!
//! Each figure is the median of several timed calls after warm-up calls, each on a fresh copy of the assignor.
//! Run with `cargo bench -p kafkasim --bench assignors`.

use kafkasim::kafka::assignor::user_data::{encode_cooperative, encode_sticky_v1};
use kafkasim::kafka::assignor::{Assignor, Cluster, GroupAssignment, MemberId, Subscription};
use std::time::Duration;

/// One group shape.
struct Group {
    cluster: Cluster,
    subscriptions: Vec<(MemberId, Subscription)>,
}

/// `members` members all subscribed to `topics` topics of `partitions` partitions each.
fn group(members: usize, topics: usize, partitions: i32) -> Group {
    let names: Vec<String> = (0..topics).map(|t| format!("topic-{t:03}")).collect();
    let cluster = Cluster::new(names.iter().map(|t| (t.clone(), partitions)).collect());
    let subscriptions = (0..members)
        .map(|m| (MemberId(format!("consumer-{m:04}")), Subscription::new(names.clone())))
        .collect();
    Group { cluster, subscriptions }
}

/// The rejoin after the first `leaving` members left: the rest own their first assignment at generation 1, as
/// each assignor's members report it (sticky: in user data; cooperative: owned partitions + generation).
fn after_leave(group: &Group, assignor: &str, first: &GroupAssignment, leaving: usize) -> Group {
    let subscriptions = group.subscriptions[leaving..]
        .iter()
        .map(|(id, sub)| {
            let owned = first.get(id).cloned().unwrap_or_default();
            let user_data = match assignor {
                "sticky" => encode_sticky_v1(&owned, 1),
                _ => encode_cooperative(1),
            };
            let sub = Subscription {
                user_data: Some(user_data),
                owned_partitions: owned,
                generation: Some(1),
                ..sub.clone()
            };
            (id.clone(), sub)
        })
        .collect();
    Group { cluster: group.cluster.clone(), subscriptions }
}

/// The median time of `runs` calls after `warmup` calls, each on a copy of `assignor`.
fn time(assignor: &Assignor, group: &Group, warmup: usize, runs: usize) -> Duration {
    let mut times = Vec::with_capacity(runs);
    for i in 0..warmup + runs {
        let mut fresh = assignor.clone();
        // Benches may read the wall clock: timing is their purpose, and nothing here feeds the simulation.
        #[allow(clippy::disallowed_methods)]
        let start = std::time::Instant::now();
        let result = fresh.assign(&group.cluster, &group.subscriptions);
        let elapsed = start.elapsed();
        assert!(result.is_ok(), "{} failed: {result:?}", assignor.name());
        if i >= warmup {
            times.push(elapsed);
        }
    }
    times.sort();
    times[times.len() / 2]
}

/// One line of the table.
fn row(case: &str, assignor: &str, ours: Duration, kafka_ms: (f64, f64)) {
    let ms = ours.as_secs_f64() * 1e3;
    let kafka = if kafka_ms.0 == kafka_ms.1 {
        format!("{:.0}", kafka_ms.0)
    } else {
        format!("{:.0}–{:.0}", kafka_ms.0, kafka_ms.1)
    };
    println!(
        "{case:<34} {assignor:<20} {ms:>10.2} {kafka:>10} {:>8.2} {:>8.2}",
        ms / kafka_ms.0,
        ms / kafka_ms.1
    );
}

fn main() {
    println!(
        "{:<34} {:<20} {:>10} {:>10} {:>8} {:>8}",
        "input", "assignor", "ours ms", "Kafka ms", "÷ low", "÷ high"
    );
    // Kafka's Java figures on this machine (ms), per the task: (low, high).
    let first_small = [
        ("range", (20.0, 20.0)),
        ("roundrobin", (7.0, 9.0)),
        ("sticky", (7.0, 9.0)),
        ("cooperative-sticky", (7.0, 9.0)),
    ];
    let leave_small = [("sticky", (14.0, 33.0)), ("cooperative-sticky", (10.0, 18.0))];
    let large =
        [("sticky", (45.0, 60.0), (250.0, 250.0)), ("cooperative-sticky", (45.0, 60.0), (120.0, 120.0))];

    let small = group(1_000, 100, 100);
    for (name, kafka) in first_small {
        let assignor = Assignor::by_name(name).expect("known assignor");
        row("1,000 × 10,000 first assignment", name, time(&assignor, &small, 3, 15), kafka);
    }
    for (name, kafka) in leave_small {
        let mut assignor = Assignor::by_name(name).expect("known assignor");
        let first = assignor.assign(&small.cluster, &small.subscriptions).expect("first assignment");
        let rejoin = after_leave(&small, name, &first, 10);
        row("1,000 × 10,000 after 10 leave", name, time(&assignor, &rejoin, 3, 15), kafka);
    }
    let big = group(2_000, 100, 1_000);
    for (name, first_kafka, leave_kafka) in large {
        let mut assignor = Assignor::by_name(name).expect("known assignor");
        row("2,000 × 100,000 first assignment", name, time(&assignor, &big, 2, 9), first_kafka);
        let first = assignor.assign(&big.cluster, &big.subscriptions).expect("first assignment");
        let rejoin = after_leave(&big, name, &first, 10);
        row("2,000 × 100,000 after 10 leave", name, time(&assignor, &rejoin, 2, 9), leave_kafka);
    }
}
