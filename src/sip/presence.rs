//! Busy-lamp bodies for the supervisor board: RFC 4235 `application/dialog-info+xml`
//! (the "dialog" event package) and RFC 3680 `application/reginfo+xml` (the "reg"
//! package), reduced to one [`PhoneStatus`] per agent, also when the phone system
//! refuses one or both packages for good ([`PeerKnowledge`], [`PhoneStatus::from_knowledge`]).
//!
//! Not a general XML parser: a small, bounded scanner over the elements these two
//! documents use. Namespace prefixes are ignored, names and state words compared
//! without case (Kamailio's `pua_dialoginfo` writes `<state>Trying</state>`), and any
//! input, however malformed, gives a value or an error, never a panic.

/// Bodies larger than this are refused (a busy lamp for one agent is < 2 KB).
pub const MAX_BODY: usize = 64 * 1024;
/// At most this many `<dialog>` elements are read from one document.
pub const MAX_DIALOGS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresenceError {
    TooLarge,
    /// No `<dialog-info>` / `<reginfo>` root element.
    NotThisDocument,
}

/// RFC 4235 §3.7.1 dialog states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogState {
    Trying,
    Proceeding,
    Early,
    Confirmed,
    Terminated,
}

impl DialogState {
    fn parse(word: &str) -> Option<DialogState> {
        let w = word.trim();
        [
            ("trying", DialogState::Trying),
            ("proceeding", DialogState::Proceeding),
            ("early", DialogState::Early),
            ("confirmed", DialogState::Confirmed),
            ("terminated", DialogState::Terminated),
        ]
        .into_iter()
        .find(|(name, _)| w.eq_ignore_ascii_case(name))
        .map(|(_, s)| s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogEntry {
    pub id: String,
    pub call_id: Option<String>,
    /// `initiator` or `recipient`, as given.
    pub direction: Option<String>,
    pub state: DialogState,
    /// The agent's side is not rendering media: a `+sip.rendering` target parameter
    /// of `no` (Asterisk/Wazo hold), or a remote `sendonly`/`inactive` hint.
    pub held: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogInfo {
    pub entity: Option<String>,
    pub version: Option<u64>,
    /// `full` (the whole state) or `partial` (changes only); `true` for full.
    pub full: bool,
    pub dialogs: Vec<DialogEntry>,
}

/// Reads a dialog-info document. An empty body (Kamailio's NOTIFY when nothing was
/// ever published for the entity) is a full state with no dialogs.
///
/// # Errors
/// [`PresenceError`] when the body is too large or is not a dialog-info document.
pub fn parse_dialog_info(body: &str) -> Result<DialogInfo, PresenceError> {
    if body.len() > MAX_BODY {
        return Err(PresenceError::TooLarge);
    }
    if body.trim().is_empty() {
        return Ok(DialogInfo {
            entity: None,
            version: None,
            full: true,
            dialogs: Vec::new(),
        });
    }
    let mut tags = Tags::new(body);
    let root = tags
        .find(|t| !t.closing && t.name.eq_ignore_ascii_case("dialog-info"))
        .ok_or(PresenceError::NotThisDocument)?;
    let mut info = DialogInfo {
        entity: root.attr("entity").map(str::to_owned),
        version: root.attr("version").and_then(|v| v.parse().ok()),
        full: !root
            .attr("state")
            .is_some_and(|s| s.eq_ignore_ascii_case("partial")),
        dialogs: Vec::new(),
    };
    let mut current: Option<DialogEntry> = None;
    let mut seen_state = false;
    while let Some(tag) = tags.next() {
        let name = tag.name;
        if name.eq_ignore_ascii_case("dialog") {
            if tag.closing {
                if let Some(d) = current.take() {
                    if seen_state && info.dialogs.len() < MAX_DIALOGS {
                        info.dialogs.push(d);
                    }
                }
            } else {
                current = Some(DialogEntry {
                    id: tag.attr("id").unwrap_or_default().to_owned(),
                    call_id: tag.attr("call-id").map(str::to_owned),
                    direction: tag.attr("direction").map(str::to_owned),
                    state: DialogState::Trying,
                    held: false,
                });
                seen_state = false;
                if tag.self_closing {
                    current = None;
                }
            }
        } else if let Some(d) = current.as_mut() {
            if name.eq_ignore_ascii_case("state") && !tag.closing && !tag.self_closing {
                if let Some(s) = DialogState::parse(tags.text_until_close()) {
                    d.state = s;
                    seen_state = true;
                }
            } else if name.eq_ignore_ascii_case("param")
                && tag
                    .attr("pname")
                    .is_some_and(|p| p.eq_ignore_ascii_case("+sip.rendering"))
                && tag
                    .attr("pvalue")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"))
            {
                d.held = true;
            }
        }
    }
    Ok(info)
}

/// Whether the AOR has at least one active contact (RFC 3680 reginfo). `None` when
/// the document names no registration at all (nothing known: treat as offline).
///
/// # Errors
/// [`PresenceError`] when the body is too large or is not a reginfo document.
pub fn parse_reginfo(body: &str) -> Result<Option<bool>, PresenceError> {
    if body.len() > MAX_BODY {
        return Err(PresenceError::TooLarge);
    }
    let mut tags = Tags::new(body);
    tags.find(|t| !t.closing && t.name.eq_ignore_ascii_case("reginfo"))
        .ok_or(PresenceError::NotThisDocument)?;
    let mut any_registration = false;
    let mut in_active_registration = false;
    for tag in tags {
        if tag.closing {
            if tag.name.eq_ignore_ascii_case("registration") {
                in_active_registration = false;
            }
            continue;
        }
        let active = tag
            .attr("state")
            .is_some_and(|s| s.eq_ignore_ascii_case("active"));
        if tag.name.eq_ignore_ascii_case("registration") {
            any_registration = true;
            in_active_registration = active && !tag.self_closing;
        } else if tag.name.eq_ignore_ascii_case("contact") && in_active_registration && active {
            return Ok(Some(true));
        }
    }
    Ok(if any_registration { Some(false) } else { None })
}

/// The agent's phone as a supervisor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneStatus {
    /// Not registered (or nothing known yet while the phone system serves both packages).
    Offline,
    Idle,
    Ringing,
    InCall,
    OnHold,
    /// Phone state not available from this phone system: it refused both the `dialog`
    /// and the `reg` subscription for good (e.g. 489 Bad Event: Asterisk without
    /// `res_pjsip_exten_state`). Says nothing about the phone: never read as offline.
    NotReported,
    /// The phone system serves `dialog` but refused `reg` (Wazo: `res_pjsip_exten_state`
    /// and no RFC 3680 package), and the last dialog-info shows no call. Asterisk writes
    /// the same `<state>terminated</state>` for an idle device and for an unregistered
    /// one (`ast_sip_presence_exten_state_to_str`, res/res_pjsip/presence_xml.c:
    /// `AST_EXTENSION_NOT_INUSE` and `AST_EXTENSION_UNAVAILABLE`), so this is "not in a
    /// call", registered or not: not "idle", which would claim the phone is up.
    NoCall,
    /// The phone system serves `reg` but refused `dialog`: registered, calls not reported.
    Registered,
}

impl PhoneStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneStatus::Offline => "offline",
            PhoneStatus::Idle => "idle",
            PhoneStatus::Ringing => "ringing",
            PhoneStatus::InCall => "in call",
            PhoneStatus::OnHold => "on hold",
            PhoneStatus::NotReported => "not reported",
            PhoneStatus::NoCall => "no call",
            PhoneStatus::Registered => "registered",
        }
    }

