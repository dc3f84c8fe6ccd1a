//! The initial INVITE we answer: 100/180 at once, the policy's answer time, the media
//! edge's answer SDP, the 2xx (retransmitted until ACK), CANCEL, and media failures.

use super::{prack, Call, MediaWait, Phase, ServerInvite};
use crate::api::{CallId, Caller, EndReason, Event, MediaFailure, MediaRequest, MediaResult};
use crate::context::{Ctx, ACCEPT, ALLOW, SUPPORTED_AS_UAS, T1_MS, T2_MS, TRANSACTION_TIMEOUT_MS};
use crate::dialog::{without_tag, Dialog};
use crate::policy::Decision;
use crate::session_timer::SessionTimer;
use crate::time::{Instant, RandomExt};
use crate::transaction::TxnKey;
use crate::wire::header::NameAddr;
use crate::wire::{name, Message, MessageBuilder, ResponseContext};

/// What the agent extracted from a new INVITE it decided to ring or answer.
pub(crate) struct IncomingInvite<'m, 'a> {
    pub msg: &'m Message<'a>,
    pub key: TxnKey,
    pub rctx: ResponseContext,
    pub cseq: u32,
    pub from_tag: Option<&'m str>,
    pub session: Option<(SessionTimer, bool)>,
}

impl Call {
    pub fn incoming(
        inv: IncomingInvite<'_, '_>,
        id: CallId,
        caller: Caller,
        decision: Decision,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) -> Call {
        let msg = inv.msg;
        let from = msg.get(name::FROM).unwrap_or("");
        let remote_target = msg
            .get(name::CONTACT)
            .and_then(|c| NameAddr::parse(c).ok())
            .or_else(|| NameAddr::parse(from).ok())
            .map(|a| a.uri.to_owned())
            .unwrap_or_default();
        let dialog = Dialog {
            call_id: id.clone(),
            local_tag: ctx.tag(),
            remote_tag: inv.from_tag.map(str::to_owned),
            local_addr: without_tag(msg.get(name::TO).unwrap_or("")),
            remote_addr: without_tag(from),
            remote_target,
            route_set: msg.get_all(name::RECORD_ROUTE).map(str::to_owned).collect(),
            local_cseq: u32::try_from(ctx.random.below(10_000)).unwrap_or(0) + 1,
            remote_cseq: Some(inv.cseq),
        };
        let mut call = Call::new(id.clone(), dialog, Phase::Ringing);
        call.peer_allows_update = msg.has_token(name::ALLOW, "UPDATE");
        let has_offer = !msg.body.trim().is_empty();
        let held = has_offer.then(|| crate::sdp::is_hold(msg.body));
        let trying = inv.rctx.response(100, None, false).finish(None);
        ctx.reply(&inv.key, trying, now);
        let mut ringing = inv.rctx.response(180, Some(&call.dialog.local_tag), true);
        ringing.header_fmt(name::CONTACT, format_args!("<{}>", ctx.local.contact_uri));
        ringing
            .header(name::ALLOW, ALLOW)
            .header(name::SERVER, &ctx.config.user_agent);
        if prack::required(msg) {
            call.send_reliable_provisional(ringing, inv.cseq, &inv.key, now, ctx);
        } else {
            ctx.reply(&inv.key, ringing.finish(None), now);
        }
        call.server_invite = Some(ServerInvite {
            key: inv.key,
            rctx: inv.rctx,
            cseq: inv.cseq,
            has_offer,
            held,
            session: inv.session,
            ok: None,
            retransmit_ms: T1_MS,
        });
        let auto_answer_at = match decision {
            Decision::AutoAnswer { delay_ms } => Some(now.plus(delay_ms)),
            Decision::Ring | Decision::Reject { .. } => None,
        };
        ctx.emit(Event::IncomingCall {
            call: id,
            caller,
            auto_answer_at,
        });
        if auto_answer_at.is_some() {
            call.timers.answer_at = auto_answer_at;
            call.begin_answer(msg.body, now, ctx);
        }
        call
    }

    /// The policy or the driver decided to answer: ask the media edge for our SDP now,
    /// in parallel with any answer delay.
    fn begin_answer(&mut self, offer: &str, now: Instant, ctx: &mut Ctx<'_>) {
        self.answer_wanted = true;
        let call = self.id.clone();
        let request = if offer.trim().is_empty() {
            MediaRequest::CreateOffer { call }
        } else {
            MediaRequest::CreateAnswer {
                call,
                offer_sdp: offer.to_owned(),
            }
        };
        self.request_media(request, now, ctx);
    }

