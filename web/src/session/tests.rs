use super::*;
use kafkasim::scenario::run::{run, RunOptions};

fn scenario_file(name: &str) -> String {
    let path = format!("{}/../scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// A consumer group: two consumers share six partitions, the second joins at 10 s (a rebalance), the first
/// crashes at 25 s (another one, after `session.timeout.ms`).
pub(crate) const GROUP: &str = r#"
[scenario]
name = "Two consumers share six partitions"
seed = 3
duration = "40s"

[cluster]
brokers = 3

[[topics]]
name = "orders"
partitions = 6
replication_factor = 3

[[producers]]
name = "producer"

[[consumers]]
name = "c1"
group = "billing"
topics = ["orders"]

[[consumers]]
name = "c2"
group = "billing"
topics = ["orders"]
start = "10s"

[[timeline]]
at = "1s"
action = "produce"
producer = "producer"
topic = "orders"
count = 600
interval_ms = 50
keys = ["a", "b", "c", "d", "e", "f", "g", "h"]

[[timeline]]
at = "25s"
action = "crash_consumer"
consumer = "c1"
"#;

fn cli_hash(text: &str, seed: u64) -> String {
    let scenario = kafkasim::scenario::parse("s.toml", text).expect("scenario parses");
    let report = run(&scenario, RunOptions { seed, until: None, level: TraceLevel::Full, checkers: true });
    report.world.trace().hash_hex()
}

/// What the page would draw: the view and the log.
fn picture(s: &Session) -> String {
    let view = serde_json::to_string(&kafkasim::view::view(s.world())).unwrap();
    let log = serde_json::to_string(&s.events_from(0)).unwrap();
    format!("{view}\n{log}\n{}", serde_json::to_string(&s.checkers()).unwrap())
}

#[test]
fn a_session_run_to_the_end_has_the_cli_hash() {
    let cases = [("clean-failover", scenario_file("clean-failover")), ("group", GROUP.to_string())];
    for (name, text) in cases {
        for seed in [1, 7] {
            let mut s = Session::new(&text, "s.toml", seed).expect("scenario parses");
            s.run_to_end();
            assert_eq!(s.world().trace().hash_hex(), cli_hash(&text, seed), "{name} seed {seed}");
        }
    }
}

#[test]
fn stepping_one_event_at_a_time_gives_the_same_hash_as_running_to_the_end() {
    let text = scenario_file("clean-failover");
    let mut by_steps = Session::new(&text, "s.toml", 3).expect("parses");
    while by_steps.step() {}
    by_steps.run_to_end();
    let mut at_once = Session::new(&text, "s.toml", 3).expect("parses");
    at_once.run_to_end();
    assert_eq!(by_steps.world().trace().hash_hex(), at_once.world().trace().hash_hex());
}

#[test]
fn seeking_back_reaches_the_state_a_fresh_run_had_at_that_step() {
    let mut fresh = Session::new(GROUP, "s.toml", 7).expect("parses");
    fresh.seek(2_500);
    let mut s = Session::new(GROUP, "s.toml", 7).expect("parses");
    s.step_n(5_300);
    s.seek(2_500);
    assert_eq!(s.world().steps(), 2_500);
    assert_eq!(picture(&s), picture(&fresh), "the view, the log and the checkers after going back");
    s.step_back();
    fresh.seek(2_499);
    assert_eq!(picture(&s), picture(&fresh));
}

#[test]
fn seeking_back_in_time_matches_a_fresh_run_to_that_instant() {
    let text = scenario_file("clean-failover");
    let mut fresh = Session::new(&text, "s.toml", 7).expect("parses");
    fresh.run_until(SimTime::from_ms(6_000));
    let mut s = Session::new(&text, "s.toml", 7).expect("parses");
    s.run_until(SimTime::from_ms(15_000));
    s.seek_time(SimTime::from_ms(6_000));
    assert_eq!(s.world().now(), SimTime::from_ms(6_000));
    assert_eq!(s.world().steps(), fresh.world().steps());
    assert_eq!(picture(&s), picture(&fresh));
    s.seek_time(SimTime::from_ms(30_000));
    fresh.run_until(SimTime::from_ms(30_000));
    assert_eq!(picture(&s), picture(&fresh), "forward again, far");
}

#[test]
fn exploring_ahead_leaves_the_shown_state_alone_and_marks_the_whole_run() {
    let mut s = Session::new(GROUP, "s.toml", 7).expect("parses");
    s.run_until(SimTime::from_ms(2_000));
    let before = picture(&s);
    while !s.explore(3_000) {}
    assert_eq!(picture(&s), before, "exploring moved what the page shows");
    assert!(s.fully_known());
    let markers = s.markers_from(0);
    assert!(
        markers.iter().any(|m| m.class == "rebalance" && m.at_us > 10_000_000),
        "c2's join is marked ahead"
    );
    // Jumping far ahead uses the explored checkpoints and reaches the state a plain run reaches.
    s.seek_time(SimTime::from_ms(30_000));
    let mut plain = Session::new(GROUP, "s.toml", 7).expect("parses");
    plain.run_until(SimTime::from_ms(30_000));
    assert_eq!(picture(&s), picture(&plain));
    // Playing on from there to the end gives the CLI's hash.
    s.run_to_end();
    assert_eq!(s.world().trace().hash_hex(), cli_hash(GROUP, 7));
}

#[test]
fn checkpoints_hold_no_trace() {
    let mut s = Session::new(GROUP, "s.toml", 7).expect("parses");
    s.seek(4 * CHECKPOINT_EVERY + 10);
    assert!(s.checkpoints.len() >= 5);
    assert!(s.checkpoints.iter().all(|c| c.world.trace().events().is_empty()));
}

#[test]
fn next_interesting_event_stops_at_a_marked_event() {
    let mut s = Session::new(GROUP, "s.toml", 7).expect("parses");
    s.run_until(SimTime::from_ms(5_000));
    let before = s.world().trace().events().len();
    assert!(s.step_to_interesting(1_000_000) > 0);
    let new = &s.world().trace().events()[before..];
    let last = new.last().expect("the step recorded something");
    assert!(
        events::marker_class(&last.kind).is_some()
            || new.iter().any(|e| events::marker_class(&e.kind).is_some())
    );
    assert!(
        s.world().now() >= SimTime::from_ms(10_000),
        "nothing interesting happens between 5 s and c2's join"
    );
}

#[test]
fn an_injected_crash_is_replayed_after_going_back_and_is_the_run_of_the_exported_file() {
    let text = scenario_file("clean-failover");
    let mut s = Session::new(&text, "clean-failover.toml", 7).expect("parses");
    s.run_until(SimTime(2_000_500));
    let outcome = s.inject(InjectRequest::Crash { broker: 2 }).expect("broker 2 exists");
    assert_eq!(outcome.at_ms, 2_001);
    assert!(outcome.warning.is_none(), "a crash changes nothing before it");
    assert_eq!(
        s.world().liveness(kafkasim::kafka::types::BrokerId(2)),
        kafkasim::engine::action::Liveness::Crashed
    );
    assert!(s.events_from(0).iter().any(|e| e.text.contains("broker 2 crashes")));
    s.run_until(SimTime::from_ms(20_000));
    let (steps, hash) = (s.world().steps(), s.world().trace().hash_hex());
    s.seek(10);
    s.seek(steps);
    assert_eq!(s.world().trace().hash_hex(), hash, "going back before the crash and forward replays it");
    s.run_to_end();
    let end_hash = s.world().trace().hash_hex();
    // The share link: the same scenario, seed and injections, from step 0.
    let mut shared =
        Session::with_injections(&text, "clean-failover.toml", 7, s.injections().to_vec()).unwrap();
    shared.run_to_end();
    assert_eq!(shared.world().trace().hash_hex(), end_hash, "the share link replays the run");
    // The exported scenario file, run as the CLI runs it with the file's own seed.
    let exported = s.scenario_text();
    let parsed = kafkasim::scenario::parse("exported.toml", &exported).expect("the export parses");
    assert_eq!(cli_hash(&exported, parsed.seed), end_hash, "the exported file replays the run:\n{exported}");
}

#[test]
fn going_back_across_checkpoints_and_an_injection_matches_a_fresh_run() {
    let text = scenario_file("clean-failover");
    let mut s = Session::new(&text, "clean-failover.toml", 7).unwrap();
    s.seek(1_800);
    s.seek(1_200);
    s.inject(InjectRequest::Crash { broker: 2 }).unwrap();
    s.seek(1_900);
    let forward = picture(&s);
    s.seek(300);
    s.seek(1_900);
    assert_eq!(picture(&s), forward, "replay from a checkpoint, through the injection");
    let mut fresh =
        Session::with_injections(&text, "clean-failover.toml", 7, s.injections().to_vec()).unwrap();
    fresh.seek(1_900);
    assert_eq!(picture(&fresh), forward, "the forked run is the run a fresh session makes");
}

#[test]
fn a_consumer_added_and_paused_from_the_page_is_part_of_the_exported_run() {
    let mut s = Session::new(GROUP, "group.toml", 5).unwrap();
    s.run_until(SimTime::from_ms(14_000));
    let added = s
        .inject(InjectRequest::AddConsumer { like: Some("c1".into()), group: None, topics: None, name: None })
        .expect("c1 exists");
    let InjectRequest::AddConsumer { name: Some(name), .. } = &added.injection.request else {
        panic!("the session names the new consumer: {added:?}")
    };
    assert_eq!(name, "c3");
    s.run_until(SimTime::from_ms(22_000));
    s.inject(InjectRequest::Pause { broker: None, node: Some("c3".into()) }).unwrap();
    s.run_until(SimTime::from_ms(24_000));
    s.inject(InjectRequest::CreatePartitions { topic: "orders".into(), partitions: 8 }).unwrap();
    s.run_to_end();
    let view = kafkasim::view::view(s.world());
    assert!(view.consumers.iter().any(|c| c.name == "c3"), "the new consumer is drawn");
    assert_eq!(
        view.partitions.iter().filter(|p| p.topic == "orders").count(),
        8,
        "CreatePartitions took effect"
    );
    let exported = s.scenario_text();
    assert_eq!(cli_hash(&exported, 5), s.world().trace().hash_hex(), "{exported}");
}

#[test]
fn bad_injections_are_errors_not_panics() {
    let text = scenario_file("clean-failover");
    let mut s = Session::new(&text, "s.toml", 7).expect("parses");
    let err = s.inject(InjectRequest::Crash { broker: 42 }).expect_err("no broker 42");
    assert!(err.contains("no broker 42"), "{err}");
    let err = s
        .inject(InjectRequest::Cut { from: "broker 1".into(), to: "nobody".into(), one_way: false })
        .expect_err("no such node");
    assert!(err.contains("nobody"), "{err}");
    assert!(s.injections().is_empty());
    s.run_to_end();
    let err = s.inject(InjectRequest::Heal).expect_err("after the end");
    assert!(err.contains("ended"), "{err}");
}

#[test]
fn inject_requests_parse_from_the_pages_json() {
    let r = InjectRequest::from_json(r#"{"action":"isolate","broker":3}"#).expect("valid");
    assert_eq!(r, InjectRequest::Isolate { broker: 3 });
    let r = InjectRequest::from_json(r#"{"action":"heal"}"#).expect("valid");
    assert_eq!(r, InjectRequest::Heal);
    let r = InjectRequest::from_json(r#"{"action":"pause","node":"c1"}"#).expect("valid");
    assert_eq!(r, InjectRequest::Pause { broker: None, node: Some("c1".into()) });
    let r = InjectRequest::from_json(r#"{"action":"cut","from":"broker 1","to":"c1","one_way":true}"#)
        .expect("valid");
    assert_eq!(r, InjectRequest::Cut { from: "broker 1".into(), to: "c1".into(), one_way: true });
    let r = InjectRequest::from_json(r#"{"action":"add_consumer","group":"g","topics":["a","b"]}"#)
        .expect("valid");
    let topics = Some(vec!["a".to_string(), "b".to_string()]);
    assert_eq!(r, InjectRequest::AddConsumer { like: None, group: Some("g".into()), topics, name: None });
    let err = InjectRequest::from_json(r#"{"action":"explode","broker":3}"#).expect_err("unknown action");
    assert!(err.contains("unknown action `explode`") && err.contains("create_partitions"), "{err}");
    let err = InjectRequest::from_json(r#"{"action":"crash","brokr":3}"#).expect_err("misspelt field");
    assert!(err.contains("missing field `broker`"), "{err}");
    let err =
        InjectRequest::from_json(r#"{"action":"crash","broker":3,"node":"c1"}"#).expect_err("extra field");
    assert!(err.contains("unknown field `node` for action `crash`, expected one of: broker"), "{err}");
    let err = InjectRequest::from_json(r#"{"action":"crash","broker":"3"}"#).expect_err("a string");
    assert!(err.contains("`broker` must be a whole number"), "{err}");
    let i = Injection::list_from_json(r#"[{"at_ms":5,"action":"crash","broker":1}]"#).expect("valid");
    assert_eq!(i, vec![Injection { at_ms: 5, request: InjectRequest::Crash { broker: 1 } }]);
    let err = Injection::list_from_json(r#"[{"action":"crash","broker":1}]"#).expect_err("no instant");
    assert!(err.contains("item 0 has no `at_ms`"), "{err}");
}

/// What the page sends back in a share link reads back as the same injections.
#[test]
fn injections_written_as_json_read_back_the_same() {
    let list = vec![
        Injection { at_ms: 1, request: InjectRequest::Pause { broker: Some(2), node: None } },
        Injection {
            at_ms: 2,
            request: InjectRequest::Cut { from: "a".into(), to: "b".into(), one_way: false },
        },
        Injection { at_ms: 3, request: InjectRequest::CreatePartitions { topic: "t".into(), partitions: 4 } },
    ];
    let json = serde_json::to_string(&list).unwrap();
    assert_eq!(Injection::list_from_json(&json).expect("reads back"), list);
}

#[test]
fn the_run_stops_at_the_scenarios_duration() {
    let text = scenario_file("clean-failover");
    let mut s = Session::new(&text, "s.toml", 7).expect("parses");
    s.run_to_end();
    assert!(s.finished());
    assert!(!s.step());
    assert_eq!(s.world().now(), s.end());
}

#[test]
fn capped_runs_reach_the_same_state_as_one_run() {
    let text = scenario_file("clean-failover");
    let mut capped = Session::new(&text, "s.toml", 7).expect("parses");
    let target = SimTime::from_ms(9_000);
    let mut calls = 0;
    while !capped.run_until_capped(target, 7) {
        calls += 1;
    }
    assert!(calls > 10, "the cap was never hit");
    let mut once = Session::new(&text, "s.toml", 7).expect("parses");
    once.run_until(target);
    assert_eq!(picture(&capped), picture(&once));
}

#[test]
fn going_back_and_forth_between_the_end_and_a_point_keeps_the_state_exact() {
    let mut s = Session::new(GROUP, "s.toml", 7).expect("parses");
    s.run_to_end();
    let end = s.world().steps();
    let at_end = picture(&s);
    let mut fresh = Session::new(GROUP, "s.toml", 7).expect("parses");
    for target in [end / 2, end / 5, end - 3, end / 3] {
        s.seek(target);
        fresh.seek(target);
        assert_eq!(picture(&s), picture(&fresh), "at step {target}");
        s.seek(end);
        assert_eq!(picture(&s), at_end, "back at the end from {target}");
    }
}

#[test]
fn adding_a_consumer_after_a_broker_crash_says_that_the_run_before_it_changed() {
    // A consumer declared in the scenario exists from the start of the run, idle until its `start`; a broker
    // crash resets every client's connection to it, the idle consumer's too. So the added consumer changes the
    // run before the instant it was added, and the session says so rather than pretend the past is the same.
    let mut s = Session::new(GROUP, "group.toml", 5).unwrap();
    s.run_until(SimTime::from_ms(5_000));
    s.inject(InjectRequest::Crash { broker: 3 }).unwrap();
    s.run_until(SimTime::from_ms(14_000));
    let outcome = s
        .inject(InjectRequest::AddConsumer { like: Some("c1".into()), group: None, topics: None, name: None })
        .unwrap();
    assert!(outcome.warning.is_some(), "the prefix changed but no warning was given");
}

/// The page's frames build a smaller view instead of building the whole one and clearing parts of it. It must
/// be exactly what clearing gave, with and without the internal topics and the offsets.
#[test]
fn the_pages_view_is_the_whole_view_with_the_undrawn_parts_cleared() {
    fn cleared(world: &kafkasim::engine::world::World, internal: bool, offsets: bool) -> String {
        let mut view = kafkasim::view::view(world);
        if !offsets {
            for c in &mut view.consumers {
                c.partitions.clear();
            }
            for g in &mut view.groups {
                g.offsets.clear();
                for m in &mut g.members {
                    m.assignment.clear();
                }
            }
        }
        let before = view.partitions.len();
        if !internal {
            view.partitions.retain(|p| !p.internal);
        }
        for r in view.partitions.iter_mut().flat_map(|p| p.replicas.iter_mut()) {
            r.epoch_cache.clear();
        }
        view.hidden_internal = before - view.partitions.len();
        serde_json::to_string(&view).unwrap()
    }
    /// The lag of each committed offset as the view used to find it: the leader's replica searched by name.
    fn lags_by_name(world: &kafkasim::engine::world::World) -> Vec<Option<i64>> {
        let image = world.controller.published();
        let mut out = Vec::new();
        for g in kafkasim::view::view(world).groups {
            let coord = &world.broker(g.coordinator).unwrap().group_side.coordinator;
            for (tp, v) in coord.offsets.get(g.name.as_str()).into_iter().flatten() {
                let hw = image
                    .topic_by_name(&tp.topic)
                    .and_then(|t| t.partitions.get(tp.partition as usize))
                    .and_then(|p| p.leader)
                    .and_then(|l| world.broker(l))
                    .and_then(|lb| lb.partitions.values().find(|p| *p.name == tp.to_string()))
                    .map(|p| p.log.high_watermark());
                out.push(hw.map(|h| (h - v.offset).max(0)));
            }
        }
        out
    }
    let mut compared = 0;
    let mut lags = 0;
    let mut epoch_caches = 0;
    for text in
        [GROUP.to_string(), scenario_file("coordinator-failover"), scenario_file("acks1-unclean-election")]
    {
        let mut s = Session::new(&text, "s.toml", 3).unwrap();
        loop {
            for (internal, offsets) in [(false, false), (false, true), (true, false), (true, true)] {
                let page = serde_json::to_string(&crate::page_view(s.world(), internal, offsets)).unwrap();
                assert_eq!(page, cleared(s.world(), internal, offsets), "step {}", s.world().steps());
                compared += 1;
            }
            let view = kafkasim::view::view(s.world());
            epoch_caches += view
                .partitions
                .iter()
                .flat_map(|p| &p.replicas)
                .filter(|r| !r.epoch_cache.is_empty())
                .count();
            let shown: Vec<Option<i64>> =
                view.groups.iter().flat_map(|g| g.offsets.iter().map(|o| o.2)).collect();
            assert_eq!(shown, lags_by_name(s.world()), "step {}", s.world().steps());
            lags += shown.iter().filter(|l| l.is_some_and(|l| l > 0)).count();
            if s.step_n(97) == 0 {
                break;
            }
        }
    }
    assert!(compared > 100, "only {compared} views compared");
    assert!(lags > 10, "only {lags} positive lags compared");
    assert!(epoch_caches > 100, "the whole view showed only {epoch_caches} epoch caches");
}
