//! Broker replica placement (Kafka's `AdminUtils.assignReplicasToBrokers`). (Being written.)
