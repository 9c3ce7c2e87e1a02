//! From TOML text to a validated [`Scenario`]: syntax errors from the TOML reader (`toml/`), unknown keys and
//! type errors from reading its tree into `format.rs` (`from_toml.rs`), then every cross-reference (brokers,
//! topics, producers, configs, ranges) checked with the span of the offending value.

use super::error::{Locator, ScenarioError};
use super::expect::{Check, Count, Expectation};
use super::format::{self, Brokers, Config, File, Spanned, Time};
use super::from_toml;
use super::toml::{self, Kind, Value};
use super::{Scenario, TopicSpec};
use crate::engine::action::{Action, ConsumerOp, TimedAction};
use crate::engine::network::LinkConfig;
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::vec_map::VecMap;
use crate::engine::world::ConsumerSpec;
use crate::engine::NodeId;
use crate::kafka::admin::{AdminOp, ResetTarget};
use crate::kafka::assignor::TopicPartition;
use crate::kafka::config::{validate, BrokerConfig, ConfigDef, ConfigValue, BROKER_CONFIGS, TOPIC_CONFIGS};
use crate::kafka::consumer::config::{self as consumer_config, ConsumerConfig};
use crate::kafka::partitioner::closest_name;
use crate::kafka::producer::{SendRecord, Workload};
use crate::kafka::producer_config::{self, ClientProfile, ProducerConfig};
use crate::kafka::types::{BrokerId, ErrorCode};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Parses and validates a scenario. `file` is how errors name it.
pub fn parse(file: &str, text: &str) -> Result<Scenario> {
    let loc = Locator::new(file, text);
    let root = toml::parse(text).map_err(|e| loc.error(e.offset, e.message, e.help))?;
    let parsed = from_toml::file(&loc, &root)?;
    Builder { loc }.build(parsed)
}

/// The link keys of `[network]` or a `link` action, with their positions.
struct LinkFields<'f> {
    table: std::ops::Range<usize>,
    min: Option<&'f Spanned<f64>>,
    max: Option<&'f Spanned<f64>>,
    loss: Option<&'f Spanned<f64>>,
    duplicate: Option<&'f Spanned<f64>>,
}

struct Builder<'a> {
    loc: Locator<'a>,
}

/// What the builder knows while checking cross-references.
struct Names {
    brokers: Vec<i32>,
    topics: VecMap<String, u32>,
    producers: Vec<String>,
    consumers: Vec<String>,
    groups: Vec<String>,
}

impl<'a> Builder<'a> {
    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Result<T> {
        Err(self.loc.error(span.start, message, help))
    }

    fn build(&self, f: File) -> Result<Scenario> {
        let duration = self.time(&f.scenario.duration)?;
        let brokers = self.brokers(&f.cluster)?;
        let broker_config = self.broker_config(&f.cluster.config)?;
        let network = match &f.network {
            Some(n) => {
                let x = n.get_ref();
                let fields = LinkFields {
                    table: n.span(),
                    min: x.latency_ms_min.as_ref(),
                    max: x.latency_ms_max.as_ref(),
                    loss: x.loss.as_ref(),
                    duplicate: x.duplicate.as_ref(),
                };
                self.link(fields, LinkConfig::default())?
            }
            None => LinkConfig::default(),
        };
        let mut names = Names {
            brokers: brokers.iter().map(|(b, _)| b.0).collect(),
            topics: VecMap::new(),
            producers: Vec::new(),
            consumers: Vec::new(),
            groups: Vec::new(),
        };
        let mut topics = Vec::new();
        for t in &f.topics {
            let spec = self.topic(t, &broker_config, &names)?;
            names.topics.insert(spec.name.clone(), spec.partitions as u32);
            topics.push(spec);
        }
        let mut producers = Vec::new();
        for p in &f.producers {
            let (name, cfg) = self.producer(p, &names)?;
            names.producers.push(name.clone());
            producers.push((name, cfg));
        }
        let mut consumers = Vec::new();
        let mut timeline = Vec::new();
        for c in &f.consumers {
            let (name, spec, start) = self.consumer(c, &names, duration)?;
            names.consumers.push(name.clone());
            if let Some(g) = &spec.group {
                if !names.groups.contains(g) {
                    names.groups.push(g.clone());
                }
            }
            timeline.push(TimedAction {
                at_ms: start.as_ms(),
                action: Action::Consumer { name: name.clone(), op: ConsumerOp::Start },
                note: None,
            });
            consumers.push((name, spec));
        }
        for s in &f.timeline {
            timeline.push(self.step(s, &mut names, duration)?);
        }
        sort::sort_by_key(&mut timeline, |a| a.at_ms);
        let mut expectations = Vec::new();
        for e in &f.expect {
            expectations.push(self.expect(e, &names, duration)?);
        }
        Ok(Scenario {
            name: f.scenario.name,
            description: f.scenario.description,
            seed: f.scenario.seed,
            duration,
            broker_config,
            brokers,
            network,
            topics,
            producers,
            consumers,
            timeline,
            expectations,
        })
    }

    // ---- Values ----

    fn time(&self, t: &Spanned<Time>) -> Result<SimTime> {
        parse_time(t.get_ref()).or_else(|msg| {
            self.err(
                t.span(),
                msg,
                Some("write milliseconds (1500) or a string with a unit: \"1.5s\", \"250ms\", \"2m\"".into()),
            )
        })
    }

    fn positive(&self, v: &Spanned<i64>, what: &str, max: i64) -> Result<i64> {
        let n = *v.get_ref();
        if n < 1 || n > max {
            return self.err(v.span(), format!("{what} must be between 1 and {max}, got {n}"), None);
        }
        Ok(n)
    }

    fn brokers(&self, c: &format::Cluster) -> Result<Vec<(BrokerId, Option<String>)>> {
        let ids: Vec<i64> = match c.brokers.get_ref() {
            Brokers::Count(n) if (1..=64).contains(n) => (1..=*n).collect(),
            Brokers::Count(n) => {
                return self.err(
                    c.brokers.span(),
                    format!("a cluster has 1 to 64 brokers, got {n}"),
                    Some("brokers = 3 (ids 1, 2, 3) or brokers = [1, 2, 3]".into()),
                )
            }
            Brokers::Ids(ids) if ids.is_empty() || ids.len() > 64 => {
                return self.err(
                    c.brokers.span(),
                    format!("a cluster needs at least one broker (and at most 64), got {}", ids.len()),
                    Some("brokers = 3 (ids 1, 2, 3) or brokers = [1, 2, 3]".into()),
                )
            }
            Brokers::Ids(ids) => ids.clone(),
        };
        let mut seen = Vec::new();
        for id in &ids {
            if !(0..=1_000_000).contains(id) || seen.contains(id) {
                return self.err(
                    c.brokers.span(),
                    format!("broker ids must be distinct numbers from 0 to 1000000, got {id}"),
                    Some("e.g. brokers = [1, 2, 3]".into()),
                );
            }
            seen.push(*id);
        }
        let racks = match &c.racks {
            Some(r) if r.get_ref().len() != ids.len() => {
                return self.err(
                    r.span(),
                    format!("{} rack(s) for {} broker(s)", r.get_ref().len(), ids.len()),
                    Some("give one rack per broker, in broker order".into()),
                )
            }
            Some(r) => r.get_ref().iter().cloned().map(Some).collect(),
            None => vec![None; ids.len()],
        };
        Ok(ids.into_iter().map(|i| BrokerId(i as i32)).zip(racks).collect())
    }

