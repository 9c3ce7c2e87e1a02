//! Scenario files: a cluster, topics, clients, a timeline of actions and the expectations that must hold.
//! See `scenarios/README.md` for the format.

pub mod error;
pub mod expect;
pub mod expect_group;
pub mod format;
mod from_toml;
pub mod parse;
pub mod run;
pub mod toml;

use crate::engine::action::TimedAction;
use crate::engine::network::LinkConfig;
use crate::engine::time::SimTime;
use crate::kafka::config::BrokerConfig;
use crate::kafka::producer_config::ProducerConfig;
use crate::kafka::types::BrokerId;
pub use error::ScenarioError;
use expect::Expectation;
pub use parse::parse;

/// A topic that exists when the run starts.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicSpec {
    /// Name.
    pub name: String,
    /// Partition count.
    pub partitions: i32,
    /// Replication factor.
    pub replication_factor: i32,
    /// Placement start index, if fixed.
    pub start_index: Option<usize>,
    /// Explicit assignment, if given.
    pub assignment: Option<Vec<Vec<i32>>>,
    /// Topic config overrides.
    pub configs: Vec<(String, i64)>,
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Title.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Default seed.
    pub seed: u64,
    /// Run length.
    pub duration: SimTime,
    /// Broker configs.
    pub broker_config: BrokerConfig,
    /// Brokers with racks.
    pub brokers: Vec<(BrokerId, Option<String>)>,
    /// Default link behaviour.
    pub network: LinkConfig,
    /// Initial topics.
    pub topics: Vec<TopicSpec>,
    /// Producers with their settings.
    pub producers: Vec<(String, ProducerConfig)>,
    /// Consumers with their settings.
    pub consumers: Vec<(String, crate::engine::world::ConsumerSpec)>,
    /// The timeline, sorted by time.
    pub timeline: Vec<TimedAction>,
    /// The expectations.
    pub expectations: Vec<Expectation>,
}

/// Reads and parses a scenario file.
pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ScenarioError {
        file: name.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read the file: {e}"),
        help: None,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // Point at the first byte that is not UTF-8, counting lines and columns in the valid prefix.
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).to_string();
            let mut err = error::Locator::new(&name, &prefix).error(
                valid,
                format!("byte 0x{:02x} is not UTF-8", e.as_bytes()[valid]),
                Some("scenario files are UTF-8 text: save the file as UTF-8".into()),
            );
            err.file = name.clone();
            return Err(err);
        }
    };
    parse(&name, &text)
}
