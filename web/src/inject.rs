//! Actions injected from the page, as scenario text.
//!
//! An injected action is not applied to the running world behind the scenario's back: it becomes a
//! `[[timeline]]` entry (or, for a new consumer, a `[[consumers]]` entry with its `start`) appended to the scenario
//! file, and the run is the run of that longer file. So the run the page shows, the run a share link rebuilds and
//! the run `kafkasim run EXPORTED.toml --seed N` replays are one and the same by construction: the page parses
//! and runs exactly the text it exports.
//!
//! The timeline is in whole milliseconds, so an action injected at instant `t` happens at the first whole
//! millisecond after `t` (`floor(t) + 1 ms`): every event the page has already shown stays in the past, and a
//! timeline action at an instant runs before the other events of that instant, as it would have in the file.

use kafkasim::engine::vec_map::VecMap;
use kafkasim::scenario::toml::{self, key, quote, Kind, Table, Value};
use kafkasim::scenario::Scenario;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::fmt::Write as _;

/// What the user asked for, as the page sends it (`{"action": "crash", "broker": 2}`). Nodes are named as
/// scenario files name them: `broker 2`, `controller`, or a client's name.
///
/// Read by hand ([`InjectRequest::from_json`]): serde's derive for an internally tagged enum buffers the object
/// through a generic content tree, which was ~45 KB of the wasm bundle for a dozen small objects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum InjectRequest {
    /// Kill the broker's process.
    Crash { broker: i32 },
    /// Start a crashed or stopped broker again.
    Restart { broker: i32 },
    /// Stop-the-world pause (a GC stall) of a broker (`broker`) or of any node by name (`node`).
    Pause {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broker: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
    },
    /// End a pause.
    Resume {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broker: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
    },
    /// Cut every link to and from the broker.
    Isolate { broker: i32 },
    /// Cut the link between two nodes (both ways unless `one_way`).
    Cut {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        one_way: bool,
    },
    /// Restore every cut link.
    Heal,
    /// Start a new consumer: a copy of consumer `like` (same client, group, topics and settings, so that it
    /// speaks the group's assignor), or a Java consumer of `group` subscribed to `topics`.
    AddConsumer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        like: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topics: Option<Vec<String>>,
        /// Its name; chosen by the session when the page leaves it out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// `subscribe()` and poll: start a consumer that has not started or was closed.
    StartConsumer { consumer: String },
    /// `close()`: a final commit and LeaveGroup.
    StopConsumer { consumer: String },
    /// The consumer's process dies: no LeaveGroup, no commit.
    CrashConsumer { consumer: String },
    /// A crashed consumer's process starts again.
    RestartConsumer { consumer: String },
    /// CreatePartitions: grow `topic` to `partitions` partitions in total.
    CreatePartitions { topic: String, partitions: i32 },
}

/// The actions the page can inject, as `"action"` names them.
const ACTIONS: &[&str] = &[
    "crash",
    "restart",
    "pause",
    "resume",
    "isolate",
    "cut",
    "heal",
    "add_consumer",
    "start_consumer",
    "stop_consumer",
    "crash_consumer",
    "restart_consumer",
    "create_partitions",
];

