#!/usr/bin/env bash
# Builds the seed corpora in fuzz/corpus/<target>/ (untracked) from the files in testdata/, so
# no test file is duplicated in the repository. Idempotent: re-running refreshes the seeds and
# keeps whatever the fuzzer has added to the corpora since.
#
#   fuzz/seed.sh           # all targets
#
# Needs only bash and coreutils (base64, od, fold, sha256sum), grep and sed: no jq, no python.
set -euo pipefail
cd "$(dirname "$0")"
root=..
generated=$root/testdata/generated
conformance=$root/testdata/interop/sigstore-conformance/bundle-verify
cosign_image=$root/testdata/interop/containers-image-cosign
corpus=corpus

for dir in "$generated" "$conformance" "$cosign_image"; do
  [ -d "$dir" ] || { echo "seed.sh: $dir is missing" >&2; exit 1; }
done

# put TARGET NAME < content: one seed file, named after its origin.
put() {
  mkdir -p "$corpus/$1"
  cat >"$corpus/$1/$2"
}

# The first value of a JSON string field in a one-line JSON file: field NAME FILE.
field() {
  grep -o "\"$1\": *\"[^\"]*\"" "$2" | head -n 1 | sed 's/^[^:]*: *"//; s/"$//' || true
}

# Every value of a JSON string field, one a line: fields NAME FILE.
fields() {
  grep -o "\"$1\": *\"[^\"]*\"" "$2" | sed 's/^[^:]*: *"//; s/"$//' || true
}

# Base64 (one line) to lower-case hex.
b64_to_hex() { base64 -d | od -An -v -tx1 | tr -d ' \n'; }

# DER certificate, as base64 on stdin, to PEM.
b64_to_pem() {
  echo "-----BEGIN CERTIFICATE-----"
  tr -d '\n' | fold -w 64
  echo
  echo "-----END CERTIFICATE-----"
}

# --- public_key: every key file of the generated cases, refused key files, interop keys.
for case_dir in "$generated"/*/; do
  name=$(basename "$case_dir")
  [ -f "$case_dir/key.pub" ] && put public_key "$name.pub" <"$case_dir/key.pub"
done
for f in "$generated"/keys/* "$generated"/dir-mixed.pub "$cosign_image"/*.pub "$cosign_image"/*.pem; do
  case $f in *.json) continue ;; esac
  put public_key "$(basename "$f")" <"$f"
done
for f in "$conformance"/*/key.pub; do
  put public_key "conformance-$(basename "$(dirname "$f")").pub" <"$f"
done

# --- private_key: the sigstore-rs / cosign key vectors (encrypted and not).
for f in "$root"/testdata/interop/sigstore-rs-keys/*.key; do
  put private_key "$(basename "$f")" <"$f"
done

# --- signature: every generated signature file (DER, base64, raw, RSA, Ed25519, malformed).
for f in "$generated"/*/artifact.sig; do
  put signature "$(basename "$(dirname "$f")").sig" <"$f"
done