    /// Sends the 2xx once everything is there: answer wanted, delay over, SDP ready.
    pub(super) fn try_answer(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Ringing
            || !self.answer_wanted
            || self.timers.answer_at.is_some_and(|t| t > now)
        {
            return;
        }
        if self.media_wait != MediaWait::None {
            return;
        }
        let Some(sdp) = self.local_sdp.clone() else {
            return;
        };
        self.timers.answer_at = None;
        let Some(held) = self.send_invite_ok(&sdp, now, ctx) else {
            return;
        };
        self.phase = Phase::Answered;
        ctx.emit(Event::CallAnswered {
            call: self.id.clone(),
        });
        self.report_hold(held, ctx);
    }

    /// Sends the 2xx with `sdp` for the INVITE being answered (initial or re-INVITE) and
    /// starts its retransmission. Returns the hold state the offer implied.
    pub(super) fn send_invite_ok(
        &mut self,
        sdp: &str,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) -> Option<Option<bool>> {
        self.stop_provisional_retransmission();
        let si = self.server_invite.as_mut()?;
        let mut b = si.rctx.response(200, Some(&self.dialog.local_tag), true);
        write_dialog_headers(&mut b, si.session, ctx);
        let ok = b.finish(Some(("application/sdp", sdp)));
        ctx.reply(&si.key, ok.clone(), now);
        si.ok = Some(ok);
        si.retransmit_ms = T1_MS;
        let (held, session) = (si.held, si.session);
        self.timers.retransmit = Some(now.plus(T1_MS));
        self.timers.ack_deadline = Some(now.plus(TRANSACTION_TIMEOUT_MS));
        if let Some((timer, _)) = session {
            self.start_session_timer(timer, now);
        }
        Some(held)
    }

    pub(super) fn retransmit_2xx(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(si) = self.server_invite.as_mut() else {
            self.timers.retransmit = None;
            return;
        };
        let Some(ok) = &si.ok else {
            self.timers.retransmit = None;
            return;
        };
        ctx.send(ok.clone());
        si.retransmit_ms = (si.retransmit_ms * 2).min(T2_MS);
        self.timers.retransmit = Some(now.plus(si.retransmit_ms));
    }

