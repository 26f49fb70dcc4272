//! Reading the `data` of `POST /tasks` the way Asana does: typed fields,
//! dates and their rules (due and start dates), memberships and custom field
//! values, each refused with Asana's 400 naming the field.

use super::errors::ApiError;
use super::model::{CustomFieldKind, FieldValue, Store};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// The `data` object of a JSON request body.
pub fn request_data(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Could not parse request data, invalid JSON",
        )
    })?;
    match value.get("data") {
        Some(Value::Object(data)) => Ok(data.clone()),
        Some(_) => Err(ApiError::bad("data", "Not an object")),
        None => Err(ApiError::missing("data")),
    }
}

/// A string field: absent or null is `None`.
pub fn opt_string(data: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::bad(field, "Not a string")),
    }
}

/// A boolean field: absent or null is `None`.
pub fn opt_bool(data: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad(field, "Not a boolean")),
    }
}

/// A list of ids: an array of strings, or a comma separated string.
pub fn id_list(data: &Map<String, Value>, field: &str) -> Result<Vec<String>, ApiError> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.trim().to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(ApiError::bad(field, "Not a string")),
            })
            .collect(),
        Some(_) => Err(ApiError::bad(field, "Not an array")),
    }
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let shaped = raw.len() == 10
        && raw.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}

/// An ISO 8601 date-time with an offset, in UTC.
pub fn parse_date_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A UTC date-time as Asana renders it (`2024-05-01T08:00:00.000Z`).
pub fn render_date_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A task's due and start dates, as Asana renders them.
#[derive(Debug, Default, PartialEq)]
pub struct Schedule {
    pub due_on: Option<String>,
    pub due_at: Option<String>,
    pub start_on: Option<String>,
    pub start_at: Option<String>,
}

impl Schedule {
    /// Reads `due_on`, `due_at`, `start_on` and `start_at`:
    /// - each pair of `_on` and `_at` is one or the other;
    /// - `start_at` needs `due_at` in the same request, and `start_on` needs
    ///   `due_on` or `due_at` (the notes on these fields in Asana's API
    ///   reference).
    ///
    /// A start after the due date is let through: Asana's refusal of it is
    /// not documented.
    pub fn read(data: &Map<String, Value>) -> Result<Schedule, ApiError> {
        let due_on = opt_string(data, "due_on")?;
        let due_at = opt_string(data, "due_at")?;
        let start_on = opt_string(data, "start_on")?;
        let start_at = opt_string(data, "start_at")?;
        if due_on.is_some() && due_at.is_some() {
            return Err(ApiError::bad(
                "due_on",
                "Cannot be used together with due_at. You may only provide one of due_on or due_at.",
            ));
        }
        if start_on.is_some() && start_at.is_some() {
            return Err(ApiError::bad(
                "start_on",
                "Cannot be used together with start_at. You may only provide one of start_on or start_at.",
            ));
        }
        let date = |field: &str, raw: &Option<String>| -> Result<Option<NaiveDate>, ApiError> {
            raw.as_deref()
                .map(|r| parse_date(r).ok_or_else(|| ApiError::bad(field, "Not a valid date")))
                .transpose()
        };
        let time = |field: &str, raw: &Option<String>| -> Result<Option<DateTime<Utc>>, ApiError> {
            raw.as_deref()
                .map(|r| {
                    parse_date_time(r).ok_or_else(|| ApiError::bad(field, "Not a valid date-time"))
                })
                .transpose()
        };
        let due_on = date("due_on", &due_on)?;
        let due_at = time("due_at", &due_at)?;
        let start_on = date("start_on", &start_on)?;
        let start_at = time("start_at", &start_at)?;
        if start_at.is_some() && due_at.is_none() {
            return Err(ApiError::bad(
                "start_at",
                "due_at must be present in the request when setting start_at",
            ));
        }
        if start_on.is_some() && due_on.is_none() && due_at.is_none() {
            return Err(ApiError::bad(
                "start_on",
                "due_on or due_at must be present in the request when setting start_on",
            ));
        }
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        Ok(Schedule {
            due_on: due_on.or(due_at.map(|t| t.date_naive())).map(day),
            due_at: due_at.as_ref().map(render_date_time),
            start_on: start_on.or(start_at.map(|t| t.date_naive())).map(day),
            start_at: start_at.as_ref().map(render_date_time),
        })
    }

    /// The field that sets a start date, if any.
    pub fn start_field(&self) -> Option<&'static str> {
        if self.start_at.is_some() {
            Some("start_at")
        } else if self.start_on.is_some() {
            Some("start_on")
        } else {
            None
        }
    }
}

/// One entry of `memberships`: a project gid and optionally a section gid.
#[derive(Debug, PartialEq)]
pub struct MembershipInput {
    pub project: String,
    pub section: Option<String>,
}

/// Reads `memberships` (`[{"project": gid, "section": gid}]`).
pub fn memberships(data: &Map<String, Value>) -> Result<Vec<MembershipInput>, ApiError> {
    let items = match data.get("memberships") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::bad("memberships", "Not an array")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(entry) = item else {
                return Err(ApiError::bad(
                    "memberships",
                    &format!("[{i}]: Not an object"),
                ));
            };
            let field = |name: &str| match entry.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
                Some(_) => Err(ApiError::bad(
                    "memberships",
                    &format!("[{i}]: {name}: Not a gid"),
                )),
            };
            let project = field("project")?.ok_or_else(|| {
                ApiError::bad("memberships", &format!("[{i}]: project: Missing input"))
            })?;
            Ok(MembershipInput {
                project,
                section: field("section")?,
            })
        })
        .collect()
}

