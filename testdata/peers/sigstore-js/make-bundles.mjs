#!/usr/bin/env node
// Makes Sigstore bundles with sigstore-js (@sigstore/sign) against @sigstore/mock's Fulcio (with
// CT log), Rekor v1 and RFC 3161 timestamp authority, served over plain HTTP on 127.0.0.1 only,
// for vouch's interop test (crates/cli/tests/it/sigstore_js.rs). See README.md.
//
//   node make-bundles.mjs OUTDIR
//       writes the artifact, the bundles, their tampered variants, trusted_root.json, key.pub and
//       cases.json (what vouch must answer for each) into OUTDIR.
//   node make-bundles.mjs --verify BUNDLE ARTIFACT TRUSTED_ROOT [KEY] [--tlog-threshold N]
//                         [--identity SAN --issuer ISSUER]
//       verifies one bundle offline with @sigstore/verify; exit 0 and `OK`, or exit 1 and the
//       error code and message.
//
// make-image-bundle.mjs imports the mock services and the signer's identity from here; the
// commands above run only when this file is the one node was started with.
//
// Every key (the signers', the CA's, the logs', the TSA's) is generated afresh in each run;
// nothing secret is written to OUTDIR. Times and keys vary from run to run, the structure and the
// expected answers do not.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import mockPkg from '@sigstore/mock';
import signPkg from '@sigstore/sign';
import bundlePkg from '@sigstore/bundle';
import verifyPkg from '@sigstore/verify';
import specsPkg from '@sigstore/protobuf-specs';

const { initializeCA, initializeCTLog, initializeTLog, initializeTSA, fulcioHandler, rekorHandler, tsaHandler } =
  mockPkg;
const { MessageSignatureBundleBuilder, DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = signPkg;
const { bundleToJSON, bundleFromJSON } = bundlePkg;
const { Verifier, toSignedEntity, toTrustMaterial } = verifyPkg;
const { TrustedRoot, HashAlgorithm, PublicKeyDetails } = specsPkg;

export const IDENTITY = 'https://github.com/vouch-peer/sigstore-js/.github/workflows/sign.yml@refs/heads/main';
export const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY_REGEXP = 'https://github\\.com/vouch-peer/.*';
const ISSUER_REGEXP = 'https://token\\.actions\\.githubusercontent\\.com';
export const WRONG_IDENTITY = 'https://github.com/someone-else/sigstore-js/.github/workflows/sign.yml@refs/heads/main';
const WRONG_ISSUER = 'https://accounts.google.com';
export const INTOTO_TYPE = 'application/vnd.in-toto+json';

const p256 = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = (publicKey) => publicKey.export({ format: 'der', type: 'spki' });
export const sha256 = (data) => crypto.createHash('sha256').update(data).digest();

// ---------------------------------------------------------------------------------------------
// The mock services, each a real HTTP server on an ephemeral loopback port.

// Serves one @sigstore/mock handler ({path, fn}) at http://127.0.0.1:PORT. `makeHandler` receives
// the base URL (Rekor's checkpoint origin is its host) and returns the handler.
async function serve(makeHandler, { before = () => {}, transform = (body) => body } = {}) {
  let handler;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (req.method !== 'POST' || new URL(req.url, 'http://x').pathname !== handler.path) {
        res.writeHead(404).end('not found');
        return;
      }
      before();
      let body;
      try {
        body = transform(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        res.writeHead(400).end(String(e.message));
        return;
      }
      const { statusCode, response, contentType } = await handler.fn(body);
      res.writeHead(statusCode, { 'Content-Type': contentType || 'text/plain' }).end(response);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  handler = await makeHandler(url);
  return { server, url };
}

// Rekor stores not the entry a client proposes but a canonical form of it; @sigstore/mock 0.13 logs
// the proposed entry as it is, which for `dsse` and `intoto` is not what Rekor would log (nor what
// any verifier, sigstore-js's included, accepts). This does what Rekor's pkg/types/dsse/v0.0.1 and
// pkg/types/intoto/v0.0.2 do before an entry is logged. A `hashedrekord` entry is left as the client
// sent it (Rekor would re-encode the PEM key or certificate at 64 columns; sigstore-js sends the mock
// Fulcio's certificate as one unwrapped base64 line, which a verifier must compare as DER).
function rekorCanonicalize(text) {
  const entry = JSON.parse(text);
  if (entry.kind === 'dsse' && entry.apiVersion === '0.0.1' && entry.spec.proposedContent) {
    const { envelope, verifiers } = entry.spec.proposedContent;
    const env = JSON.parse(envelope);
    if (env.signatures.length !== 1 || verifiers.length !== 1) throw new Error('one signature and one verifier expected');
    return JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope)).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(env.payload, 'base64')).toString('hex') },
        signatures: [{ signature: env.signatures[0].sig, verifier: Buffer.from(canonicalPEM(Buffer.from(verifiers[0], 'base64').toString())).toString('base64') }],
      },
    });
  }
  if (entry.kind === 'intoto' && entry.apiVersion === '0.0.2') {
    // Rekor keeps the envelope's signatures and type, and the hashes, but not the payload.
    delete entry.spec.content.envelope.payload;
    return JSON.stringify(entry);
  }
  return text;
}

