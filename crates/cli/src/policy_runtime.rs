//! A trust policy ready to judge images in a registry: the policy, the trust root's verifier,
//! the registry client and lookup options, and Rego bounded in time and memory. Shared by
//! `vouch verify --policy` and `vouch serve`.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vouch_attest::{PolicyVerdict, RegoPolicy};
use vouch_oci::{ImageRef, LookupOptions, RegistryClient};
use vouch_policy::{Judge, RegoRunner, TrustPolicy};
use vouch_sigstore::Verifier;

use crate::args::LookupArgs;
use crate::image_target::{self, Target};
use crate::output::policy::Judged;
use crate::registry_flags::lookup_options;
use crate::{policy_memory, signer, trust_policy};

/// Wall time of one Rego evaluation, as `verify-attestation --policy-timeout`'s default.
const REGO_TIME: Duration = Duration::from_secs(10);
/// Heap of one Rego evaluation, as `verify-attestation --policy-memory`'s default.
const REGO_MEMORY: usize = 512 << 20;
/// Memory one statement may take once parsed, as `--statement-memory`'s default.
const STATEMENT_COST: u64 = 1024 << 20;

/// Everything judging needs, read once.
pub(crate) struct PolicyRuntime {
    pub(crate) policy: TrustPolicy,
    verifier: Verifier,
    options: LookupOptions,
    pub(crate) client: RegistryClient,
    rego: Bounded,
}

impl PolicyRuntime {
    /// Reads the policy (and what it names), the trust root, and the registry flags; refuses
    /// a policy naming trust material outside the root.
    pub(crate) fn new(
        policy: &Path,
        trusted_root: Option<&Path>,
        lookup: &LookupArgs,
        client: RegistryClient,
    ) -> anyhow::Result<Self> {
        let loaded = trust_policy::load(policy)?;
        let root = signer::trust_root(trusted_root)?;
        trust_policy::check_named_trust(&loaded, &root, policy)?;
        Ok(Self {
            policy: loaded,
            verifier: signer::verifier_of(&root, trusted_root)?,
            options: lookup_options(lookup)?,
            client,
            rego: Bounded::default(),
        })
    }

    /// One image, looked up once (if a rule needs it, with attestations if one needs them),
    /// and judged for each of `members` (position, name as written) that names it; the lookup
    /// is dropped when this returns.
    pub(crate) async fn judge(
        &self,
        image: &ImageRef,
        members: Vec<(usize, String)>,
    ) -> Vec<(usize, Judged)> {
        let selections: Vec<_> = members
            .iter()
            .map(|(_, given)| self.policy.select(image, given))
            .collect();
        let lookup = if selections.iter().any(|s| s.needs_lookup()) {
            let mut options = self.options.clone();
            if selections.iter().any(|s| s.needs_attestations()) {
                options = options.with_attestations().with_attestation_sizes();
            }
            let target = Target::Registry(image.clone());
            Some(
                image_target::look_up(&self.client, &target, options)
                    .await
                    .map_err(Arc::new),
            )
        } else {
            None
        };
        let judge = Judge {
            verifier: &self.verifier,
            rego: &self.rego,
            statement_cost: STATEMENT_COST,
        };
        let (found, lookup_error) = match &lookup {
            Some(Ok(lookup)) => (Ok(lookup), None),
            Some(Err(err)) => (Err(format!("{err:#}")), Some(Arc::clone(err))),
            None => (Err("not looked up".to_owned()), None),
        };
        members
            .into_iter()
            .zip(&selections)
            .map(|((index, given), selection)| {
                // Signature checks and Rego are CPU work, Rego up to seconds: the runtime
                // moves its other tasks (other reviews, probes) off this thread meanwhile.
                let decision = tokio::task::block_in_place(|| {
                    judge.judge(
                        selection,
                        image,
                        found.as_ref().map(|l| *l).map_err(String::as_str),
                    )
                });
                let judged = Judged {
                    given,
                    image: image.to_string(),
                    digest: found.as_ref().ok().map(|lookup| lookup.digest.to_string()),
                    decision,
                    lookup_error: lookup_error.clone(),
                };
                (index, judged)
            })
            .collect()
    }
}

/// Rego evaluations one at a time, each bounded in time and heap (`policy_memory` counts one
/// evaluation's allocations for the whole process).
#[derive(Default)]
struct Bounded {
    one_at_a_time: Mutex<()>,
}

impl RegoRunner for Bounded {
    fn evaluate(
        &self,
        policy: &RegoPolicy,
        input: &serde_json::Value,
    ) -> Result<PolicyVerdict, vouch_attest::PolicyError> {
        // A poisoned lock only means another evaluation panicked; the guard protects nothing
        // but the order of evaluations.
        let _turn = self
            .one_at_a_time
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        policy_memory::with_limit(REGO_MEMORY, || policy.evaluate(input, REGO_TIME))
    }
}
