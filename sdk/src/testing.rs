//! Native test support (not on `wasm32`): a mock for the HTTP capability and
//! a capture of log lines, both per thread.
//!
//! Outside a component there is no host, so [`crate::http::Http::send`]
//! calls the handler installed with [`mock_http`] and, without one, fails
//! with a `transport` error. [`crate::http::Http::send_all`] hands the
//! handler each request of the batch in order (one at a time: the mock has
//! no concurrency) and keeps the batch for [`take_batches`]. Logs are kept
//! for [`take_logs`].

use std::cell::RefCell;

use crate::context::Level;
use crate::http::{HttpError, Request, Response};

type Handler = Box<dyn FnMut(&Request) -> Result<Response, HttpError>>;

thread_local! {
    static HANDLER: RefCell<Option<Handler>> = RefCell::new(None);
    static LOGS: RefCell<Vec<(Level, String)>> = const { RefCell::new(Vec::new()) };
    static BATCHES: RefCell<Vec<Vec<Request>>> = const { RefCell::new(Vec::new()) };
}

/// Answers this thread's HTTP requests with `handler` until [`clear_mock`].
pub fn mock_http(handler: impl FnMut(&Request) -> Result<Response, HttpError> + 'static) {
    HANDLER.with(|h| *h.borrow_mut() = Some(Box::new(handler)));
}

/// Removes this thread's HTTP mock and forgets its batches.
pub fn clear_mock() {
    HANDLER.with(|h| *h.borrow_mut() = None);
    BATCHES.with(|b| b.borrow_mut().clear());
}

/// The batches sent with [`crate::http::Http::send_all`] on this thread
/// since the last call, each with its requests in order.
pub fn take_batches() -> Vec<Vec<Request>> {
    BATCHES.with(|b| std::mem::take(&mut *b.borrow_mut()))
}

/// The log lines written on this thread since the last call.
pub fn take_logs() -> Vec<(Level, String)> {
    LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

pub(crate) fn send(request: &Request) -> Result<Response, HttpError> {
    // Take the handler out while it runs, so that it may itself log.
    let handler = HANDLER.with(|h| h.borrow_mut().take());
    match handler {
        Some(mut handler) => {
            let result = handler(request);
            HANDLER.with(|h| {
                let mut slot = h.borrow_mut();
                if slot.is_none() {
                    *slot = Some(handler);
                }
            });
            result
        }
        None => Err(HttpError::Transport(
            "no host: not running in a component and no mock installed".into(),
        )),
    }
}

pub(crate) fn send_all(requests: &[Request]) -> Vec<Result<Response, HttpError>> {
    BATCHES.with(|b| b.borrow_mut().push(requests.to_vec()));
    requests.iter().map(send).collect()
}

pub(crate) fn log(level: Level, message: &str) {
    LOGS.with(|l| l.borrow_mut().push((level, message.to_string())));
}
