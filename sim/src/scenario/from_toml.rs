//! From the TOML value tree to the structs of `format.rs`: every key checked against the keys its table takes
//! ("did you mean …"), every value against its field's type, required keys present. Keys are read in the order
//! they were written, so the first problem in the file is the one reported. The wording of type errors is
//! serde's, which people who have used other Rust tools know: `invalid type: string "3", expected a whole number`.

use super::error::{Locator, ScenarioError};
use super::format::{
    Brokers, Cluster, Config, Consumer, Expect, File, Header, Network, Producer, Spanned, Step,
};
use super::format::{Time, Topic};
use super::toml::{Entry, Kind, Value};
use crate::engine::sort;
use crate::engine::vec_map::VecMap;
use crate::kafka::partitioner::closest_name;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Reads a parsed scenario file into its structs.
pub(super) fn file(loc: &Locator<'_>, root: &Value) -> Result<File> {
    Reader { loc }.file(root)
}

const FILE: &[&str] =
    &["scenario", "cluster", "network", "topics", "producers", "consumers", "timeline", "expect"];
const HEADER: &[&str] = &["name", "description", "seed", "duration"];
const CLUSTER: &[&str] = &["brokers", "racks", "config"];
const NETWORK: &[&str] = &["latency_ms_min", "latency_ms_max", "loss", "duplicate"];
const TOPIC: &[&str] = &["name", "partitions", "replication_factor", "start_index", "assignment", "config"];
const PRODUCER: &[&str] = &["name", "client", "config"];
const CONSUMER: &[&str] = &["name", "client", "group", "topics", "partitions", "start", "config"];
#[rustfmt::skip]
const STEP: &[&str] = &[
    "at", "action", "note", "broker", "node", "to", "one_way", "lose_tail_records", "producer", "consumer", "group",
    "topic", "partition", "key", "keys", "value", "value_bytes", "count", "interval_ms", "partitions",
    "replication_factor", "start_index", "config", "delete_config", "before_offset", "offset", "latency_ms_min",
    "latency_ms_max", "loss", "duplicate",
];
#[rustfmt::skip]
const EXPECT: &[&str] = &[
    "note", "at", "partition", "broker", "leader", "isr", "leader_epoch", "log_end_offset", "high_watermark",
    "log_start_offset", "epoch_cache", "log", "liveness", "event", "where", "between", "count", "min", "max",
    "producer", "outcome", "error", "acked_write_lost", "checker", "violated", "admin", "consumer", "owns",
    "position", "status", "group", "state", "generation", "protocol", "members", "assignment", "committed", "lag",
];

// What a field takes, as type errors say it.
const WHOLE: &str = "a whole number";
const NUMBER: &str = "a number";
const STRING: &str = "a string";
const BOOLEAN: &str = "a boolean";
const LIST: &str = "a list";
const TABLE: &str = "a table";
const TIME: &str = "a time: milliseconds (1500) or a string with a unit (\"1.5s\", \"250ms\", \"2m\")";
const BROKERS: &str = "a broker count (brokers = 3) or a list of broker ids (brokers = [1, 2, 3])";

struct Reader<'l, 'a> {
    loc: &'l Locator<'a>,
}

/// The value as serde's "invalid type" names it.
fn unexpected(v: &Value) -> String {
    match &v.kind {
        Kind::String(s) => format!("string {s:?}"),
        Kind::Integer(_) => format!("integer `{v}`"),
        Kind::Float(_) => format!("floating point `{v}`"),
        Kind::Boolean(_) => format!("boolean `{v}`"),
        Kind::Array(_) => "a list".to_string(),
        Kind::Table(_) => "a table".to_string(),
    }
}

/// A help line for a missing required key: what to add.
fn missing_help(field: &str) -> String {
    match field {
        "scenario" => {
            "start the file with a [scenario] table, e.g.\n    [scenario]\n    name = \"my scenario\"\n    \
                       duration = \"30s\"\n\n    [cluster]\n    brokers = 3"
                .to_string()
        }
        "cluster" => "add a [cluster] table, e.g. `[cluster]` with `brokers = 3`".to_string(),
        "duration" => {
            "add `duration = \"40s\"` (or milliseconds) to [scenario]: how long the run lasts".to_string()
        }
        "name" => "add `name = \"...\"`: a short title".to_string(),
        "brokers" => "add `brokers = 3` (a count) or `brokers = [1, 2, 3]` (ids)".to_string(),
        other => format!("add `{other} = ...`"),
    }
}

