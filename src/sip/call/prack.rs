//! Reliable provisional responses as the answering side (RFC 3262).
//!
//! An initial INVITE with `Require: 100rel` (Asterisk's `100rel=required`) would otherwise
//! get 420 Bad Extension. We send its 180 Ringing reliably: `Require: 100rel`, an `RSeq`
//! starting at a random value in 1..2^31-1, our To tag and Contact (it creates the early
//! dialog the PRACK is sent in). It is retransmitted at T1 doubling to T2 until the
//! matching PRACK (`RAck: <rseq> <cseq> INVITE`) arrives or the final response is sent;
//! the PRACK gets 200, one that matches nothing 481, one with an unreadable RAck 400.
//!
//! Only when required: with `Supported: 100rel` alone (Asterisk's default `100rel=yes`,
//! which only advertises) the 180 stays unreliable. It carries no SDP, so reliability
//! buys nothing, and it would add a PRACK round trip and a retransmission timer to every
//! call.
//!
//! Answering is not slowed: the 180 has no SDP, so the 2xx may be sent before its PRACK
//! (RFC 3262 §3), at once when the media edge's answer is ready; the 180 is not repeated
//! after it. A reliable 180 without PRACK for 64*T1 (a call left ringing, auto-answer off)
//! rejects the INVITE with 500, as §3 asks.

use super::{Call, Phase};
use crate::api::EndReason;
use crate::context::{Ctx, T1_MS, T2_MS, TRANSACTION_TIMEOUT_MS};
use crate::time::{Instant, RandomExt};
use crate::transaction::TxnKey;
use crate::wire::header::RAck;
use crate::wire::{name, Message, MessageBuilder, ResponseContext};

/// Our reliable provisional response and its PRACK state.
#[derive(Debug)]
pub(super) struct Reliable {
    rseq: u32,
    /// The CSeq of the INVITE it answers (the RAck's second number).
    invite_cseq: u32,
    /// The response as sent, for retransmission.
    frame: String,
    /// The next retransmission; `None` once acknowledged or a final response went out.
    retransmit_at: Option<Instant>,
    interval_ms: u64,
    /// 64*T1 after it was first sent.
    give_up_at: Instant,
    acknowledged: bool,
}

impl Reliable {
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.retransmit_at
    }
}

/// Does this INVITE require our provisional responses to be reliable?
pub(super) fn required(msg: &Message<'_>) -> bool {
    msg.has_token(name::REQUIRE, "100rel")
}

impl Call {
    /// Sends the provisional response `b` (the 180) reliably for the INVITE `invite_cseq`.
    pub(super) fn send_reliable_provisional(
        &mut self,
        mut b: MessageBuilder,
        invite_cseq: u32,
        key: &TxnKey,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        // RFC 3262 §3: the first RSeq is chosen uniformly between 1 and 2**31 - 1.
        let rseq = u32::try_from(ctx.random.below((1 << 31) - 1)).unwrap_or(0) + 1;
        b.header(name::REQUIRE, "100rel")
            .header_fmt(name::RSEQ, format_args!("{rseq}"));
        let frame = b.finish(None);
        ctx.reply(key, frame.clone(), now);
        self.reliable = Some(Reliable {
            rseq,
            invite_cseq,
            frame,
            retransmit_at: Some(now.plus(T1_MS)),
            interval_ms: T1_MS,
            give_up_at: now.plus(TRANSACTION_TIMEOUT_MS),
            acknowledged: false,
        });
    }

    /// The final response to the INVITE is out: the provisional is not repeated after it
    /// (its PRACK, if it crosses the final response, is still answered 200).
    pub(super) fn stop_provisional_retransmission(&mut self) {
        if let Some(reliable) = self.reliable.as_mut() {
            reliable.retransmit_at = None;
        }
    }

    /// Retransmits the unacknowledged provisional, or gives up after 64*T1.
    pub(super) fn on_reliable_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(reliable) = self.reliable.as_mut() else {
            return;
        };
        if reliable.retransmit_at.is_none_or(|t| t > now) {
            return;
        }
        if reliable.give_up_at <= now {
            reliable.retransmit_at = None;
            if self.phase == Phase::Ringing {
                // RFC 3262 §3: no PRACK within 64*T1 ⇒ reject the INVITE with a 5xx.
                self.reject_invite(500, now, ctx);
                self.end(EndReason::Timeout, now, ctx);
            }
            return;
        }
        ctx.send(reliable.frame.clone());
        reliable.interval_ms = (reliable.interval_ms * 2).min(T2_MS);
        reliable.retransmit_at = Some(now.plus(reliable.interval_ms).min(reliable.give_up_at));
    }

    /// A PRACK in this (early or confirmed) dialog: 200 for our unacknowledged reliable
    /// provisional, 481 for anything else, 400 when the RAck cannot be read.
    pub(super) fn on_prack(
        &mut self,
        msg: &Message<'_>,
        key: &TxnKey,
        rctx: &ResponseContext,
        now: Instant,
        ctx: &mut Ctx<'_>,
    ) {
        let mut values = msg.get_all(name::RACK);
        let rack = match (values.next(), values.next()) {
            (Some(value), None) => RAck::parse(value).ok(),
            _ => None,
        };
        let status = match rack {
            None => 400,
            Some(rack) => match self.reliable.as_mut().filter(|r| {
                !r.acknowledged
                    && r.rseq == rack.rseq
                    && r.invite_cseq == rack.cseq
                    && rack.method.eq_ignore_ascii_case("INVITE")
            }) {
                Some(reliable) => {
                    reliable.acknowledged = true;
                    reliable.retransmit_at = None;
                    200
                }
                None => 481,
            },
        };
        ctx.reply(key, rctx.response(status, None, false).finish(None), now);
    }
}
