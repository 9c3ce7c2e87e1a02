//! The serialisable view of the cluster at one step: what the CLI prints and what the browser draws.
//! It is built from the world, never from the UI's own state, so every front end shows the same thing.

use crate::engine::action::Liveness;
use crate::engine::time::SimTime;
use crate::engine::world::{Client, World};
use crate::engine::NodeId;
use crate::kafka::types::{BrokerId, Offset};
use serde::Serialize;

/// The whole cluster.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterView {
    /// Simulated time, microseconds.
    pub time_us: u64,
    /// Simulated time, readable.
    pub time: String,
    /// Events handled so far.
    pub step: u64,
    /// The controller.
    pub controller: ControllerView,
    /// Brokers by id.
    pub brokers: Vec<BrokerView>,
    /// Every partition.
    pub partitions: Vec<PartitionView>,
    /// Producers.
    pub producers: Vec<ProducerView>,
    /// Cut links, as (from, to) node names.
    pub cut_links: Vec<(String, String)>,
    /// The trace hash so far.
    pub trace_hash: String,
}

/// The controller.
#[derive(Clone, Debug, Serialize)]
pub struct ControllerView {
    /// The metadata version it last published.
    pub metadata_version: u64,
    /// Whether it is paused.
    pub paused: bool,
}

/// One broker.
#[derive(Clone, Debug, Serialize)]
pub struct BrokerView {
    /// Its id.
    pub id: BrokerId,
    /// Its rack.
    pub rack: Option<String>,
    /// Process state.
    pub liveness: Liveness,
    /// Fenced by the controller.
    pub fenced: bool,
    /// Every link to and from it is cut.
    pub isolated: bool,
    /// Partitions it leads (as it believes).
    pub leading: usize,
}

/// One partition.
#[derive(Clone, Debug, Serialize)]
pub struct PartitionView {
    /// `topic-N`.
    pub name: String,
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: u32,
    /// The controller's leader (-1: none).
    pub leader: i32,
    /// The controller's leader epoch.
    pub leader_epoch: i32,
    /// The controller's ISR.
    pub isr: Vec<BrokerId>,
    /// Each replica, in assignment order.
    pub replicas: Vec<ReplicaView>,
}

/// One replica of a partition.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicaView {
    /// The broker holding it.
    pub broker: BrokerId,
    /// `leader`, `follower` (in the ISR), `out_of_sync`, or `offline` (broker down).
    pub role: &'static str,
    /// Whether the broker itself believes it leads (a zombie leader believes so when the controller does not).
    pub believes_leader: bool,
    /// Log end offset.
    pub log_end_offset: Offset,
    /// High watermark.
    pub high_watermark: Offset,
    /// Log start offset.
    pub log_start_offset: Offset,
    /// The leader-epoch cache as (epoch, start offset).
    pub epoch_cache: Vec<(i32, Offset)>,
}

/// One producer.
#[derive(Clone, Debug, Serialize)]
pub struct ProducerView {
    /// Its name.
    pub name: String,
    /// `java`, `sarama` or `kafka-go`.
    pub client: String,
    /// acks setting.
    pub acks: i16,
    /// Records acknowledged.
    pub acked: u64,
    /// Records failed.
    pub failed: u64,
    /// Records queued or in flight.
    pub queued: usize,
}

/// Takes the view of the world as it is now.
pub fn view(world: &World) -> ClusterView {
    let image = &world.controller.image;
    let brokers = world
        .brokers
        .keys()
        .map(|id| {
            let node = NodeId::Broker(*id);
            let others: Vec<NodeId> = world.nodes().into_iter().filter(|n| *n != node).collect();
            let isolated = !others.is_empty() && others.iter().all(|o| world.network.is_cut(node, *o));
            BrokerView {
                id: *id,
                rack: image.brokers.get(id).and_then(|b| b.rack.clone()),
                liveness: world.liveness(*id),
                fenced: image.brokers.get(id).is_some_and(|b| b.fenced),
                isolated,
                leading: world
                    .broker(*id)
                    .map_or(0, |b| b.partitions.values().filter(|p| p.is_leader()).count()),
            }
        })
        .collect();
    let partitions = image
        .partitions()
        .map(|(tp, p)| {
            let replicas = p
                .replicas
                .iter()
                .map(|b| {
                    let logs = world.broker_logs(*b);
                    let log = logs.iter().find(|(t, _)| *t == tp).map(|(_, l)| *l);
                    let believes_leader =
                        world.broker(*b).and_then(|br| br.partitions.get(&tp)).is_some_and(|r| r.is_leader());
                    let role = if world.broker(*b).is_none() {
                        "offline"
                    } else if p.leader == Some(*b) {
                        "leader"
                    } else if p.isr.contains(b) {
                        "follower"
                    } else {
                        "out_of_sync"
                    };
                    ReplicaView {
                        broker: *b,
                        role,
                        believes_leader,
                        log_end_offset: log.map_or(0, |l| l.log_end_offset()),
                        high_watermark: log.map_or(0, |l| l.high_watermark()),
                        log_start_offset: log.map_or(0, |l| l.log_start_offset()),
                        epoch_cache: log.map_or(Vec::new(), |l| {
                            l.epoch_cache().iter().map(|e| (e.epoch, e.start_offset)).collect()
                        }),
                    }
                })
                .collect();
            let topic = image.topics[&tp.topic].name.clone();
            PartitionView {
                name: image.tp_name(tp),
                topic,
                partition: tp.partition,
                leader: p.leader.map_or(-1, |b| b.0),
                leader_epoch: p.leader_epoch,
                isr: p.isr.clone(),
                replicas,
            }
        })
        .collect();
    let producers = world
        .clients
        .iter()
        .filter_map(|c| match c {
            Client::Producer(p) => Some(ProducerView {
                name: p.name.clone(),
                client: format!("{:?}", p.config.client).to_lowercase(),
                acks: p.config.acks,
                acked: p.acked,
                failed: p.failed,
                queued: p.queued_records(),
            }),
            Client::Admin(_) => None,
        })
        .collect();
    let cut_links = world.network.cuts().map(|(a, b)| (world.node_name(*a), world.node_name(*b))).collect();
    ClusterView {
        time_us: world.now().0,
        time: world.now().to_string(),
        step: world.steps(),
        controller: ControllerView {
            metadata_version: world.controller.published().version,
            paused: world.is_paused(NodeId::Controller),
        },
        brokers,
        partitions,
        producers,
        cut_links,
        trace_hash: world.trace().hash_hex(),
    }
}

/// A compact text rendering of the view (for `kafkasim run`'s final state).
pub fn render_text(v: &ClusterView) -> String {
    let mut out = String::new();
    out.push_str(&format!("cluster at {} (step {}):\n", SimTime(v.time_us), v.step));
    for b in &v.brokers {
        let mut state = format!("{:?}", b.liveness).to_lowercase();
        if b.fenced {
            state.push_str(", fenced");
        }
        if b.isolated {
            state.push_str(", isolated");
        }
        out.push_str(&format!("  broker {}: {state}\n", b.id));
    }
    for p in &v.partitions {
        out.push_str(&format!(
            "  {} leader {} epoch {} ISR {:?}\n",
            p.name,
            p.leader,
            p.leader_epoch,
            p.isr.iter().map(|b| b.0).collect::<Vec<_>>()
        ));
        for r in &p.replicas {
            out.push_str(&format!(
                "    broker {} {:<11} LEO {:>6} HW {:>6} epochs {:?}\n",
                r.broker, r.role, r.log_end_offset, r.high_watermark, r.epoch_cache
            ));
        }
    }
    out
}