// A PEM public key or certificate re-encoded as Rekor's CanonicalValue does (64-column base64).
function canonicalPEM(pem) {
  if (pem.includes('CERTIFICATE')) return new crypto.X509Certificate(pem).toString();
  return crypto.createPublicKey(pem).export({ format: 'pem', type: 'spki' }).toString();
}

// The services' clocks. @sigstore/mock reads the Date object it is given at every request, so
// setting it just before each request steers the time it certifies:
// - the TSA's genTime keeps the real second with chosen milliseconds, `tsaMillis` (DER drops
//   trailing zeros, so the real time would give 3, 2, 1 or no fractional digits at random),
//   shifted by `tsaOffsetMs` (0, or into the future to stamp after the certificate expired);
// - the CA's notBefore is the real time shifted by `caOffsetMs` (0, or in the past to issue a
//   certificate that has expired before it is used).
const tsaClock = new Date();
let tsaMillis = 123;
let tsaOffsetMs = 0;
const caClock = new Date();
let caOffsetMs = 0;

// Sets the milliseconds of the TSA's genTime (for importers; `sign` below sets it itself).
export function setTsaMillis(millis) {
  tsaMillis = millis;
}

const ctlogEntry = (ctlog, validFor) => ({
  baseUrl: 'https://ctfe.sigstore.mock',
  hashAlgorithm: HashAlgorithm.SHA2_256,
  publicKey: {
    rawBytes: Buffer.from(ctlog.publicKey),
    keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
    validFor,
  },
  logId: { keyId: Buffer.from(ctlog.logID) },
  checkpointKeyId: undefined,
  operator: 'sigstore.mock',
});

const caEntry = (rootCertificate, uri, validFor) => ({
  subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
  uri,
  certChain: { certificates: [{ rawBytes: rootCertificate }] },
  validFor,
  operator: 'sigstore.mock',
});

