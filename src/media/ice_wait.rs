//! The bounded, smart wait for ICE candidates before sending an SDP.
//!
//! Asterisk/Wazo and rtpengine do not trickle: candidates found after the
//! answer is sent are lost. Waiting for gathering to complete can take
//! seconds when a configured STUN/TURN server does not answer, which is what
//! makes other phones slow to answer. So go as soon as one of these happens:
//! - candidates are already there when the wait starts: the connection was
//!   pre-created with a candidate pool (see `warm.rs`) and gathered while the
//!   phone was idle, so nothing more is coming soon;
//! - gathering completes;
//! - the ICE connection is up: the offer carried the broker's candidates, a
//!   check from one of ours succeeded, so the answer holds a working
//!   candidate (Chrome also stops gathering at that point);
//! - [`SETTLE_MS`] after the first candidate appeared (more interfaces rarely
//!   come later than that), or [`POOLED_SETTLE_MS`] for a warm connection whose
//!   pool already gathered;
//! - [`CAP_MS`] after the start, even with no candidate at all.
//!
//! Event-driven (no polling): each of these is a DOM event or one timer.
//!
//! An ICE restart is different ([`restarted`]): the call has no audio until it is
//! done, and an offer without candidates is worthless (the broker answers it, the
//! connection never comes back). Right after `setLocalDescription` of a restart offer
//! Chromium still reports gathering `complete` from the previous generation, with none
//! of the new generation's candidates in the description yet: the state alone is not
//! "done". So a restart waits for the first candidate of the new generation (the
//! description lists only those), then [`SETTLE_MS`] for more, with a longer bound.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RtcIceConnectionState, RtcIceGatheringState, RtcPeerConnection};

/// Extra time for more candidates after the first one.
pub const SETTLE_MS: u32 = 40;
/// The same for a warm connection: its pool gathered every host candidate while the
/// phone was idle and they all come in one burst, so the next task is enough. A STUN
/// server that does not answer never holds the answer: a host candidate is enough
/// (the broker's own candidates are in the offer; a reflexive one would only matter
/// behind NAT, where the broker still learns ours from the connectivity checks).
pub const POOLED_SETTLE_MS: u32 = 1;
/// Upper bound on the whole wait, even with no candidate at all.
pub const CAP_MS: u32 = 250;
/// Upper bound for an ICE restart's wait: no answer is held, and the restart is
/// pointless without a candidate, so it may wait for one far longer.
pub const RESTART_CAP_MS: u32 = 3_000;

const EVENTS: [&str; 3] = [
    "icecandidate",
    "icegatheringstatechange",
    "iceconnectionstatechange",
];

/// The wait before an answer (or the first offer): see the module docs.
pub async fn gathered(pc: &RtcPeerConnection, pooled: bool) {
    let settle_ms = if pooled { POOLED_SETTLE_MS } else { SETTLE_MS };
    if ready(pc) || has_candidate(pc) {
        return;
    }
    wait(pc, settle_ms, CAP_MS, ready).await;
}

/// The wait after a restart offer was set: [`SETTLE_MS`] after the first candidate of
/// the new generation (the gathering state may still be the last generation's), or the
/// bound.
pub async fn restarted(pc: &RtcPeerConnection) {
    wait(pc, SETTLE_MS, RESTART_CAP_MS, |_| false).await;
}

/// Resolves when `done(pc)`, `settle_ms` after the first candidate, or at `cap_ms`.
async fn wait(
    pc: &RtcPeerConnection,
    settle_ms: u32,
    cap_ms: u32,
    done: fn(&RtcPeerConnection) -> bool,
) {
    let resolve: Rc<RefCell<Option<Function>>> = Rc::default();
    let promise = Promise::new(&mut |ok, _| *resolve.borrow_mut() = Some(ok));
    let finish: Rc<dyn Fn()> = Rc::new(move || {
        if let Some(ok) = resolve.borrow_mut().take() {
            let _ = ok.call0(&JsValue::NULL);
        }
    });
    let settle: Rc<RefCell<Option<Timeout>>> = Rc::default();
    let on_change = {
        let (pc, finish, settle) = (pc.clone(), finish.clone(), settle.clone());
        Closure::<dyn FnMut()>::new(move || {
            if done(&pc) {
                finish();
            } else if settle.borrow().is_none() && has_candidate(&pc) {
                let finish = finish.clone();
                *settle.borrow_mut() = Some(Timeout::new(settle_ms, move || finish()));
            }
        })
    };
    let callback: &Function = on_change.as_ref().unchecked_ref();
    for event in EVENTS {
        let _ = pc.add_event_listener_with_callback(event, callback);
    }
    let cap = {
        let finish = finish.clone();
        Timeout::new(cap_ms, move || finish())
    };
    // Candidates may have come before the listeners were in place.
    let _ = callback.call0(&JsValue::NULL);
    let _ = JsFuture::from(promise).await;
    for event in EVENTS {
        let _ = pc.remove_event_listener_with_callback(event, callback);
    }
    drop(cap);
    settle.borrow_mut().take();
}

fn ready(pc: &RtcPeerConnection) -> bool {
    pc.ice_gathering_state() == RtcIceGatheringState::Complete
        || (matches!(
            pc.ice_connection_state(),
            RtcIceConnectionState::Connected | RtcIceConnectionState::Completed
        ) && has_candidate(pc))
}

fn has_candidate(pc: &RtcPeerConnection) -> bool {
    local_sdp(pc).is_some_and(|sdp| sdp.contains("a=candidate:"))
}

/// The connection was closed (the call ended: CANCEL, BYE, release).
pub fn is_closed(pc: &RtcPeerConnection) -> bool {
    pc.ice_connection_state() == RtcIceConnectionState::Closed
}

/// The local description's SDP, `None` when there is none or the connection is closed.
/// Every read of it follows an await during which a CANCEL or BYE may have closed the
/// connection, and Firefox then throws `InvalidStateError` from `localDescription`
/// (Chromium returns the last description): read through `Reflect`, which catches.
pub fn local_sdp(pc: &RtcPeerConnection) -> Option<String> {
    if is_closed(pc) {
        return None;
    }
    Reflect::get(pc, &"localDescription".into())
        .ok()
        .filter(|d| d.is_object())
        .and_then(|d| Reflect::get(&d, &"sdp".into()).ok())
        .and_then(|sdp| sdp.as_string())
}
