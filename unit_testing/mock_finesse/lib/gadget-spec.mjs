// Mock Finesse: gadget spec (gadget.xml) parsing, validation and Shindig-like rendering.
//
// A small, strict XML reader (elements, attributes, text, CDATA, comments, processing
// instructions, DOCTYPE, the five predefined entities and numeric references) is enough for
// OpenSocial gadget specs and keeps the mock free of npm dependencies.

export class SpecError extends Error {
  constructor(message, status = 400) {
    super(message);
    this.name = 'SpecError';
    this.status = status;
  }
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s, where) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);|&/g, (m, name) => {
    if (!name) throw new SpecError(`gadget.xml is not well-formed XML: bare "&" in ${where}`);
    if (name[0] === '#') {
      const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return String.fromCodePoint(code);
    }
    if (!(name in ENTITIES)) throw new SpecError(`gadget.xml is not well-formed XML: unknown entity &${name}; in ${where}`);
    return ENTITIES[name];
  });
}

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

/** Parses XML into {name, attrs, children:[node|{text}|{cdata}]} and returns the root element. */
export function parseXml(text) {
  if (typeof text !== 'string') throw new SpecError('gadget.xml: no content');
  const src = text.replace(/^\uFEFF/, '');
  let i = 0;
  const stack = [];
  let root = null;
  const nameRe = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

  function fail(msg) {
    throw new SpecError(`gadget.xml is not well-formed XML (line ${lineOf(src, i)}): ${msg}`);
  }
  function readName() {
    nameRe.lastIndex = i;
    const m = nameRe.exec(src);
    if (!m) fail('expected a name');
    i = nameRe.lastIndex;
    return m[0];
  }
  function skipWs() {
    while (i < src.length && /\s/.test(src[i])) i += 1;
  }
  function addChild(node) {
    if (stack.length === 0) {
      if (node.text !== undefined) {
        if (node.text.trim() !== '') fail('text outside the root element');
        return;
      }
      if (node.cdata !== undefined) fail('CDATA outside the root element');
      if (root) fail('more than one root element');
      root = node;
      return;
    }
    stack[stack.length - 1].children.push(node);
  }

  while (i < src.length) {
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i + 9);
      if (end < 0) fail('unterminated CDATA section');
      addChild({ cdata: src.slice(i + 9, end) });
      i = end + 3;
    } else if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i + 2);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!DOCTYPE', i)) {
      if (root || stack.length) fail('DOCTYPE after the root element');
      const end = src.indexOf('>', i);
      if (end < 0) fail('unterminated DOCTYPE');
      if (src.slice(i, end).includes('[')) fail('internal DTD subsets are not supported');
      i = end + 1;
    } else if (src.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipWs();
      if (src[i] !== '>') fail(`expected ">" to close </${name}`);
      i += 1;
      const open = stack.pop();
      if (!open) fail(`unexpected closing tag </${name}>`);
      if (open.name !== name) fail(`</${name}> does not match <${open.name}>`);
      addChild(open);
    } else if (src[i] === '<') {
      i += 1;
      const name = readName();
      const attrs = {};
      for (;;) {
        const before = i;
        skipWs();
        if (src.startsWith('/>', i)) {
          i += 2;
          addChild({ name, attrs, children: [] });
          break;
        }
        if (src[i] === '>') {
          i += 1;
          stack.push({ name, attrs, children: [] });
          break;
        }
        if (i === before) fail(`expected whitespace between attributes of <${name}>`);
        const an = readName();
        skipWs();
        if (src[i] !== '=') fail(`attribute ${an} of <${name}> has no value`);
        i += 1;
        skipWs();
        const q = src[i];
        if (q !== '"' && q !== "'") fail(`attribute ${an} of <${name}> must be quoted`);
        const end = src.indexOf(q, i + 1);
        if (end < 0) fail(`unterminated attribute ${an}`);
        const raw = src.slice(i + 1, end);
        if (raw.includes('<')) fail(`"<" in attribute ${an}`);
        if (Object.prototype.hasOwnProperty.call(attrs, an)) fail(`duplicate attribute ${an} on <${name}>`);
        attrs[an] = decodeEntities(raw, `attribute ${an}`);
        i = end + 1;
      }
    } else {
      const end = src.indexOf('<', i);
      const raw = src.slice(i, end < 0 ? src.length : end);
      addChild({ text: decodeEntities(raw, 'text') });
      i = end < 0 ? src.length : end;
    }
  }
  if (stack.length) throw new SpecError(`gadget.xml is not well-formed XML: <${stack[stack.length - 1].name}> is never closed`);
  if (!root) throw new SpecError('gadget.xml is not well-formed XML: no root element');
  return root;
}