export async function startServices() {
  // Everything the trusted root lists becomes valid a minute before any of it exists.
  const validFrom = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const validFor = { start: validFrom, end: undefined };

  const caKeys = p256();
  const ctKeys = p256();
  const rekorKeys = p256();
  const tsaKeys = p256();

  const ctlog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctlog, caClock);
  let tsa;
  const fulcio = await serve(async () => fulcioHandler(ca, { strict: true }), {
    before: () => caClock.setTime(Date.now() + caOffsetMs),
  });
  const rekor = await serve(async (url) => rekorHandler(await initializeTLog(url, rekorKeys), { strict: true }), {
    transform: rekorCanonicalize,
  });
  const tsaServer = await serve(
    async () => {
      tsa = await initializeTSA(tsaKeys, tsaClock);
      return tsaHandler(tsa, { strict: true });
    },
    { before: () => tsaClock.setTime(Math.floor(Date.now() / 1000) * 1000 + tsaMillis + tsaOffsetMs) },
  );

  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: rekor.url,
        hashAlgorithm: HashAlgorithm.SHA2_256,
        publicKey: {
          rawBytes: spki(rekorKeys.publicKey),
          keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
          validFor,
        },
        logId: { keyId: sha256(spki(rekorKeys.publicKey)) },
        checkpointKeyId: undefined,
        operator: 'sigstore.mock',
      },
    ],
    certificateAuthorities: [caEntry(ca.rootCertificate, fulcio.url, validFor)],
    ctlogs: [ctlogEntry(ctlog, validFor)],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: tsaServer.url,
        // Leaf (the TSA signing certificate) first, root last.
        certChain: { certificates: [{ rawBytes: tsa.intCertificate }, { rawBytes: tsa.rootCertificate }] },
        validFor,
        operator: 'sigstore.mock',
      },
    ],
  };
  // The same root, but with another CA of the same name (and another key) in place of the one
  // that issued the certificates, and with another CT log in place of the one that signed the SCTs.
  const otherCA = await initializeCA(p256(), undefined);
  const otherCT = await initializeCTLog(p256());
  const otherCARoot = { ...trustedRoot, certificateAuthorities: [caEntry(otherCA.rootCertificate, fulcio.url, validFor)] };
  const otherCTRoot = { ...trustedRoot, ctlogs: [ctlogEntry(otherCT, validFor)] };
  return {
    urls: { fulcio: fulcio.url, rekor: rekor.url, tsa: tsaServer.url },
    trustedRoot,
    otherCARoot,
    otherCTRoot,
    close: () => Promise.all([fulcio, rekor, tsaServer].map((s) => new Promise((r) => s.server.close(r)))),
  };
}

// ---------------------------------------------------------------------------------------------
// Signers.

// Signs with a P-256 key held in memory and names it by a hint, as `cosign sign-blob --key` would.
class KeySigner {
  constructor() {
    this.keys = p256();
    this.pem = this.keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    this.hint = sha256(spki(this.keys.publicKey)).toString('base64');
  }
  async sign(data) {
    return {
      signature: crypto.sign('sha256', data, this.keys.privateKey),
      key: { $case: 'publicKey', publicKey: this.pem, hint: this.hint },
    };
  }
}

// An unsigned OIDC token: the mock Fulcio decodes the claims without checking a signature, and puts
// `sub` in a URI SAN and `iss` in the issuer extensions (1.3.6.1.4.1.57264.1.1 and .1.8). `extra`
// claims are added: the mock turns GitHub Actions' (`repository`, `ref`, `sha`, `event_name`,
// `workflow`, `repository_owner`, `job_workflow_ref`, `runner_environment`, …) into Fulcio's
// GitHub extensions (1.3.6.1.4.1.57264.1.2–.6 and .1.9–.1.22), as Fulcio does.
export function identityToken(extra = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [b64({ alg: 'none', typ: 'JWT' }), b64({ ...extra, iss: ISSUER, sub: IDENTITY, aud: 'sigstore', iat: now, exp: now + 600 }), ''].join('.');
}

// ---------------------------------------------------------------------------------------------
// Tampering, on the bundle's JSON form.

const clone = (o) => JSON.parse(JSON.stringify(o));

// Flips the low bit of the last byte of a base64 value: for a DER ECDSA signature that is the last
// byte of s, so the signature stays well-formed DER and is merely wrong.
function flipLastByte(b64) {
  const bytes = Buffer.from(b64, 'base64');
  bytes[bytes.length - 1] ^= 0x01;
  return bytes.toString('base64');
}

function flipSignature(bundleJSON) {
  const b = clone(bundleJSON);
  if (b.messageSignature) {
    b.messageSignature.signature = flipLastByte(b.messageSignature.signature);
  } else {
    b.dsseEnvelope.signatures[0].sig = flipLastByte(b.dsseEnvelope.signatures[0].sig);
  }
  return b;
}

