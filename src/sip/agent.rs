//! The user agent: owns every layer, routes each input to the one that handles it, and
//! queues the outputs. It never blocks, sleeps, reads a clock or touches I/O.

use core::fmt;
use std::collections::VecDeque;

use crate::api::{CallId, Command, EndReason, Event, MediaResult, Stats};
use crate::call::{Call, InDialogRequest, IncomingInvite};
use crate::config::{AgentState, Config};
use crate::context::{Ctx, Local, Outbox, ACCEPT, ALLOW, SUPPORTED_AS_UAS};
use crate::keepalive::KeepAliveState;
use crate::policy::{self, Decision, Hints};
use crate::registration::Registration;
use crate::session_timer::{self, UasNegotiation};
use crate::time::{Instant, Random, RandomExt};
use crate::transaction::{Lookup, ServerTransactions, TxnKey};
use crate::watch::Watch;
use crate::wire::header::{CSeq, NameAddr, Via};
use crate::wire::{self, name, Message, Method, ResponseContext, StartLine};

/// Builds the per-input context from disjoint fields, so layers can be borrowed mutably
/// alongside it.
macro_rules! ctx {
    ($s:ident) => {
        Ctx {
            config: &$s.config,
            random: &mut *$s.random,
            local: &$s.local,
            out: &mut $s.out,
            txns: &mut $s.txns,
            agent_state: &$s.agent_state,
        }
    };
}

pub struct UserAgent {
    config: Config,
    random: Box<dyn Random>,
    local: Local,
    out: Outbox,
    txns: ServerTransactions,
    agent_state: AgentState,
    registration: Registration,
    keepalive: KeepAliveState,
    calls: Vec<Call>,
    /// (Call-ID, CSeq) of INVITEs already finished, so a late copy of one (after its
    /// transaction was forgotten) is refused as merged (482) instead of ringing again.
    finished_invites: VecDeque<(CallId, u32)>,
    /// Supervisor board subscriptions (empty for an agent).
    watch: Watch,
}

/// How many finished INVITEs are remembered.
const FINISHED_INVITES: usize = 32;

impl fmt::Debug for UserAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAgent")
            .field("config", &self.config) // redacts the password
            .field("connected", &self.out.connected)
            .field("registered", &self.registration.is_registered())
            .field("agent_state", &self.agent_state)
            .field("calls", &self.calls.len())
            .field("stats", &self.out.stats)
            .finish_non_exhaustive()
    }
}

/// The fields of a request every handler needs, validated once.
struct RequestParts<'m> {
    method: Method,
    cseq: u32,
    call_id: &'m str,
    from_tag: Option<&'m str>,
    to_tag: Option<&'m str>,
    key: TxnKey,
}

impl<'m> RequestParts<'m> {
    fn parse(msg: &'m Message<'_>) -> Result<RequestParts<'m>, wire_error::Invalid> {
        use wire_error::Invalid;
        let StartLine::Request {
            method,
            method_text,
            ..
        } = msg.start
        else {
            return Err(Invalid);
        };
        let via = msg
            .get(name::VIA)
            .map(Via::parse)
            .ok_or(Invalid)?
            .map_err(|_| Invalid)?;
        let cseq = msg
            .get(name::CSEQ)
            .map(CSeq::parse)
            .ok_or(Invalid)?
            .map_err(|_| Invalid)?;
        let from = msg
            .get(name::FROM)
            .map(NameAddr::parse)
            .ok_or(Invalid)?
            .map_err(|_| Invalid)?;
        let to = msg
            .get(name::TO)
            .map(NameAddr::parse)
            .ok_or(Invalid)?
            .map_err(|_| Invalid)?;
        let call_id = msg
            .get(name::CALL_ID)
            .filter(|c| !c.is_empty())
            .ok_or(Invalid)?;
        // Call-ID, CSeq, From and To appear once (RFC 3261 §7.3.1, §20); two of one make
        // the request ambiguous (which dialog, which transaction?), hence malformed.
        if [name::CALL_ID, name::CSEQ, name::FROM, name::TO]
            .into_iter()
            .any(|h| msg.get_all(h).nth(1).is_some())
        {
            return Err(Invalid);
        }
        if cseq.method != method_text {
            return Err(Invalid);
        }
        // RFC 2543 peers have no magic-cookie branch; key on what identifies their request.
        let branch = match via.branch() {
            Some(b) if b.starts_with("z9hG4bK") => b.to_owned(),
            other => format!(
                "{}|{}|{}|{}",
                other.unwrap_or(""),
                call_id,
                cseq.seq,
                from.tag().unwrap_or("")
            ),
        };
        // ACK for a non-2xx and CANCEL share the INVITE's branch; keep their keys apart.
        let key = TxnKey {
            branch,
            sent_by: via.sent_by.to_owned(),
            method,
        };
        Ok(RequestParts {
            method,
            cseq: cseq.seq,
            call_id,
            from_tag: from.tag(),
            to_tag: to.tag(),
            key,
        })
    }
}

