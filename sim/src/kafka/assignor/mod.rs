//! Kafka's partition assignors. (Being written.)