# --- bundle, bundle_verify: the conformance bundles (v0.1-v0.3, keyless, managed key, DSSE,
# Rekor v2, and their failure cases) and legacy cosign bundles made from them.
for f in "$conformance"/*/bundle.sigstore.json; do
  name=$(basename "$(dirname "$f")")
  put bundle "$name.json" <"$f"
  put bundle_verify "$name.json" <"$f"
  # attestation: the DSSE ones, and the statements in them.
  if grep -q '"dsseEnvelope"' "$f"; then
    put attestation "$name.json" <"$f"
    { field payload "$f" | base64 -d 2>/dev/null || true; } | put attestation "$name.statement.json"
  fi
done
# A statement with every field a policy reads (v1 and v0.1 _type).
for version in v1 v0.1; do
  printf '{"_type":"https://in-toto.io/Statement/%s","subject":[{"name":"a.txt","digest":{"sha256":"%s"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"x","externalParameters":{}},"runDetails":{"builder":{"id":"https://github.com/actions/runner"}}}}\n' \
    "$version" "$(sha256sum <"$root/testdata/interop/sigstore-conformance/a.txt" | cut -d' ' -f1)" \
    | put attestation "statement-$version.json"
done

legacy_from_v01() { # a cosign <= 2 blob bundle carrying the same signature, cert and log entry
  local f=$1 cert sig set body time index log_id
  cert=$(field rawBytes "$f" | b64_to_pem | base64 -w 0)
  sig=$(field signature "$f")
  set=$(field signedEntryTimestamp "$f")
  body=$(field canonicalizedBody "$f")
  time=$(field integratedTime "$f")
  index=$(field logIndex "$f")
  log_id=$(field keyId "$f" | b64_to_hex)
  printf '{"base64Signature":"%s","cert":"%s","rekorBundle":{"SignedEntryTimestamp":"%s","Payload":{"body":"%s","integratedTime":%s,"logIndex":%s,"logID":"%s"}}}\n' \
    "$sig" "$cert" "$set" "$body" "$time" "$index" "$log_id"
}
for name in happy-path-v0.1 bundle-negative-log-index_fail wrong-hashedrekord-entry_fail; do
  legacy_from_v01 "$conformance/$name/bundle.sigstore.json" | tee "$corpus/bundle/legacy-$name.json" \
    | put bundle_verify "legacy-$name.json"
done
# attestation: cosign 2 `.att` layers (envelope NUL certificate PEM NUL Rekor bundle) laid out
# from the DSSE conformance bundles.
for f in "$conformance"/*/bundle.sigstore.json; do
  grep -q '"dsseEnvelope"' "$f" || continue
  name=$(basename "$(dirname "$f")")
  {
    printf '{"payloadType":"%s","payload":"%s","signatures":[{"keyid":"","sig":"%s"}]}' \
      "$(field payloadType "$f")" "$(field payload "$f")" "$(field sig "$f")"
    printf '\0'
    field rawBytes "$f" | b64_to_pem
    printf '\0{"SignedEntryTimestamp":"%s","Payload":{"body":"%s","integratedTime":%s,"logIndex":%s,"logID":"%s"}}' \
      "$(field signedEntryTimestamp "$f")" "$(field canonicalizedBody "$f")" \
      "$(field integratedTime "$f")" "$(field logIndex "$f")" "$(field keyId "$f" | b64_to_hex)"
  } | put attestation "att-layer-$name.bin"
done
# Key-signed, without a log entry (cosign sign-blob --key --tlog-upload=false).
printf '{"base64Signature":"%s"}\n' "$(base64 -w 0 <"$generated/p256-der/artifact.sig")" \
  | tee "$corpus/bundle/legacy-key-only.json" | put bundle_verify legacy-key-only.json

# --- certificate: every certificate in the conformance bundles and trust roots, as DER. The
# other `rawBytes` there are log keys (SPKI, or PKCS#1 RSA): seeds for public_key.
for f in "$conformance"/*/bundle.sigstore.json "$conformance"/*/trusted_root.json; do
  fields rawBytes "$f"
done | sort -u | while read -r b64; do
  der=$(mktemp)
  if base64 -d <<<"$b64" >"$der" 2>/dev/null && [ -s "$der" ]; then
    name=$(sha256sum "$der" | head -c 16).der
    # A certificate is SEQUENCE { SEQUENCE { [0] { INTEGER 2 } ... } ... } (long lengths).
    if [ "$(od -An -tx1 -j 8 -N 4 "$der" | tr -d ' ')" = a0030201 ]; then
      put certificate "$name" <"$der"
    else
      put public_key "trust-root-$name" <"$der"
    fi
  fi
  rm -f "$der"
done

