//! Bounds on what a flow may hold and make, checked before a step runs or
//! anything is stored: how deep and how large a run's input, a resolved step
//! input, a step's output, a loop's collected results and the flow's output
//! may be, how many references one definition may hold and how many card
//! steps one run may start.
//!
//! The depth bound keeps every stored run decodable: serde_json refuses to
//! read values nested deeper than 128 levels, and a run record wraps each
//! value in a few levels of its own.

use std::io::Write;

use serde_json::Value;

/// Deepest nesting of a run's input, a step's input (literal or resolved)
/// or a step's output.
pub const MAX_DEPTH: usize = 64;

/// Most references (`$.input…`, `$.steps…`) in one flow definition.
pub const MAX_REFERENCES: usize = 256;

/// Most card steps one run starts (a loop runs its steps once per item).
pub const MAX_CARD_RUNS: usize = 5000;

/// How deeply `value` nests: a scalar is 0, `[1]` is 1, `{"a": [1]}` is 2.
/// Walks without recursion, so any value can be measured.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                deepest = deepest.max(d + 1);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(d + 1);
                stack.extend(map.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// The size of `value` as compact JSON, or `None` as soon as it passes
/// `limit`: nothing is allocated for the text.
pub fn json_size_within(value: &Value, limit: usize) -> Option<usize> {
    struct Counter {
        written: usize,
        limit: usize,
    }
    impl Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.written += buf.len();
            if self.written > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter { written: 0, limit };
    serde_json::to_writer(&mut counter, value).ok()?;
    Some(counter.written)
}

/// Check a value a flow is about to keep or hand to a card: at most
/// [`MAX_DEPTH`] deep and `max_bytes` of JSON. The message names the limit.
pub fn check_value(value: &Value, max_bytes: usize) -> Result<(), String> {
    let d = depth(value);
    if d > MAX_DEPTH {
        return Err(format!(
            "it is nested {d} levels deep; a flow keeps values at most {MAX_DEPTH} levels deep"
        ));
    }
    if json_size_within(value, max_bytes).is_none() {
        return Err(format!(
            "it is larger than {max_bytes} bytes of JSON, the most a flow hands a card or keeps"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        (0..levels).fold(json!(1), |v, _| json!([v]))
    }

    #[test]
    fn depth_counts_levels() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({"a": [1, {"b": 2}]})), 3);
        assert_eq!(depth(&nested(200)), 200);
    }

    #[test]
    fn sizes_stop_at_the_limit() {
        assert_eq!(json_size_within(&json!({"a": 1}), 100), Some(7));
        assert_eq!(json_size_within(&json!("x".repeat(1000)), 100), None);
    }

    #[test]
    fn values_over_a_limit_are_refused_with_the_limit_named() {
        assert!(check_value(&nested(MAX_DEPTH), 1 << 20).is_ok());
        let e = check_value(&nested(MAX_DEPTH + 1), 1 << 20).unwrap_err();
        assert!(e.contains("64 levels"), "{e}");
        let e = check_value(&json!("x".repeat(2000)), 1000).unwrap_err();
        assert!(e.contains("1000 bytes"), "{e}");
    }
}