    fn config_value(&self, key: &str, v: &Value) -> Result<ConfigValue> {
        match &v.kind {
            Kind::Integer(i) => Ok(ConfigValue::Int(*i)),
            Kind::Boolean(b) => Ok(ConfigValue::Bool(*b)),
            Kind::String(s) => Ok(ConfigValue::Str(s.clone())),
            Kind::Float(f) => {
                self.err(v.span.clone(), format!("`{key}` takes a whole number, got {f}"), None)
            }
            _ => self.err(
                v.span.clone(),
                format!("`{key}` takes a number or a boolean, got {}", v.kind.type_str()),
                None,
            ),
        }
    }

    /// The help for a config value out of range: what the config does and Kafka's default.
    fn config_help(def: &crate::kafka::config::ConfigDef) -> Option<String> {
        let default = match def.kind {
            crate::kafka::config::Kind::Bool => (def.default != 0).to_string(),
            crate::kafka::config::Kind::Int { .. } => def.default.to_string(),
        };
        Some(format!("{}: {} (Kafka's default: {default})", def.name, def.doc))
    }

    /// Validates a `config` table against a list of Kafka configs: (definition, stored value) per key.
    fn configs(
        &self,
        map: &Config,
        what: &str,
        defs: &[&'static ConfigDef],
    ) -> Result<Vec<(&'static ConfigDef, i64)>> {
        let mut out = Vec::new();
        for (k, v) in map {
            let Some(def) = defs.iter().find(|d| d.name == k.get_ref()) else {
                let names: Vec<&str> = defs.iter().map(|d| d.name).collect();
                let message = format!("unknown {what} config `{}`", k.get_ref());
                return self.err(k.span(), message, Some(suggest(k.get_ref(), &names)));
            };
            let value = self.config_value(k.get_ref(), v)?;
            let stored =
                validate(def, &value).or_else(|m| self.err(v.span.clone(), m, Self::config_help(def)))?;
            out.push((*def, stored));
        }
        Ok(out)
    }

    fn broker_config(&self, map: &Config) -> Result<BrokerConfig> {
        let defs: Vec<&'static ConfigDef> = BROKER_CONFIGS.iter().collect();
        let mut cfg = BrokerConfig::default();
        for (def, value) in self.configs(map, "broker", &defs)? {
            cfg.set(def, value);
        }
        Ok(cfg)
    }

    fn topic_configs(&self, map: &Config) -> Result<Vec<(String, i64)>> {
        let defs: Vec<&'static ConfigDef> = TOPIC_CONFIGS.iter().map(|(d, _)| d).collect();
        Ok(self.configs(map, "topic", &defs)?.into_iter().map(|(d, v)| (d.name.to_string(), v)).collect())
    }

    /// Link settings; each bad value is reported at its own position.
    fn link(&self, fields: LinkFields<'_>, base: LinkConfig) -> Result<LinkConfig> {
        let mut c = base;
        for (name, v) in [("latency_ms_min", fields.min), ("latency_ms_max", fields.max)] {
            if let Some(v) = v {
                if !(0.0..=3_600_000.0).contains(v.get_ref()) {
                    let msg = format!("{name} must be between 0 and 3600000 ms, got {}", v.get_ref());
                    return self.err(v.span(), msg, None);
                }
            }
        }
        if let Some(v) = fields.min {
            c.latency_us_min = (*v.get_ref() * 1000.0) as u64;
        }
        if let Some(v) = fields.max {
            c.latency_us_max = (*v.get_ref() * 1000.0) as u64;
        }
        if fields.min.is_some() && fields.max.is_none() {
            c.latency_us_max = c.latency_us_max.max(c.latency_us_min);
        }
        if c.latency_us_max < c.latency_us_min {
            let span = fields.max.or(fields.min).map_or(fields.table.clone(), |v| v.span());
            return self.err(
                span,
                format!(
                    "latency_ms_max is smaller than latency_ms_min ({} ms < {} ms)",
                    c.latency_us_max as f64 / 1000.0,
                    c.latency_us_min as f64 / 1000.0
                ),
                Some("make latency_ms_max ≥ latency_ms_min".into()),
            );
        }
        for (name, p) in [("loss", fields.loss), ("duplicate", fields.duplicate)] {
            if let Some(p) = p {
                if !(0.0..=1.0).contains(p.get_ref()) {
                    return self.err(
                        p.span(),
                        format!("{name} is a probability between 0 and 1, got {}", p.get_ref()),
                        Some(format!("e.g. {name} = 0.01 for one message in a hundred")),
                    );
                }
            }
        }
        c.loss = fields.loss.map_or(c.loss, |v| *v.get_ref());
        c.duplicate = fields.duplicate.map_or(c.duplicate, |v| *v.get_ref());
        Ok(c)
    }

    // ---- Topics and producers ----

    fn topic(
        &self,
        t: &Spanned<format::Topic>,
        broker_config: &BrokerConfig,
        names: &Names,
    ) -> Result<TopicSpec> {
        let topic = t.get_ref();
        let name = topic.name.get_ref().clone();
        if name.is_empty() {
            return self.err(topic.name.span(), "a topic name cannot be empty", None);
        }
        if names.topics.contains_key(&name) {
            return self.err(
                topic.name.span(),
                format!("topic `{name}` is declared twice"),
                Some("give each [[topics]] table its own name".into()),
            );
        }
        let partitions = match &topic.partitions {
            Some(p) => self.positive(p, "partitions", 1000)?,
            None => broker_config.get("num.partitions"),
        };
        let rf = match &topic.replication_factor {
            Some(r) => self.positive(r, "replication_factor", 32_767)?,
            None => broker_config.get("default.replication.factor"),
        };
        let brokers = names.brokers.len() as i64;
        if rf > brokers {
            let span = topic.replication_factor.as_ref().map_or(t.span(), |r| r.span());
            return self.err(
                span,
                format!(
                    "topic `{name}` has replication factor {rf}{} but the cluster has only {brokers} broker(s): Kafka \
                     would refuse it with INVALID_REPLICATION_FACTOR",
                    if topic.replication_factor.is_none() { " (default.replication.factor)" } else { "" }
                ),
                Some(format!("use a replication_factor of at most {brokers}, or add brokers in [cluster]")),
            );
        }
        let start_index = match &topic.start_index {
            Some(s) if !(0..brokers).contains(s.get_ref()) => {
                return self.err(
                    s.span(),
                    format!("start_index must be between 0 and {}, got {}", brokers - 1, s.get_ref()),
                    None,
                )
            }
            Some(s) => Some(*s.get_ref() as usize),
            None => None,
        };
        let assignment = match &topic.assignment {
            Some(a) => Some(self.assignment(a, partitions, names)?),
            None => None,
        };
        let configs = self.topic_configs(&topic.config)?;
        Ok(TopicSpec {
            name,
            partitions: partitions as i32,
            replication_factor: rf as i32,
            start_index,
            assignment,
            configs,
        })
    }

    fn assignment(
        &self,
        a: &Spanned<Vec<Vec<i64>>>,
        partitions: i64,
        names: &Names,
    ) -> Result<Vec<Vec<i32>>> {
        if a.get_ref().len() as i64 != partitions {
            return self.err(
                a.span(),
                format!("assignment lists {} partition(s) but the topic has {partitions}", a.get_ref().len()),
                None,
            );
        }
        let mut out = Vec::new();
        for replicas in a.get_ref() {
            let mut seen = Vec::new();
            for b in replicas {
                if !names.brokers.contains(&(*b as i32)) || seen.contains(b) {
                    return self.err(
                        a.span(),
                        format!("assignment names broker {b}, which is unknown or repeated"),
                        Some(format!("brokers are {:?}", names.brokers)),
                    );
                }
                seen.push(*b);
            }
            if replicas.is_empty() {
                return self.err(a.span(), "every partition needs at least one replica", None);
            }
            out.push(replicas.iter().map(|b| *b as i32).collect());
        }
        Ok(out)
    }

    fn producer(&self, p: &Spanned<format::Producer>, names: &Names) -> Result<(String, ProducerConfig)> {
        let spec = p.get_ref();
        let name = spec.name.get_ref().clone();
        if names.producers.contains(&name) || name == crate::engine::world::ADMIN_NAME || name.is_empty() {
            return self.err(
                spec.name.span(),
                format!("producer name `{name}` is empty, reserved or used twice"),
                None,
            );
        }
        let client = match &spec.client {
            Some(c) => ClientProfile::parse(c.get_ref()).map_or_else(
                || {
                    self.err(
                        c.span(),
                        format!("unknown client `{}`", c.get_ref()),
                        Some(suggest(c.get_ref(), ClientProfile::NAMES)),
                    )
                },
                Ok,
            )?,
            None => ClientProfile::Java,
        };
        let mut cfg = ProducerConfig::defaults(client);
        for (k, v) in &spec.config {
            let Some((key, invert)) = producer_config::lookup(k.get_ref()) else {
                return self.err(
                    k.span(),
                    format!("unknown producer setting `{}`", k.get_ref()),
                    Some(suggest(k.get_ref(), &producer_config::all_names())),
                );
            };
            let value = match &v.kind {
                Kind::Integer(i) => producer_config::Value::Int(*i),
                Kind::Boolean(b) => producer_config::Value::Bool(*b),
                Kind::String(s) => producer_config::Value::Str(s.clone()),
                _ => {
                    return self.err(
                        v.span.clone(),
                        format!("`{}` takes a number, a boolean or a string, got {v}", k.get_ref()),
                        None,
                    )
                }
            };
            cfg.set(key, invert, &value).or_else(|m| self.err(v.span.clone(), m, None))?;
        }
        let explicit = spec.config.iter().find(|(k, _)| {
            producer_config::lookup(k.get_ref()).is_some_and(|(key, _)| key == "enable.idempotence")
        });
        let span = explicit.map_or(p.span(), |(_, v)| v.span.clone());
        cfg.settle_idempotence(explicit.is_some()).or_else(|m| self.err(span, m, None))?;
        Ok((name, cfg))
    }

    // ---- Timeline ----

    fn step(&self, s: &Spanned<format::Step>, names: &mut Names, end: SimTime) -> Result<TimedAction> {
        let step = s.get_ref();
        let at = self.time(&step.at)?;
        if at > end {
            return self.err(
                step.at.span(),
                format!("action at {at} is after the end of the run ({end}) and would never happen"),
                Some("raise [scenario] duration or move the action".into()),
            );
        }
        let at_ms = at.as_ms();
        let action = self.action(s, names)?;
        Ok(TimedAction { at_ms, action, note: step.note.clone() })
    }

    fn broker_ref(&self, s: &Spanned<format::Step>, names: &Names) -> Result<BrokerId> {
        let Some(b) = &s.get_ref().broker else {
            return self.err(
                s.span(),
                format!("action `{}` needs `broker = ID`", s.get_ref().action.get_ref()),
                Some(format!("brokers are {:?}", names.brokers)),
            );
        };
        let id = *b.get_ref();
        if !names.brokers.contains(&(id as i32)) {
            return self.err(
                b.span(),
                format!("unknown broker {id}"),
                Some(format!("brokers are {:?}", names.brokers)),
            );
        }
        Ok(BrokerId(id as i32))
    }

    fn node_ref(&self, v: &Spanned<String>, names: &Names) -> Result<NodeId> {
        let s = v.get_ref().trim();
        if s == "controller" {
            return Ok(NodeId::Controller);
        }
        let id = s.strip_prefix("broker").map(|r| r.trim_start_matches([' ', '-']).parse::<i32>());
        if let Some(Ok(id)) = id {
            if names.brokers.contains(&id) {
                return Ok(NodeId::Broker(BrokerId(id)));
            }
        }
        if let Some(i) = names.producers.iter().position(|p| p == s) {
            return Ok(NodeId::Client(crate::kafka::types::ClientId(i as u32 + 1)));
        }
        if let Some(i) = names.consumers.iter().position(|p| p == s) {
            return Ok(NodeId::Client(crate::kafka::types::ClientId((names.producers.len() + i) as u32 + 1)));
        }
        let mut known: Vec<String> = vec!["controller".into()];
        known.extend(names.brokers.iter().map(|b| format!("broker {b}")));
        known.extend(names.producers.iter().cloned());
        known.extend(names.consumers.iter().cloned());
        self.err(v.span(), format!("unknown node `{s}`"), Some(format!("nodes are: {}", known.join(", "))))
    }

    fn step_node(&self, s: &Spanned<format::Step>, names: &Names) -> Result<NodeId> {
        match (&s.get_ref().node, &s.get_ref().broker) {
            (Some(n), _) => self.node_ref(n, names),
            (None, Some(_)) => Ok(NodeId::Broker(self.broker_ref(s, names)?)),
            (None, None) => self.err(
                s.span(),
                format!("action `{}` needs `broker = ID` or `node = \"NAME\"`", s.get_ref().action.get_ref()),
                None,
            ),
        }
    }

    fn action(&self, s: &Spanned<format::Step>, names: &mut Names) -> Result<Action> {
        let step = s.get_ref();
        let kind = step.action.get_ref().as_str();
        Ok(match kind {
            "crash" => {
                let lose = step.lose_tail_records.as_ref().map_or(Ok(0), |v| {
                    if *v.get_ref() < 0 {
                        self.err(v.span(), "lose_tail_records cannot be negative", None)
                    } else {
                        Ok(*v.get_ref() as u64)
                    }
                })?;
                Action::Crash { broker: self.broker_ref(s, names)?, lose_tail_records: lose }
            }
            "restart" => Action::Restart { broker: self.broker_ref(s, names)? },
            "shutdown" => Action::Shutdown { broker: self.broker_ref(s, names)? },
            "pause" => Action::Pause { node: self.step_node(s, names)? },
            "resume" => Action::Resume { node: self.step_node(s, names)? },
            "isolate" => Action::Isolate { broker: self.broker_ref(s, names)? },
            "cut" => {
                let from = self.step_node(s, names)?;
                let Some(to) = &step.to else {
                    return self.err(s.span(), "action `cut` needs `to = \"NODE\"`", None);
                };
                Action::Cut { from, to: self.node_ref(to, names)?, both: !step.one_way.unwrap_or(false) }
            }
            "heal" => Action::HealAll,
            "link" => {
                let between = match (&step.node, &step.to) {
                    (Some(a), Some(b)) => Some((self.node_ref(a, names)?, self.node_ref(b, names)?)),
                    _ => None,
                };
                let fields = LinkFields {
                    table: s.span(),
                    min: step.latency_ms_min.as_ref(),
                    max: step.latency_ms_max.as_ref(),
                    loss: step.loss.as_ref(),
                    duplicate: step.duplicate.as_ref(),
                };
                let config = self.link(fields, LinkConfig::default())?;
                Action::Link { between, config }
            }
            "note" => Action::Note,
            "produce" => self.produce(s, names)?,
            "start_consumer" | "stop_consumer" | "crash_consumer" | "restart_consumer" => {
                let op = match kind {
                    "start_consumer" => ConsumerOp::Start,
                    "stop_consumer" => ConsumerOp::Stop,
                    "crash_consumer" => ConsumerOp::Crash,
                    _ => ConsumerOp::Restart,
                };
                Action::Consumer { name: self.consumer_ref(s, names)?, op }
            }
            "seek" => {
                let name = self.consumer_ref(s, names)?;
                let topic = self.topic_ref(s, names)?;
                let partition = match self.optional_partition(step, &topic, names)? {
                    Some(p) => p,
                    None => return self.err(s.span(), "action `seek` needs `partition = N`", None),
                };
                let offset = match &step.offset {
                    Some(v) if *v.get_ref() >= 0 => *v.get_ref(),
                    Some(v) => {
                        return self.err(v.span(), format!("offset must be ≥ 0, got {}", v.get_ref()), None)
                    }
                    None => return self.err(s.span(), "action `seek` needs `offset = N`", None),
                };
                Action::Consumer { name, op: ConsumerOp::Seek { topic, partition, offset } }
            }
            _ => self.admin(s, kind, names)?,
        })
    }

    fn group_ref(&self, s: &Spanned<format::Step>, names: &Names) -> Result<String> {
        let Some(g) = &s.get_ref().group else {
            return self.err(
                s.span(),
                format!("action `{}` needs `group = \"NAME\"`", s.get_ref().action.get_ref()),
                None,
            );
        };
        self.known_name(g, &names.groups, "group")
    }

    /// A step's optional `partition = N`, checked against the partitions `topic` has.
    fn optional_partition(&self, step: &format::Step, topic: &str, names: &Names) -> Result<Option<u32>> {
        let count = names.topics[topic];
        match &step.partition {
            None => Ok(None),
            Some(v) if (0..count as i64).contains(v.get_ref()) => Ok(Some(*v.get_ref() as u32)),
            Some(v) => self.err(
                v.span(),
                format!("topic `{topic}` has partitions 0..{}, got {}", count.saturating_sub(1), v.get_ref()),
                None,
            ),
        }
    }

    /// `reset_offsets`: `group`, `topic`, optional `partition`, and `offset = N` or `to = "earliest" | "latest"`.
    fn reset_offsets(&self, s: &Spanned<format::Step>, names: &Names) -> Result<AdminOp> {
        let step = s.get_ref();
        let group = self.group_ref(s, names)?;
        let topic = self.topic_ref(s, names)?;
        let partitions: Vec<u32> = self.optional_partition(step, &topic, names)?.into_iter().collect();
        let to =
            match (&step.offset, &step.to) {
                (Some(o), None) if *o.get_ref() >= 0 => ResetTarget::Offset(*o.get_ref()),
                (Some(o), None) => {
                    return self.err(o.span(), format!("offset must be ≥ 0, got {}", o.get_ref()), None)
                }
                (None, Some(t)) if t.get_ref() == "earliest" => ResetTarget::Earliest,
                (None, Some(t)) if t.get_ref() == "latest" => ResetTarget::Latest,
                (None, Some(t)) => {
                    return self.err(
                        t.span(),
                        format!("unknown reset target `{}`", t.get_ref()),
                        Some("use to = \"earliest\" or to = \"latest\", or offset = N".into()),
                    )
                }
                _ => return self.err(
                    s.span(),
                    "reset_offsets needs exactly one of `offset = N` and `to = \"earliest\" | \"latest\"`",
                    None,
                ),
            };
        Ok(AdminOp::AlterConsumerGroupOffsets { group, topic, partitions, to })
    }

    fn consumer_ref(&self, s: &Spanned<format::Step>, names: &Names) -> Result<String> {
        let Some(c) = &s.get_ref().consumer else {
            return self.err(
                s.span(),
                format!("action `{}` needs `consumer = \"NAME\"`", s.get_ref().action.get_ref()),
                None,
            );
        };
        if !names.consumers.contains(c.get_ref()) {
            let known: Vec<&str> = names.consumers.iter().map(|p| p.as_str()).collect();
            return self.err(
                c.span(),
                format!("unknown consumer `{}`", c.get_ref()),
                Some(suggest(c.get_ref(), &known)),
            );
        }
        Ok(c.get_ref().clone())
    }

    fn consumer(
        &self,
        c: &Spanned<format::Consumer>,
        names: &Names,
        end: SimTime,
    ) -> Result<(String, ConsumerSpec, SimTime)> {
        let spec = c.get_ref();
        let name = spec.name.get_ref().clone();
        let taken = names.producers.contains(&name) || names.consumers.contains(&name);
        if taken || name == crate::engine::world::ADMIN_NAME || name.is_empty() {
            return self.err(
                spec.name.span(),
                format!("client name `{name}` is empty, reserved or used twice"),
                Some("every producer and consumer needs its own name".into()),
            );
        }
        let client = match &spec.client {
            Some(c) => ClientProfile::parse(c.get_ref()).map_or_else(
                || {
                    self.err(
                        c.span(),
                        format!("unknown client `{}`", c.get_ref()),
                        Some(suggest(c.get_ref(), ClientProfile::NAMES)),
                    )
                },
                Ok,
            )?,
            None => ClientProfile::Java,
        };
        let mut cfg = ConsumerConfig::defaults(client);
        for (k, v) in &spec.config {
            let Some(key) = consumer_config::lookup(k.get_ref()) else {
                return self.err(
                    k.span(),
                    format!("unknown consumer setting `{}`", k.get_ref()),
                    Some(suggest(k.get_ref(), &consumer_config::all_names())),
                );
            };
            let value = match &v.kind {
                Kind::Integer(i) => producer_config::Value::Int(*i),
                Kind::Boolean(b) => producer_config::Value::Bool(*b),
                Kind::String(s) => producer_config::Value::Str(s.clone()),
                Kind::Array(a) if key == "partition.assignment.strategy" => {
                    let parts: Vec<String> =
                        a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect();
                    producer_config::Value::Str(parts.join(","))
                }
                _ => {
                    return self.err(
                        v.span.clone(),
                        format!("`{}` takes a number, a boolean or a string, got {v}", k.get_ref()),
                        None,
                    )
                }
            };
            cfg.set(key, k.get_ref(), &value).or_else(|m| self.err(v.span.clone(), m, None))?;
        }
        cfg.validate().or_else(|m| self.err(c.span(), m, None))?;
        let group = spec.group.as_ref().map(|g| g.get_ref().clone());
        if group.as_deref() == Some("") {
            let g = spec.group.as_ref().expect("set");
            return self.err(g.span(), "group must not be empty (INVALID_GROUP_ID)", None);
        }
        let mut topics = Vec::new();
        let mut manual = Vec::new();
        match (&group, &spec.topics, &spec.partitions) {
            (Some(_), Some(t), None) => {
                for topic in t.get_ref() {
                    if !names.topics.contains_key(topic) {
                        let known: Vec<&str> = names.topics.keys().map(|k| k.as_str()).collect();
                        return self.err(
                            t.span(),
                            format!("unknown topic `{topic}`"),
                            Some(suggest(topic, &known)),
                        );
                    }
                    topics.push(topic.clone());
                }
                if topics.is_empty() {
                    return self.err(t.span(), "subscribe to at least one topic", None);
                }
            }
            (None, None, Some(ps)) => {
                for p in ps.get_ref() {
                    let sp = Spanned::new(ps.span(), p.clone());
                    let (topic, n) = self.partition_ref(&sp, names)?;
                    manual.push(TopicPartition::new(topic, n as i32));
                }
            }
            (Some(_), _, Some(p)) => {
                return self.err(
                    p.span(),
                    "a consumer with a group subscribes to `topics`; `partitions` (assign) is for consumers without a group",
                    Some("kafka-go refuses Partition together with GroupID; remove one of them".into()),
                )
            }
            (Some(_), None, None) => {
                return self.err(c.span(), "a group consumer needs `topics = [\"NAME\", ...]`", None)
            }
            (None, _, _) => {
                return self.err(
                    c.span(),
                    "a consumer needs `group` and `topics` (subscribe), or `partitions` without a group (assign)",
                    Some("e.g. group = \"billing\", topics = [\"orders\"]".into()),
                )
            }
        }
        let start = match &spec.start {
            Some(t) => self.time(t)?,
            None => SimTime::ZERO,
        };
        if start > end {
            let span = spec.start.as_ref().map_or(c.span(), |t| t.span());
            return self.err(span, format!("start {start} is after the end of the run ({end})"), None);
        }
        Ok((name, ConsumerSpec { config: cfg, group, topics, manual }, start))
    }

    fn topic_ref(&self, s: &Spanned<format::Step>, names: &Names) -> Result<String> {
        let Some(t) = &s.get_ref().topic else {
            return self.err(
                s.span(),
                format!("action `{}` needs `topic = \"NAME\"`", s.get_ref().action.get_ref()),
                None,
            );
        };
        if !names.topics.contains_key(t.get_ref()) {
            let known: Vec<&str> = names.topics.keys().map(|k| k.as_str()).collect();
            return self.err(
                t.span(),
                format!("unknown topic `{}`", t.get_ref()),
                Some(suggest(t.get_ref(), &known)),
            );
        }
        Ok(t.get_ref().clone())
    }

    fn produce(&self, s: &Spanned<format::Step>, names: &Names) -> Result<Action> {
        let step = s.get_ref();
        let Some(p) = &step.producer else {
            return self.err(s.span(), "action `produce` needs `producer = \"NAME\"`", None);
        };
        if !names.producers.contains(p.get_ref()) {
            let known: Vec<&str> = names.producers.iter().map(|p| p.as_str()).collect();
            return self.err(
                p.span(),
                format!("unknown producer `{}`", p.get_ref()),
                Some(suggest(p.get_ref(), &known)),
            );
        }
        let topic = self.topic_ref(s, names)?;
        let partition = self.optional_partition(step, &topic, names)?;
        let count = step.count.as_ref().map_or(Ok(1), |c| self.positive(c, "count", 100_000_000))? as u64;
        let value_bytes =
            step.value_bytes.as_ref().map_or(Ok(100), |v| self.positive(v, "value_bytes", i32::MAX as i64))?
                as u32;
        let interval_ms = match &step.interval_ms {
            Some(v) if !(0..=86_400_000).contains(v.get_ref()) => {
                let msg = format!("interval_ms must be between 0 and 86400000 (a day), got {}", v.get_ref());
                return self.err(v.span(), msg, Some("0 sends as fast as buffer.memory allows".into()));
            }
            Some(v) => *v.get_ref() as u64,
            None => 0,
        };
        let template = SendRecord {
            topic: topic.into(),
            partition,
            key: step.key.as_deref().map(Into::into),
            value: step.value.as_deref().map(Into::into),
            value_bytes,
        };
        let keys = step.keys.clone().unwrap_or_default().into_iter().map(Into::into).collect();
        let workload =
            Workload { template, remaining: count, sent: 0, interval_us: interval_ms * 1000, keys };
        Ok(Action::Produce { producer: p.get_ref().clone(), workload })
    }

    fn admin(&self, s: &Spanned<format::Step>, kind: &str, names: &mut Names) -> Result<Action> {
        let step = s.get_ref();
        let op = match kind {
            "create_topic" | "CreateTopics" => {
                let Some(t) = &step.topic else {
                    return self.err(s.span(), "CreateTopics needs `topic = \"NAME\"`", None);
                };
                let partitions = step.partitions.as_ref().map_or(1, |p| *p.get_ref());
                if let Some(p) = step.partitions.as_ref().filter(|p| *p.get_ref() > 1000) {
                    return self.err(
                        p.span(),
                        format!("partitions must be at most 1000, got {}", p.get_ref()),
                        None,
                    );
                }
                let rf = step.replication_factor.as_ref().map_or(Ok(1), |p| Ok(*p.get_ref()))?;
                if partitions > 0 {
                    names.topics.entry(t.get_ref().clone()).or_insert(partitions as u32);
                }
                AdminOp::CreateTopics {
                    name: t.get_ref().clone(),
                    partitions: partitions.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                    replication_factor: rf.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                    configs: self.topic_configs(&step.config)?,
                    start_index: step.start_index.as_ref().map(|v| (*v.get_ref()).max(0) as usize),
                    assignment: None,
                }
            }
            "delete_topic" | "DeleteTopics" => AdminOp::DeleteTopics { name: self.topic_ref(s, names)? },
            "create_partitions" | "CreatePartitions" => {
                let name = self.topic_ref(s, names)?;
                let Some(total) = &step.partitions else {
                    return self.err(s.span(), "CreatePartitions needs `partitions = TOTAL`", None);
                };
                self.positive(total, "partitions", 1000)?;
                // Only a growing count changes what later steps may refer to; Kafka refuses the rest at run time.
                let current = names.topics.get(&name).copied().unwrap_or(0);
                if *total.get_ref() > i64::from(current) && *total.get_ref() <= 1000 {
                    names.topics.insert(name.clone(), *total.get_ref() as u32);
                }
                AdminOp::CreatePartitions { name, total: *total.get_ref() as i32 }
            }
            "delete_records" | "DeleteRecords" => {
                let topic = self.topic_ref(s, names)?;
                let partition = step.partition.as_ref().map_or(0, |p| *p.get_ref()).max(0) as u32;
                AdminOp::DeleteRecords { topic, partition, before_offset: step.before_offset.unwrap_or(-1) }
            }
            "describe_configs" | "DescribeConfigs" => {
                AdminOp::DescribeConfigs { name: self.topic_ref(s, names)? }
            }
            "alter_configs" | "IncrementalAlterConfigs" => AdminOp::IncrementalAlterConfigs {
                name: self.topic_ref(s, names)?,
                set: self.topic_configs(&step.config)?,
                delete: step.delete_config.iter().map(|d| d.get_ref().clone()).collect(),
            },
            "list_groups" | "ListConsumerGroups" => AdminOp::ListConsumerGroups,
            "describe_group" | "DescribeConsumerGroups" => {
                AdminOp::DescribeConsumerGroups { group: self.group_ref(s, names)? }
            }
            "list_group_offsets" | "ListConsumerGroupOffsets" => {
                AdminOp::ListConsumerGroupOffsets { group: self.group_ref(s, names)? }
            }
            "delete_group" | "DeleteConsumerGroups" => {
                AdminOp::DeleteConsumerGroups { group: self.group_ref(s, names)? }
            }
            "reset_offsets" | "AlterConsumerGroupOffsets" => self.reset_offsets(s, names)?,
            "describe_cluster" | "DescribeCluster" => AdminOp::DescribeCluster,
            "list_topics" | "ListTopics" => AdminOp::ListTopics,
            "describe_topics" | "DescribeTopics" => {
                AdminOp::DescribeTopics { names: vec![self.topic_ref(s, names)?] }
            }
            "elect_leaders" | "ElectLeaders" => {
                AdminOp::ElectLeaders { name: step.topic.as_ref().map(|t| t.get_ref().clone()) }
            }
            other => {
                return self.err(
                    step.action.span(),
                    format!("unknown action `{other}`"),
                    Some(suggest(other, ACTIONS)),
                );
            }
        };
        Ok(Action::Admin(op))
    }

    // ---- Expectations ----

    fn expect(&self, e: &Spanned<format::Expect>, names: &Names, end: SimTime) -> Result<Expectation> {
        let x = e.get_ref();
        let at = match &x.at {
            Some(t) => self.time(t)?,
            None => end,
        };
        if at > end {
            let span = x.at.as_ref().map_or(e.span(), |t| t.span());
            return self.err(
                span,
                format!("expectation at {at} is after the end of the run ({end})"),
                Some("raise [scenario] duration or move the instant".into()),
            );
        }
        let window = self.window(x, end)?;
        let count = Count {
            exact: self.count_value(x.count.as_ref(), "count")?,
            min: self.count_value(x.min.as_ref(), "min")?,
            max: self.count_value(x.max.as_ref(), "max")?,
        };
        self.no_unused_keys(e)?;
        let check = self.check(e, names, window, count)?;
        let (line, _) = (self.loc.error(e.span().start, "", None).line, 0);
        Ok(Expectation { at, check, note: x.note.clone(), origin: format!("line {line}") })
    }

    fn count_value(&self, v: Option<&Spanned<i64>>, key: &str) -> Result<Option<u64>> {
        match v {
            Some(v) if *v.get_ref() < 0 => self.err(
                v.span(),
                format!("{key} cannot be negative, got {}", v.get_ref()),
                Some(format!("{key} = 0 means none")),
            ),
            Some(v) => Ok(Some(*v.get_ref() as u64)),
            None => Ok(None),
        }
    }

    /// An `[[expect]]` checks one kind of thing; a key that kind does not read would be silently ignored, so it
    /// is an error (e.g. `leader` next to `broker`, which makes it a replica check).
    fn no_unused_keys(&self, e: &Spanned<format::Expect>) -> Result<()> {
        let x = e.get_ref();
        let kind = if x.event.is_some() {
            "an event check"
        } else if x.producer.is_some() {
            "a producer check"
        } else if x.acked_write_lost.is_some() {
            "a durability check"
        } else if x.checker.is_some() {
            "a checker verdict"
        } else if x.admin.is_some() {
            "an admin check"
        } else if x.consumer.is_some() && x.outcome.is_some() {
            "a consumer outcome check"
        } else if x.group.is_some() && x.outcome.is_some() {
            "a group delivery check"
        } else if x.group.is_some() {
            "a group check"
        } else if x.consumer.is_some() {
            "a consumer check"
        } else if x.partition.is_some() && x.broker.is_some() {
            "a replica check"
        } else if x.partition.is_some() {
            "a partition check"
        } else {
            "a broker check"
        };
        let allowed: &[&str] = match kind {
            "an event check" => &["event", "where", "between", "count", "min", "max"],
            "a producer check" => &["producer", "outcome", "error", "between", "count", "min", "max"],
            "a durability check" => &["acked_write_lost", "partition"],
            "a checker verdict" => &["checker", "violated"],
            "an admin check" => &["admin", "error", "count", "min", "max"],
            "a consumer outcome check" => &["consumer", "outcome", "error", "between", "count", "min", "max"],
            "a group delivery check" => &["group", "outcome", "count", "min", "max"],
            "a group check" => &[
                "at",
                "group",
                "state",
                "generation",
                "protocol",
                "members",
                "assignment",
                "committed",
                "lag",
            ],
            "a consumer check" => &["at", "consumer", "owns", "position", "status", "generation"],
            "a replica check" => &[
                "at",
                "partition",
                "broker",
                "log_end_offset",
                "high_watermark",
                "log_start_offset",
                "epoch_cache",
                "log",
            ],
            "a partition check" => &["at", "partition", "leader", "isr", "leader_epoch"],
            _ => &["at", "broker", "liveness"],
        };
        let present = [
            ("at", x.at.is_some()),
            ("partition", x.partition.is_some()),
            ("broker", x.broker.is_some()),
            ("leader", x.leader.is_some()),
            ("isr", x.isr.is_some()),
            ("leader_epoch", x.leader_epoch.is_some()),
            ("log_end_offset", x.log_end_offset.is_some()),
            ("high_watermark", x.high_watermark.is_some()),
            ("log_start_offset", x.log_start_offset.is_some()),
            ("epoch_cache", x.epoch_cache.is_some()),
            ("log", x.log.is_some()),
            ("liveness", x.liveness.is_some()),
            ("event", x.event.is_some()),
            ("where", !x.where_.is_empty()),
            ("between", x.between.is_some()),
            ("count", x.count.is_some()),
            ("min", x.min.is_some()),
            ("max", x.max.is_some()),
            ("producer", x.producer.is_some()),
            ("outcome", x.outcome.is_some()),
            ("error", x.error.is_some()),
            ("acked_write_lost", x.acked_write_lost.is_some()),
            ("checker", x.checker.is_some()),
            ("violated", x.violated.is_some()),
            ("admin", x.admin.is_some()),
            ("consumer", x.consumer.is_some()),
            ("group", x.group.is_some()),
            ("owns", x.owns.is_some()),
            ("position", x.position.is_some()),
            ("status", x.status.is_some()),
            ("state", x.state.is_some()),
            ("generation", x.generation.is_some()),
            ("protocol", x.protocol.is_some()),
            ("members", x.members.is_some()),
            ("assignment", x.assignment.is_some()),
            ("committed", x.committed.is_some()),
            ("lag", x.lag.is_some()),
        ];
        if let Some((key, _)) = present.iter().find(|(k, set)| *set && !allowed.contains(k)) {
            let help = match (*key, kind) {
                ("leader" | "isr" | "leader_epoch", "a replica check") => {
                    "without `broker` it checks the partition; put replica and partition checks in two [[expect]] tables"
                        .to_string()
                }
                _ => format!("{kind} reads only: {}", allowed.join(", ")),
            };
            let at = self.loc.key_in(e.span(), key).unwrap_or(e.span().start);
            return self.err(
                at..at,
                format!("`{key}` has no effect in {kind} and would be ignored"),
                Some(help),
            );
        }
        Ok(())
    }

    fn window(&self, x: &format::Expect, end: SimTime) -> Result<(SimTime, SimTime)> {
        let Some(b) = &x.between else {
            return Ok((SimTime::ZERO, end));
        };
        let [from, to] = b.get_ref().as_slice() else {
            return self.err(b.span(), "between takes two instants: [\"FROM\", \"TO\"]", None);
        };
        let from = parse_time(from).or_else(|m| self.err(b.span(), m, None))?;
        let to = parse_time(to).or_else(|m| self.err(b.span(), m, None))?;
        if to < from {
            return self.err(
                b.span(),
                "the window ends before it starts",
                Some("write between = [\"FROM\", \"TO\"] with FROM ≤ TO".into()),
            );
        }
        Ok((from, to))
    }

    fn check(
        &self,
        e: &Spanned<format::Expect>,
        names: &Names,
        window: (SimTime, SimTime),
        count: Count,
    ) -> Result<Check> {
        let x = e.get_ref();
        if let Some(kind) = &x.event {
            if !EVENT_KINDS.contains(&kind.get_ref().as_str()) {
                return self.err(
                    kind.span(),
                    format!("unknown event type `{}`", kind.get_ref()),
                    Some(suggest(kind.get_ref(), EVENT_KINDS)),
                );
            }
            let fields = x.where_.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect();
            return Ok(Check::Events { kind: kind.get_ref().clone(), fields, window, count });
        }
        if let Some(p) = &x.producer {
            if !names.producers.contains(p.get_ref()) {
                let known: Vec<&str> = names.producers.iter().map(|s| s.as_str()).collect();
                return self.err(
                    p.span(),
                    format!("unknown producer `{}`", p.get_ref()),
                    Some(suggest(p.get_ref(), &known)),
                );
            }
            let outcome = match &x.outcome {
                Some(o) if ["acked", "failed", "retried"].contains(&o.get_ref().as_str()) => {
                    o.get_ref().clone()
                }
                Some(o) => {
                    return self.err(
                        o.span(),
                        format!("unknown outcome `{}`", o.get_ref()),
                        Some("use acked, failed or retried".into()),
                    )
                }
                None => {
                    return self.err(
                        e.span(),
                        "a producer expectation needs `outcome = \"acked\" | \"failed\" | \"retried\"`",
                        None,
                    )
                }
            };
            let error = x.error.as_ref().map(|er| self.error_code(er)).transpose()?;
            return Ok(Check::Producer { producer: p.get_ref().clone(), outcome, error, window, count });
        }
        if let Some(lost) = x.acked_write_lost {
            let topic = match &x.partition {
                Some(p) => Some(self.partition_ref(p, names)?.0),
                None => None,
            };
            return Ok(Check::AckedWriteLost { topic, lost });
        }
        if let Some(c) = &x.checker {
            if !crate::check::CHECKERS.contains(&c.get_ref().as_str()) {
                return self.err(
                    c.span(),
                    format!("unknown checker `{}`", c.get_ref()),
                    Some(suggest(c.get_ref(), crate::check::CHECKERS)),
                );
            }
            return Ok(Check::Checker { checker: c.get_ref().clone(), violated: x.violated.unwrap_or(true) });
        }
        if let Some(op) = &x.admin {
            if !ADMIN_OPS.contains(&op.get_ref().as_str()) {
                return self.err(
                    op.span(),
                    format!("unknown admin call `{}`", op.get_ref()),
                    Some(suggest(op.get_ref(), ADMIN_OPS)),
                );
            }
            let error = match &x.error {
                Some(er) if er.get_ref() == "NONE" => None,
                Some(er) => Some(self.error_code(er)?),
                None => None,
            };
            return Ok(Check::Admin { op: op.get_ref().clone(), error, count });
        }
        if x.outcome.is_some() && (x.consumer.is_some() || x.group.is_some()) {
            return self.group_outcome_check(e, names, window, count);
        }
        self.state_check(e, names)
    }

    /// `consumer` or `group` with `outcome`: what a consumer did, or a group's delivery accounting.
    fn group_outcome_check(
        &self,
        e: &Spanned<format::Expect>,
        names: &Names,
        window: (SimTime, SimTime),
        count: Count,
    ) -> Result<Check> {
        let x = e.get_ref();
        let outcome = x.outcome.as_ref().expect("checked by the caller");
        if let Some(c) = &x.consumer {
            let consumer = self.known_name(c, &names.consumers, "consumer")?;
            const OUTCOMES: &[&str] = &["consumed", "duplicated", "commit_failed"];
            if !OUTCOMES.contains(&outcome.get_ref().as_str()) {
                return self.err(
                    outcome.span(),
                    format!("unknown consumer outcome `{}`", outcome.get_ref()),
                    Some(format!("use {}", OUTCOMES.join(", "))),
                );
            }
            let error = x.error.as_ref().map(|er| self.error_code(er)).transpose()?;
            return Ok(Check::ConsumerOutcome {
                consumer,
                outcome: outcome.get_ref().clone(),
                error,
                window,
                count,
            });
        }
        let g = x.group.as_ref().expect("checked by the caller");
        let group = self.known_name(g, &names.groups, "group")?;
        const DELIVERY: &[&str] = &["processed", "duplicated", "skipped"];
        if !DELIVERY.contains(&outcome.get_ref().as_str()) {
            return self.err(
                outcome.span(),
                format!("unknown group outcome `{}`", outcome.get_ref()),
                Some(format!("use {}", DELIVERY.join(", "))),
            );
        }
        Ok(Check::GroupDelivery { group, outcome: outcome.get_ref().clone(), count })
    }

    fn known_name(&self, v: &Spanned<String>, known: &[String], what: &str) -> Result<String> {
        if known.contains(v.get_ref()) {
            return Ok(v.get_ref().clone());
        }
        let list: Vec<&str> = known.iter().map(String::as_str).collect();
        self.err(v.span(), format!("unknown {what} `{}`", v.get_ref()), Some(suggest(v.get_ref(), &list)))
    }

    /// `group = "NAME"` with any of state, generation, protocol, members, assignment, committed, lag.
    fn group_state_check(&self, g: &Spanned<String>, x: &format::Expect, names: &Names) -> Result<Check> {
        let group = self.known_name(g, &names.groups, "group")?;
        const STATES: &[&str] =
            &["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "none"];
        if let Some(st) = &x.state {
            if !STATES.contains(&st.get_ref().as_str()) {
                return self.err(
                    st.span(),
                    format!("unknown group state `{}`", st.get_ref()),
                    Some(suggest(st.get_ref(), STATES)),
                );
            }
        }
        for member in x.members.iter().flatten().chain(x.assignment.iter().flat_map(|a| a.keys())) {
            if !names.consumers.contains(member) {
                let list: Vec<&str> = names.consumers.iter().map(String::as_str).collect();
                return self.err(
                    g.span(),
                    format!("unknown consumer `{member}` in this group check"),
                    Some(suggest(member, &list)),
                );
            }
        }
        let partitions = x.assignment.iter().flat_map(|a| a.values().flatten());
        let keyed = x.committed.iter().flat_map(|m| m.keys()).chain(x.lag.iter().flat_map(|m| m.keys()));
        for p in partitions.chain(keyed) {
            self.partition_ref(&Spanned::new(g.span(), p.clone()), names)?;
        }
        Ok(Check::Group(Box::new(super::expect::GroupCheck {
            group,
            state: x.state.as_ref().map(|s| s.get_ref().clone()),
            generation: x.generation.map(|v| v as i32),
            protocol: x.protocol.clone(),
            members: x.members.clone(),
            assignment: x.assignment.clone(),
            committed: x.committed.clone(),
            lag: x.lag.clone(),
        })))
    }

    /// `consumer = "NAME"` with any of owns, position, status, generation.
    fn consumer_state_check(&self, c: &Spanned<String>, x: &format::Expect, names: &Names) -> Result<Check> {
        let consumer = self.known_name(c, &names.consumers, "consumer")?;
        const STATUSES: &[&str] = &["running", "stopped", "paused", "crashed", "not started"];
        if let Some(st) = &x.status {
            if !STATUSES.contains(&st.get_ref().as_str()) {
                return self.err(
                    st.span(),
                    format!("unknown consumer status `{}`", st.get_ref()),
                    Some(suggest(st.get_ref(), STATUSES)),
                );
            }
        }
        let keyed = x.position.iter().flat_map(|m| m.keys());
        for p in x.owns.iter().flatten().chain(keyed) {
            self.partition_ref(&Spanned::new(c.span(), p.clone()), names)?;
        }
        Ok(Check::Consumer {
            consumer,
            owns: x.owns.clone(),
            position: x.position.clone(),
            status: x.status.as_ref().map(|s| s.get_ref().clone()),
            generation: x.generation.map(|v| v as i32),
        })
    }

    fn state_check(&self, e: &Spanned<format::Expect>, names: &Names) -> Result<Check> {
        let x = e.get_ref();
        if let Some(g) = &x.group {
            return self.group_state_check(g, x, names);
        }
        if let Some(c) = &x.consumer {
            return self.consumer_state_check(c, x, names);
        }
        match (&x.partition, &x.broker) {
            (Some(p), Some(b)) => {
                let (topic, partition) = self.partition_ref(p, names)?;
                let broker = self.known_broker(b, names)?;
                let epoch_cache = x.epoch_cache.as_ref().map(|c| c.iter().map(|pair| (pair.first().copied().unwrap_or(-1) as i32, pair.get(1).copied().unwrap_or(-1))).collect());
                Ok(Check::Replica { topic, partition, broker, log_end_offset: x.log_end_offset, high_watermark: x.high_watermark, log_start_offset: x.log_start_offset, epoch_cache, log: x.log.clone() })
            }
            (Some(p), None) => {
                let (topic, partition) = self.partition_ref(p, names)?;
                Ok(Check::Partition { topic, partition, leader: x.leader.map(|l| if l < 0 { None } else { Some(l as i32) }), isr: x.isr.as_ref().map(|v| v.iter().map(|b| *b as i32).collect()), leader_epoch: x.leader_epoch.map(|v| v as i32) })
            }
            (None, Some(b)) => {
                let broker = self.known_broker(b, names)?;
                let Some(l) = &x.liveness else { return self.err(e.span(), "a broker expectation needs `liveness`", Some("alive, crashed, stopped, paused or fenced".into())) };
                if !["alive", "crashed", "stopped", "paused", "fenced"].contains(&l.get_ref().as_str()) {
                    return self.err(l.span(), format!("unknown liveness `{}`", l.get_ref()), Some("alive, crashed, stopped, paused or fenced".into()));
                }
                Ok(Check::Broker { broker, liveness: l.get_ref().clone() })
            }
            (None, None) => self.err(e.span(), "this [[expect]] checks nothing", Some("set `partition` (and `broker`), `broker` + `liveness`, `group`, `consumer`, `event`, `producer`, `acked_write_lost`, `checker` or `admin`".into())),
        }
    }

    fn known_broker(&self, b: &Spanned<i64>, names: &Names) -> Result<i32> {
        let id = *b.get_ref() as i32;
        if names.brokers.contains(&id) {
            Ok(id)
        } else {
            self.err(
                b.span(),
                format!("unknown broker {}", b.get_ref()),
                Some(format!("brokers are {:?}", names.brokers)),
            )
        }
    }

    fn partition_ref(&self, p: &Spanned<String>, names: &Names) -> Result<(String, u32)> {
        let s = p.get_ref();
        let parsed = s.rsplit_once('-').and_then(|(t, n)| n.parse::<u32>().ok().map(|n| (t.to_string(), n)));
        let Some((topic, n)) = parsed else {
            return self.err(
                p.span(),
                format!("`{s}` is not a partition"),
                Some("write it as TOPIC-N, e.g. \"orders-0\"".into()),
            );
        };
        match names.topics.get(&topic) {
            Some(count) if n < *count => Ok((topic, n)),
            Some(count) => self.err(
                p.span(),
                format!("topic `{topic}` has {count} partition(s), so there is no partition {n}"),
                Some(format!("partitions are {topic}-0 to {topic}-{}", count.saturating_sub(1))),
            ),
            None => {
                let known: Vec<&str> = names.topics.keys().map(|k| k.as_str()).collect();
                self.err(p.span(), format!("unknown topic `{topic}`"), Some(suggest(&topic, &known)))
            }
        }
    }

    fn error_code(&self, e: &Spanned<String>) -> Result<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.name() == e.get_ref()).map_or_else(
            || {
                let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.name()).collect();
                self.err(
                    e.span(),
                    format!("unknown error code `{}`", e.get_ref()),
                    Some(suggest(e.get_ref(), &known)),
                )
            },
            Ok,
        )
    }
}

