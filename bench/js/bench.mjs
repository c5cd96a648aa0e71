// The Digital Bazaar VC stack on Satchel's bundled contexts, for bench/compare.sh.
//
//   node bench.mjs bench FILE [N]       sign/s and verify/s of FILE (unsigned), JSON on the last line
//   node bench.mjs sign FILE OUT        sign FILE with a fresh did:key, write the signed credential to OUT
//   node bench.mjs verify FILE          verify FILE; prints "verified" or the errors, exit code 0/1
//   node bench.mjs presentation FILE N CHALLENGE DOMAIN
//                                       verify/s of a signed presentation (its proof and every credential's),
//                                       JSON {"verify_presentation": N} on the last line; exit 1 if it does not verify
//
// Contexts come from ../../schemas/contexts (the same files and manifest Satchel uses);
// did:key documents are built locally. Any other URL is refused: no network.
import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const here = dirname(fileURLToPath(import.meta.url));
const contextsDir = join(here, '..', '..', 'schemas', 'contexts');
const manifest = JSON.parse(readFileSync(join(contextsDir, 'manifest.json'), 'utf8'));
const contexts = new Map(manifest.contexts.map(
  entry => [entry.url, JSON.parse(readFileSync(join(contextsDir, entry.file), 'utf8'))]));

function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
  const vmId = `${did}#${fingerprint}`;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{id: vmId, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint}],
    assertionMethod: [vmId], authentication: [vmId],
  };
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url.startsWith('did:key:')) {
    const [did, fragment] = url.split('#');
    const doc = didKeyDocument(did);
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: doc};
    }
    const vm = doc.verificationMethod.find(m => m.id === url);
    if(!vm) {
      throw new Error(`no verification method ${url}`);
    }
    return {contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm}};
  }
  throw new Error(`context not bundled: ${url}`);
}

async function freshKey() {
  const generated = await Ed25519Multikey.generate();
  const did = `did:key:${generated.publicKeyMultibase}`;
  const exported = await generated.export({publicKey: true, secretKey: true, includeContext: true});
  return Ed25519Multikey.from({...exported, controller: did, id: `${did}#${generated.publicKeyMultibase}`});
}

function unsigned(credential, did) {
  const copy = structuredClone(credential);
  delete copy.proof;
  if(did) {
    if(copy.issuer && typeof copy.issuer === 'object') {
      copy.issuer.id = did;
    } else {
      copy.issuer = did;
    }
  }
  return copy;
}

async function sign(credential, keyPair) {
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite: eddsaRdfc2022CryptoSuite});
  return vc.issue({credential: structuredClone(credential), suite, documentLoader});
}

async function verify(credential) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  return vc.verifyCredential({credential, suite, documentLoader});
}

// Calls per second: n calls in `batches` batches, the fastest batch counting (as bench/_common.py's
// per_second does for Satchel): other processes on a shared machine only ever slow a batch down.
async function rate(fn, n, warmup = 20, batches = 10) {
  for(let i = 0; i < warmup; ++i) {
    await fn();
  }
  const size = Math.max(1, Math.floor(n / batches));
  let best = Infinity;
  for(let b = 0; b < Math.max(1, Math.floor(n / size)); ++b) {
    const start = performance.now();
    for(let i = 0; i < size; ++i) {
      await fn();
    }
    best = Math.min(best, performance.now() - start);
  }
  return size / (best / 1000);
}

function errorsOf(result) {
  const errors = [];
  if(result.error) {
    errors.push(result.error.message || String(result.error));
  }
  for(const r of result.results || []) {
    if(r.error) {
      errors.push(r.error.message || String(r.error));
    }
  }
  return errors.join('; ');
}

const [command, file, arg] = process.argv.slice(2);
const input = JSON.parse(readFileSync(file, 'utf8'));
if(command === 'bench') {
  const n = Number(arg || 300);
  const keyPair = await freshKey();
  const credential = unsigned(input, keyPair.controller);
  const signed = await sign(credential, keyPair);
  const check = await verify(signed);
  if(!check.verified) {
    console.error(`JS stack cannot verify its own credential: ${errorsOf(check)}`);
    process.exit(1);
  }
  const signPerSecond = await rate(() => sign(credential, keyPair), n);
  const verifyPerSecond = await rate(() => verify(signed), n);
  console.log(`JS sign: ${signPerSecond.toFixed(0)}/s, verify: ${verifyPerSecond.toFixed(0)}/s`);
  console.log(JSON.stringify({sign: signPerSecond, verify: verifyPerSecond}));
} else if(command === 'sign') {
  const keyPair = await freshKey();
  writeFileSync(arg, JSON.stringify(await sign(unsigned(input, keyPair.controller), keyPair), null, 2));
} else if(command === 'verify') {
  const result = await verify(input);
  console.log(result.verified ? 'verified' : `not verified: ${errorsOf(result)}`);
  process.exit(result.verified ? 0 : 1);
} else if(command === 'presentation') {
  const [, , , challenge, domain] = process.argv.slice(2);
  const verifyPresentation = () => vc.verify({
    presentation: input, challenge, domain, documentLoader,
    suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite})});
  const check = await verifyPresentation();
  if(!check.verified) {
    console.error(`JS stack cannot verify the presentation: ${errorsOf(check.presentationResult || check)}`);
    process.exit(1);
  }
  const perSecond = await rate(verifyPresentation, Number(arg || 20), 3);
  console.log(`JS presentation verify: ${perSecond.toFixed(1)}/s (${(1000 / perSecond).toFixed(1)} ms each)`);
  console.log(JSON.stringify({verify_presentation: perSecond}));
} else {
  console.error('usage: node bench.mjs bench|sign|verify|presentation FILE [N|OUT] [CHALLENGE DOMAIN]');
  process.exit(2);
}
