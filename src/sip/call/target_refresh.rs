//! The dialog after a new WebSocket: a target refresh (RFC 3261 §12.2.1.1, §14; RFC 3311)
//! from the new connection, and the end of a dialog the broker can no longer reach.
//!
//! Asterisk has no RFC 5626 flows: it rewrites a WebSocket Contact to the socket's source,
//! deletes it when that socket closes, and sends a dialog's requests to the socket the
//! dialog began on. After a reconnect the caller's BYE and Asterisk's session-timer UPDATE
//! fail there ("Unsupported transport") until the phone sends a target refresh from the
//! new socket. So a call kept across a lost WebSocket (Answered or Confirmed):
//! 1. drops the requests it had sent on the old socket (their answers cannot come back);
//! 2. waits for the first 2xx to REGISTER on the new connection (`on_registered`), and for
//!    an Answered call, for the ACK;
//! 3. sends the session refresh's own request (`send_refresh`): UPDATE without SDP when the
//!    peer allows UPDATE, else a re-INVITE repeating our last SDP unchanged; Contact, next
//!    CSeq, Route set, and Session-Expires keeping the refresher role. If an offer of ours
//!    is already out or coming (an ICE restart), none is added (no glare): a re-INVITE or
//!    UPDATE sent from the new socket refreshes the target as well;
//! 4. on 2xx (to that request or any re-INVITE/UPDATE of ours) the dialog is reachable
//!    again; on 481/408 or no answer it is gone at the broker: BYE with a `Reason` where it
//!    may still exist, and [`EndReason::DialogLost`]; on 491/500 it tries again after
//!    RFC 3261 §14.1's random wait; any other answer came over the new socket, so the
//!    broker has the new target (pjproject's `pjsip_dlg_on_rx_request` takes the Contact
//!    of any INVITE or UPDATE in the dialog as its target, whatever it then answers).
//!
//! Until then the call is a "ghost candidate": the caller may have hung up meanwhile with
//! a BYE that never reached us. A new INVITE does not get 486 Busy because of it; the
//! agent ends the ghost instead (`end_ghost`) and takes the new call.

use super::{Call, MediaWait, Phase, Purpose};
use crate::api::{EndReason, Event};
use crate::context::Ctx;
use crate::time::Instant;
use crate::wire::Method;

/// When the dialog is busy (an exchange open, the ACK not yet in): look again after this.
const BUSY_RETRY_MS: u64 = 500;
/// Target refreshes sent per lost WebSocket (the first plus glare retries).
const MAX_ATTEMPTS: u32 = 3;
/// `Reason` (RFC 3326) of the BYE ending a dialog the broker could not be shown again.
const REASON_DIALOG_LOST: &str =
    "SIP;cause=408;text=\"connection to the phone lost during the call, dialog not refreshed\"";

#[derive(Debug, Default)]
pub(super) struct TargetRefresh {
    /// Registered again on the new WebSocket: the refresh may be sent.
    registered: bool,
    /// The next look (the dialog was busy, or the glare wait).
    retry_at: Option<Instant>,
    /// Target refreshes sent so far.
    attempts: u32,
}

impl TargetRefresh {
    pub(super) fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }
}

impl Call {
    /// The WebSocket closed. Requests sent on it can never be answered (a response goes
    /// back over the socket its request came in on), so they are dropped rather than left
    /// to time out and end the call; an answered call will need a target refresh.
    pub(super) fn on_flow_lost(&mut self, now: Instant) {
        self.pending.clear();
        if let Some(restart) = self.restart.as_mut() {
            restart.on_flow_lost(now);
        }
        if matches!(self.phase, Phase::Answered | Phase::Confirmed) {
            self.target_refresh = Some(TargetRefresh::default());
        }
    }

    /// The broker cannot reach the dialog and nothing may be sent into it yet: the
    /// WebSocket is down, or the phone is not registered again on the new one.
    pub(super) fn awaiting_flow(&self) -> bool {
        self.target_refresh.as_ref().is_some_and(|t| !t.registered)
    }

    /// Up, but not known to be reachable since the WebSocket was lost: its target refresh
    /// is pending or under way. A new INVITE meanwhile is not refused as busy.
    pub fn is_ghost_candidate(&self) -> bool {
        self.is_active() && self.target_refresh.is_some()
    }

