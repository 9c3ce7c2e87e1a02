//! The assignor conformance case format (`tests/conformance/assignors.json`; field list in the reference notes
//! `kafka-assignors.md` §8) and a runner that replays a case the way Kafka's test did.
//!
//! A case is one Kafka test method (or one parameter combination): `assignor`, then either `topics` +
//! `members` (one step) or `steps`, each with its own `topics`, `members`, `partition_racks`. Steps run on one
//! assignor instance, so its state (the sticky assignors' `maxGeneration`) carries over as in Kafka's tests.
//! A member's `owned` is a list of `[topic, partition]`, or `"$prev"` (its result in the previous step) or
//! `"$stepN"` (its result in step N, counting from 1). Its `builder` says how Kafka's test encoded the
//! subscription, which decides what the sticky assignors' `memberData` sees ([`subscription_for`]).
//!
//! What a step's "result" is follows the test: for the cooperative assignor, Kafka's
//! `verifyValidityAndBalance` runs the follow-up rebalances and leaves the converged assignment in the test's
//! variable, so a step with `verify_validity_and_balance: true` hands its converged result to `$prev`; any other
//! step hands on its single-call result. The follow-up rounds of a step that did not verify run on a copy of the
//! assignor, so they leave no trace in later steps.
//!
//! `kind: member_data` cases check `memberData` decoding; `kind: generated` cases describe a generator and have
//! no input to run.

use super::cooperative_sticky::{revokes_any, CooperativeStickyAssignor};
use super::user_data::{encode_cooperative, encode_sticky_v0, encode_sticky_v1, MemberData};
use super::{
    AssignError, Assignor, Cluster, GroupAssignment, MemberId, StickyAssignor, Subscription, TopicPartition,
    UnknownAssignor, DEFAULT_GENERATION,
};
use crate::engine::vec_map::VecMap;
use serde::de::IgnoredAny;
use serde::Deserialize;

/// A case file that cannot be run: the message says where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CaseError(pub String);

impl From<UnknownAssignor> for CaseError {
    fn from(e: UnknownAssignor) -> Self {
        match crate::kafka::partitioner::closest_name(&e.name, super::NAMES) {
            Some(s) => CaseError(format!("{e} (did you mean \"{s}\"?)")),
            None => CaseError(e.to_string()),
        }
    }
}

/// The generation Kafka's sticky tests use for follow-up rebalances (`AbstractStickyAssignorTest.generationId`).
pub const FOLLOW_UP_GENERATION: i32 = 1;

/// How Kafka's test built a member's subscription (reference notes §8, "Sticky `builder` values").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    /// `subscription(topics, i)`: no owned partitions, no user data, no generation.
    Subscription,
    /// `buildSubscriptionV0`: ownership and generation only in sticky user data V1.
    V0,
    /// `buildSubscriptionWithOldSchema`: ownership only in sticky user data V0 (no generation).
    V0OldSchema,
    /// `buildSubscriptionV1`: owned partitions; generation only in user data.
    V1,
    /// `buildSubscriptionV2Above`: owned partitions and the protocol generation (plus user data).
    V2,
    /// `verifyRackAssignment`: owned partitions, no user data, no generation.
    RackVerify,
}

/// Where a member's owned partitions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    /// Listed in the case.
    Partitions(Vec<TopicPartition>),
    /// The member's result in an earlier step (0-based index).
    Step(usize),
}

/// One member of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMember {
    /// `member.id`.
    pub id: String,
    /// Subscribed topics.
    pub subscriptions: Vec<String>,
    /// Owned partitions.
    pub owned: Owned,
    /// Generation (`None` = absent).
    pub generation: Option<i32>,
    /// `group.instance.id`.
    pub group_instance_id: Option<String>,
    /// `client.rack`.
    pub rack: Option<String>,
    /// How the test encoded the subscription (`None` for the non-sticky assignors).
    pub builder: Option<Builder>,
    /// The member's index in the test, which picks its rack in the rack variants.
    pub consumer_index: Option<i32>,
}

/// One `assign` call and what surrounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The metadata (replica racks stripped when the test called the rack-less `assign(Map)`).
    pub cluster: Cluster,
    /// The members, in the test's insertion order.
    pub members: Vec<CaseMember>,
    /// Kafka's test-only `preferRackAwareLogic`.
    pub prefer_rack_aware_logic: bool,
    /// Whether the test ran `verifyValidityAndBalance` (for the cooperative assignor: the follow-up rounds).
    pub verify_validity_and_balance: bool,
}

