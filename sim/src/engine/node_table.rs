//! A table with one entry per node, found without a search: the world reads a node's entry (its incarnation,
//! whether it is paused) several times for every event.
//!
//! Client ids are dense already, and a cluster has few brokers; entries live in one vector in the order they
//! were added, with the controller's position kept and the positions of clients and brokers indexed by id.

use super::NodeId;
use crate::kafka::types::BrokerId;

const NONE: u32 = u32::MAX;

/// Per-node values, read by [`NodeId`] in constant time (brokers: a scan of the few broker ids).
#[derive(Clone, Debug)]
pub struct NodeTable<V> {
    entries: Vec<(NodeId, V)>,
    controller: u32,
    /// Position of each client's entry, by client id.
    clients: Vec<u32>,
    /// Position of each broker's entry.
    brokers: Vec<(BrokerId, u32)>,
}

impl<V> Default for NodeTable<V> {
    fn default() -> Self {
        Self { entries: Vec::new(), controller: NONE, clients: Vec::new(), brokers: Vec::new() }
    }
}

impl<V> NodeTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    fn position(&self, node: NodeId) -> Option<usize> {
        let at = match node {
            NodeId::Controller => self.controller,
            NodeId::Client(c) => *self.clients.get(c.0 as usize)?,
            NodeId::Broker(b) => self.brokers.iter().find(|(id, _)| *id == b)?.1,
        };
        (at != NONE).then_some(at as usize)
    }

    /// The entry of `node`.
    pub fn get(&self, node: &NodeId) -> Option<&V> {
        self.position(*node).map(|i| &self.entries[i].1)
    }

    /// The entry of `node`, mutably.
    pub fn get_mut(&mut self, node: &NodeId) -> Option<&mut V> {
        self.position(*node).map(|i| &mut self.entries[i].1)
    }

    /// Sets the entry of `node`; returns the one it replaces.
    pub fn insert(&mut self, node: NodeId, value: V) -> Option<V> {
        if let Some(i) = self.position(node) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        let at = self.entries.len() as u32;
        self.entries.push((node, value));
        match node {
            NodeId::Controller => self.controller = at,
            NodeId::Client(c) => {
                let c = c.0 as usize;
                if self.clients.len() <= c {
                    self.clients.resize(c + 1, NONE);
                }
                self.clients[c] = at;
            }
            NodeId::Broker(b) => self.brokers.push((b, at)),
        }
        None
    }

    /// The entry of `node`, inserting the default first if there is none.
    #[inline]
    pub fn get_or_default(&mut self, node: NodeId) -> &mut V
    where
        V: Default,
    {
        let i = match self.position(node) {
            Some(i) => i,
            None => {
                self.insert(node, V::default());
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    /// Every node with an entry, in node order.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = self.entries.iter().map(|(n, _)| *n).collect();
        super::sort::sort(&mut nodes);
        nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::types::ClientId;

    #[test]
    fn finds_every_kind_of_node_and_lists_them_in_node_order() {
        let mut t = NodeTable::new();
        t.insert(NodeId::Client(ClientId(2)), "c2");
        t.insert(NodeId::Broker(BrokerId(7)), "b7");
        t.insert(NodeId::Controller, "ctl");
        t.insert(NodeId::Broker(BrokerId(1)), "b1");
        assert_eq!(t.insert(NodeId::Broker(BrokerId(7)), "b7'"), Some("b7"));
        assert_eq!(t.get(&NodeId::Broker(BrokerId(7))), Some(&"b7'"));
        assert_eq!(t.get(&NodeId::Client(ClientId(2))), Some(&"c2"));
        assert_eq!(t.get(&NodeId::Client(ClientId(1))), None);
        assert_eq!(t.get(&NodeId::Client(ClientId(9))), None);
        assert_eq!(t.get(&NodeId::Broker(BrokerId(3))), None);
        assert_eq!(
            t.nodes(),
            vec![
                NodeId::Controller,
                NodeId::Broker(BrokerId(1)),
                NodeId::Broker(BrokerId(7)),
                NodeId::Client(ClientId(2))
            ]
        );
    }
}
