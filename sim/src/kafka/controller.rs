//! The active KRaft controller (`QuorumController`, `ClusterControlManager`, `ReplicationControlManager`):
//! broker registration and heartbeats, fencing after `broker.session.timeout.ms`, leader election, ISR changes
//! (AlterPartition), controlled shutdown, preferred-leader balancing, and topic admin calls. It publishes every
//! change as a new metadata image to all registered brokers.

use super::admin::{AdminOp, AdminResult};
use super::config::BrokerConfig;
use super::election::{elect_leader, preferred_election, Election};
use super::messages::Msg;
use super::metadata::{BrokerMeta, MetadataImage, PartitionMeta, TopicMeta};
use super::types::{BrokerId, ErrorCode, LeaderEpoch, TopicId, Tp};
use crate::engine::time::SimTime;
use crate::engine::trace::{ElectionKind, TraceKind};
use crate::engine::vec_map::VecMap;
use crate::engine::{Effects, Input, NodeId, Timer};
use rand_chacha::ChaCha8Rng;
use std::rc::Rc;

/// A broker's registration.
#[derive(Clone, Copy, Debug)]
struct Registration {
    incarnation: u64,
    last_heartbeat: SimTime,
}

/// The controller.
#[derive(Clone, Debug)]
pub struct Controller {
    /// The metadata it owns (the next image to publish).
    pub image: MetadataImage,
    pub(crate) config: Rc<BrokerConfig>,
    registrations: VecMap<BrokerId, Registration>,
    next_topic_id: u32,
    /// The placement stream: Kafka draws replica placement start indexes at random.
    pub(crate) rng: ChaCha8Rng,
    published: Rc<MetadataImage>,
    dirty: bool,
}

impl Controller {
    /// A controller with the broker configs of the cluster.
    pub fn new(config: Rc<BrokerConfig>, rng: ChaCha8Rng) -> Self {
        Self {
            image: MetadataImage::default(),
            config,
            registrations: VecMap::new(),
            next_topic_id: 0,
            rng,
            published: Rc::new(MetadataImage::default()),
            dirty: false,
        }
    }

    /// The last image sent to brokers.
    pub fn published(&self) -> &Rc<MetadataImage> {
        &self.published
    }

    /// Registers the brokers the scenario starts with, as if the cluster had been running (no fencing delay).
    pub fn bootstrap_broker(&mut self, id: BrokerId, rack: Option<String>, incarnation: u64) {
        self.registrations.insert(id, Registration { incarnation, last_heartbeat: SimTime::ZERO });
        self.image.brokers.insert(id, BrokerMeta { id, rack, fenced: false, shutting_down: false });
    }

    /// Starts the periodic checks.
    pub fn start(&mut self, now: SimTime, out: &mut Effects) {
        let interval_s = self.config.get("leader.imbalance.check.interval.seconds").max(1) as u64;
        out.timer(now.plus_ms(interval_s * 1000), Timer::LeaderImbalanceCheck);
        let timeout = self.config.ms("broker.session.timeout.ms");
        out.timer(now.plus_ms(timeout), Timer::SessionCheck);
        self.publish(out);
    }

    /// The single entry point.
    pub fn handle(&mut self, now: SimTime, input: Input, out: &mut Effects) {
        match input {
            Input::Message { from, msg } => self.on_message(now, from, msg, out),
            Input::Timer(Timer::SessionCheck) => self.check_sessions(now, out),
            Input::Timer(Timer::LeaderImbalanceCheck) => {
                if self.config.flag("auto.leader.rebalance.enable") {
                    self.balance_leaders(out);
                }
                let interval_s = self.config.get("leader.imbalance.check.interval.seconds").max(1) as u64;
                out.timer(now.plus_ms(interval_s * 1000), Timer::LeaderImbalanceCheck);
            }
            Input::Timer(_) => {}
        }
        self.publish(out);
    }

    fn on_message(&mut self, now: SimTime, from: NodeId, msg: Msg, out: &mut Effects) {
        match msg {
            Msg::BrokerRegistration { broker, rack, incarnation } => {
                self.register(now, broker, rack, incarnation, out)
            }
            Msg::BrokerHeartbeat { broker, incarnation, want_shutdown } => {
                self.heartbeat(now, from, broker, incarnation, want_shutdown, out)
            }
            Msg::AlterPartition { broker, tp, leader_epoch, partition_epoch, new_isr } => {
                let result = self.alter_partition(broker, tp, leader_epoch, partition_epoch, new_isr, out);
                out.send(from, Msg::AlterPartitionResponse { tp, result });
            }
            Msg::AdminRequest { correlation, op } => {
                let result = self.admin(&op, out);
                out.send(from, Msg::AdminResponse { correlation, result });
            }
            _ => {}
        }
    }