impl InjectRequest {
    /// One request from the page's JSON, e.g. `{"action": "crash", "broker": 2}`.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let object =
            value.as_object().ok_or("an action is a JSON object: {\"action\": \"crash\", \"broker\": 2}")?;
        Self::from_object(object, &[])
    }

    /// The request in `object`, whose keys must all be read (`also` lists keys the caller reads).
    fn from_object(object: &Map<String, Json>, also: &[&'static str]) -> Result<Self, String> {
        let mut f = Fields { object, read: also.to_vec() };
        let action = f.string("action")?;
        let request = match action.as_str() {
            "crash" => Self::Crash { broker: f.int("broker")? },
            "restart" => Self::Restart { broker: f.int("broker")? },
            "isolate" => Self::Isolate { broker: f.int("broker")? },
            "pause" => Self::Pause { broker: f.opt_int("broker")?, node: f.opt_string("node")? },
            "resume" => Self::Resume { broker: f.opt_int("broker")?, node: f.opt_string("node")? },
            "cut" => Self::Cut { from: f.string("from")?, to: f.string("to")?, one_way: f.flag("one_way")? },
            "heal" => Self::Heal,
            "add_consumer" => Self::AddConsumer {
                like: f.opt_string("like")?,
                group: f.opt_string("group")?,
                topics: f.opt_strings("topics")?,
                name: f.opt_string("name")?,
            },
            "start_consumer" => Self::StartConsumer { consumer: f.string("consumer")? },
            "stop_consumer" => Self::StopConsumer { consumer: f.string("consumer")? },
            "crash_consumer" => Self::CrashConsumer { consumer: f.string("consumer")? },
            "restart_consumer" => Self::RestartConsumer { consumer: f.string("consumer")? },
            "create_partitions" => {
                Self::CreatePartitions { topic: f.string("topic")?, partitions: f.int("partitions")? }
            }
            other => {
                return Err(format!("unknown action `{other}`, expected one of: {}", ACTIONS.join(", ")))
            }
        };
        f.no_other_keys(&action)?;
        Ok(request)
    }
}

/// The keys of one JSON object, read one by one; a key nobody read is an error (a misspelt field is not
/// silently ignored).
struct Fields<'a> {
    object: &'a Map<String, Json>,
    read: Vec<&'static str>,
}

impl Fields<'_> {
    fn get(&mut self, key: &'static str) -> Option<&Json> {
        self.read.push(key);
        self.object.get(key).filter(|v| !v.is_null())
    }

    fn opt_int(&mut self, key: &'static str) -> Result<Option<i32>, String> {
        self.get(key)
            .map(|v| {
                v.as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or(format!("`{key}` must be a whole number"))
            })
            .transpose()
    }

    fn int(&mut self, key: &'static str) -> Result<i32, String> {
        self.opt_int(key)?.ok_or(format!("missing field `{key}`"))
    }

    fn opt_string(&mut self, key: &'static str) -> Result<Option<String>, String> {
        self.get(key)
            .map(|v| v.as_str().map(str::to_string).ok_or(format!("`{key}` must be a string")))
            .transpose()
    }

    fn string(&mut self, key: &'static str) -> Result<String, String> {
        self.opt_string(key)?.ok_or(format!("missing field `{key}`"))
    }

    fn opt_strings(&mut self, key: &'static str) -> Result<Option<Vec<String>>, String> {
        let wrong = || format!("`{key}` must be a list of strings");
        self.get(key)
            .map(|v| {
                let list = v.as_array().ok_or_else(wrong)?;
                list.iter().map(|s| s.as_str().map(str::to_string).ok_or_else(wrong)).collect()
            })
            .transpose()
    }

    fn flag(&mut self, key: &'static str) -> Result<bool, String> {
        self.get(key).map_or(Ok(false), |v| v.as_bool().ok_or(format!("`{key}` must be true or false")))
    }

    fn no_other_keys(&self, action: &str) -> Result<(), String> {
        match self.object.keys().find(|k| !self.read.contains(&k.as_str())) {
            Some(k) => Err(format!(
                "unknown field `{k}` for action `{action}`, expected one of: {}",
                self.read.iter().filter(|r| **r != "action").copied().collect::<Vec<_>>().join(", ")
            )),
            None => Ok(()),
        }
    }
}

/// An injected action and the whole millisecond it happens at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Injection {
    /// When, in milliseconds from the start.
    pub at_ms: u64,
    /// What.
    #[serde(flatten)]
    pub request: InjectRequest,
}