/// One `memberData` input of a `member_data` case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDataInput {
    /// The subscription the test built.
    pub subscription: Option<Subscription>,
}

/// What a case asks to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseBody {
    /// Assignment steps.
    Steps(Vec<Step>),
    /// `memberData` decoding inputs.
    MemberData(Vec<MemberDataInput>),
    /// A generated case: nothing to run from the file.
    Generated,
}

/// A parsed case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The assignor name (one of [`super::NAMES`]).
    pub assignor: String,
    /// The test's name, if given.
    pub name: String,
    /// What to run.
    pub body: CaseBody,
}

/// What one step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// The subscriptions of the step's first call, as built from the case.
    pub subscriptions: Vec<(MemberId, Subscription)>,
    /// The result of one `assign` call (cooperative: with moving partitions withheld).
    pub assignment: GroupAssignment,
    /// The result after the cooperative follow-up rounds (= `assignment` for the other assignors).
    pub converged: GroupAssignment,
    /// Each follow-up round's subscriptions and result, in order.
    pub follow_ups: Vec<(Vec<(MemberId, Subscription)>, GroupAssignment)>,
    /// Whether the follow-up rounds ended with nothing revoked.
    pub did_converge: bool,
    /// `partitionsTransferringOwnership()` after the first call (sticky assignors only; `None` = Kafka's null).
    pub transferring_first_round: Option<Option<VecMap<TopicPartition, MemberId>>>,
    /// `isSticky()` after the first call and after the follow-up rounds (sticky assignors only).
    pub is_sticky: Option<(bool, bool)>,
    /// The result later steps see as `$prev`.
    pub effective: GroupAssignment,
}

/// Parses one case object; errors carry serde's line and column, or the path of the offending field.
pub fn parse_case(text: &str) -> Result<Case, CaseError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| CaseError(format!("invalid JSON: {e}")))?;
    if let serde_json::Value::Array(items) = &value {
        return Err(CaseError(format!(
            "expected one case object, found a list of {} cases (run one case at a time)",
            items.len()
        )));
    }
    let raw: RawCase = serde_json::from_str(text).map_err(|e| CaseError(with_suggestion(e.to_string())))?;
    raw.into_case()
}

/// Parses a case from an already-parsed JSON value (the conformance test reads the whole list at once).
pub fn case_from_value(value: &serde_json::Value) -> Result<Case, CaseError> {
    let raw = RawCase::deserialize(value).map_err(|e| CaseError(with_suggestion(e.to_string())))?;
    raw.into_case()
}

/// Adds "did you mean" to serde's "unknown field" message.
fn with_suggestion(message: String) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else { return message };
    let Some(end) = rest.find('`') else { return message };
    let field = &rest[..end];
    let known: Vec<&str> = CASE_FIELDS.iter().chain(STEP_FIELDS).chain(MEMBER_FIELDS).copied().collect();
    match crate::kafka::partitioner::closest_name(field, &known) {
        Some(s) => format!("{message} (did you mean `{s}`?)"),
        None => message,
    }
}

const CASE_FIELDS: &[&str] = &["assignor", "kind", "name", "steps", "inputs", "topics", "members"];
const STEP_FIELDS: &[&str] =
    &["partition_racks", "prefer_rack_aware_logic", "verify_validity_and_balance", "call"];
const MEMBER_FIELDS: &[&str] =
    &["id", "subscriptions", "owned", "generation", "group_instance_id", "rack", "consumer_index", "builder"];