    /// Sends the image to every registered broker if anything changed since the last publish.
    fn publish(&mut self, out: &mut Effects) {
        if !self.dirty && self.published.version != 0 {
            return;
        }
        self.dirty = false;
        self.image.version += 1;
        self.published = Rc::new(self.image.clone());
        for b in self.registrations.keys() {
            out.send(NodeId::Broker(*b), Msg::MetadataUpdate(Rc::clone(&self.published)));
        }
    }

    fn changed(&mut self) {
        self.dirty = true;
    }

    // ---- Registration, heartbeats, fencing ----

    fn register(
        &mut self,
        now: SimTime,
        broker: BrokerId,
        rack: Option<String>,
        incarnation: u64,
        out: &mut Effects,
    ) {
        match self.registrations.get(&broker) {
            Some(r) if r.incarnation == incarnation => {
                // A repeated registration of the same process: just resend the metadata.
                out.send(NodeId::Broker(broker), Msg::MetadataUpdate(Rc::clone(&self.published)));
                return;
            }
            Some(_) if !self.image.brokers[&broker].fenced => {
                // A new process of a broker still registered: the old one is gone, fence it first.
                self.fence(broker, "it restarted (new incarnation) before its session expired", out);
            }
            _ => {}
        }
        self.registrations.insert(broker, Registration { incarnation, last_heartbeat: now });
        // A new registration starts fenced; the first heartbeat unfences it (it has caught up with metadata).
        self.image
            .brokers
            .insert(broker, BrokerMeta { id: broker, rack, fenced: true, shutting_down: false });
        out.trace(TraceKind::BrokerRegistered { broker });
        self.changed();
        self.dirty = true;
        self.publish(out);
    }

    fn heartbeat(
        &mut self,
        now: SimTime,
        from: NodeId,
        broker: BrokerId,
        incarnation: u64,
        want_shutdown: bool,
        out: &mut Effects,
    ) {
        let Some(reg) = self.registrations.get_mut(&broker) else {
            return;
        };
        if reg.incarnation != incarnation {
            return;
        }
        reg.last_heartbeat = now;
        out.timer(now.plus_ms(self.config.ms("broker.session.timeout.ms")), Timer::SessionCheck);
        let meta = self.image.brokers.get(&broker).cloned();
        if let Some(meta) = meta {
            if want_shutdown && !meta.shutting_down {
                self.controlled_shutdown(broker, out);
            } else if meta.fenced && !meta.shutting_down && !want_shutdown {
                self.unfence(broker, out);
            }
        }
        let leads_nothing = self.image.partitions().all(|(_, p)| p.leader != Some(broker));
        if want_shutdown && leads_nothing && self.image.brokers.get(&broker).is_some_and(|b| !b.fenced) {
            // The broker may stop now; it is fenced until it registers again.
            if let Some(m) = self.image.brokers.get_mut(&broker) {
                m.fenced = true;
            }
            out.trace(TraceKind::BrokerFenced {
                broker,
                reason: "its controlled shutdown is complete".to_string(),
            });
            self.changed();
        }
        out.send(from, Msg::BrokerHeartbeatResponse { shutdown_ready: want_shutdown && leads_nothing });
    }

    fn check_sessions(&mut self, now: SimTime, out: &mut Effects) {
        let timeout_us = self.config.ms("broker.session.timeout.ms") * 1000;
        let expired: Vec<BrokerId> = self
            .registrations
            .iter()
            .filter(|(b, r)| now.since(r.last_heartbeat) >= timeout_us && !self.image.brokers[b].fenced)
            .map(|(b, _)| *b)
            .collect();
        for b in expired {
            let ms = timeout_us / 1000;
            self.fence(b, &format!("no heartbeat for {ms} ms (broker.session.timeout.ms)"), out);
        }
    }

    fn unfence(&mut self, broker: BrokerId, out: &mut Effects) {
        if let Some(m) = self.image.brokers.get_mut(&broker) {
            m.fenced = false;
        }
        out.trace(TraceKind::BrokerUnfenced { broker });
        self.changed();
        // Offline partitions this broker can now lead (it is the last ISR member, or unclean is allowed).
        self.elect_where_needed(None, out);
    }

    /// Fences a broker: it leads nothing and leaves every ISR it is not the last member of.
    fn fence(&mut self, broker: BrokerId, reason: &str, out: &mut Effects) {
        if let Some(m) = self.image.brokers.get_mut(&broker) {
            m.fenced = true;
        }
        out.trace(TraceKind::BrokerFenced { broker, reason: reason.to_string() });
        self.changed();
        self.move_away_from(broker, "its broker was fenced", out);
    }