# --- checkpoint: every checkpoint note in the conformance bundles, JSON escapes undone.
for f in "$conformance"/*/bundle.sigstore.json; do
  fields envelope "$f"
done | sort -u | while read -r envelope; do
  note=$(mktemp)
  printf '%b' "$envelope" >"$note"
  put checkpoint "$(sha256sum "$note" | head -c 16).txt" <"$note"
  rm -f "$note"
done

# --- timestamp: every RFC 3161 token (DER) in the conformance bundles and sigstore-js's bundles
# (fractional genTime).
for f in "$conformance"/*/bundle.sigstore.json "$root"/testdata/interop/sigstore-js-fractional-gentime/*.sigstore.json; do
  fields signedTimestamp "$f"
done | sort -u | while read -r token; do
  der=$(mktemp)
  # Some writers wrap the base64 (JSON `\n` escapes in the string): drop them.
  printf '%s' "${token//\\n/}" | base64 -d >"$der"
  put timestamp "$(sha256sum "$der" | head -c 16).der" <"$der"
  rm -f "$der"
done

# --- trusted_root: the embedded production root and the conformance suite's custom roots.
put trusted_root production.json <"$root/crates/sigstore/data/production-trusted-root.json"
for f in "$conformance"/*/trusted_root.json; do
  put trusted_root "$(basename "$(dirname "$f")").json" <"$f"
done

# attach: signature manifests, indexes and image manifests from the cosign fixtures (every
# JSON document there is one of them).
for f in "$cosign_image"/*/*.json; do
  put attach "$(basename "$(dirname "$f")")-$(basename "$f")" <"$f"
done
# The shapes `vouch sign` appends to: a `.sig` manifest as skopeo 1.18 writes it, and a
# tag-schema index.
put attach skopeo-sig-manifest.json <<'JSON'
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:d81a940eef62d1ad04f6323e67230d45ba5ef1999ca10d93e90dc7e801f8da6a","size":153},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"sha256:ca43d5bdea8627af05cdcd9dbca619b63fb644d7cf3a71fbed9ff865156c57cb","size":297,"annotations":{"dev.cosignproject.cosign/signature":"MEQCIHA28CertsthnMxnJm+ongb+yXAxbdTWpHgsH+q/KlSXAiBaAPcHi8Agh4UMQN0m+k2nh0KTaWlIAickCneZmN37ww=="}}]}
JSON
put attach tag-schema-index.json <<'JSON'
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:86e72ab2c40cabeb66fa2a083d14d074b1454852fb94c521809750a7dcafc6c1","size":712,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.content":"dsse-envelope"}}]}
JSON

# --- file_pairing: the generated download folders' names, `/`-separated, and the collisions a
# lossy pairing missed (names differing only in bytes that are not UTF-8).
for d in "$generated"/dir-*/; do
  (cd "$d" && ls -A | tr '\n' '/') | put file_pairing "$(basename "$d").names"
done
printf 'app\376.bin/app\377.bin/app\376.bin.sig.bin/x.sig/x.sig.sig/a/a.zst/a.sig.bin/.sig.bin/k.pub' \
  | put file_pairing collisions.names

# --- www_authenticate, link_header, docker_config, image_reference: what registries, token
# services and credential files send, in the shapes distribution, Docker Hub, GHCR, Quay,
# Harbor and podman write (from their documentation).
put www_authenticate distribution.txt <<'TXT'
Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
TXT
put www_authenticate two-headers.txt <<'TXT'
Basic realm="Registry Realm"
Bearer realm="https://ghcr.io/token", service="ghcr.io", scope="repository:acme/app:pull,push"
TXT
put www_authenticate quoted-commas.txt <<'TXT'
Bearer realm="https://q.example/v2/auth",scope="repository:a/b:pull, repository:c/d:pull",error="insufficient_scope"
TXT
put www_authenticate token-response.json <<'JSON'
{"token":"eyJhbGciOi","access_token":"eyJhbGciOi","expires_in":300,"issued_at":"2026-11-01T00:00:00Z"}
JSON
put link_header distribution.txt <<'TXT'
</v2/app/referrers/sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b?n=100&last=sha256:0a>; rel="next"
TXT
put link_header several.txt <<'TXT'
<https://r.example/v2/a/tags/list?last=b>; rel="prev", <https://r.example/v2/a/tags/list?last=z>; rel="next last"; type="application/json"
TXT
put docker_config docker.json <<'JSON'
{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},"ghcr.io":{"identitytoken":"tok"},"quay.io/acme":{"username":"u","password":"p"},"r.example":{}},"credsStore":"desktop","credHelpers":{"gcr.io":"gcloud"}}
JSON
put docker_config podman-auth.json <<'JSON'
{"auths":{"registry.example/ns/repo":{"auth":"YTpi"},"localhost:5000":{"registrytoken":"t"}}}
JSON
i=0
for ref in alpine library/alpine:3.20 docker.io/library/alpine ghcr.io/acme/app:v1.4 \
  localhost:5000/a/b/c@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b \
  '[::1]:5000/app:tag@sha512:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' \
  registry.example/app:sha256-6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b.sig; do
  i=$((i + 1))
  printf '%s' "$ref" | put image_reference "ref-$i.txt"
