//! The world: every node, the network, the event queue, the RNG streams and the trace. One [`World::step`] pops
//! exactly one event, hands it to its node and turns the node's effects into future events.

use super::action::{Action, ConsumerOp, Liveness, TimedAction};
use super::network::{Delivery, Network};
use super::node_table::NodeTable;
use super::queue::EventQueue;
use super::rng::{RngStreams, Stream};
use super::time::SimTime;
use super::trace::{Trace, TraceEvent, TraceKind, TraceLevel};
use super::{Effects, Input, NodeId, Timer};
use crate::engine::vec_map::VecMap;
use crate::kafka::admin::AdminOp;
use crate::kafka::admin_client::AdminClient;
use crate::kafka::broker::{Broker, BrokerStorage};
use crate::kafka::config::BrokerConfig;
use crate::kafka::consumer::Consumer;
use crate::kafka::controller::Controller;
use crate::kafka::messages::Msg;
use crate::kafka::producer::Producer;
use crate::kafka::types::{BrokerId, ClientId};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::rc::Rc;

/// A scheduled event.
#[derive(Clone, Debug)]
enum Event {
    /// A message arrives. `incarnation` is the destination's at send time: a message sent to a process that
    /// has since restarted belonged to a dead connection and is dropped.
    Deliver { from: NodeId, to: NodeId, incarnation: u64, msg: Msg },
    /// A node's timer fires (timers die with the process that set them).
    Timer { node: NodeId, incarnation: u64, timer: Timer },
    /// A timeline action (index into the world's actions).
    Action(usize),
}

/// A broker's process slot.
#[derive(Clone, Debug)]
pub enum BrokerSlot {
    /// Running.
    Up(Box<Broker>),
    /// Not running; its disk.
    Down { storage: BrokerStorage, stopped_cleanly: bool },
}

/// A client node.
#[derive(Clone, Debug)]
pub enum Client {
    /// A producer.
    Producer(Box<Producer>),
    /// The admin client.
    Admin(AdminClient),
    /// A consumer.
    Consumer(Box<Consumer>),
}

/// Per-node lifecycle bookkeeping.
#[derive(Debug, Default, Clone)]
struct Lifecycle {
    incarnation: u64,
    paused: bool,
    deferred: Vec<Event>,
}

pub use crate::kafka::consumer::ConsumerSpec;

/// The name the admin client has in traces.
pub const ADMIN_NAME: &str = "admin";

/// The whole simulated cluster.
/// Cloning a world is a checkpoint: the clone continues exactly as the original would (the browser steps back
/// by restoring one).
#[derive(Clone, Debug)]
pub struct World {
    now: SimTime,
    step: u64,
    queue: EventQueue<Event>,
    rng: RngStreams,
    /// The network.
    pub network: Network,
    trace: Trace,
    /// The cluster's broker configs.
    pub config: Rc<BrokerConfig>,
    /// The controller.
    pub controller: Controller,
    /// The brokers.
    pub brokers: VecMap<BrokerId, BrokerSlot>,
    racks: VecMap<BrokerId, Option<String>>,
    /// Clients by id; names in `client_names`.
    pub clients: Vec<Client>,
    /// Client names, by id.
    pub client_names: Vec<String>,
    /// Looked up several times per event, so found by index rather than searched.
    lifecycle: NodeTable<Lifecycle>,
    actions: Vec<TimedAction>,
    seed: u64,
    /// Effect buffers reused by every dispatch (taken out while a node fills them).
    scratch: Option<Effects>,
    /// What changed since the checkers last looked.
    touched: Touched,
}

/// What the steps since the checkers last looked may have changed. A step hands one input to one node, and only
/// that node's state changes, so a checker of the replicas looks again only at the partitions of the broker that
/// stepped (on a 300-partition cluster, looking at every partition after every step made the checkers most of
/// the run). Actions (faults, injections) and anything done to the world from outside a step count as
/// `Everything`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touched {
    /// No node's state changed.
    Nothing,
    /// Only this node's state changed.
    Node(NodeId),
    /// Anything may have changed.
    Everything,
}