    /// Controlled shutdown: move leadership away first, then let the broker stop.
    fn controlled_shutdown(&mut self, broker: BrokerId, out: &mut Effects) {
        if let Some(m) = self.image.brokers.get_mut(&broker) {
            m.shutting_down = true;
        }
        out.trace(TraceKind::ControlledShutdown { broker });
        self.changed();
        self.move_away_from(broker, "its broker is shutting down", out);
    }

    fn move_away_from(&mut self, broker: BrokerId, why: &str, out: &mut Effects) {
        let tps: Vec<Tp> =
            self.image.partitions().filter(|(_, p)| p.replicas.contains(&broker)).map(|(t, _)| t).collect();
        for tp in tps {
            let p = self.image.partition(tp).expect("listed").clone();
            if p.leader == Some(broker) {
                self.elect(tp, Some(broker), out);
            } else if p.isr.contains(&broker) && p.isr.len() > 1 {
                let isr: Vec<BrokerId> = p.isr.iter().copied().filter(|b| *b != broker).collect();
                self.set_isr(tp, isr, why, out);
            }
        }
    }

    // ---- Elections ----

    /// Runs the election for one partition and applies the outcome.
    fn elect(&mut self, tp: Tp, excluded: Option<BrokerId>, out: &mut Effects) {
        let unclean = self.unclean_enabled(tp.topic);
        let p = self.image.partition(tp).expect("partition exists").clone();
        match elect_leader(&p, &self.image, unclean, excluded) {
            Election::Unchanged => {}
            Election::Elect { leader, isr, kind } => self.set_leader(tp, leader, isr, kind, out),
            Election::Offline => {
                // Without ELR the last ISR member is never removed: it can lead cleanly when it returns.
                let mut isr: Vec<BrokerId> = p.isr.iter().copied().filter(|b| Some(*b) != excluded).collect();
                if isr.is_empty() {
                    isr = p.isr.clone();
                }
                if p.leader.is_none() && isr == p.isr {
                    return;
                }
                let name = self.image.tp_name(tp);
                let m = self.partition_mut(tp);
                m.leader = None;
                m.leader_epoch += 1;
                m.partition_epoch += 1;
                m.isr = isr.clone();
                let leader_epoch = m.leader_epoch;
                out.trace(TraceKind::PartitionOffline {
                    partition: name,
                    leader_epoch,
                    isr,
                    unclean_enabled: unclean,
                });
                self.changed();
            }
        }
    }

    fn set_leader(
        &mut self,
        tp: Tp,
        leader: BrokerId,
        isr: Vec<BrokerId>,
        kind: ElectionKind,
        out: &mut Effects,
    ) {
        let name = self.image.tp_name(tp);
        let m = self.partition_mut(tp);
        let previous_leader = m.leader;
        m.leader = Some(leader);
        m.leader_epoch += 1;
        m.partition_epoch += 1;
        m.isr = isr.clone();
        m.recovering = kind == ElectionKind::Unclean;
        let leader_epoch: LeaderEpoch = m.leader_epoch;
        out.trace(TraceKind::LeaderElected {
            partition: name,
            leader,
            leader_epoch,
            election: kind,
            isr,
            previous_leader,
        });
        self.changed();
    }

    /// Elects leaders for every leaderless partition that now has a candidate.
    fn elect_where_needed(&mut self, excluded: Option<BrokerId>, out: &mut Effects) {
        let tps: Vec<Tp> =
            self.image.partitions().filter(|(_, p)| p.leader.is_none()).map(|(t, _)| t).collect();
        for tp in tps {
            self.elect(tp, excluded, out);
        }
    }

    /// KRaft's `maybeBalancePartitionLeaders`: move leadership back to preferred replicas in the ISR.
    fn balance_leaders(&mut self, out: &mut Effects) {
        let moves: Vec<(Tp, BrokerId)> = self
            .image
            .partitions()
            .filter_map(|(tp, p)| preferred_election(p, &self.image).map(|b| (tp, b)))
            .collect();
        for (tp, preferred) in moves {
            let isr = self.image.partition(tp).expect("listed").isr.clone();
            self.set_leader(tp, preferred, isr, ElectionKind::Preferred, out);
        }
    }

    fn unclean_enabled(&self, topic: TopicId) -> bool {
        self.image.topics.get(&topic).is_some_and(|t| t.config.unclean_leader_election(&self.config))
    }

