//! The web console in a real browser: Debian's Chromium, headless, driven
//! over WebDriver (chromedriver), against the real host and the fake Asana
//! on loopback; plus the console's sign-in, CSRF and header checks over
//! plain HTTP.

#[path = "../common/mod.rs"]
mod common;
mod webdriver;

mod forms;
mod pages;

use common::{Host, API_KEY};
use webdriver::Browser;

/// Sign in through the login page; ends on the Connections page.
pub async fn sign_in(b: &Browser, host: &Host) {
    b.goto(&format!("{}/console/connections", host.base)).await;
    b.wait_url("/console/login").await;
    b.fill("#api_key", API_KEY).await;
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
    use super::common::{Host, API_KEY};

    /// The value of an `<input name=... value=...>` in a page.
    pub fn input_value(html: &str, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no input {name} in {html}"))
            + marker.len();
        html[start..].split('"').next().unwrap().to_string()
    }

    /// A cookie's `name=value` from a response's Set-Cookie headers, and the whole header.
    pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<(String, String)> {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| (v.split(';').next().unwrap().to_string(), v.to_string()))
    }

    /// Sign in with the API key; the session cookie (`cardhost_session=...`).
    pub async fn sign_in(host: &Host) -> String {
        let r = host
            .client
            .get(format!("{}/console/login", host.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (login_cookie, _) = set_cookie(&r, "cardhost_login").expect("login cookie");
        let page = r.text().await.unwrap();
        let nonce = input_value(&page, "nonce");
        let r = host
            .client
            .post(format!("{}/console/login", host.base))
            .header("cookie", login_cookie)
            .form(&[
                ("api_key", API_KEY),
                ("nonce", &nonce),
                ("next", "/console/cards"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        assert_eq!(r.headers()["location"], "/console/cards");
        set_cookie(&r, "cardhost_session")
            .expect("session cookie")
            .0
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
