//! The network model: per-link latency drawn uniformly from `[min, max]`, loss and duplication probabilities,
//! and cuts that drop messages in one direction or both. Links are FIFO, as Kafka's TCP connections are: a
//! message never overtakes an earlier one on the same link.

use super::node_table::NodeTable;
use super::rng::{chance, uniform_inclusive};
use super::time::SimTime;
use super::vec_map::VecMap;
use super::NodeId;
use crate::engine::vec_map::VecSet;
use rand_core::RngCore;
use serde::Serialize;

/// How one link (or every link, by default) behaves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LinkConfig {
    /// Smallest one-way latency, microseconds.
    pub latency_us_min: u64,
    /// Largest one-way latency, microseconds.
    pub latency_us_max: u64,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
}

impl Default for LinkConfig {
    /// A data-centre link: 0.5–1.5 ms one way, no loss.
    fn default() -> Self {
        Self { latency_us_min: 500, latency_us_max: 1500, loss: 0.0, duplicate: 0.0 }
    }
}

/// What happens to a message handed to the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Delivered at these instants (twice when duplicated).
    At(SimTime, Option<SimTime>),
    /// Dropped, and why.
    Dropped(&'static str),
}

/// A directed link as one integer that sorts like `(from, to)`, so that looking a link up compares integers.
fn link_key(from: NodeId, to: NodeId) -> u128 {
    (u128::from(from.rank()) << 64) | u128::from(to.rank())
}

/// The network between all nodes.
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// The default link behaviour.
    pub default_link: LinkConfig,
    /// Per directed link (keyed by [`link_key`]), its own behaviour if set.
    links: VecMap<u128, LinkConfig>,
    cuts: VecSet<(NodeId, NodeId)>,
    /// Per directed link (sender, then receiver), when its last message arrives: read for every message sent.
    last_delivery: NodeTable<NodeTable<SimTime>>,
}

impl Network {
    /// Overrides one direction of one link.
    pub fn set_link(&mut self, from: NodeId, to: NodeId, cfg: LinkConfig) {
        self.links.insert(link_key(from, to), cfg);
    }

    /// Drops every message from `from` to `to` until healed.
    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        self.cuts.insert((from, to));
    }

    /// Restores every cut link.
    pub fn heal_all(&mut self) {
        self.cuts.clear();
    }

    /// Restores one direction.
    pub fn heal(&mut self, from: NodeId, to: NodeId) {
        self.cuts.remove(&(from, to));
    }

    /// Whether `from → to` is cut.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        !self.cuts.is_empty() && self.cuts.contains(&(from, to))
    }

    /// The cut directions, for the view.
    pub fn cuts(&self) -> impl Iterator<Item = &(NodeId, NodeId)> {
        self.cuts.iter()
    }

    /// Decides the fate of a message sent now.
    /// Generic over the generator so that the world's ChaCha stream is called directly (once or twice per
    /// message) rather than through a vtable.
    pub fn route<R: RngCore + ?Sized>(
        &mut self,
        now: SimTime,
        from: NodeId,
        to: NodeId,
        rng: &mut R,
    ) -> Delivery {
        if self.is_cut(from, to) {
            return Delivery::Dropped("link cut by a network partition");
        }
        let cfg = match self.links.is_empty() {
            true => self.default_link,
            false => self.links.get(&link_key(from, to)).copied().unwrap_or(self.default_link),
        };
        if chance(rng, cfg.loss) {
            return Delivery::Dropped("lost on the link");
        }
        let first = self.fifo_time(now, from, to, &cfg, rng);
        let dup =
            if chance(rng, cfg.duplicate) { Some(self.fifo_time(now, from, to, &cfg, rng)) } else { None };
        Delivery::At(first, dup)
    }

    fn fifo_time<R: RngCore + ?Sized>(
        &mut self,
        now: SimTime,
        from: NodeId,
        to: NodeId,
        cfg: &LinkConfig,
        rng: &mut R,
    ) -> SimTime {
        let latency = uniform_inclusive(rng, cfg.latency_us_min, cfg.latency_us_max.max(cfg.latency_us_min));
        let last = self.last_delivery.get_or_default(from).get_or_default(to);
        let at = (now + latency).max(*last);
        *last = at;
        at
    }
}