/// "did you mean `x`? (valid keys here: …)" for a key `known` does not have.
fn unknown_key_help(key: &str, known: &[&str]) -> String {
    match closest_name(key, known) {
        Some(s) => format!("did you mean `{s}`? (valid keys here: {})", known.join(", ")),
        None => format!("valid keys here: {}", known.join(", ")),
    }
}

fn spanned<T>(v: &Value, x: T) -> Spanned<T> {
    Spanned::new(v.span.clone(), x)
}

impl Reader<'_, '_> {
    // ---- Tables ----

    /// Calls `field` for each key of the table `v` (the value of `key`), in written order; a key not in `known`
    /// is an error.
    fn fields<'v>(
        &self,
        v: &'v Value,
        key: &str,
        known: &[&str],
        field: &mut dyn FnMut(&str, &'v Value) -> Result<()>,
    ) -> Result<()> {
        let Kind::Table(t) = &v.kind else { return self.type_error(v, key, TABLE) };
        for Entry { key, key_span, value } in &t.entries {
            if !known.contains(&key.as_str()) {
                let help = unknown_key_help(key, known);
                return Err(self.loc.error(key_span.start, format!("unknown key `{key}`"), Some(help)));
            }
            field(key, value)?;
        }
        Ok(())
    }

    /// A required key's value, or "missing field" at the table that lacks it.
    fn required<T>(&self, value: Option<T>, table: &Value, key: &str) -> Result<T> {
        value.ok_or_else(|| {
            self.loc.error(table.span.start, format!("missing field `{key}`"), Some(missing_help(key)))
        })
    }

    fn file(&self, root: &Value) -> Result<File> {
        let (mut scenario, mut cluster) = (None, None);
        let mut f = File::default();
        self.fields(root, "", FILE, &mut |key, v| {
            match key {
                "scenario" => scenario = Some(self.header(v)?),
                "cluster" => cluster = Some(self.cluster(v)?),
                "network" => f.network = Some(spanned(v, self.network(v)?)),
                "topics" => f.topics = self.tables(v, key, |t| self.topic(t))?,
                "producers" => f.producers = self.tables(v, key, |t| self.producer(t))?,
                "consumers" => f.consumers = self.tables(v, key, |t| self.consumer(t))?,
                "timeline" => f.timeline = self.tables(v, key, |t| self.step(t))?,
                _ => f.expect = self.tables(v, key, |t| self.expect(t))?,
            }
            Ok(())
        })?;
        for (table, present) in [("scenario", scenario.is_some()), ("cluster", cluster.is_some())] {
            if !present {
                let message = format!("the file has no [{table}] table");
                return Err(self.loc.error(root.span.start, message, Some(missing_help(table))));
            }
        }
        f.scenario = scenario.expect("checked");
        f.cluster = cluster.expect("checked");
        Ok(f)
    }

    /// An array of tables (`[[key]]` or `key = [{…}]`), each read by `read` and kept with its span.
    fn tables<T>(&self, v: &Value, key: &str, read: impl Fn(&Value) -> Result<T>) -> Result<Vec<Spanned<T>>> {
        self.list(v, key)?.iter().map(|t| Ok(spanned(t, read(t)?))).collect()
    }

    fn header(&self, v: &Value) -> Result<Header> {
        let (mut name, mut duration) = (None, None);
        let mut h = Header { seed: 1, ..Header::default() };
        self.fields(v, "scenario", HEADER, &mut |key, v| {
            match key {
                "name" => name = Some(self.string(v, key)?),
                "description" => h.description = self.string(v, key)?,
                "seed" => h.seed = self.seed(v)?,
                _ => duration = Some(self.time(v, key)?),
            }
            Ok(())
        })?;
        h.name = self.required(name, v, "name")?;
        h.duration = self.required(duration, v, "duration")?;
        Ok(h)
    }

    fn cluster(&self, v: &Value) -> Result<Cluster> {
        let mut brokers = None;
        let mut c = Cluster::default();
        self.fields(v, "cluster", CLUSTER, &mut |key, v| {
            match key {
                "brokers" => brokers = Some(spanned(v, self.brokers(v)?)),
                "racks" => c.racks = Some(spanned(v, self.strings(v, key)?)),
                _ => c.config = self.config(v, key)?,
            }
            Ok(())
        })?;
        c.brokers = self.required(brokers, v, "brokers")?;
        Ok(c)
    }

