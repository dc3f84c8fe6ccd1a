//! Restoring a lost audio path mid-call: ICE restart by re-INVITE (RFC 8445 §9, JSEP
//! `iceRestart`), or a clean end with a reason.
//!
//! The media edge reports [`MediaResult::PathLost`](crate::MediaResult::PathLost) once ICE
//! is `failed` (or `disconnected` past a short grace). In a confirmed call the core then:
//! 1. tells the driver (`Event::MediaPath { reconnecting: true }`: "reconnecting");
//! 2. asks the edge for an offer with fresh ICE credentials (`MediaRequest::RestartIce`);
//! 3. sends it in a re-INVITE inside the dialog (next CSeq, same Call-ID and tags,
//!    Contact, `Session-Expires` keeping the current refresher);
//! 4. on 2xx: ACK, apply the answer, keep waiting for `PathRestored`;
//!    on 491 (glare) or 500: retry after RFC 3261 §14.1's random wait (2.1–4 s when we
//!    own the Call-ID, else 0–2 s; randomness injected); on any other failure: BYE with a
//!    `Reason` header and `EndReason::MediaLost`.
//!
//! The whole restart is bounded by [`RESTART_BOUND_MS`]: if ICE is not back by then, the
//! call ends the same clean way (the caller is not left in silence). At most one restart
//! is in flight, with at most [`MAX_OFFERS`] re-INVITEs per loss. While the WebSocket is
//! down (and until the phone is registered again on the new one) no offer is sent: it
//! could not be answered; the first re-INVITE after that is also the dialog's target
//! refresh (`target_refresh`).

use super::{Call, MediaWait, Phase, Purpose};
use crate::api::{EndReason, Event, MediaRequest};
use crate::context::Ctx;
use crate::context::SUPPORTED_AS_UAC;
use crate::session_timer;
use crate::time::Instant;
use crate::wire::{name, Message, Method};

/// From the loss to the end of the call when ICE does not come back.
pub(crate) const RESTART_BOUND_MS: u64 = 12_000;
/// Re-INVITEs per loss (the first plus glare retries).
pub(crate) const MAX_OFFERS: u32 = 3;
/// When an exchange of the peer's (or our session refresh) is open: look again after this.
const BUSY_RETRY_MS: u64 = 500;

/// `Reason` (RFC 3326) of the BYE when the path did not come back: Q.850 41
/// "temporary failure", which CUCM maps to a network failure, not a normal clearing.
const REASON_NOT_RESTORED: &str = "Q.850;cause=41;text=\"audio path lost, ICE restart failed\"";

#[derive(Debug)]
pub(super) struct IceRestart {
    /// End the call if the path is not back by then.
    deadline: Instant,
    /// The next offer attempt (glare wait, or the dialog was busy).
    retry_at: Option<Instant>,
    /// Re-INVITEs sent for this loss.
    offers: u32,
    /// The edge is producing the restart offer.
    awaiting_offer: bool,
    /// Our re-INVITE has no final response yet.
    invite_pending: bool,
    /// Its Via branch (a non-2xx final response is ACKed on it).
    branch: String,
    /// ICE came back (by itself, or thanks to the restart).
    recovered: bool,
}

impl IceRestart {
    pub(super) fn deadlines(&self) -> [Option<Instant>; 2] {
        [(!self.recovered).then_some(self.deadline), self.retry_at]
    }

    pub(super) fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    pub(super) fn is_recovered(&self) -> bool {
        self.recovered
    }

    fn in_flight(&self) -> bool {
        self.awaiting_offer || self.invite_pending
    }

    /// The WebSocket closed: a re-INVITE sent on it will never be answered. Look again
    /// soon; `try_restart` waits until the dialog can be reached.
    pub(super) fn on_flow_lost(&mut self, now: Instant) {
        self.invite_pending = false;
        self.retry_at = Some(now.plus(BUSY_RETRY_MS));
    }
}

impl Call {
    /// `MediaResult::PathLost`.
    pub(super) fn on_path_lost(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        match self.phase {
            Phase::Confirmed => {}
            Phase::Terminated => return,
            // Not yet (or no longer) a dialog a re-INVITE can go into: give up as before.
            _ => {
                self.on_media_failed("no audio path (ICE)", 488, now, ctx);
                return;
            }
        }
        if let Some(restart) = self.restart.as_mut() {
            if restart.recovered && !restart.in_flight() {
                // Lost again after a recovery: a new restart below.
            } else {
                restart.recovered = false;
                return; // one restart at a time
            }
        }
        self.restart = Some(IceRestart {
            deadline: now.plus(RESTART_BOUND_MS),
            retry_at: None,
            offers: 0,
            awaiting_offer: false,
            invite_pending: false,
            branch: String::new(),
            recovered: false,
        });
        ctx.emit(Event::MediaPath {
            call: self.id.clone(),
            reconnecting: true,
        });
        self.try_restart(now, ctx);
    }

    /// `MediaResult::PathRestored`.
    pub(super) fn on_path_restored(&mut self, ctx: &mut Ctx<'_>) {
        let Some(restart) = self.restart.as_mut() else {
            return;
        };
        if restart.recovered {
            return;
        }
        restart.recovered = true;
        restart.retry_at = None;
        // An offer already out must complete its exchange; the rest is done.
        if !restart.in_flight() {
            self.restart = None;
        }
        ctx.emit(Event::MediaPath {
            call: self.id.clone(),
            reconnecting: false,
        });
    }

