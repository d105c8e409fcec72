//! deploy/: every Kubernetes object matches the JSON schema of its kind, and the settings the
//! webhook depends on hold, checked offline.
//!
//! The schemas are vendored in testdata/interop/kubernetes-json-schema/ (Kubernetes 1.31
//! "standalone-strict": no remote `$ref`, unknown fields refused; cert-manager's CRDs), so a
//! typo such as `readinessprobe` or a field in the wrong place fails here rather than at
//! `kubectl apply`. The invariants below are the contract between the manifests and
//! `vouch serve`, which no schema can know: the arguments it needs, the paths it serves, the
//! Secret cert-manager writes being the one the pods mount.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;
use serde_json::Value;

/// The schema vendored for each apiVersion and kind used in deploy/.
const SCHEMAS: &[(&str, &str, &str)] = &[
    ("v1", "Namespace", "namespace-v1.json"),
    ("v1", "ServiceAccount", "serviceaccount-v1.json"),
    ("v1", "ConfigMap", "configmap-v1.json"),
    ("v1", "Service", "service-v1.json"),
    ("apps/v1", "Deployment", "deployment-apps-v1.json"),
    (
        "policy/v1",
        "PodDisruptionBudget",
        "poddisruptionbudget-policy-v1.json",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfiguration-admissionregistration-v1.json",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfiguration-admissionregistration-v1.json",
    ),
    (
        "cert-manager.io/v1",
        "Certificate",
        "cert-manager.io/certificate_v1.json",
    ),
    (
        "cert-manager.io/v1",
        "Issuer",
        "cert-manager.io/issuer_v1.json",
    ),
];

/// Files in deploy/ that `kubectl apply -k deploy/` deliberately leaves out.
const OPTIONAL: &[&str] = &["mutating-webhook.yaml"];

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// One YAML document of a deploy/ file.
struct Object {
    /// `deployment.yaml#1`: where a message points.
    at: String,
    file: String,
    value: Value,
}

impl Object {
    fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }
    fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// The `*.yaml` files of deploy/ but kustomization.yaml, sorted.