    fn network(&self, v: &Value) -> Result<Network> {
        let mut n = Network::default();
        self.fields(v, "network", NETWORK, &mut |key, v| {
            let x = Some(self.spanned_float(v, key)?);
            match key {
                "latency_ms_min" => n.latency_ms_min = x,
                "latency_ms_max" => n.latency_ms_max = x,
                "loss" => n.loss = x,
                _ => n.duplicate = x,
            }
            Ok(())
        })?;
        Ok(n)
    }

    fn topic(&self, v: &Value) -> Result<Topic> {
        let mut name = None;
        let mut t = Topic::default();
        self.fields(v, "topics", TOPIC, &mut |key, v| {
            match key {
                "name" => name = Some(self.spanned_string(v, key)?),
                "partitions" => t.partitions = Some(self.spanned_int(v, key)?),
                "replication_factor" => t.replication_factor = Some(self.spanned_int(v, key)?),
                "start_index" => t.start_index = Some(self.spanned_int(v, key)?),
                "assignment" => {
                    let lists =
                        self.list(v, key)?.iter().map(|l| self.ints(l, key)).collect::<Result<_>>()?;
                    t.assignment = Some(spanned(v, lists));
                }
                _ => t.config = self.config(v, key)?,
            }
            Ok(())
        })?;
        t.name = self.required(name, v, "name")?;
        Ok(t)
    }

    fn producer(&self, v: &Value) -> Result<Producer> {
        let mut name = None;
        let mut p = Producer::default();
        self.fields(v, "producers", PRODUCER, &mut |key, v| {
            match key {
                "name" => name = Some(self.spanned_string(v, key)?),
                "client" => p.client = Some(self.spanned_string(v, key)?),
                _ => p.config = self.config(v, key)?,
            }
            Ok(())
        })?;
        p.name = self.required(name, v, "name")?;
        Ok(p)
    }

    fn consumer(&self, v: &Value) -> Result<Consumer> {
        let mut name = None;
        let mut c = Consumer::default();
        self.fields(v, "consumers", CONSUMER, &mut |key, v| {
            match key {
                "name" => name = Some(self.spanned_string(v, key)?),
                "client" => c.client = Some(self.spanned_string(v, key)?),
                "group" => c.group = Some(self.spanned_string(v, key)?),
                "topics" => c.topics = Some(spanned(v, self.strings(v, key)?)),
                "partitions" => c.partitions = Some(spanned(v, self.strings(v, key)?)),
                "start" => c.start = Some(self.time(v, key)?),
                _ => c.config = self.config(v, key)?,
            }
            Ok(())
        })?;
        c.name = self.required(name, v, "name")?;
        Ok(c)
    }

    fn step(&self, v: &Value) -> Result<Step> {
        let (mut at, mut action) = (None, None);
        let mut s = Step::default();
        self.fields(v, "timeline", STEP, &mut |key, v| {
            match key {
                "at" => at = Some(self.time(v, key)?),
                "action" => action = Some(self.spanned_string(v, key)?),
                "note" => s.note = Some(self.string(v, key)?),
                "one_way" => s.one_way = Some(self.boolean(v, key)?),
                "key" => s.key = Some(self.string(v, key)?),
                "keys" => s.keys = Some(self.strings(v, key)?),
                "value" => s.value = Some(self.string(v, key)?),
                "config" => s.config = self.config(v, key)?,
                "delete_config" => {
                    s.delete_config = self
                        .list(v, key)?
                        .iter()
                        .map(|d| self.spanned_string(d, key))
                        .collect::<Result<_>>()?
                }
                "before_offset" => s.before_offset = Some(self.int(v, key)?),
                "node" | "to" | "producer" | "consumer" | "group" | "topic" => {
                    let x = Some(self.spanned_string(v, key)?);
                    match key {
                        "node" => s.node = x,
                        "to" => s.to = x,
                        "producer" => s.producer = x,
                        "consumer" => s.consumer = x,
                        "group" => s.group = x,
                        _ => s.topic = x,
                    }
                }
                "latency_ms_min" | "latency_ms_max" | "loss" | "duplicate" => {
                    let x = Some(self.spanned_float(v, key)?);
                    match key {
                        "latency_ms_min" => s.latency_ms_min = x,
                        "latency_ms_max" => s.latency_ms_max = x,
                        "loss" => s.loss = x,
                        _ => s.duplicate = x,
                    }
                }
                _ => {
                    let x = Some(self.spanned_int(v, key)?);
                    match key {
                        "broker" => s.broker = x,
                        "lose_tail_records" => s.lose_tail_records = x,
                        "partition" => s.partition = x,
                        "value_bytes" => s.value_bytes = x,
                        "count" => s.count = x,
                        "interval_ms" => s.interval_ms = x,
                        "partitions" => s.partitions = x,
                        "replication_factor" => s.replication_factor = x,
                        "start_index" => s.start_index = x,
                        _ => s.offset = x,
                    }
                }
            }
            Ok(())
        })?;
        s.at = self.required(at, v, "at")?;
        s.action = self.required(action, v, "action")?;
        Ok(s)
    }

