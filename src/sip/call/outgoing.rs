//! The development-only outgoing call (UAC): production agents are called by ICM and
//! never dial. INVITE after the media edge's offer, 401/407 digest retry, provisional
//! responses, 2xx ⇒ ACK, CANCEL on hang-up.

use super::{Call, Phase, Purpose};
use crate::api::{CallId, EndReason, Event, MediaRequest};
use crate::context::Ctx;
use crate::dialog::Dialog;
use crate::digest::DigestSession;
use crate::session_timer;
use crate::time::{Instant, RandomExt};
use crate::wire::header::{Challenge, NameAddr, Via};
use crate::wire::{name, Message, MessageBuilder, Method};

#[derive(Debug)]
pub(super) struct Uac {
    pub invite_cseq: u32,
    invite_branch: String,
    digest: Option<DigestSession>,
    /// Credentials were sent for the latest challenge: another 401/407 means refused.
    answered_challenge: bool,
    cancel_pending: bool,
    cancelled: bool,
    /// Our ACK to the 2xx, repeated if the 2xx is retransmitted.
    last_ack: Option<String>,
}

impl Call {
    /// `Command::Call`: ask the media edge for an offer; the INVITE follows.
    pub fn outgoing(target: &str, now: Instant, ctx: &mut Ctx<'_>) -> Call {
        let call_id = ctx.random.token(24);
        let id = CallId::new(&call_id);
        let target_uri = if target.contains(':') {
            target.to_owned()
        } else {
            format!("sip:{target}@{}", ctx.config.domain)
        };
        let local_addr = match &ctx.config.display_name {
            Some(d) => format!("\"{}\" <{}>", d.replace('"', ""), ctx.local.aor_uri),
            None => format!("<{}>", ctx.local.aor_uri),
        };
        let dialog = Dialog {
            call_id: id.clone(),
            local_tag: ctx.tag(),
            remote_tag: None,
            local_addr,
            remote_addr: format!("<{target_uri}>"),
            remote_target: target_uri,
            route_set: Vec::new(),
            local_cseq: 0,
            remote_cseq: None,
        };
        let mut call = Call::new(id.clone(), dialog, Phase::Offering);
        call.uac = Some(Uac {
            invite_cseq: 0,
            invite_branch: String::new(),
            digest: None,
            answered_challenge: false,
            cancel_pending: false,
            cancelled: false,
            last_ack: None,
        });
        call.request_media(MediaRequest::CreateOffer { call: id }, now, ctx);
        call
    }

    /// Sends (or re-sends with credentials) the INVITE carrying our offer.
    pub(super) fn send_invite(
        &mut self,
        challenge: Option<(Challenge, bool)>,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(sdp) = self.local_sdp.clone() else {
            return;
        };
        let Some(uac) = self.uac.as_mut() else { return };
        if let Some((challenge, proxy)) = challenge {
            uac.digest = Some(DigestSession::new(challenge, proxy));
            uac.answered_challenge = true;
        }
        let (mut b, branch, cseq) = self.dialog.request(Method::Invite, ctx);
        if let Some(digest) = uac.digest.as_mut() {
            let cnonce = ctx.random.token(16);
            let uri = self.dialog.remote_target.clone();
            match digest.authorize(
                &ctx.config.auth_user,
                &ctx.config.password,
                "INVITE",
                &uri,
                &cnonce,
            ) {
                Ok((header, creds)) => {
                    b.header(header, &creds.header_value());
                }
                Err(e) => ctx.emit(Event::Warning(format!(
                    "cannot answer the INVITE challenge: {e}"
                ))),
            }
        }
        ctx.send(b.finish(Some(("application/sdp", &sdp))));
        uac.invite_cseq = cseq;
        uac.invite_branch.clone_from(&branch);
        self.phase = Phase::Calling;
        self.pending.retain(|p| p.purpose != Purpose::Invite);
        // Timer B only until a provisional response; after that the callee may ring forever.
        self.track_request(Method::Invite, cseq, branch, Purpose::Invite, now);
    }

    pub(super) fn on_invite_response(
        &mut self,
        msg: &Message<'_>,
        status: u16,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(uac) = self.uac.as_mut() else { return };
        let for_current = msg
            .get(name::VIA)
            .and_then(|v| Via::parse(v).ok())
            .and_then(|v| v.branch())
            == Some(uac.invite_branch.as_str());
        if (200..300).contains(&status) {
            self.on_invite_success(msg, now, ctx);
            return;
        }
        if !for_current {
            return;
        }
        if status < 200 {
            if let Some(tag) = msg
                .get(name::TO)
                .and_then(|t| NameAddr::parse(t).ok())
                .and_then(|t| t.tag())
            {
                self.dialog.remote_tag = Some(tag.to_owned());
            }
            self.pending.retain(|p| p.purpose != Purpose::Invite);
            if matches!(self.phase, Phase::Calling) {
                self.phase = Phase::Proceeding;
            }
            if uac.cancel_pending {
                self.send_cancel(now, ctx);
            }
            return;
        }
        self.send_non_2xx_ack(msg, ctx);
        self.pending.retain(|p| p.purpose != Purpose::Invite);
        let Some(uac) = self.uac.as_mut() else { return };
        if matches!(status, 401 | 407) && !uac.cancelled && self.phase != Phase::Terminated {
            let header = if status == 407 {
                name::PROXY_AUTHENTICATE
            } else {
                name::WWW_AUTHENTICATE
            };
            let challenge = msg
                .get_all(header)
                .filter_map(|v| Challenge::parse(v).ok())
                .next();
            if let Some(challenge) = challenge.filter(|c| !uac.answered_challenge || c.stale) {
                self.dialog.remote_tag = None;
                self.send_invite(Some((challenge, status == 407)), now, ctx);
                return;
            }
        }
        let reason = if uac.cancelled || status == 487 {
            EndReason::Cancelled
        } else {
            EndReason::Rejected { status }
        };
        self.end(reason, now, ctx);
    }

