//! Requests inside an established (or early) dialog, both directions: BYE, re-INVITE and
//! UPDATE offers (hold, resume, MTP insertion), session refreshes, INFO DTMF, OPTIONS,
//! and the driver's hang-up and DTMF commands.

use super::incoming::write_dialog_headers;
use super::{Call, ClientRequest, MediaWait, Phase, Purpose, ServerInvite, ServerUpdate};
use crate::api::{EndReason, Event, MediaRequest};
use crate::context::{
    Ctx, ACCEPT, ALLOW, SUPPORTED_AS_UAC, SUPPORTED_AS_UAS, SUPPORTED_OPTIONS, T1_MS,
};
use crate::session_timer::{self, UasNegotiation};
use crate::time::{Instant, RandomExt};
use crate::transaction::TxnKey;
use crate::wire::header::{CSeq, NameAddr};
use crate::wire::{name, Message, Method, ResponseContext};

/// The validated parts of a request routed to this dialog.
pub(crate) struct InDialogRequest {
    pub method: Method,
    pub cseq: u32,
    pub key: TxnKey,
    pub rctx: ResponseContext,
}

impl Call {
    pub(super) fn reinvite_pending(&self) -> bool {
        self.phase != Phase::Ringing
            && self
                .server_invite
                .as_ref()
                .is_some_and(|si| si.ok.is_none())
    }

