//! The serialisable view of the cluster.
