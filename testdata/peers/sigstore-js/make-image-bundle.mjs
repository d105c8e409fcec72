#!/usr/bin/env node
// Makes cosign-v3-style container image signatures with sigstore-js (@sigstore/sign), keylessly,
// against the same @sigstore/mock Fulcio (with CT log), Rekor v1 and RFC 3161 timestamp authority
// as make-bundles.mjs (whose services it imports), for vouch's image test
// (crates/cli/tests/it/verify_image_bundles.rs). The bundles are then pushed to a registry by
// `@sigstore/cli attach`, which the test runs itself. See README.md.
//
//   node make-image-bundle.mjs SPEC OUTDIR
//
// SPEC is a JSON file: {"bundles": [{"name": N, "subject": S, "digest": "sha256:<hex>",
// "annotations": {…} (optional), "predicateType": T, "predicate": {…}}, …], "claims": {…}
// (optional)}. `claims` are added to the OIDC token the mock Fulcio reads: GitHub Actions' claims
// (`repository`, `ref`, `sha`, `repository_owner`, …) become the certificate's GitHub extensions. For each entry the
// script writes OUTDIR/N.sigstore.json: a Sigstore bundle v0.3 holding a DSSE envelope (payloadType
// application/vnd.in-toto+json) of the in-toto Statement v1 {"_type":
// "https://in-toto.io/Statement/v1", "subject": [{"name": S, "digest": {"sha256": "<hex>"},
// "annotations": {…}}], "predicateType": T, "predicate": {…}}, signed with a Fulcio
// certificate for the mock identity, with a Rekor `dsse` 0.0.1 entry and an RFC 3161 timestamp.
// A cosign v3 image signature (`cosign sign`, new bundle format) is exactly that with S the image's
// repository, <hex> its manifest digest, T https://sigstore.dev/cosign/sign/v1, {} as predicate,
// and `cosign sign -a key=value`'s annotations, if any, as the subject's.
// It also writes OUTDIR/trusted_root.json (the services' CA, CT log, Rekor and TSA, all fresh keys)
// and OUTDIR/signer.json: {"identity", "issuer", "wrong_identity", "packages": {name: version}}.
//
// Before writing a bundle, the script verifies it with @sigstore/verify against that root and
// identity (and checks that the statement names the digest), so that what vouch is given is
// what sigstore-js itself accepts.

import fs from 'node:fs';
import path from 'node:path';

import signPkg from '@sigstore/sign';
import bundlePkg from '@sigstore/bundle';
import verifyPkg from '@sigstore/verify';
import specsPkg from '@sigstore/protobuf-specs';

import {
  IDENTITY,
  ISSUER,
  WRONG_IDENTITY,
  INTOTO_TYPE,
  identityToken,
  setTsaMillis,
  startServices,
} from './make-bundles.mjs';

const { DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = signPkg;
const { bundleToJSON, bundleFromJSON } = bundlePkg;
const { Verifier, toSignedEntity, toTrustMaterial } = verifyPkg;
const { TrustedRoot } = specsPkg;

const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

function usage() {
  process.stderr.write('usage: node make-image-bundle.mjs SPEC OUTDIR\n');
  process.exit(2);
}

// The bundle must verify with @sigstore/verify for the mock identity, and its statement must be the
// one asked for. Throws otherwise.
function checkWithSigstoreJS(bundleJSON, trustedRootJSON, entry) {
  const bundle = bundleFromJSON(bundleJSON);
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRootJSON)), { tlogThreshold: 1, tsaThreshold: 1 });
  verifier.verify(toSignedEntity(bundle), { subjectAlternativeName: IDENTITY, extensions: { issuer: ISSUER } });
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== INTOTO_TYPE) throw new Error(`payloadType ${envelope.payloadType}`);
  const statement = JSON.parse(envelope.payload.toString('utf8'));
  const hex = entry.digest.replace(/^sha256:/, '');
  if (statement.subject[0].digest.sha256 !== hex || statement.predicateType !== entry.predicateType) {
    throw new Error(`unexpected statement ${JSON.stringify(statement)}`);
  }
}

async function main(specPath, outdir) {
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  if (!Array.isArray(spec.bundles) || spec.bundles.length === 0) throw new Error('SPEC has no bundles');
  fs.mkdirSync(outdir, { recursive: true });
  const writeJSON = (name, obj) => fs.writeFileSync(path.join(outdir, name), `${JSON.stringify(obj, null, 2)}\n`);

  const services = await startServices();
  try {
    const { urls } = services;
    const trustedRootJSON = TrustedRoot.toJSON(services.trustedRoot);
    writeJSON('trusted_root.json', trustedRootJSON);
    // genTime on a whole second (…ssZ): every verifier reads that (make-bundles.mjs README,
    // "Known disagreements", for fractional seconds).
    setTsaMillis(0);
    const witnesses = [new RekorWitness({ rekorBaseURL: urls.rekor, retry: 0 }), new TSAWitness({ tsaBaseURL: urls.tsa, retry: 0 })];
    for (const entry of spec.bundles) {
      const match = /^sha256:([0-9a-f]{64})$/.exec(entry.digest || '');
      if (!match || !entry.name || !entry.subject || !entry.predicateType) {
        throw new Error(`bad SPEC entry ${JSON.stringify(entry)}`);
      }
      const statement = {
        _type: STATEMENT_TYPE,
        subject: [
          { name: entry.subject, digest: { sha256: match[1] }, ...(entry.annotations ? { annotations: entry.annotations } : {}) },
        ],
        predicateType: entry.predicateType,
        predicate: entry.predicate ?? {},
      };
      const signer = new FulcioSigner({
        fulcioBaseURL: urls.fulcio,
        identityProvider: { getToken: async () => identityToken(spec.claims ?? {}) },
        retry: 0,
      });
      const bundle = await new DSSEBundleBuilder({ signer, witnesses }).create({
        data: Buffer.from(JSON.stringify(statement)),
        type: INTOTO_TYPE,
      });
      const json = bundleToJSON(bundle);
      checkWithSigstoreJS(json, trustedRootJSON, entry);
      writeJSON(`${entry.name}.sigstore.json`, json);
    }
    const packages = Object.fromEntries(
      ['@sigstore/mock', '@sigstore/sign', '@sigstore/verify', '@sigstore/cli', '@sigstore/oci'].map((p) => {
        const file = new URL(`./node_modules/${p}/package.json`, import.meta.url);
        const nested = new URL(`./node_modules/@sigstore/cli/node_modules/${p}/package.json`, import.meta.url);
        const found = fs.existsSync(file) ? file : nested;
        return [p, fs.existsSync(found) ? JSON.parse(fs.readFileSync(found, 'utf8')).version : null];
      }),
    );
    writeJSON('signer.json', { identity: IDENTITY, issuer: ISSUER, wrong_identity: WRONG_IDENTITY, node: process.version, packages });
    process.stdout.write(`wrote ${spec.bundles.length} image signature bundles to ${outdir}\n`);
  } finally {
    await services.close();
  }
}

const argv = process.argv.slice(2);
if (argv.length !== 2 || argv.some((a) => a.startsWith('-'))) usage();
await main(argv[0], argv[1]);
