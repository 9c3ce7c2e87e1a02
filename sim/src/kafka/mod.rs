//! Kafka's nodes and algorithms, named as Kafka names them.

pub mod assignor;
pub mod partitioner;
pub mod placement;