const elements = (node, name) => node.children.filter((c) => c.name === name);
const textOf = (node) => node.children.map((c) => (c.cdata !== undefined ? c.cdata : c.text !== undefined ? c.text : '')).join('');

/**
 * Validates a Finesse gadget spec and returns
 * {title, features:[…], optionalFeatures:[…], userPrefs:{name: default}, html}.
 * Throws SpecError (status 400/422) with a message naming what is wrong.
 */
export function parseGadgetSpec(xml) {
  const root = parseXml(xml);
  if (root.name !== 'Module') {
    throw new SpecError(`gadget.xml: the root element must be <Module>, found <${root.name}>`, 422);
  }
  const modulePrefs = elements(root, 'ModulePrefs');
  if (modulePrefs.length !== 1) {
    throw new SpecError(`gadget.xml: <Module> must contain exactly one <ModulePrefs>, found ${modulePrefs.length}`, 422);
  }
  const mp = modulePrefs[0];
  const features = elements(mp, 'Require').map((r) => r.attrs.feature).filter(Boolean);
  const optionalFeatures = elements(mp, 'Optional').map((r) => r.attrs.feature).filter(Boolean);
  if (!features.includes('pubsub-2')) {
    throw new SpecError('gadget.xml: <ModulePrefs> must contain <Require feature="pubsub-2"/> (Finesse gadgets need the OpenAjax hub)', 422);
  }
  const userPrefs = {};
  for (const up of elements(root, 'UserPref')) {
    if (!up.attrs.name) throw new SpecError('gadget.xml: <UserPref> without a name attribute', 422);
    userPrefs[up.attrs.name] = up.attrs.default_value ?? '';
  }
  const contents = elements(root, 'Content');
  if (contents.length === 0) throw new SpecError('gadget.xml: no <Content> element', 422);
  // The default view: a Content with no view attribute, or one listing "default"/"home"/"canvas".
  const pick = contents.find((c) => !c.attrs.view)
    || contents.find((c) => String(c.attrs.view).split(',').map((v) => v.trim()).some((v) => ['default', 'home', 'canvas'].includes(v)));
  if (!pick) throw new SpecError('gadget.xml: no <Content> for the default view', 422);
  const type = (pick.attrs.type || 'html').toLowerCase();
  if (type !== 'html') {
    throw new SpecError(`gadget.xml: <Content type="${pick.attrs.type}"> is not supported; Finesse renders type="html"`, 422);
  }
  if (pick.attrs.href) throw new SpecError('gadget.xml: <Content href> (proxied content) is not supported by the mock', 422);
  const html = textOf(pick);
  if (!html.trim()) throw new SpecError('gadget.xml: <Content type="html"> is empty', 422);
  return { title: mp.attrs.title || '', features, optionalFeatures, userPrefs, html };
}

/** JSON for an inline <script>: cannot close the script element or open a comment. */
export function inlineJson(value) {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Shindig-like rendering of the gadget iframe document: container style and gadget libraries
 * first, then the <Content> CDATA, then gadgets.util.runOnLoadHandlers() at the end of the body
 * (which is when the pubsub-2 hub client connects and later calls gadgets.HubSettings.onConnect).
 * A DOCTYPE at the start of the CDATA is hoisted to the top of the document; without one the
 * document renders in quirks mode, as Shindig's output does.
 */
export function renderGadget(spec, { prefs = {}, moduleId = '0', containerJs }) {
  let body = spec.html;
  let doctype = '';
  const m = /^\s*(<!DOCTYPE[^>]*>)/i.exec(body);
  if (m) {
    doctype = m[1] + '\n';
    body = body.slice(m[0].length);
  }
  const render = {
    prefs: { ...spec.userPrefs, ...prefs },
    moduleId: String(moduleId),
    title: spec.title,
    features: spec.features,
  };
  return `${doctype}<html><head>
<meta charset="utf-8">
<style type="text/css">body,td,div,span,p{font-family:arial,sans-serif;}a{color:#0000cc;}a:visited{color:#551a8b;}a:active{color:#ff0000;}body{margin:0px;padding:0px;background-color:white;}</style>
<script>window.__mockFinesseRender = ${inlineJson(render)};</script>
<script>
${containerJs}
</script>
</head><body>
${body}
<script>gadgets.util.runOnLoadHandlers();</script>
</body></html>
`;
}
