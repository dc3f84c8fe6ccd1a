//! The supervisor board's watch list: for each watched agent, two RFC 6665
//! subscriptions on the agent's AOR, "dialog" (RFC 4235: ringing, in call, on hold)
//! and "reg" (RFC 3680: registered or offline), reduced to one [`PhoneStatus`] that is
//! reported as [`Event::PeerState`] whenever it changes.
//!
//! The agent routes to this layer every response whose Call-ID is one of ours and every
//! NOTIFY; a NOTIFY that matches no subscription (Call-ID, our From tag as its To tag,
//! and the notifier's tag once known) gets 481. Digest challenges are answered once with
//! the account's credentials (a second challenge on fresh credentials means refused);
//! refreshes, timeouts and re-subscription after a termination all run on the agent's
//! one timer table (`next_deadline` / `on_timeout`).
//!
//! A package the phone system refuses for good (`subscription::is_permanent_refusal`:
//! 489 Bad Event from an Asterisk without `res_pjsip_exten_state`, which never serves
//! `reg`) is remembered per agent and folded into the status
//! ([`PhoneStatus::from_knowledge`]): both refused is [`PhoneStatus::NotReported`],
//! never offline; `reg` refused with `dialog` served reads calls from dialog-info and
//! says [`PhoneStatus::NoCall`] rather than idle or offline. Such a refusal is retried
//! every 60 s (the backoff's maximum); transient failures keep the growing backoff and
//! leave the last reported status as it was.

use crate::api::Event;
use crate::context::{Ctx, TRANSACTION_TIMEOUT_MS};
use crate::digest::DigestSession;
use crate::presence::{DialogEntry, PeerKnowledge, PhoneStatus};
use crate::subscription::{EventPackage, ResponseOutcome, Subscription, Update};
use crate::time::{Instant, RandomExt};
use crate::wire::header::{CSeq, Challenge, Via};
use crate::wire::{name, Message};

/// Requested subscription lifetime; the notifier's 2xx / Subscription-State decides.
pub(crate) const SUBSCRIBE_EXPIRES_S: u32 = 600;
/// A board for one supervisor's teams; more targets than this are refused (a Warning).
pub(crate) const MAX_WATCHED: usize = 200;

#[derive(Debug)]
struct InFlight {
    branch: String,
    cseq: u32,
    deadline: Instant,
    /// The credentials answer the challenge the previous response carried.
    fresh_credentials: bool,
    /// An unsubscribe (Expires: 0).
    ending: bool,
}

#[derive(Debug)]
struct Slot {
    sub: Subscription,
    digest: Option<DigestSession>,
    in_flight: Option<InFlight>,
    /// Sent at least one SUBSCRIBE since the flow came up.
    started: bool,
    /// The last final response refused this package for good; cleared by a 2xx or a
    /// NOTIFY of this package.
    refused: bool,
}

impl Slot {
    fn deadline(&self) -> Option<Instant> {
        let waiting = self.in_flight.as_ref().map(|f| f.deadline);
        let idle = if self.in_flight.is_none() {
            self.sub.refresh_at().or(self.sub.retry_at())
        } else {
            None
        };
        waiting.into_iter().chain(idle).min()
    }

