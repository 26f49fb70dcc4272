//! Update User (`asana.update-user`): changes a user's name, title or
//! department with SCIM (`PATCH /scim/Users/{id}`), finding the user by
//! email (SCIM filter `userName eq "…"`) or by SCIM id. SCIM takes the
//! connection's service account token, not its OAuth grant: the card needs
//! no OAuth scope.

use cardhost_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The user's primary email. Give `email` or `id`, not both.
    #[serde(default)]
    #[schemars(extend("format" = "email"))]
    email: Option<String>,
    /// The user's SCIM id (as `asana.create-user` returns it). Give `email`
    /// or `id`, not both.
    #[serde(default)]
    id: Option<String>,
    /// The new full name (SCIM `name.formatted`; Asana takes no given or
    /// family name in an update).
    #[serde(default)]
    name: Option<String>,
    /// The new job title.
    #[serde(default)]
    title: Option<String>,
    /// The new department.
    #[serde(default)]
    department: Option<String>,
}

struct UpdateUser;

impl Card for UpdateUser {
    type Input = Input;
    type Output = asana::ScimProfile;
    const ID: &'static str = "asana.update-user";
    const NAME: &'static str = "Update User";
    const DESCRIPTION: &'static str =
        "Changes an Asana user's name, title or department with SCIM, finding them by email or \
         SCIM id. Needs an Asana Enterprise service account token on the connection.";
    const VERSION: &'static str = "1.0.0";
    /// None: SCIM takes the connection's service account token, not its
    /// OAuth grant, and no OAuth scope covers SCIM.
    const SCOPES: &'static [&'static str] = &[];
    const USES_SERVICE_ACCOUNT: bool = true;

    fn run(input: Input, ctx: &Context) -> Result<asana::ScimProfile, CardError> {
        let (field, value) = asana::one_of(
            ("email", input.email.as_deref()),
            ("id", input.id.as_deref()),
        )?;
        let value = match field {
            "email" => asana::email(field, value)?,
            _ => asana::path_segment(field, value).map(|_| value)?,
        };
        let mut operations = Vec::new();
        for (field, path, value) in [
            ("name", "name.formatted", &input.name),
            ("title", "title", &input.title),
            ("department", DEPARTMENT, &input.department),
        ] {
            if let Some(value) = asana::non_blank(field, value.as_deref())? {
                operations.push(asana::scim_replace(path, value));
            }
        }
        if operations.is_empty() {
            let why = "give at least one of `name`, `title` and `department` to change";
            return Err(CardError::invalid_input("name", why));
        }
        asana::require_service_account(ctx, Self::ID)?;
        let asana = Asana::new(ctx);
        let id = match field {
            "email" => asana.scim_user_for(field, value)?.id.unwrap_or_default(),
            _ => value.to_string(),
        };
        let patched = asana
            .scim_patch(&id, operations)
            .map_err(|e| match e.status {
                404 => e.or_not_found(field, value),
                _ => asana::scim_card_error(e),
            })?;
        Ok(patched.into())
    }
}

/// The SCIM path of the enterprise extension's `department`.
const DEPARTMENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

export_card!(UpdateUser);

// The tests mock the HTTP capability, which only exists outside a component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
