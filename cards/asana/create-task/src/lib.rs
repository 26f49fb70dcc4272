//! Create Task (`asana.create-task`): creates an Asana task in a workspace,
//! in projects (and their sections) or under a parent task, validating the
//! input before any call.

use cardhost_sdk::prelude::*;
use cardhost_sdk::{dates, rich_text};
use std::collections::BTreeMap;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The task's name.
    #[schemars(length(min = 1))]
    name: String,
    /// The description, as plain text. Give `notes` or `html_notes`, not both.
    notes: Option<String>,
    /// The description in Asana's rich text: well-formed XML whose root is
    /// `<body>`, e.g. `<body>Read <em>this</em></body>`. Give `notes` or
    /// `html_notes`, not both.
    html_notes: Option<String>,
    /// What kind of task: `default_task` (the default), `milestone` or
    /// `approval`.
    resource_subtype: Option<Subtype>,
    /// Whether the task is created already completed.
    completed: Option<bool>,
    /// The gid of the workspace. At least one of `workspace`, `projects` and
    /// `parent` is needed; without any, the connection's default workspace.
    workspace: Option<String>,
    /// The gids of the projects to add the task to.
    projects: Option<Vec<String>>,
    /// Sections to put the task in: each a project and one of its sections.
    memberships: Option<Vec<Membership>>,
    /// The gid of the parent task, to create a subtask.
    parent: Option<String>,
    /// Who the task is assigned to: a user gid, an email or `me`.
    assignee: Option<String>,
    /// The due date, `YYYY-MM-DD`. Give `due_on` or `due_at`, not both.
    #[schemars(extend("format" = "date"))]
    due_on: Option<String>,
    /// The due date and time, RFC 3339 (`2024-05-01T17:00:00Z`); sent to
    /// Asana in UTC. Give `due_on` or `due_at`, not both.
    #[schemars(extend("format" = "date-time"))]
    due_at: Option<String>,
    /// The start date, `YYYY-MM-DD`; needs `due_on` or `due_at`. Give
    /// `start_on` or `start_at`, not both. A milestone has none.
    #[schemars(extend("format" = "date"))]
    start_on: Option<String>,
    /// The start date and time, RFC 3339; needs `due_at`; sent to Asana in
    /// UTC. Give `start_on` or `start_at`, not both. A milestone has none.
    #[schemars(extend("format" = "date-time"))]
    start_at: Option<String>,
    /// Followers: user gids or emails.
    followers: Option<Vec<String>>,
    /// The gids of tags to add.
    tags: Option<Vec<String>>,
    /// Custom field values by custom field gid: text, a number, an enum
    /// option gid, a list of gids (multi-enum or people fields), or for a
    /// date field `{"date": "YYYY-MM-DD"}` or `{"date_time": "<RFC 3339>"}`.
    custom_fields: Option<BTreeMap<String, CustomValue>>,
}

/// The kinds of task Asana creates.
#[derive(Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
enum Subtype {
    DefaultTask,
    Milestone,
    Approval,
}

/// A project and one of its sections.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Membership {
    /// The project's gid.
    project: String,
    /// The gid of a section of that project.
    section: String,
}

/// A custom field value.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
enum CustomValue {
    /// A number field's value.
    Number(serde_json::Number),
    /// A text field's value or an enum option's gid.
    Text(String),
    /// Gids of enum options (multi-enum) or users (people).
    List(Vec<String>),
    /// A date field's value.
    Date(DateValue),
}

/// A date field's value: a date or a date and time, not both.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DateValue {
    /// The date, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    date: Option<String>,
    /// The date and time, RFC 3339; sent to Asana in UTC.
    #[schemars(extend("format" = "date-time"))]
    date_time: Option<String>,
}

/// What is sent as `data` of `POST /tasks`.
#[derive(Serialize, Debug, PartialEq)]
struct NewTask<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    html_notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_subtype: Option<Subtype>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    projects: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memberships: Option<Vec<NewMembership<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_on: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_on: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    followers: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_fields: Option<BTreeMap<&'a str, Value>>,
}

/// A membership as Asana takes it at creation: the two gids.
#[derive(Serialize, Debug, PartialEq)]
struct NewMembership<'a> {
    project: &'a str,
    section: &'a str,
}

