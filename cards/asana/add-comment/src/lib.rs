//! Add Comment (`asana.add-comment`): adds a comment (a story) to an Asana
//! task (`POST /tasks/{gid}/stories`), as plain text or as rich text.

use cardhost_sdk::prelude::*;
use cardhost_sdk::rich_text;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the task to comment on.
    #[schemars(length(min = 1))]
    task: String,
    /// The comment, as plain text. Give `text` or `html_text`, not both.
    text: Option<String>,
    /// The comment in Asana's rich text: well-formed XML whose root is
    /// `<body>`, e.g. `<body>Done, see <a href="https://x.io">x</a></body>`.
    /// Give `text` or `html_text`, not both.
    html_text: Option<String>,
}

/// The comment added.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Story {
    /// The comment's (story's) gid.
    gid: String,
    /// When the comment was added.
    created_at: Option<String>,
    /// The comment, as plain text (without its author's name).
    text: Option<String>,
    /// Who added it: the connection's user.
    created_by: Option<Compact>,
}

struct AddComment;

impl Card for AddComment {
    type Input = Input;
    type Output = Story;
    const ID: &'static str = "asana.add-comment";
    const NAME: &'static str = "Add Comment";
    const DESCRIPTION: &'static str =
        "Adds a comment to an Asana task, as plain text or rich text, as the connection's user.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["stories:write"];

    fn run(input: Input, ctx: &Context) -> Result<Story, CardError> {
        let path = format!("/tasks/{}/stories", asana::gid("task", &input.task)?);
        let (field, value) = asana::exactly_one(&[
            ("text", input.text.as_deref()),
            ("html_text", input.html_text.as_deref()),
        ])?;
        if value.trim().is_empty() {
            let empty = format!("`{field}` must not be empty");
            return Err(CardError::invalid_input(field, empty));
        }
        if field == "html_text" {
            rich_text::check_field(field, value)?;
        }
        let query = [("opt_fields", "created_at,text,created_by.name")];
        Asana::new(ctx)
            .post_with_query(&path, &query, &json!({ (field): value }))
            .map_err(|e| e.naming("task"))
    }
}

export_card!(AddComment);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
