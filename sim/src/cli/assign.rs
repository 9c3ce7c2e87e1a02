//! `kafkasim assign CASE.json`: runs one assignor case (the format of `tests/conformance/assignors.json`) and
//! prints what each step assigned.
//!
//! Output: `{"steps": [{"assignment": {MEMBER: [[topic, p], ...]}, "converged": {...}}, ...]}`, one entry per
//! step. `assignment` is one `assign` call (for `cooperative-sticky`, with the partitions that change owner
//! withheld); `converged` is the result after the cooperative follow-up rebalances (the same as `assignment`
//! for the other assignors). Every member appears, partitions sorted by topic then partition.
//! A `kind: member_data` case prints `{"member_data": [{"partitions": [...], "generation": g}, ...]}` (`null`
//! where Kafka's test builder produced no subscription).

use super::CliError;
use crate::kafka::assignor::case_file::{parse_case, run_case, run_member_data, CaseBody};
use crate::kafka::assignor::{GroupAssignment, TopicPartition};
use serde_json::{json, Map, Value};
use std::path::Path;

/// Runs one assignor case file and returns the JSON to print.
pub fn run(case: &Path) -> Result<String, CliError> {
    let shown = case.display();
    let text = std::fs::read_to_string(case)
        .map_err(|e| CliError::bad_input(format!("cannot read {shown}: {e}")))?;
    let parsed = parse_case(&text).map_err(|e| CliError::bad_input(format!("{shown}: {e}")))?;
    let output = match &parsed.body {
        CaseBody::Steps(_) => {
            let results = run_case(&parsed).map_err(|e| CliError::bad_input(format!("{shown}: {e}")))?;
            let steps: Vec<Value> = results
                .iter()
                .map(|r| json!({"assignment": render(&r.assignment), "converged": render(&r.converged)}))
                .collect();
            json!({ "steps": steps })
        }
        CaseBody::MemberData(_) => {
            let data: Vec<Value> = run_member_data(&parsed)
                .into_iter()
                .map(|d| match d {
                    Some(d) => json!({"partitions": pairs(d.partitions), "generation": d.generation}),
                    None => Value::Null,
                })
                .collect();
            json!({ "member_data": data })
        }
        CaseBody::Generated => {
            return Err(CliError::bad_input(format!(
                "{shown}: a \"generated\" case describes a generator in prose; it has no input to run"
            )))
        }
    };
    Ok(format!("{output}\n"))
}

/// One assignment as a JSON object: every member, partitions sorted.
fn render(assignment: &GroupAssignment) -> Value {
    let members: Map<String, Value> =
        assignment.iter().map(|(member, list)| (member.to_string(), pairs(list.clone()))).collect();
    Value::Object(members)
}

/// Partitions as sorted `[topic, partition]` pairs.
fn pairs(mut list: Vec<TopicPartition>) -> Value {
    list.sort();
    Value::Array(list.into_iter().map(|tp| json!([tp.topic, tp.partition])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Writes `text` to a fresh file under the target directory's temp space and returns its path.
    fn case_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kafkasim-assign-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write case");
        path
    }

    fn run_text(name: &str, text: &str) -> Result<Value, CliError> {
        let out = run(&case_file(name, text))?;
        Ok(serde_json::from_str(&out).expect("output is JSON"))
    }

    #[test]
    fn range_case_prints_every_member_sorted() {
        let text = r#"{"assignor": "range", "topics": {"t": 3},
            "members": [{"id": "c2", "subscriptions": ["t"]}, {"id": "c1", "subscriptions": ["t"]},
                        {"id": "idle", "subscriptions": []}]}"#;
        let out = run_text("range.json", text).unwrap();
        let step = &out["steps"][0];
        assert_eq!(step["assignment"]["c1"], json!([["t", 0], ["t", 1]]));
        assert_eq!(step["assignment"]["c2"], json!([["t", 2]]));
        assert_eq!(step["assignment"]["idle"], json!([]));
        assert_eq!(step["assignment"], step["converged"]);
    }

    #[test]
    fn cooperative_steps_withhold_then_converge() {
        let text = r#"{"assignor": "cooperative-sticky", "steps": [
            {"topics": {"t": 3}, "members": [{"id": "a", "subscriptions": ["t"], "builder": "subscription"}],
             "verify_validity_and_balance": true},
            {"topics": {"t": 3}, "members": [
                {"id": "a", "subscriptions": ["t"], "owned": "$prev", "generation": 1, "builder": "v2"},
                {"id": "b", "subscriptions": ["t"], "owned": [], "generation": 1, "builder": "v2"}],
             "verify_validity_and_balance": true}]}"#;
        let out = run_text("coop.json", text).unwrap();
        let second = &out["steps"][1];
        assert_eq!(second["assignment"]["a"], json!([["t", 0], ["t", 1]]));
        assert_eq!(second["assignment"]["b"], json!([]));
        assert_eq!(second["converged"]["b"], json!([["t", 2]]));
    }

    #[test]
    fn member_data_case_prints_decoded_data() {
        let text = r#"{"assignor": "sticky", "kind": "member_data",
            "inputs": [{"builder": "v2", "owned": [["t", 0]], "generation": 3}]}"#;
        let out = run_text("md.json", text).unwrap();
        assert_eq!(out["member_data"][0], json!({"partitions": [["t", 0]], "generation": 3}));
    }

    #[test]
    fn bad_input_is_reported_with_position_or_path() {
        let missing = run(Path::new("/nonexistent/case.json")).unwrap_err();
        assert_eq!(missing.exit_code, 2);
        assert!(missing.message.contains("cannot read"), "{}", missing.message);

        let bad_json = run_text("bad.json", "{\"assignor\": \"range\",\n \"topics\": {").unwrap_err();
        assert!(bad_json.message.contains("line 2"), "{}", bad_json.message);

        let unknown =
            run_text("unknown.json", r#"{"assignor": "rang", "topics": {}, "members": []}"#).unwrap_err();
        assert!(unknown.message.contains("range, roundrobin, sticky, cooperative-sticky, server-range"));
        assert!(unknown.message.contains("did you mean \"range\""), "{}", unknown.message);

        let typo = r#"{"assignor": "range", "topics": {}, "membres": []}"#;
        let typo = run_text("typo.json", typo).unwrap_err();
        assert!(typo.message.contains("unknown field `membres`"), "{}", typo.message);
        assert!(typo.message.contains("did you mean `members`"), "{}", typo.message);

        let no_topics = run_text("missing.json", r#"{"assignor": "range", "members": []}"#).unwrap_err();
        assert!(no_topics.message.contains("missing field \"topics\""), "{}", no_topics.message);

        let prev = r#"{"assignor": "sticky", "topics": {"t": 1},
            "members": [{"id": "a", "subscriptions": ["t"], "owned": "$prev"}]}"#;
        let prev = run_text("prev.json", prev).unwrap_err();
        assert!(prev.message.contains("\"owned\""), "{}", prev.message);

        let list = run_text("list.json", "[]").unwrap_err();
        assert!(list.message.contains("one case object"), "{}", list.message);
    }

    #[test]
    fn server_range_refuses_unknown_topics() {
        let text = r#"{"assignor": "server-range", "topics": {},
            "members": [{"id": "A", "subscriptions": ["nope"]}]}"#;
        let err = run_text("server.json", text).unwrap_err();
        assert!(err.message.contains("non-existent topic"), "{}", err.message);
    }
}