    /// Asks the edge for the restart offer, unless another offer/answer is open or the
    /// dialog cannot be reached (WebSocket down, or not yet registered on the new one).
    pub(super) fn try_restart(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let busy = self.server_invite.is_some()
            || self.server_update.is_some()
            || self.media_wait != MediaWait::None
            || self.has_pending_offer()
            || self.awaiting_flow();
        let Some(restart) = self.restart.as_mut() else {
            return;
        };
        restart.retry_at = None;
        if restart.recovered {
            self.restart = None;
            return;
        }
        if busy {
            restart.retry_at = Some(now.plus(BUSY_RETRY_MS));
            return;
        }
        if restart.offers >= MAX_OFFERS {
            self.end_media_lost(REASON_NOT_RESTORED, now, ctx);
            return;
        }
        restart.awaiting_offer = true;
        self.request_media(
            MediaRequest::RestartIce {
                call: self.id.clone(),
            },
            now,
            ctx,
        );
    }

    /// The edge produced the restart offer (`local_sdp`): is it ours to send?
    pub(super) fn restart_offer_ready(&mut self, now: Instant, ctx: &mut Ctx<'_>) -> bool {
        let unreachable = self.awaiting_flow();
        let Some(restart) = self.restart.as_mut().filter(|r| r.awaiting_offer) else {
            return false;
        };
        restart.awaiting_offer = false;
        if unreachable {
            // The WebSocket closed while the edge made the offer: ask again once it is back.
            restart.retry_at = Some(now.plus(BUSY_RETRY_MS));
            return true;
        }
        restart.invite_pending = true;
        restart.offers += 1;
        let Some(sdp) = self.local_sdp.clone() else {
            return true;
        };
        let (mut b, branch, cseq) = self.dialog.request(Method::Invite, ctx);
        if let Some(restart) = self.restart.as_mut() {
            restart.branch.clone_from(&branch);
        }
        self.write_session_headers(&mut b, ctx);
        b.header(name::SUPPORTED, SUPPORTED_AS_UAC);
        ctx.send(b.finish(Some(("application/sdp", &sdp))));
        self.track_request(Method::Invite, cseq, branch, Purpose::IceRestart, now);
        true
    }

    /// The final response to our restart re-INVITE.
    pub(super) fn on_restart_response(
        &mut self,
        msg: &Message<'_>,
        status: u16,
        cseq: u32,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        if (200..300).contains(&status) {
            let (ack, _) = self.dialog.request_with_cseq(Method::Ack, cseq, ctx);
            ctx.send(ack.finish(None));
        } else if let Some(restart) = self.restart.as_ref() {
            let to = msg.get(name::TO);
            let ack = self.dialog.non_2xx_ack(cseq, &restart.branch, to, ctx);
            ctx.send(ack.finish(None));
        }
        if self.phase != Phase::Confirmed {
            return;
        }
        let recovered = self.restart.as_ref().is_none_or(|r| r.recovered);
        if let Some(restart) = self.restart.as_mut() {
            restart.invite_pending = false;
        }
        match status {
            200..=299 => {
                match session_timer::from_uac_response(msg) {
                    Some(timer) => self.start_session_timer(timer, now),
                    None => self.restart_session_timer(now),
                }
                if msg.body.trim().is_empty() {
                    self.end_media_lost(
                        "SIP;cause=488;text=\"no SDP answer to the ICE restart\"",
                        now,
                        ctx,
                    );
                    return;
                }
                self.apply_answer(msg.body, now, ctx);
                if recovered {
                    self.restart = None;
                }
            }
            // Glare (RFC 3261 §14.1), or the peer is busy with its own INVITE.
            491 | 500 if !recovered => {
                let wait = self.glare_wait_ms(ctx);
                if let Some(restart) = self.restart.as_mut() {
                    restart.retry_at = Some(now.plus(wait));
                }
            }
            408 | 481 => {
                // The dialog is gone (RFC 3261 §12.2.1.2).
                if status == 408 {
                    self.send_bye(now, ctx);
                }
                self.restart = None;
                let reason = self.dialog_gone_reason();
                self.end(reason, now, ctx);
            }
            _ if recovered => {
                // ICE came back by itself: the call goes on without the new offer.
                self.restart = None;
                ctx.emit(Event::Warning(format!(
                    "ICE restart re-INVITE refused with {status} on call {} (path already back)",
                    self.id
                )));
            }
            _ => {
                let reason = Self::sip_reason(status, "ICE restart refused");
                self.end_media_lost(&reason, now, ctx);
            }
        }
    }

    /// Restart timers: the glare/busy retry and the overall bound.
    pub(super) fn on_restart_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(restart) = self.restart.as_ref() else {
            return;
        };
        if !restart.recovered && restart.deadline <= now {
            self.end_media_lost(REASON_NOT_RESTORED, now, ctx);
            return;
        }
        if restart.retry_at.is_some_and(|t| t <= now) {
            self.try_restart(now, ctx);
        }
    }

    /// BYE with `Reason`, and the call ends as "audio lost".
    fn end_media_lost(&mut self, reason: &str, now: Instant, ctx: &mut Ctx<'_>) {
        self.restart = None;
        if self.phase == Phase::Terminated {
            return;
        }
        self.send_bye_with_reason(Some(reason), now, ctx);
        self.end(EndReason::MediaLost, now, ctx);
    }
}
