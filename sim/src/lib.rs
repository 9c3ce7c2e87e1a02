//! kafkasim: a deterministic simulator of an Apache Kafka cluster.
//!
//! The simulation is a set of sans-IO node state machines (brokers, the controller, clients) driven by one
//! scheduler: a queue of events ordered by `(time, seq)`, with a seeded `ChaCha8Rng` owned by the world. The same
//! scenario and seed always produce the same run, event for event, natively and in WebAssembly.
//!
//! - [`engine`]: virtual time, the event queue, RNG streams, the network model, the world loop, the trace.
//! - [`kafka`]: the Kafka nodes and algorithms (logs, replication, controller, producer, partitioners, assignors).
//! - [`scenario`]: the TOML scenario format, its parser with file:line:column errors, and expectations.
//! - [`check`]: invariant checkers, one file each.
//! - [`view`]: the serialisable snapshot of the cluster that the CLI and the browser render.

pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod engine;
pub mod kafka;
pub mod scenario;
pub mod view;