/// The serde view of a case. Fields that document the case but do not change how it runs are accepted and
/// ignored; any other field is an error. The step fields of a one-step case sit at the top level.
#[allow(dead_code)] // The `IgnoredAny` fields are only there so that `deny_unknown_fields` accepts them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    assignor: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    inputs: Option<Vec<RawMemberDataInput>>,
    #[serde(default)]
    steps: Option<Vec<RawStep>>,
    #[serde(default)]
    topics: Option<VecMap<String, i32>>,
    #[serde(default)]
    members: Option<Vec<RawMember>>,
    #[serde(default)]
    partition_racks: Option<VecMap<String, Vec<Vec<Option<String>>>>>,
    #[serde(default)]
    prefer_rack_aware_logic: Option<bool>,
    #[serde(default)]
    verify_validity_and_balance: Option<bool>,
    #[serde(default)]
    call: Option<String>,
    #[serde(default)]
    expected: Option<IgnoredAny>,
    #[serde(default)]
    order_significant: Option<IgnoredAny>,
    #[serde(default)]
    expected_stage: Option<IgnoredAny>,
    #[serde(default)]
    expected_properties: Option<IgnoredAny>,
    #[serde(default)]
    expected_derived: Option<IgnoredAny>,
    #[serde(default)]
    expected_error: Option<IgnoredAny>,
    #[serde(default)]
    subscription_type: Option<IgnoredAny>,
    #[serde(default)]
    observed_kafka: Option<IgnoredAny>,
    #[serde(default)]
    observed_kafka_note: Option<IgnoredAny>,
    #[serde(default)]
    step_notes: Option<IgnoredAny>,
    #[serde(default)]
    notes: Option<IgnoredAny>,
    #[serde(default)]
    broker_setup: Option<IgnoredAny>,
    #[serde(default)]
    java_map_hint: Option<IgnoredAny>,
    #[serde(default)]
    via: Option<IgnoredAny>,
    #[serde(default)]
    source: Option<IgnoredAny>,
    #[serde(default)]
    source_lines: Option<IgnoredAny>,
    #[serde(default)]
    rack_config_variants: Option<IgnoredAny>,
    #[serde(default)]
    rack_variant_params: Option<IgnoredAny>,
    #[serde(default)]
    verification: Option<IgnoredAny>,
    #[serde(default)]
    rack_aware_case: Option<IgnoredAny>,
    #[serde(default)]
    generator: Option<IgnoredAny>,
}

/// The serde view of a step.
#[allow(dead_code)] // The `IgnoredAny` fields are only there so that `deny_unknown_fields` accepts them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    topics: Option<VecMap<String, i32>>,
    #[serde(default)]
    members: Option<Vec<RawMember>>,
    #[serde(default)]
    partition_racks: Option<VecMap<String, Vec<Vec<Option<String>>>>>,
    #[serde(default)]
    prefer_rack_aware_logic: Option<bool>,
    #[serde(default)]
    verify_validity_and_balance: Option<bool>,
    #[serde(default)]
    call: Option<String>,
    #[serde(default)]
    expected: Option<IgnoredAny>,
    #[serde(default)]
    order_significant: Option<IgnoredAny>,
    #[serde(default)]
    expected_stage: Option<IgnoredAny>,
    #[serde(default)]
    expected_properties: Option<IgnoredAny>,
    #[serde(default)]
    expected_derived: Option<IgnoredAny>,
    #[serde(default)]
    expected_error: Option<IgnoredAny>,
    #[serde(default)]
    subscription_type: Option<IgnoredAny>,
    #[serde(default)]
    observed_kafka: Option<IgnoredAny>,
    #[serde(default)]
    observed_kafka_note: Option<IgnoredAny>,
    #[serde(default)]
    step_notes: Option<IgnoredAny>,
    #[serde(default)]
    notes: Option<IgnoredAny>,
    #[serde(default)]
    broker_setup: Option<IgnoredAny>,
    #[serde(default)]
    java_map_hint: Option<IgnoredAny>,
    #[serde(default)]
    via: Option<IgnoredAny>,
}

/// The serde view of a member.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    id: String,
    subscriptions: Vec<String>,
    #[serde(default)]
    owned: Option<serde_json::Value>,
    #[serde(default)]
    generation: Option<i32>,
    #[serde(default)]
    group_instance_id: Option<String>,
    #[serde(default)]
    rack: Option<String>,
    #[serde(default)]
    consumer_index: Option<i32>,
    #[serde(default)]
    builder: Option<String>,
}

/// The serde view of a `member_data` input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMemberDataInput {
    #[serde(default)]
    builder: Option<String>,
    #[serde(default)]
    owned: Option<Vec<(String, i32)>>,
    #[serde(default)]
    generation: Option<i32>,
    #[serde(default)]
    user_data: Option<RawUserData>,
    #[serde(default)]
    subscription_owned: Option<Vec<(String, i32)>>,
    #[serde(default)]
    subscription_generation: Option<i32>,
}