impl World {
    /// An empty world: no brokers yet, the controller, the admin client (client 0).
    pub fn new(seed: u64, config: BrokerConfig, level: TraceLevel) -> Self {
        let mut rng = RngStreams::new(seed);
        let placement = ChaCha8Rng::seed_from_u64(rng.get(Stream::Placement).next_u64());
        let config = Rc::new(config);
        let mut lifecycle = NodeTable::new();
        lifecycle.insert(NodeId::Controller, Lifecycle { incarnation: 1, ..Lifecycle::default() });
        lifecycle.insert(NodeId::Client(ClientId(0)), Lifecycle { incarnation: 1, ..Lifecycle::default() });
        Self {
            now: SimTime::ZERO,
            step: 0,
            queue: EventQueue::default(),
            rng,
            network: Network::default(),
            trace: Trace::new(level),
            controller: Controller::new(Rc::clone(&config), placement),
            config,
            brokers: VecMap::new(),
            racks: VecMap::new(),
            clients: vec![Client::Admin(AdminClient::default())],
            client_names: vec![ADMIN_NAME.to_string()],
            lifecycle,
            actions: Vec::new(),
            seed,
            scratch: Some(Effects::new(level)),
            touched: Touched::Everything,
        }
    }

    /// What changed since [`World::clear_touched`] was last called.
    pub fn touched(&self) -> Touched {
        self.touched
    }

    /// Makes the checkers look at everything after the next step (the test that incremental checking finds
    /// what checking everything after every step finds uses it).
    pub fn touch_everything(&mut self) {
        self.touched = Touched::Everything;
    }

    /// The checkers have looked at what changed.
    pub fn clear_touched(&mut self) {
        self.touched = Touched::Nothing;
    }

    fn touch(&mut self, node: NodeId) {
        self.touched = match self.touched {
            Touched::Nothing => Touched::Node(node),
            Touched::Node(n) if n == node => Touched::Node(n),
            _ => Touched::Everything,
        };
    }

    /// One of the world's random streams (the explorer draws its faults from [`Stream::Faults`]).
    pub fn rng(&mut self, stream: Stream) -> &mut ChaCha8Rng {
        self.rng.get(stream)
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events handled so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Swaps the trace for `trace` and returns the old one. The explorer's checkpoints are clones of a world
    /// whose trace was swapped out for an empty one, so that each checkpoint does not copy the whole trace.
    pub fn replace_trace(&mut self, trace: Trace) -> Trace {
        std::mem::replace(&mut self.trace, trace)
    }

    /// Adds a broker that is part of the cluster from the start (registered, unfenced).
    pub fn add_broker(&mut self, id: BrokerId, rack: Option<String>) {
        self.touched = Touched::Everything;
        self.controller.bootstrap_broker(id, rack.clone(), 1);
        self.racks.insert(id, rack.clone());
        let broker = Broker::new(id, rack, 1, Rc::clone(&self.config), BrokerStorage::default());
        self.brokers.insert(id, BrokerSlot::Up(Box::new(broker)));
        self.lifecycle.insert(NodeId::Broker(id), Lifecycle { incarnation: 1, ..Lifecycle::default() });
    }

    /// Adds a producer; returns its id.
    pub fn add_producer(
        &mut self,
        name: &str,
        config: crate::kafka::producer_config::ProducerConfig,
    ) -> ClientId {
        let id = ClientId(self.clients.len() as u32);
        let rng = ChaCha8Rng::seed_from_u64(self.rng.get(Stream::Workload).next_u64());
        let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
        self.clients.push(Client::Producer(Box::new(Producer::new(
            id,
            name.to_string(),
            config,
            bootstrap,
            rng,
        ))));
        self.client_names.push(name.to_string());
        self.lifecycle.insert(NodeId::Client(id), Lifecycle { incarnation: 1, ..Lifecycle::default() });
        id
    }

    /// Adds a consumer (it starts when the timeline starts it); returns its id.
    pub fn add_consumer(&mut self, name: &str, spec: ConsumerSpec) -> ClientId {
        self.touched = Touched::Everything;
        let id = ClientId(self.clients.len() as u32);
        let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let seed = self.rng.get(Stream::Workload).next_u64();
        let c = Consumer::new(id, name, spec, bootstrap, seed);
        self.clients.push(Client::Consumer(Box::new(c)));
        self.client_names.push(name.to_string());
        self.lifecycle.insert(NodeId::Client(id), Lifecycle { incarnation: 1, ..Lifecycle::default() });
        id
    }

    /// The consumer with this id.
    pub fn consumer(&self, id: ClientId) -> Option<&Consumer> {
        match self.clients.get(id.0 as usize) {
            Some(Client::Consumer(c)) => Some(c),
            _ => None,
        }
    }

    /// Every consumer.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> + '_ {
        self.clients.iter().filter_map(|c| match c {
            Client::Consumer(c) => Some(c.as_ref()),
            _ => None,
        })
    }