    fn expect(&self, v: &Value) -> Result<Expect> {
        let mut e = Expect::default();
        self.fields(v, "expect", EXPECT, &mut |key, v| self.expect_field(&mut e, key, v))?;
        Ok(e)
    }

    fn expect_field(&self, e: &mut Expect, key: &str, v: &Value) -> Result<()> {
        match key {
            "note" => e.note = Some(self.string(v, key)?),
            "at" => e.at = Some(self.time(v, key)?),
            "isr" => e.isr = Some(self.ints(v, key)?),
            "epoch_cache" => {
                e.epoch_cache =
                    Some(self.list(v, key)?.iter().map(|l| self.ints(l, key)).collect::<Result<_>>()?)
            }
            "log" => e.log = Some(self.strings(v, key)?),
            "where" => {
                let Kind::Table(t) = &v.kind else { return self.type_error(v, key, TABLE) };
                let mut fields: Vec<(String, Value)> =
                    t.entries.iter().map(|entry| (entry.key.clone(), entry.value.clone())).collect();
                sort::sort_by(&mut fields, |a, b| a.0.cmp(&b.0));
                e.where_ = fields;
            }
            "between" => {
                let times = self.list(v, key)?.iter().map(|t| Ok(self.time(t, key)?.get_ref().clone()));
                e.between = Some(spanned(v, times.collect::<Result<_>>()?));
            }
            "acked_write_lost" => e.acked_write_lost = Some(self.boolean(v, key)?),
            "violated" => e.violated = Some(self.boolean(v, key)?),
            "owns" => e.owns = Some(self.strings(v, key)?),
            "members" => e.members = Some(self.strings(v, key)?),
            "protocol" => e.protocol = Some(self.string(v, key)?),
            "position" => e.position = Some(self.string_map(v, key, &|x| self.int(x, key))?),
            "committed" => e.committed = Some(self.string_map(v, key, &|x| self.int(x, key))?),
            "lag" => e.lag = Some(self.string_map(v, key, &|x| self.int(x, key))?),
            "assignment" => e.assignment = Some(self.string_map(v, key, &|x| self.strings(x, key))?),
            "leader" | "leader_epoch" | "log_end_offset" | "high_watermark" | "log_start_offset"
            | "generation" => {
                let x = Some(self.int(v, key)?);
                match key {
                    "leader" => e.leader = x,
                    "leader_epoch" => e.leader_epoch = x,
                    "log_end_offset" => e.log_end_offset = x,
                    "high_watermark" => e.high_watermark = x,
                    "log_start_offset" => e.log_start_offset = x,
                    _ => e.generation = x,
                }
            }
            "broker" | "count" | "min" | "max" => {
                let x = Some(self.spanned_int(v, key)?);
                match key {
                    "broker" => e.broker = x,
                    "count" => e.count = x,
                    "min" => e.min = x,
                    _ => e.max = x,
                }
            }
            _ => {
                let x = Some(self.spanned_string(v, key)?);
                match key {
                    "partition" => e.partition = x,
                    "liveness" => e.liveness = x,
                    "event" => e.event = x,
                    "producer" => e.producer = x,
                    "outcome" => e.outcome = x,
                    "error" => e.error = x,
                    "checker" => e.checker = x,
                    "admin" => e.admin = x,
                    "consumer" => e.consumer = x,
                    "status" => e.status = x,
                    "group" => e.group = x,
                    _ => e.state = x,
                }
            }
        }
        Ok(())
    }

    // ---- Values ----

    fn type_error<T>(&self, v: &Value, key: &str, expected: &str) -> Result<T> {
        let help = match expected {
            TIME => Some(format!("e.g. {key} = \"40s\" (or 40000, in milliseconds)")),
            BROKERS => Some("brokers = 3 (ids 1, 2, 3) or brokers = [1, 2, 3]".to_string()),
            _ => None,
        };
        let message = format!("`{key}`: invalid type: {}, expected {expected}", unexpected(v));
        Err(self.loc.error(v.span.start, message, help))
    }

