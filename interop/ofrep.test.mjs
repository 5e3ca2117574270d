// Interop test: the official OpenFeature JavaScript server SDK, with its
// OFREP provider, evaluates growthbot's flags. The Go test
// TestOFREPInteropWithOpenFeatureJS (cmd/growthbot/ofrep_interop_test.go)
// serves a fixture with `growthbot serve` on loopback and runs this with
// GROWTHBOT_URL and GROWTHBOT_API_TOKEN set. It exits non-zero on any
// failure.
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const base = process.env.GROWTHBOT_URL;
const token = process.env.GROWTHBOT_API_TOKEN;
const units = Number(process.env.GROWTHBOT_INTEROP_UNITS || 10000);
// /api/v1/flags/{key}/evaluate's answers, by flag and unit, which the Go
// test asked for (Go's HTTP client is far cheaper than Node's); without the
// file, this script asks itself.
const answersFile = process.env.GROWTHBOT_API_ANSWERS;
const answers = answersFile ? JSON.parse((await import('node:fs')).readFileSync(answersFile, 'utf8')) : null;
assert.ok(base && token, 'set GROWTHBOT_URL and GROWTHBOT_API_TOKEN');
const auth = { Authorization: `Bearer ${token}` };

await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: base, headers: [['Authorization', `Bearer ${token}`]] }));
const client = OpenFeature.getClient();

// Values of every type.
{
  const b = await client.getBooleanDetails('dark-mode', false, { targetingKey: 'user-1' });
  assert.equal(typeof b.value, 'boolean', JSON.stringify(b));
  assert.equal(b.reason, 'SPLIT');
  assert.ok(['on', 'off'].includes(b.variant));
  assert.equal(b.value, b.variant === 'on');

  const s = await client.getStringDetails('shipped-test', 'default', { targetingKey: 'user-1' });
  assert.ok(['new', 'old'].includes(s.value), JSON.stringify(s));

  const n = await client.getNumberDetails('max-items', 0, { targetingKey: 'user-1' });
  assert.ok([10, 12.5].includes(n.value), JSON.stringify(n));

  const o = await client.getObjectDetails('checkout-config', {}, { targetingKey: 'user-1' });
  assert.equal(typeof o.value, 'object', JSON.stringify(o));
  assert.ok(['blue', 'green'].includes(o.value.button_color), JSON.stringify(o));
  assert.equal(o.flagMetadata.layer, 'checkout-ui');
  assert.equal(o.flagMetadata.state, 'running');

  const k = await client.getNumberDetails('killed-test', 0, { targetingKey: 'user-1' });
  assert.equal(k.reason, 'DISABLED', JSON.stringify(k));
  assert.equal(k.value, 1);
}

// Flag not found, and a missing targeting key: the SDK returns the code's
// default with the spec's error code.
{
  const nf = await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'user-1' });
  assert.equal(nf.errorCode, 'FLAG_NOT_FOUND', JSON.stringify(nf));
  assert.equal(nf.value, true);
  assert.equal(nf.reason, 'ERROR');

  const tk = await client.getStringDetails('checkout-copy', 'fallback', { plan: 'pro' });
  assert.equal(tk.errorCode, 'TARGETING_KEY_MISSING', JSON.stringify(tk));
  assert.equal(tk.value, 'fallback');
}

// Agreement, for many units, between the SDK, /api/v1/flags/{key}/evaluate
// and README's bucketing recipe applied to the flags document.
const doc = await (await fetch(`${base}/api/v1/flags`, { headers: auth })).json();
const flags = Object.fromEntries(doc.flags.map((f) => [f.key, f]));

function bucket(s) {
  const d = createHash('sha256').update(s).digest();
  return Number(d.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}

// assign is README's recipe, layers and holdouts included.
function assign(flag, unit, now = new Date()) {
  const variants = flag.variants;
  const control = variants[0].key;
  if (flag.state === 'killed') return flag.winner || control;
  const h = flag.holdout;
  if (h && now >= new Date(h.start) && now < new Date(h.end) && bucket(`holdout:${flag.team}:${unit}`) < h.share) return control;
  if (flag.state === 'shipped') return flag.winner || control;
  if (!['running', 'decision_pending'].includes(flag.state)) return control;
  if (flag.layer) {
    const slot = bucket(`layer:${flag.layer}:${unit}`);
    if (!(flag.layer_ranges || []).some((r) => slot >= r.from && slot < r.to)) return control;
  }
  if (bucket(`${flag.key}:traffic:${unit}`) >= flag.rollout_percent / 100) return control;
  const u = bucket(`${flag.key}:${unit}`);
  const total = variants.reduce((s, v) => s + v.weight, 0);
  let cum = 0;
  for (const v of variants) {
    cum += v.weight;
    if (u < cum / total) return v.key;
  }
  return variants[variants.length - 1].key;
}

const getters = {
  boolean: (k, u) => client.getBooleanDetails(k, false, u),
  string: (k, u) => client.getStringDetails(k, '', u),
  number: (k, u) => client.getNumberDetails(k, 0, u),
  object: (k, u) => client.getObjectDetails(k, {}, u),
};
// Every unit is checked on checkout-config, which exercises the whole
// recipe (a layer, a holdout, a split, object values); every fiftieth also on
// the other flags (a rollout, the other layer, each value type, a shipped
// experiment).
const kinds = { 'checkout-config': 'object' };
const moreKinds = {
  'checkout-copy': 'string', banner: 'string', 'dark-mode': 'boolean', 'max-items': 'number', 'shipped-test': 'string',
};
const counts = {};
let checked = 0;
async function one(i) {
  const unit = `unit-${i}`;
  const layerIn = [];
  const flagsOf = i % 50 === 0 ? { ...kinds, ...moreKinds } : kinds;
  for (const [key, kind] of Object.entries(flagsOf)) {
    const details = await getters[kind](key, { targetingKey: unit, growthbot_log_exposure: false });
    assert.equal(details.errorCode, undefined, `${key} ${unit}: ${JSON.stringify(details)}`);
    const api = answers
      ? answers[key][unit]
      : await (await fetch(`${base}/api/v1/flags/${key}/evaluate?growthbot_log_exposure=false&unit_id=${unit}`, { headers: auth })).json();
    assert.ok(api, `${key} ${unit}: no answer from /api/v1/flags/${key}/evaluate`);
    const want = assign(flags[key], unit);
    assert.equal(details.variant, want, `${key} ${unit}: SDK ${details.variant}, recipe ${want}`);
    assert.equal(api.variant, want, `${key} ${unit}: API ${api.variant}, recipe ${want}`);
    assert.deepEqual(details.value, api.value, `${key} ${unit}: values differ`);
    const v = flags[key].variants.find((x) => x.key === want);
    assert.deepEqual(details.value, v.value, `${key} ${unit}: value is not the variant's`);
    if (details.flagMetadata.in_experiment && flags[key].layer) layerIn.push(key);
    counts[`${key}=${want}`] = (counts[`${key}=${want}`] || 0) + 1;
    checked++;
  }
  assert.ok(layerIn.length <= 1, `${unit} is in two experiments of one layer: ${layerIn}`);
}
const concurrency = 32;
const started = performance.now();
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < units) await one(next++);
}));
const seconds = (performance.now() - started) / 1000;
console.log(`ok: ${checked} evaluations of ${units} units agree (SDK, /api/v1/flags/{key}/evaluate, recipe) in ${seconds.toFixed(1)} s`);
console.log(JSON.stringify(counts));
await OpenFeature.close();
