//! The vocabulary between the core and its driver: commands in, events out.

use core::fmt;
use std::sync::Arc;

use crate::presence::PhoneStatus;
use crate::time::Instant;

/// Identifies a call: the SIP Call-ID. Cheap to clone (shared string), since every event
/// about a call carries one.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(Arc<str>);

impl CallId {
    #[must_use]
    pub fn new(id: &str) -> CallId {
        CallId(Arc::from(id))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallId({})", &*self.0)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the driver asks of the core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Register,
    Unregister,
    Answer {
        call: CallId,
    },
    Reject {
        call: CallId,
        status: u16,
    },
    HangUp {
        call: CallId,
    },
    SendDtmf {
        call: CallId,
        digits: String,
    },
    /// Development-only outcalling (UAC): production agents are called, never call.
    Call {
        target: String,
    },
    /// Supervisor board: watch these agents' phones (WebRTC numbers such as `3001`, or
    /// full `sip:` URIs), replacing the previous set. Each gets a "dialog" and a "reg"
    /// subscription; changes come back as [`Event::PeerState`].
    Watch {
        targets: Vec<String>,
    },
    /// Stop watching everyone (unsubscribes).
    Unwatch,
    /// QA builds: switch auto-answer on or off at runtime. Applies to the next INVITE;
    /// a call already ringing keeps the decision it got. The driver sends it only when
    /// the configuration enables development features.
    SetAutoAnswer(bool),
}

/// What the media edge reports back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaResult {
    /// The local description: an answer, or an offer when the core asked for one.
    LocalSdp {
        call: CallId,
        sdp: String,
    },
    RemoteAnswerApplied {
        call: CallId,
    },
    Failed {
        call: CallId,
        reason: MediaFailure,
    },
    /// The audio path of a connected call is gone (ICE `failed`, or `disconnected` past a
    /// short grace). The core restarts ICE by re-INVITE, or ends the call with a reason.
    PathLost {
        call: CallId,
    },
    /// ICE is connected again after [`MediaResult::PathLost`].
    PathRestored {
        call: CallId,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaFailure {
    MicrophoneDenied,
    NoMicrophone,
    /// The microphone is there and allowed but would not open (in use by another
    /// application, a driver error: `NotReadableError`).
    MicrophoneBusy,
    Other(String),
}

/// What the core asks of the media edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaRequest {
    CreateAnswer {
        call: CallId,
        offer_sdp: String,
    },
    CreateOffer {
        call: CallId,
    },
    ApplyAnswer {
        call: CallId,
        sdp: String,
    },
    /// A new offer on the call's connection with fresh ICE credentials
    /// (`createOffer({iceRestart: true})`), answered with [`MediaResult::LocalSdp`].
    RestartIce {
        call: CallId,
    },
    /// Stop every track and close the connection of this call.
    Release {
        call: CallId,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationState {
    Unregistered {
        reason: String,
    },
    Registering,
    Registered {
        expires_s: u32,
    },
    /// Credentials refused (second 401/407 on a fresh nonce, or 403). Retried only slowly.
    AuthFailed {
        status: u16,
    },
    /// `retry_at: None` means "when the WebSocket is connected again".
    Failed {
        reason: String,
        retry_at: Option<Instant>,
    },
}

/// Who is calling: P-Asserted-Identity first, then Remote-Party-ID, then From.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Caller {
    pub number: String,
    pub display_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    RemoteBye,
    LocalHangUp,
    /// The caller cancelled before the answer.
    Cancelled,
    /// A final non-2xx: sent by us (policy, busy, reject command) or received (our UAC call).
    Rejected {
        status: u16,
    },
    /// No ACK for our 2xx within 64*T1.
    NoAck,
    MediaFailed,
    /// The audio path was lost mid-call and an ICE restart did not bring it back (the
    /// re-INVITE was refused, or ICE stayed down past the bound). A BYE with a `Reason`
    /// header was sent.
    MediaLost,
    TransportLost,
    /// The WebSocket to the broker was lost during the call and the dialog could not be
    /// refreshed from the new one: the target refresh got 481/408 or no answer, or a new
    /// call arrived before it succeeded. A BYE with a `Reason` header was sent where the
    /// dialog may still exist at the broker.
    DialogLost,
    /// RFC 4028: no session refresh before the session interval expired.
    SessionExpired,
    /// A request of ours got no response (Timer B/F) or a 408/481.
    Timeout,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Registration(RegistrationState),
    /// The keep-alive pong is missing: the edge must close and reconnect the WebSocket.
    FlowDead,
    IncomingCall {
        call: CallId,
        caller: Caller,
        auto_answer_at: Option<Instant>,
    },
    Media(MediaRequest),
    CallAnswered {
        call: CallId,
    },
    /// The audio path of a connected call was lost and is being restored by an ICE
    /// restart (`reconnecting: true`), or it is back (`false`).
    MediaPath {
        call: CallId,
        reconnecting: bool,
    },
    /// Derived from the remote SDP direction (sendonly/inactive ⇒ held).
    CallHeld {
        call: CallId,
        held: bool,
    },
    CallEnded {
        call: CallId,
        reason: EndReason,
    },
    /// From an INFO (application/dtmf-relay or application/dtmf).
    Dtmf {
        call: CallId,
        digit: char,
    },
    /// A watched agent's phone changed (see [`Command::Watch`]); `target` as given there.
    PeerState {
        target: String,
        status: PhoneStatus,
    },
    /// Dropped malformed input and the like. Never contains secrets.
    Warning(String),
}

/// Counters for what the core saw and did, for diagnostics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub messages_received: u64,
    pub messages_sent: u64,
    pub keepalives_received: u64,
    /// Unparseable input no response could be built for.
    pub dropped_malformed: u64,
    /// Malformed requests answered with 400.
    pub bad_requests_answered: u64,
    /// Responses matching no transaction of ours.
    pub stray_responses: u64,
    /// Retransmitted requests answered from the transaction cache.
    pub retransmissions_absorbed: u64,
    /// Messages produced while the WebSocket was down, hence never sent.
    pub unsent_while_disconnected: u64,
}