/// The user data a `member_data` input encodes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUserData {
    #[serde(default)]
    partitions: Option<Vec<(String, i32)>>,
    #[serde(default)]
    generation: Option<i32>,
}

impl RawCase {
    fn into_case(self) -> Result<Case, CaseError> {
        Assignor::by_name(&self.assignor)?;
        let name = self.name.clone().unwrap_or_default();
        let body = match self.kind.as_deref() {
            None | Some("assignment") => CaseBody::Steps(self.step_list()?),
            Some("member_data") => {
                let inputs =
                    self.inputs.ok_or_else(|| CaseError("member_data case without \"inputs\"".into()))?;
                // One assignor instance per test: its member-side generation carries from input to input.
                let mut generation = DEFAULT_GENERATION;
                let inputs: Result<Vec<_>, _> = inputs
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| x.into_input(&self.assignor, i, &mut generation))
                    .collect();
                CaseBody::MemberData(inputs?)
            }
            Some("generated") => CaseBody::Generated,
            Some(other) => {
                return Err(CaseError(format!(
                "unknown \"kind\": \"{other}\" (expected \"assignment\", \"member_data\" or \"generated\")"
            )))
            }
        };
        Ok(Case { assignor: self.assignor, name, body })
    }

    fn step_list(&self) -> Result<Vec<Step>, CaseError> {
        let has_top_level = self.topics.is_some() || self.members.is_some();
        let prefer = self.prefer_rack_aware_logic.unwrap_or(false);
        match &self.steps {
            Some(_) if has_top_level => Err(CaseError(
                "a case has either \"steps\" or top-level \"topics\"/\"members\", not both".into(),
            )),
            Some(steps) if steps.is_empty() => Err(CaseError("\"steps\" is empty".into())),
            Some(steps) => {
                steps.iter().enumerate().map(|(i, s)| s.to_step(&self.assignor, i, prefer)).collect()
            }
            None => {
                let step = StepInput {
                    topics: self.topics.as_ref(),
                    members: self.members.as_deref(),
                    partition_racks: self.partition_racks.as_ref(),
                    prefer_rack_aware_logic: self.prefer_rack_aware_logic,
                    verify_validity_and_balance: self.verify_validity_and_balance,
                    call: self.call.as_deref(),
                };
                Ok(vec![step.to_step(&self.assignor, 0, prefer)?])
            }
        }
    }
}

/// The fields that define a step, borrowed from a `RawStep` or from the top level of a one-step case.
struct StepInput<'a> {
    topics: Option<&'a VecMap<String, i32>>,
    members: Option<&'a [RawMember]>,
    partition_racks: Option<&'a VecMap<String, Vec<Vec<Option<String>>>>>,
    prefer_rack_aware_logic: Option<bool>,
    verify_validity_and_balance: Option<bool>,
    call: Option<&'a str>,
}

impl RawStep {
    fn to_step(&self, assignor: &str, index: usize, prefer: bool) -> Result<Step, CaseError> {
        let input = StepInput {
            topics: self.topics.as_ref(),
            members: self.members.as_deref(),
            partition_racks: self.partition_racks.as_ref(),
            prefer_rack_aware_logic: self.prefer_rack_aware_logic,
            verify_validity_and_balance: self.verify_validity_and_balance,
            call: self.call.as_deref(),
        };
        input.to_step(assignor, index, prefer)
    }
}