done

# --- policy: vouch's example policy, the containers policy.json files and the
# ClusterImagePolicy documents of testdata/interop, and small shapes of each format.
policies=$root/testdata/policies
for f in "$policies"/*.yaml "$root"/testdata/interop/containers-policy-json/*.json \
  "$root"/testdata/interop/policy-controller/*.yaml; do
  put policy "$(basename "$f")" <"$f"
done
put policy containers-scoped.json <<'JSON'
{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example/app":[{"type":"sigstoreSigned","keyData":"LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K","signedIdentity":{"type":"remapIdentity","prefix":"registry.example","signedPrefix":"mirror.example"}}],"*.example.com":[{"type":"insecureAcceptAnything"}],"":[{"type":"reject"}]}}}
JSON
put policy vouch-json.json <<'JSON'
{"apiVersion":"vouch.dev/v1","kind":"TrustPolicy","match":"all","noMatch":"warn","rules":[{"name":"a","images":["*","**/app:*"],"mode":"warn","allow":true},{"images":["ghcr.io/**"],"reject":"no"}]}
JSON

# --- admission: the AdmissionReview bodies built from Kubernetes' examples.
for f in "$root"/testdata/interop/kubernetes/reviews/*.json; do
  put admission "$(basename "$f")" <"$f"
done

# --- layout: a small OCI layout (config, manifest, index.json naming it by tag, a `.sig`
# entry by cosign's tag), as a plain, gzip and zstd tar, and its index.json alone.
layout=$(mktemp -d)
mkdir -p "$layout/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
blob() { # blob CONTENT: writes it, prints "DIGEST SIZE"
  local hex
  hex=$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
  printf '%s' "$1" >"$layout/blobs/sha256/$hex"
  echo "sha256:$hex ${#1}"
}
read -r config_digest config_size < <(blob '{"architecture":"amd64","os":"linux"}')
read -r layer_digest layer_size < <(blob 'layer')
manifest='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"'$config_digest'","size":'$config_size'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"'$layer_digest'","size":'$layer_size'}]}'
read -r manifest_digest manifest_size < <(blob "$manifest")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s.sig","kind":"dev.cosignproject.cosign/sigs"}}]}' \
  "$manifest_digest" "$manifest_size" "$manifest_digest" "$manifest_size" "${manifest_digest/:/-}" >"$layout/index.json"
put layout index.json <"$layout/index.json"
tar -C "$layout" -cf - . | put layout layout.tar
tar -C "$layout" -cf - . | gzip -c | put layout layout.tar.gz
tar -C "$layout" -cf - . | zstd -q -c | put layout layout.tar.zst
rm -rf "$layout"

# A `docker save` archive: manifest.json, the config naming its layer's diff_id, the layer.
docker=$(mktemp -d)
printf 'layer' >"$docker/layer.tar"
diff_id=$(sha256sum <"$docker/layer.tar" | cut -d' ' -f1)
config='{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:'$diff_id'"]}}'
config_hex=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
printf '%s' "$config" >"$docker/$config_hex.json"
printf '[{"Config":"%s.json","RepoTags":["registry.example/app:v1"],"Layers":["layer.tar"]}]' \
  "$config_hex" >"$docker/manifest.json"
tar -C "$docker" -cf - . | put layout docker-archive.tar
rm -rf "$docker"

for dir in "$corpus"/*/; do
  printf 'seed.sh: %-16s %4d files, %s\n' "$(basename "$dir")" "$(find "$dir" -type f | wc -l)" \
    "$(du -sh "$dir" | cut -f1)"
done

