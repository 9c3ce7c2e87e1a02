//! Admin calls the controller answers: topic creation and deletion, partition creation, topic configs,
//! describe calls and preferred-leader election, with Kafka's error codes and messages.

use super::admin::{AdminOp, AdminResult};
use super::config::{topic_def, validate, ConfigValue, TopicConfig, TOPIC_CONFIGS};
use super::controller::Controller;
use super::placement::{assign_replicas_to_brokers, BrokerSpec};
use super::types::{BrokerId, ErrorCode};
use crate::engine::rng::uniform_inclusive;
use crate::engine::Effects;
use serde_json::json;

/// Handles one admin call.
pub fn handle(c: &mut Controller, op: &AdminOp, out: &mut Effects) -> AdminResult {
    match op {
        AdminOp::CreateTopics { name, partitions, replication_factor, configs, start_index, assignment } => {
            create_topic(
                c,
                name,
                *partitions,
                *replication_factor,
                configs,
                *start_index,
                assignment.as_deref(),
            )
        }
        AdminOp::DeleteTopics { name } => delete_topic(c, name),
        AdminOp::CreatePartitions { name, total } => create_partitions(c, name, *total),
        AdminOp::DescribeConfigs { name } => describe_configs(c, name),
        AdminOp::IncrementalAlterConfigs { name, set, delete } => alter_configs(c, name, set, delete, out),
        AdminOp::DescribeCluster => describe_cluster(c),
        AdminOp::ListTopics => {
            let names: Vec<&str> = c.image.topics.values().map(|t| t.name.as_str()).collect();
            AdminResult { data: json!(names), ..AdminResult::ok(names.join(", ")) }
        }
        AdminOp::DescribeTopics { names } => describe_topics(c, names),
        AdminOp::ListConsumerGroups
        | AdminOp::DescribeConsumerGroups { .. }
        | AdminOp::ListConsumerGroupOffsets { .. }
        | AdminOp::DeleteConsumerGroups { .. }
        | AdminOp::AlterConsumerGroupOffsets { .. } => AdminResult::err(
            ErrorCode::NOT_COORDINATOR,
            format!("{} goes to a group coordinator, not the controller", op.name()),
        ),
        AdminOp::ElectLeaders { name } => {
            let topic = match name {
                Some(n) => match c.image.topic_by_name(n) {
                    Some(t) => Some(t.id),
                    None => return unknown_topic(n),
                },
                None => None,
            };
            let n = c.elect_preferred(topic, out);
            AdminResult::ok(format!("{n} partition(s) moved to their preferred leader"))
        }
        AdminOp::DeleteRecords { .. } => {
            AdminResult::err(ErrorCode::NOT_LEADER_OR_FOLLOWER, "DeleteRecords goes to the partition leader")
        }
    }
}

fn unknown_topic(name: &str) -> AdminResult {
    AdminResult::err(
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
        format!("This server does not host this topic: {name}"),
    )
}

/// Places `partitions` new partitions on the usable brokers with Kafka's `AdminUtils` algorithm. The start index
/// and replica shift are Kafka's two random draws unless the scenario fixed them.
pub(crate) fn place(
    c: &mut Controller,
    partitions: i32,
    rf: i32,
    start_index: Option<usize>,
    start_partition_id: i32,
) -> Result<Vec<Vec<BrokerId>>, AdminResult> {
    let brokers: Vec<BrokerSpec> =
        c.usable_brokers().into_iter().map(|(id, rack)| BrokerSpec { id: id.0, rack }).collect();
    let n = brokers.len().max(1) as u64;
    let (start, shift) = match start_index {
        Some(s) => (s, s),
        None => {
            let s = uniform_inclusive(&mut c.rng, 0, n - 1) as usize;
            let sh = uniform_inclusive(&mut c.rng, 0, n - 1) as usize;
            (s, sh)
        }
    };
    match assign_replicas_to_brokers(&brokers, partitions, rf, start, shift, start_partition_id) {
        Ok(a) => Ok(a.into_iter().map(|r| r.into_iter().map(BrokerId).collect()).collect()),
        Err(e) => {
            use super::placement::PlacementError;
            Err(match e {
                PlacementError::InvalidPartitions { .. } => {
                    AdminResult::err(ErrorCode::INVALID_PARTITIONS, e.to_string())
                }
                // Kafka's own wording (`AdminUtils.assignReplicasToBrokers`).
                PlacementError::InvalidReplicationFactor { .. } => AdminResult::err(
                    ErrorCode::INVALID_REPLICATION_FACTOR,
                    format!("Replication factor: {rf} larger than available brokers: {}.", brokers.len()),
                ),
                other => AdminResult::err(ErrorCode::INVALID_REPLICATION_FACTOR, other.to_string()),
            })
        }
    }
}

