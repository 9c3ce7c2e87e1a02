//! The cluster metadata the controller owns and publishes: brokers, topics, partitions (replicas, ISR, leader,
//! leader epoch, partition epoch) and topic configs.
//!
//! In KRaft the brokers replay the controller's metadata log. The simulation ships the resulting image instead
//! (`Rc`, copy-on-write): a broker holding image version N knows exactly what a broker that replayed the log up
//! to offset N would know, and it learns it one network delay after the controller decided it.

use super::config::TopicConfig;
use super::types::{BrokerId, LeaderEpoch, TopicId, Tp};
use crate::engine::vec_map::VecMap;
use serde::Serialize;

/// A partition's replication state (KRaft's `PartitionRegistration`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartitionMeta {
    /// The assigned replicas, preferred leader first.
    pub replicas: Vec<BrokerId>,
    /// The in-sync replicas, as committed by the controller.
    pub isr: Vec<BrokerId>,
    /// The leader, or `None` (Kafka's -1) when no eligible replica is alive.
    pub leader: Option<BrokerId>,
    /// Bumped on every leader change.
    pub leader_epoch: LeaderEpoch,
    /// Bumped on every change (leader or ISR); AlterPartition must name the current one.
    pub partition_epoch: i32,
    /// True after an unclean election until the new leader has recovered (`LeaderRecoveryState.RECOVERING`).
    pub recovering: bool,
}

impl PartitionMeta {
    /// The preferred leader: the first assigned replica.
    pub fn preferred_leader(&self) -> BrokerId {
        self.replicas[0]
    }
}

/// A topic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicMeta {
    /// Its id in this run.
    pub id: TopicId,
    /// Its name.
    pub name: String,
    /// Its partitions, by index.
    pub partitions: Vec<PartitionMeta>,
    /// Its config overrides.
    pub config: TopicConfig,
}

/// A broker as the controller sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BrokerMeta {
    /// Its id.
    pub id: BrokerId,
    /// Its rack, if configured.
    pub rack: Option<String>,
    /// Fenced: no heartbeat within `broker.session.timeout.ms`, or not registered yet since a restart.
    pub fenced: bool,
    /// In controlled shutdown: leadership is being moved away and it may not join ISRs.
    pub shutting_down: bool,
}

/// A version of the whole cluster metadata.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MetadataImage {
    /// Increases with every change (the metadata log offset).
    pub version: u64,
    /// Registered brokers.
    pub brokers: VecMap<BrokerId, BrokerMeta>,
    /// Live topics.
    pub topics: VecMap<TopicId, TopicMeta>,
}

impl MetadataImage {
    /// For unit tests: unfenced `replicas` and topic `t` (id 0) with `partitions` partitions, each replicated on
    /// all of them, led by the first, every replica in the ISR.
    #[cfg(test)]
    pub(crate) fn test_topic(replicas: &[BrokerId], partitions: u32) -> Self {
        let mut image = MetadataImage { version: 1, ..MetadataImage::default() };
        for id in replicas {
            image
                .brokers
                .insert(*id, BrokerMeta { id: *id, rack: None, fenced: false, shutting_down: false });
        }
        let partition = PartitionMeta {
            replicas: replicas.to_vec(),
            isr: replicas.to_vec(),
            leader: replicas.first().copied(),
            leader_epoch: 0,
            partition_epoch: 0,
            recovering: false,
        };
        let topic = TopicMeta {
            id: TopicId(0),
            name: "t".into(),
            partitions: vec![partition; partitions as usize],
            config: TopicConfig::default(),
        };
        image.topics.insert(TopicId(0), topic);
        image
    }

    /// A partition's state, if the topic and partition exist.
    pub fn partition(&self, tp: Tp) -> Option<&PartitionMeta> {
        self.topics.get(&tp.topic)?.partitions.get(tp.partition as usize)
    }

    /// The topic with this name, if it exists.
    pub fn topic_by_name(&self, name: &str) -> Option<&TopicMeta> {
        self.topics.values().find(|t| t.name == name)
    }

    /// Whether a broker is registered, unfenced and not shutting down: eligible to lead or join an ISR.
    pub fn is_broker_eligible(&self, id: BrokerId) -> bool {
        self.brokers.get(&id).is_some_and(|b| !b.fenced && !b.shutting_down)
    }

    /// Every partition with its id.
    pub fn partitions(&self) -> impl Iterator<Item = (Tp, &PartitionMeta)> + '_ {
        self.topics.values().flat_map(|t| {
            t.partitions.iter().enumerate().map(move |(i, p)| (Tp { topic: t.id, partition: i as u32 }, p))
        })
    }

    /// `name-index`, Kafka's way of writing a partition.
    pub fn tp_name(&self, tp: Tp) -> String {
        match self.topics.get(&tp.topic) {
            Some(t) => format!("{}-{}", t.name, tp.partition),
            None => format!("topic#{}-{}", tp.topic.0, tp.partition),
        }
    }
}