mod wire_error {
    /// A request missing or garbling a header every request needs (answered with 400).
    #[derive(Debug)]
    pub struct Invalid;
}

impl UserAgent {
    #[must_use]
    pub fn new(config: Config, mut random: Box<dyn Random>) -> Self {
        let host = format!("{}.invalid", random.token(12));
        let user = config.aor_user.clone();
        let local = Local {
            contact_uri: format!("sip:{user}@{host};transport=ws;ob"),
            aor_uri: format!("sip:{user}@{}", config.domain),
            via_host: host,
        };
        let registration = Registration::new(&mut *random, config.register_expires);
        let keepalive = KeepAliveState::new(&mut *random);
        UserAgent {
            config,
            random,
            local,
            out: Outbox::default(),
            txns: ServerTransactions::default(),
            agent_state: AgentState::Unknown,
            registration,
            keepalive,
            calls: Vec::new(),
            finished_invites: VecDeque::with_capacity(FINISHED_INVITES),
            watch: Watch::default(),
        }
    }

    /// WebSocket open: (re)register on the same instance id and start the keep-alive.
    pub fn handle_connected(&mut self, now: Instant) {
        self.out.connected = true;
        self.keepalive.on_connected(self.config.keepalive, now);
        let mut ctx = ctx!(self);
        self.registration.on_connected(now, &mut ctx);
        self.watch.on_connected(now, &mut ctx);
    }

    /// WebSocket closed: the flow is gone. Answered calls are kept (their audio does not go
    /// through the WebSocket) and refreshed from the new one once re-registered;
    /// registration resumes on reconnect.
    pub fn handle_disconnected(&mut self, now: Instant) {
        self.out.connected = false;
        self.out.transmit.clear();
        self.keepalive.on_disconnected();
        let mut ctx = ctx!(self);
        self.registration.on_disconnected(&mut ctx);
        self.watch.on_disconnected();
        for call in &mut self.calls {
            call.on_disconnected(now, &mut ctx);
        }
    }

