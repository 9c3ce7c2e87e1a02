//! Conformance of `kafka::assignor` with Kafka's own assignor tests.
//!
//! `tests/conformance/assignors.json` holds 218 cases transcribed from Kafka's `RangeAssignorTest`,
//! `RoundRobinAssignorTest`, `StickyAssignorTest`, `CooperativeStickyAssignorTest`, `AbstractStickyAssignorTest`
//! and the KIP-848 coordinator's `RangeAssignorTest` (apache/kafka 1eb7644349cb), each replayed through Kafka's
//! classes. Every case runs here:
//! - `assignment` cases: exact outputs where `expected` is given (lists compared as lists where
//!   `order_significant`, else as sets), and every listed property where `expected_properties` is given;
//! - `member_data` cases: the sticky user-data decoding;
//! - `generated` cases: the same generators (random ones seeded), checked for their properties and run time;
//! - the rack variants Kafka's tests are parameterised with (`rack_config_variants`): same expectations.
//!
//! Also checked on every cooperative round: Kafka's cooperative invariant (`CooperativeStickyAssignorTest`
//! L264-289) — no partition is added to one member in the same round that another member loses it.

use check::{check_case, Outcome};
use kafkasim_tests::repo_root;
use serde_json::Value;
use std::collections::BTreeMap;

/// The corpus, as JSON values.
fn corpus() -> Vec<Value> {
    let path = repo_root().join("tests/conformance/assignors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Array(cases)) => cases,
        other => panic!("{} is not a JSON list: {other:?}", path.display()),
    }
}

