//! What every layer needs while handling one input: configuration, randomness, our
//! identity on the flow, the transaction cache and the output queues.

use std::collections::VecDeque;

use crate::api::{Event, Stats};
use crate::config::{AgentState, Config};
use crate::time::{Instant, Random, RandomExt};
use crate::transaction::{ServerTransactions, TxnKey};
use crate::wire::{name, MessageBuilder, Method};

/// RFC 3261 timer values, milliseconds.
pub(crate) const T1_MS: u64 = 500;
pub(crate) const T2_MS: u64 = 4_000;
/// Timer B/F/H: how long a transaction may wait for its response or ACK.
pub(crate) const TRANSACTION_TIMEOUT_MS: u64 = 64 * T1_MS;
/// How long the media edge may take to produce an SDP before the call fails. Generous
/// because it covers a first-time microphone permission prompt.
pub(crate) const MEDIA_TIMEOUT_MS: u64 = 30_000;

pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK";
pub(crate) const ACCEPT: &str = "application/sdp, application/dtmf-relay, application/dtmf";
/// `Supported` on the in-dialog requests we send. Never `100rel`: as a UAC we do not
/// acknowledge reliable provisional responses (we send no PRACK).
pub(crate) const SUPPORTED_AS_UAC: &str = "timer, outbound";
/// `Supported` on our responses (2xx, OPTIONS): as the answering side we send reliable
/// provisional responses when an INVITE requires them (RFC 3262, `call/prack.rs`).
pub(crate) const SUPPORTED_AS_UAS: &str = "100rel, timer, outbound";
/// Option tags we implement; a Require outside this list gets 420.
pub(crate) const SUPPORTED_OPTIONS: &[&str] = &["100rel", "timer", "outbound", "path"];

/// Our identity on the WebSocket flow (RFC 7118 §5: a random `.invalid` host).
#[derive(Clone, Debug)]
pub(crate) struct Local {
    pub via_host: String,
    /// `sip:<user>@<random>.invalid;transport=ws;ob`
    pub contact_uri: String,
    /// `sip:<user>@<domain>`
    pub aor_uri: String,
}

/// Output queues, drained by the driver.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub transmit: VecDeque<String>,
    pub events: VecDeque<Event>,
    pub connected: bool,
    pub stats: Stats,
}

pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub random: &'a mut dyn Random,
    pub local: &'a Local,
    pub out: &'a mut Outbox,
    pub txns: &'a mut ServerTransactions,
    pub agent_state: &'a AgentState,
}

impl Ctx<'_> {
    pub fn branch(&mut self) -> String {
        let mut b = String::from("z9hG4bK");
        b.push_str(&self.random.token(16));
        b
    }

    pub fn tag(&mut self) -> String {
        self.random.token(12)
    }

    pub fn jitter(&mut self, bound_ms: u64) -> u64 {
        self.random.below(bound_ms.max(1))
    }

    /// Starts a request with our Via (fresh branch, rport) and Max-Forwards.
    /// Returns the builder and the branch, which identifies the client transaction.
    pub fn request(&mut self, method: Method, uri: &str) -> (MessageBuilder, String) {
        let branch = self.branch();
        let mut b = MessageBuilder::request(method.as_str(), uri);
        b.header_fmt(
            name::VIA,
            format_args!(
                "SIP/2.0/WSS {};branch={};rport",
                self.local.via_host, branch
            ),
        );
        b.header(name::MAX_FORWARDS, "70");
        (b, branch)
    }

    /// Queues one frame. Nothing is queued while the WebSocket is down: the message could
    /// not be sent, and sending it late on a new flow would be wrong.
    pub fn send(&mut self, frame: String) {
        if self.out.connected {
            self.out.stats.messages_sent += 1;
            self.out.transmit.push_back(frame);
        } else {
            self.out.stats.unsent_while_disconnected += 1;
        }
    }

    pub fn emit(&mut self, event: Event) {
        self.out.events.push_back(event);
    }

    /// Sends a response and remembers it, so a retransmitted request gets it again.
    pub fn reply(&mut self, key: &TxnKey, frame: String, now: Instant) {
        self.txns.record(key, &frame, now);
        self.send(frame);
    }
}