fn create_topic(
    c: &mut Controller,
    name: &str,
    partitions: i32,
    rf: i32,
    configs: &[(String, i64)],
    start_index: Option<usize>,
    assignment: Option<&[Vec<i32>]>,
) -> AdminResult {
    if c.image.topic_by_name(name).is_some() {
        return AdminResult::err(ErrorCode::TOPIC_ALREADY_EXISTS, format!("Topic '{name}' already exists."));
    }
    let config = match topic_config(configs) {
        Ok(cfg) => cfg,
        Err(e) => return e,
    };
    let placed = match assignment {
        Some(a) => a.iter().map(|r| r.iter().map(|b| BrokerId(*b)).collect()).collect(),
        None => match place(c, partitions, rf, start_index, 0) {
            Ok(p) => p,
            Err(e) => return e,
        },
    };
    let summary = describe_assignment(&placed);
    c.add_topic(name, placed, config);
    AdminResult::ok(format!(
        "created {name} with {partitions} partition(s), replication factor {rf}: {summary}"
    ))
}

fn topic_config(configs: &[(String, i64)]) -> Result<TopicConfig, AdminResult> {
    let mut cfg = TopicConfig::default();
    for (k, v) in configs {
        let Some(def) = topic_def(k) else {
            return Err(AdminResult::err(
                ErrorCode::INVALID_CONFIG,
                format!("Unknown topic config name: {k}"),
            ));
        };
        let value = match def.kind {
            super::config::Kind::Bool => ConfigValue::Bool(*v != 0),
            super::config::Kind::Int { .. } => ConfigValue::Int(*v),
        };
        match validate(def, &value) {
            Ok(v) => {
                cfg.overrides.insert(k.clone(), v);
            }
            Err(msg) => return Err(AdminResult::err(ErrorCode::INVALID_CONFIG, msg)),
        }
    }
    Ok(cfg)
}

fn describe_assignment(placed: &[Vec<BrokerId>]) -> String {
    let parts: Vec<String> = placed
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{i}:[{}]", r.iter().map(|b| b.0.to_string()).collect::<Vec<_>>().join(",")))
        .collect();
    parts.join(" ")
}

fn delete_topic(c: &mut Controller, name: &str) -> AdminResult {
    let Some(id) = c.image.topic_by_name(name).map(|t| t.id) else {
        return unknown_topic(name);
    };
    c.remove_topic(id);
    AdminResult::ok(format!("deleted {name}"))
}

fn create_partitions(c: &mut Controller, name: &str, total: i32) -> AdminResult {
    let Some(t) = c.image.topic_by_name(name) else {
        return unknown_topic(name);
    };
    let (id, current) = (t.id, t.partitions.len() as i32);
    let rf = t.partitions.first().map_or(1, |p| p.replicas.len() as i32);
    if total <= current {
        return AdminResult::err(
            ErrorCode::INVALID_PARTITIONS,
            format!("Topic currently has {current} partitions, which is higher than the requested {total}."),
        );
    }
    match place(c, total - current, rf, None, current) {
        Ok(placed) => {
            let summary = describe_assignment(&placed);
            c.extend_topic(id, placed);
            AdminResult::ok(format!("{name} now has {total} partitions (new: {summary})"))
        }
        Err(e) => e,
    }
}

