//! Guessing the API key: wrong keys on the API and on the console's sign-in
//! form are limited per client address and for the whole host, with 429 and
//! `Retry-After`, however many are sent at once; other clients keep being
//! served. Each attacker gets a loopback address of its own (127.0.0.x).

use std::net::Ipv4Addr;

use cardhost_tests::fake_asana::FakeAsana;
use futures::future::join_all;

use crate::common::{status_json, Host};

/// What the default limits allow per address before refusing.
const PER_ADDRESS_BURST: usize = 10;
/// What they allow for the whole host.
const HOST_WIDE_BURST: usize = 100;

/// The `Retry-After` of a response, in seconds.
fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is delta-seconds")
}

/// `n` GETs of the connections at once with `key`, from `client`: the statuses.
async fn burst(host: &Host, client: &reqwest::Client, key: &str, n: usize) -> Vec<u16> {
    let url = format!("{}/api/v1/connections", host.base);
    let requests = (0..n).map(|_| async {
        let r = client.get(&url).bearer_auth(key).send().await.unwrap();
        let status = r.status().as_u16();
        if status == 429 {
            assert!(retry_after(&r) >= 1);
            let (_, body) = status_json(r).await;
            assert_eq!(body["error"]["code"], "too_many_attempts", "{body}");
        }
        status
    });
    join_all(requests).await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn parallel_wrong_keys_from_one_address_are_limited() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let attacker = host.client_from(Ipv4Addr::new(127, 0, 0, 2));
    let statuses = burst(&host, &attacker, "wrong-key-0123456789-0123456789-0123", 40).await;
    // A failure allowed back every 6 s: two more for a slow machine.
    assert!(
        count(&statuses, 401) <= PER_ADDRESS_BURST + 2,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, 401) + count(&statuses, 429),
        40,
        "{statuses:?}"
    );
    assert!(count(&statuses, 429) >= 40 - PER_ADDRESS_BURST - 2);

    // While held back, that address is refused whatever key it sends: a 200
    // there would tell a guesser which guess was right.
    let r = attacker
        .get(format!("{}/api/v1/connections", host.base))
        .bearer_auth(host.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // The console's sign-in counts against the same limit.
    let (cookie, nonce) = host.login_form(&attacker).await;
    let r = attacker
        .post(format!("{}/console/login", host.base))
        .header("cookie", cookie)
        .form(&[
            ("api_key", host.api_key().as_str()),
            ("nonce", nonce.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) >= 1);
    assert!(r.text().await.unwrap().contains("Too many wrong keys"));

    // Everyone else is served.
    let (status, _) = host.get("/connections").await;
    assert_eq!(status, 200);
    let neighbour = host.client_from(Ipv4Addr::new(127, 0, 0, 3));
    let statuses = burst(&host, &neighbour, &host.api_key(), 20).await;
    assert_eq!(statuses, vec![200; 20], "right keys are never limited");
}

#[tokio::test]
async fn parallel_wrong_sign_ins_are_limited() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let attacker = host.client_from(Ipv4Addr::new(127, 0, 0, 4));
    let (cookie, nonce) = host.login_form(&attacker).await;
    let url = format!("{}/console/login", host.base);
    let attempts = (0..30).map(|n| {
        let guess = format!("guess-{n:04}-0123456789-0123456789-0123");
        let (attacker, url, cookie, nonce) = (&attacker, &url, &cookie, &nonce);
        async move {
            let r = attacker
                .post(url)
                .header("cookie", cookie)
                .form(&[("api_key", guess.as_str()), ("nonce", nonce.as_str())])
                .send()
                .await
                .unwrap();
            if r.status() == 429 {
                assert!(retry_after(&r) >= 1);
            }
            r.status().as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    assert!(
        count(&statuses, 401) <= PER_ADDRESS_BURST + 2,
        "{statuses:?}"
    );
    assert!(
        count(&statuses, 429) >= 30 - PER_ADDRESS_BURST - 2,
        "{statuses:?}"
    );

    // Another address signs in.
    let cookie = host.sign_in_console(&host.client, "/console/cards").await;
    assert!(cookie.starts_with("cardhost_session="));
}

#[tokio::test]
async fn a_flood_from_many_addresses_meets_the_host_wide_limit() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    // The operator used the key before the flood.
    let (status, _) = host.get("/connections").await;
    assert_eq!(status, 200);

    // Each address stays within its own limit; together they pass the host's.
    let addresses = HOST_WIDE_BURST / PER_ADDRESS_BURST + 1;
    let flood = (0..addresses).map(|n| {
        let client = host.client_from(Ipv4Addr::new(127, 0, 1, n as u8 + 1));
        let host = &host;
        async move {
            let mut statuses = Vec::new();
            for _ in 0..PER_ADDRESS_BURST {
                statuses
                    .extend(burst(host, &client, "flood-0123456789-0123456789-0123456", 1).await);
            }
            statuses
        }
    });
    let statuses: Vec<u16> = join_all(flood).await.concat();
    assert!(count(&statuses, 429) >= 1, "{statuses:?}");

    // A fresh address, with no failure of its own, is held back by the host's limit.
    let mut held_back = None;
    for n in 1..=30u8 {
        let fresh = host.client_from(Ipv4Addr::new(127, 0, 2, n));
        let statuses = burst(&host, &fresh, "fresh-0123456789-0123456789-0123456", 1).await;
        if statuses == [429] {
            held_back = Some(n);
            break;
        }
    }
    assert!(held_back.is_some(), "no fresh address was held back");

    // The operator, who signed in before, is still served.
    let (status, body) = host.get("/connections").await;
    assert_eq!(status, 200, "{body}");
}