/// Pass/total counts per assignor and kind of check.
#[derive(Default)]
struct Tally(BTreeMap<(String, &'static str), (usize, usize)>);

impl Tally {
    fn add(&mut self, assignor: &str, what: &'static str, passed: bool) {
        let entry = self.0.entry((assignor.to_string(), what)).or_default();
        entry.0 += usize::from(passed);
        entry.1 += 1;
    }

    fn print(&self, title: &str) {
        println!("{title}");
        for ((assignor, what), (pass, total)) in &self.0 {
            println!("  {assignor:<20} {what:<12} {pass:>4} / {total:<4}");
        }
    }
}

/// Runs a list of cases and fails with every failing case's name and diff.
fn run_all(cases: &[Value], title: &str) -> Tally {
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for case in cases {
        let assignor = case["assignor"].as_str().unwrap_or("?");
        let name = case["name"].as_str().unwrap_or("?");
        let Outcome { kinds, problems } = check_case(case);
        for kind in kinds {
            tally.add(assignor, kind, problems.is_empty());
        }
        if !problems.is_empty() {
            failures.push(format!("{assignor} {name}:\n    {}", problems.join("\n    ")));
        }
    }
    tally.print(title);
    assert!(failures.is_empty(), "{} failing case(s):\n{}", failures.len(), failures.join("\n"));
    tally
}

#[test]
fn every_case_matches_kafka() {
    let cases = corpus();
    assert_eq!(cases.len(), 218, "the corpus changed size; update this count and the README");
    let (generated, runnable): (Vec<Value>, Vec<Value>) =
        cases.into_iter().partition(|c| c["kind"].as_str() == Some("generated"));
    // Generated cases run in `generated_cases_hold_their_properties`; nothing else is set aside.
    assert_eq!(generated.len(), 10);
    let tally = run_all(&runnable, "assignors.json: passed / total");
    let checked: usize = tally.0.values().map(|(_, total)| total).sum();
    assert!(checked >= runnable.len(), "every case is counted at least once");
}

#[test]
fn rack_variants_match_kafka() {
    // The generated cases run their variants in `generated_cases_hold_their_properties`.
    let variants: Vec<Value> = corpus()
        .iter()
        .filter(|c| c["kind"].as_str() != Some("generated"))
        .flat_map(check::rack_variants)
        .collect();
    // 53 cases × 3 variants + 3 × 2 (those without a NO_BROKER_RACK variant), as Kafka parameterises them.
    assert_eq!(variants.len(), 53 * 3 + 3 * 2);
    run_all(&variants, "rack variants: passed / total");
}

#[test]
fn generated_cases_hold_their_properties() {
    let generated: Vec<Value> =
        corpus().into_iter().filter(|c| c["kind"].as_str() == Some("generated")).collect();
    assert_eq!(generated.len(), 10);
    let mut failures = Vec::new();
    println!("generated cases (time per variant):");
    for case in &generated {
        match generated::run(case) {
            Ok(times) => {
                println!("  {:<20} {:<70} {times:?}", case["assignor"].as_str().unwrap_or("?"), case["name"])
            }
            Err(problem) => failures.push(format!("{} {}: {problem}", case["assignor"], case["name"])),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Checking one case against its expectations.
mod check {
    use kafkasim::kafka::assignor::case_file::{
        case_from_value, run_case, run_member_data, CaseBody, Step, StepResult,
    };
    use kafkasim::kafka::assignor::{GroupAssignment, MemberData, MemberId, Subscription, TopicPartition};
    use serde_json::{json, Value};
    use std::collections::{BTreeMap, BTreeSet};

    /// What was checked (`exact`, `derived`, `property`, `member_data`, `error`, `ran`) and what failed.
    pub struct Outcome {
        pub kinds: Vec<&'static str>,
        pub problems: Vec<String>,
    }

    /// Runs one case and checks everything it asserts.
    pub fn check_case(case: &Value) -> Outcome {
        let mut out = Outcome { kinds: Vec::new(), problems: Vec::new() };
        let parsed = match case_from_value(case) {
            Ok(parsed) => parsed,
            Err(e) => {
                out.kinds.push("ran");
                out.problems.push(format!("cannot parse: {e}"));
                return out;
            }
        };
        match &parsed.body {
            CaseBody::MemberData(_) => {
                out.kinds.push("member_data");
                out.problems.extend(check_member_data(&case["expected"], &run_member_data(&parsed)));
            }
            CaseBody::Generated => out.kinds.push("ran"),
            CaseBody::Steps(steps) => {
                let step_values: Vec<&Value> = match case["steps"].as_array() {
                    Some(list) => list.iter().collect(),
                    None => vec![case],
                };
                check_steps(case, &step_values, steps, run_case(&parsed), &mut out);
            }
        }
        out
    }

    fn check_steps(
        case: &Value,
        values: &[&Value],
        steps: &[Step],
        run: Result<Vec<StepResult>, kafkasim::kafka::assignor::case_file::CaseError>,
        out: &mut Outcome,
    ) {
        let has = |key: &str| values.iter().any(|v| !v[key].is_null());
        let has_properties =
            values.iter().any(|v| v["expected_properties"].as_array().is_some_and(|p| !p.is_empty()));
        let wants_error = has("expected_error");
        for (kind, present) in [
            ("exact", has("expected")),
            ("derived", has("expected_derived")),
            ("property", has_properties),
            ("error", wants_error),
        ] {
            if present {
                out.kinds.push(kind);
            }
        }
        if out.kinds.is_empty() {
            out.kinds.push("ran");
        }
        let results = match (run, wants_error) {
            (Err(_), true) => return,
            (Ok(_), true) => return out.problems.push("expected an error, the assignor succeeded".into()),
            (Err(e), false) => return out.problems.push(format!("failed to run: {e}")),
            (Ok(results), false) => results,
        };
        let cooperative = case["assignor"].as_str() == Some("cooperative-sticky");
        for (i, (value, result)) in values.iter().zip(&results).enumerate() {
            let ctx = Ctx { step: &steps[i], result, earlier: &results[..i], index: i };
            let problems = check_step(value, &ctx, cooperative);
            out.problems.extend(problems.into_iter().map(|p| format!("step {}: {p}", i + 1)));
        }
    }

    /// A step's result and what its properties may refer to.
    struct Ctx<'a> {
        step: &'a Step,
        result: &'a StepResult,
        earlier: &'a [StepResult],
        index: usize,
    }

    impl Ctx<'_> {
        fn at(&self, stage: Option<&str>) -> &GroupAssignment {
            match stage {
                Some("converged") => &self.result.converged,
                _ => &self.result.assignment,
            }
        }

        /// The result of an earlier step (1-based), as the test held it.
        fn prev(&self, step: &Value) -> Option<&GroupAssignment> {
            let n = step.as_u64()? as usize;
            self.earlier.get(n.checked_sub(1)?).map(|r| &r.effective)
        }
    }

    fn check_step(value: &Value, ctx: &Ctx, cooperative: bool) -> Vec<String> {
        let mut problems = Vec::new();
        if !value["expected"].is_null() {
            let stage = value["expected_stage"].as_str();
            let ordered = value["order_significant"].as_bool().unwrap_or(false);
            problems.extend(compare(&value["expected"], ctx.at(stage), ordered));
        }
        if !value["expected_derived"].is_null() {
            problems.extend(compare(&value["expected_derived"], &ctx.result.assignment, false));
        }
        for property in value["expected_properties"].as_array().into_iter().flatten() {
            if let Err(e) = check_property(property, ctx) {
                problems.push(format!("property {property}: {e}"));
            }
        }
        if cooperative {
            let verified = value["verify_validity_and_balance"].as_bool().unwrap_or(false);
            problems.extend(cooperative_invariant(ctx.result, verified));
        }
        problems
    }

    /// `[[topic, p], ...]` as partitions.
    fn tps(value: &Value) -> Vec<TopicPartition> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|pair| Some(TopicPartition::new(pair[0].as_str()?, pair[1].as_i64()? as i32)))
            .collect()
    }

    fn set(list: &[TopicPartition]) -> BTreeSet<&TopicPartition> {
        list.iter().collect()
    }

    /// Exact comparison of the members the expectation lists.
    fn compare(expected: &Value, actual: &GroupAssignment, ordered: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(members) = expected.as_object() else {
            return vec![format!("expected is not an object: {expected}")];
        };
        for (member, list) in members {
            let want = tps(list);
            let Some(got) = actual.get(&MemberId(member.clone())) else {
                problems.push(format!("{member}: missing from the result"));
                continue;
            };
            let same = if ordered { *got == want } else { set(got) == set(&want) };
            if !same {
                problems.push(format!("{member}: expected {} got {}", show(&want), show(got)));
            }
        }
        problems
    }

    fn show(list: &[TopicPartition]) -> String {
        format!("[{}]", list.iter().map(|tp| tp.to_string()).collect::<Vec<_>>().join(", "))
    }

    fn member<'a>(a: &'a GroupAssignment, name: &Value) -> Result<&'a Vec<TopicPartition>, String> {
        let id = name.as_str().ok_or("no member name")?;
        a.get(&MemberId(id.to_string())).ok_or_else(|| format!("{id} missing from the result"))
    }

    fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
        if ok {
            Ok(())
        } else {
            Err(what())
        }
    }

    /// One entry of `expected_properties` (vocabulary in the reference notes §4.8 and §8).
    fn check_property(p: &Value, ctx: &Ctx) -> Result<(), String> {
        let stage = p["stage"].as_str();
        let a = ctx.at(stage);
        let sizes = || a.iter().map(|(m, l)| (m.0.clone(), l.len())).collect::<BTreeMap<_, _>>();
        match p["type"].as_str().unwrap_or("") {
            "valid_and_balanced" => valid_and_balanced(&ctx.result.subscriptions, a),
            "fully_balanced" => fully_balanced(a),
            "no_partition_assigned_twice" => {
                let all: Vec<&TopicPartition> = a.values().flatten().collect();
                ensure(all.len() == all.iter().collect::<BTreeSet<_>>().len(), || {
                    "a partition is assigned twice".into()
                })
            }
            "total_assigned" => {
                let total: usize = a.values().map(Vec::len).sum();
                ensure(Some(total as u64) == p["count"].as_u64(), || format!("{total} assigned"))
            }
            "each_member_count_between" => {
                let (lo, hi) =
                    (p["min"].as_u64().unwrap_or(0) as usize, p["max"].as_u64().unwrap_or(0) as usize);
                ensure(a.values().all(|l| (lo..=hi).contains(&l.len())), || format!("sizes {:?}", sizes()))
            }
            "member_sizes" => member_sizes(&p["sizes"], a).map_err(|e| format!("{e}; sizes {:?}", sizes())),
            "member_sizes_one_of" => {
                let options = p["options"].as_array().ok_or("no options")?;
                ensure(options.iter().any(|o| member_sizes(o, a).is_ok()), || format!("sizes {:?}", sizes()))
            }
            "per_topic_count_each_member" => {
                let topic = p["topic"].as_str().ok_or("no topic")?;
                let want = p["count"].as_u64().ok_or("no count")? as usize;
                let counts: Vec<usize> =
                    a.values().map(|l| l.iter().filter(|tp| tp.topic == topic).count()).collect();
                ensure(counts.iter().all(|&c| c == want), || format!("{topic} counts {counts:?}"))
            }
            "partitions_transferring_ownership" => transferring(&p["equals"], ctx),
            "partitions_transferring_ownership_size" => {
                let moving = ctx.result.transferring_first_round.as_ref().ok_or("not a sticky assignor")?;
                let size = moving.as_ref().map_or(0, kafkasim::engine::vec_map::VecMap::len);
                ensure(moving.is_some() && Some(size as u64) == p["size"].as_u64(), || format!("{moving:?}"))
            }
            "is_sticky" => {
                let (first, converged) = ctx.result.is_sticky.ok_or("not a sticky assignor")?;
                ensure(if stage == Some("converged") { converged } else { first }, || {
                    "isSticky() is false".into()
                })
            }
            "rack_mismatch_count" => {
                let want = p["count"].as_u64().ok_or("no count")? as usize;
                let got = rack_mismatches(ctx);
                ensure(got == want, || format!("{got} partitions off their member's rack"))
            }
            other => check_relational(other, p, ctx, a),
        }
    }

    /// The properties that relate members to each other or to earlier steps.
    fn check_relational(kind: &str, p: &Value, ctx: &Ctx, a: &GroupAssignment) -> Result<(), String> {
        let prev_member = || -> Result<&Vec<TopicPartition>, String> {
            member(ctx.prev(&p["prev_step"]).ok_or("no such previous step")?, &p["prev_member"])
        };
        match kind {
            "member_contains_all_of_prev_step" => {
                let (now, before) = (set(member(a, &p["member"])?), set(prev_member()?));
                ensure(before.is_subset(&now), || format!("{:?} lost some of {:?}", now, before))
            }
            "prev_step_member_contains_all_of_member" => {
                let (now, before) = (set(member(a, &p["member"])?), set(prev_member()?));
                ensure(now.is_subset(&before), || format!("{:?} not within {:?}", now, before))
            }
            "not_disjoint_with_prev_step" => {
                let (now, before) = (set(member(a, &p["member"])?), set(prev_member()?));
                ensure(!now.is_disjoint(&before), || format!("{:?} shares nothing with {:?}", now, before))
            }
            "members_keep_prev_partition" => {
                let before = ctx.prev(&p["prev_step"]).ok_or("no such previous step")?;
                for (id, list) in a {
                    let kept = before.get(id).is_none_or(|old| set(old).is_subset(&set(list)));
                    ensure(kept, || format!("{id} lost partitions of step {}", p["prev_step"]))?;
                }
                Ok(())
            }
            "member_subset_of" | "member_assignment_set" => {
                let (got, allowed) = (member(a, &p["member"])?, tps(&p["partitions"]));
                let ok = if kind == "member_subset_of" {
                    set(got).is_subset(&set(&allowed))
                } else {
                    set(got) == set(&allowed)
                };
                ensure(ok, || format!("{} vs {}", show(got), show(&allowed)))
            }
            "disjoint_members" => {
                let names = p["members"].as_array().ok_or("no members")?;
                let lists: Result<Vec<_>, _> = names.iter().map(|n| member(a, n).map(|l| set(l))).collect();
                let lists = lists?;
                let total: usize = lists.iter().map(BTreeSet::len).sum();
                let union: BTreeSet<_> = lists.into_iter().flatten().collect();
                ensure(union.len() == total, || "members share partitions".into())
            }
            "member_assignment_equals_prev_step" => {
                let before = ctx.earlier.get(ctx.index.wrapping_sub(1)).ok_or("no previous step")?;
                let (now, old) = (member(a, &p["member"])?, member(&before.effective, &p["prev_member"])?);
                ensure(set(now) == set(old), || format!("{} vs {}", show(now), show(old)))
            }
            "assignment_by_instance_id" => by_instance_id(&p["equals"], ctx, a),
            other => Err(format!("unknown property type \"{other}\"")),
        }
    }

    fn member_sizes(sizes: &Value, a: &GroupAssignment) -> Result<(), String> {
        for (id, want) in sizes.as_object().ok_or("sizes is not an object")? {
            let got = a.get(&MemberId(id.clone())).map(Vec::len);
            ensure(got.map(|g| g as u64) == want.as_u64(), || format!("{id} has {got:?}, wanted {want}"))?;
        }
        Ok(())
    }

    /// Kafka's `verifyValidityAndBalance` (`AbstractStickyAssignorTest` L1485-1549): every member present, only
    /// subscribed topics, no partition twice, and members whose counts differ by more than one share no topic.
    pub fn valid_and_balanced(subs: &[(MemberId, Subscription)], a: &GroupAssignment) -> Result<(), String> {
        ensure(subs.len() == a.len(), || {
            format!("{} subscriptions but {} members assigned", subs.len(), a.len())
        })?;
        let mut seen = BTreeSet::new();
        // topic -> (fewest, most) partitions among the members holding some of it
        let mut spread: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (id, sub) in subs {
            let list = a.get(id).ok_or_else(|| format!("{id} missing"))?;
            for tp in list {
                ensure(sub.topics.contains(&tp.topic), || format!("{tp} assigned to {id}, not subscribed"))?;
                ensure(seen.insert(tp), || format!("{tp} assigned twice"))?;
                let e = spread.entry(tp.topic.as_str()).or_insert((usize::MAX, 0));
                *e = (e.0.min(list.len()), e.1.max(list.len()));
            }
        }
        for (topic, (lo, hi)) in spread {
            ensure(hi <= lo + 1, || format!("members holding {topic} have {lo} and {hi} partitions"))?;
        }
        Ok(())
    }

    /// `isFullyBalanced` (L1460-1471).
    pub fn fully_balanced(a: &GroupAssignment) -> Result<(), String> {
        let sizes: Vec<usize> = a.values().map(Vec::len).collect();
        let (lo, hi) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
        ensure(hi <= lo + 1, || format!("sizes range from {lo} to {hi}"))
    }

    fn transferring(equals: &Value, ctx: &Ctx) -> Result<(), String> {
        let moving = ctx.result.transferring_first_round.as_ref().ok_or("not a sticky assignor")?;
        let want: Option<kafkasim::engine::vec_map::VecMap<TopicPartition, MemberId>> = match equals {
            Value::Null => None,
            Value::String(s) if s == "empty" => Some(kafkasim::engine::vec_map::VecMap::new()),
            Value::Object(map) => Some(
                map.iter()
                    .filter_map(|(k, v)| {
                        let (topic, p) = k.rsplit_once('-')?;
                        Some((TopicPartition::new(topic, p.parse().ok()?), MemberId(v.as_str()?.to_string())))
                    })
                    .collect(),
            ),
            other => return Err(format!("cannot read {other}")),
        };
        ensure(*moving == want, || format!("got {moving:?}"))
    }

    /// `verifyRackAssignment`'s count (`AbstractPartitionAssignorTest` L201-216): partitions of members with a
    /// rack that have no replica on it.
    fn rack_mismatches(ctx: &Ctx) -> usize {
        let mut count = 0;
        for (id, sub) in &ctx.result.subscriptions {
            let Some(rack) = &sub.rack else { continue };
            for tp in ctx.result.assignment.get(id).into_iter().flatten() {
                if !ctx.step.cluster.racks_of(&tp.topic, tp.partition).contains(rack) {
                    count += 1;
                }
            }
        }
        count
    }

    fn by_instance_id(equals: &Value, ctx: &Ctx, a: &GroupAssignment) -> Result<(), String> {
        for (instance, want) in equals.as_object().ok_or("equals is not an object")? {
            let id = ctx
                .result
                .subscriptions
                .iter()
                .find(|(_, s)| s.group_instance_id.as_deref() == Some(instance.as_str()))
                .map(|(id, _)| id)
                .ok_or_else(|| format!("no member with instance id {instance}"))?;
            let got = a.get(id).ok_or("member missing")?;
            ensure(set(got) == set(&tps(want)), || format!("{instance}: {}", show(got)))?;
        }
        Ok(())
    }

    /// Kafka's `verifyCooperativeValidity` on the first round and on every follow-up round; a step whose test
    /// ran the follow-up rounds must also converge within Kafka's 4 rounds.
    pub fn cooperative_invariant(result: &StepResult, verified: bool) -> Vec<String> {
        let mut rounds = vec![(&result.subscriptions, &result.assignment)];
        rounds.extend(result.follow_ups.iter().map(|(s, a)| (s, a)));
        let mut problems = Vec::new();
        for (round, (subs, assignment)) in rounds.into_iter().enumerate() {
            let mut added = BTreeSet::new();
            let mut revoked = BTreeSet::new();
            for (id, sub) in subs {
                let now = assignment.get(id).map(|l| set(l)).unwrap_or_default();
                let owned = set(&sub.owned_partitions);
                added.extend(now.difference(&owned).copied());
                revoked.extend(owned.difference(&now).copied());
            }
            let both: Vec<String> = added.intersection(&revoked).map(|tp| tp.to_string()).collect();
            if !both.is_empty() {
                problems.push(format!("round {round}: revoked and reassigned at once: {}", both.join(", ")));
            }
        }
        if verified && !result.did_converge {
            problems.push("the cooperative follow-up rounds did not converge within 4 rounds".into());
        }
        problems
    }

    fn check_member_data(expected: &Value, got: &[Option<MemberData>]) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, data) in got.iter().enumerate() {
            let Some(data) = data else { continue };
            let want = match expected {
                Value::Array(list) => list.get(i).cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            if let Some(partitions) = want.get("partitions") {
                if data.partitions != tps(partitions) {
                    problems.push(format!("input {}: partitions {}", i + 1, show(&data.partitions)));
                }
            }
            if let Some(generation) = want.get("generation") {
                if json!(data.generation) != *generation {
                    problems.push(format!("input {}: generation {:?}", i + 1, data.generation));
                }
            }
        }
        problems
    }

    /// Kafka's rack variants of a parameterised case (reference notes §8): replicas of every partition on all
    /// broker racks, consumer racks `ALL_RACKS[consumer_index % numRacks]` for the members whose test builder
    /// sets a rack, `preferRackAwareLogic` on. Expectations are unchanged.
    pub fn rack_variants(case: &Value) -> Vec<Value> {
        const ALL_RACKS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
        let Some(variants) = case["rack_config_variants"].as_array() else { return Vec::new() };
        let broker_racks = case["rack_variant_params"]["num_broker_racks"].as_u64().unwrap_or(3) as usize;
        let assignor = case["assignor"].as_str().unwrap_or("");
        let mut out = Vec::new();
        for variant in variants.iter().filter_map(Value::as_str) {
            let with_brokers = variant != "NO_BROKER_RACK";
            let with_consumers = variant != "NO_CONSUMER_RACK";
            let num_racks = if with_brokers { broker_racks } else { ALL_RACKS.len() };
            let mut c = case.clone();
            c["name"] = json!(format!("{}[{variant}]", case["name"].as_str().unwrap_or("")));
            c["prefer_rack_aware_logic"] = json!(true);
            let steps: Vec<&mut Value> = match c.get_mut("steps").and_then(Value::as_array_mut) {
                Some(list) => list.iter_mut().collect(),
                None => vec![&mut c],
            };
            for step in steps {
                step["partition_racks"] = if with_brokers {
                    all_racks(&step["topics"], &ALL_RACKS[..broker_racks])
                } else {
                    Value::Null
                };
                for m in step["members"].as_array_mut().into_iter().flatten() {
                    let index = m["consumer_index"].as_u64();
                    if let (true, Some(i)) =
                        (with_consumers && builder_sets_rack(assignor, &m["builder"]), index)
                    {
                        m["rack"] = json!(ALL_RACKS[i as usize % num_racks]);
                    }
                }
            }
            out.push(c);
        }
        out
    }

    /// Every partition of every topic on all of `racks`.
    fn all_racks(topics: &Value, racks: &[&str]) -> Value {
        let map: serde_json::Map<String, Value> = topics
            .as_object()
            .into_iter()
            .flatten()
            .map(|(t, n)| (t.clone(), json!(vec![racks; n.as_u64().unwrap_or(0) as usize])))
            .collect();
        Value::Object(map)
    }

    /// Whether Kafka's test builder gives the member a rack (`StickyAssignorTest` v1/v2 do not; the cooperative
    /// v2 builder does).
    fn builder_sets_rack(assignor: &str, builder: &Value) -> bool {
        match builder.as_str() {
            None | Some("subscription") | Some("v0") | Some("v0_old_schema") => true,
            Some("v2") => assignor == "cooperative-sticky",
            _ => false,
        }
    }
}

