//! `use cardhost_sdk::prelude::*;` brings what a card usually needs.

pub use crate::asana::{self, Asana, AsanaError, Compact, Page};
pub use crate::github::{self, GitHub, GitHubError};
pub use crate::http::{Credential, Http, Method, Request, Response};
pub use crate::{card_io, export_card, export_event_card};
pub use crate::{Card, CardError, Context, ErrorKind, EventCard, HttpError, Level};
pub use schemars::{self, JsonSchema};
pub use serde::{self, Deserialize, Serialize};
pub use serde_json::{self, json, Value};