// Changes the log entry's body, keeping it a well-formed canonical entry of the same kind: the
// hashed artifact digest (hashedrekord), the payload hash (dsse) or the envelope hash (intoto) gets
// one hex digit changed. Its SET, inclusion proof and match with the bundle all break.
function tamperLogBody(bundleJSON) {
  const b = clone(bundleJSON);
  const entry = b.verificationMaterial.tlogEntries[0];
  const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8'));
  const flipHex = (h) => (h[0] === '0' ? '1' : '0') + h.slice(1);
  if (body.kind === 'hashedrekord') {
    body.spec.data.hash.value = flipHex(body.spec.data.hash.value);
  } else if (body.kind === 'dsse') {
    body.spec.payloadHash.value = flipHex(body.spec.payloadHash.value);
  } else if (body.kind === 'intoto') {
    body.spec.content.payloadHash.value = flipHex(body.spec.content.payloadHash.value);
  } else {
    throw new Error(`unexpected log entry kind ${body.kind}`);
  }
  entry.canonicalizedBody = Buffer.from(canonicalJSON(body)).toString('base64');
  return b;
}

// Puts the log entry of another bundle (same signer, another signature) into this one.
function swapLogEntry(bundleJSON, otherJSON) {
  const b = clone(bundleJSON);
  b.verificationMaterial.tlogEntries = clone(otherJSON.verificationMaterial.tlogEntries);
  return b;
}

// Flips one bit inside the RFC 3161 token's signature (its last byte).
function tamperTimestamp(bundleJSON) {
  const b = clone(bundleJSON);
  const ts = b.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0];
  ts.signedTimestamp = flipLastByte(ts.signedTimestamp);
  return b;
}

