/*
 * Mock Finesse: the minimal OpenSocial (Shindig) gadget libraries the mock container injects
 * into every gadget iframe before the gadget's <Content> CDATA, as /gadgets/ifr does in Finesse.
 *
 * Provides: gadgets.util (getUrlParameters, registerOnLoadHandler, runOnLoadHandlers,
 * escapeString), gadgets.Prefs, gadgets.window (adjustHeight, setTitle,
 * getViewportDimensions), gadgets.HubSettings + gadgets.Hub (pubsub-2), gadgets.loadingindicator.
 *
 * Talks to the desktop page (window.parent) with postMessage messages shaped
 * {mockFinesse: 1, kind: "...", data: {...}}. The desktop is the source of truth.
 *
 * Expects window.__mockFinesseRender = {prefs, moduleId, title, features} written by the
 * server just before this script.
 */
(function (w) {
  "use strict";
  var render = w.__mockFinesseRender || { prefs: {}, moduleId: "0", title: "", features: [] };
  var hasParent = w.parent && w.parent !== w;
  var targetOrigin = (w.location && w.location.origin && w.location.origin !== "null") ? w.location.origin : "*";

  function send(kind, data) {
    if (!hasParent) { return; }
    try {
      w.parent.postMessage({ mockFinesse: 1, kind: kind, data: data || {} }, targetOrigin);
    } catch (e) { /* parent gone (page unloading) */ }
  }
  function event(name, detail) { send("event", { name: name, detail: detail || {} }); }

  var listeners = {};
  w.addEventListener("message", function (ev) {
    var msg = ev.data;
    if (!msg || msg.mockFinesse !== 1 || ev.source !== w.parent) { return; }
    if (targetOrigin !== "*" && ev.origin !== targetOrigin) { return; }
    (listeners[msg.kind] || []).slice().forEach(function (fn) { fn(msg.data || {}); });
  });
  function on(kind, fn) { (listeners[kind] = listeners[kind] || []).push(fn); }

  // ---- user prefs: what the Finesse container provides (identity, authorization, host…)
  // plus the gadget URL's query parameters and the spec's <UserPref default_value>.
  var containerPrefs = {};
  try {
    if (hasParent && w.parent.mockFinesseContainer) {
      containerPrefs = w.parent.mockFinesseContainer.containerPrefs() || {};
    }
  } catch (e) { containerPrefs = {}; }
  var urlParams = parseQuery(w.location ? w.location.search : "");
  var prefs = {};
  var k;
  for (k in render.prefs) { if (Object.prototype.hasOwnProperty.call(render.prefs, k)) { prefs[k] = String(render.prefs[k]); } }
  for (k in urlParams) {
    if (Object.prototype.hasOwnProperty.call(urlParams, k) && k.indexOf("up_") === 0) { prefs[k.slice(3)] = urlParams[k]; }
  }
  var overridden = [];
  for (k in containerPrefs) {
    if (Object.prototype.hasOwnProperty.call(containerPrefs, k)) {
      if (Object.prototype.hasOwnProperty.call(prefs, k) && prefs[k] !== String(containerPrefs[k])) { overridden.push(k); }
      prefs[k] = String(containerPrefs[k]);
    }
  }

  function parseQuery(qs) {
    var out = {};
    String(qs || "").replace(/^\?/, "").split("&").forEach(function (pair) {
      if (!pair) { return; }
      var i = pair.indexOf("=");
      var key = i < 0 ? pair : pair.slice(0, i);
      var val = i < 0 ? "" : pair.slice(i + 1);
      try { out[decodeURIComponent(key.replace(/\+/g, " "))] = decodeURIComponent(val.replace(/\+/g, " ")); } catch (e) { out[key] = val; }
    });
    return out;
  }

  var gadgets = w.gadgets = w.gadgets || {};

  // ---- gadgets.util
  var onLoadHandlers = [];
  var onLoadRan = false;
  gadgets.util = {
    getUrlParameters: function () { return parseQuery(w.location ? w.location.search : ""); },
    registerOnLoadHandler: function (fn) {
      if (typeof fn !== "function") { throw new Error("registerOnLoadHandler: not a function"); }
      if (onLoadRan) { setTimeout(fn, 0); } else { onLoadHandlers.push(fn); }
    },
    runOnLoadHandlers: function () {
      if (onLoadRan) { return; }
      onLoadRan = true;
      var list = onLoadHandlers.splice(0);
      for (var i = 0; i < list.length; i += 1) {
        try { list[i](); } catch (e) {
          event("gadget.onLoadHandler.error", { message: String(e && e.message || e) });
          if (w.console) { w.console.error(e); }
        }
      }
    },
    escapeString: function (s) {
      return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    },
    unescapeString: function (s) {
      return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"")
        .replace(/&#39;/g, "'").replace(/&amp;/g, "&");
    },
    hasFeature: function (name) { return (render.features || []).indexOf(name) >= 0; }
  };

  // ---- gadgets.Prefs
  function Prefs() {}
  Prefs.prototype.getString = function (name) { return Object.prototype.hasOwnProperty.call(prefs, name) ? prefs[name] : ""; };
  Prefs.prototype.getInt = function (name) { var n = parseInt(this.getString(name), 10); return isNaN(n) ? 0 : n; };
  Prefs.prototype.getFloat = function (name) { var n = parseFloat(this.getString(name)); return isNaN(n) ? 0 : n; };
  Prefs.prototype.getBool = function (name) { var s = this.getString(name).toLowerCase(); return s === "true" || s === "1"; };
  Prefs.prototype.getArray = function (name) { var s = this.getString(name); return s ? s.split("|") : []; };
  Prefs.prototype.getMsg = function () { return ""; };
  Prefs.prototype.getCountry = function () { return this.getString("country") || "US"; };
  Prefs.prototype.getLang = function () { return this.getString("language") || "en"; };
  Prefs.prototype.getModuleId = function () { return String(render.moduleId || "0"); };
  // As Shindig's setprefs: the value is kept as given, and getString reads a null as "".
  Prefs.prototype.set = function (name, value) {
    prefs[name] = value === null || value === undefined ? "" : String(value);
    event("gadgets.Prefs.set", { name: name });
  };
  gadgets.Prefs = Prefs;

  // ---- gadgets.window (dynamic-height, settitle)
  function contentHeight() {
    var d = w.document;
    if (!d || !d.body) { return 0; }
    var de = d.documentElement || {};
    return Math.max(d.body.scrollHeight || 0, d.body.offsetHeight || 0, de.offsetHeight || 0,
      // scrollHeight of <html> is at least the viewport; only trust it when no body size exists
      (d.body.scrollHeight || d.body.offsetHeight) ? 0 : (de.scrollHeight || 0));
  }
  gadgets.window = {
    adjustHeight: function (opt) {
      var h = parseInt(opt, 10);
      var requested = !(opt === undefined || opt === null || opt === "");
      if (!requested || isNaN(h)) { h = contentHeight(); }
      send("adjustHeight", { height: h, requested: requested ? String(opt) : null });
    },
    setTitle: function (title) { send("setTitle", { title: String(title) }); },
    getViewportDimensions: function () {
      return { width: w.innerWidth || 0, height: w.innerHeight || 0 };
    }
  };

  // ---- gadgets.loadingindicator
  gadgets.loadingindicator = {
    dismiss: function () { event("gadgets.loadingindicator.dismiss", {}); },
    show: function () { event("gadgets.loadingindicator.show", {}); }
  };

  // ---- pubsub-2: gadgets.HubSettings and gadgets.Hub (OpenAjax HubClient subset)
  gadgets.HubSettings = gadgets.HubSettings || { params: {}, onConnect: null };
  var subs = {};
  var subSeq = 0;
  var connected = false;
  function topicMatches(pattern, topic) {
    if (pattern === topic || pattern === "**") { return true; }
    var p = pattern.split("."), t = topic.split(".");
    for (var i = 0; i < p.length; i += 1) {
      if (p[i] === "**") { return true; }
      if (i >= t.length || (p[i] !== "*" && p[i] !== t[i])) { return false; }
    }
    return p.length === t.length;
  }
  function deliver(topic, data) {
    Object.keys(subs).forEach(function (id) {
      var s = subs[id];
      if (s && topicMatches(s.topic, topic)) {
        try { s.cb.call(s.scope || w, topic, data, s.subscriberData); } catch (e) { if (w.console) { w.console.error(e); } }
      }
    });
  }
  // Like OpenAjax's IframeHubClient: publish and subscribe before the container
  // acknowledged the connection throw "OpenAjax.hub.Error.Disconnected".
  function assertConnected() {
    if (!connected) { throw new Error("OpenAjax.hub.Error.Disconnected"); }
  }
  gadgets.Hub = {
    isConnected: function () { return connected; },
    getClientID: function () { return "gadget-" + String(render.moduleId || "0"); },
    publish: function (topic, data) {
      assertConnected();
      send("hub.publish", { topic: String(topic) });
      deliver(String(topic), data);
    },
    subscribe: function (topic, cb, scope, onComplete, subscriberData) {
      assertConnected();
      subSeq += 1;
      var id = "sub" + subSeq;
      subs[id] = { topic: String(topic), cb: cb, scope: scope, subscriberData: subscriberData };
      send("hub.subscribe", { topic: String(topic) });
      if (typeof onComplete === "function") { setTimeout(function () { onComplete(id, true); }, 0); }
      return id;
    },
    unsubscribe: function (id, onComplete) {
      delete subs[id];
      if (typeof onComplete === "function") { setTimeout(function () { onComplete(id, true); }, 0); }
    },
    disconnect: function () { connected = false; }
  };
  // Internal channel for the mock finesse.js (real finesse.js rides the OpenAjax hub instead).
  // `beforeConnect`: what runs when the hub connects, before the gadget's onConnect (the
  // mock finesse.js fills finesse.gadget.Config there in the "Config at onConnect" mode).
  var beforeConnect = [];
  gadgets.Hub.__mockFinesse = { send: send, on: on, event: event, deliver: deliver, hasParent: hasParent, beforeConnect: beforeConnect };

  // The pubsub-2 feature creates the hub client from an onload handler, which Shindig runs at the
  // end of the gadget body (gadgets.util.runOnLoadHandlers()). The onConnect callback is taken
  // from gadgets.HubSettings at that moment and called once the container acknowledges.
  gadgets.util.registerOnLoadHandler(function () {
    var onConnect = gadgets.HubSettings && gadgets.HubSettings.onConnect;
    var hasOnConnect = typeof onConnect === "function";
    function connect() {
      connected = true;
      beforeConnect.splice(0).forEach(function (fn) { try { fn(); } catch (e) { if (w.console) { w.console.error(e); } } });
      event("hub.connected", { onConnect: hasOnConnect });
      if (hasOnConnect) {
        try { onConnect(gadgets.Hub, true, undefined); } catch (e) {
          event("hub.onConnect.error", { message: String(e && e.message || e) });
          if (w.console) { w.console.error(e); }
        }
      } else if (w.console) {
        w.console.warn("[mock Finesse] gadgets.HubSettings.onConnect was not set when the hub connected; " +
          "set it synchronously in the gadget's <Content> (a classic <script>, not a module).");
      }
    }
    if (hasParent) {
      on("hub.connected", function once() {
        listeners["hub.connected"] = (listeners["hub.connected"] || []).filter(function (f) { return f !== once; });
        connect();
      });
      send("hub.connect", { onConnect: hasOnConnect });
    } else {
      setTimeout(connect, 0);
    }
  });

  // Forward console output to the desktop so it can check it for leaked secrets (it is not shown
  // in the event log). Output still reaches the real console.
  if (hasParent && w.console) {
    ["log", "info", "warn", "error", "debug"].forEach(function (level) {
      var orig = w.console[level];
      if (typeof orig !== "function") { return; }
      w.console[level] = function () {
        var parts = [];
        for (var i = 0; i < arguments.length; i += 1) {
          var a = arguments[i];
          try { parts.push(typeof a === "string" ? a : (a instanceof Error ? a.stack || a.message : JSON.stringify(a))); } catch (e) { parts.push(String(a)); }
        }
        send("console", { level: level, text: parts.join(" ").slice(0, 4000) });
        return orig.apply(w.console, arguments);
      };
    });
  }

  event("gadget.render", { title: render.title || "", features: render.features || [], prefNames: Object.keys(prefs).sort(), overriddenByContainer: overridden });
}(window));
