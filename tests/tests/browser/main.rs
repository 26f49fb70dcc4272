//! The web console in a real browser: Debian's Chromium, headless, driven
//! over WebDriver (chromedriver), against the real host and the fake Asana
//! on loopback; plus the console's sign-in, CSRF and header checks over
//! plain HTTP, a rebound name that must get nothing, and the flow builder.

mod chromium;
#[path = "../common/mod.rs"]
mod common;

mod builder;
mod forms;
mod pages;
mod rebinding;

use chromium::Browser;
use common::Host;

/// Sign in through the login page; ends on the Connections page.
pub async fn sign_in(b: &Browser, host: &Host) {
    b.goto(&format!("{}/console/connections", host.base)).await;
    b.wait_url("/console/login").await;
    b.fill("#api_key", &host.api_key()).await;
    b.click("#sign-in").await;
    b.wait_url("/console/connections").await;
    b.wait_text("main h1", "Connections").await;
}

/// The connection id at the end of a console URL.
pub fn connection_id(url: &str) -> String {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or_default().to_string()
}

/// Plain-HTTP helpers: a signed-in console session over reqwest.
pub mod http {
    use super::common::Host;
    pub use super::common::{input_value, set_cookie};

    /// Sign in with the API key; the session cookie (`cardhost_session=...`).
    pub async fn sign_in(host: &Host) -> String {
        host.sign_in_console(&host.client, "/console/cards").await
    }

    /// GET a console page with a session cookie: status and body.
    pub async fn page(host: &Host, cookie: &str, path: &str) -> (u16, String) {
        let r = host
            .client
            .get(format!("{}{path}", host.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POST a console form with a session cookie: the response.
    pub async fn post(
        host: &Host,
        cookie: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        host.client
            .post(format!("{}{path}", host.base))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }
}
