//! One call: its dialog, the INVITE it is answering (or sending), what it waits for from
//! the media edge, and its timers. The agent routes messages to it by Call-ID and tags.
//!
//! Split by concern: `incoming` (the initial INVITE we answer: ring, auto-answer, 2xx
//! retransmission, ACK, CANCEL), `prack` (its reliable 180, RFC 3262), `in_dialog` (BYE,
//! re-INVITE, UPDATE, INFO, OPTIONS, session refresh, hang-up, DTMF), `ice_restart` (a lost
//! audio path), `target_refresh` (the dialog after a new WebSocket), `outgoing` (the
//! development-only UAC call).

mod ice_restart;
mod in_dialog;
mod incoming;
mod outgoing;
mod prack;
mod target_refresh;

use crate::api::{CallId, EndReason, Event, MediaRequest};
use crate::context::{Ctx, MEDIA_TIMEOUT_MS, TRANSACTION_TIMEOUT_MS};
use crate::dialog::Dialog;
use crate::session_timer::SessionTimer;
use crate::time::{Instant, RandomExt};
use crate::transaction::TxnKey;
use crate::wire::{name, MessageBuilder, Method, ResponseContext};

pub(crate) use in_dialog::{unsupported_requirements, InDialogRequest};
pub(crate) use incoming::IncomingInvite;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// UAC: waiting for the media edge's offer before sending the INVITE.
    Offering,
    /// UAC: INVITE sent, no provisional response yet.
    Calling,
    /// UAC: a provisional response arrived.
    Proceeding,
    /// UAS: the initial INVITE has no final response yet.
    Ringing,
    /// UAS: 2xx sent, ACK not yet received.
    Answered,
    Confirmed,
    /// Ended for the driver; kept a while to absorb retransmissions and responses.
    Terminated,
}

/// What we asked the media edge for and are waiting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MediaWait {
    None,
    Answer,
    Offer,
}

/// An INVITE (initial or re-INVITE) we are answering.
#[derive(Debug)]
struct ServerInvite {
    key: TxnKey,
    rctx: ResponseContext,
    cseq: u32,
    /// The INVITE carried an offer; otherwise our 2xx carries one and the ACK the answer.
    has_offer: bool,
    /// Hold state the offer implies, reported once the 2xx is sent.
    held: Option<bool>,
    session: Option<(SessionTimer, bool)>,
    /// The 2xx, retransmitted until the ACK.
    ok: Option<String>,
    retransmit_ms: u64,
}

/// An UPDATE with an offer we are answering.
#[derive(Debug)]
struct ServerUpdate {
    key: TxnKey,
    rctx: ResponseContext,
    held: Option<bool>,
    session: Option<(SessionTimer, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Bye,
    Refresh,
    Dtmf,
    Invite,
    Cancel,
    /// Our re-INVITE with an ICE-restart offer.
    IceRestart,
    /// Our UPDATE or re-INVITE from a new WebSocket, so the broker reaches the dialog again.
    TargetRefresh,
}

/// A request we sent, waiting for its final response.
#[derive(Debug)]
struct ClientRequest {
    method: Method,
    cseq: u32,
    /// Its Via branch: the ACK of a non-2xx final response to an INVITE reuses it.
    branch: String,
    deadline: Instant,
    purpose: Purpose,
}

#[derive(Debug, Default)]
struct Timers {
    answer_at: Option<Instant>,
    retransmit: Option<Instant>,
    ack_deadline: Option<Instant>,
    media_deadline: Option<Instant>,
    session_refresh: Option<Instant>,
    session_expiry: Option<Instant>,
    linger_until: Option<Instant>,
}

#[derive(Debug)]
pub(crate) struct Call {
    pub id: CallId,
    pub dialog: Dialog,
    pub phase: Phase,
    server_invite: Option<ServerInvite>,
    server_update: Option<ServerUpdate>,
    pending: Vec<ClientRequest>,
    media_wait: MediaWait,
    /// The media edge was asked for something, so it must be told to release.
    media_used: bool,
    local_sdp: Option<String>,
    /// Policy or command decided to answer.
    answer_wanted: bool,
    held: bool,
    session: Option<SessionTimer>,
    peer_allows_update: bool,
    /// Hung up between our 2xx and its ACK: BYE once the ACK (or its timeout) comes.
    bye_after_ack: bool,
    timers: Timers,
    uac: Option<outgoing::Uac>,
    /// The audio path was lost: the ICE restart under way.
    restart: Option<ice_restart::IceRestart>,
    /// The WebSocket was lost while the call was up: the dialog must be refreshed from
    /// the new one before the broker can reach it again.
    target_refresh: Option<target_refresh::TargetRefresh>,
    /// Our reliable 180 (the INVITE required 100rel) and its PRACK.
    reliable: Option<prack::Reliable>,
}

impl Call {
    /// Remembers a request we sent in this dialog, with the one deadline every client
    /// transaction gets (64*T1), so its response (or its absence) reaches the call.
    fn track_request(
        &mut self,
        method: Method,
        cseq: u32,
        branch: String,
        purpose: Purpose,
        now: Instant,
    ) {
        self.pending.push(ClientRequest {
            method,
            cseq,
            branch,
            deadline: now.plus(TRANSACTION_TIMEOUT_MS),
            purpose,
        });
    }