// RFC 8785 for the plain JSON of a Rekor body (strings, numbers that are integers, objects, arrays).
function canonicalJSON(v) {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJSON(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Offline verification with @sigstore/verify.

export function verifyWithSigstoreJS({ bundleJSON, artifact, trustedRootJSON, keyPEM, tlogThreshold, identity, issuer }) {
  const bundle = bundleFromJSON(bundleJSON);
  const root = TrustedRoot.fromJSON(trustedRootJSON);
  let keys;
  if (keyPEM) {
    const publicKey = crypto.createPublicKey(keyPEM);
    // Whatever hint the bundle gives, the key is the one given on the command line.
    keys = () => ({ publicKey, validFor: () => true });
  }
  const verifier = new Verifier(toTrustMaterial(root, keys), { tlogThreshold });
  const entity = toSignedEntity(bundle, bundle.content.$case === 'dsseEnvelope' ? undefined : artifact);
  const policy = identity || issuer ? { subjectAlternativeName: identity, extensions: issuer ? { issuer } : undefined } : undefined;
  verifier.verify(entity, policy);
  // toSignedEntity checks no DSSE subject; do what a verifier of an attestation must.
  if (bundle.content.$case === 'dsseEnvelope') {
    const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString('utf8'));
    const digest = sha256(artifact).toString('hex');
    if (!(statement.subject || []).some((s) => s.digest && s.digest.sha256 === digest)) {
      const err = new Error('no in-toto subject has the artifact digest');
      err.code = 'SUBJECT_DIGEST_ERROR';
      throw err;
    }
  }
}

function peerVerdict(args) {
  try {
    verifyWithSigstoreJS(args);
    return 'OK';
  } catch (e) {
    return e.code || e.name || 'ERROR';
  }
}

// ---------------------------------------------------------------------------------------------

// What each kind of variant is, what vouch must answer, and why that answer is the right one.
// `logged` and `key` describe the base bundle.
function variantsFor(base) {
  const v = [];
  const logged = !base.nolog;
  v.push({
    variant: 'as-signed',
    expect_exit: base.expectAsSigned ?? 0,
    why: base.whyAsSigned ?? `${base.what}: verifies`,
  });
  if (base.only) return v;
  v.push({
    variant: 'artifact-modified',
    artifact: 'artifact-modified.txt',
    expect_exit: 1,
    why: base.dsse
      ? 'another file than the one signed: no in-toto subject has its digest'
      : 'another file than the one signed: the signature does not verify over its digest',
  });
  v.push({
    variant: 'signature-flipped',
    tamper: flipSignature,
    // The signature is wrong; so is, with a timestamp, the timestamp's message imprint (the
    // signature's digest), and, with a log entry, the match of the logged body. Each is a true
    // reason. vouch checks timestamps before the signature, and the signature before the body
    // match, so it reports the timestamp (8) if there is one, else the signature (1).
    expect_exit: base.tsa ? 8 : 1,
    why: base.tsa
      ? "one bit of the signature flipped: the RFC 3161 timestamp's message imprint no longer matches it (timestamps are checked before the signature)"
      : 'one bit of the signature flipped: the signature does not verify (checked before the log body match)',
  });
  if (logged) {
    v.push({
      variant: 'log-body-modified',
      tamper: tamperLogBody,
      expect_exit: 5,
      why: "one hex digit of the log entry body's digest changed: SET and inclusion proof fail",
    });
    if (!base.minor) {
      v.push({
        variant: 'log-entry-swapped',
        tamper: (json) => swapLogEntry(json, base.twin),
        expect_exit: 5,
        why: "a genuine log entry (valid SET and proof) of another signature by the same signer: its body does not match this bundle",
      });
    }
  } else {
    v.push({
      variant: 'timestamp-modified',
      tamper: tamperTimestamp,
      expect_exit: 8,
      why: "one bit of the RFC 3161 token's signature flipped",
    });
    v.push({
      variant: 'without-insecure-ignore-tlog',
      insecure_ignore_tlog: false,
      expect_exit: 4,
      why: 'no log entry, and --insecure-ignore-tlog not given',
    });
  }
  if (base.minor) return v;
  if (base.key) {
    v.push({ variant: 'wrong-key', key: 'other-key.pub', expect_exit: 1, why: 'verified with another public key' });
    v.push({
      variant: 'identity-flags-for-key-bundle',
      key: null,
      identity: IDENTITY,
      issuer: ISSUER,
      expect_exit: 1,
      why: 'keyless identity flags for a public-key bundle: key material mismatch',
    });
  } else {
    v.push({ variant: 'wrong-identity', identity: WRONG_IDENTITY, expect_exit: 3, why: 'another certificate identity' });
    v.push({ variant: 'wrong-issuer', issuer: WRONG_ISSUER, expect_exit: 3, why: 'another OIDC issuer' });
    v.push({
      variant: 'identity-regexp',
      identity: null,
      issuer: null,
      identity_regexp: IDENTITY_REGEXP,
      issuer_regexp: ISSUER_REGEXP,
      expect_exit: 0,
      why: 'identity and issuer matched by regular expressions',
    });
    v.push({
      variant: 'identity-regexp-prefix-only',
      identity: null,
      issuer: null,
      identity_regexp: 'https://github\\.com/vouch-peer',
      issuer_regexp: ISSUER_REGEXP,
      expect_exit: 3,
      why: 'a regexp matching only a prefix of the identity: vouch anchors it at both ends',
    });
    v.push({
      variant: 'key-for-keyless-bundle',
      key: 'key.pub',
      identity: null,
      issuer: null,
      expect_exit: 1,
      why: '--key for a certificate bundle: key material mismatch',
    });
    v.push({
      variant: 'untrusted-ca',
      trusted_root: 'trusted_root.other-ca.json',
      expect_exit: 7,
      why: 'the trusted root lists another CA of the same name and another key: the certificate does not chain',
    });
    v.push({
      variant: 'unknown-ct-log',
      trusted_root: 'trusted_root.other-ctlog.json',
      expect_exit: 7,
      why: "the trusted root lists another CT log: the certificate's SCT cannot be verified",
    });
    v.push({
      variant: 'production-root',
      trusted_root: null,
      // The log is checked before the certificate chain, and the mock Rekor's key is not in the
      // production root either: "log proof invalid" is a true reason, and the first one found.
      expect_exit: 5,
      why: "no --trusted-root: the embedded production root knows neither the mock's Rekor nor its Fulcio CA (the log is checked first)",
    });
  }
  return v;
}

async function makeBundles(outdir) {
  fs.mkdirSync(outdir, { recursive: true });
  const write = (name, data) => fs.writeFileSync(path.join(outdir, name), data);
  const writeJSON = (name, obj) => write(name, `${JSON.stringify(obj, null, 2)}\n`);

  const services = await startServices();
  try {
    const { urls } = services;
    const rekor = new RekorWitness({ rekorBaseURL: urls.rekor, retry: 0 });
    const rekorIntoto = new RekorWitness({ rekorBaseURL: urls.rekor, entryType: 'intoto', retry: 0 });
    const tsa = new TSAWitness({ tsaBaseURL: urls.tsa, retry: 0 });
    const keySigner = new KeySigner();
    const fulcioSigner = () =>
      new FulcioSigner({ fulcioBaseURL: urls.fulcio, identityProvider: { getToken: async () => identityToken() }, retry: 0 });

    // The artifact, and a modified copy of it.
    const artifact = Buffer.from(`vouch interop artifact, signed by sigstore-js\nnonce ${crypto.randomBytes(8).toString('hex')}\n`);
    write('artifact.txt', artifact);
    write('artifact-modified.txt', Buffer.concat([artifact, Buffer.from('tampered\n')]));
    write('key.pub', keySigner.pem);
    write('other-key.pub', p256().publicKey.export({ format: 'pem', type: 'spki' }));
    const roots = {
      'trusted_root.json': TrustedRoot.toJSON(services.trustedRoot),
      'trusted_root.other-ca.json': TrustedRoot.toJSON(services.otherCARoot),
      'trusted_root.other-ctlog.json': TrustedRoot.toJSON(services.otherCTRoot),
    };
    for (const [name, json] of Object.entries(roots)) writeJSON(name, json);

    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'artifact.txt', digest: { sha256: sha256(artifact).toString('hex') } }],
      predicateType: 'https://vouch.invalid/peer-test/v1',
      predicate: { producer: 'sigstore-js', purpose: 'vouch interop test' },
    };
    // Signs the artifact (or, with `dsse`, the statement about it) and returns the bundle's JSON.
    const sign = async ({ witnesses, signer, dsse = false, millis = 123, caOffset = 0, tsaOffset = 0 }) => {
      tsaMillis = millis;
      caOffsetMs = caOffset;
      tsaOffsetMs = tsaOffset;
      const Builder = dsse ? DSSEBundleBuilder : MessageSignatureBundleBuilder;
      const data = dsse ? Buffer.from(JSON.stringify(statement)) : artifact;
      const bundle = await new Builder({ signer, witnesses }).create({ data, type: dsse ? INTOTO_TYPE : undefined });
      caOffsetMs = 0;
      tsaOffsetMs = 0;
      return bundleToJSON(bundle);
    };

    // The bundles. Every RFC 3161 genTime has three fractional digits (…ss.123Z), as most of what
    // the mock TSA issues at the real time does, except in a0 and b0 (none) and b1 (one: …ss.5Z).
    // `twin` is a second signature by the same signer, whose log entry `log-entry-swapped` uses.
    const bases = [
      {
        name: 'a-key-log-tsa',
        what: 'public key + Rekor hashedrekord entry + RFC 3161 timestamp',
        json: await sign({ witnesses: [rekor, tsa], signer: keySigner }),
        twin: await sign({ witnesses: [rekor], signer: keySigner }),
        key: true,
        tsa: true,
      },
      {
        name: 'a0-key-log-tsa-gentime-whole-second',
        what: 'as a, genTime without fractional seconds (…ssZ)',
        json: await sign({ witnesses: [rekor, tsa], signer: keySigner, millis: 0 }),
        twin: await sign({ witnesses: [rekor], signer: keySigner }),
        key: true,
        tsa: true,
      },
      {
        name: 'b-key-tsa-nolog',
        what: 'public key + RFC 3161 timestamp, no log entry (needs --insecure-ignore-tlog)',
        json: await sign({ witnesses: [tsa], signer: keySigner }),
        key: true,
        tsa: true,
        nolog: true,
      },
      {
        name: 'b0-key-tsa-nolog-gentime-whole-second',
        what: 'as b, genTime without fractional seconds (…ssZ)',
        json: await sign({ witnesses: [tsa], signer: keySigner, millis: 0 }),
        key: true,
        tsa: true,
        nolog: true,
      },
      {
        name: 'b1-key-tsa-nolog-gentime-one-digit',
        what: 'as b, genTime with one fractional digit (…ss.5Z): valid DER, which @sigstore/core rejects',
        json: await sign({ witnesses: [tsa], signer: keySigner, millis: 500 }),
        key: true,
        tsa: true,
        nolog: true,
        minor: true,
      },
      {
        name: 'c-keyless-log',
        what: 'Fulcio certificate (embedded SCT) + Rekor hashedrekord entry',
        json: await sign({ witnesses: [rekor], signer: fulcioSigner() }),
        twin: await sign({ witnesses: [rekor], signer: fulcioSigner() }),
      },
      {
        name: 'c2-keyless-log-tsa',
        what: 'Fulcio certificate + Rekor hashedrekord entry + RFC 3161 timestamp',
        json: await sign({ witnesses: [rekor, tsa], signer: fulcioSigner() }),
        tsa: true,
        minor: true,
      },
      {
        name: 'd-dsse-keyless-log',
        what: 'DSSE in-toto statement about the artifact, Fulcio certificate + Rekor dsse entry',
        json: await sign({ witnesses: [rekor], signer: fulcioSigner(), dsse: true }),
        twin: await sign({ witnesses: [rekor], signer: fulcioSigner(), dsse: true }),
        dsse: true,
      },
      {
        name: 'e-dsse-keyless-intoto-log',
        what: 'DSSE in-toto statement, Fulcio certificate + Rekor intoto v0.0.2 entry',
        json: await sign({ witnesses: [rekorIntoto], signer: fulcioSigner(), dsse: true }),
        dsse: true,
        minor: true,
      },
      {
        name: 'f-keyless-log-cert-expired',
        what: 'as c, but Fulcio issued the certificate 20 minutes before it was used (valid for 10)',
        json: await sign({ witnesses: [rekor], signer: fulcioSigner(), caOffset: -20 * 60_000 }),
        only: true,
        expectAsSigned: 6,
        whyAsSigned: 'the certificate had expired when the log integrated the entry',
      },
      {
        name: 'g-keyless-log-tsa-cert-expired-at-timestamp',
        what: 'as c2, but the TSA stamped it 11 minutes later, after the certificate (valid for 10) expired',
        json: await sign({ witnesses: [rekor, tsa], signer: fulcioSigner(), tsaOffset: 11 * 60_000 }),
        tsa: true,
        only: true,
        expectAsSigned: 6,
        whyAsSigned: 'the certificate was valid when the log integrated the entry, but not at the genTime of the timestamp',
      },
    ];

    const cases = [];
    for (const base of bases) {
      writeJSON(`${base.name}.sigstore.json`, base.json);
      for (const v of variantsFor(base)) {
        const { variant, tamper, ...overrides } = v;
        let bundle = `${base.name}.sigstore.json`;
        if (tamper) {
          bundle = `${base.name}.${variant}.sigstore.json`;
          writeJSON(bundle, tamper(base.json));
        }
        const c = {
          name: `${base.name}/${variant}`,
          bundle,
          artifact: 'artifact.txt',
          trusted_root: 'trusted_root.json',
          key: base.key ? 'key.pub' : null,
          identity: base.key ? null : IDENTITY,
          issuer: base.key ? null : ISSUER,
          identity_regexp: null,
          issuer_regexp: null,
          insecure_ignore_tlog: Boolean(base.nolog),
          ...overrides,
        };
        // When it verifies, what `--output json` must list in `timestamp_sources`.
        c.expect_timestamp_sources =
          c.expect_exit === 0 ? [...(base.nolog ? [] : ['tlog']), ...(base.tsa ? ['rfc3161'] : [])] : null;
        // What @sigstore/verify says, for comparison. It has no production root here, and takes
        // the key of a certificate bundle from the certificate: those are not its to answer.
        const peerCannot = c.trusted_root === null || (c.key && !base.key);
        c.sigstore_js = peerCannot
          ? 'n/a'
          : peerVerdict({
              bundleJSON: JSON.parse(fs.readFileSync(path.join(outdir, c.bundle), 'utf8')),
              artifact: fs.readFileSync(path.join(outdir, c.artifact)),
              trustedRootJSON: roots[c.trusted_root],
              keyPEM: c.key ? fs.readFileSync(path.join(outdir, c.key), 'utf8') : undefined,
              tlogThreshold: c.insecure_ignore_tlog ? 0 : 1,
              identity: c.identity || (c.identity_regexp ? new RegExp(`^(?:${c.identity_regexp})$`) : undefined),
              issuer: c.issuer || undefined,
            });
        cases.push(c);
      }
    }

    const versions = Object.fromEntries(
      ['@sigstore/mock', '@sigstore/sign', '@sigstore/verify', '@sigstore/bundle', '@sigstore/core'].map((p) => [
        p,
        JSON.parse(fs.readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url), 'utf8')).version,
      ]),
    );
    writeJSON('cases.json', {
      generator: { node: process.version, packages: versions },
      bundles: Object.fromEntries(bases.map((b) => [`${b.name}.sigstore.json`, { what: b.what, mediaType: b.json.mediaType }])),
      cases,
    });
    process.stdout.write(`wrote ${bases.length} bundles and ${cases.length} cases to ${outdir}\n`);
  } finally {
    await services.close();
  }
}

