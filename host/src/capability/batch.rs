//! A card's batch of requests (`send-all` of the card contract): each request
//! goes through [`HttpCapability::send`] as if sent alone, at most
//! [`MAX_IN_FLIGHT`] at once, answered in request order, each counted toward
//! the run's call cap.

use futures::stream::{self, StreamExt};

use super::{
    calls_cap_message, cap_reached, Grant, HttpCall, HttpCapability, HttpError, Request, Response,
};

/// Most requests of one batch in flight at once.
pub const MAX_IN_FLIGHT: usize = 8;

/// Sends `requests` under `grant`, at most [`MAX_IN_FLIGHT`] at once.
///
/// The i-th answer is the answer to the i-th request. Each request counts
/// toward `max_calls_per_run`: with `calls` already made in this run, a
/// request whose turn (the calls made plus its position in the batch) is past
/// the cap is refused with [`HttpError::Denied`] and not sent; the first such
/// request is recorded, as [`HttpCapability::send`] records it, and the later
/// ones are not. The records are appended to `calls` in request order once
/// the batch is over.
pub async fn send_all(
    cap: &HttpCapability,
    grant: &Grant,
    requests: Vec<Request>,
    calls: &mut Vec<HttpCall>,
) -> Vec<Result<Response, HttpError>> {
    let max = cap.limits().max_calls_per_run;
    let made = calls.len();
    let outcomes: Vec<(Result<Response, HttpError>, Vec<HttpCall>)> =
        stream::iter(requests.into_iter().enumerate())
            .map(|(i, request)| async move {
                if made + i >= max {
                    let record = (made + i == max).then(|| cap_reached(&request, max));
                    let refused = HttpError::Denied(calls_cap_message(max));
                    return (Err(refused), record.into_iter().collect());
                }
                let mut own = Vec::with_capacity(1);
                let result = cap.send(grant, request, &mut own).await;
                (result, own)
            })
            .buffered(MAX_IN_FLIGHT)
            .collect()
            .await;
    let mut results = Vec::with_capacity(outcomes.len());
    for (result, own) in outcomes {
        calls.extend(own);
        results.push(result);
    }
    results
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use axum::extract::{Path, State};
    use axum::routing::get;
    use axum::Router;
    use secrecy::SecretString;
    use tokio::sync::Barrier;

    use super::*;
    use crate::capability::{CredentialKind, HttpLimits, Method, StaticCredentials};

    /// What the test server saw: requests in flight now, the most at once,
    /// and how many arrived.
    #[derive(Default)]
    struct Seen {
        in_flight: AtomicUsize,
        most: AtomicUsize,
        total: AtomicUsize,
    }

    struct Server {
        seen: Arc<Seen>,
        /// When set, the first `MAX_IN_FLIGHT` requests wait here for each
        /// other: a batch sent one by one would never get past it.
        barrier: Option<Barrier>,
    }

    async fn item(State(server): State<Arc<Server>>, Path(n): Path<usize>) -> String {
        let seen = &server.seen;
        let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        seen.most.fetch_max(now, Ordering::SeqCst);
        let arrived = seen.total.fetch_add(1, Ordering::SeqCst);
        if let Some(barrier) = server.barrier.as_ref().filter(|_| arrived < MAX_IN_FLIGHT) {
            barrier.wait().await;
        }
        seen.in_flight.fetch_sub(1, Ordering::SeqCst);
        format!("item {n}")
    }

    /// A loopback server of `/api/1.0/items/{n}` and a grant for it; with
    /// `barrier`, its first requests wait for each other.
    async fn start(barrier: bool) -> (Arc<Seen>, Grant) {
        let server = Arc::new(Server {
            seen: Arc::default(),
            barrier: barrier.then(|| Barrier::new(MAX_IN_FLIGHT)),
        });
        let seen = server.seen.clone();
        let app = Router::new()
            .route("/api/1.0/items/{n}", get(item))
            .with_state(server);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/1.0", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let connector = crate::connectors::tests::example_at(&base);
        let grant = Grant {
            connector: Arc::new(connector),
            credentials: Arc::new(StaticCredentials::new(
                Some(SecretString::from("token")),
                None,
            )),
            allow_service_account: false,
            deadline: Instant::now() + Duration::from_secs(10),
        };
        (seen, grant)
    }

    fn request(n: usize) -> Request {
        Request {
            method: Method::Get,
            url: format!("/items/{n}"),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            credential: CredentialKind::Connection,
        }
    }

    fn capability(max_calls_per_run: usize) -> HttpCapability {
        HttpCapability::new(HttpLimits {
            max_calls_per_run,
            ..HttpLimits::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn sends_eight_at_once_and_answers_in_request_order() {
        let (seen, grant) = start(true).await;
        let mut calls = Vec::new();
        let results = send_all(
            &capability(1000),
            &grant,
            (0..20).map(request).collect(),
            &mut calls,
        )
        .await;
        assert_eq!(results.len(), 20);
        for (n, result) in results.iter().enumerate() {
            let response = result.as_ref().expect("answered");
            assert_eq!(response.status, 200);
            assert_eq!(response.body, format!("item {n}").into_bytes());
        }
        let paths: Vec<String> = calls.iter().map(|c| c.path.clone()).collect();
        let expected: Vec<String> = (0..20).map(|n| format!("/api/1.0/items/{n}")).collect();
        assert_eq!(paths, expected, "calls recorded in request order");
        assert_eq!(seen.total.load(Ordering::SeqCst), 20);
        assert_eq!(
            seen.most.load(Ordering::SeqCst),
            MAX_IN_FLIGHT,
            "the first eight were in flight together, never more"
        );
    }

    #[tokio::test]
    async fn requests_past_the_per_run_cap_are_refused_unsent() {
        let (seen, grant) = start(false).await;
        let cap = capability(MAX_IN_FLIGHT + 2);
        let mut calls = Vec::new();
        let first = send_all(&cap, &grant, vec![request(0), request(1)], &mut calls).await;
        assert!(first.iter().all(Result::is_ok));
        let results = send_all(
            &cap,
            &grant,
            (2..2 + MAX_IN_FLIGHT + 3).map(request).collect(),
            &mut calls,
        )
        .await;
        let (sent, refused) = results.split_at(MAX_IN_FLIGHT);
        assert!(sent.iter().all(Result::is_ok));
        assert_eq!(refused.len(), 3);
        for result in refused {
            match result {
                Err(HttpError::Denied(why)) => {
                    assert!(why.contains("per-run cap"), "{why}");
                    assert!(why.contains(&(MAX_IN_FLIGHT + 2).to_string()), "{why}");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        assert_eq!(seen.total.load(Ordering::SeqCst), MAX_IN_FLIGHT + 2);
        assert_eq!(
            calls.len(),
            2 + MAX_IN_FLIGHT + 1,
            "the first refused one is recorded, the later ones are not"
        );
        let last = calls.last().unwrap();
        let last_path = format!("/items/{}", MAX_IN_FLIGHT + 2);
        assert_eq!(
            (last.path.as_str(), last.status),
            (last_path.as_str(), None)
        );
        assert!(last.error.as_deref().unwrap().contains("per-run cap"));
    }
}
