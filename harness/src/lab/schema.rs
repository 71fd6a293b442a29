//! The lab format as a JSON Schema (draft 2020-12), derived from the types
//! the loader deserializes: their doc comments are its descriptions, so an
//! editor's completion and validation say what `vethlab run` accepts.
//! The loader stays the judge: the schema knows shapes, not which nodes or
//! devices exist, and refusals of what a lab may not name (validation).

use super::expect::Expect;
use super::load::RawLab;
use super::model::{AnswerSpec, CniSpec, DaemonSpec, PingSpec, UdpSpec};
use schemars::JsonSchema;
use serde_json::Value;

/// Where the shipped labs find the schema, relative to `labs/<lab>/lab.json`.
pub const SHIPPED_PATH: &str = "../lab.schema.json";

/// One item of a step's `given` or `do` list.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
pub(super) enum Item {
    /// A command as the articles type it: `ip …`, `ip netns exec NODE …`,
    /// `sysctl -w`, `echo V > /proc/sys/…`, `ifconfig`, `brctl`, `bridge fdb`.
    Command(String),
    /// Pings from a node and the result wanted.
    Ping(PingSpec),
    /// A UDP request that must be answered.
    Udp(UdpSpec),
    /// An assertion on kernel state (each kind also takes `id` and `within_ms`: see [`json`]).
    Expect(Expect),
    /// A CNI plugin call.
    Cni(CniSpec),
    /// A daemon (BIRD) started in a node.
    Daemon(DaemonSpec),
    /// A question the learner answers with `vethlab answer X`.
    Answer(AnswerSpec),
    /// The same items once per row: `${name}` in their strings takes the row's value.
    Each(Each),
}

/// `{"each": [ROW, …], "do": [ITEM, …]}`: `do` once per row, in row order.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Each {
    /// The rows: each an object of names to strings or numbers, every name used by the items.
    each: Vec<std::collections::BTreeMap<String, Scalar>>,
    /// The items to repeat; a string that is exactly `${name}` takes the value with its type.
    #[serde(rename = "do")]
    template: Vec<Template>,
    /// Prose for readers of the file.
    about: Option<String>,
}

/// A row's value.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
pub(super) enum Scalar {
    /// Substituted as it is.
    Text(String),
    /// Substituted as a number where the whole string is `${name}`.
    Number(f64),
}

/// An item of an `each` before its row fills it in (checked once filled).
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
pub(super) enum Template {
    /// A command.
    Command(String),
    /// Any other item, its `${name}`s still to be filled.
    Object(serde_json::Map<String, Value>),
}

/// The schema, as JSON.
pub fn json() -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(RawLab)).unwrap_or(Value::Null);
    // Every item takes an observation `id`; an expectation also `within_ms`.
    // The loader takes both off before it reads the kind's own fields, so
    // they are added to each kind here rather than by `flatten`, which
    // would lose each kind's "no other field" (additionalProperties).
    let id = serde_json::json!({"description": "The observation it proves.", "type": ["string", "null"]});
    let within = serde_json::json!({
        "description": "Keep checking until it holds or this many ms pass (1 to 60000): state that arrives by itself, e.g. routes BIRD learns.",
        "type": "integer", "minimum": 1, "maximum": 60000});
    if let Some(kinds) = v
        .pointer_mut("/$defs/Expect/oneOf")
        .and_then(Value::as_array_mut)
    {
        for k in kinds {
            if let Some(p) = k.get_mut("properties").and_then(Value::as_object_mut) {
                p.insert("id".into(), id.clone());
                p.insert("within_ms".into(), within.clone());
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    /// The schema the shipped labs name is the one vethlab prints: after a
    /// change to the lab format, `vethlab schema > labs/lab.schema.json`.
    #[test]
    fn shipped_schema_is_current() {
        let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../labs/lab.schema.json");
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let shipped: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert!(
            shipped == super::json(),
            "{p} is stale: run `vethlab schema > labs/lab.schema.json`"
        );
    }
}
