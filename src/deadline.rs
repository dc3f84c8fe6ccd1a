//! A deadline for an HTTP request: gloo's `fetch` has no timeout of its own, so the
//! request gets an abort signal that fires after `ms`. Keep the returned guard alive
//! until the answer is read; dropping it cancels the timer.

use gloo::net::http::RequestBuilder;
use gloo::timers::callback::Timeout;

pub struct Deadline(#[allow(dead_code)] Option<Timeout>);

pub fn with_deadline(request: RequestBuilder, ms: u32) -> (RequestBuilder, Deadline) {
    let controller = web_sys::AbortController::new().ok();
    let request = request.abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
    let timer = controller.map(|c| Timeout::new(ms, move || c.abort()));
    (request, Deadline(timer))
}
