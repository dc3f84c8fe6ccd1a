//! The supervisor board's one reader of the call quality collector: while the board is
//! shown and `qualityCollector` is set, `GET <qualityCollector>/live` every 5 s (none
//! while the page is hidden), backing off to 10, 20, 40 and 60 s after failures; each
//! answer (or failure) goes to the store as [`TeamAction::Quality`]. Reading the
//! answer, the staleness bound and the board's words are pure code in
//! `components/src/team_quality.rs`.
//!
//! The request is a plain GET without credentials or custom headers (a CORS simple
//! request: the collector answers `Access-Control-Allow-Origin`, no preflight); the
//! gadget's CSP `connect-src` already has the collector's origin for `sendBeacon`, and
//! the same directive governs `fetch`.

use std::cell::Cell;
use std::rc::Rc;

use crate::deadline::with_deadline;
use gloo::net::http::Request;
use gloo::timers::future::TimeoutFuture;
use ttecphone_components::store::{Action, PhoneState};
use ttecphone_components::team::TeamAction;
use ttecphone_components::team_quality::{live_url, parse_live, retry_ms, FeedError, POLL_MS};
use yew::UseReducerDispatcher;

/// An ask that takes longer than this failed.
const TIMEOUT_MS: u32 = 4_000;

/// The polling while it lives; dropped (the board gone) it stops after the ask under way.
pub struct Poll {
    alive: Rc<Cell<bool>>,
}

impl Drop for Poll {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

/// Starts asking `collector`'s live endpoint; the first ask goes out at once.
pub fn start(collector: &str, dispatcher: UseReducerDispatcher<PhoneState>) -> Poll {
    let alive = Rc::new(Cell::new(true));
    let url = live_url(collector);
    let running = alive.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let mut failures = 0u32;
        while running.get() {
            let hidden = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.hidden());
            let wait = if hidden {
                POLL_MS
            } else {
                let answer = ask(&url).await;
                if !running.get() {
                    break;
                }
                failures = if answer.is_ok() { 0 } else { failures + 1 };
                dispatcher.dispatch(Action::Team(TeamAction::Quality(answer)));
                if failures == 0 {
                    POLL_MS
                } else {
                    retry_ms(failures)
                }
            };
            TimeoutFuture::new(wait).await;
        }
    });
    Poll { alive }
}

async fn ask(url: &str) -> Result<Vec<ttecphone_components::team_quality::LineQuality>, FeedError> {
    let (request, _deadline) = with_deadline(
        Request::get(url).cache(web_sys::RequestCache::NoStore),
        TIMEOUT_MS,
    );
    let response = request
        .send()
        .await
        .map_err(|_| FeedError::Unreachable(None))?;
    if !response.ok() {
        return Err(FeedError::Unreachable(Some(response.status())));
    }
    let text = response
        .text()
        .await
        .map_err(|_| FeedError::Unreachable(None))?;
    parse_live(&text)
}