/// Every timeline action name.
pub const ACTIONS: &[&str] = &[
    "crash",
    "restart",
    "shutdown",
    "pause",
    "resume",
    "isolate",
    "cut",
    "heal",
    "link",
    "produce",
    "start_consumer",
    "stop_consumer",
    "crash_consumer",
    "restart_consumer",
    "seek",
    "note",
    "create_topic",
    "delete_topic",
    "create_partitions",
    "delete_records",
    "describe_configs",
    "alter_configs",
    "describe_cluster",
    "list_topics",
    "describe_topics",
    "elect_leaders",
    "list_groups",
    "describe_group",
    "list_group_offsets",
    "delete_group",
    "reset_offsets",
];

/// Admin call names as expectations use them.
pub const ADMIN_OPS: &[&str] = &[
    "CreateTopics",
    "DeleteTopics",
    "CreatePartitions",
    "DeleteRecords",
    "DescribeConfigs",
    "IncrementalAlterConfigs",
    "DescribeCluster",
    "ListTopics",
    "DescribeTopics",
    "ElectLeaders",
    "ListConsumerGroups",
    "DescribeConsumerGroups",
    "ListConsumerGroupOffsets",
    "DeleteConsumerGroups",
    "AlterConsumerGroupOffsets",
];

/// Trace event types expectations may count.
pub const EVENT_KINDS: &[&str] = &[
    "Fault",
    "Note",
    "BrokerRegistered",
    "BrokerFenced",
    "BrokerUnfenced",
    "ControlledShutdown",
    "LeaderElected",
    "PartitionOffline",
    "IsrChanged",
    "LogTailLost",
    "BecomeLeader",
    "BecomeFollower",
    "Truncated",
    "ProduceAcked",
    "ProduceFailed",
    "ProduceRetry",
    "Admin",
    "Violation",
    "MessageDelivered",
    "MessageDropped",
    "RebalanceStarted",
    "JoinCompleted",
    "GroupStable",
    "GroupEmpty",
    "MemberRemoved",
    "StaticMemberReplaced",
    "OffsetsCommitted",
    "OffsetsExpired",
    "CoordinatorLoaded",
    "CoordinatorUnloaded",
    "PartitionsAssigned",
    "CoordinatorFound",
    "PartitionsRevoked",
    "Consumed",
    "OffsetReset",
    "CommitFailed",
    "ConsumerLeft",
    "ConsumerError",
    "ConsumerNote",
    "Seeked",
    "ConsumerCrashed",
];