    /// A request whose To tag and From tag match this dialog.
    pub fn on_request(
        &mut self,
        msg: &Message<'_>,
        request: InDialogRequest,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        let InDialogRequest {
            method,
            cseq,
            key,
            rctx,
        } = request;
        let reply = |ctx: &mut Ctx<'_>, status: u16| {
            let response = rctx.response(status, None, false).finish(None);
            ctx.reply(&key, response, now);
        };
        // RFC 3261 §12.2.2: an out-of-order CSeq gets 500.
        if self.dialog.remote_cseq.is_some_and(|last| cseq <= last) {
            reply(ctx, 500);
            return;
        }
        self.dialog.remote_cseq = Some(cseq);
        if self.phase == Phase::Terminated {
            // A BYE crossing ours is fine; anything else is for a dialog that is gone.
            reply(ctx, if method == Method::Bye { 200 } else { 481 });
            return;
        }
        match method {
            Method::Bye => {
                reply(ctx, 200);
                if self.phase == Phase::Ringing {
                    self.reject_invite(487, now, ctx);
                }
                self.end(EndReason::RemoteBye, now, ctx);
            }
            Method::Invite => self.on_reinvite(msg, cseq, key, rctx, now, ctx),
            Method::Update => self.on_update(msg, key, rctx, now, ctx),
            Method::Info => {
                if let Some(digit) = dtmf_digit(msg) {
                    ctx.emit(Event::Dtmf {
                        call: self.id.clone(),
                        digit,
                    });
                }
                reply(ctx, 200);
            }
            Method::Options => {
                let mut b = rctx.response(200, None, false);
                b.header(name::ALLOW, ALLOW)
                    .header(name::ACCEPT, ACCEPT)
                    .header(name::SUPPORTED, SUPPORTED_AS_UAS);
                ctx.reply(&key, b.finish(None), now);
            }
            Method::Prack => self.on_prack(msg, &key, &rctx, now, ctx),
            Method::Unknown => reply(ctx, 501),
            _ => {
                let mut b = rctx.response(405, None, false);
                b.header(name::ALLOW, ALLOW);
                ctx.reply(&key, b.finish(None), now);
            }
        }
    }

    fn on_reinvite(
        &mut self,
        msg: &Message<'_>,
        cseq: u32,
        key: TxnKey,
        rctx: ResponseContext,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        if self.phase == Phase::Ringing
            || self.server_invite.is_some()
            || self.server_update.is_some()
        {
            // RFC 3261 §14.2: an INVITE of theirs is still open; ask them to retry.
            let mut b = rctx.response(500, None, false);
            b.header_fmt(name::RETRY_AFTER, format_args!("{}", ctx.random.below(10)));
            ctx.reply(&key, b.finish(None), now);
            return;
        }
        if self.has_pending_offer()
            || matches!(
                self.phase,
                Phase::Calling | Phase::Proceeding | Phase::Offering
            )
        {
            ctx.reply(&key, rctx.response(491, None, false).finish(None), now); // glare
            return;
        }
        let Some(session) = self.negotiate(msg, &key, &rctx, now, ctx) else {
            return;
        };
        self.refresh_target(msg);
        let trying = rctx.response(100, None, false).finish(None);
        ctx.reply(&key, trying, now);
        let has_offer = !msg.body.trim().is_empty();
        let held = has_offer.then(|| crate::sdp::is_hold(msg.body));
        self.server_invite = Some(ServerInvite {
            key,
            rctx,
            cseq,
            has_offer,
            held,
            session,
            ok: None,
            retransmit_ms: T1_MS,
        });
        let call = self.id.clone();
        let request = if has_offer {
            MediaRequest::CreateAnswer {
                call,
                offer_sdp: msg.body.to_owned(),
            }
        } else {
            MediaRequest::CreateOffer { call }
        };
        self.request_media(request, now, ctx);
    }

    fn on_update(
        &mut self,
        msg: &Message<'_>,
        key: TxnKey,
        rctx: ResponseContext,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        let has_offer = !msg.body.trim().is_empty();
        if has_offer
            && (self.reinvite_pending()
                || self.server_update.is_some()
                || self.media_wait != MediaWait::None)
        {
            let status = if self.has_pending_offer() { 491 } else { 500 };
            ctx.reply(&key, rctx.response(status, None, false).finish(None), now);
            return;
        }
        let Some(session) = self.negotiate(msg, &key, &rctx, now, ctx) else {
            return;
        };
        self.refresh_target(msg);
        if has_offer {
            let held = Some(crate::sdp::is_hold(msg.body));
            self.server_update = Some(ServerUpdate {
                key,
                rctx,
                held,
                session,
            });
            let request = MediaRequest::CreateAnswer {
                call: self.id.clone(),
                offer_sdp: msg.body.to_owned(),
            };
            self.request_media(request, now, ctx);
            return;
        }
        // A refresh without an offer: answer at once, restart the session timer.
        let mut b = rctx.response(200, None, false);
        write_dialog_headers(&mut b, session, ctx);
        ctx.reply(&key, b.finish(None), now);
        match session {
            Some((timer, _)) => self.start_session_timer(timer, now),
            None => self.restart_session_timer(now),
        }
    }

    /// Session-timer negotiation for a refresh or offer we answer. `None`: already
    /// answered with 422. `Some(None)`: no timer requested.
    #[allow(clippy::option_option)]
    fn negotiate(
        &mut self,
        msg: &Message<'_>,
        key: &TxnKey,
        rctx: &ResponseContext,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) -> Option<Option<(crate::session_timer::SessionTimer, bool)>> {
        match session_timer::negotiate_as_uas(msg, ctx.config.min_session_expires) {
            UasNegotiation::None => Some(None),
            UasNegotiation::Use {
                timer,
                require_timer,
            } => Some(Some((timer, require_timer))),
            UasNegotiation::TooSmall { min_se } => {
                let mut b = rctx.response(422, None, false);
                b.header_fmt(name::MIN_SE, format_args!("{min_se}"));
                ctx.reply(key, b.finish(None), now);
                None
            }
        }
    }

    /// A target refresh request may move the peer (RFC 3261 §12.2.2).
    fn refresh_target(&mut self, msg: &Message<'_>) {
        if let Some(contact) = msg.get(name::CONTACT).and_then(|c| NameAddr::parse(c).ok()) {
            self.dialog.remote_target = contact.uri.to_owned();
        }
        if msg.has(name::ALLOW) {
            self.peer_allows_update = msg.has_token(name::ALLOW, "UPDATE");
        }
    }

    /// Any refresh without a Session-Expires keeps the interval we had.
    pub(super) fn restart_session_timer(&mut self, now: Instant) {
        if let Some(timer) = self.session {
            self.start_session_timer(timer, now);
        }
    }

    /// A re-INVITE or UPDATE of ours is out (glare: no second one until it is answered).
    pub(super) fn has_pending_offer(&self) -> bool {
        self.pending.iter().any(|p| {
            matches!(
                p.purpose,
                Purpose::Refresh | Purpose::Invite | Purpose::IceRestart | Purpose::TargetRefresh
            )
        })
    }

    /// The media edge produced the SDP for a re-INVITE or UPDATE we are answering.
    pub(super) fn answer_in_dialog(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(sdp) = self.local_sdp.clone() else {
            return;
        };
        if let Some(update) = self.server_update.take() {
            let mut b = update.rctx.response(200, None, false);
            write_dialog_headers(&mut b, update.session, ctx);
            ctx.reply(&update.key, b.finish(Some(("application/sdp", &sdp))), now);
            match update.session {
                Some((timer, _)) => self.start_session_timer(timer, now),
                None => self.restart_session_timer(now),
            }
            self.report_hold(update.held, ctx);
            return;
        }
        if self.reinvite_pending() {
            let had_session = self
                .server_invite
                .as_ref()
                .is_some_and(|si| si.session.is_some());
            if let Some(held) = self.send_invite_ok(&sdp, now, ctx) {
                if !had_session {
                    self.restart_session_timer(now);
                }
                self.report_hold(held, ctx);
            }
        }
    }

    /// Our answer to a re-offer failed: reject that transaction, keep the call.
    pub(super) fn reject_in_dialog_offer(&mut self, status: u16, now: Instant, ctx: &mut Ctx<'_>) {
        if let Some(update) = self.server_update.take() {
            ctx.reply(
                &update.key,
                update.rctx.response(status, None, false).finish(None),
                now,
            );
        } else if self.reinvite_pending() {
            if let Some(si) = self.server_invite.take() {
                ctx.reply(
                    &si.key,
                    si.rctx.response(status, None, false).finish(None),
                    now,
                );
            }
        }
    }

    /// `SIP;cause=<status>;text="…"` (RFC 3326), the text made a safe quoted-string.
    pub(super) fn sip_reason(cause: u16, text: &str) -> String {
        let text: String = text
            .chars()
            .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
            .take(100)
            .collect();
        format!("SIP;cause={cause};text=\"{text}\"")
    }

    pub(super) fn send_bye(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.send_bye_with_reason(None, now, ctx);
    }

    /// BYE, with a `Reason` header (RFC 3326) when the call ends on our side's
    /// failure, so the caller's side can log and report why.
    pub(super) fn send_bye_with_reason(
        &mut self,
        reason: Option<&str>,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        if self.dialog.remote_tag.is_none() {
            return; // no dialog to end
        }
        let (mut b, branch, cseq) = self.dialog.request(Method::Bye, ctx);
        if let Some(reason) = reason {
            b.header(name::REASON, reason);
        }
        ctx.send(b.finish(None));
        self.track_request(Method::Bye, cseq, branch, Purpose::Bye, now);
    }

    /// RFC 4028 refresh when we are the refresher. Not while another offer of ours is
    /// out, nor while the dialog waits for its target refresh (which carries
    /// Session-Expires and so refreshes the session too): the timer is re-armed instead.
    pub(super) fn send_session_refresh(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Confirmed
            || self.has_pending_offer()
            || self.target_refresh.is_some()
        {
            self.restart_session_timer(now);
            return;
        }
        if self.session.is_some() {
            self.send_refresh(Purpose::Refresh, now, ctx);
        }
    }

    /// The one refresh request, for the session refresh and the target refresh: UPDATE
    /// without a body if the peer allows it (no media round trip), else a re-INVITE
    /// repeating our last SDP unchanged (same o= version, so the peer's answer changes
    /// nothing and is not re-applied). Contact, Route set and the next CSeq come from the
    /// dialog; Session-Expires keeps the refresher role.
    pub(super) fn send_refresh(&mut self, purpose: Purpose, now: Instant, ctx: &mut Ctx<'_>) {
        let method = if self.peer_allows_update || self.local_sdp.is_none() {
            Method::Update
        } else {
            Method::Invite
        };
        let (mut b, branch, cseq) = self.dialog.request(method, ctx);
        self.write_session_headers(&mut b, ctx);
        b.header(name::SUPPORTED, SUPPORTED_AS_UAC);
        let body = match method {
            Method::Invite => self
                .local_sdp
                .as_deref()
                .map(|sdp| ("application/sdp", sdp)),
            _ => None,
        };
        ctx.send(b.finish(body));
        self.track_request(method, cseq, branch, purpose, now);
    }

    /// `Command::HangUp`, whatever the phase.
    pub fn hang_up(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        match self.phase {
            Phase::Ringing => {
                let status = ctx.config.auto_answer.reject_status;
                self.reject_invite(status, now, ctx);
                self.end(EndReason::Rejected { status }, now, ctx);
            }
            Phase::Answered => {
                // RFC 3261 §15: no BYE before the ACK (or its timeout).
                self.bye_after_ack = true;
                self.end(EndReason::LocalHangUp, now, ctx);
            }
            Phase::Confirmed => {
                self.send_bye(now, ctx);
                self.end(EndReason::LocalHangUp, now, ctx);
            }
            Phase::Offering | Phase::Calling | Phase::Proceeding => self.cancel_outgoing(now, ctx),
            Phase::Terminated => {}
        }
    }

    /// `Command::SendDtmf`: one INFO (application/dtmf-relay) per digit.
    pub fn send_dtmf(&mut self, digits: &str, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase != Phase::Confirmed {
            ctx.emit(Event::Warning(format!(
                "DTMF ignored: call {} is not connected",
                self.id
            )));
            return;
        }
        for digit in digits
            .chars()
            .filter(|d| d.is_ascii_digit() || "*#ABCDabcd".contains(*d))
        {
            let (b, branch, cseq) = self.dialog.request(Method::Info, ctx);
            let body = format!("Signal={}\r\nDuration=160\r\n", digit.to_ascii_uppercase());
            ctx.send(b.finish(Some(("application/dtmf-relay", &body))));
            self.track_request(Method::Info, cseq, branch, Purpose::Dtmf, now);
        }
    }

    /// A response to one of our requests in this call.
    pub fn on_response(&mut self, msg: &Message<'_>, status: u16, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(cseq) = msg.get(name::CSEQ).and_then(|c| CSeq::parse(c).ok()) else {
            return;
        };
        let method = Method::from_token(cseq.method);
        if method == Method::Invite && self.uac.as_ref().is_some_and(|u| u.invite_cseq == cseq.seq)
        {
            self.on_invite_response(msg, status, now, ctx);
            return;
        }
        if status < 200 {
            return;
        }
        let Some(i) = self
            .pending
            .iter()
            .position(|p| p.cseq == cseq.seq && p.method == method)
        else {
            ctx.out.stats.stray_responses += 1;
            return;
        };
        let request = self.pending.remove(i);
        self.note_target_refresh_response(method, status);
        match request.purpose {
            Purpose::Refresh | Purpose::TargetRefresh => {
                self.on_refresh_response(msg, &request, status, now, ctx);
            }
            Purpose::IceRestart => self.on_restart_response(msg, status, cseq.seq, now, ctx),
            Purpose::Dtmf if status >= 300 => {
                ctx.emit(Event::Warning(format!(
                    "DTMF INFO refused with {status} on call {}",
                    self.id
                )));
            }
            Purpose::Bye | Purpose::Cancel | Purpose::Dtmf | Purpose::Invite => {}
        }
    }

    /// The final response to a session refresh or a target refresh (`send_refresh`).
    fn on_refresh_response(
        &mut self,
        msg: &Message<'_>,
        request: &ClientRequest,
        status: u16,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        if request.method == Method::Invite {
            let ack = if (200..300).contains(&status) {
                self.dialog
                    .request_with_cseq(Method::Ack, request.cseq, ctx)
                    .0
            } else {
                let to = msg.get(name::TO);
                self.dialog
                    .non_2xx_ack(request.cseq, &request.branch, to, ctx)
            };
            ctx.send(ack.finish(None));
        }
        if self.phase != Phase::Confirmed {
            return; // ended meanwhile (hang-up, a new call ending this one)
        }
        let target = request.purpose == Purpose::TargetRefresh;
        match status {
            200..=299 => match session_timer::from_uac_response(msg) {
                Some(timer) => self.start_session_timer(timer, now),
                None => self.restart_session_timer(now),
            },
            422 => {
                if let (Some(min), Some(timer)) =
                    (session_timer::min_se_of(msg), self.session.as_mut())
                {
                    timer.interval_s = timer.interval_s.max(min);
                }
                if target {
                    self.try_target_refresh(now, ctx);
                } else {
                    self.send_session_refresh(now, ctx);
                }
            }
            // The dialog is gone at the broker (RFC 3261 §12.2.1.2, RFC 4028 §10).
            408 | 481 if target => self.end_dialog_lost(status == 408, now, ctx),
            408 | 481 => {
                if status == 408 {
                    self.send_bye(now, ctx);
                }
                self.end(EndReason::Timeout, now, ctx);
            }
            // Glare, or the peer is busy with an INVITE of its own (RFC 3261 §14.1, §14.2).
            491 | 500 if target => self.retry_target_refresh(now, ctx),
            _ => {
                self.restart_session_timer(now);
                if target {
                    self.target_refresh_refused(status, ctx);
                }
            }
        }
    }
}

/// The digit of an INFO: `application/dtmf-relay` (`Signal=5`) or `application/dtmf` (`5`).
fn dtmf_digit(msg: &Message<'_>) -> Option<char> {
    let raw = if msg.content_type_is("application/dtmf-relay") {
        msg.body.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().eq_ignore_ascii_case("signal").then(|| v.trim())
        })?
    } else if msg.content_type_is("application/dtmf") {
        msg.body.trim()
    } else {
        return None;
    };
    // Some gateways send the RFC 4733 event codes 10 and 11 for * and #.
    match raw {
        "10" => Some('*'),
        "11" => Some('#'),
        _ => {
            let mut chars = raw.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return None;
            };
            (c.is_ascii_digit() || "*#ABCDabcd".contains(c)).then(|| c.to_ascii_uppercase())
        }
    }
}

/// Option tags in Require that we do not implement (for 420 Bad Extension).
pub(crate) fn unsupported_requirements<'m>(msg: &'m Message<'_>) -> Vec<&'m str> {
    msg.get_all(name::REQUIRE)
        .map(str::trim)
        .filter(|tag| {
            !SUPPORTED_OPTIONS
                .iter()
                .any(|s| s.eq_ignore_ascii_case(tag))
        })
        .collect()
}
