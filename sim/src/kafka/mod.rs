//! Kafka's nodes and algorithms, named as Kafka names them.

pub mod admin;
pub mod admin_broker;
pub mod admin_client;
pub mod admin_controller;
pub mod assignor;
pub mod broker;
pub mod compression;
pub mod config;
pub mod consumer;
pub mod controller;
pub mod election;
pub mod fetcher;
pub mod group;
pub mod log;
pub mod messages;
pub mod metadata;
pub mod partition;
pub mod partitioner;
pub mod placement;
pub mod producer;
pub mod producer_config;
pub mod tp_map;
pub mod types;