fn suggest(input: &str, known: &[&str]) -> String {
    match closest_name(input, known) {
        Some(s) => format!("did you mean `{s}`? (known: {})", known.join(", ")),
        None => format!("known: {}", known.join(", ")),
    }
}

/// A `where` value as the trace's JSON has it.
fn toml_to_json(v: &Value) -> serde_json::Value {
    match &v.kind {
        Kind::String(s) => serde_json::Value::String(s.clone()),
        Kind::Integer(i) => serde_json::Value::from(*i),
        Kind::Float(f) => serde_json::Value::from(*f),
        Kind::Boolean(b) => serde_json::Value::Bool(*b),
        Kind::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        Kind::Table(_) => serde_json::Value::String(v.to_string()),
    }
}

/// Parses a time: integer milliseconds, or `"1.5s"`, `"250ms"`, `"2m"`, `"1h"`.
pub fn parse_time(t: &Time) -> std::result::Result<SimTime, String> {
    match t {
        Time::Ms(ms) if *ms >= 0 => Ok(SimTime::from_ms(*ms as u64)),
        Time::Ms(ms) => Err(format!("a time cannot be negative, got {ms}")),
        Time::Text(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let n: f64 = num.parse().map_err(|_| format!("`{s}` is not a time"))?;
            let factor_us = match unit.trim() {
                "us" | "µs" => 1.0,
                "ms" | "" => 1_000.0,
                "s" => 1_000_000.0,
                "m" | "min" => 60_000_000.0,
                "h" => 3_600_000_000.0,
                other => return Err(format!("unknown time unit `{other}` in `{s}`")),
            };
            Ok(SimTime((n * factor_us).round() as u64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_units() {
        assert_eq!(parse_time(&Time::Text("1.5s".into())), Ok(SimTime::from_ms(1500)));
        assert_eq!(parse_time(&Time::Text("250ms".into())), Ok(SimTime::from_ms(250)));
        assert_eq!(parse_time(&Time::Ms(7)), Ok(SimTime::from_ms(7)));
        assert!(parse_time(&Time::Text("5 parsecs".into())).is_err());
    }
}