fn manifest_files() -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(repo_path("deploy"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml")
        .collect();
    files.sort();
    files
}

/// Every non-empty document of every manifest file. A file of comments only (rbac.yaml) has
/// none.
fn objects() -> Vec<Object> {
    let mut objects = Vec::new();
    for file in manifest_files() {
        let text = fs::read_to_string(repo_path("deploy").join(&file)).unwrap();
        for (index, document) in yaml_serde::Deserializer::from_str(&text).enumerate() {
            let at = format!("deploy/{file}#{}", index + 1);
            let value = Value::deserialize(document)
                .unwrap_or_else(|error| panic!("{at}: not YAML that maps to JSON: {error}"));
            if !value.is_null() {
                objects.push(Object {
                    at,
                    file: file.clone(),
                    value,
                });
            }
        }
    }
    objects
}

fn schema_for(api_version: &str, kind: &str) -> Option<Value> {
    let (_, _, file) = SCHEMAS
        .iter()
        .find(|(version, k, _)| *version == api_version && *k == kind)?;
    let path = repo_path("testdata/interop/kubernetes-json-schema").join(file);
    let text =
        fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    Some(serde_json::from_str(&text).unwrap())
}

#[test]
fn deploy_manifests_match_the_kubernetes_schemas() {
    let objects = objects();
    assert!(
        !objects.is_empty(),
        "no Kubernetes objects found in deploy/"
    );
    let mut problems = String::new();

    for object in &objects {
        let api_version = object.value["apiVersion"].as_str().unwrap_or_default();
        let kind = object.kind();
        let Some(schema) = schema_for(api_version, kind) else {
            let _ = writeln!(
                problems,
                "{}: no schema vendored for apiVersion {api_version:?}, kind {kind:?}: add it to \
                 testdata/interop/kubernetes-json-schema/ (with PROVENANCE.md and SHA256SUMS) \
                 and to SCHEMAS in this file",
                object.at
            );
            continue;
        };
        // Built without the crate's remote resolvers: the standalone schemas have no $ref to
        // fetch, and a test must not reach the network.
        let validator = jsonschema::validator_for(&schema).unwrap();
        for error in validator.iter_errors(&object.value) {
            let _ = writeln!(
                problems,
                "{} ({kind} {}): at {:?}: {error}",
                object.at,
                object.name(),
                error.instance_path().as_str()
            );
        }
    }

    kustomization_problems(&objects, &mut problems);
    contract_problems(&objects, &mut problems);

    assert!(
        problems.is_empty(),
        "deploy/ does not match the Kubernetes schemas or what `vouch serve` needs:\n{problems}"
    );
}

/// kustomization.yaml lists files that exist: every file with objects, but the optional ones.
fn kustomization_problems(objects: &[Object], problems: &mut String) {
    let text = fs::read_to_string(repo_path("deploy/kustomization.yaml")).unwrap();
    let kustomization: Value = yaml_serde::from_str(&text).unwrap();
    let listed: BTreeSet<&str> = kustomization["resources"]
        .as_array()
        .map(|resources| resources.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for resource in &listed {
        if !repo_path("deploy").join(resource).is_file() {
            let _ = writeln!(
                problems,
                "deploy/kustomization.yaml lists {resource}, which does not exist"
            );
        }
    }
    let with_objects: BTreeSet<&str> = objects.iter().map(|o| o.file.as_str()).collect();
    for file in &with_objects {
        let optional = OPTIONAL.contains(file);
        match (listed.contains(file), optional) {
            (false, false) => {
                let _ = writeln!(problems, "deploy/kustomization.yaml does not list {file}");
            }
            (true, true) => {
                let _ = writeln!(
                    problems,
                    "deploy/kustomization.yaml lists {file}, which is optional (off by default)"
                );
            }
            _ => {}
        }
    }
}

fn one<'a>(objects: &'a [Object], kind: &str, problems: &mut String) -> Option<&'a Object> {
    let found: Vec<&Object> = objects.iter().filter(|o| o.kind() == kind).collect();
    if found.len() != 1 {
        let _ = writeln!(
            problems,
            "deploy/ has {} {kind} objects, expected one",
            found.len()
        );
    }
    found.first().copied()
}