    fn new(id: CallId, dialog: Dialog, phase: Phase) -> Call {
        Call {
            id,
            dialog,
            phase,
            server_invite: None,
            server_update: None,
            pending: Vec::new(),
            media_wait: MediaWait::None,
            media_used: false,
            local_sdp: None,
            answer_wanted: false,
            held: false,
            session: None,
            peer_allows_update: false,
            bye_after_ack: false,
            timers: Timers::default(),
            uac: None,
            restart: None,
            target_refresh: None,
            reliable: None,
        }
    }

    /// Not ended (a new INVITE meanwhile means busy).
    pub fn is_active(&self) -> bool {
        self.phase != Phase::Terminated
    }

    /// Ended and nothing left to absorb: the agent may forget it.
    pub fn is_finished(&self, now: Instant) -> bool {
        self.phase == Phase::Terminated
            && self.timers.linger_until.is_none_or(|t| t <= now)
            && self.pending.is_empty()
    }

    /// The branch of the initial INVITE still waiting for its final response (CANCEL target).
    pub fn ringing_invite_branch(&self) -> Option<&str> {
        (self.phase == Phase::Ringing).then_some(self.server_invite.as_ref()?.key.branch.as_str())
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        let t = &self.timers;
        [
            t.answer_at,
            t.retransmit,
            t.ack_deadline,
            t.media_deadline,
            t.session_refresh,
            t.session_expiry,
            t.linger_until,
            self.pending.iter().map(|p| p.deadline).min(),
        ]
        .into_iter()
        .chain(self.restart.iter().flat_map(|r| r.deadlines()))
        .chain(self.target_refresh.as_ref().map(|t| t.retry_at()))
        .chain(self.reliable.as_ref().map(|r| r.deadline()))
        .flatten()
        .min()
    }

    /// The peer's SDP answer (to our offer) goes to the edge to apply.
    fn apply_answer(&mut self, sdp: &str, now: Instant, ctx: &mut Ctx<'_>) {
        let call = self.id.clone();
        let sdp = sdp.to_owned();
        self.request_media(MediaRequest::ApplyAnswer { call, sdp }, now, ctx);
    }

    fn request_media(&mut self, request: MediaRequest, now: Instant, ctx: &mut Ctx<'_>) {
        self.media_wait = match request {
            MediaRequest::CreateAnswer { .. } => MediaWait::Answer,
            MediaRequest::CreateOffer { .. } | MediaRequest::RestartIce { .. } => MediaWait::Offer,
            MediaRequest::ApplyAnswer { .. } | MediaRequest::Release { .. } => MediaWait::None,
        };
        if self.media_wait != MediaWait::None {
            self.timers.media_deadline = Some(now.plus(MEDIA_TIMEOUT_MS));
        }
        self.media_used = true;
        ctx.emit(Event::Media(request));
    }

    /// Ends the call for the driver: release media, report, stop every timer that could
    /// still produce a message (a hang-up between 2xx and ACK keeps the ACK wait).
    fn end(&mut self, reason: EndReason, now: Instant, ctx: &mut Ctx<'_>) {
        if self.phase == Phase::Terminated {
            return;
        }
        self.phase = Phase::Terminated;
        self.media_wait = MediaWait::None;
        self.restart = None;
        self.target_refresh = None;
        self.reliable = None;
        self.answer_wanted = false;
        self.server_update = None;
        let keep_ack_wait = self.bye_after_ack;
        let t = &mut self.timers;
        t.answer_at = None;
        t.media_deadline = None;
        t.session_refresh = None;
        t.session_expiry = None;
        if !keep_ack_wait {
            t.retransmit = None;
            t.ack_deadline = None;
            self.server_invite = None;
        }
        t.linger_until = Some(now.plus(TRANSACTION_TIMEOUT_MS));
        if self.media_used {
            ctx.emit(Event::Media(MediaRequest::Release {
                call: self.id.clone(),
            }));
        }
        ctx.emit(Event::CallEnded {
            call: self.id.clone(),
            reason,
        });
    }