impl StepInput<'_> {
    fn to_step(&self, assignor: &str, index: usize, prefer: bool) -> Result<Step, CaseError> {
        let at = |what: &str| CaseError(format!("step {}: {what}", index + 1));
        let topics = self.topics.cloned().ok_or_else(|| at("missing field \"topics\""))?;
        if let Some((t, n)) = topics.iter().find(|(_, n)| **n < 0) {
            return Err(at(&format!("topic \"{t}\" has a negative partition count {n}")));
        }
        let raw_members = self.members.ok_or_else(|| at("missing field \"members\""))?;
        let mut members = Vec::with_capacity(raw_members.len());
        for (i, m) in raw_members.iter().enumerate() {
            if members.iter().any(|x: &CaseMember| x.id == m.id) {
                return Err(at(&format!("member \"{}\" is listed twice", m.id)));
            }
            members.push(m.to_member(assignor, index, i)?);
        }
        let mut cluster = Cluster::new(topics);
        // The rack-less `assign(Map<String, Integer>)` strips replica racks (AbstractPartitionAssignor L66-71).
        if self.call != Some("assign(Map<String,Integer>)") {
            for (topic, racks) in self.partition_racks.into_iter().flatten() {
                let racks = racks.iter().map(|r| r.iter().flatten().cloned().collect()).collect();
                cluster.partition_racks.insert(topic.clone(), racks);
            }
        }
        Ok(Step {
            cluster,
            members,
            prefer_rack_aware_logic: self.prefer_rack_aware_logic.unwrap_or(prefer),
            verify_validity_and_balance: self.verify_validity_and_balance.unwrap_or(false),
        })
    }
}

impl RawMember {
    fn to_member(&self, assignor: &str, step: usize, index: usize) -> Result<CaseMember, CaseError> {
        let at = |what: String| {
            CaseError(format!("step {}, member {} (\"{}\"): {what}", step + 1, index + 1, self.id))
        };
        let owned = parse_owned(self.owned.as_ref(), step).map_err(at)?;
        let builder = self.builder.as_deref().map(|b| parse_builder(b, assignor)).transpose().map_err(at)?;
        Ok(CaseMember {
            id: self.id.clone(),
            subscriptions: self.subscriptions.clone(),
            owned,
            generation: self.generation,
            group_instance_id: self.group_instance_id.clone(),
            rack: self.rack.clone(),
            builder,
            consumer_index: self.consumer_index,
        })
    }
}

/// `owned`: a list of `[topic, partition]`, `"$prev"` or `"$stepN"`.
fn parse_owned(value: Option<&serde_json::Value>, step: usize) -> Result<Owned, String> {
    let expected = "field \"owned\": expected a list of [topic, partition] pairs, \"$prev\" or \"$stepN\"";
    match value {
        None | Some(serde_json::Value::Null) => Ok(Owned::Partitions(Vec::new())),
        Some(serde_json::Value::String(s)) => {
            let target = match s.as_str() {
                "$prev" => step.checked_sub(1),
                other => other
                    .strip_prefix("$step")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| n.checked_sub(1)),
            };
            match target {
                Some(t) if t < step => Ok(Owned::Step(t)),
                _ => Err(format!(
                    "{expected}, referring to an earlier step; found \"{s}\" in step {}",
                    step + 1
                )),
            }
        }
        Some(v) => serde_json::from_value::<Vec<(String, i32)>>(v.clone())
            .map(|pairs| {
                Owned::Partitions(pairs.into_iter().map(|(t, p)| TopicPartition::new(t, p)).collect())
            })
            .map_err(|e| format!("{expected} ({e})")),
    }
}

fn parse_builder(name: &str, assignor: &str) -> Result<Builder, String> {
    let builder = match name {
        "subscription" => Builder::Subscription,
        "v0" => Builder::V0,
        "v0_old_schema" => Builder::V0OldSchema,
        "v1" => Builder::V1,
        "v2" => Builder::V2,
        "rack_verify" => Builder::RackVerify,
        other => {
            return Err(format!(
            "unknown builder \"{other}\" (expected subscription, v0, v0_old_schema, v1, v2 or rack_verify)"
        ))
        }
    };
    if assignor == "cooperative-sticky" && matches!(builder, Builder::V0 | Builder::V0OldSchema) {
        return Err(format!(
            "builder \"{name}\" does not exist for cooperative-sticky (it needs protocol v1+)"
        ));
    }
    Ok(builder)
}