    fn partition_mut(&mut self, tp: Tp) -> &mut PartitionMeta {
        self.image
            .topics
            .get_mut(&tp.topic)
            .and_then(|t| t.partitions.get_mut(tp.partition as usize))
            .expect("partition exists")
    }

    // ---- ISR ----

    fn set_isr(&mut self, tp: Tp, isr: Vec<BrokerId>, reason: &str, out: &mut Effects) {
        let name = self.image.tp_name(tp);
        let m = self.partition_mut(tp);
        let previous = std::mem::replace(&mut m.isr, isr.clone());
        m.partition_epoch += 1;
        out.trace(TraceKind::IsrChanged { partition: name, isr, previous, reason: reason.to_string() });
        self.changed();
    }

    /// `AlterPartition` from a leader: accepted only from the current leader in its current epochs, and only
    /// if every added replica's broker may join an ISR (unfenced, not shutting down).
    fn alter_partition(
        &mut self,
        broker: BrokerId,
        tp: Tp,
        leader_epoch: LeaderEpoch,
        partition_epoch: i32,
        new_isr: Vec<BrokerId>,
        out: &mut Effects,
    ) -> Result<(LeaderEpoch, i32, Vec<BrokerId>), ErrorCode> {
        let p = self.image.partition(tp).ok_or(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)?.clone();
        if p.leader != Some(broker) || p.leader_epoch != leader_epoch {
            return Err(ErrorCode::FENCED_LEADER_EPOCH);
        }
        if p.partition_epoch != partition_epoch {
            return Err(ErrorCode::FENCED_LEADER_EPOCH);
        }
        let added: Vec<BrokerId> = new_isr.iter().copied().filter(|b| !p.isr.contains(b)).collect();
        if added.iter().any(|b| !self.image.is_broker_eligible(*b)) || new_isr.is_empty() {
            return Err(ErrorCode::INVALID_CONFIG);
        }
        let reason = if added.is_empty() {
            let removed: Vec<String> =
                p.isr.iter().filter(|b| !new_isr.contains(b)).map(|b| b.0.to_string()).collect();
            let lag = self.config.ms("replica.lag.time.max.ms");
            format!(
                "leader {broker} removes [{}]: not caught up for {lag} ms (replica.lag.time.max.ms)",
                removed.join(",")
            )
        } else {
            let added: Vec<String> = added.iter().map(|b| b.0.to_string()).collect();
            format!(
                "leader {broker} adds [{}]: caught up to the high watermark and the start of epoch {leader_epoch}",
                added.join(",")
            )
        };
        self.set_isr(tp, new_isr, &reason, out);
        let m = self.image.partition(tp).expect("exists");
        Ok((m.leader_epoch, m.partition_epoch, m.isr.clone()))
    }

    // ---- Admin ----

    fn admin(&mut self, op: &AdminOp, out: &mut Effects) -> AdminResult {
        super::admin_controller::handle(self, op, out)
    }

    /// Allocates the next topic id.
    pub(crate) fn next_topic_id(&mut self) -> TopicId {
        let id = TopicId(self.next_topic_id);
        self.next_topic_id += 1;
        id
    }

    /// Adds a topic with its placement; the first replica of each partition leads, every replica in the ISR.
    pub(crate) fn add_topic(
        &mut self,
        name: &str,
        assignment: Vec<Vec<BrokerId>>,
        config: super::config::TopicConfig,
    ) -> TopicId {
        let id = self.next_topic_id();
        let partitions = assignment.into_iter().map(new_partition).collect();
        self.image.topics.insert(id, TopicMeta { id, name: name.to_string(), partitions, config });
        self.changed();
        id
    }

    /// Adds partitions to a topic.
    pub(crate) fn extend_topic(&mut self, id: TopicId, assignment: Vec<Vec<BrokerId>>) {
        if let Some(t) = self.image.topics.get_mut(&id) {
            t.partitions.extend(assignment.into_iter().map(new_partition));
        }
        self.changed();
    }

    /// Removes a topic.
    pub(crate) fn remove_topic(&mut self, id: TopicId) {
        self.image.topics.remove(&id);
        self.changed();
    }

    /// After a topic config change: partitions offline that may now elect (unclean just enabled).
    pub(crate) fn after_config_change(&mut self, id: TopicId, out: &mut Effects) {
        self.changed();
        let tps: Vec<Tp> = self
            .image
            .partitions()
            .filter(|(tp, p)| tp.topic == id && p.leader.is_none())
            .map(|(t, _)| t)
            .collect();
        for tp in tps {
            self.elect(tp, None, out);
        }
    }