    /// One WebSocket frame: a SIP message, or a CRLF keep-alive.
    pub fn handle_message(&mut self, text: &str, now: Instant) {
        self.out.stats.messages_received += 1;
        self.keepalive.on_inbound();
        if text.trim_matches(['\r', '\n']).is_empty() {
            self.out.stats.keepalives_received += 1;
            if text.contains("\r\n\r\n") {
                ctx!(self).send("\r\n".to_owned()); // their ping, our pong (RFC 5626 §4.4.1)
            }
            return;
        }
        match wire::parse_lenient(text) {
            Err(e) => self.drop_malformed(&e.to_string()),
            Ok((msg, defect)) => match msg.start {
                StartLine::Response { status, .. } => self.on_response(&msg, status, now),
                StartLine::Request { .. } => self.on_request(&msg, defect.is_some(), now),
            },
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let mut ctx = ctx!(self);
        self.registration.on_timeout(now, &mut ctx);
        self.keepalive.on_timeout(now, &mut ctx);
        self.watch.on_timeout(now, &mut ctx);
        ctx.txns.prune(now);
        for call in &mut self.calls {
            call.on_timeout(now, &mut ctx);
        }
        self.calls.retain(|c| !c.is_finished(now));
    }

    pub fn handle_command(&mut self, cmd: Command, now: Instant) {
        let mut ctx = ctx!(self);
        match cmd {
            Command::Register => self.registration.start(now, &mut ctx),
            Command::Unregister => self.registration.stop(now, &mut ctx),
            Command::Call { target } => {
                if ctx.out.connected {
                    self.calls.push(Call::outgoing(&target, now, &mut ctx));
                } else {
                    ctx.emit(Event::Warning("cannot call: not connected".into()));
                }
            }
            Command::Watch { targets } => self.watch.set(targets, now, &mut ctx),
            Command::Unwatch => self.watch.set(Vec::new(), now, &mut ctx),
            Command::Answer { call } => match self.calls.iter_mut().find(|c| c.id == call) {
                Some(c) => c.answer(None, now, &mut ctx),
                None => ctx.emit(Event::Warning(format!("no call {call} to answer"))),
            },
            Command::Reject { call, status } => {
                if let Some(c) = self.calls.iter_mut().find(|c| c.id == call) {
                    c.reject(status, now, &mut ctx);
                }
            }
            Command::HangUp { call } => {
                if let Some(c) = self.calls.iter_mut().find(|c| c.id == call) {
                    c.hang_up(now, &mut ctx);
                }
            }
            Command::SendDtmf { call, digits } => {
                if let Some(c) = self.calls.iter_mut().find(|c| c.id == call) {
                    c.send_dtmf(&digits, now, &mut ctx);
                }
            }
            Command::SetAutoAnswer(enabled) => self.config.auto_answer.enabled = enabled,
        }
    }

    pub fn handle_media(&mut self, result: MediaResult, now: Instant) {
        let id = match &result {
            MediaResult::LocalSdp { call, .. }
            | MediaResult::RemoteAnswerApplied { call }
            | MediaResult::PathLost { call }
            | MediaResult::PathRestored { call }
            | MediaResult::Failed { call, .. } => call.clone(),
        };
        let mut ctx = ctx!(self);
        if let Some(call) = self.calls.iter_mut().find(|c| c.id == id) {
            call.on_media(result, now, &mut ctx);
        }
    }

    /// The Finesse agent state, read by the auto-answer gate for the next INVITE.
    pub fn handle_agent_state(&mut self, state: AgentState, _now: Instant) {
        self.agent_state = state;
    }

    pub fn poll_transmit(&mut self) -> Option<String> {
        self.out.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.events.pop_front()
    }

    /// The earliest deadline of every timer; call `handle_timeout` then.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.registration.next_deadline(),
            self.keepalive.next_deadline(),
            self.txns.next_deadline(),
            self.watch.next_deadline(),
        ]
        .into_iter()
        .chain(self.calls.iter().map(Call::next_deadline))
        .flatten()
        .min()
    }

    #[must_use]
    pub fn stats(&self) -> Stats {
        self.out.stats
    }

    #[must_use]
    pub fn is_registered(&self) -> bool {
        self.registration.is_registered()
    }

    /// Calls not yet ended.
    pub fn active_calls(&self) -> impl Iterator<Item = &CallId> {
        self.calls.iter().filter(|c| c.is_active()).map(|c| &c.id)
    }

    fn drop_malformed(&mut self, why: &str) {
        self.out.stats.dropped_malformed += 1;
        self.out
            .events
            .push_back(Event::Warning(format!("dropped malformed message: {why}")));
    }

    fn on_response(&mut self, msg: &Message<'_>, status: u16, now: Instant) {
        let Some(call_id) = msg.get(name::CALL_ID) else {
            self.drop_malformed("response without Call-ID");
            return;
        };
        let mut ctx = ctx!(self);
        if self.registration.owns(call_id) {
            let was_registered = self.registration.is_registered();
            self.registration.on_response(msg, status, now, &mut ctx);
            if !was_registered && self.registration.is_registered() {
                // Registered on this WebSocket (the first 2xx since it opened: a lost
                // connection unregisters): calls kept from the old one refresh their target.
                for call in &mut self.calls {
                    call.on_registered(now, &mut ctx);
                }
            }
        } else if self.watch.owns(call_id) {
            self.watch.on_response(msg, status, now, &mut ctx);
        } else if self.keepalive.owns(call_id) {
            // Any response proves the flow; on_inbound already noted it.
        } else if let Some(call) = self.calls.iter_mut().find(|c| c.id.as_str() == call_id) {
            call.on_response(msg, status, now, &mut ctx);
        } else {
            ctx.out.stats.stray_responses += 1;
        }
    }

    fn on_request(&mut self, msg: &Message<'_>, defective: bool, now: Instant) {
        let Some(rctx) = ResponseContext::from_request(msg) else {
            self.drop_malformed("request lacks Via, From, To, Call-ID or CSeq");
            return;
        };
        let parts = if defective {
            None
        } else {
            RequestParts::parse(msg).ok()
        };
        let Some(parts) = parts else {
            // The response to a request goes back along its top Via (RFC 3261 §18.2.2):
            // with an unreadable one there is nowhere to send a 400. Such a request is
            // typically a garbled copy of one in progress, and a 400 carrying that
            // request's Call-ID and CSeq would read upstream as a final answer to it.
            let Ok(top_via) = msg
                .get(name::VIA)
                .map_or(Err(()), |v| Via::parse(v).map_err(|_| ()))
            else {
                self.drop_malformed("request with an unreadable top Via: no route for a response");
                return;
            };
            if top_via.branch().is_some_and(|b| self.txns.knows_branch(b)) {
                self.drop_malformed("garbled copy of a request already being handled");
                return;
            }
            if msg.method() != Some(Method::Ack) {
                self.out.stats.bad_requests_answered += 1;
                ctx!(self).send(rctx.response(400, None, false).finish(None));
            }
            return;
        };
        let mut ctx = ctx!(self);
        if parts.method == Method::Ack {
            let call = self.calls.iter_mut().find(|c| {
                c.id.as_str() == parts.call_id
                    && c.dialog.matches_request(parts.from_tag, parts.to_tag)
            });
            if let Some(call) = call {
                call.on_ack(msg, parts.cseq, now, &mut ctx);
            }
            return;
        }
        match ctx.txns.begin(&parts.key) {
            Lookup::New => {}
            Lookup::Retransmission(last) => {
                let last = last.map(str::to_owned);
                ctx.out.stats.retransmissions_absorbed += 1;
                if let Some(last) = last {
                    ctx.send(last);
                }
                return;
            }
        }
        let reply = |ctx: &mut Ctx<'_>, status: u16| {
            ctx.reply(
                &parts.key,
                rctx.response(status, None, false).finish(None),
                now,
            );
        };
        if parts.method != Method::Cancel {
            let unsupported = crate::call::unsupported_requirements(msg);
            if !unsupported.is_empty() {
                let mut b = rctx.response(420, None, false);
                b.header(name::UNSUPPORTED, &unsupported.join(", "));
                ctx.reply(&parts.key, b.finish(None), now);
                return;
            }
        }
        if parts.method == Method::Notify {
            // Only subscriptions of ours get NOTIFYs (RFC 6665 §4.1.3: else 481).
            let (from_tag, to_tag) = (parts.from_tag, parts.to_tag);
            let status = self
                .watch
                .on_notify(msg, parts.call_id, from_tag, to_tag, now, &mut ctx)
                .unwrap_or(481);
            reply(&mut ctx, status);
            return;
        }
        if parts.method == Method::Cancel {
            let call = self.calls.iter_mut().find(|c| {
                c.id.as_str() == parts.call_id
                    && c.ringing_invite_branch() == Some(parts.key.branch.as_str())
            });
            match call {
                Some(call) => {
                    reply(&mut ctx, 200);
                    call.on_cancel(now, &mut ctx);
                }
                None => reply(&mut ctx, 481),
            }
            return;
        }
        if parts.to_tag.is_some() {
            let call = self.calls.iter_mut().find(|c| {
                c.id.as_str() == parts.call_id
                    && c.dialog.matches_request(parts.from_tag, parts.to_tag)
            });
            match call {
                Some(call) => {
                    let request = InDialogRequest {
                        method: parts.method,
                        cseq: parts.cseq,
                        key: parts.key.clone(),
                        rctx,
                    };
                    call.on_request(msg, request, now, &mut ctx);
                }
                None => reply(&mut ctx, 481),
            }
            return;
        }
        match parts.method {
            Method::Invite => self.on_new_invite(msg, &parts, rctx, now),
            Method::Options | Method::Info => {
                let mut b = rctx.response(200, None, false);
                b.header(name::ALLOW, ALLOW)
                    .header(name::ACCEPT, ACCEPT)
                    .header(name::SUPPORTED, SUPPORTED_AS_UAS);
                ctx.reply(&parts.key, b.finish(None), now);
            }
            Method::Bye | Method::Update | Method::Prack => reply(&mut ctx, 481),
            Method::Unknown => reply(&mut ctx, 501),
            Method::Register
            | Method::Subscribe
            | Method::Notify
            | Method::Refer
            | Method::Message
            | Method::Publish
            | Method::Ack
            | Method::Cancel => {
                let mut b = rctx.response(405, None, false);
                b.header(name::ALLOW, ALLOW);
                ctx.reply(&parts.key, b.finish(None), now);
            }
        }
    }

    fn on_new_invite(
        &mut self,
        msg: &Message<'_>,
        parts: &RequestParts<'_>,
        rctx: ResponseContext,
        now: Instant,
    ) {
        // Same Call-ID, new transaction, no To tag: a merged or looped request (§8.2.2.2).
        self.calls
            .retain(|c| c.is_active() || c.id.as_str() != parts.call_id);
        let mut ctx = ctx!(self);
        let final_response = |ctx: &mut Ctx<'_>, status: u16, extra: Option<(&str, String)>| {
            let tag = ctx.tag();
            let mut b = rctx.response(status, Some(&tag), false);
            if let Some((header, value)) = extra {
                b.header(header, &value);
            }
            ctx.reply(&parts.key, b.finish(None), now);
        };
        let finished = self
            .finished_invites
            .iter()
            .any(|(id, cseq)| id.as_str() == parts.call_id && *cseq == parts.cseq);
        if finished || self.calls.iter().any(|c| c.id.as_str() == parts.call_id) {
            final_response(&mut ctx, 482, None);
            return;
        }
        if self.finished_invites.len() >= FINISHED_INVITES {
            self.finished_invites.pop_front();
        }
        self.finished_invites
            .push_back((CallId::new(parts.call_id), parts.cseq));
        if !msg.body.trim().is_empty() && !msg.content_type_is("application/sdp") {
            final_response(
                &mut ctx,
                415,
                Some((name::ACCEPT, "application/sdp".to_owned())),
            );
            return;
        }
        let session = match session_timer::negotiate_as_uas(msg, ctx.config.min_session_expires) {
            UasNegotiation::None => None,
            UasNegotiation::Use {
                timer,
                require_timer,
            } => Some((timer, require_timer)),
            UasNegotiation::TooSmall { min_se } => {
                final_response(&mut ctx, 422, Some((name::MIN_SE, min_se.to_string())));
                return;
            }
        };
        // Busy (486) only for a call known to be up: one kept across a lost WebSocket and
        // not yet refreshed from the new one may have been ended by a BYE that never
        // reached us (Asterisk sends it to the old socket), and must not turn the next
        // customer away.
        let busy = self
            .calls
            .iter()
            .any(|c| c.is_active() && !c.is_ghost_candidate());
        let decision = policy::decide(
            &ctx.config.auto_answer,
            ctx.agent_state,
            busy,
            &Hints::from_invite(msg),
        );
        let caller = crate::caller::caller_of(msg);
        let id = CallId::new(parts.call_id);
        if !matches!(decision, Decision::Reject { .. }) {
            // The new call is taken: the ghosts end first (BYE with a Reason).
            for ghost in self.calls.iter_mut().filter(|c| c.is_ghost_candidate()) {
                ghost.end_ghost(now, &mut ctx);
            }
        }
        if let Decision::Reject { status } = decision {
            // Reported as a call that ended at once, so the driver can log it; the media
            // edge is never involved.
            final_response(&mut ctx, status, None);
            ctx.emit(Event::IncomingCall {
                call: id.clone(),
                caller,
                auto_answer_at: None,
            });
            ctx.emit(Event::CallEnded {
                call: id,
                reason: EndReason::Rejected { status },
            });
            return;
        }
        let invite = IncomingInvite {
            msg,
            key: parts.key.clone(),
            rctx,
            cseq: parts.cseq,
            from_tag: parts.from_tag,
            session,
        };
        let call = Call::incoming(invite, id, caller, decision, now, &mut ctx);
        self.calls.push(call);
    }
}