impl Injection {
    /// A share link's list, e.g. `[{"at_ms": 2001, "action": "crash", "broker": 2}]`.
    pub fn list_from_json(text: &str) -> Result<Vec<Self>, String> {
        let value: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let list = value.as_array().ok_or("the injected actions are a JSON list")?;
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                let object = item.as_object().ok_or(format!("item {i} is not a JSON object"))?;
                let at_ms = object
                    .get("at_ms")
                    .and_then(Json::as_u64)
                    .ok_or(format!("item {i} has no `at_ms` (a whole number of milliseconds)"))?;
                let request =
                    InjectRequest::from_object(object, &["at_ms"]).map_err(|e| format!("item {i}: {e}"))?;
                Ok(Self { at_ms, request })
            })
            .collect()
    }
}

/// The note every injected timeline entry carries: it marks the fork in the trace and the log.
pub const NOTE: &str = "injected in the explorer";

/// The instant an action injected at `now_us` happens at: the first whole millisecond after it.
pub fn next_whole_ms(now_us: u64) -> u64 {
    now_us / 1000 + 1
}

/// The scenario file with the injected actions appended. `seed`, when given, replaces the `[scenario]` seed so
/// that `kafkasim run FILE` without `--seed` replays the same run.
pub fn effective_text(base: &str, injections: &[Injection], seed: Option<u64>) -> String {
    let mut text = match seed {
        Some(seed) => with_seed(base, seed),
        None => base.to_string(),
    };
    if injections.is_empty() {
        return text;
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("\n# ---- Injected in the kafkasim explorer: the run forks here. ----\n");
    let base_table = toml::parse(base).ok();
    for inj in injections {
        text.push('\n');
        text.push_str(&entry(inj, base_table.as_ref()));
    }
    text
}

/// One injection as TOML: a `[[timeline]]` entry, or a `[[consumers]]` entry for a new consumer.
fn entry(inj: &Injection, base: Option<&Value>) -> String {
    let at = inj.at_ms;
    let note = quote(NOTE);
    let step = |action: &str, keys: &[(&str, String)]| {
        let mut s = format!("[[timeline]]\nat = {at}\naction = {}\n", quote(action));
        for (k, v) in keys {
            let _ = writeln!(s, "{k} = {v}");
        }
        let _ = writeln!(s, "note = {note}");
        s
    };
    match &inj.request {
        InjectRequest::Crash { broker } => step("crash", &[("broker", broker.to_string())]),
        InjectRequest::Restart { broker } => step("restart", &[("broker", broker.to_string())]),
        InjectRequest::Isolate { broker } => step("isolate", &[("broker", broker.to_string())]),
        InjectRequest::Pause { broker, node } => step("pause", &[node_key(*broker, node)]),
        InjectRequest::Resume { broker, node } => step("resume", &[node_key(*broker, node)]),
        InjectRequest::Cut { from, to, one_way } => {
            let mut keys = vec![("node", quote(from)), ("to", quote(to))];
            if *one_way {
                keys.push(("one_way", "true".to_string()));
            }
            step("cut", &keys)
        }
        InjectRequest::Heal => step("heal", &[]),
        InjectRequest::StartConsumer { consumer } => step("start_consumer", &[("consumer", quote(consumer))]),
        InjectRequest::StopConsumer { consumer } => step("stop_consumer", &[("consumer", quote(consumer))]),
        InjectRequest::CrashConsumer { consumer } => step("crash_consumer", &[("consumer", quote(consumer))]),
        InjectRequest::RestartConsumer { consumer } => {
            step("restart_consumer", &[("consumer", quote(consumer))])
        }
        InjectRequest::CreatePartitions { topic, partitions } => {
            step("create_partitions", &[("topic", quote(topic)), ("partitions", partitions.to_string())])
        }
        InjectRequest::AddConsumer { like, group, topics, name } => {
            consumer_entry(at, like.as_deref(), group.as_deref(), topics.as_deref(), name.as_deref(), base)
        }
    }
}

fn node_key(broker: Option<i32>, node: &Option<String>) -> (&'static str, String) {
    match (broker, node) {
        (_, Some(n)) => ("node", quote(n)),
        (Some(b), None) => ("broker", b.to_string()),
        // `validate` rejects this before any text is made; an empty name makes the parser say so anyway.
        (None, None) => ("node", quote("")),
    }
}

/// A `[[consumers]]` entry: a copy of the base file's consumer `like` with a new name and start, or a plain
/// Java consumer.
fn consumer_entry(
    at_ms: u64,
    like: Option<&str>,
    group: Option<&str>,
    topics: Option<&[String]>,
    name: Option<&str>,
    base: Option<&Value>,
) -> String {
    let template = like.and_then(|l| declared_consumer(base?, l));
    // Key → the value as TOML text, sorted by key.
    let mut table: VecMap<String, String> = template
        .map(|t| t.entries.iter().map(|e| (e.key.clone(), inline(&e.value))).collect())
        .unwrap_or_default();
    table.insert("name".into(), quote(name.unwrap_or("")));
    table.insert("start".into(), at_ms.to_string());
    if let Some(g) = group {
        table.insert("group".into(), quote(g));
    }
    if let Some(t) = topics {
        table.insert(
            "topics".into(),
            format!("[{}]", t.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")),
        );
    }
    let mut s = String::from("[[consumers]]\n");
    // The name first: it is what a reader looks for.
    let _ = writeln!(s, "name = {}", table["name"]);
    for (k, v) in &table {
        if k != "name" {
            let _ = writeln!(s, "{} = {v}", key(k));
        }
    }
    s
}

/// The `[[consumers]]` table named `name` in a scenario file.
fn declared_consumer<'a>(base: &'a Value, name: &str) -> Option<&'a Table> {
    base.as_table()?
        .get("consumers")?
        .as_array()?
        .iter()
        .filter_map(|c| c.as_table())
        .find(|c| c.get("name").and_then(|n| n.as_str()) == Some(name))
}