    /// The first 2xx to REGISTER on a new WebSocket.
    pub fn on_registered(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(refresh) = self.target_refresh.as_mut() else {
            return;
        };
        refresh.registered = true;
        if self
            .restart
            .as_ref()
            .is_some_and(|r| r.retry_at().is_some())
        {
            // An ICE restart waited for the dialog: its re-INVITE is the target refresh.
            self.try_restart(now, ctx);
        }
        self.try_target_refresh(now, ctx);
    }

    /// Sends the target refresh unless the dialog is busy (then looks again shortly) or
    /// an offer of ours is out or coming, which refreshes the target itself.
    pub(super) fn try_target_refresh(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let busy = self.phase != Phase::Confirmed
            || self.server_invite.is_some()
            || self.server_update.is_some()
            || self.media_wait != MediaWait::None
            || self.has_pending_offer()
            || self.restart.as_ref().is_some_and(|r| !r.is_recovered());
        let Some(refresh) = self.target_refresh.as_mut() else {
            return;
        };
        refresh.retry_at = None;
        if !refresh.registered {
            return;
        }
        if busy {
            refresh.retry_at = Some(now.plus(BUSY_RETRY_MS));
            return;
        }
        if refresh.attempts >= MAX_ATTEMPTS {
            // Every one was answered over the new WebSocket: the broker has our target.
            self.target_refresh = None;
            ctx.emit(Event::Warning(format!(
                "target refresh of call {} still refused after {MAX_ATTEMPTS} tries",
                self.id
            )));
            return;
        }
        refresh.attempts += 1;
        self.send_refresh(Purpose::TargetRefresh, now, ctx);
    }

    pub(super) fn on_target_refresh_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let due = self
            .target_refresh
            .as_ref()
            .and_then(TargetRefresh::retry_at)
            .is_some_and(|t| t <= now);
        if due {
            self.try_target_refresh(now, ctx);
        }
    }

    /// A final response to one of our requests: a 2xx to any re-INVITE or UPDATE proves
    /// the dialog reachable, since every request still pending was sent on this WebSocket.
    pub(super) fn note_target_refresh_response(&mut self, method: Method, status: u16) {
        if (200..300).contains(&status) && matches!(method, Method::Invite | Method::Update) {
            self.target_refresh = None;
        }
    }

    /// 491 or 500 to our target refresh: again after RFC 3261 §14.1's random wait.
    pub(super) fn retry_target_refresh(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let wait = self.glare_wait_ms(ctx);
        if let Some(refresh) = self.target_refresh.as_mut() {
            refresh.retry_at = Some(now.plus(wait));
        }
    }

    /// Another failure status: it came back over the new WebSocket, so the broker got our
    /// Contact (pjproject updates a dialog's target whatever it answers); the call goes on.
    pub(super) fn target_refresh_refused(&mut self, status: u16, ctx: &mut Ctx<'_>) {
        if self.target_refresh.take().is_some() {
            ctx.emit(Event::Warning(format!(
                "target refresh of call {} answered {status}; the call goes on",
                self.id
            )));
        }
    }

    /// Why a dialog whose request got 481/408 or no answer is over: lost with the
    /// WebSocket if it was waiting for its target refresh, else a plain timeout.
    pub(super) fn dialog_gone_reason(&self) -> EndReason {
        if self.target_refresh.is_some() {
            EndReason::DialogLost
        } else {
            EndReason::Timeout
        }
    }

    /// The broker no longer has the dialog (481), or does not answer in it (408, no
    /// answer): BYE with a `Reason` in the latter case, where it may still exist.
    pub(super) fn end_dialog_lost(&mut self, send_bye: bool, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase == Phase::Terminated {
            return;
        }
        if send_bye {
            self.send_bye_with_reason(Some(REASON_DIALOG_LOST), now, ctx);
        }
        self.end(EndReason::DialogLost, now, ctx);
    }

    /// A new INVITE arrived while this call was a ghost candidate: the broker offers a new
    /// call, so it most likely ended this one with a BYE that never reached us. End it
    /// cleanly (BYE with `Reason`, or after the ACK for an answer not yet acknowledged).
    pub fn end_ghost(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if !self.is_ghost_candidate() {
            return;
        }
        if self.phase == Phase::Answered {
            // RFC 3261 §15: no BYE before the ACK (or its timeout).
            self.bye_after_ack = true;
            self.end(EndReason::DialogLost, now, ctx);
        } else {
            self.end_dialog_lost(true, now, ctx);
        }
    }
}