    /// No ACK within 64*T1: the dialog is over (RFC 3261 §13.3.1.4) and we say so with BYE.
    pub(super) fn on_ack_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.timers.ack_deadline = None;
        self.timers.retransmit = None;
        self.server_invite = None;
        self.send_bye(now, ctx);
        self.bye_after_ack = false;
        self.end(EndReason::NoAck, now, ctx);
    }

    pub fn on_ack(&mut self, msg: &Message<'_>, cseq: u32, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(si) = &self.server_invite else {
            return;
        };
        if si.ok.is_none() || si.cseq != cseq {
            return; // ACK of a non-2xx (absorbed) or a stray one
        }
        let needs_answer = !si.has_offer;
        self.server_invite = None;
        self.timers.retransmit = None;
        self.timers.ack_deadline = None;
        if self.bye_after_ack {
            self.bye_after_ack = false;
            self.send_bye(now, ctx);
            return;
        }
        if self.phase == Phase::Answered {
            self.phase = Phase::Confirmed;
        }
        if needs_answer && self.phase == Phase::Confirmed {
            // We offered in the 2xx; the ACK carries the answer.
            if msg.body.trim().is_empty() {
                self.send_bye(now, ctx);
                self.end(EndReason::MediaFailed, now, ctx);
            } else {
                let held = crate::sdp::is_hold(msg.body);
                self.apply_answer(msg.body, now, ctx);
                self.report_hold(Some(held), ctx);
            }
        }
        // Answered across a lost WebSocket: the dialog's target refresh may go now.
        self.try_target_refresh(now, ctx);
    }

    /// CANCEL before our final response: 487 to the INVITE (the 200 to the CANCEL is sent
    /// by the agent), and no answer is ever sent afterwards.
    pub fn on_cancel(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Ringing {
            return;
        }
        self.reject_invite(487, now, ctx);
        self.end(EndReason::Cancelled, now, ctx);
    }

    /// A final non-2xx to the INVITE being answered.
    pub(super) fn reject_invite(&mut self, status: u16, now: Instant, ctx: &mut Ctx<'_>) {
        self.stop_provisional_retransmission();
        if let Some(si) = self.server_invite.take() {
            let response = si
                .rctx
                .response(status, Some(&self.dialog.local_tag), false)
                .finish(None);
            ctx.reply(&si.key, response, now);
        }
        self.timers.retransmit = None;
        self.timers.ack_deadline = None;
    }

    /// `Command::Answer` (auto-answer disabled, or answering early).
    pub fn answer(&mut self, offer_body: Option<&str>, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Ringing {
            return;
        }
        self.timers.answer_at = None;
        if self.answer_wanted {
            self.try_answer(now, ctx);
        } else {
            self.begin_answer(offer_body.unwrap_or(""), now, ctx);
        }
    }

    /// `Command::Reject`.
    pub fn reject(&mut self, status: u16, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Ringing {
            return;
        }
        let status = if (300..=699).contains(&status) {
            status
        } else {
            ctx.config.auto_answer.reject_status
        };
        self.reject_invite(status, now, ctx);
        self.end(EndReason::Rejected { status }, now, ctx);
    }

    pub fn on_media(&mut self, result: MediaResult, now: Instant, ctx: &mut Ctx<'_>) {
        match result {
            MediaResult::LocalSdp { sdp, .. } => {
                if self.media_wait == MediaWait::None || self.phase == Phase::Terminated {
                    return; // late: the call ended, or nothing was asked
                }
                let was_offer = self.media_wait == MediaWait::Offer;
                self.media_wait = MediaWait::None;
                self.timers.media_deadline = None;
                self.local_sdp = Some(sdp);
                let phase = self.phase;
                match phase {
                    Phase::Ringing => self.try_answer(now, ctx),
                    Phase::Offering if was_offer => self.send_invite(None, now, ctx),
                    _ => {
                        if !(was_offer && self.restart_offer_ready(now, ctx)) {
                            self.answer_in_dialog(now, ctx);
                        }
                    }
                }
            }
            MediaResult::RemoteAnswerApplied { .. } => {}
            MediaResult::PathLost { .. } => self.on_path_lost(now, ctx),
            MediaResult::PathRestored { .. } => self.on_path_restored(ctx),
            MediaResult::Failed { reason, .. } => {
                let blocking = matches!(
                    reason,
                    MediaFailure::MicrophoneDenied
                        | MediaFailure::NoMicrophone
                        | MediaFailure::MicrophoneBusy
                );
                let text = match reason {
                    MediaFailure::MicrophoneDenied => "microphone permission denied".to_owned(),
                    MediaFailure::NoMicrophone => "no microphone".to_owned(),
                    MediaFailure::MicrophoneBusy => "microphone unavailable".to_owned(),
                    MediaFailure::Other(why) => why,
                };
                self.on_media_failed(&text, if blocking { 480 } else { 488 }, now, ctx);
            }
        }
    }

    /// The media edge could not produce (or apply) a description.
    ///
    /// Before the answer, a missing or denied microphone is rejected with 480 Temporarily
    /// Unavailable: the agent cannot take audio calls right now, which ICM/CVP handle like
    /// an unavailable agent and re-route. 488 Not Acceptable Here would blame the caller's
    /// SDP and can make a B2BUA retry with other codecs; it is kept for failures that
    /// really are about the offer (`MediaFailure::Other`, e.g. setRemoteDescription).
    /// `reject_status` answers an INVITE still ringing.
    pub(super) fn on_media_failed(
        &mut self,
        why: &str,
        reject_status: u16,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        self.media_wait = MediaWait::None;
        self.timers.media_deadline = None;
        ctx.emit(Event::Warning(format!(
            "media failed on call {}: {why}",
            self.id
        )));
        match self.phase {
            Phase::Ringing => {
                self.reject_invite(reject_status, now, ctx);
                self.end(EndReason::MediaFailed, now, ctx);
            }
            Phase::Offering => self.end(EndReason::MediaFailed, now, ctx),
            Phase::Answered | Phase::Confirmed
                if self.server_update.is_some() || self.reinvite_pending() =>
            {
                // A failed re-offer leaves the call as it was (RFC 3261 §14.2).
                self.reject_in_dialog_offer(488, now, ctx);
            }
            Phase::Answered | Phase::Confirmed | Phase::Calling | Phase::Proceeding => {
                // E.g. the microphone failed after an early answer (see the media edge).
                let reason = Self::sip_reason(reject_status, why);
                self.send_bye_with_reason(Some(&reason), now, ctx);
                self.end(EndReason::MediaFailed, now, ctx);
            }
            Phase::Terminated => {}
        }
    }
}

/// Contact, Allow, Supported, session-timer headers and Server for a dialog 2xx.
pub(super) fn write_dialog_headers(
    b: &mut MessageBuilder,
    session: Option<(SessionTimer, bool)>,
    ctx: &Ctx<'_>,
) {
    b.header_fmt(name::CONTACT, format_args!("<{}>", ctx.local.contact_uri));
    b.header(name::ALLOW, ALLOW)
        .header(name::ACCEPT, ACCEPT)
        .header(name::SUPPORTED, SUPPORTED_AS_UAS);
    if let Some((timer, require)) = session {
        b.header_fmt(
            name::SESSION_EXPIRES,
            format_args!(
                "{};refresher={}",
                timer.interval_s,
                timer.refresher.as_str()
            ),
        );
        if require {
            b.header(name::REQUIRE, "timer");
        }
    }
    b.header(name::SERVER, &ctx.config.user_agent);
}
