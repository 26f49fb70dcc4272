//! Create Membership (`asana.create-membership`): adds a user or a team to
//! an Asana project (`POST /memberships` with the project as `parent`), with
//! an access level.
//!
//! Scopes: Asana's description of `createMembership` lists no granular OAuth
//! scope, so an app registered with granular scopes cannot call it: the card
//! needs Full permissions (`default`), or a personal access token connection.
//! (`POST /projects/{project_gid}/addMembers` takes users only, not teams.)

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The gid of the project.
    #[schemars(length(min = 1))]
    project: String,
    /// The gid of the user or team to add.
    #[schemars(length(min = 1))]
    member: String,
    /// The member's access: `admin`, `editor` or `commenter`; the project's
    /// default access level when not given.
    access_level: Option<AccessLevel>,
}

/// The access levels a project membership takes.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum AccessLevel {
    Admin,
    Editor,
    Commenter,
}

/// What `POST /memberships` sends as `data`.
#[derive(Serialize)]
struct NewMembership<'a> {
    parent: &'a str,
    member: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_level: Option<AccessLevel>,
}

/// The membership created.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Membership {
    /// The membership's gid (Delete Membership takes it).
    gid: String,
    /// The project.
    parent: Option<Compact>,
    /// The member: a user or a team.
    member: Option<Member>,
    /// The member's access: `admin`, `editor`, `commenter` or `viewer`.
    access_level: Option<String>,
}

/// A user or a team.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Member {
    /// The member's gid.
    gid: String,
    /// The member's name.
    name: Option<String>,
    /// `user` or `team`.
    resource_type: Option<String>,
}

struct CreateMembership;

impl Card for CreateMembership {
    type Input = Input;
    type Output = Membership;
    const ID: &'static str = "asana.create-membership";
    const NAME: &'static str = "Create Membership";
    const DESCRIPTION: &'static str =
        "Adds a user or a team to an Asana project as a member, with an access level.";
    const VERSION: &'static str = "1.0.0";
    /// Full permissions: see the module's documentation.
    const SCOPES: &'static [&'static str] = &["default"];

    fn run(input: Input, ctx: &Context) -> Result<Membership, CardError> {
        let membership = NewMembership {
            parent: asana::gid("project", &input.project)?,
            member: asana::gid("member", &input.member)?,
            access_level: input.access_level,
        };
        Asana::new(ctx)
            .post("/memberships", &membership)
            .map_err(|e| {
                let e = e.naming_any(&["project", "member", "parent"]);
                match e.field.as_deref() {
                    Some("parent") => e.with_field("project"),
                    _ => e,
                }
            })
    }
}

export_card!(CreateMembership);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