/// What `vouch serve` and the API server need from each other, across files.
fn contract_problems(objects: &[Object], problems: &mut String) {
    let (Some(deployment), Some(service)) = (
        one(objects, "Deployment", problems),
        one(objects, "Service", problems),
    ) else {
        return;
    };
    let pod = &deployment.value["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_array()
        .map(|args| args.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if args.first() != Some(&"serve") {
        let _ = writeln!(
            problems,
            "{}: the container's args must start with `serve`: {args:?}",
            deployment.at
        );
    }
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .map(|mounts| {
            mounts
                .iter()
                .filter_map(|m| m["mountPath"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for flag in ["--policy", "--tls-cert", "--tls-key"] {
        // `--flag VALUE` or `--flag=VALUE`, as clap reads them.
        let value = args
            .iter()
            .enumerate()
            .find_map(|(i, arg)| match arg.strip_prefix(flag) {
                Some("") => args.get(i + 1).copied(),
                Some(rest) => rest.strip_prefix('='),
                None => None,
            });
        match value {
            None => {
                let _ = writeln!(
                    problems,
                    "{}: the container's args lack `{flag} FILE`: {args:?}",
                    deployment.at
                );
            }
            Some(path)
                if !mounts
                    .iter()
                    .any(|m| path == *m || path.starts_with(&format!("{m}/"))) =>
            {
                let _ = writeln!(
                    problems,
                    "{}: `{flag} {path}` names a file under no volumeMount ({mounts:?})",
                    deployment.at
                );
            }
            Some(_) => {}
        }
    }
    if pod["automountServiceAccountToken"] != Value::Bool(false) {
        let _ = writeln!(
            problems,
            "{}: the pod must not mount an API token (rbac.yaml)",
            deployment.at
        );
    }

    // The Secret cert-manager writes is the one the pods mount.
    let certificate = objects
        .iter()
        .find(|o| o.kind() == "Certificate" && o.value["spec"]["isCA"] != Value::Bool(true));
    let tls_secrets: Vec<&str> = pod["volumes"]
        .as_array()
        .map(|volumes| {
            volumes
                .iter()
                .filter_map(|v| v["secret"]["secretName"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let service_name = service.name();
    let namespace = service.value["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default();
    let Some(certificate) = certificate else {
        let _ = writeln!(problems, "deploy/ has no serving Certificate");
        return;
    };
    let secret = certificate.value["spec"]["secretName"]
        .as_str()
        .unwrap_or_default();
    if !tls_secrets.contains(&secret) {
        let _ = writeln!(
            problems,
            "{}: Secret {secret:?} is not among the Deployment's volumes ({tls_secrets:?})",
            certificate.at
        );
    }
    let host = format!("{service_name}.{namespace}.svc");
    let dns_names = &certificate.value["spec"]["dnsNames"];
    if !dns_names
        .as_array()
        .is_some_and(|names| names.iter().any(|n| n == host.as_str()))
    {
        let _ = writeln!(
            problems,
            "{}: dnsNames {dns_names} lack {host}",
            certificate.at
        );
    }
    let inject_ca_from = format!("{namespace}/{}", certificate.name());

    let mut webhooks_seen = 0;
    for (kind, path) in [
        ("ValidatingWebhookConfiguration", "/validate"),
        ("MutatingWebhookConfiguration", "/mutate"),
    ] {
        for configuration in objects.iter().filter(|o| o.kind() == kind) {
            let at = &configuration.at;
            let annotation =
                &configuration.value["metadata"]["annotations"]["cert-manager.io/inject-ca-from"];
            if annotation != inject_ca_from.as_str() {
                let _ = writeln!(
                    problems,
                    "{at}: cert-manager.io/inject-ca-from is {annotation}, expected {inject_ca_from:?}"
                );
            }
            let webhooks = configuration.value["webhooks"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if webhooks.is_empty() {
                let _ = writeln!(problems, "{at}: no webhooks");
            }
            for webhook in &webhooks {
                webhooks_seen += 1;
                let name = webhook["name"].as_str().unwrap_or_default();
                let at = format!("{at} webhook {name:?}");
                webhook_problems(webhook, &at, path, (service_name, namespace), problems);
            }
        }
    }
    if webhooks_seen == 0 {
        let _ = writeln!(problems, "deploy/ has no webhook configuration");
    }
}

fn webhook_problems(
    webhook: &Value,
    at: &str,
    path: &str,
    (service_name, namespace): (&str, &str),
    problems: &mut String,
) {
    let service = &webhook["clientConfig"]["service"];
    let expected_service = serde_json::json!({
        "name": service_name, "namespace": namespace, "path": path, "port": 443
    });
    if *service != expected_service {
        let _ = writeln!(
            problems,
            "{at}: clientConfig.service is {service}, expected {expected_service}"
        );
    }
    if !webhook["admissionReviewVersions"]
        .as_array()
        .is_some_and(|versions| versions.iter().any(|v| v == "v1"))
    {
        let _ = writeln!(
            problems,
            "{at}: admissionReviewVersions lacks v1 (vouch serve speaks AdmissionReview v1)"
        );
    }
    for (field, expected) in [("failurePolicy", "Fail"), ("sideEffects", "None")] {
        if webhook[field] != expected {
            let _ = writeln!(
                problems,
                "{at}: {field} is {}, expected {expected:?}",
                webhook[field]
            );
        }
    }
    // Namespaces opt in with vouch.dev/enforce=true; nothing else is judged.
    let opt_in = webhook["namespaceSelector"]["matchExpressions"]
        .as_array()
        .is_some_and(|expressions| {
            expressions.iter().any(|e| {
                e["key"] == "vouch.dev/enforce"
                    && e["operator"] == "In"
                    && e["values"] == serde_json::json!(["true"])
            })
        });
    if !opt_in {
        let _ = writeln!(
            problems,
            "{at}: namespaceSelector must require vouch.dev/enforce In [\"true\"]: {}",
            webhook["namespaceSelector"]
        );
    }
}
