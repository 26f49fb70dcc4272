//! New Comment (`asana.new-comment`): an event card that starts a flow when
//! someone comments on a task of an Asana project, with the comment and the
//! task it is on.

use cardhost_sdk::asana::events::{fetch_if_there, Event, Filter, Subscription};
use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the project to watch.
    #[schemars(length(min = 1))]
    project: String,
}

/// The comment, as a flow receives it.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Comment {
    /// The comment's (story's) gid.
    gid: String,
    /// The comment, as plain text.
    text: Option<String>,
    /// When it was written.
    created_at: Option<String>,
    /// Who wrote it (null for an integration Asana does not name).
    created_by: Option<Compact>,
}

/// What a flow started by a comment receives.
#[derive(Serialize, JsonSchema)]
struct Output {
    comment: Comment,
    /// The task the comment is on.
    task: Compact,
}

/// A story as read with [`STORY_FIELDS`].
#[derive(Deserialize)]
struct Story {
    #[serde(flatten)]
    comment: Comment,
    resource_subtype: Option<String>,
    target: Option<Compact>,
}

/// The `opt_fields` of a [`Story`]: related objects by name only, which
/// `stories:read` allows.
const STORY_FIELDS: &str = "text,created_at,created_by.name,resource_subtype,target.name";

struct NewComment;

impl EventCard for NewComment {
    type Input = Input;
    type Output = Output;
    type Event = Event;
    const ID: &'static str = "asana.new-comment";
    const NAME: &'static str = "New Comment";
    const DESCRIPTION: &'static str =
        "Starts a flow when someone comments on a task of an Asana project, with the comment \
         (text, author, time) and the task.";
    const VERSION: &'static str = "1.0.0";
    const SCOPES: &'static [&'static str] = &["webhooks:write", "webhooks:delete", "stories:read"];

    fn subscription(input: &Input, _ctx: &Context) -> Result<Value, CardError> {
        let project = asana::gid("project", &input.project)?;
        let filter = Filter::new("story", "added").subtype("comment_added");
        Ok(Subscription::new(project, filter).to_value())
    }

    fn on_event(input: &Input, event: Event, ctx: &Context) -> Result<Option<Output>, CardError> {
        asana::gid("project", &input.project)?;
        let subtype = event.resource.resource_subtype.as_deref();
        if !event.is("added", "story") || subtype.is_some_and(|s| s != "comment_added") {
            return Ok(None);
        }
        let path = format!(
            "/stories/{}",
            asana::gid("resource.gid", &event.resource.gid)?
        );
        let Some(story) = fetch_if_there::<Story>(ctx, &path, &[("opt_fields", STORY_FIELDS)])?
        else {
            return Ok(None);
        };
        if story.resource_subtype.as_deref() != Some("comment_added") {
            return Ok(None);
        }
        let Some(task) = story.target else {
            ctx.info(format!(
                "story {} is on no task: not reported",
                story.comment.gid
            ));
            return Ok(None);
        };
        Ok(Some(Output {
            comment: story.comment,
            task,
        }))
    }
}

export_event_card!(NewComment);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