    fn consumer_action(&mut self, name: &str, what: ConsumerOp) {
        let Some(id) = self.client_id(name) else { return };
        let node = NodeId::Client(id);
        let now = self.now;
        let mut out = self.effects();
        // A consumer started again after close() is a new client instance: nothing of the closed one carries over.
        let closed = matches!(&self.clients[id.0 as usize], Client::Consumer(c) if c.started && !c.is_running() && !c.crashed);
        if matches!(what, ConsumerOp::Crash | ConsumerOp::Restart)
            || (closed && matches!(what, ConsumerOp::Start))
        {
            // The process dies: in-memory state, timers and connections go with it (no LeaveGroup is sent).
            if let Some(l) = self.node_state(node) {
                l.incarnation += 1;
                l.paused = false;
                l.deferred.clear();
            }
            if let Client::Consumer(c) = &mut self.clients[id.0 as usize] {
                if matches!(what, ConsumerOp::Crash) && c.is_running() {
                    let kind = TraceKind::ConsumerCrashed {
                        consumer: name.to_string(),
                        group: c.group.as_deref().unwrap_or("").to_string(),
                    };
                    let mut fresh = c.fresh();
                    fresh.crashed = true;
                    **c = fresh;
                    self.record(kind);
                } else {
                    let fresh = c.fresh();
                    **c = fresh;
                }
            }
        }
        if let Client::Consumer(c) = &mut self.clients[id.0 as usize] {
            match what {
                ConsumerOp::Start | ConsumerOp::Restart => c.start(now, &mut out),
                ConsumerOp::Stop => c.close(now, &mut out),
                ConsumerOp::Crash => {}
                ConsumerOp::Seek { topic, partition, offset } => {
                    c.seek(now, &topic, partition, offset, &mut out)
                }
            }
        }
        self.apply_effects(node, out);
    }

    /// The id of the client with this name.
    pub fn client_id(&self, name: &str) -> Option<ClientId> {
        self.client_names.iter().position(|n| n == name).map(|i| ClientId(i as u32))
    }

    /// The admin client.
    pub fn admin(&self) -> &AdminClient {
        match &self.clients[0] {
            Client::Admin(a) => a,
            _ => unreachable!("client 0 is the admin client"),
        }
    }

    /// Schedules a timeline action.
    pub fn schedule(&mut self, action: TimedAction) {
        let at = SimTime::from_ms(action.at_ms);
        self.actions.push(action);
        self.queue.push(at, Event::Action(self.actions.len() - 1));
    }

    /// Starts every node (call once, after adding nodes and before stepping).
    pub fn start(&mut self) {
        self.touched = Touched::Everything;
        let mut out = self.effects();
        self.controller.start(self.now, &mut out);
        self.apply_effects(NodeId::Controller, out);
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        for id in ids {
            self.start_broker(id);
        }
        for i in 1..self.clients.len() {
            let mut out = self.effects();
            if let Client::Producer(p) = &mut self.clients[i] {
                p.start(self.now, &mut out);
            }
            self.apply_effects(NodeId::Client(ClientId(i as u32)), out);
        }
    }

    fn start_broker(&mut self, id: BrokerId) {
        let mut out = self.effects();
        if let Some(BrokerSlot::Up(b)) = self.brokers.get_mut(&id) {
            b.start(self.now, &mut out);
        }
        self.apply_effects(NodeId::Broker(id), out);
    }