/// A TOML value on one line (inline tables for tables, their keys sorted).
fn inline(v: &Value) -> String {
    match &v.kind {
        Kind::Array(items) => format!("[{}]", items.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Kind::Table(t) => {
            let mut entries: Vec<&toml::Entry> = Vec::with_capacity(t.entries.len());
            for e in &t.entries {
                entries.insert(entries.partition_point(|x| x.key < e.key), e);
            }
            let parts: Vec<String> =
                entries.iter().map(|e| format!("{} = {}", key(&e.key), inline(&e.value))).collect();
            if parts.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", parts.join(", "))
            }
        }
        _ => v.to_string(),
    }
}

/// The file with its `[scenario]` seed set to `seed` (the line replaced, or added under the header).
fn with_seed(base: &str, seed: u64) -> String {
    let mut out = Vec::new();
    let mut in_scenario = false;
    let mut done = false;
    for line in base.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            if in_scenario && !done {
                // The table had no seed line: put one at its end, before the next header.
                out.push(format!("seed = {seed}"));
                done = true;
            }
            in_scenario = trimmed.starts_with("[scenario]");
        } else if in_scenario && !done && is_key_line(trimmed, "seed") {
            out.push(format!("seed = {seed}"));
            done = true;
            continue;
        }
        out.push(line.to_string());
    }
    if in_scenario && !done {
        out.push(format!("seed = {seed}"));
    }
    let mut text = out.join("\n");
    if base.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn is_key_line(line: &str, key: &str) -> bool {
    line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// A free name for a new consumer: `like` with the next number (`c2` → `c3`), or `consumer-N`.
pub fn fresh_consumer_name(scenario: &Scenario, like: Option<&str>) -> String {
    let taken = |n: &str| {
        scenario.consumers.iter().any(|(c, _)| c == n) || scenario.producers.iter().any(|(p, _)| p == n)
    };
    let stem = like.map(|l| l.trim_end_matches(|c: char| c.is_ascii_digit())).unwrap_or("consumer-");
    let stem = if stem.is_empty() { "consumer-" } else { stem };
    (1..).map(|i| format!("{stem}{i}")).find(|n| !taken(n)).expect("some number is free")
}

/// Checks a request against the scenario before it becomes text, so the page gets a plain sentence rather than
/// a parse error about a line the user never wrote. Returns the request with defaults filled in.
pub fn validate(scenario: &Scenario, request: InjectRequest) -> Result<InjectRequest, String> {
    let broker_known = |b: i32| scenario.brokers.iter().any(|(id, _)| id.0 == b);
    let consumer_known = |c: &str| scenario.consumers.iter().any(|(n, _)| n == c);
    let no_broker = |b: i32| {
        let known: Vec<String> = scenario.brokers.iter().map(|(id, _)| id.0.to_string()).collect();
        format!("no broker {b} in this scenario (brokers: {})", known.join(", "))
    };
    let no_consumer = |c: &str| format!("no consumer named “{c}” in this scenario");
    match request {
        InjectRequest::Crash { broker }
        | InjectRequest::Restart { broker }
        | InjectRequest::Isolate { broker }
            if !broker_known(broker) =>
        {
            Err(no_broker(broker))
        }
        InjectRequest::Pause { broker: None, node: None }
        | InjectRequest::Resume { broker: None, node: None } => {
            Err("pause and resume need a broker or a node".to_string())
        }
        InjectRequest::Pause { broker: Some(b), .. } | InjectRequest::Resume { broker: Some(b), .. }
            if !broker_known(b) =>
        {
            Err(no_broker(b))
        }
        InjectRequest::StartConsumer { ref consumer }
        | InjectRequest::StopConsumer { ref consumer }
        | InjectRequest::CrashConsumer { ref consumer }
        | InjectRequest::RestartConsumer { ref consumer }
            if !consumer_known(consumer) =>
        {
            Err(no_consumer(consumer))
        }
        InjectRequest::Cut { ref from, ref to, .. } if from == to => {
            Err(format!("a link joins two different nodes (got {from} twice)"))
        }
        InjectRequest::CreatePartitions { ref topic, partitions } => {
            let Some(t) = scenario.topics.iter().find(|t| t.name == *topic) else {
                return Err(format!("no topic “{topic}” was declared in this scenario"));
            };
            if partitions <= t.partitions {
                return Err(format!(
                    "{topic} has {} partition(s) at the start; CreatePartitions only adds (ask for more than that)",
                    t.partitions
                ));
            }
            Ok(InjectRequest::CreatePartitions { topic: topic.clone(), partitions })
        }
        InjectRequest::AddConsumer { like, group, topics, name } => {
            if let Some(l) = &like {
                if !consumer_known(l) {
                    return Err(no_consumer(l));
                }
            }
            if like.is_none() && (group.is_none() || topics.as_ref().is_none_or(|t| t.is_empty())) {
                return Err(
                    "a new consumer needs a consumer to copy (like) or a group and topics".to_string()
                );
            }
            let name = match name {
                Some(n) if scenario.consumers.iter().any(|(c, _)| *c == n) => {
                    return Err(format!("there is already a consumer named “{n}”"))
                }
                Some(n) => n,
                None => fresh_consumer_name(scenario, like.as_deref()),
            };
            Ok(InjectRequest::AddConsumer { like, group, topics, name: Some(name) })
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "[scenario]\nname = \"t\"\nseed = 4\nduration = \"10s\"\n\n[cluster]\nbrokers = 3\n\n\
        [[topics]]\nname = \"orders\"\npartitions = 2\nreplication_factor = 3\n\n\
        [[consumers]]\nname = \"c1\"\ngroup = \"g\"\ntopics = [\"orders\"]\n\
        config = { \"partition.assignment.strategy\" = \"cooperative-sticky\" }\n";

    fn parse(text: &str) -> Scenario {
        kafkasim::scenario::parse("t.toml", text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn every_request_becomes_text_the_parser_accepts() {
        let requests = vec![
            InjectRequest::Crash { broker: 1 },
            InjectRequest::Restart { broker: 1 },
            InjectRequest::Isolate { broker: 2 },
            InjectRequest::Pause { broker: Some(3), node: None },
            InjectRequest::Resume { broker: None, node: Some("broker 3".into()) },
            InjectRequest::Pause { broker: None, node: Some("c1".into()) },
            InjectRequest::Cut { from: "broker 1".into(), to: "broker 2".into(), one_way: true },
            InjectRequest::Heal,
            InjectRequest::StopConsumer { consumer: "c1".into() },
            InjectRequest::CrashConsumer { consumer: "c1".into() },
            InjectRequest::RestartConsumer { consumer: "c1".into() },
            InjectRequest::StartConsumer { consumer: "c1".into() },
            InjectRequest::CreatePartitions { topic: "orders".into(), partitions: 4 },
            InjectRequest::AddConsumer { like: Some("c1".into()), group: None, topics: None, name: None },
        ];
        let base = parse(BASE);
        let injections: Vec<Injection> = requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| Injection { at_ms: 1000 + i as u64, request: validate(&base, r).expect("valid") })
            .collect();
        let text = effective_text(BASE, &injections, Some(9));
        let s = parse(&text);
        assert_eq!(s.seed, 9, "the seed line is replaced");
        let injected: Vec<_> = s.timeline.iter().filter(|a| a.at_ms >= 1000).collect();
        assert_eq!(injected.len(), injections.len(), "{text}");
        let added = s.consumers.iter().find(|(n, _)| n == "c2").expect("the copy of c1 is named c2");
        assert_eq!(added.1.group.as_deref(), Some("g"));
        assert_eq!(
            added.1.config.assignors, s.consumers[0].1.config.assignors,
            "the copy speaks the group's assignor"
        );
    }

    #[test]
    fn a_file_without_a_seed_line_gets_one() {
        let text = with_seed("[scenario]\nname = \"t\"\nduration = 1000\n[cluster]\nbrokers = 1\n", 77);
        assert_eq!(parse(&text).seed, 77, "{text}");
        let text = with_seed("[cluster]\nbrokers = 1\n[scenario]\nname = \"t\"\nduration = 1000\n", 78);
        assert_eq!(parse(&text).seed, 78, "{text}");
    }

    #[test]
    fn bad_requests_are_sentences() {
        let s = parse(BASE);
        let e = validate(&s, InjectRequest::Crash { broker: 9 }).unwrap_err();
        assert!(e.contains("no broker 9"), "{e}");
        let e = validate(&s, InjectRequest::StopConsumer { consumer: "nobody".into() }).unwrap_err();
        assert!(e.contains("nobody"), "{e}");
        let e = validate(&s, InjectRequest::CreatePartitions { topic: "orders".into(), partitions: 2 })
            .unwrap_err();
        assert!(e.contains("only adds"), "{e}");
        let e = validate(&s, InjectRequest::Cut { from: "c1".into(), to: "c1".into(), one_way: false })
            .unwrap_err();
        assert!(e.contains("two different nodes"), "{e}");
    }

    #[test]
    fn names_with_quotes_stay_text() {
        let quoted = quote("a\"b'c");
        let back = toml::parse(&format!("k = {quoted}")).expect("valid TOML");
        assert_eq!(back.as_table().and_then(|t| t.get("k")).and_then(Value::as_str), Some("a\"b'c"));
        assert_eq!(key("partition.assignment.strategy"), "\"partition.assignment.strategy\"");
        assert_eq!(key("name"), "name");
    }

    #[test]
    fn injections_happen_at_the_next_whole_millisecond() {
        assert_eq!(next_whole_ms(0), 1);
        assert_eq!(next_whole_ms(1_999), 2);
        assert_eq!(next_whole_ms(2_000), 3);
    }
}
