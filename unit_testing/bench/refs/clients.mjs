// The two reference phones: their label and the folder their gadget is served from
// (/3rdpartygadget/files/<gadgetName>/), shared by build-refs.mjs and bench.mjs.
export const REFERENCES = {
  jssip: { label: 'JsSIP', gadgetName: 'JsSIP' },
  sipjs: { label: 'SIP.js', gadgetName: 'SIPjs' },
};
