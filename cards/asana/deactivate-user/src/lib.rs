//! Deactivate User (`asana.deactivate-user`): deprovisions an Asana user with
//! SCIM (`PATCH /scim/Users/{id}` setting `active` to false), finding them by
//! email, or by gid through their email (`GET /users/{gid}`). Asana cannot
//! reactivate a deprovisioned user through its API.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The user's primary email. Give `email` or `gid`, not both.
    #[serde(default)]
    #[schemars(extend("format" = "email"))]
    email: Option<String>,
    /// The user's gid, digits (their email is read first). Give `email` or
    /// `gid`, not both.
    #[serde(default)]
    gid: Option<String>,
}

/// The user, deactivated.
#[derive(Serialize, JsonSchema)]
struct Output {
    #[serde(flatten)]
    user: asana::ScimProfile,
    /// True when the user was already deactivated (nothing was changed).
    already_deactivated: bool,
    /// What deactivation means in Asana: it cannot be undone through the API.
    note: &'static str,
}

const NOTE: &str =
    "Deactivated (deprovisioned) in Asana. This cannot be undone here: Asana does not \
    reactivate a deprovisioned user through its API (SCIM does not take active=true back). The \
    user's work goes to the transfer recipient set in Asana's Admin Console.";

struct DeactivateUser;

impl Card for DeactivateUser {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.deactivate-user";
    const NAME: &'static str = "Deactivate User";
    const DESCRIPTION: &'static str =
        "Deactivates (deprovisions) an Asana user by email or gid with SCIM. Irreversible through \
         the API: Asana cannot reactivate a deactivated user; their work goes to the recipient set \
         in the Admin Console. Needs an Asana Enterprise service account token on the connection.";
    const VERSION: &'static str = "1.0.0";
    /// `users:read` for `GET /users/{gid}`, to read the email of a user given
    /// by gid. The SCIM calls take the service account token, not the OAuth grant.
    const SCOPES: &'static [&'static str] = &["users:read"];
    const USES_SERVICE_ACCOUNT: bool = true;

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let (field, value) = asana::one_of(
            ("email", input.email.as_deref()),
            ("gid", input.gid.as_deref()),
        )?;
        let value = match field {
            "email" => asana::email(field, value)?,
            _ => asana::gid(field, value)?,
        };
        asana::require_service_account(ctx, Self::ID)?;
        let asana = Asana::new(ctx);
        let email = match field {
            "gid" => {
                let user: Value = asana
                    .get(&format!("/users/{value}"), &[("opt_fields", "email")])
                    .map_err(|e| e.or_not_found("gid", value))?;
                let email = user["email"].as_str().map(str::to_string);
                email.ok_or_else(|| {
                    CardError::forbidden(format!(
                        "Asana shows the connection no email for user {value}: SCIM finds users by email"
                    ))
                })?
            }
            _ => value.to_string(),
        };
        let found = asana.scim_user_for(field, &email)?;
        if found.active == Some(false) {
            return Ok(output(found, true));
        }
        let id = found.id.unwrap_or_default();
        let off = vec![asana::scim_replace("active", false)];
        let patched = asana.scim_patch(&id, off).map_err(|e| match e.status {
            404 => e.or_not_found(field, value),
            _ => asana::scim_card_error(e),
        })?;
        Ok(output(patched, false))
    }
}

fn output(user: asana::ScimUser, already_deactivated: bool) -> Output {
    Output {
        user: user.into(),
        already_deactivated,
        note: NOTE,
    }
}

export_card!(DeactivateUser);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
