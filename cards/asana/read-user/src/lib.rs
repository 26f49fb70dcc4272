//! Read User (`asana.read-user`): one Asana user, by `me`, gid or email, and
//! their secondary emails (from SCIM) when the connection has a service
//! account token.

use cardhost_sdk::prelude::*;
use std::collections::BTreeMap;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The user: `me`, a user gid or an email address.
    #[schemars(length(min = 1))]
    user: String,
    /// The gid of a workspace to read the user in.
    #[serde(default)]
    workspace: Option<String>,
}

/// The user.
#[derive(Serialize, Deserialize, JsonSchema)]
struct User {
    /// The user's gid.
    gid: String,
    /// The user's name.
    name: Option<String>,
    /// The user's (primary) email.
    email: Option<String>,
    /// URLs of the user's photo by size (`image_60x60`, ...), or null.
    photo: Option<BTreeMap<String, String>>,
    /// The workspaces the user is in that the connection can see.
    #[serde(default)]
    workspaces: Vec<Compact>,
    /// The user's secondary emails, read with SCIM. Present only when the
    /// connection has a service account token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secondary_emails: Option<Vec<String>>,
}

struct ReadUser;

impl Card for ReadUser {
    type Input = Input;
    type Output = User;
    const ID: &'static str = "asana.read-user";
    const NAME: &'static str = "Read User";
    const DESCRIPTION: &'static str =
        "Reads an Asana user by `me`, gid or email, with secondary emails when the connection has a service account token.";
    const VERSION: &'static str = "1.1.0";
    const SCOPES: &'static [&'static str] = &["users:read"];
    const USES_SERVICE_ACCOUNT: bool = true;

    fn run(input: Input, ctx: &Context) -> Result<User, CardError> {
        let path = format!("/users/{}", asana::path_segment("user", &input.user)?);
        let mut query = vec![("opt_fields", "name,email,photo,workspaces.name")];
        if let Some(ws) = input
            .workspace
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            query.push(("workspace", ws));
        }
        let mut user: User = Asana::new(ctx).get(&path, &query)?;
        if ctx.has_service_account() {
            user.secondary_emails = Some(match &user.email {
                Some(email) => Asana::new(ctx).secondary_emails(email)?,
                None => {
                    ctx.warn("the user has no visible email: no secondary emails to read");
                    Vec::new()
                }
            });
        }
        Ok(user)
    }
}

export_card!(ReadUser);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
