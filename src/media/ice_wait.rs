//! The bounded, smart wait for ICE candidates before sending an SDP.
//!
//! Asterisk/Wazo and rtpengine do not trickle: candidates found after the
//! answer is sent are lost. Waiting for gathering to complete can take
//! seconds when a configured STUN/TURN server does not answer, which is what
//! makes other phones slow to answer. So: go as soon as gathering completes,
//! or [`SETTLE_MS`] after the first candidate appeared (more interfaces rarely
//! come later than that), and never later than [`CAP_MS`].

use gloo::timers::future::TimeoutFuture;
use web_sys::{RtcIceGatheringState, RtcPeerConnection};

/// Extra time for more candidates after the first one.
pub const SETTLE_MS: f64 = 40.0;
/// Upper bound on the whole wait, even with no candidate at all.
pub const CAP_MS: f64 = 250.0;
const POLL_MS: u32 = 5;

pub async fn gathered(pc: &RtcPeerConnection) {
    let started = crate::clock::now_f64();
    let mut first_candidate_at: Option<f64> = None;
    loop {
        if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
            return;
        }
        let now = crate::clock::now_f64();
        if first_candidate_at.is_none() && has_candidate(pc) {
            first_candidate_at = Some(now);
        }
        if first_candidate_at.is_some_and(|at| now - at >= SETTLE_MS) || now - started >= CAP_MS {
            return;
        }
        TimeoutFuture::new(POLL_MS).await;
    }
}

fn has_candidate(pc: &RtcPeerConnection) -> bool {
    pc.local_description()
        .is_some_and(|d| d.sdp().contains("a=candidate:"))
}
