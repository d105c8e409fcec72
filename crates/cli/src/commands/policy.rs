//! `vouch policy check FILE...` and `vouch policy explain FILE IMAGE...`: trust policies
//! read and shown, nothing verified, no registry contacted.

use vouch_oci::ImageRef;

use crate::args::{OutputFormat, PolicyArgs, PolicyCheckArgs, PolicyCommand, PolicyExplainArgs};
use crate::exit::{self, Outcome};
use crate::output::{self, policy::Checked};
use crate::trust_policy;

/// Runs `vouch policy …`.
pub(crate) fn run(args: &PolicyArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        PolicyCommand::Check(args) => check(args),
        PolicyCommand::Explain(args) => explain(args),
    }
}

fn check(args: &PolicyCheckArgs) -> anyhow::Result<Outcome> {
    let results: Vec<Checked> = args
        .files
        .iter()
        .map(|path| Checked {
            path: crate::input::display(path),
            policy: trust_policy::load(path),
        })
        .collect();
    match args.output.format {
        OutputFormat::Text => output::policy::check_text(&results)?,
        OutputFormat::Json => output::policy::check_json(&results)?,
    }
    let code = if results.iter().all(|r| r.policy.is_ok()) {
        exit::VERIFIED
    } else {
        exit::BAD_INPUT
    };
    for result in &results {
        if let Err(err) = &result.policy {
            output::error(err, &[]);
        }
    }
    Ok(Outcome::Code(code))
}

fn explain(args: &PolicyExplainArgs) -> anyhow::Result<Outcome> {
    let policy = trust_policy::load(&args.policy)?;
    let images = args
        .images
        .iter()
        .map(|given| trust_policy::registry_image(given).map(|image| (given.as_str(), image)))
        .collect::<anyhow::Result<Vec<(&str, ImageRef)>>>()?;
    let explained: Vec<output::policy::Explained<'_>> = images
        .iter()
        .map(|(given, image)| output::policy::Explained {
            given,
            image: image.to_string(),
            selection: policy.select(image, given),
        })
        .collect();
    match args.output.format {
        OutputFormat::Text => output::policy::explain_text(&policy, &explained)?,
        OutputFormat::Json => output::policy::explain_json(&policy, &explained)?,
    }
    Ok(Outcome::Code(exit::VERIFIED))
}