/// The `generated` cases: Kafka's large and randomised tests, rebuilt from their descriptions. Kafka draws from
/// an unseeded `java.util.Random`; we draw from a fixed seed so a failure reproduces.
mod generated {
    use super::check::valid_and_balanced;
    use kafkasim::kafka::assignor::user_data::{encode_cooperative, encode_sticky_v1};
    use kafkasim::kafka::assignor::{
        Assignor, Cluster, GroupAssignment, MemberId, Subscription, TopicPartition,
    };
    use serde_json::Value;
    use std::time::Duration;

    const ALL_RACKS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

    /// SplitMix64: small, seeded, good enough to pick subscriptions.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % n.max(1) as u64) as usize
        }
    }

    /// `getCanonicalName`: a prefix and a number zero-padded to the width of `max`.
    fn name(prefix: &str, i: usize, max: usize) -> String {
        format!("{prefix}{i:0width$}", width = max.to_string().len())
    }

    /// Rack setup of one variant (`initializeRacks`): broker racks a, b, c on every partition; consumer racks.
    #[derive(Clone, Copy)]
    struct Racks {
        brokers: bool,
        consumers: bool,
    }

    impl Racks {
        fn consumer_rack(self, i: usize) -> Option<String> {
            let n = if self.brokers { 3 } else { ALL_RACKS.len() };
            self.consumers.then(|| ALL_RACKS[i % n].to_string())
        }

        fn cluster(self, topics: &[(String, i32)]) -> Cluster {
            let mut cluster = Cluster::new(topics.iter().cloned().collect());
            // Racks only matter when consumers have racks; skip building a million rack lists otherwise.
            if self.brokers && self.consumers {
                for (t, n) in topics {
                    let abc: Vec<String> = ["a", "b", "c"].iter().map(|r| r.to_string()).collect();
                    cluster.partition_racks.insert(t.clone(), vec![abc; *n as usize]);
                }
            }
            cluster
        }
    }

    /// `buildSubscriptionV2Above` for the assignor under test.
    fn v2(
        assignor: &str,
        topics: Vec<String>,
        owned: Vec<TopicPartition>,
        rack: Option<String>,
    ) -> Subscription {
        let cooperative = assignor == "cooperative-sticky";
        Subscription {
            topics,
            user_data: Some(if cooperative { encode_cooperative(-1) } else { encode_sticky_v1(&owned, 1) }),
            owned_partitions: owned,
            generation: Some(1),
            rack: if cooperative { rack } else { None },
            group_instance_id: None,
        }
    }

    fn assign(
        a: &mut Assignor,
        cluster: &Cluster,
        subs: &[(MemberId, Subscription)],
    ) -> Result<GroupAssignment, String> {
        a.assign(cluster, subs).map_err(|e| e.to_string())
    }

    /// `verifyValidityAndBalance`, which for the cooperative assignor first runs the follow-up rounds (and
    /// leaves the converged subscriptions and assignment behind, as Kafka's test does).
    fn verify(
        a: &mut Assignor,
        cluster: &Cluster,
        subs: &mut [(MemberId, Subscription)],
        assignment: GroupAssignment,
    ) -> Result<GroupAssignment, String> {
        let assignment = match a {
            Assignor::CooperativeSticky(c) => {
                let done = c.converge(cluster, subs, assignment, 1).map_err(|e| e.to_string())?;
                if !done.converged {
                    return Err("follow-up rounds did not converge".into());
                }
                if done.rounds > 0 {
                    for (id, sub) in subs.iter_mut() {
                        sub.owned_partitions = done.assignment.get(id).cloned().unwrap_or_default();
                        sub.generation = Some(1);
                    }
                }
                done.assignment
            }
            _ => assignment,
        };
        valid_and_balanced(subs, &assignment)?;
        Ok(assignment)
    }

    fn is_sticky(a: &Assignor) -> bool {
        match a {
            Assignor::Sticky(s) => s.is_sticky(),
            Assignor::CooperativeSticky(c) => c.is_sticky(),
            _ => true,
        }
    }

    /// Runs one generated case in each of its rack variants; returns each variant's run time.
    pub fn run(case: &Value) -> Result<Vec<Duration>, String> {
        let assignor = case["assignor"].as_str().ok_or("no assignor")?;
        let timeout = case["generator"]["timeout_seconds"].as_u64();
        let variants: Vec<Racks> = case["rack_config_variants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|v| Racks { brokers: v != "NO_BROKER_RACK", consumers: v != "NO_CONSUMER_RACK" })
            .collect();
        let mut times = Vec::new();
        for racks in variants {
            let elapsed = match case["name"].as_str().unwrap_or("") {
                "testLargeAssignmentAndGroupWithUniformSubscription" => {
                    two_rounds(assignor, racks, 500, 2000, 2000, |_, _| true)
                }
                "testLargeAssignmentAndGroupWithNonEqualSubscription" => {
                    two_rounds(assignor, racks, 500, 2000, 2000, |i, t| i < 1999 || t == 0)
                }
                "testAssignmentAndGroupWithNonEqualSubscriptionNotTimeout" => {
                    two_rounds(assignor, racks, 100, 200, 500, |i, t| (i % 4 == 0) == (t < 50))
                }
                "testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription" => {
                    leaving(assignor, racks)
                }
                "testReassignmentWithRandomSubscriptionsAndChanges" => random_changes(assignor, racks),
                other => return Err(format!("no generator for {other}")),
            }?;
            check_time(elapsed, timeout)?;
            times.push(elapsed);
        }
        Ok(times)
    }

    /// `completes_within_timeout`, Kafka's JUnit `@Timeout`. An unoptimised (debug) build gets 20 times longer.
    fn check_time(elapsed: Duration, timeout: Option<u64>) -> Result<(), String> {
        let Some(seconds) = timeout else { return Ok(()) };
        let factor = if cfg!(debug_assertions) { 20 } else { 1 };
        if elapsed > Duration::from_secs(seconds * factor) {
            return Err(format!("took {elapsed:?}, over the {seconds} s timeout (×{factor})"));
        }
        Ok(())
    }

    /// The two-round large tests: everyone subscribes, then all but consumer 0 rejoin owning their round-1
    /// partitions at generation 1. With consumer racks, Kafka shrinks them to 50 topics.
    fn two_rounds(
        assignor: &str,
        racks: Racks,
        topic_count: usize,
        partitions: i32,
        consumers: usize,
        subscribes: impl Fn(usize, usize) -> bool,
    ) -> Result<Duration, String> {
        let (topic_count, subscribes): (usize, Box<dyn Fn(usize, usize) -> bool>) = if racks.consumers {
            // The rack variant halves at 25 where the 100-topic case halves at 50 (`topicCount / 2`).
            let half = 25;
            (
                50,
                Box::new(
                    move |i, t| {
                        if topic_count == 100 {
                            (i % 4 == 0) == (t < half)
                        } else {
                            subscribes(i, t)
                        }
                    },
                ),
            )
        } else {
            (topic_count, Box::new(subscribes))
        };
        let topics: Vec<(String, i32)> =
            (0..topic_count).map(|t| (name("t", t, topic_count), partitions)).collect();
        let cluster = racks.cluster(&topics);
        let topics_of = |i: usize| -> Vec<String> {
            (0..topic_count).filter(|&t| subscribes(i, t)).map(|t| topics[t].0.clone()).collect()
        };
        let mut subs: Vec<(MemberId, Subscription)> = (0..consumers)
            .map(|i| {
                let sub = Subscription { rack: racks.consumer_rack(i), ..Subscription::new(topics_of(i)) };
                (MemberId(name("c", i, consumers)), sub)
            })
            .collect();
        let mut a = Assignor::by_name(assignor).map_err(|e| e.to_string())?;
        a.set_prefer_rack_aware_logic(true);
        #[allow(clippy::disallowed_methods)] // Tests may read the wall clock: this checks Kafka's @Timeout.
        let start = std::time::Instant::now();
        let first = assign(&mut a, &cluster, &subs)?;
        for (i, (id, sub)) in subs.iter_mut().enumerate().skip(1) {
            let owned = first.get(id).cloned().unwrap_or_default();
            *sub = v2(assignor, topics_of(i), owned, racks.consumer_rack(i));
        }
        assign(&mut a, &cluster, &subs)?;
        Ok(start.elapsed())
    }

    /// `testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription`.
    fn leaving(assignor: &str, racks: Racks) -> Result<Duration, String> {
        let mut rng = Rng(0x5EED_0001);
        let topics: Vec<(String, i32)> =
            (0..40).map(|t| (name("t", t, 40), rng.below(10) as i32 + 1)).collect();
        let cluster = racks.cluster(&topics);
        let mut subs: Vec<(MemberId, Subscription)> = (0..200)
            .map(|i| {
                let mut list = Vec::new();
                // Kafka redraws the bound on every iteration (`j < rand.nextInt(20)`), and may repeat a topic.
                let mut j = 0;
                while j < rng.below(20) {
                    list.push(topics[rng.below(40)].0.clone());
                    j += 1;
                }
                (
                    MemberId(name("c", i, 200)),
                    Subscription { rack: racks.consumer_rack(i), ..Subscription::new(list) },
                )
            })
            .collect();
        let mut a = Assignor::by_name(assignor).map_err(|e| e.to_string())?;
        a.set_prefer_rack_aware_logic(true);
        #[allow(clippy::disallowed_methods)] // Tests may read the wall clock: this checks Kafka's @Timeout.
        let start = std::time::Instant::now();
        let first = assign(&mut a, &cluster, &subs)?;
        let first = verify(&mut a, &cluster, &mut subs, first)?;
        for (i, (id, sub)) in subs.iter_mut().enumerate().skip(1) {
            let owned = first.get(id).cloned().unwrap_or_default();
            *sub = v2(assignor, sub.topics.clone(), owned, racks.consumer_rack(i));
        }
        for _ in 0..50 {
            let gone = MemberId(name("c", rng.below(200), 200));
            subs.retain(|(id, _)| *id != gone);
        }
        let second = assign(&mut a, &cluster, &subs)?;
        verify(&mut a, &cluster, &mut subs, second)?;
        if !is_sticky(&a) {
            return Err("isSticky() is false".into());
        }
        Ok(start.elapsed())
    }

    /// `getRandomSublist`: drop a random number (fewer than all) of random elements.
    fn random_sublist(rng: &mut Rng, list: &[String]) -> Vec<String> {
        let mut out = list.to_vec();
        for _ in 0..rng.below(list.len()) {
            out.remove(rng.below(out.len()));
        }
        out.sort();
        out
    }

    /// `testReassignmentWithRandomSubscriptionsAndChanges`: 100 rounds on fresh assignors.
    fn random_changes(assignor: &str, racks: Racks) -> Result<Duration, String> {
        let mut rng = Rng(0x5EED_0002);
        #[allow(clippy::disallowed_methods)] // Tests may read the wall clock: this checks Kafka's @Timeout.
        let start = std::time::Instant::now();
        for round in 1..=100 {
            let num_topics = 10 + rng.below(10);
            let topics: Vec<(String, i32)> =
                (0..num_topics).map(|i| (name("t", i, 20), i as i32 + 1)).collect();
            let names: Vec<String> = topics.iter().map(|(t, _)| t.clone()).collect();
            let cluster = racks.cluster(&topics);
            let num_consumers = 20 + rng.below(20);
            let mut subs: Vec<(MemberId, Subscription)> = (0..num_consumers)
                .map(|i| {
                    let sub = Subscription {
                        rack: racks.consumer_rack(i),
                        ..Subscription::new(random_sublist(&mut rng, &names))
                    };
                    (MemberId(name("c", i, 40)), sub)
                })
                .collect();
            let mut a = Assignor::by_name(assignor).map_err(|e| e.to_string())?;
            a.set_prefer_rack_aware_logic(true);
            let first = assign(&mut a, &cluster, &subs)?;
            let first =
                verify(&mut a, &cluster, &mut subs, first).map_err(|e| format!("round {round}: {e}"))?;
            for (i, (id, sub)) in subs.iter_mut().enumerate() {
                let owned = first.get(id).cloned().unwrap_or_default();
                *sub = v2(assignor, random_sublist(&mut rng, &names), owned, racks.consumer_rack(i));
            }
            let second = assign(&mut a, &cluster, &subs)?;
            verify(&mut a, &cluster, &mut subs, second).map_err(|e| format!("round {round}: {e}"))?;
            if !is_sticky(&a) {
                return Err(format!("round {round}: isSticky() is false"));
            }
        }
        Ok(start.elapsed())
    }
}
