//! Admin calls a broker answers itself: `DeleteRecords`, on the partition's leader, and the consumer-group calls,
//! on the group's coordinator.

use super::admin::{AdminOp, AdminResult};
use super::broker::Broker;
use super::types::{ErrorCode, Tp};
use crate::engine::time::SimTime;
use crate::engine::Effects;

/// Handles an admin call sent to this broker.
pub fn handle(broker: &mut Broker, now: SimTime, op: &AdminOp, out: &mut Effects) -> AdminResult {
    if op.is_group_call() {
        return broker.group_admin(now, op, out);
    }
    match op {
        AdminOp::DeleteRecords { topic, partition, before_offset } => {
            delete_records(broker, topic, *partition, *before_offset)
        }
        other => AdminResult::err(
            ErrorCode::INVALID_CONFIG,
            format!("{} must be sent to the controller", other.name()),
        ),
    }
}

/// `DeleteRecords`: moves the leader's log start offset. Kafka refuses offsets beyond the high watermark
/// (`OFFSET_OUT_OF_RANGE`); -1 means "up to the high watermark". Followers follow on their next fetch.
fn delete_records(broker: &mut Broker, topic: &str, partition: u32, before: i64) -> AdminResult {
    let Some(t) = broker.image.topic_by_name(topic) else {
        return AdminResult::err(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, format!("no topic {topic}"));
    };
    let tp = Tp { topic: t.id, partition };
    let Some(p) = broker.partitions.get_mut(&tp).filter(|p| p.is_leader()) else {
        return AdminResult::err(
            ErrorCode::NOT_LEADER_OR_FOLLOWER,
            format!("broker {} does not lead {topic}-{partition}", broker.id),
        );
    };
    let hw = p.log.high_watermark();
    let target = if before < 0 { hw } else { before };
    if target > hw {
        return AdminResult::err(
            ErrorCode::OFFSET_OUT_OF_RANGE,
            format!("offset {target} is beyond the high watermark {hw} of {topic}-{partition}"),
        );
    }
    p.log.delete_records_before(target);
    AdminResult::ok(format!("log start offset of {topic}-{partition} is now {}", p.log.log_start_offset()))
}