    fn owns_notify(&self, call_id: &str, from_tag: Option<&str>, to_tag: Option<&str>) -> bool {
        self.sub.call_id() == call_id
            && to_tag == Some(self.sub.from_tag())
            && match (self.sub.to_tag(), from_tag) {
                (Some(known), Some(theirs)) => known == theirs,
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

#[derive(Debug)]
struct Peer {
    /// As the driver named it (`3001`, or a full `sip:` URI).
    target: String,
    dialog: Slot,
    reg: Slot,
    /// From the last reginfo; `None` before any (or since `reg` was refused).
    registered: Option<bool>,
    /// From the last full dialog-info; `None` before any (or since `dialog` was refused).
    dialogs: Option<Vec<DialogEntry>>,
    reported: Option<PhoneStatus>,
}

impl Peer {
    fn slots(&mut self) -> [&mut Slot; 2] {
        [&mut self.dialog, &mut self.reg]
    }

    /// Emits `PeerState` when what is known now gives a status other than the last one.
    fn report(&mut self, ctx: &mut Ctx<'_>) {
        let status = PhoneStatus::from_knowledge(&PeerKnowledge {
            registered: self.registered,
            reg_refused: self.reg.refused,
            dialogs: self.dialogs.as_deref(),
            dialog_refused: self.dialog.refused,
        });
        if let Some(status) = status {
            if self.reported != Some(status) {
                self.reported = Some(status);
                ctx.emit(Event::PeerState {
                    target: self.target.clone(),
                    status,
                });
            }
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Watch {
    peers: Vec<Peer>,
}

fn aor(target: &str, domain: &str) -> String {
    if target.starts_with("sip:") || target.starts_with("sips:") {
        target.to_owned()
    } else {
        format!("sip:{target}@{domain}")
    }
}

impl Watch {
    pub fn next_deadline(&self) -> Option<Instant> {
        self.peers
            .iter()
            .flat_map(|p| [p.dialog.deadline(), p.reg.deadline()])
            .flatten()
            .min()
    }

    pub fn owns(&self, call_id: &str) -> bool {
        self.peers
            .iter()
            .any(|p| p.dialog.sub.call_id() == call_id || p.reg.sub.call_id() == call_id)
    }

    /// `Command::Watch`: the new set of targets. Targets no longer wanted are
    /// unsubscribed (Expires: 0) and forgotten; new ones are subscribed at once.
    pub fn set(&mut self, targets: Vec<String>, now: Instant, ctx: &mut Ctx<'_>) {
        let mut wanted: Vec<String> = Vec::with_capacity(targets.len().min(MAX_WATCHED));
        for t in targets {
            let t = t.trim().to_owned();
            let valid = !t.is_empty()
                && t.len() <= 128
                && !t
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"'));
            if !valid {
                ctx.emit(Event::Warning("ignored an unusable watch target".into()));
            } else if !wanted.contains(&t) {
                wanted.push(t);
            }
        }
        if wanted.len() > MAX_WATCHED {
            ctx.emit(Event::Warning(format!(
                "watching only the first {MAX_WATCHED} of {} agents",
                wanted.len()
            )));
            wanted.truncate(MAX_WATCHED);
        }
        let (keep, gone): (Vec<Peer>, Vec<Peer>) = std::mem::take(&mut self.peers)
            .into_iter()
            .partition(|p| wanted.contains(&p.target));
        for mut peer in gone {
            for slot in peer.slots() {
                unsubscribe(slot, now, ctx);
            }
        }
        self.peers = keep;
        for target in wanted {
            if self.peers.iter().any(|p| p.target == target) {
                continue;
            }
            let uri = aor(&target, &ctx.config.domain);
            let mut new_slot = |event| Slot {
                sub: Subscription::new(
                    event,
                    &uri,
                    &ctx.local.aor_uri,
                    &ctx.random.token(20),
                    &ctx.random.token(12),
                ),
                digest: None,
                in_flight: None,
                started: false,
                refused: false,
            };
            let mut peer = Peer {
                target,
                dialog: new_slot(EventPackage::Dialog),
                reg: new_slot(EventPackage::Reg),
                registered: None,
                dialogs: None,
                reported: None,
            };
            if ctx.out.connected {
                for slot in peer.slots() {
                    subscribe(slot, now, ctx);
                }
            }
            self.peers.push(peer);
        }
    }

    /// Flow up: every subscription starts over (the old ones died with the old flow).
    pub fn on_connected(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        for peer in &mut self.peers {
            for slot in peer.slots() {
                if slot.started {
                    let (call_id, tag) = (ctx.random.token(20), ctx.random.token(12));
                    slot.sub.restart(&call_id, &tag);
                }
                subscribe(slot, now, ctx);
            }
        }
    }

    /// Flow down: nothing is in flight any more; `on_connected` starts over.
    pub fn on_disconnected(&mut self) {
        for peer in &mut self.peers {
            for slot in peer.slots() {
                slot.in_flight = None;
            }
        }
    }

    pub fn on_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        for peer in &mut self.peers {
            for slot in peer.slots() {
                if slot.in_flight.as_ref().is_some_and(|f| f.deadline <= now) {
                    // Timer F: the notifier never answered.
                    slot.in_flight = None;
                    slot.sub.fail_request(now, 408);
                }
                if slot.in_flight.is_some() || !ctx.out.connected {
                    continue;
                }
                if slot.sub.retry_at().is_some_and(|t| t <= now) {
                    let (call_id, tag) = (ctx.random.token(20), ctx.random.token(12));
                    slot.sub.restart(&call_id, &tag);
                    subscribe(slot, now, ctx);
                } else if slot.sub.refresh_at().is_some_and(|t| t <= now) {
                    subscribe(slot, now, ctx);
                }
            }
        }
    }

    pub fn on_response(&mut self, msg: &Message<'_>, status: u16, now: Instant, ctx: &mut Ctx<'_>) {
        let call_id = msg.get(name::CALL_ID).unwrap_or("");
        let branch = msg
            .get(name::VIA)
            .and_then(|v| Via::parse(v).ok())
            .and_then(|v| v.branch());
        let cseq = msg
            .get(name::CSEQ)
            .and_then(|c| CSeq::parse(c).ok())
            .map(|c| c.seq);
        let found = self.peers.iter_mut().find_map(|p| {
            let is_dialog = if p.dialog.sub.call_id() == call_id {
                true
            } else if p.reg.sub.call_id() == call_id {
                false
            } else {
                return None;
            };
            Some((p, is_dialog))
        });
        let Some((peer, is_dialog)) = found else {
            ctx.out.stats.stray_responses += 1;
            return;
        };
        let slot = if is_dialog {
            &mut peer.dialog
        } else {
            &mut peer.reg
        };
        let matches = slot
            .in_flight
            .as_ref()
            .is_some_and(|f| Some(f.branch.as_str()) == branch && Some(f.cseq) == cseq);
        if !matches {
            ctx.out.stats.stray_responses += 1;
            return;
        }
        if status < 200 {
            return;
        }
        let Some(flight) = slot.in_flight.take() else {
            return;
        };
        match slot.sub.handle_response(msg, now) {
            ResponseOutcome::Challenge { header, .. } => {
                let proxy = header == name::PROXY_AUTHENTICATE;
                let challenge = msg
                    .get_all(header)
                    .filter_map(|v| Challenge::parse(v).ok())
                    .find(|c| {
                        crate::digest::Algorithm::from_challenge(c.algorithm.as_deref()).is_ok()
                            && (c.qop.is_empty() || c.qop.iter().any(|q| q == "auth"))
                    });
                match challenge {
                    Some(c) if !flight.fresh_credentials || c.stale => {
                        slot.digest = Some(DigestSession::new(c, proxy));
                        resend(slot, flight.ending, now, ctx);
                    }
                    _ => {
                        slot.digest = None;
                        slot.sub.fail_request(now, status);
                        ctx.emit(Event::Warning(format!(
                            "presence subscription refused ({status}): check the supervisor's SIP credentials"
                        )));
                    }
                }
            }
            ResponseOutcome::IntervalTooBrief { min_expires_s } => {
                if flight.ending {
                    return;
                }
                send(slot, min_expires_s.min(86_400), false, now, ctx);
            }
            ResponseOutcome::Refused { status } => {
                if flight.ending {
                    return;
                }
                let first = !slot.refused;
                slot.refused = true;
                slot.digest = None;
                let event = slot.sub.event.event();
                if is_dialog {
                    peer.dialogs = None;
                } else {
                    peer.registered = None;
                }
                if first {
                    ctx.emit(Event::Warning(format!(
                        "the phone system refused the {event} subscription for {} ({status}): \
                         that state is not reported; retrying every 60 s",
                        peer.target
                    )));
                }
                peer.report(ctx);
            }
            ResponseOutcome::Active { .. } => slot.refused = false,
            ResponseOutcome::Failed { .. } | ResponseOutcome::Ignored => {}
        }
    }

    /// A NOTIFY (any; the agent asks before answering 481 itself). `None`: not ours.
    pub fn on_notify(
        &mut self,
        msg: &Message<'_>,
        call_id: &str,
        from_tag: Option<&str>,
        to_tag: Option<&str>,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) -> Option<u16> {
        let peer = self.peers.iter_mut().find(|p| {
            p.dialog.owns_notify(call_id, from_tag, to_tag)
                || p.reg.owns_notify(call_id, from_tag, to_tag)
        })?;
        let is_dialog = peer.dialog.owns_notify(call_id, from_tag, to_tag);
        let slot = if is_dialog {
            &mut peer.dialog
        } else {
            &mut peer.reg
        };
        let outcome = slot.sub.handle_notify(msg, now);
        if outcome.terminated.is_some() {
            // A refresh in flight belongs to the dead dialog; the retry starts afresh.
            slot.in_flight = None;
        }
        if outcome.status == 200 {
            // The package is served after all (a NOTIFY may precede its 2xx).
            slot.refused = false;
        }
        match outcome.update {
            Some(Update::Dialogs(d)) => peer.dialogs = Some(d),
            Some(Update::Registered(r)) => peer.registered = Some(r == Some(true)),
            None => {}
        }
        if outcome.status == 200 {
            peer.report(ctx);
        }
        Some(outcome.status)
    }
}

fn subscribe(slot: &mut Slot, now: Instant, ctx: &mut Ctx<'_>) {
    slot.started = true;
    send(slot, SUBSCRIBE_EXPIRES_S, false, now, ctx);
}

fn unsubscribe(slot: &mut Slot, now: Instant, ctx: &mut Ctx<'_>) {
    if ctx.out.connected && slot.sub.to_tag().is_some() {
        send(slot, 0, false, now, ctx);
    }
}

/// The same request again, with credentials for the challenge just received.
fn resend(slot: &mut Slot, ending: bool, now: Instant, ctx: &mut Ctx<'_>) {
    let expires = if ending { 0 } else { SUBSCRIBE_EXPIRES_S };
    send(slot, expires, true, now, ctx);
}

fn send(slot: &mut Slot, expires_s: u32, fresh_credentials: bool, now: Instant, ctx: &mut Ctx<'_>) {
    let branch = ctx.branch();
    let cnonce = ctx.random.token(16);
    let uri = slot.sub.request_uri().to_owned();
    let auth = slot.digest.as_mut().and_then(|d| {
        let config = ctx.config;
        d.authorize(
            &config.auth_user,
            &config.password,
            "SUBSCRIBE",
            &uri,
            &cnonce,
        )
        .ok()
        .map(|(h, creds)| (h, creds.header_value()))
    });
    let frame = slot.sub.request(
        &branch,
        &ctx.local.via_host,
        &ctx.local.contact_uri,
        expires_s,
        auth.as_ref().map(|(h, v)| (*h, v.as_str())),
    );
    let cseq = slot.sub.cseq();
    ctx.send(frame);
    slot.in_flight = Some(InFlight {
        branch,
        cseq,
        deadline: now.plus(TRANSACTION_TIMEOUT_MS),
        fresh_credentials: fresh_credentials && auth.is_some(),
        ending: expires_s == 0,
    });
}