function verifyMain(args) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) flags[args[i].slice(2)] = args[++i];
    else positional.push(args[i]);
  }
  const [bundlePath, artifactPath, rootPath, keyPath] = positional;
  if (!rootPath) usage();
  try {
    verifyWithSigstoreJS({
      bundleJSON: JSON.parse(fs.readFileSync(bundlePath, 'utf8')),
      artifact: fs.readFileSync(artifactPath),
      trustedRootJSON: JSON.parse(fs.readFileSync(rootPath, 'utf8')),
      keyPEM: keyPath ? fs.readFileSync(keyPath, 'utf8') : undefined,
      tlogThreshold: flags['tlog-threshold'] === undefined ? 1 : Number(flags['tlog-threshold']),
      identity: flags.identity,
      issuer: flags.issuer,
    });
    process.stdout.write('OK\n');
  } catch (e) {
    process.stdout.write(`FAIL ${e.code || e.name}: ${e.message}\n`);
    process.exitCode = 1;
  }
}

function usage() {
  process.stderr.write(
    'usage: node make-bundles.mjs OUTDIR\n' +
      '       node make-bundles.mjs --verify BUNDLE ARTIFACT TRUSTED_ROOT [KEY] [--tlog-threshold N] [--identity SAN] [--issuer ISSUER]\n',
  );
  process.exit(2);
}

// Tested with Node 20.20 (the packages declare ^22 but run on 20); older ones are not.
if (Number(process.versions.node.split('.')[0]) < 20) {
  process.stderr.write(`make-bundles.mjs needs Node.js 20 or newer, found ${process.version}\n`);
  process.exit(2);
}

// The commands run only when node was started with this file, not when it is imported.
const isMain = process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (isMain) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--verify') {
    verifyMain(argv.slice(1));
  } else if (argv.length === 1 && !argv[0].startsWith('-')) {
    await makeBundles(argv[0]);
  } else {
    usage();
  }
}
