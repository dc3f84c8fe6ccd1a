/*
 * Mock Finesse: pure logic shared by the desktop page (browser) and the Node tests (vm).
 * No DOM access here. Exposes `MockFinesseCore` on the global object.
 *
 * Everything that models Finesse data lives here: the agent identity the QA panel edits,
 * the REST-shaped User object finesse.js hands to the gadget (User.getData()), the user
 * prefs the Finesse container gives every gadget (finesse.gadget.Config is built from them),
 * and the secret-leak check applied to everything the gadget reports.
 */
(function (root) {
  "use strict";

  /** finesse.restservices.User.States, values exactly as finesse.js defines them. */
  var STATES = {
    LOGIN: "LOGIN",
    LOGOUT: "LOGOUT",
    NOT_READY: "NOT_READY",
    READY: "READY",
    RESERVED: "RESERVED",
    RESERVED_OUTBOUND: "RESERVED_OUTBOUND",
    RESERVED_OUTBOUND_PREVIEW: "RESERVED_OUTBOUND_PREVIEW",
    TALKING: "TALKING",
    HOLD: "HOLD",
    WORK: "WORK",
    WORK_READY: "WORK_READY"
  };

  /** finesse.restservices.User.WorkMode (mobile agent modes). */
  var WORK_MODES = { CALL_BY_CALL: "CALL_BY_CALL", NAILED_CONNECTION: "NAILED_CONNECTION" };

  /** States a gadget may request with user.setState() (the others are driven by calls). */
  var CLIENT_SETTABLE = ["READY", "NOT_READY", "LOGOUT", "WORK", "WORK_READY"];

  /** The test agent every test and the demo start from. */
  var DEFAULT_IDENTITY = {
    id: "agent3000",
    firstName: "Test",
    lastName: "Agent",
    extension: "1000",
    password: "test-password-3000",
    mobileAgent: true,
    mobileAgentMode: "CALL_BY_CALL",
    mobileAgentDialNumber: "3000",
    supervisor: false,
    teamId: "1",
    teamName: "Team One",
    locale: "en_US"
  };
  var DEFAULT_STATE = "NOT_READY";

  /**
   * The supervisor the desktop starts as with `?supervisor=true` and no agent id: the bed's
   * supervisor SIP identity 3900 (password test-password-3900), reached from extension 2900
   * through the gadget's default webrtcNumberRule (+1000); not a mobile agent, so the gadget previews.
   */
  var SUPERVISOR_IDENTITY = {
    id: "supervisor3900",
    firstName: "Test",
    lastName: "Supervisor",
    extension: "2900",
    password: "test-password-3900",
    mobileAgent: false,
    mobileAgentMode: "CALL_BY_CALL",
    mobileAgentDialNumber: "",
    supervisor: true,
    teamId: "1",
    teamName: "Team One",
    locale: "en_US"
  };
  /** The team a default supervisor supervises: bed agents 3001 and 3002. */
  var DEFAULT_TEAM_SPEC = "agent3001:Alice Agent:3001,agent3002:Bob Agent:3002";

  function isState(s) {
    return typeof s === "string" && Object.prototype.hasOwnProperty.call(STATES, s);
  }

  function assign(target) {
    for (var i = 1; i < arguments.length; i += 1) {
      var src = arguments[i];
      if (!src) { continue; }
      for (var k in src) {
        if (Object.prototype.hasOwnProperty.call(src, k) && src[k] !== undefined) { target[k] = src[k]; }
      }
    }
    return target;
  }

  /** UTF-8 safe base64 (btoa alone throws on non-Latin-1 passwords). */
  function base64Utf8(text) {
    var bytes;
    if (typeof TextEncoder !== "undefined") {
      bytes = new TextEncoder().encode(text);
    } else {
      bytes = [];
      var enc = unescape(encodeURIComponent(text));
      for (var i = 0; i < enc.length; i += 1) { bytes.push(enc.charCodeAt(i)); }
    }
    if (typeof btoa === "function") {
      var bin = "";
      for (var j = 0; j < bytes.length; j += 1) { bin += String.fromCharCode(bytes[j]); }
      return btoa(bin);
    }
    // Node vm contexts without btoa: use Buffer if the host provided it.
    return root.Buffer.from(bytes).toString("base64");
  }

  /** Base64 of one byte per character (what finesse.js's own b64Encode does), for text
   *  whose characters all fit a byte (Latin-1); null otherwise. */
  function base64Bytes(text) {
    var bin = String(text);
    if (/[^\u0000-\u00ff]/.test(bin)) { return null; }
    if (typeof btoa === "function") { return btoa(bin); }
    return root.Buffer.from(bin, "latin1").toString("base64");
  }

  /**
   * finesse.gadget.Config.authorization for non-SSO deployments: Base64(id:password), one
   * byte per character as finesse.js encodes it ("é" is the byte E9, not UTF-8's C3 A9).
   * Characters beyond U+00FF have no such byte; what the real library does with them was
   * not checked, so the mock falls back to UTF-8 for those.
   */
  function authorizationFor(identity) {
    var text = String(identity.id) + ":" + String(identity.password || "");
    var bytes = base64Bytes(text);
    return bytes !== null ? bytes : base64Utf8(text);
  }

  /** Normalises an identity patch: strings trimmed, booleans coerced, mode validated. */
  function normaliseIdentity(base, patch) {
    var out = assign({}, base || DEFAULT_IDENTITY);
    patch = patch || {};
    ["id", "firstName", "lastName", "extension", "mobileAgentDialNumber", "teamId", "teamName", "locale"].forEach(function (k) {
      if (patch[k] !== undefined && patch[k] !== null) { out[k] = String(patch[k]).trim(); }
    });
    if (patch.password !== undefined && patch.password !== null) { out.password = String(patch.password); }
    if (patch.mobileAgent !== undefined) { out.mobileAgent = toBool(patch.mobileAgent); }
    if (patch.supervisor !== undefined) { out.supervisor = toBool(patch.supervisor); }
    if (patch.mobileAgentMode !== undefined) {
      var mode = String(patch.mobileAgentMode).toUpperCase();
      if (!WORK_MODES[mode]) { throw new Error("mobileAgentMode must be CALL_BY_CALL or NAILED_CONNECTION, got " + patch.mobileAgentMode); }
      out.mobileAgentMode = mode;
    }
    if (!out.id) { throw new Error("agent id must not be empty"); }
    return out;
  }

  function toBool(v) {
    if (typeof v === "boolean") { return v; }
    var s = String(v).toLowerCase();
    return s === "1" || s === "true" || s === "yes" || s === "on";
  }

  /** The identity part of a Finesse REST User resource, shared by the user and team members. */
  function userResource(person) {
    return {
      uri: "/finesse/api/User/" + person.id,
      loginId: person.id,
      loginName: person.id,
      firstName: person.firstName,
      lastName: person.lastName,
      extension: person.extension
    };
  }

  /**
   * A resource as finesse.js hands it to gadgets: it converts the REST XML itself, so an
   * empty element (<pendingState/>) is null, and an element that occurs once is a scalar,
   * several times an array (one role: roles.role is "Agent"; one team: teams.Team is an
   * object). ../../../shared/REAL-SYSTEMS.md, "Cisco finesse.js".
   */
  function xmlShaped(value) {
    if (Array.isArray(value)) {
      var items = value.map(xmlShaped);
      return items.length === 1 ? items[0] : items;
    }
    if (value === "") { return null; }
    if (value === null || typeof value !== "object") { return value; }
    var out = {};
    Object.keys(value).forEach(function (k) { if (value[k] !== undefined) { out[k] = xmlShaped(value[k]); } });
    return out;
  }

  /**
   * The User object as finesse.js exposes it through user.getData(): the JSON form of the
   * Finesse REST User resource (GET /finesse/api/User/{id}), shaped as its XML converts.
   */
  function buildUserData(identity, agent, otherTeams) {
    agent = agent || {};
    var roles = identity.supervisor ? ["Agent", "Supervisor"] : ["Agent"];
    var data = Object.assign(userResource(identity), {
      state: agent.state || DEFAULT_STATE,
      pendingState: agent.pendingState || "",
      stateChangeTime: agent.stateChangeTime || new Date().toISOString(),
      reasonCodeId: agent.reasonCodeId || "-1",
      teamId: identity.teamId,
      teamName: identity.teamName,
      roles: { role: roles },
      settings: { wrapUpOnIncoming: "OPTIONAL" },
      dialogs: "/finesse/api/User/" + identity.id + "/Dialogs"
    });
    if (identity.mobileAgent) {
      data.mobileAgent = { mode: identity.mobileAgentMode, dialNumber: identity.mobileAgentDialNumber };
    }
    if (identity.supervisor) {
      var supervised = [{ id: identity.teamId, name: identity.teamName }].concat(otherTeams || []);
      data.teams = { Team: supervised.map(function (t) { return { id: t.id, name: t.name, uri: "/finesse/api/Team/" + t.id }; }) };
    }
    return xmlShaped(data);
  }

  /**
   * The user prefs the Finesse container gives each gadget; gadgets (and finesse.js) build
   * finesse.gadget.Config from them with new gadgets.Prefs().getString(name).
   * `loc` is {hostname, port, protocol} of the desktop page.
   */
  function buildContainerPrefs(identity, loc) {
    loc = loc || {};
    var scheme = String(loc.protocol || "http:").replace(/:$/, "");
    var port = String(loc.port || (scheme === "https" ? "443" : "80"));
    var host = String(loc.hostname || "localhost");
    var lang = identity.locale || "en_US";
    return {
      id: identity.id,
      // No `authorization`: finesse.js takes it from the desktop's session storage.
      authToken: "",
      country: lang.split("_")[1] || "US",
      language: lang.split("_")[0] || "en",
      locale: lang,
      host: host,
      hostPort: port,
      extension: identity.extension,
      mobileAgentMode: identity.mobileAgent ? identity.mobileAgentMode : "",
      mobileAgentDialNumber: identity.mobileAgent ? identity.mobileAgentDialNumber : "",
      xmppDomain: host,
      pubsubDomain: "pubsub." + host,
      restHost: "localhost",
      scheme: scheme,
      localhostFQDN: host,
      localhostPort: port,
      teamId: identity.teamId,
      teamName: identity.teamName,
      clientDriftInMillis: "0"
    };
  }

  /**
   * A team member as the mock keeps it: {id, firstName, lastName, extension,
   * mobileAgentDialNumber, state}. `extension` defaults to the dial number minus 1000 (the
   * bed's convention, 3001 -> 2001), the state to NOT_READY.
   */
  function normaliseTeamMember(m) {
    if (!m || typeof m !== "object") { throw new Error("a team member must be an object"); }
    var id = String(m.id === undefined || m.id === null ? "" : m.id).trim();
    if (!id) { throw new Error("a team member needs an id"); }
    var dial = String(m.mobileAgentDialNumber || m.dialNumber || m.webrtc || "").trim();
    var ext = m.extension !== undefined && m.extension !== null ? String(m.extension).trim()
      : (/^[0-9]+$/.test(dial) && Number(dial) > 1000 ? String(Number(dial) - 1000) : "");
    var state = String(m.state || DEFAULT_STATE).toUpperCase();
    if (!isState(state) || state === "LOGIN") { throw new Error("team member " + id + ": unknown Finesse state " + m.state); }
    var first = m.firstName;
    var last = m.lastName;
    if (first === undefined && m.name !== undefined) {
      var parts = String(m.name).trim().split(/\s+/);
      first = parts.shift() || "";
      last = parts.join(" ");
    }
    return {
      id: id,
      firstName: String(first || "").trim(),
      lastName: String(last || "").trim(),
      extension: ext,
      mobileAgentDialNumber: dial,
      state: state
    };
  }

  /** Normalises a roster (array of members); ids must be unique. */
  function normaliseTeam(members) {
    if (!Array.isArray(members)) { throw new Error("a team is an array of members"); }
    var seen = {};
    return members.map(function (m) {
      var out = normaliseTeamMember(m);
      if (seen[out.id]) { throw new Error("team member " + out.id + " is listed twice"); }
      seen[out.id] = true;
      return out;
    });
  }

  /**
   * Parses a roster from text: members separated by ",", each `id:Name:dialNumber[:ext][:STATE]`
   * (e.g. "agent3001:Alice:3001,agent3002:Bob Lee:3002:2002:READY").
   */
  function parseTeamSpec(text) {
    var members = String(text || "").split(",").map(function (x) { return x.trim(); }).filter(Boolean).map(function (entry) {
      var f = entry.split(":");
      if (f.length < 3) { throw new Error("team member \"" + entry + "\" must be id:Name:dialNumber[:extension][:STATE]"); }
      var m = { id: f[0], name: f[1], mobileAgentDialNumber: f[2] };
      f.slice(3).forEach(function (x) {
        if (isState(String(x).toUpperCase())) { m.state = x; } else { m.extension = x; }
      });
      return m;
    });
    return normaliseTeam(members);
  }

  /**
   * A member of GET /finesse/api/Team/{id}/Users as finesse.js hands it to the gadget:
   * the User resource shape (a mobile agent carries mobileAgent {mode, dialNumber}).
   */
  function buildTeamUserData(member, team) {
    team = team || {};
    var data = Object.assign(userResource(member), {
      state: member.state,
      pendingState: "",
      stateChangeTime: member.stateChangeTime || new Date().toISOString(),
      reasonCodeId: "-1",
      teamId: team.id || "",
      teamName: team.name || "",
      roles: { role: ["Agent"] }
    });
    if (member.mobileAgentDialNumber) {
      data.mobileAgent = { mode: "CALL_BY_CALL", dialNumber: member.mobileAgentDialNumber };
    }
    return xmlShaped(data);
  }

  /** Parses "a=1&b=two" (or "?a=1") into {a:"1", b:"two"}; later keys win. */
  function parseQuery(qs) {
    var out = {};
    String(qs || "").replace(/^[?#]/, "").split("&").forEach(function (pair) {
      if (!pair) { return; }
      var i = pair.indexOf("=");
      var k = i < 0 ? pair : pair.slice(0, i);
      var v = i < 0 ? "" : pair.slice(i + 1);
      try {
        out[decodeURIComponent(k.replace(/\+/g, " "))] = decodeURIComponent(v.replace(/\+/g, " "));
      } catch (e) {
        out[k] = v;
      }
    });
    return out;
  }

  function toQuery(obj) {
    return Object.keys(obj || {}).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(obj[k]);
    }).join("&");
  }

  /**
   * Initial desktop configuration from the desktop page's query string, e.g.
   * ?agent=agent3000&ext=1000&webrtc=3000&state=NOT_READY&prefs=brokerKind%3Dsip
   * The password is deliberately not accepted from the URL (URLs end up in logs);
   * set it in the panel or with mockFinesse.setUser({password}).
   */
  function desktopConfigFromQuery(qs) {
    var q = parseQuery(qs);
    var patch = {};
    var map = { agent: "id", id: "id", first: "firstName", firstName: "firstName", last: "lastName",
      lastName: "lastName", ext: "extension", extension: "extension", webrtc: "mobileAgentDialNumber",
      dialNumber: "mobileAgentDialNumber", mode: "mobileAgentMode", mobile: "mobileAgent",
      supervisor: "supervisor", team: "teamId", teamId: "teamId", teamName: "teamName", locale: "locale" };
    Object.keys(map).forEach(function (k) {
      if (q[k] !== undefined) { patch[map[k]] = q[k]; }
    });
    // A supervisor with no agent id given starts as the bed's supervisor (3900) with a team.
    var asSupervisor = q.supervisor !== undefined && toBool(q.supervisor) && q.agent === undefined && q.id === undefined;
    // `team` is a roster when it lists members (id:Name:number,…), else the team id.
    var teamSpec = q.roster !== undefined ? q.roster : undefined;
    if (q.team !== undefined && q.team.indexOf(":") >= 0) {
      teamSpec = q.team;
      if (patch.teamId === q.team) { delete patch.teamId; }
    }
    var identity = normaliseIdentity(asSupervisor ? SUPERVISOR_IDENTITY : DEFAULT_IDENTITY, patch);
    var team = parseTeamSpec(teamSpec !== undefined ? teamSpec : (identity.supervisor ? DEFAULT_TEAM_SPEC : ""));
    var state = q.state ? String(q.state).toUpperCase() : DEFAULT_STATE;
    if (!isState(state) || state === "LOGIN") { throw new Error("unknown initial state " + q.state); }
    return {
      identity: identity,
      state: state,
      prefs: q.prefs !== undefined ? parseQuery(q.prefs) : {},
      activeTab: q.activeTab !== undefined ? toBool(q.activeTab) : false,
      team: team,
      ignoredPassword: q.password !== undefined
    };
  }

  /** The iframe src Finesse would use for a layout entry <gadget>/3rdpartygadget/files/…/gadget.xml?prefs</gadget>. */
  function gadgetFrameSrc(gadgetXmlPath, prefs, moduleId) {
    var gadgetUrl = gadgetXmlPath;
    var q = toQuery(prefs || {});
    if (q) { gadgetUrl += (gadgetUrl.indexOf("?") < 0 ? "?" : "&") + q; }
    return "/gadgets/ifr?mid=" + encodeURIComponent(String(moduleId || 0)) + "&url=" + encodeURIComponent(gadgetUrl);
  }

  /**
   * Replaces every occurrence of a known secret in `text`; returns {text, leaked:[names]}.
   * Secrets shorter than 4 characters are ignored (they would match everywhere).
   */
  function redactSecrets(text, secrets) {
    var out = String(text);
    var leaked = [];
    // Longest first, so "Basic <authorization>" is reported as the header, not only its value.
    Object.keys(secrets || {}).sort(function (a, b) {
      return String(secrets[b] || "").length - String(secrets[a] || "").length;
    }).forEach(function (name) {
      var value = secrets[name];
      if (typeof value !== "string" || value.length < 4) { return; }
      if (out.indexOf(value) >= 0) {
        leaked.push(name);
        out = out.split(value).join("[REDACTED " + name + "]");
      }
    });
    return { text: out, leaked: leaked };
  }

  /** The secrets the desktop knows for an identity: the password and its Basic authorization. */
  function secretsFor(identity) {
    var auth = authorizationFor(identity);
    return { password: identity.password || "", authorization: auth, "Basic authorization header": "Basic " + auth };
  }

  var api = {
    STATES: STATES,
    WORK_MODES: WORK_MODES,
    CLIENT_SETTABLE: CLIENT_SETTABLE,
    DEFAULT_IDENTITY: DEFAULT_IDENTITY,
    DEFAULT_STATE: DEFAULT_STATE,
    SUPERVISOR_IDENTITY: SUPERVISOR_IDENTITY,
    DEFAULT_TEAM_SPEC: DEFAULT_TEAM_SPEC,
    normaliseTeamMember: normaliseTeamMember,
    normaliseTeam: normaliseTeam,
    parseTeamSpec: parseTeamSpec,
    buildTeamUserData: buildTeamUserData,
    isState: isState,
    base64Utf8: base64Utf8,
    authorizationFor: authorizationFor,
    normaliseIdentity: normaliseIdentity,
    toBool: toBool,
    buildUserData: buildUserData,
    xmlShaped: xmlShaped,
    buildContainerPrefs: buildContainerPrefs,
    parseQuery: parseQuery,
    toQuery: toQuery,
    desktopConfigFromQuery: desktopConfigFromQuery,
    gadgetFrameSrc: gadgetFrameSrc,
    redactSecrets: redactSecrets,
    secretsFor: secretsFor
  };
  root.MockFinesseCore = api;
}(typeof window !== "undefined" ? window : globalThis));