    fn int(&self, v: &Value, key: &str) -> Result<i64> {
        match v.kind {
            Kind::Integer(i) => Ok(i),
            _ => self.type_error(v, key, WHOLE),
        }
    }

    fn seed(&self, v: &Value) -> Result<u64> {
        match self.int(v, "seed")? {
            n if n >= 0 => Ok(n as u64),
            n => Err(self.loc.error(
                v.span.start,
                format!("`seed`: invalid value: integer `{n}`, expected a whole number ≥ 0"),
                Some("any number from 0 to 9223372036854775807".to_string()),
            )),
        }
    }

    /// A float; an integer is one too (`loss = 1`).
    fn float(&self, v: &Value, key: &str) -> Result<f64> {
        match v.kind {
            Kind::Float(f) => Ok(f),
            Kind::Integer(i) => Ok(i as f64),
            _ => self.type_error(v, key, NUMBER),
        }
    }

    fn string(&self, v: &Value, key: &str) -> Result<String> {
        match &v.kind {
            Kind::String(s) => Ok(s.clone()),
            _ => self.type_error(v, key, STRING),
        }
    }

    fn boolean(&self, v: &Value, key: &str) -> Result<bool> {
        match v.kind {
            Kind::Boolean(b) => Ok(b),
            _ => self.type_error(v, key, BOOLEAN),
        }
    }

    fn list<'v>(&self, v: &'v Value, key: &str) -> Result<&'v [Value]> {
        v.as_array().map_or_else(|| self.type_error(v, key, LIST), Ok)
    }

    fn strings(&self, v: &Value, key: &str) -> Result<Vec<String>> {
        self.list(v, key)?.iter().map(|x| self.string(x, key)).collect()
    }

    fn ints(&self, v: &Value, key: &str) -> Result<Vec<i64>> {
        self.list(v, key)?.iter().map(|x| self.int(x, key)).collect()
    }

    fn spanned_int(&self, v: &Value, key: &str) -> Result<Spanned<i64>> {
        Ok(spanned(v, self.int(v, key)?))
    }

    fn spanned_float(&self, v: &Value, key: &str) -> Result<Spanned<f64>> {
        Ok(spanned(v, self.float(v, key)?))
    }

    fn spanned_string(&self, v: &Value, key: &str) -> Result<Spanned<String>> {
        Ok(spanned(v, self.string(v, key)?))
    }

    /// Milliseconds, or a string with a unit (checked later, with its span).
    fn time(&self, v: &Value, key: &str) -> Result<Spanned<Time>> {
        match &v.kind {
            Kind::Integer(ms) => Ok(spanned(v, Time::Ms(*ms))),
            Kind::String(s) => Ok(spanned(v, Time::Text(s.clone()))),
            _ => self.type_error(v, key, TIME),
        }
    }

    fn brokers(&self, v: &Value) -> Result<Brokers> {
        match &v.kind {
            Kind::Integer(n) => Ok(Brokers::Count(*n)),
            Kind::Array(_) => Ok(Brokers::Ids(self.ints(v, "brokers")?)),
            _ => self.type_error(v, "brokers", BROKERS),
        }
    }

    /// A `config` table: any keys (Kafka's names are checked later, with their spans), sorted by name.
    fn config(&self, v: &Value, key: &str) -> Result<Config> {
        let Kind::Table(t) = &v.kind else { return self.type_error(v, key, TABLE) };
        let mut config: Config = Vec::with_capacity(t.entries.len());
        for e in &t.entries {
            let i = config.partition_point(|(k, _)| *k.get_ref() < e.key);
            config.insert(i, (Spanned::new(e.key_span.clone(), e.key.clone()), e.value.clone()));
        }
        Ok(config)
    }

    /// A table of name → value, e.g. `committed = { "orders-0" = 5 }`.
    fn string_map<T>(
        &self,
        v: &Value,
        key: &str,
        read: &dyn Fn(&Value) -> Result<T>,
    ) -> Result<VecMap<String, T>> {
        let Kind::Table(t) = &v.kind else { return self.type_error(v, key, TABLE) };
        t.entries.iter().map(|e| Ok((e.key.clone(), read(&e.value)?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_gets_a_suggestion() {
        let help = unknown_key_help("partitons", &["name", "partitions", "config"]);
        assert!(help.starts_with("did you mean `partitions`?"), "{help}");
        assert!(help.ends_with("(valid keys here: name, partitions, config)"), "{help}");
    }
}