/// The task created.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Task {
    /// The task's gid.
    gid: String,
    /// The task's name.
    name: Option<String>,
    /// `default_task`, `milestone` or `approval`.
    #[serde(default)]
    resource_subtype: Option<String>,
    /// The description, as plain text.
    #[serde(default)]
    notes: Option<String>,
    /// Whether the task is completed.
    #[serde(default)]
    completed: Option<bool>,
    /// The task's URL in Asana.
    permalink_url: Option<String>,
    /// Who the task is assigned to, or null.
    assignee: Option<Compact>,
    /// The due date, `YYYY-MM-DD`, or null.
    due_on: Option<String>,
    /// The due date and time, or null.
    due_at: Option<String>,
    /// The start date, `YYYY-MM-DD`, or null.
    #[serde(default)]
    start_on: Option<String>,
    /// The start date and time, or null.
    #[serde(default)]
    start_at: Option<String>,
    /// The projects the task is in.
    #[serde(default)]
    projects: Vec<Compact>,
    /// The projects and sections the task is in.
    #[serde(default)]
    memberships: Vec<TaskMembership>,
    /// The parent task, or null.
    #[serde(default)]
    parent: Option<Compact>,
    /// The task's tags.
    #[serde(default)]
    tags: Vec<Compact>,
    /// The users following the task.
    #[serde(default)]
    followers: Vec<Compact>,
    /// The task's workspace.
    workspace: Option<Compact>,
}

/// A project the task is in and its section there.
#[derive(Serialize, Deserialize, JsonSchema)]
struct TaskMembership {
    /// The project.
    #[serde(default)]
    project: Option<Compact>,
    /// The section, or null.
    #[serde(default)]
    section: Option<Compact>,
}

/// The fields read back. Related objects only by name: more would need the
/// scopes of their own resources (<https://developers.asana.com/docs/oauth-scopes>).
const OPT_FIELDS: &str = "name,resource_subtype,notes,completed,permalink_url,assignee.name,\
due_on,due_at,start_on,start_at,projects.name,memberships.project.name,\
memberships.section.name,parent.name,tags.name,followers.name,workspace.name";

struct CreateTask;

impl Card for CreateTask {
    type Input = Input;
    type Output = Task;
    const ID: &'static str = "asana.create-task";
    const NAME: &'static str = "Create Task";
    const DESCRIPTION: &'static str =
        "Creates an Asana task, milestone or approval in a workspace, in projects and sections or as a subtask, \
         with assignee, dates, followers, tags and custom fields.";
    const VERSION: &'static str = "1.1.0";
    const SCOPES: &'static [&'static str] = &["tasks:write"];
    const USES_SERVICE_ACCOUNT: bool = false;

    fn run(input: Input, ctx: &Context) -> Result<Task, CardError> {
        let task = validate(&input, ctx.default_workspace())?;
        Ok(Asana::new(ctx).post_with_query("/tasks", &[("opt_fields", OPT_FIELDS)], &task)?)
    }
}

export_card!(CreateTask);

/// `Some(s)` trimmed, or `None` when absent or blank.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `Some(list)` when given and not empty; an empty item is an error naming it.
fn list<'a>(
    field: &str,
    value: &'a Option<Vec<String>>,
) -> Result<Option<&'a [String]>, CardError> {
    let Some(items) = value.as_deref().filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    match items.iter().position(|i| i.trim().is_empty()) {
        Some(i) => Err(CardError::invalid_input(
            format!("{field}[{i}]"),
            format!("`{field}` must not hold an empty gid"),
        )),
        None => Ok(Some(items)),
    }
}

/// A date `YYYY-MM-DD`, or an error naming `field`.
fn date<'a>(field: &str, value: Option<&'a str>) -> Result<Option<&'a str>, CardError> {
    value.map(|d| dates::date_field(field, d)).transpose()
}

/// An RFC 3339 date-time in UTC with `Z`, or an error naming `field`.
fn date_time(field: &str, value: Option<&str>) -> Result<Option<String>, CardError> {
    value.map(|d| dates::date_time_field(field, d)).transpose()
}

/// Refuses two fields given together: the error names the second.
fn not_both(first: (&str, bool), second: (&str, bool)) -> Result<(), CardError> {
    if first.1 && second.1 {
        return Err(CardError::invalid_input(
            second.0,
            format!("give `{}` or `{}`, not both", first.0, second.0),
        ));
    }
    Ok(())
}

