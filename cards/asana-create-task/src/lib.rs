//! Create Task (`asana.create-task`): creates an Asana task in a workspace,
//! in projects or under a parent task, validating the input before any call.

mod dates;

use cardhost_sdk::prelude::*;
use std::collections::BTreeMap;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The task's name.
    #[schemars(length(min = 1))]
    name: String,
    /// The description, as plain text. Give `notes` or `html_notes`, not both.
    notes: Option<String>,
    /// The description, in Asana's rich text HTML (`<body>...</body>`). Give
    /// `notes` or `html_notes`, not both.
    html_notes: Option<String>,
    /// The gid of the workspace. At least one of `workspace`, `projects` and
    /// `parent` is needed; without any, the connection's default workspace.
    workspace: Option<String>,
    /// The gids of the projects to add the task to.
    projects: Option<Vec<String>>,
    /// The gid of the parent task, to create a subtask.
    parent: Option<String>,
    /// Who the task is assigned to: a user gid, an email or `me`.
    assignee: Option<String>,
    /// The due date, `YYYY-MM-DD`. Give `due_on` or `due_at`, not both.
    #[schemars(extend("format" = "date"))]
    due_on: Option<String>,
    /// The due date and time, RFC 3339 (`2024-05-01T17:00:00Z`). Give
    /// `due_on` or `due_at`, not both.
    #[schemars(extend("format" = "date-time"))]
    due_at: Option<String>,
    /// Followers: user gids or emails.
    followers: Option<Vec<String>>,
    /// The gids of tags to add.
    tags: Option<Vec<String>>,
    /// Custom field values by custom field gid: text, a number, an enum
    /// option gid, or a list of gids (multi-enum or people fields).
    custom_fields: Option<BTreeMap<String, CustomValue>>,
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
}

/// What is sent as `data` of `POST /tasks`.
#[derive(Serialize)]
struct NewTask<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    html_notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    projects: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_on: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    followers: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_fields: Option<&'a BTreeMap<String, CustomValue>>,
}

/// The task created.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Task {
    /// The task's gid.
    gid: String,
    /// The task's name.
    name: Option<String>,
    /// The task's URL in Asana.
    permalink_url: Option<String>,
    /// Who the task is assigned to, or null.
    assignee: Option<Compact>,
    /// The due date, `YYYY-MM-DD`, or null.
    due_on: Option<String>,
    /// The due date and time, or null.
    due_at: Option<String>,
    /// The projects the task is in.
    #[serde(default)]
    projects: Vec<Compact>,
    /// The task's workspace.
    workspace: Option<Compact>,
}

const OPT_FIELDS: &str =
    "name,permalink_url,assignee.name,due_on,due_at,projects.name,workspace.name";

struct CreateTask;

impl Card for CreateTask {
    type Input = Input;
    type Output = Task;
    const ID: &'static str = "asana.create-task";
    const NAME: &'static str = "Create Task";
    const DESCRIPTION: &'static str =
        "Creates an Asana task in a workspace, in projects or as a subtask, with assignee, dates, followers, tags and custom fields.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["default"];
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
    if notes.is_some() && html_notes.is_some() {
        return Err(CardError::invalid_input(
            "html_notes",
            "give `notes` or `html_notes`, not both",
        ));
    }
    let (due_on, due_at) = (given(&input.due_on), given(&input.due_at));
    if due_on.is_some() && due_at.is_some() {
        return Err(CardError::invalid_input(
            "due_at",
            "give `due_on` or `due_at`, not both",
        ));
    }
    if due_on.is_some_and(|d| !dates::is_valid_date(d)) {
        return Err(CardError::invalid_input(
            "due_on",
            "`due_on` must be a calendar date written YYYY-MM-DD",
        ));
    }
    if due_at.is_some_and(|d| !dates::is_valid_date_time(d)) {
        return Err(CardError::invalid_input(
            "due_at",
            "`due_at` must be an RFC 3339 date-time such as 2024-05-01T17:00:00Z",
        ));
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
    if let Some(custom) = &input.custom_fields {
        if let Some(key) = custom.keys().find(|k| k.trim().is_empty()) {
            return Err(CardError::invalid_input(
                format!("custom_fields.{key}"),
                "`custom_fields` keys must be custom field gids",
            ));
        }
    }
    Ok(NewTask {
        name,
        notes,
        html_notes,
        workspace,
        projects,
        parent,
        assignee: given(&input.assignee),
        due_on,
        due_at,
        followers: list("followers", &input.followers)?,
        tags: list("tags", &input.tags)?,
        custom_fields: input.custom_fields.as_ref().filter(|c| !c.is_empty()),
    })
}

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