    /// One status when the phone system serves both packages: registration (`None` =
    /// unknown) and the dialogs of the last full dialog-info. A call in progress wins
    /// over a missing registration (the reg NOTIFY may simply come later).
    #[must_use]
    pub fn derive(registered: Option<bool>, dialogs: &[DialogEntry]) -> PhoneStatus {
        if let Some(call) = PhoneStatus::call(dialogs) {
            return call;
        }
        if registered == Some(true) {
            PhoneStatus::Idle
        } else {
            PhoneStatus::Offline
        }
    }

    /// Ringing, in call or on hold when a dialog is live.
    fn call(dialogs: &[DialogEntry]) -> Option<PhoneStatus> {
        let live = || {
            dialogs
                .iter()
                .filter(|d| d.state != DialogState::Terminated)
        };
        if live().any(|d| d.state == DialogState::Confirmed && d.held) {
            return Some(PhoneStatus::OnHold);
        }
        if live().any(|d| d.state == DialogState::Confirmed) {
            return Some(PhoneStatus::InCall);
        }
        live().next().map(|_| PhoneStatus::Ringing)
    }

    /// One status from what each package told so far, refusals included; `None` while
    /// there is nothing honest to say yet (e.g. `reg` refused, `dialog` not answered).
    ///
    /// | `reg` \ `dialog` | served (no live call)     | refused        | not yet known |
    /// |-------------------|---------------------------|----------------|---------------|
    /// | registered        | idle                      | registered     | idle          |
    /// | not registered    | offline                   | offline        | offline       |
    /// | refused           | no call                   | not reported   | —             |
    /// | not yet known     | offline                   | —              | —             |
    ///
    /// A live dialog always gives ringing / in call / on hold (a phone in a call is up).
    /// Without refusals this is exactly [`PhoneStatus::derive`].
    #[must_use]
    pub fn from_knowledge(k: &PeerKnowledge<'_>) -> Option<PhoneStatus> {
        let dialogs = k.dialogs.unwrap_or(&[]);
        if let Some(call) = PhoneStatus::call(dialogs) {
            return Some(call);
        }
        match (k.reg_refused, k.dialog_refused) {
            (true, true) => Some(PhoneStatus::NotReported),
            (true, false) => k.dialogs.map(|_| PhoneStatus::NoCall),
            (false, true) => match k.registered {
                Some(true) => Some(PhoneStatus::Registered),
                Some(false) => Some(PhoneStatus::Offline),
                None => None,
            },
            (false, false) => {
                if k.registered.is_none() && k.dialogs.is_none() {
                    None
                } else {
                    Some(PhoneStatus::derive(k.registered, dialogs))
                }
            }
        }
    }
}