    /// Flow lost: answered calls survive (the audio does not go through the WebSocket);
    /// transactions bound to the old flow cannot complete, and the dialog is refreshed
    /// from the new flow once re-registered (`target_refresh`).
    pub fn on_disconnected(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        match self.phase {
            Phase::Offering | Phase::Calling | Phase::Proceeding | Phase::Ringing => {
                self.end(EndReason::TransportLost, now, ctx);
            }
            Phase::Answered | Phase::Confirmed | Phase::Terminated => {}
        }
        self.on_flow_lost(now);
    }

    pub fn on_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.timers.answer_at) {
            self.timers.answer_at = None;
            self.try_answer(now, ctx);
        }
        if due(self.timers.media_deadline) {
            self.timers.media_deadline = None;
            // Most likely a permission prompt nobody answers: the agent is not available.
            self.on_media_failed("media edge did not answer in time", 480, now, ctx);
        }
        if due(self.timers.retransmit) {
            self.retransmit_2xx(now, ctx);
        }
        self.on_reliable_timeout(now, ctx);
        if due(self.timers.ack_deadline) {
            self.on_ack_timeout(now, ctx);
        }
        if due(self.timers.session_expiry) {
            self.timers.session_expiry = None;
            if self.phase != Phase::Terminated {
                self.send_bye(now, ctx);
                self.end(EndReason::SessionExpired, now, ctx);
            }
        }
        if due(self.timers.session_refresh) {
            self.timers.session_refresh = None;
            self.send_session_refresh(now, ctx);
        }
        self.on_restart_timeout(now, ctx);
        self.on_target_refresh_timeout(now, ctx);
        self.expire_pending(now, ctx);
        if due(self.timers.linger_until) {
            // Pending requests keep their own deadlines; `is_finished` waits for them.
            self.timers.linger_until = None;
        }
    }

    /// Timer B/F for our requests: a request without a response is a failure.
    fn expire_pending(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let mut expired = Vec::new();
        self.pending.retain(|p| {
            let keep = p.deadline > now;
            if !keep {
                expired.push(p.purpose);
            }
            keep
        });
        for purpose in expired {
            match purpose {
                Purpose::Bye | Purpose::Cancel | Purpose::Dtmf => {}
                Purpose::TargetRefresh => self.end_dialog_lost(true, now, ctx),
                Purpose::Refresh | Purpose::Invite | Purpose::IceRestart => {
                    if purpose != Purpose::Invite {
                        self.send_bye(now, ctx);
                    }
                    let reason = self.dialog_gone_reason();
                    self.end(reason, now, ctx);
                }
            }
        }
    }

    fn start_session_timer(&mut self, timer: SessionTimer, now: Instant) {
        self.session = Some(timer);
        if timer.we_refresh {
            self.timers.session_refresh = Some(now.plus(timer.refresh_after_ms()));
            self.timers.session_expiry = None;
        } else {
            self.timers.session_expiry = Some(now.plus(timer.expiry_after_ms()));
            self.timers.session_refresh = None;
        }
    }

    /// `Session-Expires` and `Min-SE` on a re-INVITE or UPDATE of ours: any of them
    /// refreshes the session (RFC 4028 §7.4), and it keeps the refresher role: `uac` when
    /// we refresh, `uas` when the peer does.
    fn write_session_headers(&self, b: &mut MessageBuilder, ctx: &Ctx<'_>) {
        if let Some(timer) = self.session {
            let refresher = if timer.we_refresh { "uac" } else { "uas" };
            session_refresh_headers(b, timer.interval_s, refresher, ctx);
        }
    }

    /// RFC 3261 §14.1: after a 491, retry after 2.1–4 s when we own the Call-ID (we
    /// placed the call), else after 0–2 s, in 10 ms steps (randomness injected).
    fn glare_wait_ms(&self, ctx: &mut Ctx<'_>) -> u64 {
        if self.uac.is_some() {
            2_100 + ctx.random.below(191) * 10
        } else {
            ctx.random.below(201) * 10
        }
    }

    fn report_hold(&mut self, held: Option<bool>, ctx: &mut Ctx<'_>) {
        if let Some(held) = held {
            if held != self.held {
                self.held = held;
                ctx.emit(Event::CallHeld {
                    call: self.id.clone(),
                    held,
                });
            }
        }
    }
}

/// `Session-Expires` and `Min-SE` on a session refresh we send (RFC 4028 §7.4):
/// `refresher` is `uac` when we refresh, `uas` when the peer does.
fn session_refresh_headers(
    b: &mut MessageBuilder,
    interval_s: u32,
    refresher: &str,
    ctx: &Ctx<'_>,
) {
    b.header_fmt(
        name::SESSION_EXPIRES,
        format_args!("{interval_s};refresher={refresher}"),
    )
    .header_fmt(
        name::MIN_SE,
        format_args!("{}", ctx.config.min_session_expires.max(90)),
    );
}