/// Checks the input and builds the task to create; no HTTP.
fn validate<'a>(
    input: &'a Input,
    default_workspace: Option<&'a str>,
) -> Result<NewTask<'a>, CardError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(CardError::invalid_input("name", "`name` must not be empty"));
    }
    let (notes, html_notes) = (input.notes.as_deref(), input.html_notes.as_deref());
    not_both(
        ("notes", notes.is_some()),
        ("html_notes", html_notes.is_some()),
    )?;
    if let Some(xml) = html_notes {
        rich_text::check_field("html_notes", xml)?;
    }
    let (due_on, due_at) = (given(&input.due_on), given(&input.due_at));
    not_both(("due_on", due_on.is_some()), ("due_at", due_at.is_some()))?;
    let due_on = date("due_on", due_on)?;
    let due_at = date_time("due_at", due_at)?;
    let (start_on, start_at) = (given(&input.start_on), given(&input.start_at));
    not_both(
        ("start_on", start_on.is_some()),
        ("start_at", start_at.is_some()),
    )?;
    let start_on = date("start_on", start_on)?;
    let start_at = date_time("start_at", start_at)?;
    if start_on.is_some() && due_on.is_none() && due_at.is_none() {
        return Err(CardError::invalid_input(
            "start_on",
            "`start_on` needs a due date: give `due_on` or `due_at` too",
        ));
    }
    if start_at.is_some() && due_at.is_none() {
        return Err(CardError::invalid_input(
            "start_at",
            "`start_at` needs a due date and time: give `due_at` too",
        ));
    }
    if input.resource_subtype == Some(Subtype::Milestone) {
        for (field, set) in [
            ("start_on", start_on.is_some()),
            ("start_at", start_at.is_some()),
        ] {
            if set {
                return Err(CardError::invalid_input(
                    field,
                    format!("a milestone has no start date: leave out `{field}`"),
                ));
            }
        }
    }
    let projects = list("projects", &input.projects)?;
    let parent = given(&input.parent);
    let mut workspace = given(&input.workspace);
    if workspace.is_none() && projects.is_none() && parent.is_none() {
        workspace = default_workspace.filter(|w| !w.trim().is_empty());
        if workspace.is_none() {
            return Err(CardError::invalid_input(
                "workspace",
                "give a `workspace`, `projects` or a `parent` task: the connection has no default workspace",
            ));
        }
    }
    Ok(NewTask {
        name,
        notes,
        html_notes,
        resource_subtype: input.resource_subtype,
        completed: input.completed,
        workspace,
        projects,
        memberships: memberships(&input.memberships)?,
        parent,
        assignee: given(&input.assignee),
        due_on,
        due_at,
        start_on,
        start_at,
        followers: list("followers", &input.followers)?,
        tags: list("tags", &input.tags)?,
        custom_fields: custom_fields(&input.custom_fields)?,
    })
}

/// The memberships to send; an empty gid is an error naming it.
fn memberships(
    value: &Option<Vec<Membership>>,
) -> Result<Option<Vec<NewMembership<'_>>>, CardError> {
    let Some(items) = value.as_deref().filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, m) in items.iter().enumerate() {
        let (project, section) = (m.project.trim(), m.section.trim());
        for (field, gid) in [("project", project), ("section", section)] {
            if gid.is_empty() {
                return Err(CardError::invalid_input(
                    format!("memberships[{i}].{field}"),
                    format!("`memberships[{i}].{field}` must be a {field} gid"),
                ));
            }
        }
        out.push(NewMembership { project, section });
    }
    Ok(Some(out))
}

/// The custom field values to send, date-times in UTC; a blank gid or a bad
/// date value is an error naming the field.
fn custom_fields(
    value: &Option<BTreeMap<String, CustomValue>>,
) -> Result<Option<BTreeMap<&str, Value>>, CardError> {
    let Some(fields) = value.as_ref().filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    for (gid, value) in fields {
        let field = format!("custom_fields.{gid}");
        if gid.trim().is_empty() {
            return Err(CardError::invalid_input(
                field,
                "`custom_fields` keys must be custom field gids",
            ));
        }
        let value = match value {
            CustomValue::Date(d) => date_value(&field, d)?,
            other => serde_json::to_value(other)?,
        };
        out.insert(gid.as_str(), value);
    }
    Ok(Some(out))
}

/// A date field's value checked: exactly one of `date` and `date_time`.
fn date_value(field: &str, value: &DateValue) -> Result<Value, CardError> {
    match (given(&value.date), given(&value.date_time)) {
        (Some(d), None) => {
            date(&format!("{field}.date"), Some(d))?;
            Ok(json!({ "date": d }))
        }
        (None, Some(t)) => {
            let utc = date_time(&format!("{field}.date_time"), Some(t))?;
            Ok(json!({ "date_time": utc }))
        }
        _ => Err(CardError::invalid_input(
            field,
            format!("`{field}` must give a `date` or a `date_time`, one of the two"),
        )),
    }
}

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