/// What the watcher knows of one agent, per package: the last state it reported, or
/// that the phone system refused that package for good.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerKnowledge<'a> {
    /// From the last reginfo; `None` before any.
    pub registered: Option<bool>,
    /// The `reg` SUBSCRIBE was refused for good (see `subscription::is_permanent_refusal`).
    pub reg_refused: bool,
    /// From the last full dialog-info; `None` before any.
    pub dialogs: Option<&'a [DialogEntry]>,
    /// The `dialog` SUBSCRIBE was refused for good.
    pub dialog_refused: bool,
}

/// One tag of the document: `<name a="v">`, `</name>` or `<name/>`.
#[derive(Debug)]
struct Tag<'a> {
    /// Local name (namespace prefix dropped).
    name: &'a str,
    attrs: &'a str,
    closing: bool,
    self_closing: bool,
}

impl<'a> Tag<'a> {
    fn attr(&self, wanted: &str) -> Option<&'a str> {
        let mut rest = self.attrs;
        loop {
            rest = rest.trim_start();
            let eq = rest.find('=')?;
            let key = rest.get(..eq)?.trim();
            let after = rest.get(eq + 1..)?.trim_start();
            let quote = after.chars().next()?;
            if quote != '"' && quote != '\'' {
                return None;
            }
            let inner = after.get(1..)?;
            let end = inner.find(quote)?;
            let value = inner.get(..end)?;
            let local = key.rsplit(':').next().unwrap_or(key);
            if local.eq_ignore_ascii_case(wanted) {
                return Some(value);
            }
            rest = inner.get(end + 1..)?;
        }
    }
}

/// Iterates over the tags of a document, skipping `<?…?>`, comments and `<!…>`.
struct Tags<'a> {
    doc: &'a str,
    pos: usize,
}

impl<'a> Tags<'a> {
    fn new(doc: &'a str) -> Tags<'a> {
        Tags { doc, pos: 0 }
    }

    /// The text from the current position up to the next `<` (the element's content).
    fn text_until_close(&mut self) -> &'a str {
        let rest = self.doc.get(self.pos..).unwrap_or("");
        let end = rest.find('<').unwrap_or(rest.len());
        self.pos += end;
        rest.get(..end).unwrap_or("")
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        loop {
            let rest = self.doc.get(self.pos..)?;
            let open = rest.find('<')?;
            let after = rest.get(open + 1..)?;
            if after.starts_with("!--") {
                let end = after
                    .find("-->")
                    .map_or(self.doc.len(), |e| self.pos + open + 1 + e + 3);
                self.pos = end;
                continue;
            }
            let close = after.find('>')?;
            self.pos += open + 1 + close + 1;
            let inner = after.get(..close)?;
            if inner.starts_with('?') || inner.starts_with('!') {
                continue;
            }
            let (closing, inner) = match inner.strip_prefix('/') {
                Some(i) => (true, i),
                None => (false, inner),
            };
            let (self_closing, inner) = match inner.strip_suffix('/') {
                Some(i) => (true, i),
                None => (false, inner),
            };
            let inner = inner.trim_start();
            let name_end = inner
                .find(|c: char| c.is_ascii_whitespace())
                .unwrap_or(inner.len());
            let qname = inner.get(..name_end)?;
            let name = qname.rsplit(':').next().unwrap_or(qname);
            return Some(Tag {
                name,
                attrs: inner.get(name_end..).unwrap_or(""),
                closing,
                self_closing,
            });
        }
    }
}
