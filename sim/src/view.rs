//! The serialisable view of the cluster at one step: what the CLI prints and what the browser draws.
//! It is built from the world, never from the UI's own state, so every front end shows the same thing.

use crate::engine::action::Liveness;
use crate::engine::sort;
use crate::engine::time::SimTime;
use crate::engine::world::{Client, World};
use crate::engine::NodeId;
use crate::kafka::types::{BrokerId, Offset, Tp};
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
    /// Consumers.
    pub consumers: Vec<ConsumerView>,
    /// Consumer groups, as their coordinators know them.
    pub groups: Vec<GroupView>,
    /// Cut links, as (from, to) node names.
    pub cut_links: Vec<(String, String)>,
    /// Every node, in id order (controller, brokers, clients), for the network and the message diagram.
    pub nodes: Vec<NodeView>,
    /// Topics with their partition counts.
    pub topics: Vec<TopicView>,
    /// The trace hash so far.
    pub trace_hash: String,
    /// Internal partitions (`__consumer_offsets`) a caller left out of `partitions`; 0 from [`view`].
    pub hidden_internal: usize,
}

/// A node of the network.
#[derive(Clone, Debug, Serialize)]
pub struct NodeView {
    /// Its name in traces and scenario files: `controller`, `broker 2`, or a client's name.
    pub name: String,
    /// `controller`, `broker`, `producer`, `consumer` or `admin`.
    pub kind: &'static str,
}

/// A topic.
#[derive(Clone, Debug, Serialize)]
pub struct TopicView {
    /// Its name.
    pub name: String,
    /// Its partition count.
    pub partitions: usize,
    /// Whether Kafka made it for itself (`__consumer_offsets`).
    pub internal: bool,
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
    /// Whether its topic is internal (`__consumer_offsets`).
    pub internal: bool,
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

/// What a view holds beyond the cluster's shape. The page's frames leave out what they do not draw: building
/// 900 committed offsets and positions for the big cluster, to throw them away, was most of a frame's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewOptions {
    /// The internal topics' partitions (`__consumer_offsets`).
    pub internal: bool,
    /// Per-partition positions and committed offsets of consumers and groups, and each group member's
    /// assignment as its coordinator holds it (the lag tables).
    pub offsets: bool,
    /// The replicas' leader-epoch caches.
    pub epoch_caches: bool,
}

impl ViewOptions {
    /// Everything.
    pub const ALL: ViewOptions = ViewOptions { internal: true, offsets: true, epoch_caches: true };
}

/// Takes the view of the world as it is now.
pub fn view(world: &World) -> ClusterView {
    view_with(world, ViewOptions::ALL)
}

/// Takes the view of the world as it is now, with what `options` asks for.
pub fn view_with(world: &World, options: ViewOptions) -> ClusterView {
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
    let mut hidden_internal = 0;
    let partitions = image
        .partitions()
        .filter(|(tp, _)| {
            let shown = options.internal || !is_internal(&image.topics[&tp.topic].name);
            hidden_internal += usize::from(!shown);
            shown
        })
        .map(|(tp, p)| {
            let replicas = p
                .replicas
                .iter()
                .map(|b| {
                    let log = world.broker_log(*b, tp);
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
                        epoch_cache: match log {
                            Some(l) if options.epoch_caches => {
                                l.epoch_cache().iter().map(|e| (e.epoch, e.start_offset)).collect()
                            }
                            _ => Vec::new(),
                        },
                    }
                })
                .collect();
            let topic = image.topics[&tp.topic].name.clone();
            PartitionView {
                name: image.tp_name(tp),
                internal: is_internal(&topic),
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
            _ => None,
        })
        .collect();
    let consumers = world.consumers().map(|c| consumer_view(world, c, options.offsets)).collect();
    let groups = group_views(world, options.offsets);
    let cut_links = world.network.cuts().map(|(a, b)| (world.node_name(*a), world.node_name(*b))).collect();
    let nodes = world
        .nodes()
        .into_iter()
        .map(|n| NodeView { name: world.node_name(n), kind: node_kind(world, n) })
        .collect();
    let topics = image
        .topics
        .values()
        .map(|t| TopicView {
            name: t.name.clone(),
            partitions: t.partitions.len(),
            internal: is_internal(&t.name),
        })
        .collect();
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
        consumers,
        groups,
        cut_links,
        nodes,
        topics,
        trace_hash: world.trace().hash_hex(),
        hidden_internal,
    }
}

/// Kafka's internal topics (`__consumer_offsets`), as the trace tells them apart.
fn is_internal(topic: &str) -> bool {
    crate::engine::trace::is_internal_topic(topic)
}