    fn effects(&self) -> Effects {
        Effects::new(self.trace.level())
    }

    /// When the next event is due.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Handles exactly one event. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some((at, event)) = self.queue.pop() else {
            return false;
        };
        self.now = at;
        self.step += 1;
        match event {
            Event::Deliver { from, to, incarnation, msg } => self.deliver(from, to, incarnation, msg),
            Event::Timer { node, incarnation, timer } => self.fire(node, incarnation, timer),
            Event::Action(i) => self.run_action(i),
        }
        true
    }

    /// Steps until the next event is after `until` (events at `until` are handled).
    pub fn run_until(&mut self, until: SimTime) {
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            self.step();
        }
        if self.now < until {
            self.now = until;
        }
    }

    fn node_state(&mut self, node: NodeId) -> Option<&mut Lifecycle> {
        self.lifecycle.get_mut(&node)
    }

    fn is_up(&self, node: NodeId) -> bool {
        match node {
            NodeId::Broker(b) => matches!(self.brokers.get(&b), Some(BrokerSlot::Up(_))),
            _ => true,
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, incarnation: u64, msg: Msg) {
        let (current, paused) = self.lifecycle.get(&to).map_or((0, false), |l| (l.incarnation, l.paused));
        if !self.is_up(to) || current != incarnation {
            self.record_drop(from, to, &msg, "destination process is down");
            self.reset_connection(from, to);
            return;
        }
        if paused {
            let ev = Event::Deliver { from, to, incarnation, msg };
            self.node_state(to).expect("exists").deferred.push(ev);
            return;
        }
        if self.trace.level() >= TraceLevel::Full {
            let kind = TraceKind::MessageDelivered {
                from: self.node_name(from),
                to: self.node_name(to),
                kind: msg.kind(),
                summary: summarize(&msg),
            };
            self.record(kind);
        }
        self.dispatch(to, Input::Message { from, msg });
    }

    fn fire(&mut self, node: NodeId, incarnation: u64, timer: Timer) {
        let Some(l) = self.lifecycle.get(&node) else {
            return;
        };
        if l.incarnation != incarnation || !self.is_up(node) {
            return;
        }
        if l.paused {
            self.node_state(node).expect("exists").deferred.push(Event::Timer { node, incarnation, timer });
            return;
        }
        if self.trace.level() >= TraceLevel::Full {
            let kind = TraceKind::TimerFired { node: self.node_name(node), timer: format!("{timer:?}") };
            self.record(kind);
        }
        self.dispatch(node, Input::Timer(timer));
    }

    /// Hands an input to its node and executes the effects.
    fn dispatch(&mut self, node: NodeId, input: Input) {
        self.touch(node);
        let now = self.now;
        // Reuse the effect buffers: a fresh Effects would allocate three vectors on every event.
        let mut out = self.scratch.take().unwrap_or_else(|| self.effects());
        match node {
            NodeId::Controller => self.controller.handle(now, input, &mut out),
            NodeId::Broker(id) => {
                if let Some(BrokerSlot::Up(b)) = self.brokers.get_mut(&id) {
                    b.handle(now, input, &mut out);
                }
            }
            NodeId::Client(c) => match self.clients.get_mut(c.0 as usize) {
                Some(Client::Producer(p)) => p.handle(now, input, &mut out),
                Some(Client::Admin(a)) => a.handle(now, input, &mut out),
                Some(Client::Consumer(c)) => c.handle(now, input, &mut out),
                None => {}
            },
        }
        let stop = out.stop;
        out.stop = false;
        self.apply_effects_from(node, &mut out);
        self.scratch = Some(out);
        if let (true, NodeId::Broker(id)) = (stop, node) {
            self.take_down(id, 0, true);
            self.record(TraceKind::Fault {
                fault: format!("broker {id} completes its controlled shutdown and stops"),
            });
        }
    }

    fn apply_effects(&mut self, from: NodeId, mut out: Effects) {
        self.apply_effects_from(from, &mut out);
    }

    /// Executes effects, leaving the buffers empty for reuse.
    fn apply_effects_from(&mut self, from: NodeId, out: &mut Effects) {
        let incarnation = self.lifecycle.get(&from).map_or(0, |l| l.incarnation);
        // Most events set no timer and record nothing: skip those loops' setup and teardown.
        if !out.trace.is_empty() {
            for kind in out.trace.drain(..) {
                self.record(kind);
            }
        }
        if !out.timers.is_empty() {
            for (at, timer) in out.timers.drain(..) {
                self.queue.push(at, Event::Timer { node: from, incarnation, timer });
            }
        }
        let mut sends = std::mem::take(&mut out.sends);
        for (to, msg, delay) in sends.drain(..) {
            self.send(from, to, msg, delay);
        }
        out.sends = sends;
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg, delay_us: u64) {
        let incarnation = self.lifecycle.get(&to).map_or(0, |l| l.incarnation);
        let departs = self.now + delay_us;
        match self.network.route(departs, from, to, self.rng.get(Stream::Network)) {
            Delivery::Dropped(reason) => self.record_drop(from, to, &msg, reason),
            Delivery::At(at, dup) => {
                if let Some(dup_at) = dup {
                    self.queue.push(dup_at, Event::Deliver { from, to, incarnation, msg: msg.clone() });
                }
                self.queue.push(at, Event::Deliver { from, to, incarnation, msg });
            }
        }
    }

    /// A client that reached a dead broker process gets a connection reset (TCP RST), one hop later.
    fn reset_connection(&mut self, client: NodeId, broker: NodeId) {
        if let (NodeId::Client(_), NodeId::Broker(b)) = (client, broker) {
            if !self.network.is_cut(broker, client) {
                self.send(broker, client, Msg::Disconnected { broker: b }, 0);
            }
        }
    }

    fn record_drop(&mut self, from: NodeId, to: NodeId, msg: &Msg, reason: &'static str) {
        if self.trace.level() >= TraceLevel::Full {
            let kind = TraceKind::MessageDropped {
                from: self.node_name(from),
                to: self.node_name(to),
                kind: msg.kind(),
                reason,
            };
            self.record(kind);
        }
    }

    /// Records a trace event at the current step.
    pub fn record(&mut self, kind: TraceKind) {
        self.trace.record(TraceEvent { step: self.step, at: self.now, kind });
    }

    /// A node's display name: `controller`, `broker 2`, or the client's scenario name.
    pub fn node_name(&self, node: NodeId) -> String {
        match node {
            NodeId::Client(c) => {
                self.client_names.get(c.0 as usize).cloned().unwrap_or_else(|| node.to_string())
            }
            other => other.to_string(),
        }
    }

    // ---- Actions ----

    fn run_action(&mut self, i: usize) {
        self.touched = Touched::Everything;
        let TimedAction { action, note, .. } = self.actions[i].clone();
        if let Some(text) = note {
            self.record(TraceKind::Note { text });
        }
        if action.is_fault() {
            let fault = action.describe_named(&|n| self.node_name(n));
            self.record(TraceKind::Fault { fault });
        }
        self.apply_action(action);
    }

    /// Applies an action now (also used by the browser to inject a fault at the current instant).
    pub fn apply_action(&mut self, action: Action) {
        self.touched = Touched::Everything;
        match action {
            Action::Crash { broker, lose_tail_records } => {
                self.take_down(broker, lose_tail_records, false);
                // The process's sockets close: every client connected to it sees a reset.
                for i in 1..self.clients.len() {
                    self.reset_connection(NodeId::Client(ClientId(i as u32)), NodeId::Broker(broker));
                }
            }
            Action::Restart { broker } => self.restart(broker),
            Action::Shutdown { broker } => {
                let mut out = self.effects();
                if let Some(BrokerSlot::Up(b)) = self.brokers.get_mut(&broker) {
                    b.request_shutdown(&mut out);
                }
                self.apply_effects(NodeId::Broker(broker), out);
            }
            Action::Pause { node } => {
                if let Some(l) = self.node_state(node) {
                    l.paused = true;
                }
            }
            Action::Resume { node } => self.resume(node),
            Action::Isolate { broker } => {
                let me = NodeId::Broker(broker);
                let others: Vec<NodeId> = self.lifecycle.nodes().into_iter().filter(|n| *n != me).collect();
                for other in others {
                    self.network.cut(me, other);
                    self.network.cut(other, me);
                }
            }
            Action::Cut { from, to, both } => {
                self.network.cut(from, to);
                if both {
                    self.network.cut(to, from);
                }
            }
            Action::HealAll => self.network.heal_all(),
            Action::Link { between: None, config } => self.network.default_link = config,
            Action::Link { between: Some((a, b)), config } => self.network.set_link(a, b, config),
            Action::Produce { producer, workload } => {
                if let Some(id) = self.client_id(&producer) {
                    let now = self.now;
                    let mut out = self.effects();
                    if let Client::Producer(p) = &mut self.clients[id.0 as usize] {
                        p.add_workload(now, workload, &mut out);
                    }
                    self.apply_effects(NodeId::Client(id), out);
                }
            }
            Action::Admin(op) => self.admin_call(op),
            Action::Consumer { name, op } => self.consumer_action(&name, op),
            Action::Note => {}
        }
    }

    fn admin_call(&mut self, op: AdminOp) {
        let now = self.now;
        let mut out = self.effects();
        if op.is_group_call() {
            let image = Rc::clone(self.controller.published());
            let Client::Admin(admin) = &mut self.clients[0] else {
                unreachable!("client 0 is the admin client")
            };
            admin.call_group(now, op, image, &mut out);
            return self.apply_effects(NodeId::Client(ClientId(0)), out);
        }
        let target = match &op {
            AdminOp::DeleteRecords { topic, partition, .. } => {
                let image = self.controller.published();
                image
                    .topic_by_name(topic)
                    .and_then(|t| t.partitions.get(*partition as usize))
                    .and_then(|p| p.leader)
                    .map(NodeId::Broker)
            }
            _ => Some(NodeId::Controller),
        };
        let Client::Admin(admin) = &mut self.clients[0] else { unreachable!("client 0 is the admin client") };
        match target {
            Some(to) => admin.call(now, to, op, &mut out),
            None => {
                let result = crate::kafka::admin::AdminResult::err(
                    crate::kafka::types::ErrorCode::LEADER_NOT_AVAILABLE,
                    "the partition has no leader",
                );
                admin.fail_now(now, op, result, &mut out);
            }
        }
        self.apply_effects(NodeId::Client(ClientId(0)), out);
    }

    /// Stops a broker process; its disk stays.
    fn take_down(&mut self, id: BrokerId, lose_tail: u64, clean: bool) {
        self.touched = Touched::Everything;
        let Some(slot) = self.brokers.remove(&id) else {
            return;
        };
        let slot = match slot {
            BrokerSlot::Up(b) => {
                let mut storage = b.into_storage();
                if lose_tail > 0 {
                    let mut partitions = Vec::new();
                    for (name, log) in storage.logs.values_mut() {
                        if log.log_end_offset() > log.log_start_offset() {
                            partitions.push(name.to_string());
                        }
                        log.lose_tail(lose_tail);
                    }
                    self.record(TraceKind::LogTailLost { broker: id, partitions, records: lose_tail });
                }
                BrokerSlot::Down { storage, stopped_cleanly: clean }
            }
            down => down,
        };
        self.brokers.insert(id, slot);
        if let Some(l) = self.node_state(NodeId::Broker(id)) {
            l.paused = false;
            l.deferred.clear();
        }
    }

    fn restart(&mut self, id: BrokerId) {
        let Some(BrokerSlot::Down { .. }) = self.brokers.get(&id) else {
            return;
        };
        let Some(BrokerSlot::Down { storage, .. }) = self.brokers.remove(&id) else { unreachable!() };
        let l = self.lifecycle.get_or_default(NodeId::Broker(id));
        l.incarnation += 1;
        let incarnation = l.incarnation;
        let rack = self.racks.get(&id).cloned().flatten();
        let broker = Broker::new(id, rack, incarnation, Rc::clone(&self.config), storage);
        self.brokers.insert(id, BrokerSlot::Up(Box::new(broker)));
        self.start_broker(id);
    }

    fn resume(&mut self, node: NodeId) {
        let Some(l) = self.node_state(node) else { return };
        l.paused = false;
        let deferred = std::mem::take(&mut l.deferred);
        // Everything that queued up during the pause is handled now, in arrival order.
        for ev in deferred {
            self.queue.push(self.now, ev);
        }
    }

    // ---- Queries for views and checkers ----

    /// A broker's liveness.
    pub fn liveness(&self, id: BrokerId) -> Liveness {
        match self.brokers.get(&id) {
            Some(BrokerSlot::Up(_)) if self.lifecycle.get(&NodeId::Broker(id)).is_some_and(|l| l.paused) => {
                Liveness::Paused
            }
            Some(BrokerSlot::Up(_)) => Liveness::Alive,
            Some(BrokerSlot::Down { stopped_cleanly: true, .. }) => Liveness::Stopped,
            _ => Liveness::Crashed,
        }
    }

    /// A running broker.
    pub fn broker(&self, id: BrokerId) -> Option<&Broker> {
        match self.brokers.get(&id) {
            Some(BrokerSlot::Up(b)) => Some(b),
            _ => None,
        }
    }

    /// A broker's logs whether it runs or not (a crashed broker's disk).
    pub fn broker_logs(&self, id: BrokerId) -> Vec<(crate::kafka::types::Tp, &crate::kafka::log::Log)> {
        match self.brokers.get(&id) {
            Some(BrokerSlot::Up(b)) => b.partitions.iter().map(|(tp, p)| (*tp, &p.log)).collect(),
            Some(BrokerSlot::Down { storage, .. }) => {
                storage.logs.iter().map(|(tp, (_, l))| (*tp, l)).collect()
            }
            None => Vec::new(),
        }
    }

    /// One partition's log on a broker whether it runs or not, without collecting the broker's other logs (the
    /// checkers ask this for every ISR member of every partition after every step).
    pub fn broker_log(&self, id: BrokerId, tp: crate::kafka::types::Tp) -> Option<&crate::kafka::log::Log> {
        match self.brokers.get(&id)? {
            BrokerSlot::Up(b) => b.partitions.get(&tp).map(|p| &p.log),
            BrokerSlot::Down { storage, .. } => storage.logs.get(&tp).map(|(_, l)| l),
        }
    }

    /// The producer with this id.
    pub fn producer(&self, id: ClientId) -> Option<&Producer> {
        match self.clients.get(id.0 as usize) {
            Some(Client::Producer(p)) => Some(p),
            _ => None,
        }
    }

    /// Whether a node is paused.
    pub fn is_paused(&self, node: NodeId) -> bool {
        self.lifecycle.get(&node).is_some_and(|l| l.paused)
    }

    /// Every node id known to the world.
    pub fn nodes(&self) -> Vec<NodeId> {
        self.lifecycle.nodes()
    }
}

/// A short description of a message for the full trace.
fn summarize(msg: &Msg) -> String {
    match msg {
        Msg::Fetch(f) => {
            let parts: Vec<String> = f
                .partitions
                .iter()
                .map(|p| format!("{}:{}@{}", p.tp.topic.0, p.tp.partition, p.fetch_offset))
                .collect();
            parts.join(" ")
        }
        Msg::FetchResponse(r) => {
            let n: usize =
                r.partitions.iter().map(|p| p.batches.iter().map(|b| b.records.len()).sum::<usize>()).sum();
            format!("{n} record(s)")
        }
        Msg::Produce(p) => format!("{} record(s) acks={}", p.batch.records.len(), p.acks),
        Msg::ProduceResponse { result, .. } => match result {
            Ok(o) => format!("offset {o}"),
            Err(e) => e.to_string(),
        },
        Msg::MetadataUpdate(img) | Msg::MetadataResponse { image: img, .. } => {
            format!("version {}", img.version)
        }
        _ => String::new(),
    }
}