impl RawMemberDataInput {
    /// One input; `generation` is the cooperative assignor's member-side generation, which the v1 builder sets.
    fn into_input(
        self,
        assignor: &str,
        index: usize,
        generation: &mut i32,
    ) -> Result<MemberDataInput, CaseError> {
        let tps = |v: Option<Vec<(String, i32)>>| -> Vec<TopicPartition> {
            v.unwrap_or_default().into_iter().map(|(t, p)| TopicPartition::new(t, p)).collect()
        };
        if let Some(builder) = &self.builder {
            let builder = parse_builder(builder, "sticky")
                .map_err(|e| CaseError(format!("input {}: {e}", index + 1)))?;
            if assignor == "cooperative-sticky" && builder == Builder::V0 {
                // Kafka's cooperative test builder returns null for v0; the test skips it.
                return Ok(MemberDataInput { subscription: None });
            }
            let member = CaseMember {
                id: String::new(),
                subscriptions: Vec::new(),
                owned: Owned::Partitions(Vec::new()),
                generation: self.generation,
                group_instance_id: None,
                rack: None,
                builder: Some(builder),
                consumer_index: None,
            };
            let subscription = subscription_for(assignor, &member, tps(self.owned), generation);
            return Ok(MemberDataInput { subscription: Some(subscription) });
        }
        let user_data = self.user_data.map(|u| match assignor {
            "cooperative-sticky" => encode_cooperative(u.generation.unwrap_or(-1)),
            _ => encode_sticky_v1(&tps(u.partitions), u.generation.unwrap_or(-1)),
        });
        let subscription = Subscription {
            user_data,
            owned_partitions: tps(self.subscription_owned),
            generation: self.subscription_generation,
            ..Subscription::default()
        };
        Ok(MemberDataInput { subscription: Some(subscription) })
    }
}

/// The subscription Kafka's test built for `member` with these owned partitions (reference notes §8): which
/// fields carry ownership and generation depends on the builder and on the assignor (`StickyAssignorTest`
/// L61-82, `CooperativeStickyAssignorTest` L55-77, `AbstractPartitionAssignorTest.verifyRackAssignment`).
///
/// `coop_generation` is the cooperative assignor's member-side generation (`onAssignment`): Kafka's cooperative
/// v1 builder sets it on the test's one assignor instance, and the v2 builder writes it into the user data,
/// where it counts when the protocol generation is absent (negative).
pub fn subscription_for(
    assignor: &str,
    member: &CaseMember,
    owned: Vec<TopicPartition>,
    coop_generation: &mut i32,
) -> Subscription {
    let cooperative = assignor == "cooperative-sticky";
    let generation = member.generation.unwrap_or(-1);
    let mut sub = Subscription {
        topics: member.subscriptions.clone(),
        rack: member.rack.clone(),
        group_instance_id: member.group_instance_id.clone(),
        ..Subscription::default()
    };
    match member.builder {
        None => {
            sub.owned_partitions = owned;
            sub.generation = member.generation;
        }
        Some(Builder::Subscription) => {}
        Some(Builder::RackVerify) => sub.owned_partitions = owned,
        Some(Builder::V0) => sub.user_data = Some(encode_sticky_v1(&owned, generation)),
        Some(Builder::V0OldSchema) => sub.user_data = Some(encode_sticky_v0(&owned)),
        Some(Builder::V1) => {
            if cooperative {
                *coop_generation = generation;
            }
            sub.user_data = Some(if cooperative {
                encode_cooperative(*coop_generation)
            } else {
                encode_sticky_v1(&owned, generation)
            });
            sub.owned_partitions = owned;
        }
        Some(Builder::V2) => {
            sub.user_data = Some(if cooperative {
                encode_cooperative(*coop_generation)
            } else {
                encode_sticky_v1(&owned, generation)
            });
            sub.owned_partitions = owned;
            sub.generation = Some(generation);
        }
    }
    sub
}

/// `memberData` of the case's assignor for each input (`None` where Kafka's builder returned null).
pub fn run_member_data(case: &Case) -> Vec<Option<MemberData>> {
    let CaseBody::MemberData(inputs) = &case.body else { return Vec::new() };
    inputs
        .iter()
        .map(|input| {
            input.subscription.as_ref().map(|s| match case.assignor.as_str() {
                "cooperative-sticky" => CooperativeStickyAssignor::member_data(s),
                _ => StickyAssignor::member_data(s),
            })
        })
        .collect()
}

/// Runs every step of an assignment case on one assignor instance.
pub fn run_case(case: &Case) -> Result<Vec<StepResult>, CaseError> {
    let CaseBody::Steps(steps) = &case.body else {
        return Err(CaseError(format!("case \"{}\" has no assignment steps to run", case.name)));
    };
    let mut assignor = Assignor::by_name(&case.assignor)?;
    let mut results: Vec<StepResult> = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let result = run_step(&mut assignor, &case.assignor, step, &results)
            .map_err(|e| CaseError(format!("step {}: {}", i + 1, e.0)))?;
        results.push(result);
    }
    Ok(results)
}

