//! Every message that crosses the simulated network, named after the Kafka request it models.

use super::log::{Batch, EpochEndOffset};
use super::metadata::MetadataImage;
use super::types::{BrokerId, ErrorCode, LeaderEpoch, Offset, Tp};
use crate::kafka::admin::{AdminOp, AdminResult};
use crate::kafka::group::protocol::{GroupRequest, GroupResponse};
use std::rc::Rc;

/// `last` again if nobody else holds it any more, so that its allocation (and the vectors inside it) can be filled
/// anew; otherwise `fresh()`. A node that sends the same kind of message over and over (a fetcher its fetch, a
/// leader its fetch response) keeps the last one it sent; once the receiver has handled and dropped it, the node
/// reuses it instead of allocating. The receiver sees the same contents either way.
pub fn unshared_or<T>(last: Option<Rc<T>>, fresh: impl FnOnce() -> T) -> Rc<T> {
    match last {
        Some(rc) if Rc::strong_count(&rc) == 1 && Rc::weak_count(&rc) == 0 => rc,
        _ => Rc::new(fresh()),
    }
}

/// A request or response on the wire.
#[derive(Clone, Debug)]
pub enum Msg {
    /// Broker → controller: register after (re)start (`BrokerRegistration`).
    BrokerRegistration { broker: BrokerId, rack: Option<String>, incarnation: u64 },
    /// Broker → controller: liveness, and a request to shut down in a controlled way (`BrokerHeartbeat`).
    BrokerHeartbeat { broker: BrokerId, incarnation: u64, want_shutdown: bool },
    /// Controller → broker: heartbeat answer; `shutdown_ready` once its leadership has moved away.
    BrokerHeartbeatResponse { shutdown_ready: bool },
    /// Controller → broker: a new metadata image (the broker's replay of the metadata log).
    MetadataUpdate(Rc<MetadataImage>),
    /// Leader → controller: propose a new ISR (`AlterPartition`).
    AlterPartition {
        broker: BrokerId,
        tp: Tp,
        leader_epoch: LeaderEpoch,
        partition_epoch: i32,
        new_isr: Vec<BrokerId>,
    },
    /// Controller → leader: the committed ISR, or why not.
    AlterPartitionResponse { tp: Tp, result: Result<(LeaderEpoch, i32, Vec<BrokerId>), ErrorCode> },
    /// Follower or consumer → leader (`Fetch`).
    Fetch(Rc<FetchRequest>),
    /// Leader → fetcher.
    FetchResponse(Rc<FetchResponse>),
    /// Producer → leader (`Produce`), one partition per request.
    Produce(ProduceRequest),
    /// Leader → producer (nothing is sent for acks=0).
    ProduceResponse { correlation: u64, tp: Tp, result: Result<Offset, ErrorCode> },
    /// Client → any broker (`Metadata`).
    MetadataRequest { correlation: u64 },
    /// Broker → client: its current metadata image.
    MetadataResponse { correlation: u64, image: Rc<MetadataImage> },
    /// Admin client → controller or broker: an admin operation.
    AdminRequest { correlation: u64, op: AdminOp },
    /// The result of an admin operation.
    AdminResponse { correlation: u64, result: AdminResult },
    /// Consumer → broker: a group request (or ListOffsets).
    Group { correlation: u64, req: Box<GroupRequest> },
    /// Broker → consumer: its answer.
    GroupResponse { correlation: u64, resp: Box<GroupResponse> },
    /// Not a Kafka message: the client's connection to `broker` was reset (its process died, or it was down
    /// when the client tried to send). Requests in flight on it fail with a network error.
    Disconnected { broker: BrokerId },
}

