//! The admin client: sends the scenario's admin calls and reports their results in the trace.

use super::admin::{AdminOp, AdminResult};
use super::messages::Msg;
use super::types::ErrorCode;
use crate::engine::time::SimTime;
use crate::engine::trace::TraceKind;
use crate::engine::{Effects, Input, NodeId, Timer};
use std::collections::BTreeMap;

/// How long the admin client waits for an answer (`default.api.timeout.ms` is 60 s; requests time out at 30 s).
const ADMIN_TIMEOUT_MS: u64 = 30_000;

/// The admin client.
#[derive(Clone, Debug, Default)]
pub struct AdminClient {
    pending: BTreeMap<u64, AdminOp>,
    next_correlation: u64,
    /// Every result so far, in order (for expectations and the CLI).
    pub results: Vec<(SimTime, AdminOp, AdminResult)>,
}

impl AdminClient {
    /// Sends `op` to `to` (the controller, or a partition's leader).
    pub fn call(&mut self, now: SimTime, to: NodeId, op: AdminOp, out: &mut Effects) {
        self.next_correlation += 1;
        let correlation = self.next_correlation;
        self.pending.insert(correlation, op.clone());
        out.send(to, Msg::AdminRequest { correlation, op });
        out.timer(now.plus_ms(ADMIN_TIMEOUT_MS), Timer::RequestTimeout { correlation });
    }

    /// Reports a call that could not even be sent (no leader to send it to).
    pub fn fail_now(&mut self, now: SimTime, op: AdminOp, result: AdminResult, out: &mut Effects) {
        self.report(now, op, result, out);
    }

    /// The single entry point.
    pub fn handle(&mut self, now: SimTime, input: Input, out: &mut Effects) {
        match input {
            Input::Message { msg: Msg::AdminResponse { correlation, result }, .. } => {
                if let Some(op) = self.pending.remove(&correlation) {
                    self.report(now, op, result, out);
                }
            }
            Input::Timer(Timer::RequestTimeout { correlation }) => {
                if let Some(op) = self.pending.remove(&correlation) {
                    let result = AdminResult::err(ErrorCode::TIMEOUT, "no answer within 30 s");
                    self.report(now, op, result, out);
                }
            }
            _ => {}
        }
    }

    fn report(&mut self, now: SimTime, op: AdminOp, result: AdminResult, out: &mut Effects) {
        out.trace(TraceKind::Admin {
            op: op.name(),
            request: describe_request(&op),
            error: result.error,
            message: result.message.clone(),
        });
        self.results.push((now, op, result));
    }
}

fn describe_request(op: &AdminOp) -> String {
    match op {
        AdminOp::CreateTopics { name, partitions, replication_factor, .. } => {
            format!("{name} (partitions={partitions}, replication.factor={replication_factor})")
        }
        AdminOp::DeleteTopics { name } | AdminOp::DescribeConfigs { name } => name.clone(),
        AdminOp::CreatePartitions { name, total } => format!("{name} to {total} partitions"),
        AdminOp::DeleteRecords { topic, partition, before_offset } => {
            format!("{topic}-{partition} before offset {before_offset}")
        }
        AdminOp::IncrementalAlterConfigs { name, set, delete } => {
            let mut parts: Vec<String> = set
                .iter()
                .map(|(k, v)| format!("{k}={}", super::admin_controller::show_value(k, *v)))
                .collect();
            parts.extend(delete.iter().map(|k| format!("delete {k}")));
            format!("{name}: {}", parts.join(", "))
        }
        AdminOp::DescribeCluster | AdminOp::ListTopics => String::new(),
        AdminOp::DescribeTopics { names } => names.join(","),
        AdminOp::ElectLeaders { name } => name.clone().unwrap_or_else(|| "all topics".to_string()),
    }
}