/// One step: build the subscriptions, assign once, then the cooperative follow-up rounds.
fn run_step(
    assignor: &mut Assignor,
    name: &str,
    step: &Step,
    earlier: &[StepResult],
) -> Result<StepResult, CaseError> {
    let failed = |e: AssignError| CaseError(format!("the assignor failed: {e}"));
    let mut generation = match &*assignor {
        Assignor::CooperativeSticky(a) => a.generation(),
        _ => DEFAULT_GENERATION,
    };
    let subscriptions = build_subscriptions(name, step, earlier, &mut generation)?;
    if let Assignor::CooperativeSticky(a) = assignor {
        a.on_assignment(generation);
    }
    assignor.set_prefer_rack_aware_logic(step.prefer_rack_aware_logic);
    let assignment = assignor.assign(&step.cluster, &subscriptions).map_err(failed)?;
    let (transferring, sticky_first) = match &*assignor {
        Assignor::Sticky(a) => (Some(a.partitions_transferring_ownership().cloned()), Some(a.is_sticky())),
        Assignor::CooperativeSticky(a) => {
            (Some(a.partitions_transferring_ownership().cloned()), Some(a.is_sticky()))
        }
        _ => (None, None),
    };
    let mut result = StepResult {
        subscriptions,
        converged: assignment.clone(),
        effective: assignment.clone(),
        assignment,
        follow_ups: Vec::new(),
        did_converge: true,
        transferring_first_round: transferring,
        is_sticky: sticky_first.map(|s| (s, s)),
    };
    if let Assignor::CooperativeSticky(instance) = assignor {
        if step.verify_validity_and_balance {
            follow_up(instance, step, &mut result).map_err(failed)?;
            result.effective = result.converged.clone();
        } else {
            // Kafka's test did not run these rounds: run them on a copy, and if the assignor gives up in one,
            // report the last result rather than fail a step the test passed.
            if follow_up(&mut instance.clone(), step, &mut result).is_err() {
                result.did_converge = false;
            }
        }
    }
    Ok(result)
}

/// The cooperative follow-up rounds, recorded round by round.
fn follow_up(
    assignor: &mut CooperativeStickyAssignor,
    step: &Step,
    result: &mut StepResult,
) -> Result<(), AssignError> {
    let mut subscriptions = result.subscriptions.clone();
    let mut assignment = result.assignment.clone();
    while revokes_any(&subscriptions, &assignment) {
        if result.follow_ups.len() as u32 == super::cooperative_sticky::MAX_FOLLOW_UP_ROUNDS {
            result.did_converge = false;
            break;
        }
        for (id, sub) in &mut subscriptions {
            sub.owned_partitions = assignment.get(id).cloned().unwrap_or_default();
            sub.generation = Some(FOLLOW_UP_GENERATION);
            sub.user_data = Some(assignor.subscription_user_data());
        }
        assignment = assignor.assign(&step.cluster, &subscriptions)?;
        result.follow_ups.push((subscriptions.clone(), assignment.clone()));
        result.converged = assignment.clone();
    }
    if let Some((first, _)) = result.is_sticky {
        result.is_sticky = Some((first, assignor.is_sticky()));
    }
    Ok(())
}

/// The step's subscriptions, resolving `$prev`/`$stepN` against earlier results.
fn build_subscriptions(
    name: &str,
    step: &Step,
    earlier: &[StepResult],
    coop_generation: &mut i32,
) -> Result<Vec<(MemberId, Subscription)>, CaseError> {
    step.members
        .iter()
        .map(|member| {
            let owned = match &member.owned {
                Owned::Partitions(list) => list.clone(),
                Owned::Step(i) => {
                    earlier[*i].effective.get(&MemberId(member.id.clone())).cloned().ok_or_else(|| {
                        CaseError(format!(
                            "member \"{}\" owns its result of step {}, but it was not in that step",
                            member.id,
                            i + 1
                        ))
                    })?
                }
            };
            Ok((MemberId(member.id.clone()), subscription_for(name, member, owned, coop_generation)))
        })
        .collect()
}