impl Msg {
    /// Kafka's name for the message, for the trace.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::BrokerRegistration { .. } => "BrokerRegistration",
            Msg::BrokerHeartbeat { .. } => "BrokerHeartbeat",
            Msg::BrokerHeartbeatResponse { .. } => "BrokerHeartbeatResponse",
            Msg::MetadataUpdate(_) => "MetadataUpdate",
            Msg::AlterPartition { .. } => "AlterPartition",
            Msg::AlterPartitionResponse { .. } => "AlterPartitionResponse",
            Msg::Fetch(_) => "Fetch",
            Msg::FetchResponse(_) => "FetchResponse",
            Msg::Produce(_) => "Produce",
            Msg::ProduceResponse { .. } => "ProduceResponse",
            Msg::MetadataRequest { .. } => "Metadata",
            Msg::MetadataResponse { .. } => "MetadataResponse",
            Msg::AdminRequest { .. } => "AdminRequest",
            Msg::AdminResponse { .. } => "AdminResponse",
            Msg::Group { req, .. } => req.kind(),
            Msg::GroupResponse { resp, .. } => resp.kind(),
            Msg::Disconnected { .. } => "Disconnected",
        }
    }
}

/// A fetch of several partitions from one leader.
#[derive(Clone, Debug, Default)]
pub struct FetchRequest {
    /// Matches the response to the request.
    pub correlation: u64,
    /// The follower's broker id, or `None` for a consumer.
    pub replica: Option<BrokerId>,
    /// How long the leader may hold the fetch when there is less than `min_bytes` to return.
    pub max_wait_ms: u64,
    /// Bytes that make the leader answer at once.
    pub min_bytes: u32,
    /// Per-partition byte limit (the first batch is returned regardless, KIP-74).
    pub partition_max_bytes: u32,
    /// Byte limit of the whole response (`fetch.max.bytes`; the first non-empty partition's first batch is
    /// returned regardless, KIP-74).
    pub max_bytes: u32,
    /// The partitions.
    pub partitions: Vec<FetchPartition>,
}

/// One partition of a fetch.
#[derive(Clone, Copy, Debug)]
pub struct FetchPartition {
    /// The partition.
    pub tp: Tp,
    /// The next offset the fetcher wants.
    pub fetch_offset: Offset,
    /// The epoch of the last batch the fetcher has (KIP-320 divergence check), if any.
    pub last_fetched_epoch: Option<LeaderEpoch>,
    /// The leader epoch the fetcher believes is current (KIP-320 fencing).
    pub current_leader_epoch: LeaderEpoch,
}

/// The leader's answer to a fetch.
#[derive(Clone, Debug)]
pub struct FetchResponse {
    /// The request's correlation id.
    pub correlation: u64,
    /// Per-partition results.
    pub partitions: Vec<FetchPartitionResponse>,
}

/// One partition of a fetch response.
#[derive(Clone, Debug)]
pub struct FetchPartitionResponse {
    /// The partition.
    pub tp: Tp,
    /// Error, if any: then no records.
    pub error: Option<ErrorCode>,
    /// The leader's high watermark.
    pub high_watermark: Offset,
    /// The leader's log start offset.
    pub log_start_offset: Offset,
    /// The leader's log end offset (a follower that asked beyond it truncates to it).
    pub log_end_offset: Offset,
    /// Set when the fetcher's log diverges from the leader's: truncate first (KIP-320).
    pub diverging_epoch: Option<EpochEndOffset>,
    /// The batches.
    pub batches: Vec<Rc<Batch>>,
}

/// A produce request for one partition.
#[derive(Clone, Debug)]
pub struct ProduceRequest {
    /// Matches the response.
    pub correlation: u64,
    /// `acks`: 0, 1 or -1 (all).
    pub acks: i16,
    /// How long the leader waits for replication when acks=all (`request.timeout.ms` as sent by the client).
    pub timeout_ms: u64,
    /// The partition.
    pub tp: Tp,
    /// The batch; its base offset and epoch are set by the leader on append. Shared, so that the leader's log
    /// keeps the very batch that was sent instead of a copy (it is copied only if someone else holds it too,
    /// e.g. when the network duplicated the request).
    pub batch: Rc<Batch>,
}