/// The values given in `custom_fields`, checked against the fields the
/// task's projects carry and each field's type.
pub fn custom_field_values(
    store: &Store,
    data: &Map<String, Value>,
    workspace: &str,
    on_task: &[&str],
) -> Result<Vec<(String, FieldValue)>, ApiError> {
    let entries = match data.get("custom_fields") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(entries)) => entries,
        Some(_) => return Err(ApiError::bad("custom_fields", "Not an object")),
    };
    let mut values = Vec::new();
    for (gid, raw) in entries {
        let field = store
            .custom_field(gid)
            .filter(|f| f.workspace == workspace)
            .ok_or_else(|| ApiError::not_recognized("custom_fields", gid))?;
        if !on_task.contains(&gid.as_str()) {
            return Err(ApiError::bad(
                "custom_fields",
                &format!("Custom field with ID {gid} is not on given object"),
            ));
        }
        if raw.is_null() {
            continue;
        }
        let wrong = |what: &str| {
            ApiError::bad(
                "custom_fields",
                &format!("Value for custom field {gid} must be {what}"),
            )
        };
        let value = match &field.kind {
            CustomFieldKind::Text => match raw {
                Value::String(s) => FieldValue::Text(s.clone()),
                _ => return Err(wrong("a string")),
            },
            CustomFieldKind::Number { .. } => {
                let number = match raw {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                FieldValue::Number(number.ok_or_else(|| wrong("a number"))?)
            }
            CustomFieldKind::Enum(options) => {
                let id = raw.as_str().ok_or_else(|| wrong("an enum option gid"))?;
                let option = options
                    .iter()
                    .find(|o| o.gid == id)
                    .ok_or_else(|| ApiError::not_recognized("custom_fields", id))?;
                FieldValue::Enum(option.clone())
            }
            CustomFieldKind::Date => date_value(raw).ok_or_else(|| {
                wrong("a date: {\"date\": \"YYYY-MM-DD\"} or {\"date_time\": \"<ISO 8601>\"}")
            })?,
        };
        values.push((gid.clone(), value));
    }
    Ok(values)
}

/// A date custom field's value: `{"date": "YYYY-MM-DD"}`,
/// `{"date_time": "<ISO 8601>"}` (exactly one of the two), or either as a
/// plain string.
fn date_value(raw: &Value) -> Option<FieldValue> {
    let from_date = |s: &str| {
        parse_date(s).map(|d| FieldValue::Date {
            date: d.format("%Y-%m-%d").to_string(),
            date_time: None,
        })
    };
    let from_time = |s: &str| {
        parse_date_time(s).map(|t| FieldValue::Date {
            date: t.date_naive().format("%Y-%m-%d").to_string(),
            date_time: Some(render_date_time(&t)),
        })
    };
    match raw {
        Value::String(s) => from_date(s).or_else(|| from_time(s)),
        Value::Object(o) => {
            let date = o.get("date").filter(|v| !v.is_null());
            let time = o.get("date_time").filter(|v| !v.is_null());
            let others = o.keys().any(|k| k != "date" && k != "date_time");
            match (date, time, others) {
                (Some(Value::String(d)), None, false) => from_date(d),
                (None, Some(Value::String(t)), false) => from_time(t),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn dates_must_be_real_and_zero_padded() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-2-9").is_none());
        assert!(parse_date("tomorrow").is_none());
    }

    #[test]
    fn a_start_date_needs_a_due_date_in_the_same_request() {
        let message = |v: Value| Schedule::read(&data(v)).unwrap_err().message().to_string();
        assert!(message(json!({"start_on": "2024-05-01"})).starts_with("start_on: "));
        assert!(
            message(json!({"start_at": "2024-05-01T10:00:00Z", "due_on": "2024-05-02"}))
                .starts_with("start_at: ")
        );
        assert!(message(json!({"start_on": "2024-05-01", "start_at": "2024-05-01T10:00:00Z", "due_at": "2024-05-02T10:00:00Z"}))
            .starts_with("start_on: Cannot be used together"));
        let schedule = Schedule::read(&data(json!({
            "start_at": "2024-05-01T10:00:00+02:00", "due_at": "2024-05-02T10:00:00Z"
        })))
        .unwrap();
        assert_eq!(
            schedule,
            Schedule {
                due_on: Some("2024-05-02".into()),
                due_at: Some("2024-05-02T10:00:00.000Z".into()),
                start_on: Some("2024-05-01".into()),
                start_at: Some("2024-05-01T08:00:00.000Z".into()),
            }
        );
        let schedule = Schedule::read(&data(
            json!({"start_on": "2024-05-01", "due_at": "2024-05-02T10:00:00Z"}),
        ))
        .unwrap();
        assert_eq!(schedule.start_field(), Some("start_on"));
    }

    #[test]
    fn date_values_are_a_date_or_a_date_time() {
        assert!(matches!(
            date_value(&json!({"date": "2024-05-01"})),
            Some(FieldValue::Date {
                date_time: None,
                ..
            })
        ));
        assert!(matches!(
            date_value(&json!({"date_time": "2024-05-01T10:00:00Z"})),
            Some(FieldValue::Date {
                date_time: Some(_),
                ..
            })
        ));
        assert!(
            date_value(&json!({"date": "2024-05-01", "date_time": "2024-05-01T10:00:00Z"}))
                .is_none()
        );
        assert!(date_value(&json!({"day": "2024-05-01"})).is_none());
        assert!(date_value(&json!(20240501)).is_none());
    }
}