    fn on_invite_success(&mut self, msg: &Message<'_>, now: Instant, ctx: &mut Ctx<'_>) {
        if let Some(ack) = self.uac.as_ref().and_then(|u| u.last_ack.clone()) {
            ctx.send(ack); // a retransmitted 2xx: our ACK was lost
            return;
        }
        if let Some(tag) = msg
            .get(name::TO)
            .and_then(|t| NameAddr::parse(t).ok())
            .and_then(|t| t.tag())
        {
            self.dialog.remote_tag = Some(tag.to_owned());
        }
        if let Some(contact) = msg.get(name::CONTACT).and_then(|c| NameAddr::parse(c).ok()) {
            self.dialog.remote_target = contact.uri.to_owned();
        }
        self.dialog.route_set = msg.get_all(name::RECORD_ROUTE).map(str::to_owned).collect();
        self.dialog.route_set.reverse();
        self.peer_allows_update = msg.has_token(name::ALLOW, "UPDATE");
        let cseq = self.uac.as_ref().map_or(0, |u| u.invite_cseq);
        let (ack, _) = self.dialog.request_with_cseq(Method::Ack, cseq, ctx);
        let ack = ack.finish(None);
        ctx.send(ack.clone());
        self.pending.retain(|p| p.purpose != Purpose::Invite);
        if let Some(uac) = self.uac.as_mut() {
            uac.last_ack = Some(ack);
        }
        if self.phase == Phase::Terminated {
            // Answered although we hung up (CANCEL raced the 2xx): end it properly.
            self.send_bye(now, ctx);
            return;
        }
        self.phase = Phase::Confirmed;
        if let Some(timer) = session_timer::from_uac_response(msg) {
            self.start_session_timer(timer, now);
        }
        let held = crate::sdp::is_hold(msg.body);
        self.apply_answer(msg.body, now, ctx);
        ctx.emit(Event::CallAnswered {
            call: self.id.clone(),
        });
        self.report_hold(Some(held), ctx);
    }

    /// Hang-up before the answer: CANCEL once a provisional response has come (RFC 3261
    /// §9.1), else as soon as one does.
    pub(super) fn cancel_outgoing(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let phase = self.phase;
        if let Some(uac) = self.uac.as_mut() {
            uac.cancelled = true;
            uac.cancel_pending = phase == Phase::Calling;
        }
        if phase == Phase::Proceeding {
            self.send_cancel(now, ctx);
        }
        self.end(EndReason::LocalHangUp, now, ctx);
    }

    fn send_cancel(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(uac) = self.uac.as_mut() else { return };
        uac.cancel_pending = false;
        let cseq = uac.invite_cseq;
        let branch = uac.invite_branch.clone();
        let b = self.invite_copy(Method::Cancel, None, ctx);
        ctx.send(b.finish(None));
        self.track_request(Method::Cancel, cseq, branch, Purpose::Cancel, now);
    }

    /// ACK for a non-2xx final response: part of the INVITE transaction, same branch.
    fn send_non_2xx_ack(&mut self, msg: &Message<'_>, ctx: &mut Ctx<'_>) {
        let to = msg.get(name::TO).map(str::to_owned);
        let b = self.invite_copy(Method::Ack, to.as_deref(), ctx);
        ctx.send(b.finish(None));
    }

    /// CANCEL and non-2xx ACK copy the INVITE's Request-URI, Via branch, From, Call-ID and
    /// CSeq number (RFC 3261 §9.1, §17.1.1.3).
    fn invite_copy(&self, method: Method, to: Option<&str>, ctx: &Ctx<'_>) -> MessageBuilder {
        let (branch, cseq) = self
            .uac
            .as_ref()
            .map_or(("", 0), |u| (u.invite_branch.as_str(), u.invite_cseq));
        let mut b = MessageBuilder::request(method.as_str(), &self.dialog.remote_target);
        b.header_fmt(
            name::VIA,
            format_args!("SIP/2.0/WSS {};branch={};rport", ctx.local.via_host, branch),
        )
        .header(name::MAX_FORWARDS, "70")
        .header_fmt(
            name::FROM,
            format_args!("{};tag={}", self.dialog.local_addr, self.dialog.local_tag),
        );
        match to {
            Some(to) => b.header(name::TO, to),
            None => b.header(name::TO, &self.dialog.remote_addr),
        };
        b.header(name::CALL_ID, self.dialog.call_id.as_str())
            .header_fmt(name::CSEQ, format_args!("{} {}", cseq, method.as_str()))
            .header(name::USER_AGENT, &ctx.config.user_agent);
        b
    }
}
