/*
 * Mock Finesse desktop page: hosts the gadget iframe in a 600px header column, answers the
 * mock finesse.js / gadget container over postMessage, and exposes the QA controls and the
 * test hooks (window.mockFinesse). The QA controls are the source of truth.
 */
(function () {
  "use strict";
  var Core = window.MockFinesseCore;
  var $ = function (id) { return document.getElementById(id); };
  var MAX_EVENTS = 5000;
  var SHOWN_EVENTS = 300;
  var STATE_LABELS = {
    READY: "Ready", NOT_READY: "Not Ready", RESERVED: "Reserved", RESERVED_OUTBOUND: "Reserved (Outbound)",
    RESERVED_OUTBOUND_PREVIEW: "Reserved (Preview)", TALKING: "Talking", HOLD: "Hold", WORK: "Work",
    WORK_READY: "Work Ready", LOGOUT: "Logged Out", LOGIN: "Login"
  };
  var CALL_STATES = ["TALKING", "HOLD", "RESERVED", "RESERVED_OUTBOUND", "RESERVED_OUTBOUND_PREVIEW"];

  var params = Core.parseQuery(location.search);
  var cfg;
  var loadError = null;
  try {
    cfg = Core.desktopConfigFromQuery(location.search);
  } catch (e) {
    loadError = "Ignored the page's query string: " + e.message;
    cfg = Core.desktopConfigFromQuery("");
  }
  var gadgetXml = params.gadget || "/3rdpartygadget/files/TTECPhone/gadget.xml";

  // Test hook: a page may set window.mockFinesseInit = {password} before this script runs
  // (e.g. Playwright addInitScript), so the first gadget load already has the right password.
  var init = window.mockFinesseInit;
  if (init && typeof init === "object" && init.password !== undefined) {
    cfg.identity = Core.normaliseIdentity(cfg.identity, { password: init.password });
  }

  // Single sign-on (QA "SSO login"): the agent signed into the IdP; Finesse gives authToken.
  var JWT_LIKE = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzc28ifQ.c2lnbmF0dXJl";
  var ssoInit = init && typeof init === "object" && init.sso && typeof init.sso === "object" ? init.sso : null;

  var st = {
    // QA failure switches: the HTTP status the next REST answers fail with (null: none).
    // init: true gives the gadget an SSO-like opaque `authorization` (no "id:password"
    // inside), which ClientServices.init refuses as finesse.js does (from the next load).
    // subscribe: true refuses collections' node subscriptions ("Not connected").
    failures: { userGet: null, team: null, subscribe: false, init: false, setState: null },
    // on: SSO login; idp: the IdP's origin; authorization: what Finesse puts in `authorization`
    // ("empty", "token", "jwt"); idpSession: the browser keeps the IdP's cookie; token: authToken.
    sso: { on: false, idp: "", authorization: "empty", idpSession: true, token: null },
    // "load": finesse.gadget.Config is there when finesse.js loads; "onConnect": only once
    // the hub connected (Finesse 11.x+ as its samples read it). hubDelayMs delays the hub.
    configAt: params.configAt === "onConnect" ? "onConnect" : "load",
    hubDelayMs: Math.max(0, Math.min(60000, parseInt(params.hubDelayMs, 10) || 0)),
    identity: cfg.identity,
    agent: { state: cfg.state, pendingState: "", stateChangeTime: new Date().toISOString() },
    prefs: cfg.prefs,
    activeTab: cfg.activeTab,
    dialogs: [],
    dialogSeq: 0,
    team: cfg.team,
    // The other teams a supervisor supervises, beyond the identity's own: [{id, name, team}].
    otherTeams: [],
    events: [],
    consoleLines: [],
    eventSeq: 0,
    frame: null,
    frameLoaded: null,
    title: "",
    height: null
  };

  // ------------------------------------------------------------------ container prefs (sync read by the iframe)
  window.mockFinesseContainer = {
    /** The user prefs Finesse gives each gadget (finesse.gadget.Config is built from these). */
    containerPrefs: function () {
      var prefs = Core.buildContainerPrefs(st.identity, location);
      if (st.sso.on) { prefs.authToken = st.sso.token || ""; }
      return prefs;
    },
    /** When finesse.gadget.Config is filled: "load" or "onConnect". */
    configAt: function () { return st.configAt; }
  };

  // ------------------------------------------------------------------ event log (secrets redacted)
  function redact(value) {
    var json;
    try { json = JSON.stringify(value === undefined ? {} : value); } catch (e) { json = "{}"; }
    var r = Core.redactSecrets(json, secrets());
    return { detail: JSON.parse(r.text), leaked: r.leaked };
  }
  function secrets() {
    var out = Core.secretsFor(st.identity);
    if (st.sso.token) { out["SSO token"] = st.sso.token; out["Bearer header"] = "Bearer " + st.sso.token; }
    return out;
  }
  function record(source, name, detail) {
    var r = redact(detail);
    push({ source: source, name: String(name), detail: r.detail });
    if (r.leaked.length) {
      push({ source: "desktop", name: "secret-leak", detail: { in: String(name), secrets: r.leaked } });
    }
  }
  function push(ev) {
    st.eventSeq += 1;
    ev.seq = st.eventSeq;
    ev.time = new Date().toISOString();
    st.events.push(ev);
    if (st.events.length > MAX_EVENTS) { st.events.splice(0, st.events.length - MAX_EVENTS); }
    renderEvent(ev);
  }
  function renderEvent(ev) {
    var list = $("event-log");
    if (!list) { return; }
    var li = document.createElement("li");
    li.value = ev.seq;
    li.setAttribute("data-source", ev.source);
    li.setAttribute("data-name", ev.name);
    var t = document.createElement("span");
    t.className = "t";
    t.textContent = ev.time.slice(11, 23) + " " + ev.source + " ";
    li.appendChild(t);
    li.appendChild(document.createTextNode(ev.name + " " + JSON.stringify(ev.detail)));
    list.appendChild(li);
    while (list.children.length > SHOWN_EVENTS) { list.removeChild(list.firstChild); }
    list.scrollTop = list.scrollHeight;
  }
  function status(text) { var s = $("status"); if (s) { s.textContent = text; } }

  // ------------------------------------------------------------------ gadget iframe
  function gadgetSrc() { return Core.gadgetFrameSrc(gadgetXml, st.prefs, 0); }

  /**
   * The desktop keeps the agent's credentials in its session storage, where finesse.js
   * (10.5+) takes the `authorization` pref from when it loads (`userFinesseAuth`): Base64
   * of "id:password", or with SSO what the QA panel chose; the gadget's iframe is of the
   * same origin and tab, so it reads the same storage.
   */
  function sessionAuthorization() {
    if (st.failures.init) { return "b3BhcXVlLXNzby10b2tlbg=="; } // "opaque-sso-token"
    if (st.sso.on) { return { empty: "", token: st.sso.token || "", jwt: JWT_LIKE }[st.sso.authorization]; }
    return Core.authorizationFor(st.identity);
  }

  function reloadGadget(reason) {
    var column = $("gadget-column");
    try { sessionStorage.setItem("userFinesseAuth", sessionAuthorization()); } catch (e) { /* storage blocked */ }
    if (st.frame && st.frame.parentNode) { st.frame.parentNode.removeChild(st.frame); }
    var frame = document.createElement("iframe");
    frame.id = "gadget-frame";
    frame.name = "gadget-frame";
    frame.title = "TTECPhone gadget";
    frame.setAttribute("allow", "microphone; autoplay; speaker-selection");
    frame.src = gadgetSrc();
    st.frame = frame;
    st.title = "";
    st.height = null;
    updateGadgetFacts();
    st.frameLoaded = new Promise(function (resolve) {
      frame.addEventListener("load", function () { resolve(); }, { once: true });
    });
    column.appendChild(frame);
    record("desktop", "gadget.load", { src: frame.src.replace(location.origin, ""), reason: reason || "initial" });
    return st.frameLoaded;
  }

  function toGadget(kind, data) {
    if (st.frame && st.frame.contentWindow) {
      st.frame.contentWindow.postMessage({ mockFinesse: 1, kind: kind, data: data || {} }, location.origin);
    }
  }

  function userData() {
    var others = st.otherTeams.map(function (t) { return { id: t.id, name: t.name }; });
    return Core.buildUserData(st.identity, st.agent, others);
  }

  function broadcastUser() { toGadget("user.update", { data: userData() }); }

  // ------------------------------------------------------------------ messages from the gadget
  var handlers = {
    "event": function (d) { record("gadget", d.name, d.detail); },
    "console": function (d) {
      var r = Core.redactSecrets(String(d.text), secrets());
      st.consoleLines.push({ level: d.level, text: r.text });
      if (st.consoleLines.length > MAX_EVENTS) { st.consoleLines.shift(); }
      if (r.leaked.length) { push({ source: "desktop", name: "secret-leak", detail: { in: "console." + d.level, secrets: r.leaked } }); }
    },
    "hub.connect": function (d) {
      record("gadget", "hub.connect", { onConnect: !!d.onConnect, delayMs: st.hubDelayMs });
      var frame = st.frame;
      setTimeout(function () { if (frame === st.frame) { toGadget("hub.connected", {}); } }, st.hubDelayMs);
    },
    "hub.publish": function (d) { record("gadget", "gadgets.Hub.publish", { topic: d.topic }); },
    "hub.subscribe": function (d) { record("gadget", "gadgets.Hub.subscribe", { topic: d.topic }); },
    "adjustHeight": function (d) {
      var h = Math.max(0, Math.min(4000, parseInt(d.height, 10) || 0));
      if (st.frame) { st.frame.style.height = h + "px"; }
      st.height = h;
      record("gadget", "gadgets.window.adjustHeight", { height: h, requested: d.requested });
      updateGadgetFacts();
    },
    "setTitle": function (d) {
      st.title = String(d.title || "");
      record("gadget", "gadgets.window.setTitle", { title: st.title });
      updateGadgetFacts();
    },
    "user.get": function (d) {
      var uri = "/finesse/api/User/" + d.id;
      if (st.failures.userGet) {
        var failed = st.failures.userGet;
        record("desktop", "REST GET " + uri, { status: failed, note: "QA failure switch" });
        toGadget("user.data", { reqId: d.reqId, status: failed, errorType: failed === 401 ? "Unauthorized" : "Error", errorMessage: "QA: User GET fails" });
        return;
      }
      if (String(d.id) !== String(st.identity.id)) {
        record("desktop", "REST GET " + uri, { status: 401, note: "an agent may only read its own User" });
        toGadget("user.data", { reqId: d.reqId, status: 401, errorType: "Unauthorized", errorMessage: "User " + d.id + " is not the signed-in agent" });
        return;
      }
      record("desktop", "REST GET " + uri, { status: 200, state: st.agent.state });
      toGadget("user.data", { reqId: d.reqId, status: 200, data: userData() });
    },
    "user.setState": function (d) {
      var requested = String(d.state || "");
      var reason = d.reasonCodeId === null || d.reasonCodeId === undefined ? "" : String(d.reasonCodeId);
      var uri = "PUT /finesse/api/User/" + d.id;
      var refused = st.failures.setState || 0;
      if (!refused && (String(d.id) !== String(st.identity.id) || Core.CLIENT_SETTABLE.indexOf(requested) < 0)) { refused = 400; }
      if (refused) {
        record("desktop", "REST " + uri, { state: requested, reasonCodeId: reason, status: refused, note: st.failures.setState ? "QA failure switch" : "" });
        toGadget("rest.response", { reqId: d.reqId, status: refused, errorType: "Invalid State", errorMessage: "Cannot set state " + requested });
        return;
      }
      // Finesse answers the PUT with 202 Accepted; the new state arrives after, as the User's change event.
      record("desktop", "REST " + uri, { state: requested, reasonCodeId: reason, status: 202 });
      toGadget("rest.response", { reqId: d.reqId, status: 202 });
      if (CALL_STATES.indexOf(st.agent.state) >= 0 && requested !== "LOGOUT") {
        applyState(st.agent.state, requested, "gadget");
      } else {
        applyState(requested, "", "gadget", requested === "NOT_READY" ? reason : "");
      }
    },
    "team.get": function (d) {
      var uri = "/finesse/api/Team/" + d.id;
      if (st.failures.team) {
        record("desktop", "REST GET " + uri, { status: st.failures.team, note: "QA failure switch" });
        toGadget("team.data", { reqId: d.reqId, status: st.failures.team, errorType: "Error", errorMessage: "QA: team fails" });
        return;
      }
      var team = supervisedTeam(d.id);
      if (!team) {
        record("desktop", "REST GET " + uri, { status: 403, note: "only a supervisor of the team may read it" });
        toGadget("team.data", { reqId: d.reqId, status: 403, errorType: "Forbidden", errorMessage: "Not a supervisor of team " + d.id });
        return;
      }
      // The Team resource lists its members (<users><User>…</User></users>): one is an
      // object, several an array, none null, as finesse.js converts the XML.
      var data = Core.xmlShaped(team.data);
      data.users = team.users.length ? { User: team.users.length === 1 ? team.users[0] : team.users } : null;
      record("desktop", "REST GET " + uri, { status: 200, count: team.users.length });
      toGadget("team.data", { reqId: d.reqId, status: 200, data: data });
    },
    // A collection's node subscription (finesse.js's SubscribeNodeReq to the desktop's
    // notification connection): refused as the real desktop does while that connection is
    // down (failover, or the QA switch `subscribe`).
    "node.subscribe": function (d) {
      var down = st.failover || st.failures.subscribe;
      record("desktop", "SubscribeNodeReq " + d.node, { ok: !down, note: st.failures.subscribe ? "QA failure switch" : "" });
      toGadget("node.subscribed", { reqId: d.reqId, error: down ? { errorType: "Not connected", errorMessage: "Cannot subscribe without connection." } : null });
    },
    "dialogs.get": function (d) {
      record("desktop", "REST GET /finesse/api/User/" + d.id + "/Dialogs", { status: 200, count: st.dialogs.length });
      toGadget("dialogs.data", { reqId: d.reqId, dialogs: st.dialogs });
    },
    "cs.request": function (d) {
      record("gadget", "ContainerServices." + (d.type === "ActiveTabReq" ? "makeActiveTabReq" : d.type), { answered: d.type === "ActiveTabReq" ? st.activeTab : true });
      if (d.type === "ActiveTabReq" && st.activeTab) { toGadget("activeTab", {}); }
      if (d.type === "ReloadGadgetReq") { reloadGadget("ReloadGadgetReq"); }
    }
  };

  window.addEventListener("message", function (ev) {
    if (!st.frame || ev.source !== st.frame.contentWindow || ev.origin !== location.origin) { return; }
    var msg = ev.data;
    if (!msg || msg.mockFinesse !== 1 || !handlers[msg.kind]) { return; }
    handlers[msg.kind](msg.data || {});
  });

  // ------------------------------------------------------------------ state changes
  function applyState(state, pendingState, by, reasonCodeId) {
    var changed = state !== st.agent.state;
    st.agent.state = state;
    st.agent.pendingState = pendingState || "";
    // A Not Ready reason code (its id) lasts as long as the state it came with.
    if (changed || reasonCodeId !== undefined) { st.agent.reasonCodeId = reasonCodeId || ""; }
    if (changed) { st.agent.stateChangeTime = new Date().toISOString(); }
    record("desktop", "user.state", { state: state, pendingState: st.agent.pendingState, reasonCodeId: st.agent.reasonCodeId || "", by: by });
    renderState();
    broadcastUser();
  }

  function setState(state, opts) {
    state = String(state || "").toUpperCase();
    opts = opts || {};
    if (!Core.isState(state)) { return Promise.reject(new Error("unknown Finesse state " + state)); }
    var pendingState = opts.pendingState !== undefined ? String(opts.pendingState).toUpperCase() : "";
    if (pendingState && !Core.isState(pendingState)) { return Promise.reject(new Error("unknown pending state " + pendingState)); }
    if (state === "LOGIN") {
      // A Finesse sign-in loads a fresh desktop; the agent starts NOT_READY.
      st.agent = { state: "NOT_READY", pendingState: "", stateChangeTime: new Date().toISOString() };
      record("desktop", "user.login", { state: "NOT_READY" });
      renderState();
      if ($("login-reloads").checked && opts.reload !== false) { return reloadGadget("login"); }
      broadcastUser();
      return Promise.resolve();
    }
    applyState(state, pendingState, "desktop");
    if (state === "LOGOUT") { status("Agent signed out. Real Finesse would now unload the desktop and this gadget."); }
    return Promise.resolve();
  }

  function setUser(patch) {
    try {
      st.identity = Core.normaliseIdentity(st.identity, patch || {});
    } catch (e) {
      return Promise.reject(e);
    }
    if (patch && patch.state !== undefined) {
      var s = String(patch.state).toUpperCase();
      if (!Core.isState(s) || s === "LOGIN") { return Promise.reject(new Error("unknown Finesse state " + patch.state)); }
      st.agent = { state: s, pendingState: "", stateChangeTime: new Date().toISOString() };
    }
    var shown = Object.keys(patch || {}).filter(function (k) { return k !== "password"; });
    record("desktop", "user.identity", { changed: shown, passwordChanged: !!(patch && patch.password !== undefined) });
    fillIdentityForm();
    renderState();
    return reloadGadget("identity");
  }

  // ------------------------------------------------------------------ supervised team
  function teamData() {
    var id = st.identity;
    return { id: id.teamId, name: id.teamName, uri: "/finesse/api/Team/" + id.teamId };
  }
  function teamUsers() {
    var team = teamData();
    return st.team.map(function (m) { return Core.buildTeamUserData(m, team); });
  }
  /** The team `id` if the user supervises it ({data, users}), else null (Finesse: 403). */
  function supervisedTeam(id) {
    if (!st.identity.supervisor) { return null; }
    if (String(id) === String(st.identity.teamId)) { return { data: teamData(), users: teamUsers() }; }
    var other = st.otherTeams.filter(function (t) { return String(t.id) === String(id); })[0];
    if (!other) { return null; }
    var data = { id: other.id, name: other.name, uri: "/finesse/api/Team/" + other.id };
    return { data: data, users: other.team.map(function (m) { return Core.buildTeamUserData(m, data); }) };
  }
  /** A supervisor's other teams ([{id, name, agents}], agents as setTeam takes them); the
   *  gadget reloads, as Finesse lists the supervised teams in the User at sign-in. */
  function setOtherTeams(teams) {
    var next;
    try {
      next = (teams || []).map(function (t) {
        if (!t || !String(t.id || "") || String(t.id) === String(st.identity.teamId)) { throw new Error("each other team needs its own id"); }
        var agents = typeof t.agents === "string" ? Core.parseTeamSpec(t.agents) : t.agents || [];
        return { id: String(t.id), name: String(t.name || ""), team: Core.normaliseTeam(agents) };
      });
    } catch (e) {
      return Promise.reject(e);
    }
    st.otherTeams = next;
    record("desktop", "team.others", { teams: next.map(function (t) { return t.id; }) });
    return reloadGadget("teams");
  }
  /** Sends the whole roster; finesse.js adds, changes and deletes the collection's Users. */
  function broadcastTeam() { toGadget("team.users.update", { teamId: st.identity.teamId, users: teamUsers() }); }

  function setTeam(members) {
    var team;
    try {
      team = Core.normaliseTeam(typeof members === "string" ? Core.parseTeamSpec(members) : members || []);
    } catch (e) {
      return Promise.reject(e);
    }
    var now = new Date().toISOString();
    team.forEach(function (m) { m.stateChangeTime = now; });
    st.team = team;
    record("desktop", "team.roster", { teamId: st.identity.teamId, agents: team.map(function (m) { return m.id; }) });
    renderTeam();
    broadcastTeam();
    return Promise.resolve();
  }

  /** Changes one team member ({state, firstName, …}); the supervisor's gadget sees a User change. */
  function setTeamMember(id, patch) {
    var i = st.team.map(function (m) { return m.id; }).indexOf(String(id));
    if (i < 0) { return Promise.reject(new Error("no team member " + id)); }
    var next;
    try {
      next = Core.normaliseTeamMember(Object.assign({}, st.team[i], patch || {}, { id: st.team[i].id }));
    } catch (e) {
      return Promise.reject(e);
    }
    next.stateChangeTime = next.state !== st.team[i].state ? new Date().toISOString() : st.team[i].stateChangeTime;
    st.team[i] = next;
    record("desktop", "team.member", { id: next.id, state: next.state });
    renderTeam();
    broadcastTeam();
    return Promise.resolve();
  }

  function renderTeam() {
    var ul = $("team-list");
    var sel = $("tm-agent");
    var chosen = sel.value;
    ul.textContent = "";
    sel.textContent = "";
    st.team.forEach(function (m) {
      var li = document.createElement("li");
      li.setAttribute("data-agent", m.id);
      li.textContent = m.id + " " + (m.firstName + " " + m.lastName).trim() + " · ext " + m.extension +
        (m.mobileAgentDialNumber ? " · WebRTC " + m.mobileAgentDialNumber : "") + " · " + (STATE_LABELS[m.state] || m.state);
      ul.appendChild(li);
      var o = document.createElement("option");
      o.value = m.id;
      o.textContent = m.id;
      sel.appendChild(o);
    });
    if (chosen) { sel.value = chosen; }
    $("f-team").value = st.team.map(function (m) {
      return [m.id, (m.firstName + " " + m.lastName).trim(), m.mobileAgentDialNumber, m.extension, m.state].join(":");
    }).join(",");
  }

  // ------------------------------------------------------------------ dialogs
  function dialogData(fields) {
    st.dialogSeq += 1;
    var id = String(10000 + st.dialogSeq);
    var to = fields.toAddress || st.identity.extension;
    return {
      id: id,
      uri: "/finesse/api/Dialog/" + id,
      mediaType: "Voice",
      state: fields.state || "ALERTING",
      fromAddress: String(fields.fromAddress || "5551234567"),
      toAddress: String(to),
      dialedNumber: String(to),
      mediaProperties: {
        DNIS: String(to),
        callType: "ACD_IN",
        dialedNumber: String(to),
        callvariables: { CallVariable: Object.keys(fields.callVariables || {}).map(function (k) { return { name: k, value: String(fields.callVariables[k]) }; }) }
      },
      participants: { Participant: [
        { mediaAddress: String(fields.fromAddress || "5551234567"), state: "ACTIVE", actions: { action: [] } },
        { mediaAddress: String(to), state: fields.state || "ALERTING", actions: { action: ["ANSWER"] } }
      ] }
    };
  }
  function addDialog(fields) {
    var d = dialogData(fields || {});
    st.dialogs.push(d);
    record("desktop", "dialog.add", { id: d.id, state: d.state, from: d.fromAddress, to: d.toAddress });
    toGadget("dialog.add", { data: d });
    renderDialogs();
    return d.id;
  }
  function findDialog(id) {
    var d = st.dialogs.filter(function (x) { return x.id === String(id); })[0];
    if (!d) { throw new Error("no dialog " + id); }
    return d;
  }
  function updateDialog(id, fields) {
    var d = findDialog(id);
    if (fields && fields.state) {
      d.state = String(fields.state);
      d.participants.Participant[1].state = d.state;
    }
    record("desktop", "dialog.update", { id: d.id, state: d.state });
    toGadget("dialog.update", { data: d });
    renderDialogs();
  }
  function dropDialog(id) {
    var d = findDialog(id);
    d.state = "DROPPED";
    d.participants.Participant.forEach(function (p) { p.state = "DROPPED"; });
    st.dialogs = st.dialogs.filter(function (x) { return x !== d; });
    record("desktop", "dialog.delete", { id: d.id });
    toGadget("dialog.delete", { data: d });
    renderDialogs();
  }

  // ------------------------------------------------------------------ rendering
  function renderState() {
    var vs = $("voice-state");
    vs.setAttribute("data-state", st.agent.state);
    $("voice-state-label").textContent = STATE_LABELS[st.agent.state] || st.agent.state;
    var pend = $("voice-state-pending");
    if (st.agent.pendingState) {
      pend.hidden = false;
      pend.textContent = "Pending: " + (STATE_LABELS[st.agent.pendingState] || st.agent.pendingState);
    } else {
      pend.hidden = true;
      pend.textContent = "";
    }
    Array.prototype.forEach.call(document.querySelectorAll("#state-buttons button"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-state") === st.agent.state));
    });
    $("pending-state").value = st.agent.pendingState;
    var why = $("voice-state-reason");
    why.hidden = !st.agent.reasonCodeId;
    why.textContent = st.agent.reasonCodeId ? "Reason code: " + st.agent.reasonCodeId : "";
    var id = st.identity;
    $("agent-identity").textContent = (id.firstName + " " + id.lastName).trim() + " · " + id.extension +
      (id.mobileAgent ? " · mobile " + id.mobileAgentDialNumber : "") + (id.supervisor ? " · supervisor" : "");
    tick();
  }
  function tick() {
    var secs = Math.max(0, Math.floor((Date.now() - Date.parse(st.agent.stateChangeTime)) / 1000));
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    $("voice-state-timer").textContent = pad(Math.floor(secs / 3600)) + ":" + pad(Math.floor(secs / 60) % 60) + ":" + pad(secs % 60);
  }
  function updateGadgetFacts() {
    $("gadget-url").textContent = gadgetSrc();
    $("gadget-title-value").textContent = st.title || "—";
    $("gadget-height-value").textContent = st.height === null ? "—" : st.height + " px";
  }
  function renderDialogs() {
    var ul = $("dialog-list");
    ul.textContent = "";
    st.dialogs.forEach(function (d) {
      var li = document.createElement("li");
      li.textContent = d.id + ": " + d.state + " from " + d.fromAddress + " to " + d.toAddress;
      ul.appendChild(li);
    });
  }
  function fillIdentityForm() {
    var id = st.identity;
    $("f-id").value = id.id;
    $("f-first").value = id.firstName;
    $("f-last").value = id.lastName;
    $("f-ext").value = id.extension;
    $("f-password").value = id.password;
    $("f-team-id").value = id.teamId;
    $("f-team-name").value = id.teamName;
    $("f-mobile").checked = !!id.mobileAgent;
    $("f-mode").value = id.mobileAgentMode;
    $("f-dial").value = id.mobileAgentDialNumber;
    $("f-supervisor").checked = !!id.supervisor;
    $("d-to").value = id.extension;
  }

  // ------------------------------------------------------------------ wiring the controls
  function wire() {
    document.querySelectorAll("#state-buttons button").forEach(function (b) {
      b.addEventListener("click", function () {
        var s = b.getAttribute("data-state");
        setState(s)
          .then(function () { status("State set to " + (STATE_LABELS[s] || s) + "."); });
      });
    });
    $("pending-state").addEventListener("change", function () {
      applyState(st.agent.state, $("pending-state").value, "desktop");
      status("Pending state " + ($("pending-state").value || "cleared") + ".");
    });
    $("identity-form").addEventListener("submit", function (e) {
      e.preventDefault();
      setUser({
        id: $("f-id").value, firstName: $("f-first").value, lastName: $("f-last").value, extension: $("f-ext").value,
        password: $("f-password").value, teamId: $("f-team-id").value, teamName: $("f-team-name").value,
        mobileAgent: $("f-mobile").checked, mobileAgentMode: $("f-mode").value, mobileAgentDialNumber: $("f-dial").value,
        supervisor: $("f-supervisor").checked
      }).then(function () { status("Identity applied; gadget reloaded."); }, function (err) { status("Not applied: " + err.message); });
    });
    $("f-prefs").value = Core.toQuery(st.prefs);
    $("f-active-tab").checked = st.activeTab;
    $("f-active-tab").addEventListener("change", function () { st.activeTab = $("f-active-tab").checked; });
    $("prefs-form").addEventListener("submit", function (e) {
      e.preventDefault();
      st.prefs = Core.parseQuery($("f-prefs").value);
      record("desktop", "gadget.prefs", { names: Object.keys(st.prefs) });
      reloadGadget("prefs").then(function () { status("Prefs applied; gadget reloaded."); });
    });
    $("reload-gadget").addEventListener("click", function () { reloadGadget("button").then(function () { status("Gadget reloaded."); }); });
    $("send-active-tab").addEventListener("click", function () { sendActiveTab(); status("ACTIVE_TAB sent."); });
    $("dialog-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var id = addDialog({ fromAddress: $("d-from").value, toAddress: $("d-to").value, state: $("d-state").value });
      status("Dialog " + id + " added.");
    });
    $("dialog-update").addEventListener("click", function () {
      var last = st.dialogs[st.dialogs.length - 1];
      if (!last) { status("No dialog to update."); return; }
      updateDialog(last.id, { state: $("d-state").value });
      status("Dialog " + last.id + " is " + $("d-state").value + ".");
    });
    $("dialog-drop").addEventListener("click", function () {
      var last = st.dialogs[st.dialogs.length - 1];
      if (!last) { status("No dialog to drop."); return; }
      dropDialog(last.id);
      status("Dialog " + last.id + " dropped.");
    });
    $("team-form").addEventListener("submit", function (e) {
      e.preventDefault();
      setTeam($("f-team").value).then(function () { status("Team roster applied."); }, function (err) { status("Not applied: " + err.message); });
    });
    $("tm-apply").addEventListener("click", function () {
      var id = $("tm-agent").value;
      if (!id) { status("No team member to change."); return; }
      setTeamMember(id, { state: $("tm-state").value }).then(function () { status(id + " is " + $("tm-state").value + "."); },
        function (err) { status("Not applied: " + err.message); });
    });
    ["fail-user", "fail-team", "fail-subscribe", "fail-init"].forEach(function (id) {
      $(id).addEventListener("change", function () {
        setFailures({ userGet: $("fail-user").value, team: $("fail-team").value, subscribe: $("fail-subscribe").checked, init: $("fail-init").checked })
          .then(function () { status("Failure switches applied."); }, function (err) { status("Not applied: " + err.message); });
      });
    });
    ["sso-on", "sso-authorization", "sso-session"].forEach(function (id) {
      $(id).addEventListener("change", function () {
        setSso({ on: $("sso-on").checked, idp: $("sso-idp").value, authorization: $("sso-authorization").value, idpSession: $("sso-session").checked })
          .then(function () { status(st.sso.on ? "Signed in with SSO; gadget reloaded." : "SSO off; gadget reloaded."); }, function (err) { status("Not applied: " + err.message); });
      });
    });
    $("failover").addEventListener("change", function () {
      setFailover($("failover").checked).then(function () { status(st.failover ? "Failover started." : "Failover ended."); });
    });
    $("config-at").value = st.configAt;
    $("config-at").addEventListener("change", function () {
      st.configAt = $("config-at").value === "onConnect" ? "onConnect" : "load";
      reloadGadget("configAt").then(function () { status("finesse.gadget.Config is filled at " + st.configAt + "; gadget reloaded."); });
    });
    $("clear-log").addEventListener("click", function () { clearEvents(); status("Event log cleared."); });
    wireTestCall();
  }

  // ------------------------------------------------------------------ test call (local broker, see lib/test-call.mjs)
  var testCallBase = location.pathname.replace(/\/desktop\/.*$/, "/desktop/") + "mock-finesse/qa/test-call";
  function testCallStatus(text, state) {
    var el = $("test-call-status");
    el.textContent = text;
    el.setAttribute("data-state", state || "");
  }
  function placeTestCall(opts) {
    record("desktop", "testCall.place", { to: opts.to, callerId: opts.callerId, hangupAfterS: opts.hangupAfterS,
      holdResume: !!opts.holdResume, cancelBeforeAnswer: !!opts.cancelBeforeAnswer });
    testCallStatus("Placing a test call to " + opts.to + "…", "placing");
    return fetch(testCallBase, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(opts) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (r) {
        if (!r.ok) { testCallStatus("Test call not placed: " + r.body.error, "failed"); throw new Error(r.body.error); }
        testCallStatus(r.body.summary + "…", "running");
        pollTestCall(r.body.id);
        return r.body;
      });
  }
  function pollTestCall(id) {
    fetch(testCallBase + "/" + encodeURIComponent(id)).then(function (r) { return r.json(); }).then(function (c) {
      if (c.state === "running") { setTimeout(function () { pollTestCall(id); }, 500); return; }
      record("desktop", "testCall.end", { id: c.id, state: c.state, code: c.code });
      testCallStatus((c.state === "ok" ? "Done: " : "Failed: ") + c.summary, c.state);
    }, function () { testCallStatus("Lost track of the test call (is the demo still running?)", "failed"); });
  }
  function wireTestCall() {
    $("t-to").value = st.identity.mobileAgentDialNumber || "3000";
    fetch(location.pathname.replace(/\/desktop\/.*$/, "/desktop/") + "mock-finesse/health").then(function (r) { return r.json(); }).then(function (h) {
      if (!h.testCalls) {
        $("test-call-place").disabled = true;
        $("test-call-hint").textContent = "No local broker: run unit_testing/demo.sh to place test calls.";
      }
    }, function () { /* the form still reports errors when used */ });
    $("test-call-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var flow = document.querySelector("input[name=t-flow]:checked").value;
      placeTestCall({
        to: $("t-to").value.trim(), callerId: $("t-caller").value.trim(),
        hangupAfterS: $("t-hangup").value === "" ? 10 : Number($("t-hangup").value),
        holdResume: flow === "hold", cancelBeforeAnswer: flow === "cancel"
      }).catch(function () { /* shown in the status line */ });
    });
  }

  function sendActiveTab() {
    record("desktop", "containerservices.activeTab", {});
    toGadget("activeTab", {});
  }
  function clearEvents() {
    st.events = [];
    $("event-log").textContent = "";
  }
  function copy(v) { return JSON.parse(JSON.stringify(v)); }

  // ------------------------------------------------------------------ failure switches
  function failStatus(v) {
    if (v === null || v === undefined || v === "" || v === 0 || v === "0") { return null; }
    var n = parseInt(v, 10);
    if (!(n >= 400 && n <= 599)) { throw new Error("a failure is an HTTP status 400-599, got " + v); }
    return n;
  }
  /** {userGet: 500|401|…|null, team: 500|…|null, subscribe: bool, init: bool, setState: 4xx|5xx|null}:
   *  what fails from now on (null/false: works again). */
  function setFailures(patch) {
    var next = { userGet: st.failures.userGet, team: st.failures.team, subscribe: st.failures.subscribe, init: st.failures.init, setState: st.failures.setState };
    try {
      Object.keys(patch || {}).forEach(function (k) {
        if (!Object.prototype.hasOwnProperty.call(next, k)) { throw new Error("unknown failure " + k); }
        next[k] = k === "init" || k === "subscribe" ? Core.toBool(patch[k]) : failStatus(patch[k]);
      });
    } catch (e) { return Promise.reject(e); }
    st.failures = next;
    record("desktop", "qa.failures", copy(next));
    $("fail-user").value = String(next.userGet || "");
    $("fail-team").value = String(next.team || "");
    $("fail-subscribe").checked = next.subscribe;
    $("fail-init").checked = next.init;
    return Promise.resolve();
  }

  // ------------------------------------------------------------------ single sign-on
  /** {on, idp, authorization: "empty"|"token"|"jwt", idpSession}: the agent's SSO login at the
   *  IdP (cookie + Finesse token), then the gadget reloads. Resolves when it has loaded. */
  function setSso(patch) {
    var next = copy(st.sso);
    Object.keys(patch || {}).forEach(function (k) { if (k !== "token") { next[k] = patch[k]; } });
    next.on = Core.toBool(next.on);
    next.idpSession = next.idpSession === undefined ? true : Core.toBool(next.idpSession);
    if (["empty", "token", "jwt"].indexOf(next.authorization) < 0) { return Promise.reject(new Error("authorization is empty, token or jwt")); }
    var login = !next.on ? Promise.resolve(null) : fetch(String(next.idp).replace(/\/$/, "") + "/idp/login", {
      method: "POST", credentials: "include", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: st.identity.id, password: st.identity.password, session: next.idpSession })
    }).then(function (r) {
      if (!r.ok) { throw new Error("the IdP refused the sign-in (HTTP " + r.status + ")"); }
      return r.json();
    }).then(function (j) { return j.access_token; });
    return login.then(function (token) {
      next.token = token;
      st.sso = next;
      record("desktop", "sso.login", { on: next.on, idp: next.idp, authorization: next.authorization, idpSession: next.idpSession });
      $("sso-on").checked = next.on;
      $("sso-idp").value = next.idp;
      $("sso-authorization").value = next.authorization;
      $("sso-session").checked = next.idpSession;
      return reloadGadget("sso");
    });
  }

  // ------------------------------------------------------------------ failover
  /** Finesse loses its server (true) or is back (false): the gadget's ClientServices
   *  disconnect/connect handlers fire; updates are muted meanwhile and sent again after. */
  function setFailover(on) {
    st.failover = !!on;
    record("desktop", "qa.failover", { active: st.failover });
    $("failover").checked = st.failover;
    toGadget("failover", { active: st.failover });
    if (!st.failover) { broadcastUser(); broadcastTeam(); }
    return Promise.resolve();
  }

  // ------------------------------------------------------------------ test hooks
  window.mockFinesse = {
    /** Sets the agent state (Finesse User.States value); LOGIN reloads the gadget as a sign-in would. */
    setState: setState,
    /** Changes the agent identity (id, firstName, lastName, extension, password, mobileAgent, mobileAgentMode,
     *  mobileAgentDialNumber, supervisor, teamId, teamName, locale, state) and reloads the gadget. */
    setUser: setUser,
    /** Replaces the gadget URL query parameters (user prefs) and reloads the gadget. */
    setPrefs: function (prefs) { st.prefs = copy(prefs || {}); $("f-prefs").value = Core.toQuery(st.prefs); return reloadGadget("prefs"); },
    /** Recreates the gadget iframe; resolves when it has loaded. */
    reloadGadget: function () { return reloadGadget("api"); },
    /** Resolves when the current gadget iframe has loaded. */
    gadgetLoaded: function () { return st.frameLoaded; },
    /** The event log: [{seq, time, source: "gadget"|"desktop", name, detail}] (secrets redacted). */
    getEvents: function (name) { return copy(name ? st.events.filter(function (e) { return e.name === name; }) : st.events); },
    clearEvents: clearEvents,
    /** The gadget's console output (secrets redacted). */
    getConsole: function () { return copy(st.consoleLines); },
    /** The agent as Finesse sees it, without the password. */
    getUser: function () {
      var id = copy(st.identity);
      delete id.password;
      id.hasPassword = !!st.identity.password;
      id.state = st.agent.state;
      id.pendingState = st.agent.pendingState;
      id.reasonCodeId = st.agent.reasonCodeId || "";
      return id;
    },
    /** Current iframe height in px as set by adjustHeight (null before the first call). */
    getGadgetHeight: function () { return st.height; },
    /** Replaces the supervised team's agents: [{id, name | firstName+lastName, mobileAgentDialNumber,
     *  extension, state}] or the text form "id:Name:number[:ext][:STATE],…". */
    setTeam: setTeam,
    /** Changes one team member, e.g. setTeamMember("agent3001", {state: "READY"}). */
    setTeamMember: setTeamMember,
    /** A supervisor's other teams beyond the own one: [{id, name, agents}]; reloads the gadget. */
    setOtherTeams: setOtherTeams,
    /** The supervised team's agents as the mock keeps them. */
    getTeam: function () { return copy(st.team); },
    addDialog: addDialog,
    updateDialog: updateDialog,
    dropDialog: dropDialog,
    sendActiveTab: sendActiveTab,
    setActiveTab: function (on) { st.activeTab = !!on; $("f-active-tab").checked = st.activeTab; },
    /** Places a test call through the local broker ({to, callerId, hangupAfterS, holdResume,
     *  cancelBeforeAnswer}); resolves with the server's record ({id, callId, scenario, …}). */
    placeTestCall: placeTestCall,
    /** QA failure switches, e.g. setFailures({userGet: 500}); setFailures({userGet: null}) ends it. */
    setFailures: setFailures,
    getFailures: function () { return copy(st.failures); },
    /** setFailover(true) starts a Finesse failover, setFailover(false) ends it. */
    setFailover: setFailover,
    /** Single sign-on: setSso({on, idp, authorization, idpSession}); resolves when the gadget reloaded. */
    setSso: setSso,
    getSso: function () { var s = copy(st.sso); s.hasToken = !!s.token; delete s.token; return s; }
  };

  // ------------------------------------------------------------------ start
  wire();
  fillIdentityForm();
  renderState();
  renderTeam();
  if (loadError) { $("load-error").hidden = false; $("load-error").textContent = loadError; }
  if (cfg.ignoredPassword) {
    record("desktop", "config.warning", { message: "password is not accepted from the URL; use the panel or mockFinesse.setUser({password})" });
  }
  setInterval(tick, 1000);
  if (ssoInit) {
    // window.mockFinesseInit = {password, sso: {on: true, idp, authorization, idpSession}}: the
    // first gadget load already runs under SSO.
    setSso(ssoInit).catch(function (err) { record("desktop", "sso.error", { message: err.message }); reloadGadget("initial"); });
  } else {
    reloadGadget("initial");
  }
}());
