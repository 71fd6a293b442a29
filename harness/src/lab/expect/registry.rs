//! The machinery behind the list of kinds in `mod.rs`: from `"tag" =>
//! Variant(module::Type)` lines, the `Expect` enum serde reads by its
//! `"expect"` tag, its dispatch to each kind's [`Kind`](super::Kind), and
//! its JSON schema built from each kind's own. Nothing here names a kind.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Value};

/// Declares the kinds: each module, the `Expect` enum over them, and
/// `Expect`'s dispatch and schema.
macro_rules! kinds {
    ($($(#[$doc:meta])* $tag:literal => $variant:ident($module:ident :: $ty:ident),)*) => {
        $(pub mod $module;)*
        $(pub use $module::$ty;)*

        /// An assertion on kernel state, as written in lab.json (`"expect": KIND`).
        #[derive(Debug, Clone, serde::Deserialize)]
        #[serde(tag = "expect")]
        pub enum Expect {
            $(
                $(#[$doc])*
                #[doc = concat!("`\"expect\": \"", $tag, "\"`: see [`", stringify!($ty), "`].")]
                #[serde(rename = $tag)]
                $variant($module::$ty),
            )*
        }

        /// Every kind's `"expect"` tag, in the list's order.
        pub const TAGS: &[&str] = &[$($tag),*];

        impl Expect {
            /// Its `"expect"` tag.
            pub fn tag(&self) -> &'static str {
                match self {
                    $(Expect::$variant(_) => $tag,)*
                }
            }
        }

        /// What every kind answers, its own file's code.
        impl std::ops::Deref for Expect {
            type Target = dyn Kind;
            fn deref(&self) -> &Self::Target {
                match self {
                    $(Expect::$variant(k) => k,)*
                }
            }
        }

        impl schemars::JsonSchema for Expect {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "Expect".into()
            }
            fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
                registry::one_of(vec![$(registry::tagged::<$module::$ty>(g, $tag)),*])
            }
        }
    };
}

/// A kind's schema with its `"expect": TAG` property, required first, as
/// serde's internal tag reads it.
pub(super) fn tagged<T: JsonSchema>(g: &mut SchemaGenerator, tag: &str) -> Value {
    let mut s = T::json_schema(g).to_value();
    if let Some(p) = s.get_mut("properties").and_then(Value::as_object_mut) {
        p.insert("expect".into(), json!({"type": "string", "const": tag}));
    }
    if let Some(r) = s.get_mut("required").and_then(Value::as_array_mut) {
        r.insert(0, "expect".into());
    } else if let Some(o) = s.as_object_mut() {
        o.insert("required".into(), json!(["expect"]));
    }
    s
}

/// `Expect`'s schema: exactly one of the kinds.
pub(super) fn one_of(kinds: Vec<Value>) -> Schema {
    json_schema!({
        "description": "An assertion on kernel state, as written in lab.json (`\"expect\": KIND`).",
        "oneOf": kinds,
    })
}
