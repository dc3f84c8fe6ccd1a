//! Server transactions, reduced to what a reliable transport needs (RFC 3261 §17.2 with
//! Timer G/E never firing): remember the last response per request so a retransmitted
//! request is answered again instead of being handled twice. Client transactions live
//! with their owners (registration, keep-alive, calls), matched by branch and CSeq.

use crate::context::TRANSACTION_TIMEOUT_MS;
use crate::time::Instant;
use crate::wire::Method;

/// RFC 3261 §17.2.3 matching: top Via branch, sent-by and method (ACK matches INVITE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TxnKey {
    pub branch: String,
    pub sent_by: String,
    pub method: Method,
}

#[derive(Debug)]
struct Entry {
    key: TxnKey,
    last_response: Option<String>,
    /// Forgotten at this time (set by the final response).
    expires_at: Option<Instant>,
}

/// Bounded: a flood of distinct requests cannot grow memory without limit.
#[derive(Debug, Default)]
pub(crate) struct ServerTransactions {
    entries: Vec<Entry>,
}

const MAX_ENTRIES: usize = 64;

pub(crate) enum Lookup<'a> {
    New,
    /// A retransmission; `Some` holds the response to send again.
    Retransmission(Option<&'a str>),
}

impl ServerTransactions {
    pub fn begin(&mut self, key: &TxnKey) -> Lookup<'_> {
        if let Some(i) = self.entries.iter().position(|e| &e.key == key) {
            return Lookup::Retransmission(
                self.entries.get(i).and_then(|e| e.last_response.as_deref()),
            );
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push(Entry {
            key: key.clone(),
            last_response: None,
            expires_at: None,
        });
        Lookup::New
    }

    pub fn record(&mut self, key: &TxnKey, response: &str, now: Instant) {
        let is_final = !response.starts_with("SIP/2.0 1");
        if let Some(entry) = self.entries.iter_mut().find(|e| &e.key == key) {
            match &mut entry.last_response {
                Some(buf) => {
                    buf.clear();
                    buf.push_str(response);
                }
                None => entry.last_response = Some(response.to_owned()),
            }
            if is_final {
                entry.expires_at = Some(now.plus(TRANSACTION_TIMEOUT_MS));
            }
        }
    }

    /// Is any transaction open with this branch? (A garbled copy of one of its requests
    /// is dropped rather than answered, so it cannot change the outcome.)
    pub fn knows_branch(&self, branch: &str) -> bool {
        self.entries.iter().any(|e| e.key.branch == branch)
    }

    pub fn prune(&mut self, now: Instant) {
        self.entries
            .retain(|e| e.expires_at.is_none_or(|t| t > now));
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.entries.iter().filter_map(|e| e.expires_at).min()
    }
}