    /// ElectLeaders (PREFERRED) for one topic or all.
    pub(crate) fn elect_preferred(&mut self, topic: Option<TopicId>, out: &mut Effects) -> usize {
        let moves: Vec<(Tp, BrokerId)> = self
            .image
            .partitions()
            .filter(|(tp, _)| topic.is_none_or(|t| t == tp.topic))
            .filter_map(|(tp, p)| preferred_election(p, &self.image).map(|b| (tp, b)))
            .collect();
        let n = moves.len();
        for (tp, preferred) in moves {
            let isr = self.image.partition(tp).expect("listed").isr.clone();
            self.set_leader(tp, preferred, isr, ElectionKind::Preferred, out);
        }
        n
    }

    /// Brokers that are registered and unfenced, sorted by id, with racks: the placement candidates.
    pub(crate) fn usable_brokers(&self) -> Vec<(BrokerId, Option<String>)> {
        self.image
            .brokers
            .values()
            .filter(|b| !b.fenced && !b.shutting_down)
            .map(|b| (b.id, b.rack.clone()))
            .collect()
    }
}

fn new_partition(replicas: Vec<BrokerId>) -> PartitionMeta {
    PartitionMeta {
        leader: replicas.first().copied(),
        isr: replicas.clone(),
        replicas,
        leader_epoch: 0,
        partition_epoch: 0,
        recovering: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trace::TraceLevel;
    use crate::kafka::config::{BrokerConfig, TopicConfig};
    use rand_core::SeedableRng;

    fn controller() -> Controller {
        let mut c = Controller::new(Rc::new(BrokerConfig::default()), ChaCha8Rng::seed_from_u64(1));
        for b in 1..=3 {
            c.bootstrap_broker(BrokerId(b), None, 1);
        }
        c.add_topic("t", vec![vec![BrokerId(1), BrokerId(2), BrokerId(3)]], TopicConfig::default());
        c
    }

    fn heartbeat(c: &mut Controller, at_ms: u64, broker: i32, out: &mut Effects) {
        let msg = Msg::BrokerHeartbeat { broker: BrokerId(broker), incarnation: 1, want_shutdown: false };
        c.handle(
            SimTime::from_ms(at_ms),
            Input::Message { from: NodeId::Broker(BrokerId(broker)), msg },
            out,
        );
    }

    #[test]
    fn a_silent_broker_is_fenced_and_its_leadership_moves_to_the_first_live_isr_replica() {
        let mut c = controller();
        let mut out = Effects::new(TraceLevel::Summary);
        c.start(SimTime::ZERO, &mut out);
        for b in 2..=3 {
            heartbeat(&mut c, 8_000, b, &mut out);
        }
        let mut out = Effects::new(TraceLevel::Summary);
        c.handle(SimTime::from_ms(9_000), Input::Timer(Timer::SessionCheck), &mut out);
        let tp = Tp { topic: TopicId(0), partition: 0 };
        let p = c.image.partition(tp).unwrap();
        assert_eq!(p.leader, Some(BrokerId(2)));
        assert_eq!(p.isr, vec![BrokerId(2), BrokerId(3)]);
        assert_eq!(p.leader_epoch, 1);
        let kinds: Vec<&str> = out.trace.iter().map(|t| t.name()).collect();
        assert_eq!(kinds, vec!["BrokerFenced", "LeaderElected"]);
        // The new image goes to every registered broker, fenced ones included.
        let updates: Vec<NodeId> = out
            .sends
            .iter()
            .filter(|(_, m, _)| matches!(m, Msg::MetadataUpdate(_)))
            .map(|(to, _, _)| *to)
            .collect();
        assert_eq!(
            updates,
            vec![NodeId::Broker(BrokerId(1)), NodeId::Broker(BrokerId(2)), NodeId::Broker(BrokerId(3))]
        );
    }

    #[test]
    fn alter_partition_from_a_stale_epoch_is_refused() {
        let mut c = controller();
        let mut out = Effects::new(TraceLevel::Summary);
        let tp = Tp { topic: TopicId(0), partition: 0 };
        let msg = Msg::AlterPartition {
            broker: BrokerId(1),
            tp,
            leader_epoch: 0,
            partition_epoch: 7,
            new_isr: vec![BrokerId(1)],
        };
        c.handle(SimTime::ZERO, Input::Message { from: NodeId::Broker(BrokerId(1)), msg }, &mut out);
        let answer = out.sends.iter().find_map(|(_, m, _)| match m {
            Msg::AlterPartitionResponse { result, .. } => Some(result.clone()),
            _ => None,
        });
        assert_eq!(answer, Some(Err(ErrorCode::FENCED_LEADER_EPOCH)));
        assert_eq!(c.image.partition(tp).unwrap().isr.len(), 3, "the ISR is unchanged");
    }
}
