//! Warming: the next call's `RTCPeerConnection` is created ahead of time.
//!
//! Every connection gathers its host candidates, and done at answer time that
//! lands between the INVITE and our 200 OK. So one connection is kept ready,
//! created after each call with `iceCandidatePoolSize: 1`: it gathers its
//! candidates while the phone is idle, and the answer only has to use them.
//!
//! What is *not* warmed: the microphone. Keeping it open while idle would show
//! the browser's recording indicator for the whole shift and hold the device;
//! it is opened when the SIP core asks for an answer (never for a call the
//! policy rejects) and closed when the call ends.
//!
//! The idle connection holds a few UDP sockets and nothing else. It is replaced
//! every [`REFRESH_MS`] so its candidates follow network changes (VPN, Wi-Fi).
//!
//! The first warm connection is made as soon as the microphone permission is
//! known to be granted (`devices::microphone_ready`, checked after registering),
//! else when the first call ends. Chrome gathers only restricted host candidates
//! (default route only, hidden behind mDNS names a broker cannot resolve) for a
//! connection created while the page has no microphone permission: an earlier
//! benchmark saw a connection pre-created before that had no candidate at all
//! when the first call came, and that answer waited the whole ICE cap. With the
//! permission granted, the first call's connection gathers like any other (the
//! benchmark's first calls connect with pooled host candidates).
//!
//! Firefox ignores `iceCandidatePoolSize`: its idle connection gathers nothing, so a
//! connection counts as pooled only when the browser kept the pool size in the
//! connection's own configuration ([`pool_honoured`]); otherwise the answer takes the
//! normal candidate wait (which lets a STUN/TURN answer arrive), not the pooled one.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Interval;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{RtcConfiguration, RtcPeerConnection};

/// How long an idle pre-created connection is kept before it is replaced.
pub const REFRESH_MS: u32 = 5 * 60 * 1000;

struct Inner {
    config: RtcConfiguration,
    next: Option<RtcPeerConnection>,
    _refresh: Option<Interval>,
}

/// Cheap to clone (shared).
#[derive(Clone)]
pub struct Warm(Rc<RefCell<Inner>>);

impl Warm {
    /// Warming with the calls' configuration (a pooled copy); nothing is created yet.
    pub fn new(config: &RtcConfiguration) -> Self {
        let pooled: Object = Object::assign(&Object::new(), config);
        let _ = Reflect::set(&pooled, &"iceCandidatePoolSize".into(), &1.into());
        let warm = Warm(Rc::new(RefCell::new(Inner {
            config: pooled.unchecked_into(),
            next: None,
            _refresh: None,
        })));
        let weak = Rc::downgrade(&warm.0);
        let refresh = Interval::new(REFRESH_MS, move || {
            if let Some(inner) = weak.upgrade() {
                // Only a connection that exists is renewed (see above about permission).
                let old = inner.borrow_mut().next.take();
                if let Some(pc) = old {
                    pc.close();
                    Warm(inner).prepare();
                }
            }
        });
        warm.0.borrow_mut()._refresh = Some(refresh);
        warm
    }

    /// The connection for a new call: the warm one if there is one (`true`: its
    /// candidates are pooled already), else a new one.
    pub fn take(&self) -> Result<(RtcPeerConnection, bool), JsValue> {
        let ready = self.0.borrow_mut().next.take();
        match ready {
            Some(pc) => {
                let pooled = pool_honoured(&pc);
                Ok((pc, pooled))
            }
            None => RtcPeerConnection::new_with_configuration(&self.0.borrow().config)
                .map(|pc| (pc, false)),
        }
    }

    /// [`Warm::prepare`] for later callers, without keeping this warming alive.
    pub fn preparer(&self) -> impl Fn() + 'static {
        let weak = Rc::downgrade(&self.0);
        move || {
            if let Some(inner) = weak.upgrade() {
                Warm(inner).prepare();
            }
        }
    }

    /// Creates the next call's connection now, unless one is ready.
    pub fn prepare(&self) {
        let mut inner = self.0.borrow_mut();
        if inner.next.is_none() {
            inner.next = RtcPeerConnection::new_with_configuration(&inner.config).ok();
        }
    }
}

/// The browser knows `iceCandidatePoolSize` (it reports it back from `getConfiguration()`):
/// Chromium does and gathers while idle; Firefox's `RTCConfiguration` dictionary has no
/// such member (Gecko's `dom/webidl/RTCConfiguration.webidl`), so it is dropped and the
/// connection gathers nothing until the answer.
fn pool_honoured(pc: &RtcPeerConnection) -> bool {
    Reflect::get(pc, &"getConfiguration".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(pc).ok())
        .and_then(|config| Reflect::get(&config, &"iceCandidatePoolSize".into()).ok())
        .and_then(|size| size.as_f64())
        .is_some_and(|size| size >= 1.0)
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(pc) = self.next.take() {
            pc.close();
        }
    }
}