fn node_kind(world: &World, node: NodeId) -> &'static str {
    match node {
        NodeId::Controller => "controller",
        NodeId::Broker(_) => "broker",
        NodeId::Client(c) => match world.clients.get(c.0 as usize) {
            Some(Client::Producer(_)) => "producer",
            Some(Client::Consumer(_)) => "consumer",
            _ => "admin",
        },
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
    // `__consumer_offsets` (50 partitions by default) is summed up by the groups' coordinators instead.
    for p in v.partitions.iter().filter(|p| !crate::engine::trace::is_internal_topic(&p.name)) {
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

/// One consumer, as the client sees itself.
#[derive(Clone, Debug, Serialize)]
pub struct ConsumerView {
    /// Its name (`client.id`).
    pub name: String,
    /// Its client profile.
    pub client: String,
    /// `group.id` (empty for assign()).
    pub group: String,
    /// The subscribed topics (empty for assign()).
    pub topics: Vec<String>,
    /// Running, stopped (closed, crashed, failed) or paused.
    pub status: &'static str,
    /// Its member state.
    pub member_state: crate::kafka::consumer::MemberState,
    /// Its member id.
    pub member_id: String,
    /// The generation it believes is current.
    pub generation: i32,
    /// Whether it is the group leader.
    pub leader: bool,
    /// Records processed.
    pub consumed: u64,
    /// `eager` or `cooperative`: cooperative only when every configured assignor is `cooperative-sticky`
    /// (`ConsumerCoordinator` [CC]:209-231), as the client decides.
    pub rebalance: &'static str,
    /// The partitions it owns, in assignment order (the client's view: empty after an eager revocation).
    pub owned: Vec<String>,
    /// Owned partitions with position, committed offset and lag (high watermark − position).
    pub partitions: Vec<ConsumerPartitionView>,
}

/// One partition a consumer owns.
#[derive(Clone, Debug, Serialize)]
pub struct ConsumerPartitionView {
    /// `topic-N`.
    pub partition: String,
    /// Next offset to fetch.
    pub position: Option<Offset>,
    /// Last committed by this consumer.
    pub committed: Option<Offset>,
    /// High watermark − position, when both are known.
    pub lag: Option<Offset>,
}

/// One group on its coordinator.
#[derive(Clone, Debug, Serialize)]
pub struct GroupView {
    /// `group.id`.
    pub name: String,
    /// The coordinating broker.
    pub coordinator: BrokerId,
    /// Empty, PreparingRebalance, CompletingRebalance, Stable, Dead.
    pub state: &'static str,
    /// The generation.
    pub generation: i32,
    /// The selected assignor.
    pub protocol: Option<String>,
    /// The leader's client name.
    pub leader: Option<String>,
    /// Members with their assignments.
    pub members: Vec<GroupMemberView>,
    /// Committed offsets: (partition, offset, lag = high watermark − committed when known).
    pub offsets: Vec<(String, Offset, Option<Offset>)>,
}

/// One member of a group.
#[derive(Clone, Debug, Serialize)]
pub struct GroupMemberView {
    /// Member id.
    pub member_id: String,
    /// Client name.
    pub client: String,
    /// `group.instance.id`.
    pub instance_id: Option<String>,
    /// Assigned partitions.
    pub assignment: Vec<String>,
    /// Parked in JoinGroup.
    pub joining: bool,
}

fn consumer_view(world: &World, c: &crate::kafka::consumer::Consumer, offsets: bool) -> ConsumerView {
    let status = if world.is_paused(NodeId::Client(c.id)) {
        "paused"
    } else if c.is_running() {
        "running"
    } else if c.started {
        "stopped"
    } else {
        "not started"
    };
    let partitions = if offsets {
        c.partition_states()
            .map(|(partition, p)| ConsumerPartitionView {
                partition,
                position: p.position,
                committed: p.committed,
                lag: p.high_watermark.zip(p.position).map(|(h, pos)| (h - pos).max(0)),
            })
            .collect()
    } else {
        Vec::new()
    };
    ConsumerView {
        name: c.name.to_string(),
        client: format!("{:?}", c.config.client).to_lowercase(),
        group: c.group.as_deref().unwrap_or("").to_string(),
        topics: c.topics.clone(),
        status,
        member_state: c.state,
        member_id: c.member_id.clone(),
        generation: c.generation,
        leader: c.is_leader,
        consumed: c.consumed,
        rebalance: if c.config.assignors.iter().all(|a| a == "cooperative-sticky") {
            "cooperative"
        } else {
            "eager"
        },
        owned: c.owned.iter().map(ToString::to_string).collect(),
        partitions,
    }
}

/// The groups of every live broker's coordinator (each group lives on one broker at a time); their committed
/// offsets and members' assignments only if `offsets`.
pub fn group_views(world: &World, offsets: bool) -> Vec<GroupView> {
    let image = world.controller.published();
    let mut out: Vec<GroupView> = Vec::new();
    for (id, _) in world.brokers.iter() {
        let Some(b) = world.broker(*id) else { continue };
        let coord = &b.group_side.coordinator;
        for (name, g) in &coord.groups {
            let committed = coord
                .offsets
                .get(name)
                .filter(|_| offsets)
                .map(|m| {
                    m.iter()
                        .map(|(tp, v)| {
                            // The leader's replica of this very topic (by id): a replica of a deleted topic of
                            // the same name, still on a broker that has not seen the deletion, is not it.
                            let hw = image.topic_by_name(&tp.topic).and_then(|t| {
                                let leader = t.partitions.get(tp.partition as usize)?.leader?;
                                let replica = Tp { topic: t.id, partition: tp.partition as u32 };
                                Some(world.broker(leader)?.partitions.get(&replica)?.log.high_watermark())
                            });
                            (tp.to_string(), v.offset, hw.map(|h| (h - v.offset).max(0)))
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(GroupView {
                name: name.to_string(),
                coordinator: *id,
                state: g.state.name(),
                generation: g.generation,
                protocol: g.protocol_name.clone(),
                leader: g.leader.as_deref().map(|l| g.client_of(l)),
                members: g
                    .members
                    .iter()
                    .map(|m| GroupMemberView {
                        member_id: m.id.clone(),
                        client: m.client_id.to_string(),
                        instance_id: m.instance_id.clone(),
                        assignment: if offsets {
                            m.assignment.iter().map(ToString::to_string).collect()
                        } else {
                            Vec::new()
                        },
                        joining: m.awaiting_join.is_some(),
                    })
                    .collect(),
                offsets: committed,
            });
        }
    }
    sort::sort_by(&mut out, |a, b| a.name.cmp(&b.name));
    out
}
