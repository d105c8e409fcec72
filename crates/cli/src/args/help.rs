//! The text after each command's options in `--help` (and its man page): examples from real
//! use, then the exit codes. Written once as macros so that `vouch --help` lists every code
//! with the same words as each command.

macro_rules! file_exit_codes {
    () => {
        "\
Exit codes (as openssl's, except 2):
  0  verified: every signature checked is valid
  1  not verified: a signature does not verify; for verify-dir also a missing data file, a
     signature or data file that cannot be checked, no signature at all, or an unsigned file
     with --require-signed
  2  bad input or usage: unreadable file, not a public key, malformed signature or bundle,
     bad arguments (openssl exits 1 here too)
  With --bundle, a bundle that does not verify exits with its reason:
  3  identity mismatch                 4  transparency-log entry missing
  5  transparency-log proof invalid    6  certificate not valid at signing time
  7  certificate not trusted (no chain to the trust root, or no valid certificate-log proof)
  8  timestamp invalid"
    };
}

macro_rules! image_exit_codes {
    () => {
        "\
Exit codes (10-12 as cosign's):
  0   verified: at least one signature on each image verifies for the key or identity
  2   bad input or usage: unreadable key, malformed reference, bad arguments
  10  no signatures found for the image (after looking in every place they can live)
  11  image or tag not found
  12  signatures found, but none verifies for this key or identity
  13  registry lookup failed: network, TLS, authentication, throttling, or a registry that
      sent bytes not matching their digest
  14  no signature verifies, and some could not be checked (over vouch's size limits)
  With several images, the exit code is that of the worst outcome: 12, then 14, 10, 11, 2, 13."
    };
}

macro_rules! sign_exit_codes {
    () => {
        "\
Exit codes:
  0  signed: every signature asked for was written (sign-dir: or was already there)
  1  sign-dir only: some files could not be signed (each says why); the others were signed
  2  bad input or usage: unreadable or wrong key, wrong password, unreadable file, a file
     that cannot be written, bad arguments; nothing was written"
    };
}

macro_rules! transfer_exit_codes {
    () => {
        "\
Exit codes:
  0   every image was copied, with the signatures and attestations found
  2   bad input or usage: bad reference, unreadable key or layout, a destination folder that
      is not a layout, a signature tag at the destination holding other signatures
  10  --verify-with: no signatures found
  11  image or tag not found
  12  --verify-with: signatures found, none verified with the key
  13  registry failure, or bytes that are not what their digest names (a tampered layout or
      archive, a broken registry): nothing of that blob was written
  With several images, the exit code is that of the worst outcome. load and copy: the images
  before a failure stay copied. save: the layout lists its images (or the archive is written)
  only once all are copied; running it again skips the blobs already there."
    };
}

macro_rules! sign_image_exit_codes {
    () => {
        "\
Exit codes:
  0   every image was signed (or already carried this exact signature)
  2   bad input or usage: unreadable key, wrong password, bad reference or annotation
  11  image or tag not found
  13  registry failure: network, authentication, push permission, throttling; or the registry
      holds something under a signature tag that is not what vouch writes there (it is left
      as it is)
  With several images, the exit code is that of the worst outcome; the images before a
  failure stay signed."
    };
}

macro_rules! keys_exit_codes {
    () => {
        "\
Exit codes:
  0  done: every file asked for was written
  2  bad input or usage: unreadable or unsupported key, wrong password, passwords that do not
     match, an output file that exists (without --force) or cannot be written, bad arguments"
    };
}

macro_rules! attestation_exit_codes {
    () => {
        "\
Exit codes (as verify-blob's, and two of their own):
  0   verified: an attestation of the type asked verifies, about this file, and passes every
      policy
  1   no attestation verifies (bad signature, another file, unsigned)
  2   bad input or usage: unreadable bundle or key, a policy that does not parse
  3-8 as verify-blob --bundle, when the only attestation fails for that reason
  15  attestations verify, but none is of the type asked (--type)
  16  attestations of the type verify, and a policy denies every one of them"
    };
}

macro_rules! image_attestation_exit_codes {
    () => {
        "\
Exit codes (cosign's for images, and two of their own):
  0   verified: every image has an attestation of the type asked that verifies, names its
      digest and passes every policy
  2   bad input or usage: unreadable key or policy, bad --type, bad reference
  10  no attestation found on an image
  11  image or tag not found
  12  attestations found, none verifies (bad signature, another image, other signer)
  13  the registry lookup failed (unreachable, refused, broken answers)
  14  attestations found that could not be checked (over a size limit), none verified
  15  attestations verify, but none is of the type asked (--type)
  16  attestations of the type verify, and a policy denies every one of them
  With several images, the exit code is that of the worst outcome."
    };
}

/// `vouch --help`: every exit code of every command.
pub(super) const ALL_EXIT_CODES: &str = concat!(
    "Files (verify-blob, verify-dir):\n",
    file_exit_codes!(),
    "\n\nAttestations (verify-blob-attestation):\n",
    attestation_exit_codes!(),
    "\n\nImage attestations (verify-attestation):\n",
    image_attestation_exit_codes!(),
    "\n\nImages (verify, tree, triangulate, sign):\n",
    image_exit_codes!(),
    "\n\nSigning files and keys: 0 done, 1 sign-dir could not sign some files, 2 bad input.\n\n",
    "More in docs/cli.md and `man vouch-<command>`."
);

pub(super) const VERIFY_BLOB: &str = concat!(
    "\
Examples:
  # A release file and its detached signature, as `openssl dgst -sha256 -verify` checks it
  vouch verify-blob --key vendor.pub --signature app-1.2.tar.zst.sig.bin app-1.2.tar.zst

  # A Sigstore bundle made by a GitHub Actions workflow of acme/app (keyless; the regular
  # expression is anchored at both ends)
  vouch verify-blob --bundle app-1.2.tar.zst.sigstore.json \\
    --certificate-identity-regexp 'https://github.com/acme/app/\\.github/workflows/.*' \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com app-1.2.tar.zst

  # From a pipe, with a report for scripts
  curl -sS https://example.com/app.iso | vouch verify-blob --key vendor.pub \\
    --signature app.iso.sig.bin --output json -

",
    file_exit_codes!()
);

pub(super) const VERIFY_BLOB_ATTESTATION: &str = concat!(
    "\
Examples:
  # SLSA provenance from GitHub Actions (actions/attest-build-provenance), as
  # `gh attestation download` saves it
  # (gh attestation verify's --repo: any workflow of acme/app, GitHub Actions' issuer)
  vouch verify-blob-attestation --bundle sha256:…jsonl --type slsaprovenance1 \\
    --repo acme/app app-1.2.tar.zst

  # An SBOM attested with a key, checked by a Rego policy, its predicate printed
  vouch verify-blob-attestation --bundle app.att.sigstore.json --key vendor.pub \\
    --insecure-ignore-tlog --type spdxjson --policy sbom.rego --print-predicate app.tar.zst

  # A DSSE envelope from `cosign attest-blob --output-signature`
  vouch verify-blob-attestation --signature app.att.json --key cosign.pub \\
    --insecure-ignore-tlog --type slsaprovenance app.tar.zst

",
    attestation_exit_codes!()
);

pub(super) const ATTEST_BLOB: &str = concat!(
    "\
Examples:
  vouch attest-blob --key vendor.pem --type slsaprovenance1 --predicate provenance.json \\
    --bundle app-1.2.tar.zst.att.sigstore.json app-1.2.tar.zst
  vouch verify-blob-attestation --key vendor.pub --insecure-ignore-tlog \\
    --bundle app-1.2.tar.zst.att.sigstore.json --type slsaprovenance1 app-1.2.tar.zst

",
    sign_exit_codes!()
);

pub(super) const VERIFY_ATTESTATION: &str = concat!(
    "\
Examples:
  # SLSA provenance made by GitHub Actions in acme/app (actions/attest-build-provenance
  # with push-to-registry), as `gh attestation verify oci://… --repo acme/app` checks it
  vouch verify-attestation --type slsaprovenance1 --repo acme/app ghcr.io/acme/app:1.2.0

  # An SBOM attested with a key by `vouch attest` or `cosign attest --key`, with a policy
  vouch verify-attestation --key cosign.pub --insecure-ignore-tlog --type spdxjson \\
    --policy sbom.rego registry.example.com/app@sha256:…

",
    image_attestation_exit_codes!()
);

pub(super) const ATTEST: &str = concat!(
    "\
Examples:
  vouch attest --key cosign.key --type slsaprovenance1 --predicate provenance.json \\
    registry.example.com/app:1.2.0
  vouch verify-attestation --key cosign.pub --insecure-ignore-tlog --type slsaprovenance1 \\
    registry.example.com/app:1.2.0

",
    sign_image_exit_codes!()
);

pub(super) const VERIFY_DIR: &str = concat!(
    "\
Examples:
  # Every X.sig.bin in a download folder against its file X, in parallel
  vouch verify-dir ~/Downloads/acme-1.2 --key vendor.pub

  # In CI: every file must carry a valid signature; a JSON report for the job's artifacts
  vouch verify-dir release/ --key vendor.pub --require-signed \\
    --output json --output-file report.json

",
    file_exit_codes!()
);

pub(super) const VERIFY: &str = concat!(
    "\
Examples:
  # An image signed with `cosign sign --key cosign.key`
  vouch verify --key cosign.pub ghcr.io/acme/app:1.2.0

  # Keyless, signed by a GitHub Actions workflow of the acme organisation
  vouch verify --certificate-identity-regexp '^https://github.com/acme/.*' \\
    --certificate-oidc-issuer https://token.actions.githubusercontent.com ghcr.io/acme/app:1.2.0

  # Signed by skopeo or `cosign sign --tlog-upload=false`, one platform of a multi-arch index
  vouch verify --key release.pub --insecure-ignore-tlog --platform linux/arm64 \\
    registry.example.com/app:1.2.0

  # Offline: an image saved with its signatures (vouch save), and a `docker save` of it
  vouch verify --key release.pub --insecure-ignore-tlog oci-archive:app-1.2.0.tar.zst
  vouch verify --key release.pub --insecure-ignore-tlog \\
    --signed-image oci-archive:app-1.2.0.tar.zst docker-archive:app.tar

  # Every image of a release judged by a trust policy (vouch's, or skopeo's policy.json)
  vouch verify --policy policy.yaml ghcr.io/acme/app:1.2.0 ghcr.io/acme/worker:1.2.0
  vouch verify --policy /etc/containers/policy.json registry.example.com/app:1.2.0

With --policy, an image the policy refuses exits 12, whatever the reason (no signature of the
rule's authorities, a `reject` rule, no rule for the image); a lookup the policy needed that
failed exits 11 or 13, as below.

",
    image_exit_codes!()
);

pub(super) const SERVE: &str = "\
Examples:
  vouch serve --policy /etc/vouch/policy.yaml --tls-cert /tls/tls.crt --tls-key /tls/tls.key
  vouch serve --policy policy.json --listen 127.0.0.1:8443 --tls-cert c.pem --tls-key k.pem \\
    --failure-policy ignore --mutate

Exit codes:
  0  stopped by SIGTERM or SIGINT, after answering the reviews in flight
  2  the policy, the certificate or the key cannot be used, or the address cannot be bound
";

pub(super) const POLICY: &str = "\
Examples:
  vouch policy check policy.yaml /etc/containers/policy.json
  vouch policy explain policy.yaml ghcr.io/acme/app:1.2.0

Exit codes:
  0  every policy file is valid (check), or every image was explained (explain)
  2  a policy file or an image name cannot be used: the problem, with its line and column
";

pub(super) const TRIANGULATE: &str = concat!(
    "\
Examples:
  vouch triangulate ghcr.io/acme/app:1.2.0
  skopeo inspect \"docker://$(vouch triangulate ghcr.io/acme/app:1.2.0 | head -n 1)\"

",
    image_exit_codes!()
);

pub(super) const TREE: &str = concat!(
    "\
Examples:
  vouch tree ghcr.io/acme/app:1.2.0
  vouch tree --platform linux/amd64 --output json docker.io/library/alpine:3.20

",
    image_exit_codes!()
);

pub(super) const SIGN_BLOB: &str = concat!(
    "\
Examples:
  # A DER signature that `openssl dgst -sha256 -verify vendor.pub -signature …` checks
  vouch sign-blob --key vendor.pem --output-signature app-1.2.tar.zst.sig.bin app-1.2.tar.zst

  # cosign's base64 signature on stdout, and a Sigstore bundle beside it
  vouch sign-blob --key cosign.key --bundle app.sigstore.json app.tar.zst

",
    sign_exit_codes!()
);

pub(super) const SIGN_DIR: &str = concat!(
    "\
Examples:
  # Sign every file of a release folder that has no X.sig.bin yet
  vouch sign-dir release/ --key vendor.pem
  vouch verify-dir release/ --key vendor.pub --require-signed

",
    sign_exit_codes!()
);

pub(super) const SIGN: &str = concat!(
    "\
Examples:
  vouch sign --key cosign.key ghcr.io/acme/app:1.2.0
  # As cosign 2 and skopeo sign: the sha256-<hex>.sig tag, with an annotation
  vouch sign --key cosign.key --signature-format legacy -a release=1.2.0 \\
    registry.example.com/app:1.2.0

",
    sign_image_exit_codes!()
);

pub(super) const SAVE: &str = concat!(
    "\
Examples:
  # Two images and their signatures into one archive for a disconnected site
  vouch save registry.example.com/app:1.2.0 registry.example.com/db:16 \\
    --archive release-1.2.tar.zst --verify-with release.pub --insecure-ignore-tlog
  # Verified there, offline
  vouch verify --key release.pub --insecure-ignore-tlog \\
    oci-archive:release-1.2.tar.zst:registry.example.com/app:1.2.0

",
    transfer_exit_codes!()
);

pub(super) const LOAD: &str = concat!(
    "\
Examples:
  vouch load release-1.2.tar.zst registry.internal:5000/acme
  vouch load oci:./layout:registry.example.com/app:1.2.0 registry.internal:5000/acme/app:1.2.0

",
    transfer_exit_codes!()
);

pub(super) const COPY: &str = concat!(
    "\
Examples:
  # Only what verifies with the release key, signatures included
  vouch copy --verify-with release.pub --insecure-ignore-tlog \\
    ghcr.io/acme/app:1.2.0 registry.internal:5000/acme/app:1.2.0
  # Only the signatures, to a registry that has the image already
  vouch copy --only sig ghcr.io/acme/app:1.2.0 registry.internal:5000/acme/app:1.2.0

",
    transfer_exit_codes!()
);

pub(super) const GENERATE_KEY_PAIR: &str = concat!(
    "\
Examples:
  # cosign.key and cosign.pub, the password asked twice
  vouch generate-key-pair
  # In CI, the password from a secret file
  vouch generate-key-pair --output-key-prefix release --password-file /run/secrets/key-password

",
    keys_exit_codes!()
);

pub(super) const IMPORT_KEY_PAIR: &str = concat!(
    "\
Examples:
  # An openssl key, for use with cosign and vouch sign
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out vendor.pem
  vouch import-key-pair --key vendor.pem --output-key-prefix vendor

",
    keys_exit_codes!()
);

pub(super) const PUBLIC_KEY: &str = concat!(
    "\
Examples:
  vouch public-key --key cosign.key --output-file cosign.pub
  # The public half of an unencrypted openssl key, as `openssl pkey -pubout` prints it
  vouch public-key --key vendor.pem > vendor.pub

",
    keys_exit_codes!()
);

pub(super) const COMPLETION: &str = "\
Examples:
  vouch completion bash > /etc/bash_completion.d/vouch
  vouch completion zsh > \"${fpath[1]}/_vouch\"
  vouch completion fish > ~/.config/fish/completions/vouch.fish";

pub(super) const VERSION: &str = "\
Examples:
  vouch version
  vouch version --output json | jq -r .commit";

/// `vouch --version` in long form (`vouch version` prints the same as text).
pub(crate) const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("VOUCH_GIT_COMMIT"),
    "\ncommit date: ",
    env!("VOUCH_COMMIT_DATE"),
    "\ntarget: ",
    env!("VOUCH_TARGET"),
    "\nfeatures: registry"
);