fn describe_configs(c: &Controller, name: &str) -> AdminResult {
    let Some(t) = c.image.topic_by_name(name) else {
        return unknown_topic(name);
    };
    let mut entries = serde_json::Map::new();
    let mut words = Vec::new();
    for (def, _) in TOPIC_CONFIGS {
        let value = t.config.get(def.name, &c.config);
        let source =
            if t.config.overrides.contains_key(def.name) { "DYNAMIC_TOPIC_CONFIG" } else { "DEFAULT_CONFIG" };
        let shown = show_value(def.name, value);
        entries.insert(def.name.to_string(), json!({"value": shown, "source": source}));
        words.push(format!("{}={shown}", def.name));
    }
    AdminResult { data: serde_json::Value::Object(entries), ..AdminResult::ok(words.join(", ")) }
}

/// A topic config value as Kafka prints it: booleans as `true`/`false`.
pub(crate) fn show_value(name: &str, value: i64) -> String {
    match topic_def(name).map(|d| d.kind) {
        Some(super::config::Kind::Bool) => (value != 0).to_string(),
        _ => value.to_string(),
    }
}

fn alter_configs(
    c: &mut Controller,
    name: &str,
    set: &[(String, i64)],
    delete: &[String],
    out: &mut Effects,
) -> AdminResult {
    let Some(id) = c.image.topic_by_name(name).map(|t| t.id) else {
        return unknown_topic(name);
    };
    let parsed = match topic_config(set) {
        Ok(cfg) => cfg,
        Err(e) => return e,
    };
    if let Some(bad) = delete.iter().find(|k| topic_def(k).is_none()) {
        return AdminResult::err(ErrorCode::INVALID_CONFIG, format!("Unknown topic config name: {bad}"));
    }
    let topic = c.image.topics.get_mut(&id).expect("exists");
    for k in delete {
        topic.config.overrides.remove(k);
    }
    topic.config.overrides.extend(parsed.overrides);
    c.after_config_change(id, out);
    let changes: Vec<String> = set
        .iter()
        .map(|(k, v)| format!("{k}={}", show_value(k, *v)))
        .chain(delete.iter().map(|k| format!("-{k}")))
        .collect();
    AdminResult::ok(format!("{name}: {}", changes.join(", ")))
}

fn describe_cluster(c: &Controller) -> AdminResult {
    let brokers: Vec<serde_json::Value> =
        c.image.brokers.values().map(|b| json!({"id": b.id.0, "rack": b.rack, "fenced": b.fenced})).collect();
    let live: Vec<String> =
        c.image.brokers.values().filter(|b| !b.fenced).map(|b| b.id.0.to_string()).collect();
    AdminResult {
        data: json!({"brokers": brokers, "controller": "controller"}),
        ..AdminResult::ok(format!("unfenced brokers [{}]", live.join(",")))
    }
}

fn describe_topics(c: &Controller, names: &[String]) -> AdminResult {
    let mut data = Vec::new();
    let mut words = Vec::new();
    for n in names {
        let Some(t) = c.image.topic_by_name(n) else {
            return unknown_topic(n);
        };
        for (i, p) in t.partitions.iter().enumerate() {
            let ids = |v: &[BrokerId]| v.iter().map(|b| b.0).collect::<Vec<_>>();
            data.push(json!({"partition": format!("{n}-{i}"), "leader": p.leader.map_or(-1, |b| b.0),
                "leader_epoch": p.leader_epoch, "replicas": ids(&p.replicas), "isr": ids(&p.isr)}));
            words.push(format!(
                "{n}-{i} leader {} replicas {:?} isr {:?}",
                p.leader.map_or(-1, |b| b.0),
                ids(&p.replicas),
                ids(&p.isr)
            ));
        }
    }
    AdminResult { data: json!(data), ..AdminResult::ok(words.join("; ")) }
}
